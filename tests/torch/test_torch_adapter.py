"""The torch adapter: rule tables, value tables of small nets, legacy mode
of nolearn's MNIST net ported to torch, the hook fallback, and the promise
that the analysed module is never changed."""
import collections
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import nolearn_capacity  # noqa: E402
from nolearn_capacity import core  # noqa: E402
from nolearn_capacity.adapters import torch as adapter  # noqa: E402
from nolearn_capacity.errors import BadShapeError  # noqa: E402
from nolearn_capacity.examples import MNIST_TUTORIAL  # noqa: E402

import models  # noqa: E402
from models import Lambda  # noqa: E402

# torch's own note on even kernels with padding='same'
pytestmark = pytest.mark.filterwarnings(
    "ignore:Using padding='same':UserWarning")

REPO = Path(__file__).resolve().parents[2]


def records(module, shape):
    return adapter.network_of(module, shape).layers


def geometry(record):
    """The rule's part of a record, without empty fields."""
    out = {"op": record.op}
    for key in ("kernel", "stride", "pad", "dilation"):
        if getattr(record, key):
            out[key] = getattr(record, key)
    if record.learns:
        out["learns"] = True
    return out


def win(kernel, stride, pad, dilation=None, learns=False, op="window"):
    out = {"op": op, "kernel": kernel, "stride": stride, "pad": pad,
           "dilation": dilation or (1,) * len(kernel)}
    if learns:
        out["learns"] = True
    return out


def tr(kernel, stride, pad, dilation=None, learns=False):
    return win(kernel, stride, pad, dilation, learns, op="transposed")


POINTWISE = {"op": "pointwise"}
COLLAPSE = {"op": "collapse"}
FLATTEN = {"op": "flatten"}
UNKNOWN = {"op": "unknown"}
MERGE = {"op": "merge"}
NORMALISE = {"op": "normalise"}
IMAGE = (1, 4, 8, 8)

# --------------------------------------------------------------------------
# Module rules: (module, input shape, expected geometry of its record)
# --------------------------------------------------------------------------

MODULE_CASES = [
    # convolutions
    (nn.Conv2d(2, 4, 3), (1, 2, 9, 9), win((3, 3), (1, 1), (0, 0),
                                           learns=True)),
    (nn.Conv2d(4, 4, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2),
               groups=2, padding_mode="reflect"), (1, 4, 16, 16),
     win((3, 5), (2, 1), (1, 2), (1, 2), learns=True)),
    (nn.Conv2d(1, 1, 4, padding="same"), (1, 1, 8, 8),
     win((4, 4), (1, 1), (1, 1), learns=True)),           # total 3: 1 ahead
    (nn.Conv2d(1, 1, 4, padding="same", dilation=2), (1, 1, 16, 16),
     win((4, 4), (1, 1), (3, 3), (2, 2), learns=True)),   # total 6: 3 ahead
    (nn.Conv2d(1, 1, (2, 3), padding="same", dilation=(3, 1),
               padding_mode="circular"), (1, 1, 8, 8),
     win((2, 3), (1, 1), (1, 1), (3, 1), learns=True)),
    (nn.Conv2d(1, 1, 3, padding="valid"), (1, 1, 8, 8),
     win((3, 3), (1, 1), (0, 0), learns=True)),
    (nn.Conv1d(1, 2, 5, stride=3, padding=2), (1, 1, 20),
     win((5,), (3,), (2,), learns=True)),
    (nn.Conv3d(1, 2, (1, 3, 3), padding=(0, 1, 1)), (1, 1, 4, 8, 8),
     win((1, 3, 3), (1, 1, 1), (0, 1, 1), learns=True)),
    (nn.LazyConv2d(3, 3, stride=2), (1, 2, 9, 9),
     win((3, 3), (2, 2), (0, 0), learns=True)),
    # transposed convolutions: pad is the crop; output_padding is size only
    (nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1),
     (1, 1, 8, 8), tr((3, 3), (2, 2), (1, 1), learns=True)),
    (nn.ConvTranspose1d(1, 1, 4, stride=3, padding=2, dilation=2),
     (1, 1, 8), tr((4,), (3,), (2,), (2,), learns=True)),
    (nn.ConvTranspose3d(1, 1, (1, 2, 2), stride=(1, 2, 2)), (1, 1, 2, 4, 4),
     tr((1, 2, 2), (1, 2, 2), (0, 0, 0), learns=True)),
    # pooling: stride defaults to the kernel; ceil_mode is size only
    (nn.MaxPool2d(2), IMAGE, win((2, 2), (2, 2), (0, 0))),
    (nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
     (1, 1, 16, 16), win((3, 3), (2, 2), (1, 1), (2, 2))),
    (nn.MaxPool1d(3), (1, 1, 9), win((3,), (3,), (0,))),
    (nn.MaxPool3d((1, 2, 2)), (1, 1, 2, 4, 4),
     win((1, 2, 2), (1, 2, 2), (0, 0, 0))),
    (nn.AvgPool2d(3, stride=1, padding=1), IMAGE,
     win((3, 3), (1, 1), (1, 1))),
    (nn.AvgPool1d(4, 2, ceil_mode=True), (1, 1, 9), win((4,), (2,), (0,))),
    (nn.AvgPool3d(2), (1, 1, 4, 4, 4), win((2, 2, 2), (2, 2, 2), (0, 0, 0))),
    (nn.LPPool2d(2, 3, stride=2), IMAGE, win((3, 3), (2, 2), (0, 0))),
    # adaptive pooling: global, even windows, repetition, or unknown
    (nn.AdaptiveAvgPool2d(1), (1, 4, 7, 7), COLLAPSE),
    (nn.AdaptiveMaxPool2d((2, 4)), IMAGE, win((4, 2), (4, 2), (0, 0))),
    (nn.AdaptiveAvgPool2d((None, 4)), IMAGE, win((1, 2), (1, 2), (0, 0))),
    (nn.AdaptiveAvgPool2d(16), IMAGE, tr((2, 2), (2, 2), (0, 0))),
    (nn.AdaptiveAvgPool1d(3), (1, 1, 8), UNKNOWN),
    # resampling
    (nn.Upsample(scale_factor=2), IMAGE, tr((2, 2), (2, 2), (0, 0))),
    (nn.Upsample(scale_factor=(2, 3)), IMAGE, tr((2, 3), (2, 3), (0, 0))),
    (nn.Upsample(size=(16, 8)), IMAGE, tr((2, 1), (2, 1), (0, 0))),
    (nn.Upsample(scale_factor=2, mode="nearest-exact"), IMAGE,
     tr((2, 2), (2, 2), (0, 0))),
    (nn.Upsample(scale_factor=2, mode="bilinear"), IMAGE,
     tr((4, 4), (2, 2), (1, 1))),
    (nn.Upsample(scale_factor=3, mode="bilinear"), IMAGE,
     tr((5, 5), (3, 3), (1, 1))),
    (nn.Upsample(scale_factor=4, mode="linear"), (1, 1, 8),
     tr((8,), (4,), (2,))),
    (nn.Upsample(scale_factor=2, mode="bicubic"), IMAGE,
     tr((8, 8), (2, 2), (3, 3))),
    (nn.Upsample(scale_factor=2, mode="trilinear"), (1, 1, 4, 4, 4),
     tr((4, 4, 4), (2, 2, 2), (1, 1, 1))),
    (nn.Upsample(scale_factor=2, mode="area"), IMAGE,
     tr((2, 2), (2, 2), (0, 0))),
    (nn.Upsample(scale_factor=0.5), IMAGE, win((1, 1), (2, 2), (0, 0))),
    (nn.Upsample(scale_factor=0.5, mode="nearest-exact"), IMAGE,
     win((1, 1), (2, 2), (-1, -1))),
    (nn.Upsample(scale_factor=0.5, mode="bilinear"), IMAGE,
     win((2, 2), (2, 2), (0, 0))),
    (nn.Upsample(scale_factor=0.5, mode="area"), IMAGE,
     win((2, 2), (2, 2), (0, 0))),
    (nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
     IMAGE, UNKNOWN),
    (nn.Upsample(scale_factor=1.5), IMAGE, UNKNOWN),
    (nn.Upsample(scale_factor=(1.5, 2)), IMAGE, UNKNOWN),
    (nn.Upsample(scale_factor=(1, 2)), IMAGE, tr((1, 2), (1, 2), (0, 0))),
    (nn.Upsample(scale_factor=(2, 0.5)), IMAGE, UNKNOWN),   # up and down
    (nn.UpsamplingNearest2d(scale_factor=2), IMAGE,
     tr((2, 2), (2, 2), (0, 0))),
    (nn.UpsamplingBilinear2d(scale_factor=2), IMAGE, UNKNOWN),
    (nn.PixelShuffle(2), (1, 8, 4, 4), tr((2, 2), (2, 2), (0, 0))),
    (nn.PixelUnshuffle(2), (1, 2, 8, 8), win((2, 2), (2, 2), (0, 0))),
    # padding: kernel 1 with the leading pad (torch lists the last axis first)
    (nn.ZeroPad2d((1, 2, 3, 4)), IMAGE, win((1, 1), (1, 1), (3, 1))),
    (nn.ConstantPad1d(2, 0.5), (1, 1, 8), win((1,), (1,), (2,))),
    (nn.ReflectionPad2d(1), IMAGE, win((1, 1), (1, 1), (1, 1))),
    (nn.ReplicationPad3d((1, 1, 2, 2, 3, 3)), (1, 1, 4, 4, 4),
     win((1, 1, 1), (1, 1, 1), (3, 2, 1))),
    # per position
    # statistics over the map: every unit depends on all of it
    *[(m, IMAGE, NORMALISE) for m in (
        nn.LayerNorm([4, 8, 8]), nn.LayerNorm([8, 8]), nn.GroupNorm(2, 4),
        nn.InstanceNorm2d(4), nn.BatchNorm2d(4, track_running_stats=False))],
    (nn.LayerNorm(8), IMAGE, UNKNOWN),          # over one spatial axis
    *[(m, IMAGE, POINTWISE) for m in (
        nn.BatchNorm2d(4), nn.InstanceNorm2d(4, track_running_stats=True),
        nn.LocalResponseNorm(2), nn.ReLU(),
        nn.ReLU(inplace=True), nn.LeakyReLU(0.1), nn.PReLU(), nn.ELU(),
        nn.SELU(), nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.SiLU(),
        nn.Hardswish(), nn.Softmax(dim=1), nn.LogSoftmax(dim=1),
        nn.Softmax2d(), nn.Dropout(), nn.Dropout2d(), nn.AlphaDropout(),
        nn.Identity())],
    (nn.Softmax(dim=-1), IMAGE, UNKNOWN),
    # one position per unit, or positions regrouped
    (nn.Flatten(), IMAGE, FLATTEN),
    (nn.Flatten(2), IMAGE, UNKNOWN),
    (nn.Linear(8, 3), IMAGE, UNKNOWN),         # acts on the last axis only
    (nn.Unfold(2), IMAGE, UNKNOWN),            # no rule
]


