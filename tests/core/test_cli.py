"""The command line, as a user runs it (subprocesses, no Theano)."""
import json
import os
import subprocess
import sys

import pytest

from nolearn_capacity import cli

#: The table of the seed post (nolearn's MNIST tutorial net), shared with
#: the legacy tests.
with open(os.path.join(os.path.dirname(__file__), "..", "seed_table.txt"),
          encoding="utf-8") as _f:
    SEED_TABLE = _f.read()


def run(*args, env=None):
    full_env = dict(os.environ, **(env or {}))
    for key in ("NO_COLOR", "FORCE_COLOR"):
        if env is None or key not in env:
            full_env.pop(key, None)
    return subprocess.run([sys.executable, "-m", "nolearn_capacity"] +
                          list(args), capture_output=True, text=True,
                          env=full_env)


def test_default_prints_the_seed_table():
    done = run()
    assert done.returncode == 0
    assert done.stdout.startswith(
        "# Neural Network with 122154 learnable parameters\n\n"
        "## Layer information\n\n")
    assert SEED_TABLE in done.stdout
    assert "\033[" not in done.stdout   # a pipe is not a terminal
    assert done.stdout.rstrip().endswith(
        "differ from nolearn's on 11 of 12 rows; see them with --mode exact")


def test_verbose_levels():
    plain = run("--verbose", "1").stdout
    assert "#  name        size" in plain and "cap.Y" not in plain
    detailed = run("--verbose", "3").stdout
    assert "filter Y    filter X    field Y    field X" in detailed
    assert "conv2d6     96x2x2        384    63.16    63.16    67.86    " \
        "67.86          12          12         19         19" in detailed


def test_exact_mode_numbers():
    out = run("--mode", "exact", "--verbose", "3").stdout
    # 3x3 conv, pool 2, two 3x3 convs, pool 2, 3x3 conv on 28x28: 22 px.
    assert "conv2d6     96x2x2        384    54.55    54.55    78.57    " \
        "78.57          12          12         22         22" in out
    assert "note:" not in out


@pytest.mark.parametrize("args,env", [
    (["--color"], {"NO_COLOR": "1"}),
    ([], {"FORCE_COLOR": "1"}),
])
def test_colour_can_be_forced(args, env):
    assert "\033[35mmagenta\033[0m" in run(*args, env=env).stdout


@pytest.mark.parametrize("args,env", [
    (["--no-color"], {"FORCE_COLOR": "1"}),
    ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}),
])
def test_colour_can_be_removed(args, env):
    assert "\033[" not in run(*args, env=env).stdout


def test_colour_rules_without_subprocess(monkeypatch):
    class Tty(object):
        def isatty(self):
            return True
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    assert cli.use_colour(None, Tty()) is True        # a terminal
    assert cli.use_colour(None, None) is False        # not a terminal
    assert cli.use_colour(False, Tty()) is False      # the flags win
    assert cli.use_colour(True, None) is True
    monkeypatch.setenv("TERM", "dumb")
    assert cli.use_colour(None, Tty()) is False
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli.use_colour(None, None) is True         # before TERM
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.use_colour(None, Tty()) is False       # before FORCE_COLOR


def test_errors_are_one_line_and_exit_1(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[["InputLayer", {"shape": [null, 1, 8, 8]}],\n'
                   ' ["Conv2DLayr", {"num_filters": 2, "filter_size": 3}]]')
    done = run(str(bad))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "Conv2DLayr" in done.stderr and "Conv2DLayer" in done.stderr
    assert "#1" in done.stderr


def test_invalid_json_names_the_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[\n["InputLayer", {"shape": [null, 1, 8, 8]}\n')
    done = run(str(bad))
    assert done.returncode == 1 and "line 3" in done.stderr


def test_usage_errors_exit_2():
    done = run("--mode", "wrong")
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_spec_file_and_output_file(tmp_path):
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({
        "layers": [["input", "InputLayer"], ["conv", "Conv2DLayer"],
                   ["pool", "MaxPool2DLayer"]],
        "input_shape": [None, 1, 10, 10], "conv_num_filters": 4,
        "conv_filter_size": 3, "pool_pool_size": 2}))
    out = tmp_path / "table.txt"
    done = run(str(spec), "--output", str(out))
    assert done.returncode == 0 and done.stdout == ""
    text = out.read_text()
    assert "# Neural Network with 40 learnable parameters" in text
    assert "pool    4x4x4         64   100.00   100.00    30.00    30.00" \
        in text


def test_readme_shows_what_the_cli_prints():
    readme = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    block = text.split("as printed by `nolearn-capacity`\n\n```\n", 1)[1]
    assert block.split("```", 1)[0] == run().stdout
    # The README starts with exactly the two set-up commands.
    assert text.split("```\n")[1] == \
        "pip install . && nolearn-capacity\npip install tox && tox\n"
