"""Bad input, one test per class of failure (issue 8): untyped errors,
misleading errors and false success, resource exhaustion from tiny files.
Each asserts the typed error and its message; CLI cases also the exit
status, one line on stderr and nothing on stdout."""
import itertools
import json
import subprocess
import sys

import pytest

from budget import budget
import nolearn_capacity as nc
from nolearn_capacity import errors, render, specfile
from nolearn_capacity.examples import MNIST_TUTORIAL

IN = ("InputLayer", {"shape": (None, 1, 16, 16)})
CONV = {"num_filters": 2, "filter_size": 3}


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nolearn_capacity"] +
                          [str(a) for a in args], capture_output=True,
                          text=True, cwd=cwd)


def assert_one_line_error(done, *words):
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("nolearn-capacity: error: ")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


class DuckLayer:
    """Looks like a Lasagne layer (get_output_shape_for) and is not one."""

    def get_output_shape_for(self, shape):
        return shape


def report_json(**change):
    data = json.loads(nc.analyze(MNIST_TUTORIAL).to_json())
    data.update(change)
    return json.dumps(data)


def row_json(**change):
    data = json.loads(nc.analyze(MNIST_TUTORIAL).to_json())
    data["rows"][3].update(change)
    return json.dumps(data)


# (id, call, error type, words of the message)
UNTYPED = [
    ("kwargs and class swapped", lambda: nc.analyze(
        [IN, (CONV, "Conv2DLayer")]), errors.BadSpecError,
     ["spec #1", "(kwargs, class)", "'num_filters': 2", "class comes first"]),
    ("incoming is a list", lambda: nc.analyze(
        [IN, ("Conv2DLayer", dict(CONV, incoming=["input0"]))]),
     errors.BadSpecError, ["'conv2d1' (#1, Conv2DLayer)", "['input0']",
                           "one layer name", "incomings"]),
    ("name is a list", lambda: nc.analyze(
        [IN, ("Conv2DLayer", dict(CONV, name=["a"]))]), errors.BadSpecError,
     ["#1, Conv2DLayer", "name should be a string, got ['a']"]),
    ("incomings is an int", lambda: nc.analyze(
        [IN, ("ConcatLayer", {"incomings": 5})]), errors.BadSpecError,
     ["'concat1' (#1, ConcatLayer)", "a list of layer names, got 5"]),
    ("incomings hold a number", lambda: nc.analyze(
        [IN, ("ConcatLayer", {"incomings": ["input0", 3]})]),
     errors.BadSpecError, ["#1, ConcatLayer", "by string, got 3"]),
    ("argument names not strings", lambda: nc.analyze(
        [IN, ("Conv2DLayer", {1: 2, **CONV})]),
     errors.BadSpecError, ["#1, Conv2DLayer", "should be strings, got 1"]),
    ("input shape an int", lambda: nc.analyze(
        [("InputLayer", {"shape": 5})]), errors.BadSpecError,
     ["#0, InputLayer", "shape should be a list of sizes", "got 5"]),
    ("PrintLayerInfo mode unhashable", lambda: nc.PrintLayerInfo(
        mode=["exact"]), errors.BadArgumentError,
     ["mode must be one of exact, legacy, got ['exact']"]),
    ("duck layer without attributes", lambda: nc.analyze([DuckLayer()]),
     errors.UnsupportedLayerError,
     ["<unnamed> (#0, DuckLayer)", "get_params", "expected a Lasagne layer"]),
    ("duck layer without output_shape", lambda: nc.analyze(
        [type("Half", (DuckLayer,), {"name": "h", "get_params":
                                     lambda self, **kw: []})()]),
     errors.UnsupportedLayerError,
     ["'h' (#0, Half)", "output_shape", "expected a Lasagne layer"]),
    ("report JSON not an object", lambda: render.from_json("[1, 2]"),
     errors.BadReportError, ["an object", "got [1, 2]"]),
    ("report JSON not JSON", lambda: render.from_json("{"),
     errors.BadReportError, ["not a JSON report"]),
    ("report JSON not text", lambda: render.from_json(None),
     errors.BadReportError, ["not a JSON report"]),
    ("report JSON missing key", lambda: render.from_json(
        '{"schema_version": 1}'), errors.BadReportError,
     ["has no 'mode'"]),
    ("report JSON rows not a list", lambda: render.from_json(
        report_json(rows=5)), errors.BadReportError,
     ["'rows' should be a list of row objects, got 5"]),
    ("report JSON row missing key", lambda: render.from_json(
        report_json(rows=[{"index": 0}])), errors.BadReportError,
     ["row #0 has no 'name'"]),
    ("report JSON row value of wrong type", lambda: render.from_json(
        row_json(field=["22", 22])), errors.BadReportError,
     ["row #3", "'field' should be a list of numbers", "['22', 22]"]),
    ("report JSON bad mode", lambda: render.from_json(
        report_json(mode=["exact"])), errors.BadReportError,
     ["'mode' should be", "got ['exact']"]),
]


