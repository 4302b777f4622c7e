"""Benchmark: exact analysis of real torch models vs torchinfo and
torchscan, per model, in one run.

    python bench/bench_torch.py [MODEL ...]

(models by their family name in ``tests/torch/zoo.py``, e.g.
``ShuffleNetV2``; all of them by default).
Needs torch==2.13.0, torchvision, timm, torchinfo 1.8 and torchscan 0.2
(the ``zoo`` tox env).  Models come from ``tests/torch/zoo.py``, random
weights.  Timed, best of ``REPEATS`` after one warm-up call each:

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

REPEATS = 7


def best(function):
    function()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


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
        times = [best(lambda: ours(model, shape)),
                 best(lambda: torchinfo_summary(model, shape))]
        try:
            times.append(best(lambda: torchscan_summary(model, shape)))
        except Exception as error:     # torchscan cannot walk every model
            print("# torchscan failed on {}: {}: {}".format(
                family, type(error).__name__, str(error)[:80]),
                file=sys.stderr)
            times.append(float("nan"))
        print(" | ".join([family, "x".join(map(str, shape[2:]))] + [
            "{:.1f}".format(1000 * t) for t in times] + [
            "{:.2f}".format(times[0] / t) for t in times[1:]]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
