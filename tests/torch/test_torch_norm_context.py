"""Normalisations with statistics over the whole map, and reductions over
the non-spatial dimensions of a regrouped map, against the input gradient
(the oracle of ``gradient_truth.py``: positive weights, so a unit's
non-zero gradient is exactly the pixels it depends on).

A group, instance or spatial layer norm keeps each unit's local field but
makes it depend on every pixel its map saw: the row must claim the whole
image as global context.  A norm with stored or per-position statistics
(batch norm in eval, a layer norm over channels) must claim none.
"""
import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from gradient_truth import check_rows, positive  # noqa: E402
from models import Lambda  # noqa: E402

import nolearn_capacity  # noqa: E402
from nolearn_capacity import core  # noqa: E402

SIDE = 16


class ChannelsLastNorm(nn.Module):
    """ConvNeXt's block norm: a LayerNorm over the channels of a
    channels-last map."""

    def __init__(self, channels):
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class NormNet(nn.Sequential):
    """conv 3x3, the norm, conv 3x3 (a 5-pixel local field)."""

    def __init__(self, norm):
        super().__init__(nn.Conv2d(3, 2, 3, padding=1, bias=False), norm,
                         nn.Conv2d(2, 1, 3, padding=1, bias=False))


class RadixSum(nn.Module):
    """ResNeSt's split-attention sum: channels regrouped as (radix,
    channels), summed over the radix."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.out = nn.Conv2d(2, 1, 3, padding=1, bias=False)

    def forward(self, x):
        y = self.conv(x)
        y = y.reshape(y.shape[0], 2, 2, y.shape[2], y.shape[3])
        return self.out(y.sum(dim=1))


WHOLE_MAP = {
    "GroupNorm": lambda: nn.GroupNorm(1, 2),
    "InstanceNorm2d": lambda: nn.InstanceNorm2d(2),
    "InstanceNorm2d-affine": lambda: nn.InstanceNorm2d(2, affine=True),
    "LayerNorm-CHW": lambda: nn.LayerNorm([2, SIDE, SIDE]),
    "BatchNorm2d-no-running-stats": lambda: nn.BatchNorm2d(
        2, track_running_stats=False),
    "F.group_norm": lambda: Lambda(lambda x: F.group_norm(x, 2)),
    "F.instance_norm": lambda: Lambda(F.instance_norm),
    "F.layer_norm": lambda: Lambda(lambda x: F.layer_norm(x, x.shape[1:])),
}
PER_POSITION = {
    "BatchNorm2d": lambda: nn.BatchNorm2d(2),
    "InstanceNorm2d-running-stats": lambda: nn.InstanceNorm2d(
        2, track_running_stats=True),
    "LayerNorm-channels-last": lambda: ChannelsLastNorm(2),
    "LocalResponseNorm": lambda: nn.LocalResponseNorm(2),
}


def _checked(net):
    net = positive(net)
    report = core.report(nolearn_capacity.to_network(
        net, input_shape=(1, 3, SIDE, SIDE)), "exact")
    rows = [r for r in report.rows if r.index > 0 and r.field]
    # the convs: a normalised map itself sums to zero over its statistics'
    # extent, which the oracle's bound (the gradient of the sum) cannot take
    convs = [r for r in rows if r.kernel]
    return report, rows, check_rows(report, net, SIDE, convs)


def _spans(checks):
    return {(c.row.name, a.unit, a.axis): (a.expected, a.measured)
            for c in checks for a in c.axes}


@pytest.mark.parametrize("norm", sorted(WHOLE_MAP))
def test_a_norm_over_the_map_gives_every_unit_the_whole_image(norm):
    report, rows, checks = _checked(NormNet(WHOLE_MAP[norm]()))
    assert not report.warnings
    assert all(c.exact for c in checks), _spans(checks)
    first, normed, last = rows[0], rows[1], rows[-1]
    assert normed.op == "normalise" and not first.context
    for row in (normed, last):
        assert row.context == (SIDE, SIDE)
        assert row.coverage == (100., 100.)
        assert [str(f) for f in row.flags] == ["global-context"]
    # the local field stays: the affine part is per position
    assert (first.field, normed.field, last.field) == (
        (3., 3.), (3., 3.), (5., 5.))
    # and every unit of the last row really reads the whole image
    for check in checks[-1:]:
        assert all(a.measured == (0, SIDE - 1) for a in check.axes)


@pytest.mark.parametrize("norm", sorted(PER_POSITION))
def test_a_norm_with_stored_or_per_position_statistics_stays_local(norm):
    report, rows, checks = _checked(NormNet(PER_POSITION[norm]()))
    assert not report.warnings
    assert all(c.exact for c in checks), _spans(checks)
    assert not any(r.context or r.flags for r in report.rows)
    assert rows[-1].field == (5., 5.)


def test_a_layer_norm_over_one_spatial_axis_is_flagged():
    report, rows, _ = _checked(NormNet(nn.LayerNorm(SIDE)))
    (norm,) = [r for r in rows if r.class_name == "LayerNorm"]
    assert norm.op == "unknown" and "spatial dimensions (3,)" in norm.note
    assert "approximate" in [str(f) for f in rows[-1].flags]


def test_a_sum_over_the_radix_of_a_regrouped_map_is_per_position():
    report, rows, checks = _checked(RadixSum())
    assert not report.warnings
    assert all(c.exact for c in checks), _spans(checks)
    total = next(r for r in rows if r.name == "sum")
    assert total.op == "pointwise" and not total.flags
    last = rows[-1]
    assert last.field == (5., 5.) and not last.flags
    # unit 8 of 16 reads pixels 6 to 10 along each axis
    assert {a.measured for a in checks[-1].axes if a.unit == (8, 8)} == {
        (6, 10)}
