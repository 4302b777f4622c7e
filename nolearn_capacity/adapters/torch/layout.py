"""Which tensor dimensions hold the spatial axes, call after call."""
from dataclasses import dataclass

import torch.nn as nn
import torch.nn.functional as F

from .calls import function_name, named, standard_layout, window
from .rules.reductions import reduced_dims
from .rules.resampling import depth_to_space, space_to_depth
from ...records import product


def _dims(values, rank):
    values = values[0] if len(values) == 1 and isinstance(
        values[0], (tuple, list)) else values
    return [int(v) % rank for v in values]


def _moved(call, layout):
    """The layout after permute / transpose / movedim, else None."""
    name = call.target if isinstance(call.target, str) else \
        function_name(call.target)
    rank = len(layout)
    rest = list(call.args[1:])
    if name == "permute":
        order = _dims(rest or [call.kwargs.get("dims")], rank)
        return tuple(layout[d] for d in order)
    if name in ("transpose", "swapaxes", "swapdims"):
        a, b = _dims([call.arg(1, "dim0"), call.arg(2, "dim1")], rank)
        moved = list(layout)
        moved[a], moved[b] = moved[b], moved[a]
        return tuple(moved)
    if name == "movedim":
        src = call.arg(1, "source")
        dst = call.arg(2, "destination")
        src, dst = (_dims([v], rank) if isinstance(v, int) else _dims(v, rank)
                    for v in (src, dst))
        order = [d for d in range(rank) if d not in src]
        for s_, d_ in sorted(zip(dst, src)):
            order.insert(s_, d_)
        return tuple(layout[d] for d in order)
    return None


@dataclass(frozen=True)
class Part:
    """A layout entry for a dimension that holds one factor of a spatial
    axis a view split (``H -> (H // 4, 4)``): index ``i`` along it is ``i *
    step`` units of that axis.  An axis held whole is its number."""
    axis: int
    step: int


def axis_of(entry):
    """The spatial axis a layout entry holds (part of), or None."""
    return entry.axis if isinstance(entry, Part) else entry


def _spans(shape, layout):
    """Per dimension ``(axis, step, length)`` or None; None for them all
    when the parts of an axis do not tile it (each part's step the product
    of the finer parts' lengths), as after an op that cut one."""
    spans = [None if e is None else (axis_of(e), getattr(e, "step", 1), n)
             for e, n in zip(layout, shape)]
    covered = {}
    for span in sorted((s for s in spans if s is not None),
                       key=lambda s: s[:2]):
        if span[1] != covered.get(span[0], 1):
            return None
        covered[span[0]] = span[1] * span[2]
    return spans


def _groups(in_shape, out_shape):
    """The dims (longer than 1) of a reshape's input and output in groups
    of equal size, each the smallest that some output dims fill exactly:
    ``[([in dims], [out dims]), ...]``, or None if the sizes differ."""
    ins = [d for d, n in enumerate(in_shape) if n != 1]
    outs = [j for j, n in enumerate(out_shape) if n != 1]
    groups, i, j = [], 0, 0
    while i < len(ins) and j < len(outs):
        gi, gj = [ins[i]], [outs[j]]
        pi, pj = in_shape[ins[i]], out_shape[outs[j]]
        i, j = i + 1, j + 1
        while pi != pj:
            if pi < pj and i < len(ins):
                gi.append(ins[i])
                pi, i = pi * in_shape[ins[i]], i + 1
            elif pj < pi and j < len(outs):
                gj.append(outs[j])
                pj, j = pj * out_shape[outs[j]], j + 1
            else:
                return None
        groups.append((gi, gj))
    return groups if i == len(ins) and j == len(outs) else None


def _merged(members, lengths, batch):
    """What one group's input dims (spans ``members``, ``lengths``, major
    first) hold once merged: ``(span, growth)``, or None when it cannot
    be followed.  The span is None for a group that is not spatial: one
    that holds no axis, or takes in parts of axes (space to depth, if each
    keeps its coarse parts elsewhere).  ``growth`` is the number of
    channels put below an axis's finest digit (depth to space), else 1.
    ``batch``: the group holds the batch, whose units are other images."""
    spatial = [s for s in members if s is not None]
    if not spatial:
        return None, 1
    if len(spatial) == len(members) and len({s[0] for s in spatial}) == 1 \
            and all(s[1] == t[1] * t[2] for s, t in zip(spatial,
                                                        spatial[1:])):
        # consecutive digits of one axis, in order: still that axis
        return (spatial[0][0], spatial[-1][1], product(
            s[2] for s in spatial)), 1
    if batch:
        return None
    first = members[0]
    if first is not None and first[1] == 1 and len(spatial) == 1:
        k = product(lengths[1:])
        return (first[0], 1, first[2] * k), k
    return None, 1