@pytest.mark.parametrize("module, shape, expected", MODULE_CASES,
                         ids=lambda v: type(v).__name__
                         if isinstance(v, nn.Module) else "")
def test_module_rules(module, shape, expected):
    record = records(nn.Sequential(module), shape)[1]
    assert geometry(record) == expected
    # lazy modules become their full class when run (on our copy)
    assert record.class_name == type(module).__name__.replace("Lazy", "")
    assert record.name == record.label == "0"


# --------------------------------------------------------------------------
# Function and method rules, as the walk sees the calls
# --------------------------------------------------------------------------

FUNCTION_CASES = [
    ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, 1),
     win((3, 3), (2, 2), (1, 1))),
    ("max_pool2d", lambda x: F.max_pool2d(x, 2), win((2, 2), (2, 2), (0, 0))),
    ("max_pool2d_with_indices",
     lambda x: F.max_pool2d(x, 2, return_indices=True)[0],
     win((2, 2), (2, 2), (0, 0))),
    ("max_pool1d", lambda x: F.max_pool1d(x.flatten(2), 4, dilation=2),
     win((4,), (4,), (0,), (2,))),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, stride=1, padding=1),
     win((3, 3), (1, 1), (1, 1))),
    ("avg_pool2d", lambda x: F.avg_pool2d(x, (2, 4)),
     win((2, 4), (2, 4), (0, 0))),
    ("conv2d", lambda x: F.conv2d(x, torch.ones(2, 4, 3, 5), padding=(1, 2),
                                  stride=2),
     win((3, 5), (2, 2), (1, 2), learns=True)),
    ("conv_transpose2d",
     lambda x: F.conv_transpose2d(x, torch.ones(4, 2, 3, 3), stride=2),
     tr((3, 3), (2, 2), (0, 0), learns=True)),
    ("interpolate", lambda x: F.interpolate(x, scale_factor=2),
     tr((2, 2), (2, 2), (0, 0))),
    ("interpolate",
     lambda x: F.interpolate(x, size=x.shape[2:], mode="bilinear"),
     win((1, 1), (1, 1), (0, 0))),
    ("interpolate", lambda x: F.interpolate(x, scale_factor=2,
                                            mode="bilinear"),
     tr((4, 4), (2, 2), (1, 1))),
    ("pad", lambda x: F.pad(x, (1, 2)), win((1, 1), (1, 1), (0, 1))),
    ("pad", lambda x: F.pad(x, (1, 2, 3, 4), mode="reflect"),
     win((1, 1), (1, 1), (3, 1))),
    ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, 1), COLLAPSE),
    ("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, 2),
     win((4, 4), (4, 4), (0, 0))),
    ("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2),
     tr((2, 2), (2, 2), (0, 0))),
    ("getitem", lambda x: x[:, :, 1:, ::2], win((1, 1), (1, 2), (-1, 0))),
    ("getitem", lambda x: x[..., 2:6], win((1, 1), (1, 1), (0, -2))),
    ("getitem", lambda x: x[:, :2], win((1, 1), (1, 1), (0, 0))),
    ("relu", F.relu, POINTWISE),
    ("relu", torch.relu, POINTWISE),
    ("relu", lambda x: x.relu(), POINTWISE),
    ("sigmoid", torch.sigmoid, POINTWISE),
    ("clamp", lambda x: x.clamp(0, 1), POINTWISE),
    ("softmax", lambda x: F.softmax(x, dim=1), POINTWISE),
    ("softmax", lambda x: F.softmax(x, dim=2), UNKNOWN),
    ("dropout", F.dropout, POINTWISE),
    ("batch_norm", lambda x: F.batch_norm(x, torch.zeros(4), torch.ones(4)),
     POINTWISE),
    ("add", lambda x: x + 1, POINTWISE),
    ("mul", lambda x: 2 * x, POINTWISE),
    # Python's operators, as the walk's torch function mode is handed them
    ("rsub", lambda x: 1 - x, POINTWISE),
    ("rdiv", lambda x: 1 / x, POINTWISE),
    ("floordiv", lambda x: x // 2, POINTWISE),
    ("rpow", lambda x: 2 ** x, POINTWISE),
    ("positive", lambda x: +x, POINTWISE),
    ("neg", lambda x: -x, POINTWISE),
    ("div", lambda x: x / (x + 1), MERGE),
    ("add", lambda x: x + x, POINTWISE),        # one map read
    ("add", lambda x: x + F.avg_pool2d(x, 3, 1, 1), MERGE),
    ("add", lambda x: torch.add(x, x.relu()), MERGE),
    ("mul", lambda x: x.mul(x.relu()), MERGE),
    ("mul", lambda x: x * x.mean((2, 3), keepdim=True), MERGE),
    ("cat", lambda x: torch.cat([x, x.relu()], 1), MERGE),
    ("cat", lambda x: torch.cat([x, x.relu()], dim=-3), MERGE),
    ("cat", lambda x: torch.cat([x, x], 1), POINTWISE),
    ("cat", lambda x: torch.cat([x, x.relu()], 2), UNKNOWN),
    ("view", lambda x: x.view(x.size(0), -1), FLATTEN),
    ("reshape", lambda x: x.reshape(1, -1), FLATTEN),
    ("flatten", lambda x: torch.flatten(x, 1), FLATTEN),
    ("flatten", lambda x: x.flatten(1), FLATTEN),
    # spatial axes kept whole, wherever they move, act per position
    ("view", lambda x: x.view(1, 2, 2, 8, 8), POINTWISE),
    ("view", lambda x: x.view(1, 2, 2, 8, 8).view(1, 4, 8, 8), POINTWISE),
    ("transpose", lambda x: x.view(1, 2, 2, 8, 8).transpose(1, 2),
     POINTWISE),
    ("permute", lambda x: x.permute(0, 2, 3, 1), POINTWISE),
    ("movedim", lambda x: x.movedim(1, -1), POINTWISE),
    ("unflatten", lambda x: x.unflatten(1, (2, 2)), POINTWISE),
    ("linear", lambda x: F.linear(x.permute(0, 2, 3, 1), torch.ones(3, 4)),
     win((1, 1), (1, 1), (0, 0), learns=True)),
    # ... or split into parts (merged back in order, they are whole again)
    ("view", lambda x: x.view(1, 4, 4, 2, 8), POINTWISE),
    ("view", lambda x: x.view(1, 4, 4, 2, 8).view(1, 4, 8, 8), POINTWISE),
    # the finer part of each axis merged into the channels: space to
    # depth (PixelUnshuffle's record); channels merged below each axis's
    # finest part: depth to space (PixelShuffle's)
    ("reshape", lambda x: x.view(1, 4, 4, 2, 4, 2).permute(
        0, 3, 5, 1, 2, 4).reshape(1, 16, 4, 4), win((2, 2), (2, 2), (0, 0))),
    ("reshape", lambda x: x.view(1, 4, 8, 4, 2).permute(
        0, 1, 4, 2, 3).reshape(1, 8, 8, 4), win((1, 2), (1, 2), (0, 0))),
    ("reshape", lambda x: x.view(1, 2, 2, 1, 8, 8).permute(
        0, 3, 4, 1, 5, 2).reshape(1, 1, 16, 16), tr((2, 2), (2, 2), (0, 0))),
    # ... split, merged or swapped otherwise, they cannot be followed
    ("reshape", lambda x: x.view(1, 4, 4, 2, 8).transpose(2, 3).reshape(
        1, 4, 8, 8), UNKNOWN),
    ("reshape", lambda x: x.view(1, 4, 2, 4, 8).permute(
        0, 2, 1, 3, 4).reshape(1, 8, 4, 8), UNKNOWN),
    ("reshape", lambda x: x.reshape(1, 4, 64), UNKNOWN),
    ("permute", lambda x: x.permute(0, 1, 3, 2), UNKNOWN),
    ("linear", lambda x: F.linear(x, torch.ones(3, 8)), UNKNOWN),
    ("avg_pool2d", lambda x: F.avg_pool2d(x.permute(0, 2, 3, 1), 2),
     UNKNOWN),
    ("mean", lambda x: x.mean((2, 3)), COLLAPSE),
    ("mean", lambda x: x.mean((-1, -2), keepdim=True), COLLAPSE),
    ("mean", lambda x: x.mean(1, keepdim=True), POINTWISE),
    ("sum", lambda x: x.sum(3), UNKNOWN),
    ("contiguous", lambda x: x.contiguous(), POINTWISE),
    ("erfinv", torch.erfinv, UNKNOWN),          # no rule
]


