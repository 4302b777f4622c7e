"""The PyTorch ports of legacy_examples/ against the examples' spec files.

tests/legacy/test_examples.py checks spec file == original net (Theano,
Lasagne, nolearn); here spec file == port (no Lasagne in this
environment): together, original == port.  A port with one wrong padding
must make ``nolearn-capacity compare`` fail and name the layer.
"""
import copy
import os
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402

from nolearn_capacity import targets  # noqa: E402
from nolearn_capacity.adapters import to_network  # noqa: E402
from nolearn_capacity.compare import compare  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "legacy_examples"

#: example -> (spec file, port); the port defines ``model``, ``INPUT_SHAPE``
EXAMPLES = {
    "mnist_tutorial": ("mnist_tutorial.json", "mnist_tutorial_torch.py"),
    "facial_keypoints": ("facial_keypoints.yaml",
                         "facial_keypoints_torch.py"),
    "diabetic_retinopathy": ("diabetic_retinopathy.json",
                             "diabetic_retinopathy_torch.py"),
    "vgg16": ("vgg16.json", "vgg16_torch.py"),
}

#: example -> (which conv of the port, 0-based; its wrong padding): one
#: that keeps every later size, so that the wrong port still runs
WRONG_PADDING = {
    "mnist_tutorial": (0, 1),
    "facial_keypoints": (0, 1),
    "diabetic_retinopathy": (12, 2),
    "vgg16": (0, 2),
}

#: Legacy mode (nolearn 0.6.1's walk) ends at the first layer that is
#: neither conv nor max-pool; a port's separate activation modules (nn.ReLU
#: after each nn.Conv2d; Lasagne folds the nonlinearity into the conv) end
#: it after the first conv, so no port with activations compares equal.
_ports = {}


def port(name):
    """(model, input shape) of an example's port, loaded once."""
    if name not in _ports:
        namespace = runpy.run_path(str(EXAMPLES_DIR / EXAMPLES[name][1]))
        _ports[name] = namespace["model"], namespace["INPUT_SHAPE"]
    return _ports[name]


def spec_path(name):
    path = EXAMPLES_DIR / EXAMPLES[name][0]
    if path.suffix == ".yaml":
        pytest.importorskip("yaml")
    return path


def run_cli(*args):
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return subprocess.run(
        [sys.executable, "-m", "nolearn_capacity"] + [str(a) for a in args],
        cwd=str(REPO), env=environment, capture_output=True, text=True,
        timeout=600)


def shape_argument(shape):
    return ",".join(str(n) for n in shape)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_port_is_its_spec_file_exactly(name):
    model, shape = port(name)
    result = compare(targets.load(str(spec_path(name))), model, mode="exact",
                     input_shape_b=shape)
    assert result.equivalent, result.render()
    assert len(result.pairs) > 3


#: Legacy tables differ for VGG-16 by design: the zoo pools with Lasagne's
#: Pool2DLayer, which nolearn does not count as max-pooling, while a
#: torch nn.MaxPool2d counts as its MaxPool2DLayer.
VGG_POOLS = "Pool2DLayer is not a max-pool for nolearn, nn.MaxPool2d is"


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True,
                                               reason=VGG_POOLS))
    if name == "vgg16" else name for name in sorted(EXAMPLES)])
def test_port_is_its_spec_file_in_legacy_mode(name):
    model, shape = port(name)
    result = compare(targets.load(str(spec_path(name))), model,
                     mode="legacy", input_shape_b=shape)
    assert result.equivalent, result.render()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_cli_compare_says_equivalent(name):
    _, shape = port(name)
    result = run_cli("compare", spec_path(name).relative_to(REPO),
                     Path("legacy_examples") / (EXAMPLES[name][1] + ":model"),
                     "--input-shape", shape_argument(shape))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "equivalent:" in result.stdout


def wrong_port_script(name, directory):
    """A script whose ``model`` is the port with one conv's padding
    changed (untied biases follow the conv's new output size)."""
    index, padding = WRONG_PADDING[name]
    path = directory / "wrong_{}.py".format(name)
    path.write_text(textwrap.dedent("""
        import copy, runpy
        import torch.nn as nn
        import torch.nn.functional as F

        port = runpy.run_path({port!r})
        model = copy.deepcopy(port["model"])
        conv = [m for m in model.modules() if isinstance(m, nn.Conv2d)][{i}]
        grow = {p} - conv.padding[0]
        conv.padding = ({p}, {p})
        if hasattr(conv, "untied_bias"):
            conv.untied_bias = nn.Parameter(
                F.pad(conv.untied_bias.data, (grow,) * 4))
        """).format(port=str(EXAMPLES_DIR / EXAMPLES[name][1]), i=index,
                    p=padding))
    return path


def spec_conv_name(name, index):
    network = to_network(targets.load(str(spec_path(name))), complete=False)
    convs = [r.name for r in network.layers if r.legacy_role == "conv"]
    return convs[index]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_cli_compare_names_a_wrong_padding(name, tmp_path):
    _, shape = port(name)
    script = wrong_port_script(name, tmp_path)
    result = run_cli("compare", spec_path(name).relative_to(REPO),
                     "{}:model".format(script), "--input-shape",
                     shape_argument(shape))
    assert result.returncode == 1, result.stdout + result.stderr
    layer = "layer '{}'".format(spec_conv_name(name, WRONG_PADDING[name][0]))
    wrong = [line for line in result.stdout.splitlines()
             if line.strip().startswith(layer)]
    assert any(": pad " in line for line in wrong), result.stdout


def test_wrong_port_in_process_differs_in_padding_first():
    model, shape = port("mnist_tutorial")
    wrong = copy.deepcopy(model)
    wrong[0].padding = (1, 1)
    result = compare(targets.load(str(spec_path("mnist_tutorial"))), wrong,
                     input_shape_b=shape)
    assert not result.equivalent
    first = result.differences[0]
    assert first.a.startswith("layer 'conv2d1'")
    assert {d.aspect for d in result.differences
            if d.a.startswith("layer 'conv2d1'")} >= {"size", "pad"}


def test_ports_are_plain_torch_modules():
    for name in EXAMPLES:
        model, shape = port(name)
        assert isinstance(model, nn.Module)
        with torch.no_grad():
            out = model.eval()(torch.zeros(shape))
        assert out.shape[0] == shape[0]
