"""The generated ports in legacy_examples/: up to date, standalone,
numerically equal to the 2015 nets, and equivalent to the hand-written
ports (an independent check through compare).

Regenerate them with

    nolearn-capacity port legacy_examples/SCRIPT:NAME \\
        -o legacy_examples/EXAMPLE_port.py
"""
import ast
import io
import os
import py_compile
import runpy
from pathlib import Path

import pytest

from nolearn_capacity import cli, targets
from nolearn_capacity.compare import compare
from nolearn_capacity.port import check, to_torch

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "legacy_examples"

#: generated port -> (the target it was generated from, hand-written port)
PORTS = {
    "mnist_tutorial_port.py": ("train_mnist_tutorial.py:layers0",
                               "mnist_tutorial_torch.py"),
    "facial_keypoints_port.py": ("facial_keypoints.py:net",
                                 "facial_keypoints_torch.py"),
    "diabetic_retinopathy_port.py": ("diabetic_retinopathy.py:net",
                                     "diabetic_retinopathy_torch.py"),
    "vgg16_port.py": ("vgg16.py:net", "vgg16_torch.py"),
}


def _target(name):
    return "legacy_examples/" + PORTS[name][0]


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize("name", sorted(PORTS))
def test_generated_port_is_up_to_date(name):
    port = to_torch(targets.load(_target(name)), title=_target(name))
    assert (EXAMPLES / name).read_text() == port.source


@pytest.mark.parametrize("name", sorted(PORTS))
def test_generated_port_is_standalone(name, tmp_path):
    path = EXAMPLES / name
    py_compile.compile(str(path), cfile=str(tmp_path / "x.pyc"),
                       doraise=True)
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported == {"torch"}


@pytest.mark.parametrize("name", sorted(PORTS))
def test_generated_port_equals_the_hand_written_one(name):
    generated = check.describe_helpers(
        runpy.run_path(str(EXAMPLES / name))["model"])
    hand = runpy.run_path(str(EXAMPLES / PORTS[name][1]))
    shape = hand["INPUT_SHAPE"]
    result = compare(hand["model"], generated, "exact", shape, shape)
    assert result.equivalent, result.render()


@pytest.mark.parametrize("name", ["mnist_tutorial_port.py",
                                  "facial_keypoints_port.py",
                                  "diabetic_retinopathy_port.py"])
def test_port_check_passes(name, tmp_path):
    """``port --check`` on the 2015 scripts (VGG-16 needs 4.7 GB and 40 s:
    set NOLEARN_CAPACITY_BIG=1 to include it)."""
    out = io.StringIO()
    status = cli.main(["port", _target(name), "-o",
                       str(tmp_path / name), "--check"], stdout=out)
    text = out.getvalue()
    assert status == 0, text
    assert "check passed" in text and "FAILED" not in text
    assert "equivalent:" in text


@pytest.mark.skipif(not os.environ.get("NOLEARN_CAPACITY_BIG"),
                    reason="VGG-16: 4.7 GB and 40 s; NOLEARN_CAPACITY_BIG=1")
def test_vgg16_check_passes(tmp_path):
    out = io.StringIO()
    status = cli.main(["port", _target("vgg16_port.py"), "-o",
                       str(tmp_path / "vgg.py"), "--check"], stdout=out)
    assert status == 0, out.getvalue()


def test_a_wrong_port_fails_the_check():
    """The check is not vacuous: average pooling where the original takes
    the maximum is reported, with the output layer's name."""
    obj = targets.load(_target("mnist_tutorial_port.py"))
    port = to_torch(obj)
    wrong = port.source.replace("self.maxpool2d5 = nn.MaxPool2d(2)",
                                "self.maxpool2d5 = nn.AvgPool2d(2)")
    assert wrong != port.source
    port.source = wrong
    text, passed = check.run_check(obj, port, weights_given=False)
    assert not passed
    assert "dense11: shape (2, 10)" in text and "FAILED" in text