def _reshaped(in_shape, out_shape, layout):
    """The layout after a view/reshape/flatten/unflatten/squeeze, or None.

    Dims are regrouped (:func:`_groups`): a spatial dim split into several
    becomes :class:`Part` s of its axis, and parts merged back in order are
    the axis again.  Two regroupings keep an axis but change its units,
    which :func:`by_layout` reads from its new length:

    * space to depth: the finest parts of an axis merged into channels
      while its coarse parts stay (``view(N, C, H // 4, 4, W // 4, 4)``,
      the 4s moved next to C and merged): a unit of the new axis is a
      block of 4 old ones.
    * depth to space: channels merged below the finest digit of an axis
      (``(N, C, H, 4, W, 4) -> (N, C, 4 * H, 4 * W)``): 4 new units per
      old one.

    Anything else that splits an axis across dims or mixes it with others
    (into the batch, two axes in one dim, a coarse part into channels)
    loses the layout.  The batch is taken to be dimension 0, in and out,
    as in every net that regroups a map this way."""
    kept = _kept_tail(in_shape, out_shape, layout)
    if kept is not None:
        return kept
    spans = _spans(in_shape, layout)
    groups = _groups(in_shape, out_shape)
    if spans is None or groups is None:
        return None
    result = [None] * len(out_shape)
    prefix_in = [product(in_shape[:d]) for d in range(len(in_shape))]
    prefix_out = [product(out_shape[:j]) for j in range(len(out_shape))]
    for d, span in enumerate(spans):
        if span is not None and span[2] == 1:
            # an axis of length 1: to a dim of length 1 at the same offset
            free = [j for j, n in enumerate(out_shape) if n == 1 and
                    prefix_out[j] == prefix_in[d] and result[j] is None]
            if not free:
                return None
            result[free[0]] = span
    merged = []         # (out dims, span, whether in the new units)
    growth, absorbed = {}, set()
    for gi, gj in groups:
        members = [spans[d] for d in gi]
        found = _merged(members, [in_shape[d] for d in gi],
                        0 in gi or 0 in gj)
        if found is None:
            return None
        span, grows = found
        if span is None:
            absorbed.update(s[0] for s in members if s is not None)
        elif grows != 1:
            growth[span[0]] = grows
        merged.append((gj, span, grows != 1))
    totals, kept = {}, {}
    for span in spans:
        if span is not None and span[2] > 1:
            totals[span[0]] = totals.get(span[0], 1) * span[2]
    for _, span, _ in merged:
        if span is not None:
            kept.setdefault(span[0], []).append(span)
    scale = {}          # axis -> (old units per new unit, new per old)
    for axis in totals:
        parts = sorted(kept.get(axis, ()), key=lambda s: -s[1])
        if not parts or (axis in absorbed and axis in growth):
            return None
        if axis in absorbed:
            # space to depth: what stays must be the coarse digits
            if parts[0][1] * parts[0][2] != totals[axis] or any(
                    s[1] != t[1] * t[2] for s, t in zip(parts, parts[1:])):
                return None
            scale[axis] = (parts[-1][1], 1)
        elif axis in growth:
            scale[axis] = (1, growth[axis])
    for gj, span, new_units in merged:
        if span is None:
            continue
        axis, step, _ = span
        down, up = scale.get(axis, (1, 1))
        step = step if new_units else step * up // down
        for j in reversed(gj):
            result[j] = (axis, step, out_shape[j])
            step *= out_shape[j]
    return _entries(result)


def _kept_tail(in_shape, out_shape, layout):
    """The layout when the spatial axes are the last dims, whole, and the
    reshape keeps those dims as they are (a channel shuffle's views, a
    flatten or unflatten of the channels), else None (also where an axis
    has length 1, which the general rule places with care).  In row-major
    order a reshape that keeps the trailing sizes keeps each element's
    index along them: the general regrouping finds the same layout."""
    k = len(layout) - max((d + 1 for d, e in enumerate(layout)
                           if e is None), default=0)
    if k == 0 or len(out_shape) <= k or any(
            isinstance(e, Part) for e in layout[-k:]) or \
            1 in in_shape[-k:] or \
            tuple(in_shape[-k:]) != tuple(out_shape[-k:]) or \
            product(in_shape) != product(out_shape):
        return None
    return (None,) * (len(out_shape) - k) + tuple(layout[-k:])


def _entries(spans):
    """Layout entries from spans: an axis held by one dim is its number."""
    count = {}
    for span in spans:
        if span is not None:
            count[span[0]] = count.get(span[0], 0) + 1
    return tuple(None if s is None else s[0] if count[s[0]] == 1 else
                 Part(s[0], s[1]) for s in spans)


