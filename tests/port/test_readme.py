"""README's porting walk-through, run as written (paths made absolute,
the weight file made by nolearn's save_params_to)."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def walkthrough_commands():
    text = (REPO / "README.md").read_text()
    section = text.split("## Porting a trained net to PyTorch")[1]
    block = section.split("```")[1]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            commands.append(shlex.split(line))
    return commands


def test_readme_porting_walkthrough(tmp_path):
    from nolearn_capacity import targets
    net = targets.load(str(REPO / "legacy_examples" /
                           "facial_keypoints.py") + ":net")
    net.initialize_layers()
    net.save_params_to(str(tmp_path / "net3.pickle"))
    commands = walkthrough_commands()
    assert [c[:2] for c in commands] == [
        ["nolearn-capacity", "legacy_examples/facial_keypoints.py:net"],
        ["nolearn-capacity", "port"], ["nolearn-capacity", "port"]]
    outputs = []
    for command in commands:
        args = [str(REPO / a) if a.startswith("legacy_examples/") else a
                for a in command[1:]]
        result = subprocess.run(
            [sys.executable, "-m", "nolearn_capacity"] + args, cwd=tmp_path,
            capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert "conv1" in outputs[0]
    assert re.search(r"wrote model\.py and model\.pt \(10 layers, 8051502 "
                     r"parameters\)", outputs[1])
    assert "check passed" in outputs[2]
    python = ("import torch\nfrom model import Net\nmodel = Net()\n"
              "model.load_state_dict(torch.load('model.pt'))\nmodel.eval()\n"
              "print(model(torch.zeros(1, 1, 96, 96)).shape)\n")
    readme = (REPO / "README.md").read_text()
    assert python.replace("'", '"').rsplit("print", 1)[0] in readme
    result = subprocess.run([sys.executable, "-c", python], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.stdout.strip() == "torch.Size([1, 30])", result.stderr
