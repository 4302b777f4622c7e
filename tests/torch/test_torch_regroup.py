"""A map regrouped by hand with ``view`` / ``permute`` / ``reshape``, against
the input gradient (the oracle of ``gradient_truth.py``: positive weights,
so a unit's non-zero gradient is exactly the pixels it depends on).

Space to depth (TResNet's stem, timm's SpaceToDepth) splits each spatial
axis into (coarse, fine) factors, moves the fine ones to the channels and
merges them: each output unit reads one block, as ``nn.PixelUnshuffle``.
Depth to space is the inverse, ``nn.PixelShuffle``.  The layout tracking
must follow both with exact fields, jumps and starts on both axes; any
other way of moving a spatial factor must stay flagged ``approximate``.
The second half checks the tracking itself against torch: for chains of
views and permutes, every output unit it describes holds exactly the
input units it says, from one image.
"""
import itertools

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("hypothesis")

import torch.nn as nn  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis_profiles import examples  # noqa: E402

from gradient_truth import check_rows, positive  # noqa: E402
from models import Regroup, regrouped_net  # noqa: E402

import nolearn_capacity  # noqa: E402
from nolearn_capacity.adapters import torch as adapter  # noqa: E402

SIDE = 32
SPACE_TO_DEPTH = ["s2d", "s2d-channels-first", "s2d-reshape"]
DEPTH_TO_SPACE = ["d2s", "d2s-channels-first"]


def _report(net):
    return nolearn_capacity.analyze(net, input_shape=(1, 3, SIDE, SIDE),
                                    mode="exact")


def _maps(report):
    return [r for r in report.rows if r.index > 0 and
            len(r.output_shape) == 4]


def _spans(checks):
    return {(c.row.name, a.unit, a.axis): (a.expected, a.measured)
            for c in checks for a in c.axes if not a.exact}


def _regroup_row(report):
    """The row of the view / reshape that merges the regrouped map."""
    (row,) = [r for r in report.rows if r.op in ("window", "transposed")
              and r.class_name in ("view", "reshape")]
    return row


def _geometry(row):
    return row.field, row.field_min, row.jump, row.start


@pytest.mark.parametrize("factor", [(2, 2), (4, 4), (2, 4)])
@pytest.mark.parametrize("kind", SPACE_TO_DEPTH + DEPTH_TO_SPACE)
def test_a_shuffle_written_with_views_matches_gradients(kind, factor):
    net = positive(regrouped_net(Regroup(kind, factor)))
    report = _report(net)
    assert not report.warnings
    # (a depth-to-space unit's field centre moves with its phase:
    # shift-variant, as PixelShuffle's)
    assert not any("approximate" in r.flags for r in report.rows)
    row = _regroup_row(report)
    assert (row.op, row.kernel, row.stride, row.pad) == (
        "window" if kind.startswith("s2d") else "transposed", factor, factor,
        (0, 0))
    # the split and permuted maps before it (after conv, ReLU) act per
    # position
    assert [r.op for r in report.rows[3:row.index]] == ["pointwise"] * (
        row.index - 3)
    rows = _maps(report)
    if kind.startswith("d2s") and factor != (2, 2):
        # a 3x3 conv after blocks of 4 reads 1 or 2 input units, by phase,
        # which the core's numbers downstream of a transposed layer do not
        # tell apart (test_torch_gradients.CORE_DOWNSTREAM): as after
        # nn.PixelShuffle(4)
        rows = [r for r in rows if r.index <= row.index]
    checks = check_rows(report, net, SIDE, rows)
    assert all(c.exact for c in checks), _spans(checks)


@pytest.mark.parametrize("kind, module", [
    (kind, module(factor)) for factor in (2, 4) for kind, module in [
        ("s2d", nn.PixelUnshuffle), ("s2d-channels-first", nn.PixelUnshuffle),
        ("d2s", nn.PixelShuffle), ("d2s-channels-first", nn.PixelShuffle)]])