@pytest.mark.parametrize("call,error,words", [c[1:] for c in UNTYPED],
                         ids=[c[0] for c in UNTYPED])
def test_untyped_errors_become_typed(call, error, words):
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value)


FILE_INPUT = [["InputLayer", {"shape": [None, 1, 8, 8]}]]
FILE_CONV = {"num_filters": 2, "filter_size": 3}


@pytest.mark.parametrize("name,text,words", [
    ("swapped.json", json.dumps(FILE_INPUT + [[FILE_CONV, "Conv2DLayer"]]),
     ["spec #1", "class comes first"]),
    ("incoming.json", json.dumps(FILE_INPUT + [
        ["Conv2DLayer", dict(FILE_CONV, incoming=["input0"])]]),
     ["#1, Conv2DLayer", "got ['input0']"]),
    ("incomings.yaml", "- [InputLayer, {shape: [null, 1, 8, 8]}]\n"
                       "- [ConcatLayer, {incomings: 5}]\n",
     ["#1, ConcatLayer", "list of layer names, got 5"]),
    ("keys.yaml", "layers: [[InputLayer, {shape: [null, 1, 8, 8]}]]\n"
                  "1: 2\n", ["keyword 1 should be a string"]),
], ids=["swapped", "incoming list", "incomings int", "keyword not a string"])
def test_cli_untyped_errors_are_one_line(tmp_path, name, text, words):
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    assert_one_line_error(cli(write(tmp_path, name, text)), name, *words)


def test_report_json_reads_back_exactly():
    report = nc.analyze(MNIST_TUTORIAL)
    assert render.from_json(report.to_json()) == report


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# (id, file name, content, words of the message)
MISLEADING_FILES = [
    ("one-element entry", "net.json", '[["InputLayer"]]',
     ["spec #0", "expected a pair", "['InputLayer']", "a list of 1 item"]),
    ("class name in lower case", "net.json", json.dumps(
        [["InputLayer", {"shape": [None, 1, 8, 8]}], ["conv2dlayer", {}]]),
     ["unknown layer class 'conv2dlayer'", "did you mean 'Conv2DLayer'"]),
    ("nolearn's auto-name as class", "net.json", json.dumps(
        [["InputLayer", {"shape": [None, 1, 8, 8]}], ["maxpool2d", {}]]),
     ["unknown layer class 'maxpool2d'", "did you mean 'MaxPool2DLayer'"]),
    ("misspelled nolearn keyword", "net.json", json.dumps(
        {"layers": [["InputLayer", {"shape": [None, 1, 8, 8]}],
                    ["Conv2DLayer", {"num_filters": 2, "filter_size": 3}]],
         "conv2d_1_num_filters": 4}),
     ["keyword 'conv2d_1_num_filters' matches no layer",
      "input0, conv2d1", "did you mean 'conv2d1_num_filters'",
      "Unused kwarg"]),
    ("no layers key", "net.json", json.dumps({"layer": []}),
     ["no 'layers' key", "['layer']"]),
    ("upper-case YAML extension", "NET.YML",
     "- [InputLayer, {shape: [null, 1, 8, 8]}]\n- [Conv2DLayr, {}]\n",
     ["Conv2DLayr", "did you mean 'Conv2DLayer'"]),
]


