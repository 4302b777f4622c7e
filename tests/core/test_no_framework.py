"""The core imports no framework; analysis never changes its input."""
import copy
import subprocess
import sys

from nolearn_capacity import analyze, get_conv_infos
from nolearn_capacity.examples import MNIST_TUTORIAL

FRAMEWORKS = ("theano", "lasagne", "nolearn", "torch", "matplotlib", "yaml",
              "sklearn")


def test_import_and_analysis_load_no_framework():
    code = ("import sys, nolearn_capacity as nc\n"
            "from nolearn_capacity.examples import MNIST_TUTORIAL\n"
            "nc.analyze(MNIST_TUTORIAL); nc.get_conv_infos(MNIST_TUTORIAL)\n"
            "print([m for m in {!r} if m in sys.modules])".format(FRAMEWORKS))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def test_specs_are_not_modified():
    before = copy.deepcopy(MNIST_TUTORIAL)
    analyze(MNIST_TUTORIAL)
    get_conv_infos(MNIST_TUTORIAL, detailed=True)
    assert MNIST_TUTORIAL == before
