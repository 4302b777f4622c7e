"""All benchmarks in one run, one table (not a test; figures go to
docs/benchmarks.md).

Run in the legacy environment, where the original is installed:

    pip install ".[legacy]" && python bench/bench.py

Rows: ``import nolearn_capacity`` against ``import nolearn.lasagne``; our
``get_conv_infos`` against nolearn's on the same Lasagne nets of 12, 100 and
1000 layers (ratio < 1: we are faster); ``nolearn-capacity`` against a
script printing nolearn's table, whole processes; exact analysis (no
rendering) of 1k / 10k / 100k-layer sequential and residual nets; rendering
a 1000-layer report in every format.  Times are medians (best of, for the
long runs).
"""
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nolearn_capacity import compat  # noqa: E402

compat.enable()

from tabulate import tabulate  # noqa: E402

import bench_dropin  # noqa: E402
import bench_exact  # noqa: E402
from nolearn_capacity import core, render  # noqa: E402
from nolearn_capacity.handlers import layer_info_text  # noqa: E402


def rendering_rows(n_layers=1000):
    network = bench_exact.net(n_layers, residual=False)
    report = core.report(network, "exact")
    rows = []
    jobs = [(fmt, lambda fmt=fmt: render.render(report, fmt))
            for fmt in render.FORMATS]
    jobs.append(("nolearn", lambda: layer_info_text(network, 3, "exact")))
    for name, job in jobs:
        seconds = bench_dropin.median_time(job, 5)
        rows.append(["render {} layers as {}".format(n_layers, name),
                     seconds, "", ""])
    return rows


def main():
    print(bench_dropin.load_average())
    rows = bench_dropin.rows()
    for residual in (False, True):
        times = {}
        for n in (1000, 10000, 100000):
            times[n] = bench_exact.seconds(bench_exact.net(n, residual),
                                           5 if n < 100000 else 2)
            rows.append(["exact, {} {} layers ({:.1f} us/layer)".format(
                "residual" if residual else "sequential", n,
                1e6 * times[n] / n), times[n], "", ""])
        rows.append(["exact, {}: time(10k) / time(1k)".format(
            "residual" if residual else "sequential"),
            times[10000] / times[1000], "", ""])
    rows += rendering_rows()
    print("Python {}, {} cores, {}".format(platform.python_version(),
                                         os.cpu_count(), platform.machine()))
    print(tabulate(rows, ["what", "ours (s)", "original (s)", "ratio"],
                   floatfmt=".4g"))
    print(bench_dropin.load_average())


if __name__ == "__main__":
    main()
