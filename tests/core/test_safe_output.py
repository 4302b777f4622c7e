"""What we print is safe: hostile names cannot drive a terminal, forge
table rows or break a plot; errors are one printable line."""
import csv
import io
import json
import os
import re
import subprocess
import sys

import pytest

import nolearn_capacity as nc
from nolearn_capacity import cli, errors, plain, render
from nolearn_capacity.compare import compare
from nolearn_capacity.handlers import layer_info_text

#: Names that clear the screen, ring, return, break a line, split a
#: markdown cell (also after a backslash), and start matplotlib mathtext
#: (valid and invalid).
HOSTILE = ["\x1b[2J", "\x07", "\r", "a\nb", "x|y", "c\\|d", "$x^2$",
           "$x^$"]
#: How every human-readable format shows them.
SHOWN = ["\\x1b[2J", "\\x07", "\\r", "a\\nb", "x|y", "c\\|d", "$x^2$",
         "$x^$"]
BENIGN = ["n{}".format(i) for i in range(len(HOSTILE))]


def specs(names):
    kinds = [("InputLayer", {"shape": (None, 1, 28, 28)}),
             ("Conv2DLayer", {"num_filters": 2, "filter_size": 3}),
             ("MaxPool2DLayer", {"pool_size": 2}),
             ("Conv2DLayer", {"num_filters": 2, "filter_size": 3}),
             ("Conv2DLayer", {"num_filters": 2, "filter_size": 3}),
             ("DenseLayer", {"num_units": 5}),
             ("DenseLayer", {"num_units": 4}),
             ("DenseLayer", {"num_units": 3})]
    return [(cls, dict(kw, name=name)) for (cls, kw), name in
            zip(kinds, names)]


def hostile_report(mode):
    """The hostile net, with a hostile class name and warning too (the
    spec reader refuses such classes; torch modules and duck-typed layers
    can bring them)."""
    report = nc.analyze(specs(HOSTILE), mode=mode)
    report.rows[1] = plain.replace(report.rows[1],
                                         class_name="Conv\x1b]0;t\x07")
    report.warnings = ["raw \x1b[31mred\r\nforged line"]
    return report


def benign_report(mode):
    report = nc.analyze(specs(BENIGN), mode=mode)
    report.warnings = ["one line"]
    return report


def nolearn_layout(net, mode, verbose, color=False):
    return layer_info_text(nc.to_network(net, complete=(mode == "exact")),
                           verbose, mode, color=color)


def printable_lines(text):
    return all(line.isprintable() for line in text.split("\n"))


#: A markdown cell and the pipe that ends it (``\\`` and ``\|`` escaped).
MARKDOWN_CELL = re.compile(r"((?:\\.|[^|\\])*)\|")


def markdown_escaped(text):
    return text.replace("\\", "\\\\").replace("|", "\\|")


def names_in(fmt, text):
    """The name column of each data row, as a reader of ``fmt`` sees it."""
    if fmt == "csv":
        return [row["name"] for row in csv.DictReader(io.StringIO(text))]
    if fmt == "html":
        return [re.findall(r"<td>(.*?)</td>", row)[1]
                for row in re.findall(r"<tr class=.*?</tr>", text)]
    if fmt == "markdown":
        return [MARKDOWN_CELL.findall(line)[2].strip()
                for line in text.splitlines()[2:] if line.startswith("|")]
    rows = text[text.index("\n---"):].split("\n\n")[0].splitlines()[2:]
    column = 1 if fmt in ("text", "plain") else 0
    return [row.split()[column] for row in rows]


@pytest.mark.parametrize("mode", ["legacy", "exact"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "csv", "html",
                                 "nolearn", "plain", "detailed"])
def test_hostile_names_are_escaped_in_every_format(fmt, mode):
    if fmt in ("nolearn", "plain", "detailed"):
        verbose = {"plain": 1, "nolearn": 2, "detailed": 3}[fmt]
        text = nolearn_layout(specs(HOSTILE), mode, verbose)
        twin = nolearn_layout(specs(BENIGN), mode, verbose)
        fmt = "plain" if fmt == "plain" else "nolearn"
    else:
        text = hostile_report(mode).render(fmt)
        twin = benign_report(mode).render(fmt)
    assert printable_lines(text)
    assert len(text.splitlines()) == len(twin.splitlines())
    cell = str
    if fmt == "markdown":
        cell = markdown_escaped
        cells = {len(MARKDOWN_CELL.findall(line))
                 for line in text.splitlines() if line.startswith("|")}
        assert cells == {17}        # 16 columns on every line
    assert names_in(fmt, text) == [cell(name) for name in SHOWN]
    if fmt in ("text", "markdown", "html"):
        assert cell("Conv\\x1b]0;t\\x07") in text
        assert "raw \\x1b[31mred\\r\\nforged line" in text


def test_colours_paint_escaped_names():
    net = specs(HOSTILE)
    net[4][1].update(filter_size=13, pad="full")   # coverage over 100 %
    text = nolearn_layout(net, "exact", 2, color=True)
    assert "\n\x1b[36mx|y\x1b[0m " in text
    assert printable_lines(re.sub(r"\x1b\[(?:3[156]|0)m", "", text))


@pytest.mark.parametrize("mode", ["legacy", "exact"])
def test_json_keeps_names_exactly(mode):
    report = hostile_report(mode)
    text = report.to_json()
    assert printable_lines(text)                 # JSON escapes them itself
    assert [r["name"] for r in json.loads(text)["rows"]] == HOSTILE
    assert render.from_json(text) == report