@pytest.mark.parametrize("name,text,words", [c[1:] for c in MISLEADING_FILES],
                         ids=[c[0] for c in MISLEADING_FILES])
def test_misleading_errors_are_precise(tmp_path, name, text, words):
    path = write(tmp_path, name, text)
    done = cli(path)
    assert_one_line_error(done, *words)
    assert "SpecNet" not in done.stderr


def test_upper_case_json_extension_is_json(tmp_path):
    path = write(tmp_path, "NET.JSON", json.dumps(
        [["InputLayer", {"shape": [None, 1, 8, 8]}],
         ["Conv2DLayer", {"num_filters": 2, "filter_size": 3}]]))
    done = cli(path, "--format", "csv")
    assert done.returncode == 0 and "conv2d1" in done.stdout


def test_neuralnet_options_are_accepted_and_change_nothing(tmp_path):
    layers = [["InputLayer", {"shape": [None, 1, 8, 8]}],
              ["Conv2DLayer", {"num_filters": 2, "filter_size": 3}]]
    plain = nc.analyze(specfile.specs_of(layers)).to_json()
    options = {"max_epochs": 3, "verbose": 1, "update_learning_rate": 0.1,
               "update_momentum": 0.9, "regression": False,
               "objective_l2": 0.001, "more_params": {}}
    assert nc.analyze(specfile.specs_of(
        dict(options, layers=layers))).to_json() == plain
    assert nc.analyze(layers, **options).to_json() == plain
    # more_params holds <layer>_<argument> keywords, as in nolearn
    more = nc.analyze(layers, more_params={"conv2d1_num_filters": 5})
    assert more.rows[1].output_shape == (None, 5, 6, 6)


def test_keywords_for_built_layers_are_refused():
    with pytest.raises(errors.BadArgumentError, match="conv1_num_filters"):
        nc.to_network(_spec_layers(), conv1_num_filters=3)


def _spec_layers():
    from nolearn_capacity.adapters import spec
    return spec.build(MNIST_TUTORIAL)


def test_input_shape_is_the_spec_input_s_shape():
    # the only InputLayer, auto-named input0
    report = nc.analyze([IN, ("Conv2DLayer", CONV)],
                        input_shape=(None, 1, 8, 8))
    assert report.rows[1].output_shape == (None, 2, 6, 6)
    # the layer named 'input': nolearn's own input_shape keyword, the
    # same number either way
    old_style = [("input", "InputLayer"), ("c", "Conv2DLayer")]
    keywords = dict(c_num_filters=2, c_filter_size=3)
    assert nc.analyze(old_style, input_shape=(None, 1, 8, 8),
                      **keywords).rows[1].output_shape == (None, 2, 6, 6)
    spec_file = specfile.specs_of(dict(
        layers=[list(item) for item in old_style],
        input_shape=[None, 1, 10, 10], **keywords))
    assert nc.analyze(spec_file).rows[1].output_shape == (None, 2, 8, 8)
    # analyze's argument wins over the file's keyword
    assert nc.analyze(spec_file, input_shape=(2, 1, 5, 5)).rows[
        1].output_shape == (2, 2, 3, 3)
    # the spec itself is left alone
    assert IN[1]["shape"] == (None, 1, 16, 16)


def test_input_shape_needs_one_input_to_fill():
    two = [("InputLayer", {"shape": (None, 1, 8, 8), "name": "a"}),
           ("InputLayer", {"shape": (None, 1, 8, 8), "name": "b"}),
           ("ElemwiseSumLayer", {"incomings": ["a", "b"]})]
    with pytest.raises(errors.BadArgumentError) as caught:
        nc.analyze(two, input_shape=(None, 1, 4, 4))
    assert "ambiguous" in str(caught.value) and "'a, b'" in str(caught.value)
    assert "a_shape" not in str(caught.value)    # names the form, not a guess
    assert nc.analyze(two, a_shape=(None, 1, 4, 4), b_shape=(
        None, 1, 4, 4)).rows[2].output_shape == (None, 1, 4, 4)