def test_a_shuffle_written_with_views_has_the_modules_numbers(kind, module):
    factor = getattr(module, "upscale_factor", None) or \
        module.downscale_factor
    ours = _report(positive(regrouped_net(Regroup(kind, (factor,) * 2))))
    theirs = _report(positive(regrouped_net(module)))
    assert _geometry(_regroup_row(ours)) == _geometry(theirs.rows[3])
    assert [_geometry(r) for r in ours.rows[-3:]] == [
        _geometry(r) for r in theirs.rows[-3:]]


def test_space_to_depth_numbers():
    # conv 3x3 (field 3), blocks of 4: a unit reads 4 conv units, 6 pixels
    # centred on 2 + 4 u; then conv 3x3 and conv 3x3 / 2 on jump 4
    report = _report(regrouped_net(Regroup("s2d", (4, 4))))
    row = _regroup_row(report)
    assert (row.field, row.jump, row.start) == ((6., 6.), (4., 4.),
                                                (2., 2.))
    last = report.rows[-1]
    assert (last.field, last.jump, last.start) == ((22., 22.), (8., 8.),
                                                   (2., 2.))


@pytest.mark.parametrize("kind", ["interleave", "swapped", "grid"])
def test_other_regroupings_of_a_spatial_axis_stay_flagged(kind):
    net = positive(regrouped_net(Regroup(kind, (4, 4))))
    report = _report(net)
    unknown = [r for r in report.rows if r.op == "unknown"]
    assert [r.class_name for r in unknown] == ["reshape"]
    after = report.rows[unknown[0].index:]
    assert all("approximate" in r.flags for r in after)
    # and rightly so: the gradient disagrees with the numbers after it
    checks = check_rows(report, net, SIDE, after[1:])
    assert not all(c.exact for c in checks)


# --------------------------------------------------------------------------
# The layout tracking against where views and permutes put each value
# --------------------------------------------------------------------------

def _axis(entry):
    return entry.axis if isinstance(entry, adapter.Part) else entry


def _positions(shape, layout, axis):
    """Per value of a tensor of ``shape``, its unit along ``axis`` by the
    layout (``sum(index * step)`` over the dims that hold the axis)."""
    units = torch.zeros(shape, dtype=torch.long)
    for d, entry in enumerate(layout):
        if entry is not None and _axis(entry) == axis:
            index = torch.arange(shape[d]).view(
                [-1 if k == d else 1 for k in range(len(shape))])
            units = units + index * getattr(entry, "step", 1)
    return units


