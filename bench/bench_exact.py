"""Benchmark: exact analysis (no rendering) of deep nets, one run.

    python bench/bench_exact.py

Sequential nets are 3x3 'same' conv stacks with a 2x2 stride-1 pool every
16 layers (stride 1, so that 100k layers keep a finite jump); residual nets repeat conv, conv, elementwise sum.
Records are built once; the timed part is ``core.report(net, 'exact')``.
Prints seconds, microseconds per layer and time(10k) / time(1k).
"""
import time

from tabulate import tabulate

from nolearn_capacity import core
from nolearn_capacity.core import LayerRecord, Network


def window(name, inputs, k, stride, pad, learns):
    return LayerRecord(name=name, label=name, class_name="Conv2DLayer",
                       op="window", inputs=inputs,
                       output_shape=(None, 8, 1024, 1024), kernel=(k, k),
                       stride=(stride, stride), pad=(pad, pad),
                       dilation=(1, 1), learns=learns)


def net(n_layers, residual):
    layers = [LayerRecord(name="in", label="in", class_name="InputLayer",
                          op="input", output_shape=(None, 3, 1024, 1024))]
    while len(layers) < n_layers:
        last = len(layers) - 1
        if residual and len(layers) + 3 <= n_layers:
            layers.append(window("a", (last,), 3, 1, 1, True))
            layers.append(window("b", (last + 1,), 3, 1, 1, True))
            layers.append(LayerRecord(
                name="sum", label="sum", class_name="ElemwiseSumLayer",
                op="merge", inputs=(last, last + 2),
                output_shape=(None, 8, 1024, 1024)))
        elif len(layers) % 16 == 0:
            layers.append(window("pool", (last,), 2, 1, 0, False))
        else:
            layers.append(window("conv", (last,), 3, 1, 1, True))
    return Network(tuple(layers[:n_layers]), 0)


def seconds(network, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        core.report(network, "exact")
        best = min(best, time.perf_counter() - start)
    return best


def main():
    rows = []
    for residual in (False, True):
        times = {}
        for n in (1000, 10000, 100000):
            times[n] = seconds(net(n, residual), 5 if n < 100000 else 2)
            rows.append(["residual" if residual else "sequential", n,
                         times[n], 1e6 * times[n] / n])
        rows.append(["", "10k / 1k", times[10000] / times[1000], ""])
    print(tabulate(rows, ["net", "layers", "seconds", "us / layer"],
                   floatfmt=".3g"))


if __name__ == "__main__":
    main()