def test_input_shape_must_fit_a_built_net():
    built = nc.to_network(MNIST_TUTORIAL)
    assert nc.to_network(built, input_shape=(7, 1, 28, 28)) is built
    layers = _spec_layers()
    assert nc.to_network(layers, input_shape=(7, 1, 28, 28)).layers[
        0].output_shape == (None, 1, 28, 28)
    with pytest.raises(errors.BadArgumentError) as caught:
        nc.to_network(layers, input_shape=(1, 1, 32, 32))
    assert "(1, 1, 32, 32)" in str(caught.value)
    assert "(None, 1, 28, 28)" in str(caught.value)


def test_cli_input_shape_resizes_a_spec_file(tmp_path):
    path = write(tmp_path, "net.json", json.dumps(
        [["InputLayer", {"shape": [None, 1, 8, 8]}],
         ["Conv2DLayer", {"num_filters": 2, "filter_size": 3}]]))
    done = cli(path, "--input-shape", "1,1,12,12", "--format", "csv")
    assert done.returncode == 0 and "2x10x10" in done.stdout


def test_script_that_exits_while_loaded(tmp_path):
    for code, shown in (("sys.exit(0)", "status 0"), ("sys.exit()",
                                                      "status 0"),
                        ("sys.exit(3)", "status 3"),
                        ("sys.exit('bye')", "status 'bye'")):
        script = write(tmp_path, "net.py", "import sys\n{}\nnet = 1\n"
                       .format(code))
        done = cli("{}:net".format(script))
        assert_one_line_error(done, "net.py", "exited with " + shown,
                              "__main__")


def test_script_missing_an_optional_package(tmp_path):
    try:
        import torch  # noqa: F401
        pytest.skip("torch is installed here")
    except ImportError:
        pass
    script = write(tmp_path, "port.py", "import torch.nn as nn\nnet = 1\n")
    done = cli("{}:net".format(script))
    assert_one_line_error(done, "port.py", "needs 'torch'",
                          "pip install 'nolearn_capacity[torch]'")
    with pytest.raises(errors.MissingDependencyError) as caught:
        from nolearn_capacity import targets
        targets.load("{}:net".format(script))
    assert isinstance(caught.value, ImportError)
    # an unknown module is the script's own business: reported as is
    other = write(tmp_path, "other.py", "import no_such_module_here\n")
    assert_one_line_error(cli("{}:x".format(other)), "ModuleNotFoundError",
                          "no_such_module_here")


# --------------------------------------------------------------------------
# Resource exhaustion from tiny inputs
# --------------------------------------------------------------------------

#: Function calls reading one file below, or refusing an endless iterator,
#: may make: 80000 at most today (a 100000-deep YAML file, read until
#: Python's recursion limit stops the parser), where what they guard
#: against makes one or more per value, level or item: a bomb's 9**9
#: strings, 100000 levels (read through: over 10**6), no end.  (JSON is
#: parsed in C, in one call: its message, not the count, says whether a
#: deep file was read through.)
CALLS = 10 ** 6
#: Function calls refusing deep nesting may make: 60000 today, where
#: building 3000 nested levels makes 510000.
VALUE_CALLS = 2 * 10 ** 5
#: Function calls refusing one huge value may make: 5500 today (its echo
#: visits at most 6 items on each of 3 levels), where walking the 9**5
#: strings of the value makes over 400000, and reprlib's default depth of
#: 6 levels 61000.
ECHO_CALLS = 2 * 10 ** 4
#: Bytes reading a YAML file with aliases may allocate at its peak: 73 kB
#: today, where the bomb once took 4 GB.  (The deep files are read without
#: it: tracemalloc slows PyYAML's parse of them 20-fold.)
PEAK = 2 * 10 ** 6