def _check_claim(call, record, move):
    """A unit of the output (an index of its dimension 0, the batch, and a
    position, over every other dimension) holds values of one image, and
    along each axis exactly the input units the record says: per position
    its own, space to depth by ``s`` the block ``s * u .. s * u + s - 1``,
    depth to space by ``k`` unit ``u // k``."""
    axes = sorted({_axis(e) for e in call.in_layout if e is not None})
    came = [move(_positions(call.in_shape, call.in_layout, a))
            for a in axes]
    image = move(torch.arange(call.in_shape[0]).view(
        [-1] + [1] * (len(call.in_shape) - 1)).expand(call.in_shape))
    now = [_positions(call.out_shape, call.out_layout, a) for a in axes]
    batch = torch.arange(call.out_shape[0]).view(
        [-1] + [1] * (len(call.out_shape) - 1)).expand(call.out_shape)
    units = {}
    for values in zip(*[t.flatten().tolist()
                        for t in [batch] + now + [image] + came]):
        key, value = values[:1 + len(axes)], values[1 + len(axes):]
        units.setdefault(key, set()).add(value)
    for (_, *unit), seen in units.items():
        assert len({v[0] for v in seen}) == 1, (call, "mixes images")
        expected = [{u} for u in unit]
        for i, u in enumerate(unit):
            if record["op"] == "window":
                s = record["stride"][i]
                expected[i] = set(range(s * u, s * u + s))
            elif record["op"] == "transposed":
                expected[i] = {u // record["stride"][i]}
        assert {v[1:] for v in seen} == set(
            itertools.product(*expected)), (call, record, unit)


def _follow(shape, steps):
    """Runs ``steps`` (``('view' | 'permute', shape | order)``) on a
    map of ``shape``, checks every claim the tracking makes on the way
    (:func:`_check_claim`); returns the records' ops."""
    layout = adapter.standard_layout(len(shape))
    x = torch.zeros(shape)
    ops = []
    for name, arg in steps:
        def move(t, name=name, arg=arg):
            return t.permute(arg) if name == "permute" else t.reshape(arg)
        y = move(x)
        call = adapter.Call(name, (adapter.TensorInfo(tuple(x.shape)),) +
                            tuple(arg), in_shape=tuple(x.shape),
                            out_shape=tuple(y.shape), in_layout=layout)
        call.out_layout = adapter.layout_after(call)
        record = adapter.by_layout(call, {"op": "unknown"})
        ops.append(record["op"])
        if record["op"] in ("pointwise", "window", "transposed"):
            _check_claim(call, record, move)
        layout, x = call.out_layout, y
        if layout is None or not any(e is not None for e in layout):
            break
    return ops


def _merges(shape):
    """Every way of merging neighbouring dims of ``shape`` (the first
    always stays first)."""
    for cuts in itertools.product([False, True], repeat=len(shape) - 1):
        merged = [shape[0]]
        for n, cut in zip(shape[1:], cuts):
            if cut:
                merged.append(n)
            else:
                merged[-1] *= n
        yield tuple(merged)


@pytest.mark.parametrize("shape, split, regroups", [
    # H and W split in two: space to depth and its look-alikes (and depth
    # to space of a fine part with the channels)
    ((2, 3, 4, 6), (2, 3, 2, 2, 3, 2), {"window", "transposed"}),
    # C split in two: depth to space and channel shuffles
    ((2, 4, 4, 6), (2, 2, 2, 4, 6), {"transposed"})])
def test_every_regrouping_of_a_small_map_says_where_its_values_came_from(
        shape, split, regroups):
    """Every permute of the split dims (batch first) followed by every
    merge of neighbours: each claim holds, and the regroupings are found."""
    found = set()
    for rest in itertools.permutations(range(1, len(split))):
        order = (0,) + rest
        permuted = tuple(split[d] for d in order)
        for merged in _merges(permuted):
            found.update(_follow(shape, [("view", split), ("permute", order),
                                         ("reshape", merged)]))
    assert regroups <= found


#: (batch, channels, H, W) of the random chains: lengths with many
#: factors, a batch of 2 so that values from other images can go astray.
SHAPE = (2, 4, 8, 12)


@st.composite
def regroupings(draw):
    """Chains of views and permutes of a (N, C, H, W) map, in rounds as
    nets write them: a view splitting dims into factors, a permute, a view
    merging neighbours.  The batch stays whole at dimension 0, as the
    tracking assumes."""
    shape, steps = list(SHAPE), []
    for _ in range(draw(st.integers(1, 3))):
        split = shape[:1]
        for n in shape[1:]:
            factors = [f for f in range(2, n) if n % f == 0]
            f = draw(st.sampled_from([None] + factors))
            split += [n] if f is None else [n // f, f]
        shape = split
        steps.append(("view", tuple(shape)))
        order = (0,) + tuple(draw(st.permutations(range(1, len(shape)))))
        shape = [shape[d] for d in order]
        steps.append(("permute", order))
        merged = []
        for n in shape:
            if merged and draw(st.integers(0, 2)) == 0:
                merged[-1] *= n
            else:
                merged.append(n)
        shape = merged
        steps.append(("reshape", tuple(shape)))
    return steps


@settings(max_examples=examples(200))
@given(regroupings())
def test_regrouped_layouts_say_where_each_value_came_from(steps):
    _follow(SHAPE, steps)
