"""Benchmark: nolearn_capacity's drop-in against nolearn 0.6.1, one run.

Run in the legacy environment (`tox -e legacy --notest` builds one, or
`pip install ".[legacy]"`):  python bench/bench_dropin.py
Prints one table: median seconds over repeats, and the ratio ours/original.
Not a test: figures go to docs/benchmarks.md.
"""
import statistics
import subprocess
import sys
import time

from nolearn_capacity import compat

compat.enable()

import lasagne.layers as L                      # noqa: E402
import nolearn.lasagne.util as original         # noqa: E402
from tabulate import tabulate                   # noqa: E402

import nolearn_capacity.util as ours            # noqa: E402


class Net(object):
    """What get_conv_infos reads from a NeuralNet."""

    def __init__(self, layers):
        from nolearn.lasagne.base import Layers
        self.layers_ = Layers((str(i), l) for i, l in enumerate(layers))


def sequential(n_layers):
    """conv/pool stack of n_layers Lasagne layers ('same' convs, a pool
    every 8 layers while the image allows)."""
    layer = L.InputLayer((None, 1, 64, 64))
    layers = [layer]
    for i in range(1, n_layers):
        if i % 8 == 0 and layer.output_shape[2] >= 2:
            layer = L.MaxPool2DLayer(layer, 2)
        else:
            layer = L.Conv2DLayer(layer, 1, 3, pad="same")
        layers.append(layer)
    return Net(layers)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_time(module):
    code = ("import time; t = time.perf_counter(); "
            "from nolearn_capacity import compat; compat.enable(); "
            if module != "nolearn_capacity" else
            "import time; t = time.perf_counter(); ")
    code += "import {}; print(time.perf_counter() - t)".format(module)
    runs = [float(subprocess.check_output([sys.executable, "-c", code],
                                          stderr=subprocess.DEVNULL))
            for _ in range(5)]
    return statistics.median(runs)


def rows():
    """Table rows: [what, ours, original, ours / original]."""
    rows = []
    ours_import = import_time("nolearn_capacity")
    theirs_import = import_time("nolearn.lasagne")
    rows.append(["import nolearn_capacity vs nolearn.lasagne", ours_import,
                 theirs_import, ours_import / theirs_import])
    for n in (12, 100, 1000):
        net = sequential(n)
        repeats = 50 if n < 1000 else 7
        mine = median_time(lambda: ours.get_conv_infos(net, detailed=True),
                           repeats)
        theirs = median_time(
            lambda: original.get_conv_infos(net, detailed=True), repeats)
        assert ours.get_conv_infos(net, detailed=True) == \
            original.get_conv_infos(net, detailed=True)
        rows.append(["get_conv_infos, {} layers".format(n), mine, theirs,
                     mine / theirs])
    return rows


def main():
    print(tabulate(rows(), ["what", "ours (s)", "original (s)", "ratio"],
                   floatfmt=".4g"))


if __name__ == "__main__":
    main()