def test_compare_escapes_names():
    result = compare(specs(HOSTILE), specs(HOSTILE[:-1] + ["other\x1b[2J"]))
    text = result.render()
    assert printable_lines(text)
    assert "\\x1b[2J" in text and "a\\nb" in text
    twin = compare(specs(BENIGN), specs(BENIGN))
    # Same rows; the difference list only adds its own lines.
    table = text.split("\n\n")[1]
    assert len(table.splitlines()) == len(twin.render().split("\n\n")[1]
                                          .splitlines())


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_draws_names_as_plain_text(tmp_path, suffix):
    pytest.importorskip("matplotlib")
    path = str(tmp_path / "names.{}".format(suffix))
    # '$x^$' is not valid mathtext: matplotlib would abort on it.
    assert nc.analyze(specs(HOSTILE)).plot(path) == path
    assert os.path.getsize(path) > 1000
    assert os.listdir(str(tmp_path)) == [os.path.basename(path)]


@pytest.mark.parametrize("value", [None, 3, b"p.png", ""])
def test_plot_needs_a_file_name(value):
    with pytest.raises(errors.BadArgumentError,
                       match="plot file: expected a file name .* got "):
        nc.analyze(specs(BENIGN)).plot(value)


# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------

def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "nolearn_capacity"] +
                          list(args), capture_output=True, text=True, **kw)


def spec_file(tmp_path, net, name="net.json"):
    path = tmp_path / name
    path.write_text(json.dumps(net))
    return path


@pytest.mark.parametrize("case", ["hostile name", "hostile path",
                                  "several problems"])
def test_cli_errors_are_one_printable_line(tmp_path, case):
    if case == "hostile name":
        net = specs(["in", "\x1b]0;pwned\x07\nforged"])[:2]
        net[1][1]["filter_size"] = 99
        target = str(spec_file(tmp_path, net))
        want = "layer '\\x1b]0;pwned\\x07\\nforged' (#1, Conv2DLayer)"
    elif case == "hostile path":
        target = str(tmp_path / "net\x1b[2J\r.json")
        want = "net\\x1b[2J\\r.json"
    else:
        # The core env has no Theano: the legacy stack's error lists
        # several problems, one per line.
        script = tmp_path / "legacy.py"
        script.write_text("import lasagne\nnet = None\n")
        target = str(script) + ":net"
        want = ("UnsupportedLegacyStack: cannot enable the legacy stack "
                "(Theano + Lasagne + nolearn): ")
    done = run(target)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("nolearn-capacity: error: ")
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n")
    assert done.stderr[:-1].isprintable()
    assert want in done.stderr
    if case == "several problems":
        assert "; Theano is not installed" in done.stderr
        assert ":;" not in done.stderr


def test_cli_warnings_are_one_printable_line(tmp_path):
    script = tmp_path / "warns.py"
    script.write_text(
        "import warnings\n"
        "warnings.warn('\\x1b]0;title\\x07\\nsecond line')\n"
        "net = {!r}\n".format(specs(list("ab"))[:2]))
    done = run(str(script) + ":net")
    assert done.returncode == 0 and "# Neural Network" in done.stdout
    assert done.stderr == ("nolearn-capacity: warning: \\x1b]0;title\\x07; "
                           "second line\n")


def test_one_line_joins_lines():
    error = RuntimeError("cannot do it:\n  first\n  second\n\n  third\x07")
    assert cli.one_line(error) == \
        "RuntimeError: cannot do it: first; second; third\\x07"
    assert cli.one_line(errors.BadSpecError("x")) == "x"


@pytest.mark.parametrize("mode", [["exact"], None, "EXACT"])
def test_print_layer_info_checks_its_mode(mode):
    with pytest.raises(errors.BadArgumentError) as caught:
        nc.PrintLayerInfo(mode=mode)
    assert str(caught.value) == \
        "mode must be one of exact, legacy, got {!r}".format(mode)


def test_none_size_in_the_nolearn_layout(tmp_path):
    net = [("InputLayer", {"shape": (None, 1, 28, 28)}),
           ("Conv2DLayer", {"num_filters": 2, "filter_size": 3}),
           ("InputLayer", {"shape": (None, None, 28, 28), "name": "x"})]
    for mode in ("legacy", "exact"):
        with pytest.raises(errors.BadShapeError) as caught:
            nolearn_layout(net, mode, 2)
        assert str(caught.value).startswith(
            "layer 'x' (#2, InputLayer): nolearn's layout counts the units "
            "of every output, so it needs fixed sizes after the batch axis, "
            "got output shape (None, None, 28, 28)")
    done = run(str(spec_file(tmp_path, net)), "--mode", "exact")
    assert done.returncode == 1 and done.stdout == ""
    assert "layer 'x' (#2, InputLayer)" in done.stderr
    # The report formats show the size.
    done = run(str(spec_file(tmp_path, net)), "--format", "text")
    assert done.returncode == 0 and "Nonex28x28" in done.stdout


def test_legend_states_the_threshold():
    net = specs(BENIGN)
    assert "name *:  capacity too low (<1/6)\n" in run().stdout
    text = run("--min-capacity", "60").stdout
    assert "name *:  capacity too low (<60%)\n" in text
    assert "<1/6" not in text
    coloured = layer_info_text(nc.to_network(net), 2, "legacy", 12.5, True)
    assert "\x1b[35mmagenta\x1b[0m: capacity too low (<12.5%)" in coloured