#: Functions, methods and module classes that only move or regroup
#: dimensions (not split, narrow or repeat them).
SHAPE_ONLY = set(named(
    "torch.flatten", "torch.reshape", "torch.squeeze", "torch.unsqueeze",
    "torch.permute", "torch.transpose", "torch.movedim", "torch.swapaxes",
    "torch.swapdims")) | {
    "view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze",
    "view_as", "reshape_as", "contiguous", "permute", "transpose",
    "movedim", "swapaxes", "swapdims", nn.Flatten, nn.Unflatten}


def layout_after(call):
    """Which output dimensions are spatial, from the input's layout."""
    layout = call.in_layout
    rank_in, rank_out = len(call.in_shape), len(call.out_shape)
    if layout is None or len(layout) != rank_in:
        return standard_layout(rank_out) if rank_out == rank_in else None
    try:
        shape_only = call.target in SHAPE_ONLY or type(
            call.target) in SHAPE_ONLY
    except TypeError:
        shape_only = False
    if shape_only:
        moved = _moved(call, layout)
        if moved is not None:
            return moved
        return _reshaped(call.in_shape, call.out_shape, layout)
    if rank_out == rank_in:
        return layout
    dropped = reduced_dims(call)
    if dropped and rank_out == rank_in - len(dropped) and not any(
            isinstance(layout[d], Part) for d in dropped):
        return tuple(a for d, a in enumerate(layout) if d not in dropped)
    return None


def _axis_lengths(layout, shape):
    """Each spatial axis's length (the product of its parts'), in the
    order of the axes' whole or coarsest parts in the tensor; None
    without a layout."""
    if layout is None or len(layout) != len(shape):
        return None
    lengths, coarsest = {}, {}
    for d, (entry, n) in enumerate(zip(layout, shape)):
        if entry is not None:
            axis, step = axis_of(entry), getattr(entry, "step", 1)
            lengths[axis] = lengths.get(axis, 1) * n
            coarsest[axis] = max(coarsest.get(axis, (step, d)), (step, d))
    return {a: lengths[a] for a in sorted(
        lengths, key=lambda a: coarsest[a][1])}


def _regrouped(before, after):
    """The record of a shape-only op that keeps the axes, in order: per
    position, or a space-to-depth / depth-to-space regrouping (see
    :func:`_reshaped`) when an axis's length changed; None when axes
    shrink and grow at once."""
    axes = sorted(before)
    if all(before[a] == after[a] for a in axes):
        return dict(op="pointwise")
    if not all(after.values()):
        return None
    if all(before[a] % after[a] == 0 for a in axes):
        return space_to_depth(len(axes), tuple(before[a] // after[a]
                                               for a in axes))
    if all(after[a] % before[a] == 0 for a in axes):
        return depth_to_space(len(axes), tuple(after[a] // before[a]
                                               for a in axes))
    return None


def by_layout(call, fields):
    """The record's fields, judged by where the spatial axes are (they
    may sit anywhere once a map is permuted or regrouped).

    A shape-only op that keeps every spatial axis, in order and of the
    same length, acts per position, even with an axis split into parts;
    one that changes an axis's length regroups it (space to depth, depth
    to space); one that leaves no spatial dimension is a flatten.
    ``Linear`` on a non-spatial last dimension is a 1x1 convolution.  Any
    other op on a map whose spatial axes are not (2, 3, ...) cannot use
    its rule: ``'unknown'``, as are a flatten or a normalisation of a map
    split into parts, whose positions the core cannot lay out."""
    try:
        shape_only = call.target in SHAPE_ONLY or type(
            call.target) in SHAPE_ONLY
    except TypeError:
        shape_only = False
    if not shape_only and (call.in_layout is None or call.in_layout ==
                           standard_layout(len(call.in_shape))):
        return fields       # most calls: (batch, channels, *spatial)
    before = _axis_lengths(call.in_layout, call.in_shape)
    after = _axis_lengths(call.out_layout, call.out_shape)
    split = call.in_layout is not None and any(
        isinstance(e, Part) for e in call.in_layout)
    if shape_only and before is not None:
        if before and after is not None and list(after) == list(before):
            regrouped = _regrouped(before, after)
            if regrouped is not None:
                return regrouped
        elif not split and (after == {} or (
                after is None and len(call.out_shape) <= 2)):
            return dict(op="flatten" if before else "pointwise")
        return dict(op="unknown", note="moves spatial axes {} to {}".format(
            call.in_shape, call.out_shape))
    if call.in_layout is None:
        return fields       # a shape-only op on a map without a layout
    if isinstance(call.target, (nn.Linear, nn.LazyLinear)) or \
            call.target is F.linear:
        if call.in_layout[-1] is None and call.out_layout is not None:
            return window(len(before or ()), 1, learns=True)
    if fields["op"] in ("pointwise", "merge") or (
            fields["op"] == "normalise" and not split):
        return fields
    return dict(op="unknown", note="spatial axes at dimensions {}".format(
        tuple(d for d, a in enumerate(call.in_layout) if a is not None)))
