"""Builders for Lasagne's ``shape`` module: padding, slicing, flattening,
reshaping and dimshuffling."""
import numbers

from ...errors import shown
from .arguments import as_int, as_ints, axis_index, need, prod
from .base import builder


@builder("PadLayer")
def _pad(cls, kw, shapes):
    (shape,) = shapes
    width = need(kw, "width")
    batch_ndim = as_int(kw.pop("batch_ndim", 2), "batch_ndim", 0)
    val = kw.pop("val", 0)
    n = len(shape) - batch_ndim
    widths = [width] * n if isinstance(width, numbers.Integral) \
        else list(width)
    if len(widths) > n:
        raise ValueError("width {} has {} entries for {} axes after "
                         "batch_ndim={}".format(shown(width), len(widths), n,
                                                batch_ndim))
    out = list(shape)
    for axis, w in enumerate(widths, batch_ndim):
        before, after = as_ints(w, 2, "width", 0)
        if out[axis] is not None:
            out[axis] += before + after
    attrs = {"width": width, "val": val, "batch_ndim": batch_ndim}
    return attrs, tuple(out), 0


@builder("SliceLayer")
def _slice(cls, kw, shapes):
    (shape,) = shapes
    indices = need(kw, "indices")
    axis = kw.pop("axis", -1)
    index = axis_index(axis, len(shape))
    if isinstance(indices, (list, tuple)):    # JSON has no slice objects
        indices = slice(*indices)
    out = list(shape)
    if isinstance(indices, slice):
        if out[index] is not None:
            out[index] = len(range(*indices.indices(out[index])))
    else:
        as_int(indices, "indices")
        del out[index]
    return {"slice": indices, "axis": axis}, tuple(out), 0


@builder("FlattenLayer")
def _flatten(cls, kw, shapes):
    (shape,) = shapes
    outdim = as_int(kw.pop("outdim", 2), "outdim", 1)
    rest = shape[outdim - 1:]
    flat = None if any(s is None for s in rest) else prod(rest)
    return {"outdim": outdim}, tuple(shape[:outdim - 1]) + (flat,), 0


@builder("ReshapeLayer")
def _reshape(cls, kw, shapes):
    (shape,) = shapes
    spec = tuple(need(kw, "shape"))
    out, in_sizes, out_sizes = [], list(shape), []
    for entry in spec:
        if isinstance(entry, list):    # [i]: the size of input axis i
            if len(entry) != 1:
                raise ValueError("shape reference {} should be [axis]"
                                 .format(shown(entry)))
            axis = as_int(entry[0], "shape reference", 0)
            if axis >= len(shape):
                raise ValueError("shape reference [{}] is out of range for "
                                 "input shape {}".format(axis,
                                                         shown(shape)))
            size = shape[axis]
            out.append(size)
            if size is None and in_sizes[axis] is None:
                # the same unknown size on both sides cancels out
                in_sizes[axis] = 1
                size = 1
            out_sizes.append(size)
        else:
            size = as_int(entry, "shape", -1)
            if size == 0:
                raise ValueError("shape sizes should be positive or -1, got "
                                 "{}".format(shown(spec)))
            out.append(size)
            out_sizes.append(size)
    if spec.count(-1) > 1:
        raise ValueError("shape {} has more than one -1".format(
            shown(spec)))
    total_in = None if None in in_sizes else prod(in_sizes)
    known = [s for s in out_sizes if s != -1]
    total_out = None if None in known else prod(known)
    if -1 in spec:
        at = spec.index(-1)
        if total_in is None or total_out is None:
            out[at] = total_out = None
        else:
            out[at] = total_in // total_out
            total_out *= out[at]
    if None not in (total_in, total_out) and total_in != total_out:
        raise ValueError("input shape {} cannot be reshaped to {}: the "
                         "total sizes differ".format(shown(shape),
                                                     shown(spec)))
    return {"shape": spec}, tuple(out), 0


@builder("DimshuffleLayer")
def _dimshuffle(cls, kw, shapes):
    (shape,) = shapes
    pattern = need(kw, "pattern")
    out, used = [], set()
    for entry in pattern:
        if entry == "x":
            out.append(1)
            continue
        axis = as_int(entry, "pattern entry")
        if axis in used or not 0 <= axis < len(shape):
            raise ValueError("pattern {} repeats axis {} or exceeds the "
                             "{} input axes".format(shown(pattern), axis,
                                                    len(shape)))
        used.add(axis)
        out.append(shape[axis])
    dropped = [i for i, size in enumerate(shape)
               if i not in used and size not in (1, None)]
    if dropped:
        raise ValueError("pattern {} drops axis {} of size {}; only axes "
                         "of size 1 can be dropped".format(
                             shown(pattern), dropped[0], shape[dropped[0]]))
    return {"pattern": pattern}, tuple(out), 0
