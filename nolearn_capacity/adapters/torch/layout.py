"""Which tensor dimensions hold the spatial axes, call after call."""
import torch.nn as nn
import torch.nn.functional as F

from .calls import function_name, named, standard_layout, window
from .rules.reductions import reduced_dims


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


def _reshaped(in_shape, out_shape, layout):
    """The layout after a view/reshape/flatten/unflatten/squeeze: a spatial
    dimension is followed when the output has one dimension of the same
    length at the same offset (every dimension before it holds the same
    number of elements); merged or split, it is lost (None)."""
    def prefixes(shape):
        out = [1]
        for v in shape:
            out.append(out[-1] * v)
        return out
    pa, pb = prefixes(in_shape), prefixes(out_shape)
    result = [None] * len(out_shape)
    for d, axis in enumerate(layout):
        if axis is None:
            continue
        for j in range(len(out_shape)):
            if pb[j] == pa[d] and out_shape[j] == in_shape[d] and \
                    result[j] is None:
                result[j] = axis
                break
        else:
            return None
    return tuple(result)


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
    if dropped and rank_out == rank_in - len(dropped):
        return tuple(a for d, a in enumerate(layout) if d not in dropped)
    return None


def _spatial_order(layout):
    return [a for a in layout if a is not None] if layout is not None \
        else None


def by_layout(call, fields):
    """The record's fields, judged by where the spatial axes are (they
    may sit anywhere once a map is permuted or regrouped).

    A shape-only op that keeps every spatial dimension, in order and of
    the same length, acts per position; one that leaves no spatial
    dimension is a flatten.  ``Linear`` on a non-spatial last dimension
    is a 1x1 convolution.  Any other op on a map whose spatial axes are
    not (2, 3, ...) cannot use its rule: ``'unknown'``."""
    before, after = _spatial_order(call.in_layout), _spatial_order(
        call.out_layout)
    n_axes = len(before) if before is not None else 0
    try:
        shape_only = call.target in SHAPE_ONLY or type(
            call.target) in SHAPE_ONLY
    except TypeError:
        shape_only = False
    if shape_only and before is not None:
        if after == before and before:
            lengths_in = [n for n, a in zip(call.in_shape, call.in_layout)
                          if a is not None]
            lengths_out = [n for n, a in zip(call.out_shape,
                                             call.out_layout) if a is not None]
            if lengths_in == lengths_out:
                return dict(op="pointwise")
        if after == [] or (after is None and len(call.out_shape) <= 2):
            return dict(op="flatten" if before else "pointwise")
        return dict(op="unknown", note="moves spatial axes {} to {}".format(
            call.in_shape, call.out_shape))
    if call.in_layout is None or call.in_layout == standard_layout(
            len(call.in_shape)):
        return fields
    if isinstance(call.target, (nn.Linear, nn.LazyLinear)) or \
            call.target is F.linear:
        if call.in_layout[-1] is None and call.out_layout is not None:
            return window(n_axes, 1, learns=True)
    if fields["op"] in ("pointwise", "merge", "normalise"):
        return fields
    return dict(op="unknown", note="spatial axes at dimensions {}".format(
        tuple(d for d, a in enumerate(call.in_layout) if a is not None)))
