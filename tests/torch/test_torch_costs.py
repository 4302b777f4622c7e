"""Cost columns of torch reports: by hand, and against torchinfo 1.8.

torchinfo counts a leaf module's Mult-Adds as every parameter named
``weight`` or ``bias`` once per output position of a convolution (any
class whose name holds "Conv", transposed ones included), once per example
otherwise, and an RNN's ``weight_*`` / ``bias_*`` once per time step.  The
report counts the same, per example, with one difference: a Linear on a
map with more axes than (batch, features) counts once per position of the
other axes (torchinfo once per example).  The zoo part runs in the ``zoo``
tox env (torchvision and torchinfo); the rest in ``torch``.
"""
import collections

import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import nolearn_capacity  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def costs(model, shape):
    report = nolearn_capacity.analyze(model, input_shape=shape)
    return {r.name: (r.mult_adds, r.param_bytes, r.activation_bytes)
            for r in report.rows}, report


def test_conv_linear_and_bytes_by_hand():
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(32 * 26 * 26, 10))
    rows, report = costs(model, (4, 1, 28, 28))   # per example: batch 4
    weights = 32 * 9 + 32
    assert rows["0"] == (weights * 26 * 26, weights * 4, 32 * 26 * 26 * 4)
    assert rows["1"] == (0, 0, 32 * 26 * 26 * 4)
    assert rows["3"] == (216330, 216330 * 4, 40)
    assert report.rows[0].activation_bytes == 28 * 28 * 4
    assert report.totals() == (weights * 676 + 216330,
                               (weights + 216330) * 4,
                               (784 + 3 * 32 * 676 + 10) * 4)


def test_real_dtypes_are_used():
    model = nn.Sequential(nn.Conv2d(2, 3, 1)).double()
    rows, report = costs(model, (1, 2, 5, 5))
    assert rows["0"] == (9 * 25, 9 * 8, 75 * 8)
    assert report.rows[0].activation_bytes == 50 * 8
    assert report.total_param_bytes == 9 * 8


def test_frozen_weights_still_cost_mult_adds():
    model = nn.Sequential(nn.Conv2d(2, 3, 1, bias=False))
    model[0].weight.requires_grad_(False)
    rows, report = costs(model, (1, 2, 5, 5))
    assert rows["0"] == (6 * 25, 0, 75 * 4)
    assert report.total_params == report.total_param_bytes == 0


def test_transposed_conv_recurrence_and_functional_conv():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.up = nn.ConvTranspose2d(4, 2, 3, stride=2)
            self.w = nn.Parameter(torch.zeros(5, 2, 1, 1))

        def forward(self, x):
            return F.conv2d(self.up(x), self.w)

    rows, _ = costs(Net(), (1, 4, 6, 6))
    # torchinfo's convention: per output position (13 x 13)
    assert rows["up"][0] == (4 * 2 * 9 + 2) * 13 * 13
    assert rows["conv2d"][0] == 10 * 13 * 13
    rows, _ = costs(nn.Sequential(nn.LSTM(10, 20, batch_first=True)),
                    (1, 7, 10))
    assert rows["0"][0] == 7 * 4 * (10 * 20 + 20 * 20 + 20 + 20)


# --------------------------------------------------------------------------
# Against torchinfo on real models
# --------------------------------------------------------------------------

#: (builder, input side): every leaf module of these counts as torchinfo
#: counts it, Linear layers on token or channels-last maps (ConvNeXt, ViT)
#: once per position of the map, where torchinfo counts them once.
TORCHINFO_CASES = [
    ("torchvision:alexnet", 127),
    ("torchvision:resnet18", 96),
    ("torchvision:mobilenet_v2", 96),
    ("torchvision:squeezenet1_1", 96),
    ("torchvision:efficientnet_b0", 96),
    ("torchvision:googlenet", 96),
    ("torchvision:convnext_tiny", 64),
    ("torchvision:vit_b_16", 224),
    ("timm:resnet18", 96),
]


def _zoo():
    zoo = pytest.importorskip("zoo")
    pytest.importorskip("torchinfo")
    try:
        zoo.import_torchvision()
        import timm  # noqa: F401
    except ImportError as error:
        pytest.skip("needs torchvision and timm ({})".format(error))
    return zoo


def _leaf_mult_adds(model, shape):
    """torchinfo's Mult-Adds of every leaf module call: a multiset of
    (class name, mult-adds), zeros left out."""
    import torchinfo
    stats = torchinfo.summary(model, input_size=shape, verbose=0)
    counted = collections.Counter(
        (info.class_name, info.macs) for info in stats.summary_list
        if info.is_leaf_layer and info.macs)
    return counted, stats.total_mult_adds


@pytest.mark.parametrize("spec, side", TORCHINFO_CASES)
def test_mult_adds_equal_torchinfo_per_layer(spec, side):
    zoo = _zoo()
    model = zoo.build(spec)
    shape = (1, 3, side, side)
    theirs, total = _leaf_mult_adds(model, shape)
    report = nolearn_capacity.analyze(model, input_shape=shape)
    classes = {name for name, _ in theirs}
    rows = [r for r in report.rows if r.class_name in classes]
    positions = [_positions(r) if r.class_name == "Linear" else 1
                 for r in rows]
    ours = collections.Counter(
        (r.class_name, r.mult_adds // n) for r, n in zip(rows, positions)
        if r.mult_adds)
    assert ours == theirs
    assert sum(r.mult_adds // n for r, n in zip(rows, positions)) == total
    if spec.endswith("vit_b_16"):    # 197 tokens
        assert max(positions) == 197


def _positions(row):
    count = 1
    for size in row.output_shape[1:-1]:
        count *= size
    return count


def test_linear_on_a_map_counts_every_position():
    """The one stated difference: torchinfo counts a Linear on
    (batch, tokens, features) once per example, the report per token."""
    _zoo()
    model = nn.Sequential(nn.Linear(16, 8))
    theirs, _ = _leaf_mult_adds(model, (1, 5, 16))
    rows, _ = costs(model, (1, 5, 16))
    assert theirs == {("Linear", 136): 1}
    assert rows["0"][0] == 5 * 136


def test_untied_biases_are_added_once_not_per_position():
    # The o_O port's UntiedConv2d holds one bias per output value, as
    # Lasagne's untie_biases: its mult-adds must equal the spec's, which
    # adds each untied bias once.
    import os
    from nolearn_capacity import targets
    examples = os.path.join(os.path.dirname(__file__), "..", "..",
                            "legacy_examples")
    port = targets.load(os.path.join(examples,
                                     "diabetic_retinopathy_torch.py:model"))
    spec = targets.load(os.path.join(examples, "diabetic_retinopathy.json"))
    ours = nolearn_capacity.analyze(port, input_shape=(1, 3, 448, 448))
    theirs = nolearn_capacity.analyze(spec)
    convs = [r for r in ours.rows if r.class_name.startswith("Untied")]
    # each weight once per output position, each untied bias value once
    assert convs and convs[0].mult_adds == \
        5 * 5 * 3 * 32 * 224 * 224 + 32 * 224 * 224
    assert sum(r.mult_adds for r in ours.rows) == \
        sum(r.mult_adds for r in theirs.rows)