@pytest.mark.parametrize("name, fn, expected", FUNCTION_CASES,
                         ids=[c[0] for c in FUNCTION_CASES])
def test_function_rules(name, fn, expected):
    layers = records(Lambda(fn), IMAGE)
    record = next(r for r in layers if r.class_name == name)
    assert geometry(record) == expected


def test_function_records_and_their_names():
    layers = records(Lambda(lambda x: F.max_pool2d(x, 2) * x.mean(
        (2, 3), keepdim=True)), IMAGE)
    assert [(r.name, r.class_name, r.op, r.inputs) for r in layers] == [
        ("x", "Input", "input", ()),
        ("max_pool2d", "max_pool2d", "window", (0,)),
        ("mean", "mean", "collapse", (0,)),
        ("mul", "mul", "merge", (1, 2)),
    ]
    report = core.report(adapter.network_of(Lambda(lambda x: F.max_pool2d(
        x, 2) * x.mean((2, 3), keepdim=True)), IMAGE))
    assert report.rows[3].field == (2., 2.)


@pytest.mark.parametrize("gate_first", [False, True])
def test_a_global_gate_is_no_misaligned_branch(gate_first):
    # squeeze-and-excitation: map * mean(map); the (batch, channels, 1, 1)
    # gate has no spatial units, so it cannot be misaligned, and the
    # product's units are the map's units
    def gated(x):
        pooled = F.max_pool2d(x, 2)
        gate = x.mean((2, 3), keepdim=True)
        return gate * pooled if gate_first else pooled * gate

    report = core.report(adapter.network_of(Lambda(gated), IMAGE))
    assert report.rows[-1].field == (2., 2.)
    assert report.rows[-1].start == report.rows[1].start
    assert not report.warnings


