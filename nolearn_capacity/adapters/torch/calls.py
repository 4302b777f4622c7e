"""What the rules see of a call (:class:`Call`, :class:`TensorInfo`) and
the per-axis helpers that turn torch's sizes into record fields."""
import functools
import operator
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from ... import geometry


#: Display names of registered functions (``F.max_pool2d`` is a dispatch
#: wrapper whose ``__name__`` is ``'fn'``).
FUNCTION_NAMES = {}


@dataclass
class TensorInfo:
    """What the walk keeps of a tensor: its shape (no data)."""
    shape: tuple
    dtype: object = None

    @property
    def spatial(self):
        return self.shape[2:]


#: Function argument -> the attribute a module keeps it under, where the
#: names differ (``F.pad(x, pad)``, ``nn.ZeroPad2d(padding)``).
MODULE_ATTRIBUTES = {"pad": "padding"}


@dataclass
class Call:
    """One call of a module or function, as the rules see it.

    ``target`` is the module instance, the function, or the method name;
    ``args`` / ``kwargs`` are the call's arguments with tensors replaced by
    :class:`TensorInfo`; ``in_shape`` is the first tensor argument's shape
    and ``out_shape`` the (first) output's.
    """
    target: object
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    in_shape: tuple = ()
    out_shape: tuple = ()
    #: Per dimension of the input / output tensor, the spatial axis it
    #: holds (0 for the first) or None (batch, channels, features); None
    #: when not known.  Hooks only see channels-first maps.
    in_layout: tuple = None
    out_layout: tuple = None
    #: ``F.pad`` widths applied inside the module's own ``forward``.
    pads: tuple = ()
    #: the (first) output's dtype
    out_dtype: object = None

    def arg(self, position, name, default=None):
        """An argument given by position or by keyword; for a module, its
        attribute ``name``.  Torch's modules keep the arguments of the
        function they call under the function's names (see
        :data:`MODULE_ATTRIBUTES` for the few that differ), so one rule
        reads a module call and a function call alike; ``position`` and
        ``name`` are the function's."""
        if isinstance(self.target, nn.Module):
            return getattr(self.target, MODULE_ATTRIBUTES.get(name, name),
                           default)
        if name in self.kwargs:
            return self.kwargs[name]
        if position < len(self.args):
            return self.args[position]
        return default

    @property
    def tensors(self):
        return [a for a in flat(self.args) + flat(list(self.kwargs.values()))
                if isinstance(a, TensorInfo)]


def per_axis(value, n_axes, what="value"):
    """Torch's sizes per axis: :func:`geometry.as_tuple` with ints out."""
    # a module's plain int or tuple of ints (most calls) as it is: asked
    # several times per conv
    kind = type(value)
    if kind is int:
        return (value,) * n_axes
    if kind is tuple and len(value) == n_axes and all(
            type(v) is int for v in value):
        return value
    return geometry.as_tuple(value, n_axes, what, one_for_all=True,
                             convert=int)


def window(n_axes, kernel=1, stride=1, pad=0, dilation=1, learns=False):
    """A sliding-window record (conv, pool, pad, slice), per axis, with
    torch's conventions for sizes (ints, 1-tuples, ``torch.Size``)."""
    return geometry.window(n_axes, kernel, stride, pad, dilation, learns,
                           per_axis)


def transposed(n_axes, kernel, stride, crop=0, dilation=1, learns=False):
    """A transposed-conv record: output ``o`` takes input ``i`` through tap
    ``m`` when ``o = i * stride + dilation * m - crop``."""
    record = window(n_axes, kernel, stride, crop, dilation, learns)
    record["op"] = "transposed"
    return record


def conv_leading_pad(padding, kernel, dilation):
    """The pad before the first element, per axis, for torch's padding
    values: ints, ``'valid'``, or ``'same'`` (torch pads ``total // 2`` in
    front of ``total = dilation * (kernel - 1)``, the odd one behind)."""
    if padding == "valid":
        return (0,) * len(kernel)
    if padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
    return per_axis(padding, len(kernel), "padding")


def leading_pads(widths, n_axes):
    """``F.pad``-style widths (last axis first, ``(before, after)`` pairs)
    -> the leading pad of each spatial axis, first axis first."""
    widths = tuple(widths)
    if len(widths) % 2:
        raise ValueError("pad widths {!r} should come in pairs".format(widths))
    pads = [0] * n_axes
    for k in range(min(len(widths) // 2, n_axes)):
        pads[n_axes - 1 - k] = int(widths[2 * k])
    return tuple(pads)


def flat(values):
    out = []
    for v in values:
        if isinstance(v, dict):
            out.extend(flat(list(v.values())))
        elif isinstance(v, (list, tuple)) and not isinstance(v, torch.Size):
            out.extend(flat(v))
        else:
            out.append(v)
    return out


@functools.lru_cache(maxsize=None)
def standard_layout(rank):
    """(batch, channels, *spatial): ``(None, None, 0, 1, ...)``; asked for
    at every call, and a tuple, so made once per rank."""
    return (None,) * min(rank, 2) + tuple(range(rank - 2))


def spatial(shape):
    return tuple(shape[2:])


def named(*names):
    """``'F.relu'`` -> the object; keeps the short name for records."""
    spaces = {"F": F, "torch": torch, "operator": operator}
    objects = []
    for dotted in names:
        space, _, name = dotted.partition(".")
        obj = getattr(spaces[space], name, None)
        if obj is None:     # not in this torch version
            continue
        objects.append(obj)
        FUNCTION_NAMES.setdefault(id(obj), name)
    return objects


def function_name(target):
    if isinstance(target, str):
        # a method; Python's operators are dunder methods ('__rsub__')
        return target.strip("_") if target.startswith("__") else target
    name = FUNCTION_NAMES.get(id(target))
    if name is None:
        name = getattr(target, "__name__", None) or type(target).__name__
    return name


#: Argument types a summary keeps as they are (most arguments are these).
PLAIN = frozenset((int, float, bool, str, type(None)))


def summary(value):
    kind = type(value)
    if kind in PLAIN:
        return value
    if kind is tuple:
        return tuple([summary(v) for v in value])
    if isinstance(value, torch.Tensor):
        return TensorInfo(tuple(value.shape), value.dtype)
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (tuple, list)):
        return tuple(summary(v) for v in value)
    if isinstance(value, dict):
        return {k: summary(v) for k, v in value.items()}
    return value


def first_tensor(value):
    if type(value) is TensorInfo:
        return value
    for v in flat([value]):
        if isinstance(v, TensorInfo):
            return v
    return None
