"""A catalogue of bad inputs: each gives its typed error, naming the layer,
the value received and what was expected, and a one-line CLI message."""
import json
import os
import subprocess
import sys
import threading

import pytest

import nolearn_capacity as nc
from nolearn_capacity import errors
from nolearn_capacity.examples import MNIST_TUTORIAL

IN = ("InputLayer", {"shape": (None, 1, 16, 16)})


def conv(**kw):
    return ("Conv2DLayer", dict({"num_filters": 2, "filter_size": 3}, **kw))


# (id, callable, error type, substrings the message must contain)
CATALOGUE = [
    ("empty list", lambda: nc.analyze([]), errors.EmptyNetworkError,
     ["no layers"]),
    ("None", lambda: nc.analyze(None), errors.NotANetworkError,
     ["NoneType"]),
    ("a string", lambda: nc.analyze("mnist"), errors.NotANetworkError,
     ["str"]),
    ("a number", lambda: nc.analyze(3.5), errors.NotANetworkError,
     ["float"]),
    ("not layers", lambda: nc.analyze([object(), object()]),
     errors.NotANetworkError, ["item #0", "object"]),
    ("no input layer", lambda: nc.analyze([conv()]), errors.BadSpecError,
     ["#0", "Conv2DLayer", "InputLayer"]),
    ("unknown class", lambda: nc.analyze([IN, ("Conv2DLayr", {})]),
     errors.BadSpecError, ["#1", "Conv2DLayr", "did you mean 'Conv2DLayer'"]),
    ("class not a name", lambda: nc.analyze([IN, (42, {})]),
     errors.BadSpecError, ["#1", "42"]),
    ("item not a pair", lambda: nc.analyze([IN, "Conv2DLayer"]),
     errors.BadSpecError, ["#1", "(class, kwargs)"]),
    ("cycle / forward reference", lambda: nc.analyze(
        [IN, conv(name="a", incoming="b"), conv(name="b")]),
     errors.BadSpecError, ["'a'", "'b'", "not defined before"]),
    ("duplicate name", lambda: nc.analyze(
        [IN, conv(name="a"), conv(name="a")]), errors.BadSpecError,
     ["two layers are named 'a'"]),
    ("missing argument", lambda: nc.analyze(
        [IN, ("Conv2DLayer", {"num_filters": 2})]), errors.BadSpecError,
     ["#1", "filter_size"]),
    ("unexpected argument", lambda: nc.analyze([IN, conv(colour="red")]),
     errors.BadSpecError, ["#1", "colour"]),
    ("zero size", lambda: nc.analyze(
        [("InputLayer", {"shape": (None, 1, 0, 16)})]), errors.BadSpecError,
     ["#0", "InputLayer", "shape", "at least 1, got 0"]),
    ("negative filters", lambda: nc.analyze([IN, conv(num_filters=-2)]),
     errors.BadSpecError, ["#1", "num_filters", "at least 1, got -2"]),
    ("filter larger than input", lambda: nc.analyze(
        [IN, conv(filter_size=17)]), errors.BadShapeError,
     ["#1", "Conv2DLayer", "below 1"]),
    ("output smaller than 1 after pooling", lambda: nc.analyze(
        [IN, conv(filter_size=15), ("MaxPool2DLayer", {"pool_size": 3})]),
     errors.BadShapeError, ["#2", "MaxPool2DLayer"]),
    ("non-numeric kwarg", lambda: nc.analyze([IN, conv(filter_size="3")]),
     errors.CapacityError, ["#1", "Conv2DLayer"]),
    ("NaN filter size", lambda: nc.analyze(
        [IN, conv(filter_size=float("nan"))]), errors.CapacityError,
     ["#1", "Conv2DLayer"]),
    ("wrong number of axes", lambda: nc.analyze(
        [IN, conv(filter_size=(3, 3, 3))]), errors.BadSpecError,
     ["#1", "filter_size", "2 entries"]),
    ("variable input size, legacy", lambda: nc.analyze(
        [("InputLayer", {"shape": (None, 1, None, 16)}), conv()],
        mode="legacy"), errors.BadShapeError, ["#0", "fixed size"]),
    ("variable input size, exact", lambda: nc.analyze(
        [("InputLayer", {"shape": (None, 1, None, 16)}), conv()]),
     errors.BadShapeError, ["#0", "fixed image size"]),
    ("bad mode", lambda: nc.analyze(MNIST_TUTORIAL, mode="fast"),
     errors.BadArgumentError, ["'fast'", "exact, legacy"]),
    ("NaN min_capacity", lambda: nc.analyze(
        MNIST_TUTORIAL, min_capacity=float("nan")), errors.BadArgumentError,
     ["min_capacity", "nan"]),
    ("bad format", lambda: nc.analyze(MNIST_TUTORIAL).render("pdf"),
     errors.BadArgumentError, ["'pdf'", "markdown", "json"]),
    ("bad plot name", lambda: nc.analyze(MNIST_TUTORIAL).plot("x.gif"),
     errors.BadArgumentError, ["x.gif", ".png or .svg"]),
    ("bad PrintLayerInfo mode", lambda: nc.PrintLayerInfo(mode="x"),
     errors.BadArgumentError, ["'x'"]),
]