def test_constants_and_parameters_are_no_records():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(2, 4, 3, 3))
            self.register_buffer("shift", torch.ones(1, 2, 1, 1))

        def forward(self, x):
            return F.conv2d(x, self.weight) + self.shift + torch.ones(1)

    layers = records(Scaled(), IMAGE)
    assert [(r.class_name, r.op, r.inputs, r.n_params) for r in layers] == [
        ("Input", "input", (), 0),
        ("conv2d", "window", (0,), 72),     # owns the parameter it reads
        ("add", "pointwise", (1,), 0),
        ("add", "pointwise", (2,), 0),
    ]
    assert adapter.network_of(Scaled(), IMAGE).total_params == 72


# --------------------------------------------------------------------------
# Nets by hand
# --------------------------------------------------------------------------

# name, class, op, params, field, jump, start, real filter on 32x32
VGG_ROWS = [
    ("input", "Input", "input", 0, 1, 1, 0.5, 1),
    ("features.0", "Conv2d", "window", 224, 3, 1, 0.5, 3),
    ("features.1", "ReLU", "pointwise", 0, 3, 1, 0.5, 3),
    ("features.2", "Conv2d", "window", 584, 5, 1, 0.5, 3),
    ("features.3", "ReLU", "pointwise", 0, 5, 1, 0.5, 3),
    ("features.4", "MaxPool2d", "window", 0, 6, 2, 1.0, 3),
    ("features.5", "Conv2d", "window", 1168, 10, 2, 1.0, 6),
    ("features.6", "BatchNorm2d", "pointwise", 32, 10, 2, 1.0, 6),
    ("features.7", "ReLU", "pointwise", 0, 10, 2, 1.0, 6),
    ("features.8", "MaxPool2d", "window", 0, 12, 4, 2.0, 6),
    ("avgpool", "AdaptiveAvgPool2d", "window", 0, 24, 16, 8.0, 6),
    # a flattened unit is one unit of the map; 2 units of jump 16 and
    # field 24: the whole map is 40 wide with its padding, of which a unit
    # that sees it all depends on the 32 pixels
    ("flatten", "Flatten", "flatten", 0, 24, 16, 8.0, 6),
    ("classifier.0", "Linear", "collapse", 2080, 32, 32, 16.0, 32),
    ("classifier.1", "ReLU", "pointwise", 0, 32, 32, 16.0, 32),
    ("classifier.2", "Dropout", "pointwise", 0, 32, 32, 16.0, 32),
    ("classifier.3", "Linear", "collapse", 330, 32, 32, 16.0, 32),
]


def test_vgg_ish_value_table():
    net = models.vgg_ish()
    network = adapter.network_of(net, (1, 3, 32, 32))
    report = core.report(network)
    got = [(r.name, r.class_name, rec.op, r.n_params, r.field[0], r.jump[0],
            r.start[0], r.real_filter[0])
           for r, rec in zip(report.rows, network.layers)]
    assert got == VGG_ROWS
    for row in report.rows:     # square kernels, square image
        assert row.field == (row.field[0],) * 2
        assert row.coverage == (100. * row.field[0] / 32,) * 2
        assert row.capacity == (100. * row.real_filter[0] / row.field[0],) * 2
    assert [r.inputs for r in network.layers] == \
        [()] + [(i,) for i in range(len(VGG_ROWS) - 1)]
    assert network.total_params == sum(p.numel() for p in net.parameters())
    assert network.layers[10].kernel == (4, 4)
    assert report.warnings == []


def test_resnet_ish_merges():
    net = models.ResNetIsh()
    network = adapter.network_of(net, (1, 3, 32, 32))
    report = core.report(network)
    by_name = {r.name: (i, r) for i, r in enumerate(network.layers)}
    rows = {r.name: r for r in report.rows}
    # functions are named by the function, inside the module calling them
    add, add_1 = by_name["layer1.add"], by_name["layer2.add"]
    assert add[1].op == add_1[1].op == "merge"
    # x + block(x): the identity comes from the stem's ReLU
    assert add[1].inputs == (by_name["layer1.bn2"][0], by_name["stem.2"][0])
    assert add_1[1].inputs == (by_name["layer2.bn2"][0],
                               by_name["layer2.shortcut.1"][0])
    assert rows["layer1.conv2"].field == (7., 7.)
    assert rows["layer2.conv1"].field == (9., 9.)
    assert rows["layer2.conv2"].field == (13., 13.)
    assert rows["layer2.shortcut.0"].field == (7., 7.)
    assert rows["layer2.add"].field == (13., 13.)
    assert rows["layer2.add"].jump == (2., 2.)
    assert rows["layer2.add"].module_path == (("layer2", "BasicBlock"),)
    assert rows["layer2.conv1"].module_path == (("layer2", "BasicBlock"),)
    assert rows["fc"].module_path == ()
    # 16 units of jump 2 and field 13 span 43 pixels with the padding: a
    # global pool depends on the 32 of the image
    assert rows["pool"].field == (32.,) * 2
    assert rows["fc"].class_name == "Linear"
    assert network.layers[by_name["layer2.conv1"][0]].n_params == 8 * 16 * 9
    assert network.total_params == sum(p.numel() for p in net.parameters())
    assert report.warnings == []      # the shortcut is aligned


def test_nested_containers_are_traced_through():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Conv2d(4, 4, 3, padding=1),
                                         nn.Sequential(nn.ReLU(),
                                                       nn.MaxPool2d(2))])
            self.heads = nn.ModuleDict({"a": nn.Conv2d(4, 2, 1),
                                        "b": nn.Conv2d(4, 2, 3, padding=1)})

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return torch.cat([self.heads["a"](x), self.heads["b"](x)], 1)

    layers = records(Net(), IMAGE)
    assert [(r.name, r.op) for r in layers] == [
        ("x", "input"), ("blocks.0", "window"), ("blocks.1.0", "pointwise"),
        ("blocks.1.1", "window"), ("heads.a", "window"),
        ("heads.b", "window"), ("cat", "merge")]
    assert layers[-1].inputs == (4, 5)


def test_subclasses_of_ruled_modules_stay_one_record():
    layers = records(nn.Sequential(models.Conv2dReLU(1, 2, 3)),
                     (1, 1, 8, 8))
    assert [(r.class_name, r.op) for r in layers] == [
        ("Input", "input"), ("Conv2dReLU", "window")]


def test_registered_module_rule():
    class Blur(nn.Module):
        def forward(self, x):
            return F.avg_pool2d(x, 3, 1, 1)

    assert records(Blur(), IMAGE)[1].class_name == "avg_pool2d"

    @adapter.register_module_rule(Blur)
    def blur(call, n_axes):
        return adapter.window(n_axes, 5, 1, 2)

    try:
        (record,) = records(nn.Sequential(Blur()), IMAGE)[1:]
    finally:
        adapter.MODULE_RULES.unregister(Blur)
    assert (record.class_name, record.kernel, record.pad) == (
        "Blur", (5, 5), (2, 2))
    assert records(Blur(), IMAGE)[1].class_name == "avg_pool2d"


