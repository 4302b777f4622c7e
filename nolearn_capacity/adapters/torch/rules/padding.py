"""Padding and slicing."""
import operator

import torch.nn as nn

from ..calls import TensorInfo, leading_pads, named, window
from ..table import register_function_rule, register_module_rule
from .shape import same_spatial


@register_module_rule(
    nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d, nn.ConstantPad1d,
    nn.ConstantPad2d, nn.ConstantPad3d, nn.ReflectionPad1d,
    nn.ReflectionPad2d, nn.ReflectionPad3d, nn.ReplicationPad1d,
    nn.ReplicationPad2d, nn.ReplicationPad3d,
    *[getattr(nn, n) for n in ("CircularPad1d", "CircularPad2d",
                               "CircularPad3d") if hasattr(nn, n)])
@register_function_rule(*named("F.pad"))
def pad(call, n_axes):
    record = window(n_axes, pad=leading_pads(call.arg(1, "pad"), n_axes))
    record["pad_mode"] = pad_mode(call)
    return record


#: What the padding of each pad module reads; the rest pad a constant.
PAD_MODULE_MODES = {
    **{getattr(nn, "{}{}d".format(name, n)): mode
       for name, mode in (("ReflectionPad", "reflect"),
                          ("ReplicationPad", "replicate"),
                          ("CircularPad", "circular"))
       for n in (1, 2, 3) if hasattr(nn, "{}{}d".format(name, n))}}


def pad_mode(call):
    """A pad module's or ``F.pad``'s mode, as a record's ``pad_mode``."""
    if isinstance(call.target, nn.Module):
        return PAD_MODULE_MODES.get(type(call.target), "constant")
    return call.arg(2, "mode", "constant")


def _index(call, n_axes):
    """``x[..., a:b:c]`` on a tensor: per spatial axis a window of kernel 1,
    stride ``c`` and leading pad ``-a``; anything but plain slices over the
    existing axes is ``'unknown'``."""
    source, index = call.args[0], call.args[1]
    if not isinstance(source, TensorInfo):     # picking from a tuple
        return same_spatial(call, n_axes)
    index = index if isinstance(index, tuple) else (index,)
    if any(i is Ellipsis for i in index):
        at = index.index(Ellipsis)
        fill = len(source.shape) - (len(index) - 1)
        index = index[:at] + (slice(None),) * fill + index[at + 1:]
    if len(index) > len(source.shape) or not all(
            isinstance(i, slice) for i in index):
        return same_spatial(call, n_axes)
    strides, pads = [1] * n_axes, [0] * n_axes
    for axis, item in enumerate(index[2:]):
        start, _, step = item.indices(source.shape[axis + 2])
        strides[axis], pads[axis] = step, -start
    return window(n_axes, 1, tuple(strides), tuple(pads))


register_function_rule(operator.getitem)(_index)


@register_function_rule("__setitem__")
def set_index(call, n_axes):
    """``x[index] = y``: where the index takes every spatial position (it
    picks channels or samples) and ``y`` has the map's spatial size, each
    unit of ``x`` is its own or ``y``'s at the same position: a merge of
    the two (per position when one is a constant).  Writing into part of
    the map moves ``y``'s units: ``'unknown'``."""
    target, index = call.args[0], call.args[1]
    value = call.args[2] if len(call.args) > 2 else None
    index = index if isinstance(index, tuple) else (index,)
    if any(i is Ellipsis for i in index):
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (
            len(target.shape) - len(index) + 1) + index[at + 1:]
    if all(i == slice(None) for i in index[2:]) and (
            not isinstance(value, TensorInfo) or
            value.spatial == target.spatial):
        return dict(op="merge")
    return dict(op="unknown", note="writes into part of a map")
