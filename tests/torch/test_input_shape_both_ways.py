"""``input_shape`` means the input's shape for a torch module and for a
spec alike (issue 8): compare resizes both sides of a port."""
import subprocess
import sys
from pathlib import Path

import nolearn_capacity as nc
from nolearn_capacity import targets
from nolearn_capacity.compare import compare

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "legacy_examples" / "mnist_tutorial.json"
PORT = REPO / "legacy_examples" / "mnist_tutorial_torch.py"


def test_one_input_shape_resizes_a_spec_and_its_torch_port():
    model = targets.load("{}:model".format(PORT))
    shape = (1, 1, 30, 30)    # small enough change: 1x1 before the dense
    torch_rows = nc.analyze(model, input_shape=shape).rows
    spec_rows = nc.analyze(targets.load(str(SPEC)), input_shape=shape).rows
    assert torch_rows[1].output_shape[1:] == spec_rows[1].output_shape[1:] \
        == (32, 28, 28)
    result = compare(targets.load(str(SPEC)), model, input_shape_a=shape,
                     input_shape_b=shape)
    assert result.equivalent, result.render()


def test_cli_compare_gives_the_shape_to_both_sides():
    done = subprocess.run(
        [sys.executable, "-m", "nolearn_capacity", "compare", str(SPEC),
         "{}:model".format(PORT), "--input-shape", "1,1,30,30"],
        capture_output=True, text=True, cwd=str(REPO))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "equivalent" in done.stdout and "32x28x28" in done.stdout


def test_spec_keywords_are_refused_for_a_torch_module():
    import pytest
    from nolearn_capacity.errors import BadArgumentError
    model = targets.load("{}:model".format(PORT))
    with pytest.raises(BadArgumentError) as caught:
        nc.analyze(model, input_shape=(1, 1, 28, 28), conv2d1_num_filters=3)
    assert "'conv2d1_num_filters'" in str(caught.value)
    assert "not for a torch module" in str(caught.value)