def test_shared_module_counts_once():
    network = adapter.network_of(models.Shared(), IMAGE)
    assert [(r.name, r.n_params) for r in network.layers] == [
        ("x", 0), ("conv", 148), ("conv_1", 148)]
    assert network.total_params == 148


def test_a_weight_two_modules_share_counts_once():
    # the reflect-padded conv runs (its output shape is not computed), so
    # the working copy gives it a meta twin of the weight while the first
    # conv keeps the module's own: one weight still
    first = nn.Conv2d(1, 1, 3)
    second = nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")
    second.weight = first.weight
    network = adapter.network_of(nn.Sequential(first, second), (1, 1, 8, 8))
    assert [r.n_params for r in network.layers] == [0, 10, 10]
    assert network.total_params == 9 + 1 + 1


def test_several_inputs():
    network = adapter.network_of(models.TwoInputs(),
                                 [(1, 1, 16, 16), (1, 2, 8, 8)])
    layers = network.layers
    assert [(r.name, r.class_name, r.op) for r in layers[:2]] == [
        ("x", "Input", "input"), ("y", "Input", "input")]
    assert layers[-1].inputs == (3, 4)
    report = core.report(network)
    assert [r.source for r in report.rows] == ["x", "y", "x", "x", "y", "y"]
    assert "misaligned" in report.rows[-1].flags


def test_one_and_three_dimensional_nets():
    net1 = nn.Sequential(nn.Conv1d(1, 2, 3, dilation=2), nn.AvgPool1d(2),
                         nn.Conv1d(2, 2, 3))
    rows = nolearn_capacity.analyze(net1, input_shape=(1, 1, 40)).rows
    assert [r.field for r in rows] == [(1.,), (5.,), (6.,), (10.,)]
    net3 = nn.Sequential(nn.Conv3d(1, 2, (1, 3, 3)), nn.MaxPool3d(2))
    rows = nolearn_capacity.analyze(net3, input_shape=(1, 1, 4, 8, 8)).rows
    assert rows[-1].field == (2., 4., 4.)
    assert rows[-1].jump == (2., 2., 2.)


def test_a_lone_module_is_one_record():
    layers = records(nn.Conv2d(1, 2, 3, stride=2), (1, 1, 9, 9))
    assert [(r.name, r.class_name, r.op, r.legacy_role, r.n_params)
            for r in layers] == [
        ("input", "Input", "input", None, 0),
        ("Conv2d", "Conv2d", "window", "conv", 20)]


def test_dict_outputs():
    class Heads(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 2, 3)

        def forward(self, x):
            out = {"a": self.conv(x), "b": x}
            return {"a": out["a"].relu(), "b": out["b"]}

    assert [r.name for r in records(Heads(), IMAGE)] == ["x", "conv", "relu"]


def test_float64_model():
    net = nn.Sequential(nn.Conv2d(1, 2, 3)).double()
    assert nolearn_capacity.analyze(net, input_shape=(1, 1, 8, 8)).rows[
        1].field == (3., 3.)


def test_unknown_class_is_flagged_by_the_core():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Softmax(dim=2),
                        nn.Conv2d(2, 2, 3))
    report = nolearn_capacity.analyze(net, input_shape=(1, 1, 8, 8))
    assert report.rows[2].class_name == "Softmax"
    assert "approximate" in report.rows[3].flags
    # the rule's own reason, not "no geometry rule" (there is one)
    assert report.warnings == [
        "layer '1' (#2, Softmax): softmax along spatial axis 2; treated as "
        "acting per position, rows from here on are approximate"]


# --------------------------------------------------------------------------
# Legacy mode: nolearn's MNIST tutorial net, ported
# --------------------------------------------------------------------------

def test_mnist_tutorial_port_gives_nolearns_rows():
    port = models.mnist_tutorial()
    ours = nolearn_capacity.analyze(port, mode="legacy",
                                    input_shape=(1, 1, 28, 28))
    spec = nolearn_capacity.analyze(MNIST_TUTORIAL, mode="legacy")
    assert ours.total_params == spec.total_params == 122154
    assert len(ours.rows) == len(spec.rows) == 12
    for mine, theirs in zip(ours.rows[1:], spec.rows[1:]):
        assert mine.name == theirs.name
        assert mine.size == theirs.size
        assert mine.n_params == theirs.n_params
        assert mine.capacity == theirs.capacity
        assert mine.coverage == theirs.coverage
        assert mine.real_filter == theirs.real_filter
        assert mine.field == theirs.field
    # the seed post's row
    assert ours.rows[6].coverage == (100. * 19 / 28,) * 2


