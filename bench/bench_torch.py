"""Benchmark: exact analysis of real torch models vs torchinfo and
torchscan, per model, in one run.

    python bench/bench_torch.py [MODEL ...]

(models by their family name in ``tests/torch/zoo.py``, e.g.
``ShuffleNetV2``; all of them by default).
Needs torch==2.13.0, torchvision, timm, torchinfo 1.8 and torchscan 0.2
(the ``zoo`` tox env).  Models come from ``tests/torch/zoo.py``, random
weights.  Timed, best of ``REPEATS`` rounds after one warm-up call each
(a round times the three in turn):

* ours: ``nolearn_capacity.analyze(model, input_shape=..., mode='exact')``
  and rendering the text table;
* torchinfo: ``summary(model, input_size=..., verbose=0)`` and ``str()``;
* torchscan: ``summary(model, input_shape, receptive_field=True)`` with
  its printing sent nowhere.
"""
import contextlib
import io
import os
import platform
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "torch"))

import torch  # noqa: E402
import torchinfo  # noqa: E402
import torchscan  # noqa: E402

import nolearn_capacity  # noqa: E402
import zoo  # noqa: E402

#: Rounds per model; each round times every tool once, in turn, so that
#: a slow spell of a shared machine slows all three, not one.
REPEATS = 9


def best_of_rounds(functions):
    """Per function, its best time over :data:`REPEATS` rounds (after a
    warm-up call each); None for one that failed its warm-up."""
    alive = []
    for function in functions:
        try:
            function()
            alive.append(function)
        except Exception as error:   # torchscan cannot walk every model
            print("# {} failed: {}: {}".format(
                function.__name__, type(error).__name__, str(error)[:80]),
                file=sys.stderr)
    times = {function: [] for function in alive}
    for _ in range(REPEATS):
        for function in alive:
            start = time.perf_counter()
            function()
            times[function].append(time.perf_counter() - start)
    return [min(times[f]) if f in times else None for f in functions]


def ours(model, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = nolearn_capacity.analyze(model, input_shape=shape,
                                          mode="exact")
    return str(report)


def torchinfo_summary(model, shape):
    return str(torchinfo.summary(model, input_size=shape, verbose=0))


def torchscan_summary(model, shape):
    with contextlib.redirect_stdout(io.StringIO()):
        torchscan.summary(model, shape[1:], receptive_field=True)


def main(families=()):
    unknown = set(families) - {family for family, _, _ in zoo.ZOO}
    if unknown:
        sys.exit("unknown models: {}".format(", ".join(sorted(unknown))))
    torch.set_num_threads(1)
    print("python {}, torch {}, torchinfo {}, torchscan {}, {} threads"
          .format(platform.python_version(), torch.__version__,
                  torchinfo.__version__, torchscan.__version__,
                  torch.get_num_threads()))
    header = ("model", "input", "ours (ms)", "torchinfo (ms)",
              "torchscan (ms)", "ours/torchinfo", "ours/torchscan")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for family, spec, shape in zoo.ZOO:
        if families and family not in families:
            continue
        model = zoo.build(spec)

        def ours_(model=model, shape=shape):
            return ours(model, shape)

        def torchinfo_(model=model, shape=shape):
            return torchinfo_summary(model, shape)

        def torchscan_(model=model, shape=shape):
            return torchscan_summary(model, shape)
        times = best_of_rounds([ours_, torchinfo_, torchscan_])
        times = [float("nan") if t is None else t for t in times]
        print(" | ".join([family, "x".join(map(str, shape[2:]))] + [
            "{:.1f}".format(1000 * t) for t in times] + [
            "{:.2f}".format(times[0] / t) for t in times[1:]]), flush=True)

if __name__ == "__main__":
    main(sys.argv[1:])
