"""Port benchmarks: VGG-16 (138 M parameters) ported and checked, and the
state_dict conversion per million parameters.

Run in an environment with the legacy stack and torch (tox env ``port``):

    THEANO_FLAGS=blas.ldflags= python bench/bench_port.py

A script, not a timed test.  Peak memory is the process's maximum
resident set (``ru_maxrss``).
"""
import io
import os
import resource
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from nolearn_capacity import compat  # noqa: E402

compat.enable()

from nolearn_capacity import cli, targets  # noqa: E402
from nolearn_capacity.port import to_torch, weights  # noqa: E402
from nolearn_capacity.port.command import save_state_dict  # noqa: E402

VGG = os.path.join(os.path.dirname(HERE), "legacy_examples", "vgg16.py")


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(f):
    start = time.perf_counter()
    result = f()
    return result, time.perf_counter() - start


def main():
    rows = []
    net = targets.load(VGG + ":net")
    port, seconds = timed(lambda: to_torch(net))
    rows.append(("VGG-16: generate the module (no weights)", seconds))
    rng = np.random.RandomState(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) * 0.01
              for step in port.steps for _, shape in step.piece.params]
    n_params = sum(a.size for a in arrays)
    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "vgg16.npz")
        np.savez(npz, *arrays)
        del arrays
        values, seconds = timed(lambda: weights.read(npz))
        rows.append(("VGG-16: read the .npz ({:.0f} MB)".format(
            os.path.getsize(npz) / 2 ** 20), seconds))
        start = time.perf_counter()
        params = weights.convert(port.steps, values)
        seconds = time.perf_counter() - start
        rows.append(("VGG-16: convert to state_dict arrays", seconds))
        rows.append(("  per million parameters", seconds / n_params * 1e6))
        port.params = params
        _, seconds = timed(lambda: save_state_dict(
            port, os.path.join(tmp, "vgg16.pt")))
        rows.append(("VGG-16: torch.save the state_dict", seconds))
        del values, params
        port.params = None
        out = io.StringIO()
        status, seconds = timed(lambda: cli.main(
            ["port", VGG + ":net", "-o", os.path.join(tmp, "vgg.py"),
             "--weights", npz, "--check"], stdout=out))
        rows.append(("VGG-16: port --weights --check (status {})".format(
            status), seconds))
    print("VGG-16: {} parameters".format(n_params))
    width = max(len(r[0]) for r in rows)
    for label, seconds in rows:
        print("{}  {:8.3f} s".format(label.ljust(width), seconds))
    print("peak resident memory: {:.0f} MB".format(peak_mb()))
    print(out.getvalue().split("## Comparison")[0].strip())


if __name__ == "__main__":
    main()