def mnist_port():
    """The usual port of the MNIST tutorial: nn.ReLU modules after the
    convs and dense layers, whose rows are 'fused' (Lasagne builds them
    into the layer before)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 96, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(96, 64), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10), nn.Softmax(dim=1))


def test_mnist_port_with_separate_activations_gives_nolearns_rows():
    network = adapter.network_of(mnist_port(), (1, 1, 28, 28))
    fused = [r.class_name for r in network.layers
             if r.legacy_role == "fused"]
    assert fused == ["ReLU"] * 6 + ["Softmax"]
    ours = core.report(network, "legacy")
    spec = nolearn_capacity.analyze(MNIST_TUTORIAL, mode="legacy")
    kept = [row for row, record in zip(ours.rows, network.layers)
            if record.legacy_role != "fused" and record.class_name !=
            "Flatten"]
    assert [r.class_name for r in kept] == [
        "Input", "Conv2d", "MaxPool2d", "Conv2d", "Conv2d", "MaxPool2d",
        "Conv2d", "MaxPool2d", "Linear", "Dropout", "Linear", "Linear"]
    assert [(r.capacity, r.coverage) for r in kept] == \
        [(r.capacity, r.coverage) for r in spec.rows]
    assert ours.total_params == 122154


def test_nolearn_layout_of_a_port_leaves_out_its_separate_activations():
    ours = nolearn_capacity.analyze(mnist_port(), mode="legacy",
                                    input_shape=(1, 1, 28, 28))
    lines = ours.render("nolearn", color=False).splitlines()
    table = lines[lines.index("## Layer information") + 4:]
    table = table[:table.index("")]
    # the ReLU modules 1, 4, 6, 9, 13 and 16 and the Softmax 18 have no
    # row; the rest keep nolearn's numbers (the seed post's 67.86 %
    # coverage on the last conv)
    assert [line.split()[0] for line in table] == [
        "input", "0", "2", "3", "5", "7", "8", "10", "11", "12", "14", "15",
        "17"]
    assert table[6].split()[1:] == [
        "96x2x2", "384", "63.16", "63.16", "67.86", "67.86"]


def test_fused_only_right_after_a_learning_layer():
    net = Lambda(lambda x: F.relu(F.relu(F.conv2d(x, torch.ones(2, 4, 3, 3)))))
    assert [r.legacy_role for r in records(net, IMAGE)] == [
        None, None, "fused", None]
    net = nn.Sequential(nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Tanh(), nn.Linear(4, 2),
                        nn.Sigmoid())
    assert [r.legacy_role for r in records(net, (1, 4, 10, 10))] == [
        None, "conv", None, None, "maxpool", None, None, None]


def test_legacy_roles():
    layers = records(nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.MaxPool2d((2, 3)), nn.AvgPool2d(2),
        nn.ConvTranspose2d(2, 2, 2), models.Conv2dReLU(2, 2, (1, 5))),
        (1, 1, 32, 32))
    assert [(r.legacy_role, r.legacy_size) for r in layers] == [
        (None, None), ("conv", (3, 3)), ("maxpool", (2, 3)), (None, None),
        (None, None), ("conv", (1, 5))]
    layers = records(nn.Sequential(nn.Conv1d(1, 2, 3), nn.MaxPool1d(2)),
                     (1, 1, 16))
    assert [r.legacy_role for r in layers] == [None, None, None]


# --------------------------------------------------------------------------
# Fallback: forward hooks when the walk cannot follow (control flow on data)
# --------------------------------------------------------------------------

def test_untraceable_model_falls_back_to_hooks():
    with pytest.warns(UserWarning, match="cannot follow DataDependent: its "
                      "forward reads tensor values.*control flow.*forward "
                      "hooks"):
        network = adapter.network_of(models.DataDependent(), (1, 1, 12, 12))
    assert [(r.name, r.class_name, r.op, r.inputs) for r in
            network.layers] == [
        ("x", "Input", "input", ()),
        ("conv1", "Conv2d", "window", (0,)),
        ("pool", "MaxPool2d", "window", (1,)),
        ("conv2", "Conv2d", "window", (2,)),     # `x * 2` is invisible
        ("bn", "BatchNorm2d", "pointwise", (3,)),
    ]
    assert network.layers[3].output_shape == (1, 4, 5, 5)
    assert network.total_params == 40 + 148 + 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = nolearn_capacity.analyze(models.DataDependent(),
                                        input_shape=(1, 1, 12, 12)).rows
    assert [r.field[0] for r in rows] == [1., 3., 4., 8., 8.]


def test_hooks_follow_tensors_where_they_can():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(1, 2, 3, padding=1)
            self.b = nn.Conv2d(1, 2, 5, padding=2)
            self.c = nn.Conv2d(4, 2, 1)

        def forward(self, x):
            if x.mean() > 1:
                return x
            return self.c(torch.cat([self.a(x), self.b(x)], 1))

    with pytest.warns(UserWarning, match="cannot follow Branchy"):
        layers = records(Branchy(), (1, 1, 8, 8))
    # b reads the input itself; c reads torch.cat's result, which hooks
    # cannot see: the chain assumption makes it read b
    assert [(r.name, r.inputs) for r in layers] == [
        ("x", ()), ("a", (0,)), ("b", (0,)), ("c", (2,))]


# --------------------------------------------------------------------------
# The analysed module is never changed
# --------------------------------------------------------------------------

def snapshot(module):
    return {
        "tensor attributes": {
            (n, k): v.clone() for n, m in module.named_modules()
            for k, v in m.__dict__.items() if isinstance(v, torch.Tensor)},
        "state": {k: v.detach().clone() for k, v in
                  module.state_dict().items()
                  if not isinstance(v, nn.parameter.UninitializedTensorMixin)},
        "training": [(n, m.training) for n, m in module.named_modules()],
        "params": [(n, id(p), p.requires_grad, type(p)) for n, p in
                   module.named_parameters()],
        "attributes": {n: sorted(m.__dict__) for n, m in
                       module.named_modules()},
        "calls": getattr(module, "calls", None),
        "hooks": [(len(m._forward_hooks), len(m._forward_pre_hooks))
                  for m in module.modules()],
    }


def same(before, after):
    assert before.keys() == after.keys()
    for key in before:
        if key in ("state", "tensor attributes"):
            assert before[key].keys() == after[key].keys()
            for name, value in before[key].items():
                assert torch.equal(value, after[key][name]), name
        else:
            assert before[key] == after[key], key


class InPlace(nn.Module):
    """Changes its own tensors in place: in forward (a buffer, a parameter
    through ``.data``) and in ``train`` (a re-parametrisation); the
    analysis runs on a copy that holds these very tensors until code runs
    on them."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.scale = nn.Parameter(torch.ones(2))
        self.register_buffer("seen", torch.zeros(()))

    def train(self, mode=True):
        with torch.no_grad():
            self.conv.weight.mul_(2.)
        return super().train(mode)

    def forward(self, x):
        self.seen.add_(1)
        with torch.no_grad():
            self.scale.data.mul_(3.)
        return self.conv(x) * self.scale.view(1, -1, 1, 1)


def _patched_forward(self, x):
    self.seen = True
    with torch.no_grad():       # a namedtuple of its own parameters
        torch._foreach_add_(Pair(self.conv.weight, self.conv.bias), 1.)
    return self.bn(self.conv(x))


Pair = collections.namedtuple("Pair", "weight bias")


