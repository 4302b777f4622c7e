"""Input-gradient ground truth for exact mode on real models.

Shared by the zoo test (``test_torch_zoo.py``) and the held-out check
(``bench/heldout.py``), so both apply one oracle.  Imports torch and the
adapter, no test framework.

With positive weights a path from a pixel to a unit has a positive
derivative, so the pixels with a non-zero gradient of a unit are exactly
the pixels the unit depends on; the oracle replaces max-pooling by
average-pooling over the same window (max passes gradient to one tap
only), and keeps every gate well inside its non-saturated range (weights
scaled by ``1 / fan_in``, so activations stay near 1).

For a row we take the unit at the centre of its map and its diagonal
neighbour, and compare per axis the span of input pixels with a non-zero
gradient with the report's field around its start ``start + unit *
jump``, both clipped to the pixels any unit of the map reads: field, jump
and start at once.  A collapsing row (a dense layer) is not clipped: its
field must be those pixels.  A row with a ``context`` (a squeeze-and-excitation
gate or image pooling upstream) must instead reach the whole image.
"""
import copy
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from nolearn_capacity.adapters import torch as adapter

#: Input values are this small, so that residual sums stay below ReLU6's
#: and hard gates' bends.
SCALE = 1e-4
MAX_POOLS = {getattr(F, n) for n in ("max_pool1d", "max_pool2d",
                                     "max_pool3d")}


def _avg_pool(x, kernel_size, stride=None, padding=0, dilation=1,
              ceil_mode=False, return_indices=False):
    assert dilation in (1, (1, 1)) and not return_indices
    return F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, True)


def positive(model):
    """``model`` in float64 with positive weights ~ 1 / fan_in, zero
    biases and batch norms that are identities (changed in place)."""
    model = model.double().eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_((torch.rand(p.shape, generator=generator,
                                dtype=p.dtype) + .5) / fan_in)
            if name.endswith("bias"):
                p.zero_()
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.zero_()
            elif name.endswith("running_var"):
                b.fill_(1.)
    return model