def alias_bomb():
    """600 bytes standing for 9**9 strings once aliases are expanded."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += ["a{0}: &a{0} [{1}]".format(i, ", ".join(["*a{}".format(i - 1)]
                                                      * 9))
              for i in range(1, 9)]
    lines.append("layers: [[InputLayer, {shape: *a8}]]")
    return "\n".join(lines) + "\n"


# (id, file name, content, words of the message, memory bound)
BOUNDED = [
    ("yaml alias bomb", "bomb.yaml", alias_bomb(),
     ["bomb.yaml", "aliases expand to more than 1000000 values"], PEAK),
    ("recursive yaml alias", "loop.yaml",
     "a: &a [*a]\nlayers: [[InputLayer, {shape: *a}]]\n",
     ["loop.yaml", "refers to a value that contains it"], PEAK),
    ("deep json", "deep.json", "[" * 100000 + "]" * 100000,
     ["deep.json", "nested too deeply"], None),
    ("deep yaml", "deep.yaml", "[" * 100000 + "]" * 100000,
     ["deep.yaml", "nested too deeply"], None),
]


@pytest.mark.parametrize("name,text,words,peak", [c[1:] for c in BOUNDED],
                         ids=[c[0] for c in BOUNDED])
def test_tiny_files_cannot_exhaust_resources(tmp_path, name, text, words,
                                             peak):
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    path = write(tmp_path, name, text)
    assert len(text) < 600 or text.startswith("[")
    with budget(CALLS, "reading a tiny file that stands for billions of "
                "values (a YAML bomb once took 40 s and 4 GB) or 100000 "
                "levels", peak):
        with pytest.raises(errors.BadSpecError) as caught:
            specfile.load(str(path))
    for word in words:
        assert word in str(caught.value)
    done = cli(path)
    assert_one_line_error(done, *words)
    assert len(done.stderr) < 300


def test_aliases_within_the_bound_still_work(tmp_path):
    pytest.importorskip("yaml")
    path = write(tmp_path, "net.yaml",
                 "conv: &conv {num_filters: 2, filter_size: 3}\n"
                 "layers:\n- [InputLayer, {shape: [null, 1, 8, 8]}]\n"
                 "- [Conv2DLayer, *conv]\n- [Conv2DLayer, *conv]\n")
    net = specfile.load(str(path))
    net.keywords.pop("conv")    # an anchor's home is a keyword here
    assert nc.analyze(net).rows[2].output_shape == (None, 2, 4, 4)


def test_huge_values_are_echoed_short():
    # the bomb's shape without YAML: 9**6 strings in nested lists
    nested = ["lol"] * 9
    for _ in range(5):
        nested = [nested] * 9
    with budget(ECHO_CALLS, "walking a huge value to echo it"):
        with pytest.raises(errors.BadSpecError) as caught:
            nc.analyze([("InputLayer", {"shape": nested})])
    assert len(str(caught.value)) < 250


def endless():
    """An iterator without end whose items Python code makes, so that the
    budget counts every item a regression would read."""
    while True:
        yield IN


def test_unbounded_iterables_are_refused():
    with budget(CALLS, "reading an iterator without end"):
        # first: a regression reading iterators through stops here, where
        # itertools.count's items, made in C, would escape the count
        with pytest.raises(errors.NotANetworkError) as caught:
            nc.analyze(endless())
        assert "generator, an iterator without a length" in \
            str(caught.value)
        with pytest.raises(errors.NotANetworkError) as caught:
            nc.analyze(itertools.count())
        assert "count, an iterator without a length: pass a list" in \
            str(caught.value)
        with pytest.raises(errors.NotANetworkError) as caught:
            nc.analyze(range(10 ** 12))    # sized, but stops at item 0
        assert "item #0 is a int" in str(caught.value)
        with pytest.raises(errors.NotANetworkError):
            nc.analyze(layer for layer in _spec_layers())


def test_deeply_nested_sub_networks_are_refused():
    dense = [("InputLayer", {"shape": (None, 3)}),
             ("DenseLayer", {"num_units": 3})]
    net = dense
    for _ in range(3000):
        net = [("InputLayer", {"shape": (None, 2, 3)}),
               ("CustomRecurrentLayer", {"input_to_hidden": net,
                                         "hidden_to_hidden": dense})]
    with budget(VALUE_CALLS, "building 3000 nested sub-networks"):
        with pytest.raises(errors.BadSpecError, match="nest sub-networks too "
                                                      "deeply"):
            nc.analyze(net)
