"""``nolearn-capacity port`` on the command line: files, exit codes,
one-line errors."""
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SPEC = str(REPO / "legacy_examples" / "mnist_tutorial.json")


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nolearn_capacity", "port"]
                          + list(args), capture_output=True, text=True,
                          cwd=cwd, env=dict(os.environ))


class Exploit(object):
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_writes_module_and_state_dict(tmp_path):
    import torch
    rng = np.random.RandomState(0)
    shapes = [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (64, 64, 3, 3),
              (64,), (96, 64, 3, 3), (96,), (96, 64), (64,), (64, 64),
              (64,), (64, 10), (10,)]
    np.savez(tmp_path / "w.npz", *[rng.randn(*s).astype(np.float32)
                                   for s in shapes])
    result = cli(SPEC, "--to", "torch", "-o", str(tmp_path / "model.py"),
                 "--weights", str(tmp_path / "w.npz"))
    assert result.returncode == 0, result.stderr
    assert "122154 parameters" in result.stdout
    state = torch.load(str(tmp_path / "model.pt"))
    assert state["conv2d1.weight"].shape == (32, 1, 3, 3)
    assert state["dense8.weight"].shape == (64, 96)
    assert sum(v.numel() for v in state.values()) == 122154


def test_a_malicious_pickle_is_one_line_exit_1_and_writes_nothing(tmp_path):
    with open(tmp_path / "evil.pkl", "wb") as f:
        pickle.dump([Exploit()], f, 2)
    result = cli(SPEC, "-o", str(tmp_path / "model.py"), "--weights",
                 str(tmp_path / "evil.pkl"))
    assert result.returncode == 1
    assert result.stdout == "" and "pwned" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused to load global" in lines[0]
    assert "system" in lines[0]
    assert sorted(os.listdir(tmp_path)) == ["evil.pkl"]


def test_usage_errors_exit_2(tmp_path):
    assert cli(SPEC).returncode == 2                  # no -o
    assert cli(SPEC, "-o", "x.py", "--to", "keras").returncode == 2


def test_the_net_being_read_is_never_overwritten(tmp_path):
    script = tmp_path / "net.py"
    script.write_text("layers = [('InputLayer', {'shape': (None, 3)}), "
                      "('DenseLayer', {'num_units': 2})]\n")
    result = cli(str(script) + ":layers", "-o", str(script))
    assert result.returncode == 1
    assert "would overwrite" in result.stderr
    assert script.read_text().startswith("layers = ")
    weights = tmp_path / "model.pt"
    np.savez(tmp_path / "w.npz", np.zeros((3, 2)), np.zeros(2))
    (tmp_path / "w.npz").rename(weights)
    result = cli(str(script) + ":layers", "-o", str(tmp_path / "model.py"),
                 "--weights", str(weights))
    assert result.returncode == 1 and "would overwrite" in result.stderr


def test_a_module_name_without_py_is_refused(tmp_path):
    result = cli(SPEC, "-o", str(tmp_path / "model.txt"))
    assert result.returncode == 1
    assert "should end in .py" in result.stderr
