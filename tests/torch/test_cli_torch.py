"""The CLI on a torch module: a faithful port prints the seed's numbers."""
import os
import subprocess
import sys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def test_port_prints_the_seed_numbers():
    done = subprocess.run(
        [sys.executable, "-m", "nolearn_capacity",
         "legacy_examples/mnist_tutorial_torch.py:model",
         "--input-shape", "1,1,28,28"],
        capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "# Neural Network with 122154 learnable parameters" in done.stdout
    lines = done.stdout.splitlines()
    body = lines[lines.index("## Layer information") + 4:]
    rows = [line.split(None, 1)[1] for line in body[:body.index("")]]
    with open(os.path.join(REPO, "tests", "seed_table.txt"),
              encoding="utf-8") as f:
        seed = [line.split(None, 1)[1] for line in f.read().splitlines()[2:]]
    # Every row of the original's table appears (the port adds rows for
    # its separate ReLUs and Flatten, which repeat the row before them).
    for row in seed[:8]:
        assert row in rows, row


def test_missing_input_shape_is_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "nolearn_capacity",
         "legacy_examples/mnist_tutorial_torch.py:model"],
        capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "input_shape" in done.stderr