def without_groups(model, limit=1 << 22):
    """A copy of ``model`` whose grouped convs are dense convs with a
    block-diagonal weight: the same function (the added weights are exact
    zeros, so every gradient keeps its support), and far faster in
    float64, where torch's CPU grouped and depthwise convs are 10-300
    times slower than dense ones).  Convs whose dense weight would exceed
    ``limit`` values stay grouped."""
    model = copy.deepcopy(model)
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, nn.Conv2d) or module.groups == 1:
                continue
            g, w = module.groups, module.weight
            out, per_group = w.shape[:2]
            if w.numel() * g > limit:
                continue
            dense = w.new_zeros((g, out // g, g, per_group) + w.shape[2:])
            blocks = w.reshape((g, out // g, per_group) + w.shape[2:])
            for i in range(g):
                dense[i, :, i] = blocks[i]
            module.weight = nn.Parameter(dense.reshape(
                (out, g * per_group) + w.shape[2:]))
            module.groups, module.in_channels = 1, g * per_group
    return model


class AveragePools(torch.overrides.TorchFunctionMode):
    """While active, max-pooling (the functions, and so the modules, which
    call them) runs as average-pooling over the same window."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in MAX_POOLS:
            func = _avg_pool
        return func(*args, **(kwargs or {}))


def node_values(model, x):
    """Every row's output on ``x``, by row name (the adapter's walk run on
    ``model`` itself), max-pooling replaced by average-pooling."""
    with AveragePools():
        return adapter.row_values(model, [x])


def is_map(row):
    """A square channels-first 2D map (inputs are square, so its last two
    lengths agree; a channels-last one ends with its channels)."""
    shape = row.output_shape
    return row.index > 0 and len(shape) == 4 and \
        shape[2] == shape[3] > 1 and shape[1] != shape[2]


def checked_rows(report, is_map=is_map):
    """Windows (conv, pool) at a quarter, half and three quarters, and the
    last map (rows for which ``is_map`` holds)."""
    maps = [r for r in report.rows if is_map(r)]
    spatial = [r for r in maps if r.kernel]
    if maps[-1].index > spatial[-1].index:
        spatial.append(maps[-1])
    picks = sorted({len(spatial) * q // 4 for q in (1, 2, 3)} |
                   {len(spatial) - 1})
    return [spatial[i] for i in picks]


def flatten_rows(report):
    """The flatten row of a map and the first dense row after it."""
    flat = [r for r in report.rows if r.op == "flatten" and
            len(report.rows[r.inputs[0]].output_shape) == 4]
    return flat[:1] + [r for r in report.rows[flat[0].index:]
                       if r.op == "collapse"][:1] if flat else []


def _unit(row, report, out, dims, step):
    """The index of the unit to differentiate in ``out`` (None: every
    channel) and its position on the map (a dense unit: the first)."""
    if len(out.shape) == 4:
        unit = [min(out.shape[d] // 2 + step, out.shape[d] - 1)
                for d in dims]
        index = [0, slice(None), slice(None), slice(None)]
        for d, u in zip(dims, unit):
            index[d] = u
        return tuple(index), unit
    if row.op == "flatten":
        # every channel at the map's centre unit (and its diagonal
        # neighbour), as a map row is checked: a channel alone may see
        # less than its position does (a concat of branches)
        channels, *lengths = report.rows[row.inputs[0]].output_shape[1:]
        unit = [min(n // 2 + step, n - 1) for n in lengths]
        position = unit[0] * lengths[1] + unit[1]
        return (0, torch.arange(channels) * (lengths[0] * lengths[1]) +
                position), unit
    return (0, step), [0, 0]


def span(mask):
    """First and last index where ``mask`` is set, or None."""
    hit = torch.nonzero(mask).flatten().tolist()
    return (hit[0], hit[-1]) if hit else None


@dataclass
class AxisCheck:
    """One unit of a row along one axis: the input pixels our numbers
    give (``expected``, None without a field) and those with a non-zero
    gradient (``measured``), both as (first, last); ``bounds`` are the
    pixels any unit of the map reads.  ``context_ok`` is False when the
    row claims a context other than the whole image."""
    unit: tuple
    axis: int
    expected: tuple | None
    measured: tuple | None
    bounds: tuple | None
    context_ok: bool = True

    @property
    def exact(self):
        return self.expected is not None and self.context_ok and \
            self.measured == self.expected


@dataclass
class RowCheck:
    """A row and its per-unit, per-axis checks."""
    row: object
    axes: list = field(default_factory=list)

    @property
    def exact(self):
        return all(a.exact for a in self.axes)


def check_rows(report, model, side, rows, spatial_dims=None):
    """A :class:`RowCheck` for each of ``rows`` of ``report`` (the exact
    report of ``model``, made :func:`positive`, on a square image of
    ``side`` pixels).  ``spatial_dims(row)`` gives the tensor dimensions
    of a row's two spatial axes (default: the last two)."""
    spatial_dims = spatial_dims or (lambda row: (2, 3))
    shape = (1, 3, side, side)
    x = ((torch.rand(shape, generator=torch.Generator().manual_seed(1),
                     dtype=torch.float64) + .5) * SCALE).requires_grad_()
    values = node_values(model, x)
    weights = torch.Generator().manual_seed(2)
    checks = []
    for row in rows:
        out = values[row.name]
        assert tuple(out.shape) == row.output_shape, row.name
        dims = spatial_dims(row)
        c = 1.
        if len(out.shape) == 4:
            channel = next(d for d in range(1, 4) if d not in dims)
            c = torch.rand(out.shape[channel], generator=weights,
                           dtype=torch.float64) + .5
        # pixels no unit of the map reads (cut off by a stride) bound
        # every field as the image's border does
        (grad,) = torch.autograd.grad(out.sum(), x, retain_graph=True)
        used = grad[0].abs().sum(0) != 0
        bounds = [span(used.any(dim=1 - axis)) for axis in (0, 1)]
        check = RowCheck(row)
        for step in (0, 1):
            index, unit = _unit(row, report, out, dims, step)
            (grad,) = torch.autograd.grad((out[index] * c).sum(), x,
                                          retain_graph=True)
            mask = grad[0].abs().sum(0) != 0
            for axis in (0, 1):
                measured = span(mask.any(dim=1 - axis))
                if not row.field or row.start[axis] is None:
                    check.axes.append(AxisCheck(tuple(unit), axis, None,
                                                measured, bounds[axis]))
                    continue
                centre = row.start[axis] + unit[axis] * row.jump[axis]
                half = row.field[axis] / 2.
                expected = (int(round(centre - half)),
                            int(round(centre + half)) - 1)
                if row.op != "collapse":
                    # a collapsing unit's field is already the pixels
                    # the map reads: unclipped, so that it must say so
                    expected = (max(bounds[axis][0], expected[0]),
                                min(bounds[axis][1], expected[1]))
                context_ok = True
                if row.global_context:
                    # every net here pads, so a pooled input saw the whole
                    # image, and so does every unit it gates
                    expected = (0, int(row.context[axis]) - 1)
                    context_ok = row.context[axis] == side and \
                        row.coverage[axis] == 100
                check.axes.append(AxisCheck(tuple(unit), axis, expected,
                                            measured, bounds[axis],
                                            context_ok))
        checks.append(check)
    return checks