class PatchedForward(nn.Module):
    """``forward`` replaced on the instance by a method bound to it (as
    libraries that wrap a model's forward do)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.forward = types.MethodType(_patched_forward, self)


class SteppingConv(nn.Conv2d):
    """A ruled subclass with its own forward and a plain tensor attribute
    it changes in place."""

    def __init__(self, *args):
        super().__init__(*args)
        self.steps = torch.zeros(())

    def forward(self, x):
        self.steps += 1
        return super().forward(x)


class Stepping(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = SteppingConv(1, 2, 3)
        self.count = torch.zeros(())

    def forward(self, x):
        self.count.add_(1)
        return self.conv(x)


@pytest.mark.parametrize("make, shape", [
    (models.vgg_ish, (2, 3, 32, 32)),
    (models.ResNetIsh, (2, 3, 32, 32)),
    (models.DataDependent, (2, 1, 12, 12)),       # the hook path
    (models.Counting, (1, 1, 8, 8)),              # forward sets attributes
    (lambda: nn.Sequential(nn.LazyConv2d(2, 3), nn.LazyBatchNorm2d()),
     (2, 1, 8, 8)),                               # running would initialise
    (InPlace, (1, 1, 8, 8)),                      # changes its own tensors
    (lambda: PatchedForward(), (1, 1, 8, 8)),
    (lambda: Stepping(), (1, 1, 8, 8)),
], ids=["vgg", "resnet", "hooks", "counting", "lazy", "in-place",
        "patched-forward", "tensor-attributes"])
def test_module_is_unchanged(make, shape):
    module = make()
    module.train()
    if len(module) if isinstance(module, nn.Sequential) else False:
        module[0].eval()        # mixed flags must survive too
    before = snapshot(module)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nolearn_capacity.analyze(module, input_shape=shape)
        nolearn_capacity.analyze(module, input_shape=shape, mode="legacy") \
            if len(shape) == 4 else None
    same(before, snapshot(module))


def test_lazy_modules_count_their_parameters():
    net = nn.Sequential(nn.LazyConv2d(2, 3), nn.LazyLinear(5))
    network = adapter.network_of(nn.Sequential(net[0], nn.Flatten(), net[1]),
                                 (1, 1, 8, 8))
    assert network.total_params == (9 + 1) * 2 + (72 + 1) * 5
    assert isinstance(net[0].weight, nn.parameter.UninitializedParameter)


# --------------------------------------------------------------------------
# The walk follows what the module computes
# --------------------------------------------------------------------------

def links(module, shape=IMAGE):
    return [(r.name, r.op, r.inputs) for r in records(module, shape)]


def wiring(module, shape=IMAGE):
    return [(r.name, r.inputs) for r in records(module, shape)]


def test_named_tuple_results_are_followed():
    net = Lambda(lambda x: F.max_pool2d(torch.max(x, 1, keepdim=True)[0], 2))
    assert links(net) == [
        ("x", "input", ()), ("max", "pointwise", (0,)),     # over channels
        ("getitem", "pointwise", (1,)), ("max_pool2d", "window", (2,))]


def test_nested_tuple_outputs_are_followed():
    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(4, 5, batch_first=True)
            self.fc = nn.Linear(5, 2)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.fc(h[-1])

    assert wiring(Recurrent(), (1, 6, 4)) == [
        ("x", ()), ("lstm", (0,)), ("getitem", (1,)), ("getitem_1", (2,)),
        ("fc", (3,))]


def test_writing_into_a_map_links_it():
    class Fill(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(4, 4, 3)
            self.b = nn.Conv2d(8, 2, 3)

        def forward(self, x):
            y = self.a(x)
            buf = torch.zeros(1, 8, 6, 6, device=y.device)
            buf[:, :4] = y                  # channels: per position
            part = torch.zeros(1, 4, 8, 8, device=y.device)
            part[:, :, 1:7, 1:7] = y        # moves the units: unknown
            return self.b(buf), part

    assert links(Fill()) == [
        ("x", "input", ()), ("a", "window", (0,)),
        ("setitem", "pointwise", (1,)), ("setitem_1", "unknown", (1,)),
        ("b", "window", (2,))]
    report = nolearn_capacity.analyze(Fill(), input_shape=IMAGE)
    assert report.rows[4].field == (5., 5.)
    assert "approximate" not in report.rows[4].flags


def test_a_tensor_made_from_anothers_shape_is_a_constant():
    def masked(x):
        mask = x.new_zeros(x.shape)
        mask[:, :, :2] = -1.
        return x + mask + torch.zeros_like(x)
    assert links(Lambda(masked)) == [
        ("x", "input", ()), ("add", "pointwise", (0,)),
        ("add_1", "pointwise", (1,))]


def test_a_ruled_module_on_a_constant_runs_on_the_meta_device():
    # positions from a meshgrid, through a Linear: on a huge input that
    # only the meta device can take
    class Positions(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 8, 3, padding=1)
            self.embed = nn.Linear(2, 8)

        def forward(self, x):
            y = self.conv(x)
            h, w = y.shape[2:]
            grid = torch.stack(torch.meshgrid(
                torch.arange(h) * 1., torch.arange(w) * 1., indexing="ij"),
                -1)
            return y + self.embed(grid).permute(2, 0, 1)[None]

    assert [(r.name, r.output_shape) for r in records(
        Positions(), (1, 1, 10000, 10000))] == [
        ("x", (1, 1, 10000, 10000)), ("conv", (1, 8, 10000, 10000)),
        ("add", (1, 8, 10000, 10000))]


def test_the_models_own_error_handling_still_works():
    def flat(x):
        y = x.transpose(2, 3)
        try:
            return y.view(1, -1)        # not viewable: torch raises
        except RuntimeError:
            return y.reshape(1, -1)
    assert [r.name for r in records(Lambda(flat), IMAGE)] == [
        "x", "transpose", "reshape"]


def test_in_place_activations_change_the_tensor_they_are_given():
    class InPlaceReLU(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3)
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            y = self.conv(x)
            self.relu(y)                # the result is not used: y is
            y = F.relu(y, inplace=True)
            return F.max_pool2d(y, 2)

    assert wiring(InPlaceReLU()) == [
        ("x", ()), ("conv", (0,)), ("relu", (1,)), ("relu_1", (2,)),
        ("max_pool2d", (3,))]


def test_an_output_the_walk_cannot_link_falls_back_to_hooks():
    class Blind(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3)

        def forward(self, x):
            return torch.zeros(self.conv(x).shape)

    with pytest.warns(UserWarning, match="cannot follow Blind: its output "
                      "is not computed from its input by calls the walk "
                      "can see"):
        layers = records(Blind(), IMAGE)
    assert [r.name for r in layers] == ["x", "conv"]


def test_a_rules_own_error_is_shown_as_it_is():
    class Odd(nn.Module):
        def forward(self, x):
            return x

    @adapter.register_module_rule(Odd)
    def broken(call, n_axes):
        return {}["op"]
    try:
        with pytest.raises(KeyError, match="op"):
            adapter.network_of(nn.Sequential(Odd()), (1, 1, 10 ** 5, 10 ** 5))
    finally:
        adapter.MODULE_RULES.unregister(Odd)


# --------------------------------------------------------------------------
# Errors and imports
# --------------------------------------------------------------------------

@pytest.mark.parametrize("shape, message", [
    (None, "needs input_shape=(batch, channels, *spatial)"),
    ((1, 0, 8, 8), "tuple of positive ints"),
    ((1, 1, 8.0, 8), "tuple of positive ints"),
    ("1x1x8x8", "tuple of positive ints"),
    ((1, 3, 8, 8), "running the module on zeros of shape (1, 3, 8, 8) "
     "failed (RuntimeError"),
    ([(1, 1, 8, 8), (1, 1, 8, 8)], "gives 2 shapes, but the module takes 1"),
])
def test_bad_input_shapes(shape, message):
    with pytest.raises(BadShapeError) as info:
        adapter.network_of(nn.Sequential(nn.Conv2d(1, 2, 3)), shape)
    assert message in str(info.value)


def test_missing_second_input():
    with pytest.raises(BadShapeError, match="takes 2 inputs"):
        adapter.network_of(models.TwoInputs(), (1, 1, 16, 16))


def test_inputs_with_defaults_may_be_left_out():
    class Optional(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3)

        def forward(self, x, scale=None, times=1):
            out = self.conv(x) if scale is None else scale * self.conv(x)
            for _ in range(times):
                out = F.relu(out)
            return out

    layers = records(Optional(), (1, 1, 8, 8))
    assert [r.name for r in layers] == ["x", "conv", "relu"]


def run_python(code):
    result = subprocess.run([sys.executable, "-c", code], cwd=str(REPO),
                            capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_the_package_does_not_import_torch():
    out = run_python(
        "import sys, nolearn_capacity\n"
        "from nolearn_capacity.examples import MNIST_TUTORIAL\n"
        "nolearn_capacity.analyze(MNIST_TUTORIAL)\n"
        "print('torch' in sys.modules)\n")
    assert out.strip() == "False"


def test_torch_adapter_loads_with_the_first_torch_module():
    out = run_python(
        "import sys, torch, nolearn_capacity\n"
        "print('nolearn_capacity.adapters.torch' in sys.modules)\n"
        "nolearn_capacity.analyze(torch.nn.Conv2d(1, 1, 3),\n"
        "                         input_shape=(1, 1, 5, 5))\n"
        "print('nolearn_capacity.adapters.torch' in sys.modules)\n")
    assert out.split() == ["False", "True"]


# --------------------------------------------------------------------------
# Spatial axes followed through shape-only ops (issue 10 item 2)
# --------------------------------------------------------------------------

def stochastic_depth(x, p, training):
    """torchvision's, in eval mode: the identity, which calls no torch
    function and so leaves no row."""
    return x


class ChannelsLastBlock(nn.Module):
    """ConvNeXt's block: depthwise conv, then LayerNorm and Linear on a
    channels-last map, a learned scale first, stochastic depth, residual."""

    def __init__(self, c=4):
        super().__init__()
        self.dwconv = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c)
        self.pwconv = nn.Linear(c, 2 * c)
        self.back = nn.Linear(2 * c, c)
        self.gamma = nn.Parameter(torch.ones(c))

    def forward(self, x):
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.gamma * self.back(F.gelu(self.pwconv(self.norm(y))))
        return x + stochastic_depth(y.permute(0, 3, 1, 2), 0.1, False)


def channel_shuffle(x, groups=2):
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    return torch.transpose(x, 1, 2).contiguous().view(b, -1, h, w)


@pytest.mark.parametrize("make, field", [
    (lambda: nn.Sequential(nn.Conv2d(4, 4, 3), ChannelsLastBlock(),
                           nn.Conv2d(4, 4, 3)), 11.),
    (lambda: nn.Sequential(nn.Conv2d(4, 4, 3), Lambda(channel_shuffle),
                           nn.Conv2d(4, 4, 3)), 5.),
], ids=["channels-last", "channel-shuffle"])
def test_shape_only_ops_keep_fields_exact(make, field):
    report = nolearn_capacity.analyze(make(), input_shape=(1, 4, 20, 20),
                                      mode="exact")
    assert report.rows[-1].field == (field, field)
    assert not any("approximate" in r.flags for r in report.rows)
    assert not report.warnings


def test_linear_on_channels_last_is_a_1x1_conv_and_counts():
    layers = records(ChannelsLastBlock(), (1, 4, 8, 8))
    linear = [r for r in layers if r.class_name == "Linear"]
    assert [(r.op, r.kernel, r.learns, r.n_params) for r in linear] == [
        ("window", (1, 1), True, 40), ("window", (1, 1), True, 36)]
    assert [r.op for r in layers if r.class_name in (
        "permute", "mul", "stochastic_depth", "LayerNorm")] == [
        "pointwise"] * 4


# --------------------------------------------------------------------------
# Padding done inside forward (issue 10 item 3)
# --------------------------------------------------------------------------

class PadThenConv(nn.Conv2d):
    """timm's Conv2dSame: pads in forward (TensorFlow's 'SAME' puts the odd
    pixel behind), then convolves with padding=0."""

    def forward(self, x):
        return super().forward(F.pad(x, (2, 1, 3, 0)))


def test_pads_in_a_subclass_forward_move_the_start():
    layers = records(nn.Sequential(PadThenConv(1, 2, 5)), (1, 1, 16, 16))
    assert geometry(layers[1]) == win((5, 5), (1, 1), (3, 2), learns=True)
    row = nolearn_capacity.analyze(nn.Sequential(PadThenConv(1, 2, 5)),
                                   input_shape=(1, 1, 16, 16)).rows[1]
    # unit 0 reads input rows -3..1 and columns -2..2
    assert row.start == (-0.5, 0.5) and row.field == (5., 5.)


def test_pads_in_a_subclass_forward_are_seen_by_hooks_too():
    class Untraceable(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = PadThenConv(1, 2, 5)

        def forward(self, x):
            if x.sum() > 0:
                x = x * 2
            return self.conv(x)

    with pytest.warns(UserWarning, match="cannot follow Untraceable"):
        layers = records(Untraceable(), (1, 1, 16, 16))
    assert geometry(layers[1]) == win((5, 5), (1, 1), (3, 2), learns=True)
    assert not torch.overrides._get_current_function_mode_stack()


def test_hooks_flag_a_pad_between_modules_they_cannot_see():
    class PadBetween(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(1, 2, 3)
            self.b = nn.Conv2d(2, 2, 3)

        def forward(self, x):
            if x.sum() > 0:
                x = x * 2
            return self.b(F.pad(self.a(x), (2, 0, 1, 1)))

    with pytest.warns(UserWarning, match="cannot follow PadBetween"):
        layers = records(PadBetween(), (1, 1, 12, 12))
    assert [(r.label, r.op, r.inputs) for r in layers] == [
        ("x", "input", ()), ("a", "window", (0,)),
        ("(before b)", "unknown", (1,)), ("b", "window", (2,))]
    assert "10x10 to 12x12: the start is unknown" in layers[2].note
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = nolearn_capacity.analyze(PadBetween(),
                                          input_shape=(1, 1, 12, 12))
    # field and jump hold; the start may have moved: flagged
    assert report.rows[3].field == (5., 5.)
    assert "approximate" in report.rows[3].flags
    assert "approximate" not in report.rows[1].flags
    assert any("the start is unknown" in w for w in report.warnings)


def test_shapes_are_numbers_while_tracing():
    # The walk computes values as it traces: code that branches on a
    # shape or unpacks x.size() is followed without the hooks fallback,
    # and the shape arithmetic leaves no rows.
    class ShapeDriven(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            x = self.conv(x)
            if x.shape[-1] > 8:          # 14 > 8: pooled
                x = self.pool(x)
            if len(x) > 1:               # batch 1: not taken
                x = x * 2
            b, c, h, w = x.size()
            x = x.view(b, c // 2, 2, h, w).transpose(1, 2).reshape(
                b, c, h, w)
            first, second = x.chunk(2, dim=1)
            return torch.cat([second, first], 1)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers = records(ShapeDriven(), (1, 1, 16, 16))
        report = nolearn_capacity.analyze(ShapeDriven(),
                                          input_shape=(1, 1, 16, 16))
    assert [r.name for r in layers] == [
        "x", "conv", "pool", "view", "transpose", "reshape", "chunk",
        "getitem", "getitem_1", "cat"]
    assert [r.output_shape for r in layers][-4:] == [
        (1, 2, 7, 7), (1, 2, 7, 7), (1, 2, 7, 7), (1, 4, 7, 7)]
    # the channel shuffle keeps the pool's field, 4 px wide, jump 2
    assert report.rows[-1].field == (4., 4.)
    assert report.rows[-1].jump == (2., 2.)
    assert not any("approximate" in r.flags for r in report.rows)
