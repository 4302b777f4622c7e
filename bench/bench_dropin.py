"""Benchmark: nolearn_capacity's drop-in against nolearn 0.6.1, one run.

Run in the legacy environment (`tox -e legacy --notest` builds one, or
`pip install ".[legacy]"`):  python bench/bench_dropin.py
Prints one table: median seconds over repeats, and the ratio ours/original.
Ours and the original take turns, so that other work on the machine slows
both alike.  Not a test: figures go to docs/benchmarks.md.
"""
import os
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

#: The original's whole process, as a 2015 script prints nolearn's table
#: for its MNIST tutorial net (today's Python needs the compat bridge).
ORIGINAL_SCRIPT = """
from nolearn_capacity import compat
compat.enable()
from lasagne.layers import (Conv2DLayer, DenseLayer, DropoutLayer,
                            InputLayer, MaxPool2DLayer)
from lasagne.nonlinearities import softmax
from nolearn.lasagne import NeuralNet
from nolearn.lasagne.handlers import PrintLayerInfo
layers0 = [
    (InputLayer, {'shape': (None, 1, 28, 28)}),
    (Conv2DLayer, {'num_filters': 32, 'filter_size': (3, 3)}),
    (MaxPool2DLayer, {'pool_size': (2, 2)}),
    (Conv2DLayer, {'num_filters': 64, 'filter_size': (3, 3)}),
    (Conv2DLayer, {'num_filters': 64, 'filter_size': (3, 3)}),
    (MaxPool2DLayer, {'pool_size': (2, 2)}),
    (Conv2DLayer, {'num_filters': 96, 'filter_size': (3, 3)}),
    (MaxPool2DLayer, {'pool_size': (2, 2)}),
    (DenseLayer, {'num_units': 64}),
    (DropoutLayer, {}),
    (DenseLayer, {'num_units': 64}),
    (DenseLayer, {'num_units': 10, 'nonlinearity': softmax}),
]
net0 = NeuralNet(layers=layers0, update_learning_rate=0.01, verbose=2)
net0.initialize_layers()
PrintLayerInfo()(net0)
"""


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


def median_times(fns, repeats):
    """Median seconds of each function, the functions taking turns."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, seen in zip(fns, times):
            start = time.perf_counter()
            fn()
            seen.append(time.perf_counter() - start)
    return [statistics.median(seen) for seen in times]


def _environment():
    # Installed packages run from bytecode; give our checkout the same
    # (the first run of each command below writes it).
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _seconds_printed(code):
    return float(subprocess.check_output(
        [sys.executable, "-c", code], env=_environment(),
        stderr=subprocess.DEVNULL))


def _seconds_run(argv):
    start = time.perf_counter()
    subprocess.run(argv, env=_environment(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def process_times(jobs, repeats=7):
    """Median seconds of each job (a function of no argument returning
    seconds), after one warm-up run each, the jobs taking turns."""
    for job in jobs:
        job()
    times = [[] for _ in jobs]
    for _ in range(repeats):
        for job, seen in zip(jobs, times):
            seen.append(job())
    return [statistics.median(seen) for seen in times]


def import_times():
    """``import nolearn_capacity`` in a fresh interpreter, against ``import
    nolearn.lasagne`` once the compat bridge is in place (the bridge is
    ours, not the original's)."""
    timed = "import time; t = time.perf_counter(); import {}; " \
            "print(time.perf_counter() - t)"
    return process_times([
        lambda: _seconds_printed(timed.format("nolearn_capacity")),
        lambda: _seconds_printed(
            "from nolearn_capacity import compat; compat.enable(); " +
            timed.format("nolearn.lasagne"))], repeats=11)


def cli_times():
    """Whole processes: ``nolearn-capacity`` with no argument against a
    script that prints nolearn's table for the same net."""
    return process_times([
        lambda: _seconds_run([sys.executable, "-m", "nolearn_capacity"]),
        lambda: _seconds_run([sys.executable, "-c", ORIGINAL_SCRIPT])])


def rows():
    """Table rows: [what, ours, original, ours / original]."""
    rows = []
    mine, theirs = import_times()
    rows.append(["import nolearn_capacity vs nolearn.lasagne", mine,
                 theirs, mine / theirs])
    for n in (12, 100, 1000):
        net = sequential(n)
        repeats = 50 if n < 1000 else 15
        mine, theirs = median_times([
            lambda: ours.get_conv_infos(net, detailed=True),
            lambda: original.get_conv_infos(net, detailed=True)], repeats)
        assert ours.get_conv_infos(net, detailed=True) == \
            original.get_conv_infos(net, detailed=True)
        rows.append(["get_conv_infos, {} layers".format(n), mine, theirs,
                     mine / theirs])
    mine, theirs = cli_times()
    rows.append(["nolearn-capacity vs script, whole process", mine, theirs,
                 mine / theirs])
    return rows


def load_average():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main():
    print(load_average())
    print(tabulate(rows(), ["what", "ours (s)", "original (s)", "ratio"],
                   floatfmt=".4g"))
    print(load_average())


if __name__ == "__main__":
    main()