@pytest.mark.parametrize("call,error,words", [c[1:] for c in CATALOGUE],
                         ids=[c[0] for c in CATALOGUE])
def test_catalogue(call, error, words):
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value)


def test_catalogue_is_big_enough():
    assert len(CATALOGUE) + len(FILE_CASES) >= 25


def cli(*args):
    return subprocess.run([sys.executable, "-m", "nolearn_capacity"] +
                          list(args), capture_output=True, text=True)


FILE_CASES = {
    "invalid.json": ('[["InputLayer", {"shape": [null, 1, 8, 8]}]\n,,]',
                     "invalid JSON at line 2"),
    "invalid.yaml": ("- [InputLayer, {shape: [null, 1, 8, 8]}]\n- [a, b\n",
                     "invalid YAML at line"),
    "empty.json": ("[]", "non-empty list"),
    "shape.json": (json.dumps([["InputLayer", {"shape": [None, 1, 8, 8]}],
                               ["Conv2DLayer", {"num_filters": 1,
                                                "filter_size": 9}]]),
                   "below 1"),
    "ünïcode.json": (json.dumps([["InputLayer", {"shape": [None, 1, 8, 8],
                                                 "name": "entrée"}],
                                 ["Conv2DLayr", {}]]), "Conv2DLayer"),
}


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_cli_file_errors_are_one_line(tmp_path, name):
    pytest.importorskip("yaml") if name.endswith(".yaml") else None
    text, words = FILE_CASES[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.txt"
    done = cli(str(path), "--output", str(out))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("nolearn-capacity: error: ")
    assert done.stderr.count("\n") == 1 and words in done.stderr
    assert not out.exists()   # nothing half-written
    assert os.listdir(tmp_path) == [name]


def test_cli_missing_file_and_directory(tmp_path):
    for target in (str(tmp_path / "missing.json"), str(tmp_path)):
        done = cli(target)
        assert done.returncode == 1 and done.stderr.count("\n") == 1
        assert "Traceback" not in done.stderr


def test_cli_script_errors(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("NET = 3\nraise_later = 1\n")
    done = cli("{}:MISSING".format(script))
    assert done.returncode == 1 and "defines no name 'MISSING'" in \
        done.stderr and "NET" in done.stderr
    done = cli("{}:NET".format(script))
    assert done.returncode == 1 and "int" in done.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("1 / 0\n")
    done = cli("{}:NET".format(broken))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "ZeroDivisionError" in done.stderr
    done = cli("--debug", "{}:NET".format(broken))
    assert "Traceback" in done.stderr


def test_usage_errors_exit_2():
    for args in (["--format", "pdf"], ["--verbose", "7"], ["--bogus"],
                 ["compare", "mnist"]):
        done = cli(*args)
        assert done.returncode == 2 and done.stdout == ""
        # one line, like every other error (argparse would print the usage)
        (line,) = done.stderr.splitlines()
        assert line.startswith("nolearn-capacity") and \
            line.endswith("--help)") and ": error: " in line


def test_non_ascii_names_are_fine():
    report = nc.analyze([("InputLayer", {"shape": (None, 1, 8, 8),
                                         "name": "entrée"}),
                         conv(name="卷积")])
    assert [r.name for r in report.rows] == ["entrée", "卷积"]
    assert "卷积" in nc.get_conv_infos([("InputLayer", {
        "shape": (None, 1, 8, 8)}), conv(name="卷积")])


def test_very_deep_net_has_no_recursion_limit():
    net = [("InputLayer", {"shape": (None, 1, 8, 8)})] + [
        conv(pad="same")] * 5000
    report = nc.analyze(net)
    assert report.rows[-1].field == (10001, 10001)


def test_threads_get_the_same_answers():
    expected = nc.analyze(MNIST_TUTORIAL).to_json()
    results = []

    def work():
        for _ in range(20):
            results.append(nc.analyze(MNIST_TUTORIAL).to_json())
            nc.get_conv_infos(MNIST_TUTORIAL, detailed=True)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 160 and set(results) == {expected}
