"""Readable torch tables: rows named by module path and by function, minor
rows folded into the row before, rows grouped by module depth."""
import json
import os
import subprocess
import sys
import warnings

import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import models  # noqa: E402
import nolearn_capacity  # noqa: E402
from nolearn_capacity.report import Report  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x):
        y = self.act(self.conv(x))
        return F.relu(y + x) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(),
                                  nn.Dropout())
        self.blocks = nn.Sequential(Block(), Block())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(torch.flatten(x.mean((2, 3), keepdim=True), 1))


def exact(module, shape=(1, 1, 12, 12)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nolearn_capacity.analyze(module, input_shape=shape,
                                        mode="exact")


def table_rows(text):
    """(index, name, class, params) of each row of the text format."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("---"))
    rows = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        index, name, class_name, _, params = line.split()[:5]
        rows.append((int(index), name, class_name, int(params)))
    return rows


def test_rows_are_named_by_module_path_and_by_function():
    report = exact(Net())
    assert [r.name for r in report.rows] == [
        "x", "stem.0", "stem.1", "stem.2",
        "blocks.0.conv", "blocks.0.act", "blocks.0.add", "blocks.0.relu",
        "blocks.0.add_1",
        "blocks.1.conv", "blocks.1.act", "blocks.1.add", "blocks.1.relu",
        "blocks.1.add_1",
        "mean", "flatten", "head"]
    rows = {r.name: r for r in report.rows}
    assert rows["blocks.1.add"].class_name == "add"
    assert rows["blocks.1.add"].module_path == (
        ("blocks", "Sequential"), ("1", "Block"))
    assert rows["blocks.1.conv"].module_path == rows["blocks.1.add"].\
        module_path
    assert rows["head"].module_path == () and rows["mean"].module_path == ()
    assert [r.name for r in report.rows if r.minor] == [
        "stem.1", "stem.2", "blocks.0.act", "blocks.0.relu", "blocks.1.act",
        "blocks.1.relu", "flatten"]


def test_a_repeated_module_gets_a_counter():
    conv = nn.Conv2d(1, 1, 3, padding=1)
    report = exact(nn.Sequential(conv, conv))
    assert [r.name for r in report.rows] == ["input", "0", "0_1"]


def test_hook_rows_are_named_by_module_path_too():
    outer = nn.Sequential(models.DataDependent(), nn.ReLU())
    report = exact(outer, (1, 1, 12, 12))
    assert [r.name for r in report.rows] == [
        "input", "0.conv1", "0.pool", "0.conv2", "0.bn", "1"]
    assert report.rows[3].module_path == (("0", "DataDependent"),)
    assert [r.minor for r in report.rows] == [False] * 5 + [True]


def test_minor_rows_fold_into_the_row_before():
    report = exact(Net())
    rows = table_rows(report.render("text"))
    assert rows[:3] == [(0, "x", "Input", 0),
                        (1, "stem.0", "Conv2d+ReLU+Dropout", 40),
                        (4, "blocks.0.conv", "Conv2d+ReLU", 148)]
    # the ReLU after the add folds into the add; the flatten into the mean
    assert (6, "blocks.0.add", "add+relu", 0) in rows
    assert (14, "mean", "mean+flatten", 0) in rows
    assert len(rows) == len(report.rows) - 7
    unfolded = table_rows(report.render("text", fold=False))
    assert [r[1] for r in unfolded] == [r.name for r in report.rows]


def test_a_minor_row_that_reads_an_older_row_is_not_folded():
    class Skip(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3, padding=1)

        def forward(self, x):
            return self.conv(x) + F.relu(x)

    rows = table_rows(exact(Skip()).render("text"))
    assert [r[1] for r in rows] == ["x", "conv", "relu", "add"]


def test_depth_groups_rows_by_their_ancestor():
    report = exact(Net())
    by_name = {r.name: r for r in report.rows}
    text = report.render("text", depth=1)
    assert table_rows(text) == [
        (0, "x", "Input", 0), (1, "stem", "Sequential", 40),
        (4, "blocks", "Sequential", 2 * 148), (14, "mean", "mean+flatten", 0),
        (16, "head", "Linear", 10)]
    line = next(line for line in text.splitlines() if " blocks " in line)
    # the blocks' last row's field and jump: three convs of 3
    assert by_name["blocks.1.add_1"].field == (7., 7.)
    assert " 7x7 " in line and " 1x1 " in line
    two = table_rows(report.render("markdown", depth=2, fold=False)
                     .replace("|", " ").replace(" -", " "))
    assert [r[1] for r in two] == [
        "x", "stem.0", "stem.1", "stem.2", "blocks.0", "blocks.1", "mean",
        "flatten", "head"]
    html = report.render("html", depth=1)
    assert html.count("<tr") == 1 + 5


def test_depth_must_be_a_positive_int():
    with pytest.raises(nolearn_capacity.errors.BadArgumentError,
                       match="depth"):
        exact(Net()).render("text", depth=0)


def test_json_keeps_module_paths_and_minor_rows():
    report = exact(Net())
    data = json.loads(report.render("json"))
    rows = {r["name"]: r for r in data["rows"]}
    assert rows["blocks.0.conv"]["module_path"] == [
        ["blocks", "Sequential"], ["0", "Block"]]
    assert rows["stem.1"]["minor"] is True
    assert "minor" not in rows["stem.0"] and "module_path" not in rows["x"]
    again = Report.from_json(report.render("json"))
    assert again.rows == report.rows
    assert again.render("text", depth=1) == report.render("text", depth=1)


def test_json_refuses_a_bad_module_path():
    data = json.loads(exact(Net()).render("json"))
    data["rows"][1]["module_path"] = [["stem"]]
    with pytest.raises(nolearn_capacity.errors.BadReportError,
                       match="module_path"):
        Report.from_dict(data)


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "nolearn_capacity",
         "legacy_examples/mnist_tutorial_torch.py:model",
         "--input-shape", "1,1,28,28", "--mode", "exact", *args],
        capture_output=True, text=True, cwd=REPO)


def test_cli_depth_and_no_fold():
    folded = cli("--format", "text")
    unfolded = cli("--format", "text", "--no-fold")
    assert folded.returncode == unfolded.returncode == 0
    assert len(table_rows(folded.stdout)) < len(table_rows(unfolded.stdout))
    assert "+ReLU" in folded.stdout and "+ReLU" not in unfolded.stdout
    grouped = cli("--format", "markdown", "--depth", "1")
    assert grouped.returncode == 0, grouped.stderr


@pytest.mark.parametrize("args", [("--format", "csv", "--depth", "1"),
                                  ("--no-fold",),
                                  ("--format", "text", "--depth", "0")])
def test_cli_refuses_table_options_elsewhere(args):
    done = cli(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert "depth" in done.stderr or "fold" in done.stderr


class Keeper(nn.Module):
    """A forward that writes to its containers, a hook that is a method."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.seen, self.sizes = [], {}
        self.conv.register_forward_hook(self.note)

    def note(self, module, inputs, output):
        self.sizes[len(self.sizes)] = tuple(output.shape)

    def forward(self, x):
        self.seen.append(1)
        return self.conv(x)


def test_the_structure_copy_leaves_the_module_alone():
    module = Keeper()
    weight = module.conv.weight.detach().clone()
    report = exact(module, (1, 1, 8, 8))
    assert [r.name for r in report.rows] == ["x", "conv"]
    assert module.seen == [] and module.sizes == {}
    assert len(module.conv._forward_hooks) == 1
    assert not module.conv.weight.is_meta
    assert torch.equal(module.conv.weight, weight)
    module(torch.zeros(1, 1, 8, 8))
    assert module.seen == [1] and module.sizes == {0: (1, 2, 6, 6)}
