"""PyTorch modules -> core records.

This is the only file of the package that imports torch; it is loaded when
a torch module arrives (:func:`nolearn_capacity.adapters.to_network`).

The walk is separate from the rules.  The walk traces the module with
``torch.fx`` (so ``torch.cat``, ``+``, ``F.max_pool2d``, ``F.interpolate``,
``view`` ... are seen as nodes) and runs the traced graph once on zeros of
``input_shape`` to learn every node's output shape.  Modules that fx cannot
trace (data-dependent control flow, ...) are walked with forward hooks on
their leaf modules instead, with a warning: functional calls are then
invisible and modules are assumed to form a chain.  The analysed module is
never changed: both walks run on a copy in eval mode whose parameters and
buffers live on the meta device (no weights copied, no data computed, so
any input size is cheap); only a module that cannot run there runs on a
real deep copy, on zeros of a bounded size.

Each rule is ``rule(call, n_axes) -> dict`` of
:class:`~nolearn_capacity.core.LayerRecord` fields (at least ``op``), where
``call`` is a :class:`Call`.  Module rules are looked up by class (a
subclass uses its base's rule unless it has its own), function rules by the
fx target (a function, or a method name for ``x.view(...)``).  Types without
a rule become op ``'unknown'``, which the core flags.  Users add rules with
:func:`register_module_rule` and :func:`register_function_rule`.
"""
import bisect
import copy
import dis
import inspect
import itertools
import math
import operator
import threading
import types
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

from ..registry import Registry
from ..records import LayerRecord, Network, mult_adds, output_bytes, product
from .. import geometry
from ..errors import (BadShapeError, UnsupportedLayerError, clipped,
                      describe_layer, printable, shown)

MODULE_RULES = Registry()
FUNCTION_RULES = Registry()
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
        """An argument given by position or by keyword."""
        if name in self.kwargs:
            return self.kwargs[name]
        if position < len(self.args):
            return self.args[position]
        return default

    @property
    def tensors(self):
        return [a for a in _flat(self.args) + _flat(list(self.kwargs.values()))
                if isinstance(a, TensorInfo)]


# --------------------------------------------------------------------------
# Geometry helpers: ints and tuples in, record fields out
# --------------------------------------------------------------------------

def per_axis(value, n_axes, what="value"):
    """Torch's sizes per axis: :func:`geometry.as_tuple` with ints out."""
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


def _op(name):
    return lambda call, n_axes: dict(op=name)


def _flat(values):
    out = []
    for v in values:
        if isinstance(v, dict):
            out.extend(_flat(list(v.values())))
        elif isinstance(v, (list, tuple)) and not isinstance(v, torch.Size):
            out.extend(_flat(v))
        else:
            out.append(v)
    return out


def _spatial(shape):
    return tuple(shape[2:])


# --------------------------------------------------------------------------
# Rule tables
# --------------------------------------------------------------------------

def register_module_rule(*classes):
    """Decorator: use ``rule(call, n_axes) -> dict`` for these module
    classes (and their subclasses without a rule of their own).

    Examples
    --------
    >>> @register_module_rule(MyBlur)
    ... def blur(call, n_axes):
    ...     return window(n_axes, kernel=3, pad=1)
    """
    return MODULE_RULES.register(*classes)


def register_function_rule(*targets):
    """Decorator: use ``rule(call, n_axes) -> dict`` for these fx targets:
    functions (``torch.cat``, ``F.relu``, ``operator.add``) or method names
    (``'view'``)."""
    return FUNCTION_RULES.register(*targets)


def module_rule(module):
    """The rule for a module, through its class's MRO; None if none."""
    return module_rule_of_class(type(module))


def module_rule_of_class(cls):
    return MODULE_RULES.first(cls.__mro__)


def function_rule(target):
    rule = FUNCTION_RULES.get(target)
    if rule is None and getattr(target, "__name__", None) in \
            PER_SAMPLE_FUNCTIONS:
        return FUNCTION_RULES[F.dropout]
    return rule


#: Functions of libraries this module does not import (torchvision's,
#: timm's) that drop whole samples or act per position, by name.
PER_SAMPLE_FUNCTIONS = ("stochastic_depth", "drop_path")


def _named(*names):
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


# --- convolutions -----------------------------------------------------------

@register_module_rule(nn.Conv1d, nn.Conv2d, nn.Conv3d)
def conv(call, n_axes):
    m = call.target
    kernel = per_axis(m.kernel_size, n_axes, "kernel_size")
    dilation = per_axis(m.dilation, n_axes, "dilation")
    # padding_mode (reflect, circular, ...) only changes border values
    pad = conv_leading_pad(m.padding, kernel, dilation)
    return window(n_axes, kernel, m.stride, pad, dilation, learns=True)


@register_module_rule(nn.ConvTranspose1d, nn.ConvTranspose2d,
                      nn.ConvTranspose3d)
def conv_transpose(call, n_axes):
    m = call.target
    # output_padding adds units at the end: size only
    return transposed(n_axes, m.kernel_size, m.stride, m.padding, m.dilation,
                      learns=True)


@register_function_rule(*_named("F.conv1d", "F.conv2d", "F.conv3d"))
def conv_function(call, n_axes):
    kernel = _spatial(call.arg(1, "weight").shape)
    dilation = per_axis(call.arg(5, "dilation", 1), n_axes, "dilation")
    pad = conv_leading_pad(call.arg(4, "padding", 0), kernel, dilation)
    return window(n_axes, kernel, call.arg(3, "stride", 1), pad, dilation,
                  learns=True)


@register_function_rule(*_named("F.conv_transpose1d", "F.conv_transpose2d",
                                "F.conv_transpose3d"))
def conv_transpose_function(call, n_axes):
    kernel = _spatial(call.arg(1, "weight").shape)
    return transposed(n_axes, kernel, call.arg(3, "stride", 1),
                      call.arg(4, "padding", 0), call.arg(7, "dilation", 1),
                      learns=True)


# --- pooling ----------------------------------------------------------------

def _stride_or_kernel(stride, kernel):
    # torch's default stride is the kernel (None, or [] for the builtins)
    return kernel if stride is None or stride == [] or stride == () \
        else stride


@register_module_rule(nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
def max_pool(call, n_axes):
    m = call.target
    # ceil_mode only adds a partial window at the end: size only
    return window(n_axes, m.kernel_size,
                  _stride_or_kernel(m.stride, m.kernel_size), m.padding,
                  m.dilation)


@register_module_rule(nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
def avg_pool(call, n_axes):
    m = call.target
    return window(n_axes, m.kernel_size,
                  _stride_or_kernel(m.stride, m.kernel_size), m.padding)


@register_module_rule(nn.LPPool1d, nn.LPPool2d, nn.LPPool3d)
def lp_pool(call, n_axes):
    m = call.target
    return window(n_axes, m.kernel_size,
                  _stride_or_kernel(m.stride, m.kernel_size))


@register_function_rule(*_named("F.max_pool1d", "F.max_pool2d",
                                "F.max_pool3d", "F.max_pool1d_with_indices",
                                "F.max_pool2d_with_indices",
                                "F.max_pool3d_with_indices"))
def max_pool_function(call, n_axes):
    kernel = call.arg(1, "kernel_size")
    return window(n_axes, kernel,
                  _stride_or_kernel(call.arg(2, "stride"), kernel),
                  call.arg(3, "padding", 0), call.arg(4, "dilation", 1))


@register_function_rule(*_named("F.avg_pool1d", "F.avg_pool2d",
                                "F.avg_pool3d"))
def avg_pool_function(call, n_axes):
    kernel = call.arg(1, "kernel_size")
    return window(n_axes, kernel,
                  _stride_or_kernel(call.arg(2, "stride"), kernel),
                  call.arg(3, "padding", 0))


@register_function_rule(*_named("F.lp_pool1d", "F.lp_pool2d", "F.lp_pool3d"))
def lp_pool_function(call, n_axes):
    kernel = call.arg(2, "kernel_size")
    return window(n_axes, kernel,
                  _stride_or_kernel(call.arg(3, "stride"), kernel))


def adaptive_pool(call, n_axes):
    """Adaptive pooling, from the input and output lengths per axis.

    Output 1 everywhere is a global pool (``'collapse'``).  An axis whose
    input length is a multiple of the output length is a window of kernel
    and stride ``input // output``; one whose output length is a multiple of
    the input length repeats each input unit (a transposed window of kernel
    and stride ``output // input``, like nearest upsampling).  Other lengths
    give windows of varying size and position, which no per-axis
    kernel/stride describes: the record is ``'unknown'`` (the core flags the
    rows from there on as approximate) with the reason in ``note``.
    """
    lengths = list(zip(_spatial(call.in_shape), _spatial(call.out_shape)))
    if all(o == 1 for _, o in lengths):
        return dict(op="collapse")
    if all(n % o == 0 for n, o in lengths):
        return window(n_axes, tuple(n // o for n, o in lengths),
                      tuple(n // o for n, o in lengths))
    if all(o % n == 0 for n, o in lengths):
        factor = tuple(o // n for n, o in lengths)
        return transposed(n_axes, factor, factor)
    return dict(op="unknown", note="adaptive pooling {} -> {}: windows of "
                "varying size".format(_spatial(call.in_shape),
                                      _spatial(call.out_shape)))


register_module_rule(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
                     nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
                     nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)(adaptive_pool)
register_function_rule(*_named(
    "F.adaptive_avg_pool1d", "F.adaptive_avg_pool2d", "F.adaptive_avg_pool3d",
    "F.adaptive_max_pool1d", "F.adaptive_max_pool2d", "F.adaptive_max_pool3d",
    "F.adaptive_max_pool1d_with_indices", "F.adaptive_max_pool2d_with_indices",
    "F.adaptive_max_pool3d_with_indices"))(adaptive_pool)


# --- resampling -------------------------------------------------------------

#: Half-width, in input units, of each interpolation kernel: an output at
#: source coordinate x reads the inputs i with |x - i| < width.
INTERPOLATION_WIDTH = {"linear": 1, "bilinear": 1, "trilinear": 1,
                       "bicubic": 2}


def _resample_axis(mode, length, out_length, scale):
    """One axis of ``F.interpolate`` -> ``(op, kernel, stride, pad)`` or
    None when no integer factor describes it.

    ``scale`` is the source step per output unit torch uses: ``1 /
    scale_factor`` when a scale factor is given, else ``in / out``.
    Upsampling by an integer ``f`` (align_corners=False) reads source
    coordinate ``x = (o + 1/2) / f - 1/2``:

    * nearest / nearest-exact: ``floor(o / f)``, one input: kernel
      ``f``, stride ``f``, no pad (each input repeated ``f`` times).
    * linear family (bicubic: width 2): inputs ``i`` with ``|x - i| <
      width``, i.e. ``f * i + m - crop = o`` for taps ``m < 2 * width * f -
      f % 2`` and ``crop = width * f - (f + 1) // 2``.  For odd ``f`` one
      phase in ``f`` has ``x`` on an input and reads that input alone; the
      transposed rule finds this itself for linear, but bicubic's weights
      vanish at ``|t| = 1`` too, so its ``field_min`` is a bound there.

    Downsampling by an integer ``g`` reads ``x = g * o + (g - 1) / 2``:
    nearest ``g * o`` (kernel 1, stride ``g``), nearest-exact ``g * o + g //
    2``, linear one input (odd ``g``) or two (even ``g``) around ``x``,
    bicubic one or four.  ``'area'`` is adaptive average pooling.
    """
    if length == out_length:
        return ("window", 1, 1, 0)
    up = 1. / scale
    if up > 1 and abs(up - round(up)) < 1e-9 and out_length == round(up) * \
            length:
        f = int(round(up))
        if mode in ("nearest", "nearest-exact"):
            return ("transposed", f, f, 0)
        width = INTERPOLATION_WIDTH.get(mode)
        if width is None:
            return None
        return ("transposed", 2 * width * f - f % 2, f,
                width * f - (f + 1) // 2)
    if scale > 1 and abs(scale - round(scale)) < 1e-9:
        g = int(round(scale))
        odd = g % 2
        if mode == "nearest":
            return ("window", 1, g, 0)
        if mode == "nearest-exact":
            return ("window", 1, g, -(g // 2))
        if mode in INTERPOLATION_WIDTH:
            kernel = 1 if odd else 2 * INTERPOLATION_WIDTH[mode]
            return ("window", kernel, g, (kernel - 1) // 2 - (g - 1) // 2)
    return None


def resample(call, n_axes, scale_factor, mode, align_corners,
             antialias=False, recompute=None):
    """``nn.Upsample`` / ``F.interpolate`` with any mode; see
    :func:`_resample_axis`.  Non-integer factors, ``align_corners=True``
    (source step ``(in - 1) / (out - 1)``) and antialiased downsampling
    are ``'unknown'``."""
    if mode == "area":      # torch runs adaptive average pooling
        return adaptive_pool(call, n_axes)
    lengths = list(zip(_spatial(call.in_shape), _spatial(call.out_shape)))
    if scale_factor is not None and not recompute:
        factors = tuple(scale_factor) if isinstance(
            scale_factor, (tuple, list)) else (scale_factor,) * n_axes
        scales = [1. / float(f) for f in factors]
    else:
        scales = [n / float(o) for n, o in lengths]
    axes = None
    if not (align_corners and any(n != o for n, o in lengths)) and not \
            (antialias and any(n > o for n, o in lengths)):
        axes = [_resample_axis(mode, n, o, s)
                for (n, o), s in zip(lengths, scales)]
    if axes is None or None in axes:
        return dict(op="unknown", note="{} resampling {} -> {}: no integer "
                    "factor".format(mode, _spatial(call.in_shape),
                                    _spatial(call.out_shape)))
    ops = {a[0] for a in axes if a[1:] != (1, 1, 0)} or {"window"}
    if len(ops) > 1:
        return dict(op="unknown", note="upsamples one axis and downsamples "
                    "another")
    build = window if ops == {"window"} else transposed
    return build(n_axes, tuple(a[1] for a in axes), tuple(a[2] for a in axes),
                 tuple(a[3] for a in axes))


@register_module_rule(nn.Upsample)
def upsample(call, n_axes):
    m = call.target
    return resample(call, n_axes, m.scale_factor, m.mode, m.align_corners,
                    recompute=getattr(m, "recompute_scale_factor", None))


@register_module_rule(nn.UpsamplingNearest2d)
def upsample_nearest(call, n_axes):
    return resample(call, n_axes, call.target.scale_factor, "nearest", None)


@register_module_rule(nn.UpsamplingBilinear2d)
def upsample_bilinear(call, n_axes):
    # this class always aligns corners
    return resample(call, n_axes, call.target.scale_factor, "bilinear", True)


@register_function_rule(*_named("F.interpolate", "F.upsample"))
def interpolate(call, n_axes):
    return resample(call, n_axes, call.arg(2, "scale_factor"),
                    call.arg(3, "mode", "nearest"),
                    call.arg(4, "align_corners"),
                    antialias=call.arg(6, "antialias", False),
                    recompute=call.arg(5, "recompute_scale_factor"))


def _shuffle(factor, n_axes, up):
    # Each output unit reads one input position: channels <-> space.
    build = transposed if up else window
    return build(n_axes, factor, factor)


@register_module_rule(nn.PixelShuffle)
def pixel_shuffle(call, n_axes):
    return _shuffle(call.target.upscale_factor, n_axes, True)


@register_module_rule(nn.PixelUnshuffle)
def pixel_unshuffle(call, n_axes):
    return _shuffle(call.target.downscale_factor, n_axes, False)


@register_function_rule(*_named("F.pixel_shuffle"))
def pixel_shuffle_function(call, n_axes):
    return _shuffle(call.arg(1, "upscale_factor"), n_axes, True)


@register_function_rule(*_named("F.pixel_unshuffle"))
def pixel_unshuffle_function(call, n_axes):
    return _shuffle(call.arg(1, "downscale_factor"), n_axes, False)


# --- padding and slicing ----------------------------------------------------

@register_module_rule(
    nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d, nn.ConstantPad1d,
    nn.ConstantPad2d, nn.ConstantPad3d, nn.ReflectionPad1d,
    nn.ReflectionPad2d, nn.ReflectionPad3d, nn.ReplicationPad1d,
    nn.ReplicationPad2d, nn.ReplicationPad3d,
    *[getattr(nn, n) for n in ("CircularPad1d", "CircularPad2d",
                               "CircularPad3d") if hasattr(nn, n)])
def pad_module(call, n_axes):
    return window(n_axes, pad=leading_pads(call.target.padding, n_axes))


@register_function_rule(*_named("F.pad"))
def pad_function(call, n_axes):
    return window(n_axes, pad=leading_pads(call.arg(1, "pad"), n_axes))


def _index(call, n_axes):
    """``x[..., a:b:c]`` on a tensor: per spatial axis a window of kernel 1,
    stride ``c`` and leading pad ``-a``; anything but plain slices over the
    existing axes is ``'unknown'``."""
    source, index = call.args[0], call.args[1]
    if not isinstance(source, TensorInfo):     # picking from a tuple
        return _same_spatial(call, n_axes)
    index = index if isinstance(index, tuple) else (index,)
    if any(i is Ellipsis for i in index):
        at = index.index(Ellipsis)
        fill = len(source.shape) - (len(index) - 1)
        index = index[:at] + (slice(None),) * fill + index[at + 1:]
    if len(index) > len(source.shape) or not all(
            isinstance(i, slice) for i in index):
        return _same_spatial(call, n_axes)
    strides, pads = [1] * n_axes, [0] * n_axes
    for axis, item in enumerate(index[2:]):
        start, _, step = item.indices(source.shape[axis + 2])
        strides[axis], pads[axis] = step, -start
    return window(n_axes, 1, tuple(strides), tuple(pads))


register_function_rule(operator.getitem)(_index)


# --- merges -----------------------------------------------------------------

def elementwise(call, n_axes):
    """Arithmetic: several maps merge; one map with scalars acts per
    position (as does a map with constants: see :func:`make_record`)."""
    tensors = [t for t in call.tensors if len(t.shape) > 2]
    if len(tensors) > 1:
        return dict(op="merge")
    return _same_spatial(call, n_axes)


register_function_rule(*_named(
    "operator.add", "operator.sub", "operator.mul", "operator.truediv",
    "operator.iadd", "operator.isub", "operator.imul", "operator.itruediv",
    "operator.floordiv", "operator.pow", "torch.add", "torch.sub",
    "torch.mul", "torch.div", "torch.maximum", "torch.minimum", "torch.max",
    "torch.min", "torch.where", "torch.pow", "torch.addcmul"),
    "add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "maximum",
    "minimum", "pow", "__add__", "__mul__", "__sub__", "__truediv__",
    "__radd__", "__rmul__", "__rsub__", "__rtruediv__")(elementwise)


@register_function_rule(*_named("torch.cat", "torch.concat",
                                "torch.concatenate"), "cat")
def concatenate(call, n_axes):
    dim = call.arg(1, "dim", 0)
    if dim % max(len(call.out_shape), 1) == 1:     # along channels
        return dict(op="merge")
    return dict(op="unknown", note="concatenation along axis {}".format(dim))


# --- shape changes ----------------------------------------------------------

def _same_spatial(call, n_axes):
    """Judge a shape change by shapes: to (batch, features) is a flatten
    when it keeps every value (else a collapse), spatial axes untouched is
    per position, anything else is unknown."""
    if len(call.out_shape) <= 2 and n_axes > 0:
        return dict(op="flatten" if product(call.in_shape[1:]) == product(
            call.out_shape[1:]) else "collapse")
    if _spatial(call.out_shape) == _spatial(call.in_shape):
        return dict(op="pointwise")
    return dict(op="unknown", note="reshapes {} to {}".format(
        call.in_shape, call.out_shape))


register_function_rule(*_named(
    "torch.flatten", "torch.reshape", "torch.squeeze", "torch.unsqueeze",
    "torch.permute", "torch.transpose", "torch.split", "torch.chunk",
    "torch.narrow"),
    "view", "reshape", "flatten", "squeeze", "unsqueeze", "permute",
    "transpose", "split", "chunk", "narrow", "expand", "expand_as",
    "repeat", "view_as", "reshape_as", "unflatten")(_same_spatial)
register_module_rule(nn.Flatten, nn.Unflatten)(_same_spatial)
register_function_rule(*_named("torch.movedim", "torch.swapaxes",
                               "torch.swapdims"),
                       "movedim", "swapaxes", "swapdims")(_same_spatial)


# --- which tensor dimensions are spatial -----------------------------------

def standard_layout(rank):
    """(batch, channels, *spatial): ``(None, None, 0, 1, ...)``."""
    return (None,) * min(rank, 2) + tuple(range(rank - 2))


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
SHAPE_ONLY = set(_named(
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
    if fields["op"] in ("pointwise", "merge"):
        return fields
    return dict(op="unknown", note="spatial axes at dimensions {}".format(
        tuple(d for d, a in enumerate(call.in_layout) if a is not None)))


def reduction(call, n_axes):
    """``mean`` / ``sum`` / ``amax`` over dims: over every spatial axis it
    is a global pool (``'collapse'``); else judged by shapes."""
    dims = call.arg(1, "dim")
    rank = len(call.in_shape)
    if dims is None:
        return dict(op="collapse")
    dims = {d % rank for d in (dims if isinstance(dims, (tuple, list))
                               else (dims,))}
    if set(range(2, rank)) <= dims:
        return dict(op="collapse")
    return _same_spatial(call, n_axes)


register_function_rule(*_named("torch.mean", "torch.sum", "torch.amax",
                               "torch.amin", "torch.logsumexp"),
                       "mean", "sum", "amax", "amin", "logsumexp")(reduction)


@register_module_rule(nn.Linear, nn.Bilinear, nn.LazyLinear)
def dense(call, n_axes):
    # Linear on a (batch, ..., features) map acts on the last axis only
    if len(call.out_shape) <= 2:
        return dict(op="collapse", learns=True)
    return dict(op="unknown", note="Linear on the last spatial axis")


register_function_rule(*_named("F.linear"))(dense)


# --- acting per position ----------------------------------------------------

def softmax(call, n_axes):
    """Softmax-like: per position over channels, else across an axis."""
    if isinstance(call.target, nn.Module):
        dim = getattr(call.target, "dim", 1)
    else:
        dim = call.arg(1, "dim")
    rank = len(call.in_shape)
    if dim is None or rank <= 2 or dim % rank in (0, 1):
        return dict(op="pointwise")
    return dict(op="unknown", note="softmax along spatial axis {}".format(dim))


register_module_rule(nn.Softmax, nn.LogSoftmax, nn.Softmin)(softmax)
register_function_rule(*_named("F.softmax", "F.log_softmax", "F.softmin",
                               "torch.softmax", "torch.log_softmax"),
                       "softmax", "log_softmax")(softmax)


@register_module_rule(nn.GLU)
def glu(call, n_axes):
    return softmax(call, n_axes) if _spatial(call.out_shape) == _spatial(
        call.in_shape) else dict(op="unknown", note="GLU along a spatial axis")


#: Nonlinearities: Lasagne builds them into its conv and dense layers, so
#: one right after a conv or linear module is a port's separate activation
#: (legacy role ``'fused'``: nolearn's walk never saw a row for it).
ACTIVATION_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.SELU,
    nn.CELU, nn.GELU, nn.SiLU, nn.Mish, nn.Sigmoid, nn.Tanh, nn.Hardtanh,
    nn.Hardsigmoid, nn.Hardswish, nn.Softplus, nn.Softsign, nn.Softshrink,
    nn.Hardshrink, nn.Tanhshrink, nn.Threshold, nn.LogSigmoid, nn.Softmax,
    nn.LogSoftmax, nn.Softmin, nn.Softmax2d)
ACTIVATION_FUNCTIONS = tuple(_named(
    "F.relu", "F.relu_", "F.relu6", "F.leaky_relu", "F.prelu", "F.rrelu",
    "F.elu", "F.selu", "F.celu", "F.gelu", "F.silu", "F.mish", "F.sigmoid",
    "F.tanh", "F.hardtanh", "F.hardsigmoid", "F.hardswish", "F.softplus",
    "F.softsign", "F.softshrink", "F.hardshrink", "F.tanhshrink",
    "F.threshold", "F.logsigmoid", "F.softmax", "F.log_softmax", "F.softmin",
    "torch.relu", "torch.sigmoid", "torch.tanh", "torch.softmax",
    "torch.log_softmax")) + (
    "relu", "relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "softmax",
    "log_softmax")

#: Modules that act on each position alone (statistics of batch, channel or
#: map are not a spatial window; parameters, if any, are per channel).
POINTWISE_MODULES = tuple(
    m for m in ACTIVATION_MODULES if module_rule_of_class(m) is None) + (
    nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
    nn.AlphaDropout, nn.FeatureAlphaDropout,
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm,
    nn.LazyBatchNorm1d, nn.LazyBatchNorm2d, nn.LazyBatchNorm3d,
    nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d, nn.GroupNorm,
    nn.LayerNorm, nn.LocalResponseNorm, nn.ChannelShuffle,
) + tuple(getattr(nn, n) for n in ("RMSNorm",) if hasattr(nn, n))

#: Functions and methods that act on each position alone.
POINTWISE_FUNCTIONS = tuple(
    f for f in ACTIVATION_FUNCTIONS if function_rule(f) is None) + tuple(
    _named("F.dropout", "F.dropout1d", "F.dropout2d", "F.dropout3d",
           "F.alpha_dropout", "F.feature_alpha_dropout", "F.batch_norm",
           "F.instance_norm", "F.group_norm", "F.layer_norm",
           "F.local_response_norm", "F.normalize", "torch.exp", "torch.log",
           "torch.abs", "torch.neg", "torch.sqrt", "torch.rsqrt",
           "torch.clamp", "torch.clip", "torch.square", "operator.neg",
           "operator.pos")) + (
    "exp", "log", "abs", "neg", "sqrt", "rsqrt", "square", "clamp",
    "clamp_", "clip", "contiguous", "clone", "detach", "float", "double",
    "half", "to", "type", "type_as", "__neg__", "sign")

register_module_rule(*POINTWISE_MODULES)(_op("pointwise"))

#: Rows a reader can skip (tables fold them into the row before):
#: nonlinearities, dropout, identity and flatten.
MINOR_MODULES = ACTIVATION_MODULES + (
    nn.Identity, nn.Flatten, nn.modules.dropout._DropoutNd)
MINOR_FUNCTIONS = ACTIVATION_FUNCTIONS + tuple(_named(
    "F.dropout", "F.dropout1d", "F.dropout2d", "F.dropout3d",
    "F.alpha_dropout", "F.feature_alpha_dropout", "torch.flatten")) + (
    "flatten", "contiguous")


def is_minor(target):
    if isinstance(target, nn.Module):
        return isinstance(target, MINOR_MODULES)
    try:
        return target in MINOR_FUNCTIONS
    except TypeError:
        return False


#: Per-position modules whose output has their input's shape and dtype
#: (:class:`_Recorder` need not run them on the meta device).
SHAPE_KEEPING_MODULES = POINTWISE_MODULES


def _keeps_shape(target):
    try:
        return target in ACTIVATION_FUNCTIONS and function_rule(target) is \
            FUNCTION_RULES[F.relu]
    except (TypeError, KeyError):
        return False
register_function_rule(*POINTWISE_FUNCTIONS)(_op("pointwise"))


# --------------------------------------------------------------------------
# From calls to records
# --------------------------------------------------------------------------

def _legacy(module):
    """nolearn's roles: Conv2d counts as its conv, MaxPool2d as its pool."""
    if isinstance(module, nn.Conv2d):
        return "conv", per_axis(module.kernel_size, 2)
    if isinstance(module, nn.MaxPool2d):
        return "maxpool", per_axis(module.kernel_size, 2)
    return None, None


def _trainable(params):
    return {id(p): p.numel() for p in params if p.requires_grad}


def _parameters(module):
    """``list(module.parameters())``, without the generators torch stacks
    for each level of the module tree when the module has no children (as
    almost every called module)."""
    if module._modules or type(module).parameters is not \
            nn.Module.parameters:
        return list(module.parameters())
    return list({id(p): p for p in module._parameters.values()
                 if p is not None}.values())


def function_name(target):
    if isinstance(target, str):
        return target
    name = FUNCTION_NAMES.get(id(target))
    if name is None:
        name = getattr(target, "__name__", None) or type(target).__name__
    return name


def is_activation(target):
    if isinstance(target, nn.Module):
        return isinstance(target, ACTIVATION_MODULES)
    try:
        return target in ACTIVATION_FUNCTIONS
    except TypeError:
        return False


def make_record(call, name, inputs, records, params=None, module_path=()):
    """One call as a :class:`LayerRecord`, to follow ``records`` (the
    records before it, which ``inputs`` index); ``params`` maps id -> size
    of the trainable parameters it owns; ``module_path`` the modules that
    hold the call (see :class:`LayerRecord`)."""
    index = len(records)
    module = call.target if isinstance(call.target, nn.Module) else None
    if module is not None:
        class_name = type(module).__name__
        rule = module_rule(module)
        role, size = _legacy(module)
    else:
        class_name = function_name(call.target)
        rule = function_rule(call.target)
        role, size = None, None
    if is_activation(call.target) and len(inputs) == 1 and \
            records[inputs[0]].learns:
        role = "fused"
    n_axes = max(len(call.in_shape) - 2, 0)
    fields = {"op": "unknown"}
    if rule is not None:
        try:
            fields = rule(call, n_axes)
            if fields["op"] == "merge" and len(set(inputs)) < 2:
                # x + x, x * constant: one record read, per position
                fields = _same_spatial(call, n_axes)
            fields = by_layout(call, fields)
            if call.pads and fields.get("op") == "window":
                # padding done in forward before the window: it leads
                fields["pad"] = tuple(p + sum(extra) for p, extra in zip(
                    fields["pad"], zip(*[leading_pads(w, n_axes)
                                         for w in call.pads])))
        except (AttributeError, TypeError, ValueError, IndexError) as error:
            raise UnsupportedLayerError("{}: {}".format(
                describe_layer(name, index, class_name), error)) from error
    n_params = sum((params or {}).values())
    return LayerRecord(name=name, label=name, class_name=class_name,
                       inputs=tuple(inputs),
                       output_shape=tuple(call.out_shape),
                       n_params=n_params, legacy_role=role, legacy_size=size,
                       module_path=tuple(module_path),
                       minor=is_minor(call.target),
                       **_costs(call, fields, n_params), **fields)


def module_path(root, qualname):
    """``(name, class_name)`` of the modules along ``qualname`` (``'a.b'``:
    ``a`` and ``a.b``) below ``root``."""
    path, module = [], root
    for part in qualname.split(".") if qualname else ():
        module = module._modules.get(part) if module is not None else None
        path.append((part, type(module).__name__ if module is not None
                     else "?"))
    return tuple(path)


def node_name(node, root, taken):
    """The row name and module path of fx ``node`` traced from ``root``:
    a module call is named by its module path (``layer1.0.conv1``), a
    function or method call by the function inside the module whose
    ``forward`` called it (``layer1.0.add``); ``taken`` (name -> repeats)
    keeps names unique with a counter (``add_1``)."""
    if node.op == "call_module":
        return unique_name(node.target, taken), module_path(
            root, node.target.rpartition(".")[0])
    stack = node.meta.get("nn_module_stack") or {}
    scope = next(reversed(stack.values()))[0] if stack else ""
    scope = scope if isinstance(scope, str) else ""
    return unique_name((scope + "." if scope else "") +
                       function_name(node.target), taken), \
        module_path(root, scope)


def unique_name(wanted, taken):
    """``wanted``, or ``wanted_1``, ``wanted_2`` ... if a row has it."""
    count = taken.get(wanted, 0)
    name = wanted
    while name in taken:
        count += 1
        name = "{}_{}".format(wanted, count)
    taken[wanted] = count
    taken[name] = 0
    return name



def _costs(call, fields, n_params):
    """The record's cost fields, counted as torchinfo counts them: a
    module's parameters (trainable or not) once per output position of a
    convolution, per time step of a recurrence, per position of a linear
    layer; bytes in the parameters' and the output's own dtypes."""
    itemsize = (call.out_dtype or torch.get_default_dtype()).itemsize
    if isinstance(call.target, nn.Module):
        params = _parameters(call.target)
        weights = sum(p.numel() for p in params)
        param_bytes = sum(p.numel() * p.element_size() for p in params
                          if p.requires_grad)
    else:   # a function given parameters: in the output's dtype
        weights, param_bytes = n_params, n_params * itemsize
    out = call.out_shape
    reuse = 1     # per-channel parameters (norms, PReLU), a dense layer
    once = 0      # parameters applied once: one value per output value
    if fields.get("learns") and fields["op"] in ("window", "transposed"):
        layout = call.out_layout
        reuse = product(out[2:] if layout is None or len(layout) != len(
            out) else [n for n, axis in zip(out, layout) if axis is not None])
        if isinstance(call.target, nn.Module) and len(out) > 2:
            # an untied bias (a port of Lasagne's untie_biases) is added
            # once per output value, not once per position
            once = sum(p.numel() for p in params if p.dim() > 1 and
                       tuple(p.shape) == tuple(out[1:]))
    elif isinstance(call.target, (nn.Linear, nn.Bilinear)) or \
            call.target is F.linear:
        reuse = product(out[1:-1])    # on a map: features last
    elif isinstance(call.target, nn.RNNBase) and len(out) == 3:
        reuse = out[1] if call.target.batch_first else out[0]
    counted = mult_adds(weights - once, reuse)
    return dict(mult_adds=None if counted is None else counted + once,
                param_bytes=param_bytes,
                activation_bytes=output_bytes(call.out_shape, itemsize))


def input_record(name, shape, dtype=None):
    return LayerRecord(name=name, label=name, class_name="Input", op="input",
                       output_shape=tuple(shape),
                       activation_bytes=output_bytes(shape, (
                           dtype or torch.get_default_dtype()).itemsize))


# --------------------------------------------------------------------------
# The walks
# --------------------------------------------------------------------------

def _shapes(input_shape):
    """``input_shape`` -> list of shapes (one per model input)."""
    if input_shape is None:
        raise BadShapeError(
            "a torch module needs input_shape=(batch, channels, *spatial), "
            "e.g. (1, 3, 224, 224); got None")
    if isinstance(input_shape, (tuple, list, torch.Size)) and input_shape \
            and all(isinstance(s, (tuple, list, torch.Size))
                    for s in input_shape):
        shapes = [tuple(s) for s in input_shape]
    else:
        shapes = [tuple(input_shape)] if isinstance(
            input_shape, (tuple, list, torch.Size)) else None
    for shape in shapes or [input_shape]:
        if shapes is None or not shape or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0
                for v in shape):
            raise BadShapeError(
                "input_shape should be a tuple of positive ints (batch "
                "included), or a list of such tuples for several inputs; "
                "got {!r}".format(input_shape))
    return shapes


def _dtype(module):
    for p in itertools.chain(module.parameters(), module.buffers()):
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


def _summary(value):
    if isinstance(value, torch.Tensor):
        return TensorInfo(tuple(value.shape), value.dtype)
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (tuple, list)):
        return tuple(_summary(v) for v in value)
    if isinstance(value, dict):
        return {k: _summary(v) for k, v in value.items()}
    return value


def _first_tensor(value):
    if type(value) is TensorInfo:
        return value
    for v in _flat([value]):
        if isinstance(v, TensorInfo):
            return v
    return None


#: Per code object, the offsets of its instructions and the length each
#: ``UNPACK_SEQUENCE`` among them unpacks (None for other instructions).
_UNPACKS = {}


class _Proxy(torch.fx.Proxy):
    """fx's proxy, whose ``a, b = x.chunk(2)`` reads the calling code's
    instructions once per code object: fx disassembles the whole function
    at every unpacking, most of the time of tracing a ShuffleNet."""

    def __iter__(self):
        frame = inspect.currentframe().f_back
        code = frame.f_code
        table = _UNPACKS.get(code)
        if table is None:
            if len(_UNPACKS) > 4096:
                _UNPACKS.clear()
            instructions = list(dis.get_instructions(code))
            table = _UNPACKS[code] = (
                [i.offset for i in instructions],
                [i.argval if i.opname == "UNPACK_SEQUENCE" else None
                 for i in instructions])
        offsets, counts = table
        # as fx finds the instruction: the first at or after f_lasti
        at = bisect.bisect_left(offsets, frame.f_lasti)
        count = counts[at] if at < len(counts) else None
        if count is not None:
            return (self[i] for i in range(count))
        return self.tracer.iter(self)


#: Arguments fx keeps as they are (torch.Tensor is not one: fx turns it
#: into an attribute).
_PLAIN_ARGUMENTS = frozenset((int, float, bool, str, type(None), torch.dtype,
                              torch.device, torch.memory_format,
                              torch.layout))


class _Tracer(torch.fx.Tracer):
    """fx's tracer, with every module we have a rule for kept whole (so a
    user's subclass of ``nn.Conv2d`` stays one conv record).

    Three costs of fx's own per node are cut (a third of tracing a mobile
    net): the generic handling of plain arguments, the copy of the module
    stack (``copy.copy`` of an OrderedDict), and the scan of the arguments
    for symbolic sizes, which tracing a module never produces."""

    def __init__(self):
        super().__init__()
        self._leaves = {}

    def _ruled(self, cls):
        ruled = self._leaves.get(cls)
        if ruled is None:
            ruled = self._leaves[cls] = module_rule_of_class(cls) is not None
        return ruled

    def is_leaf_module(self, m, qualname):
        return self._ruled(type(m)) or super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        if not self._ruled(type(m)):
            return super().call_module(m, forward, args, kwargs)
        # fx's own steps for a leaf (scope, module stack, call count),
        # without its copy of the scope object and context manager
        path, cls, scope = self.path_of_module(m), type(m), self.scope
        before = scope.module_path, scope.module_type
        scope.module_path, scope.module_type = path, cls
        calls = self.num_calls.get(path, 0)
        self.module_stack["{}@{}".format(path, calls) if calls else path] = \
            (path, cls)
        self.num_calls[path] = calls + 1
        try:
            return self.create_proxy("call_module", path, args, kwargs)
        finally:
            self.module_stack.popitem(last=True)
            scope.module_path, scope.module_type = before

    def proxy(self, node):
        return _Proxy(node, self)

    def create_arg(self, a):
        kind = type(a)
        if kind is _Proxy:
            return a.node
        if kind in _PLAIN_ARGUMENTS:
            return a
        if kind is tuple:
            return tuple([self.create_arg(v) for v in a])
        if kind is list:
            return [self.create_arg(v) for v in a]
        if kind is dict and all(type(k) is str for k in a):
            return {k: self.create_arg(v) for k, v in a.items()}
        return super().create_arg(a)

    def create_node(self, kind, target, args, kwargs, name=None,
                    type_expr=None):
        stack, self.module_stack = self.module_stack, OrderedDict()
        try:
            node = super().create_node(kind, target, (), {}, name, type_expr)
        finally:
            self.module_stack = stack
        if stack and "nn_module_stack" not in node.meta:
            node.meta["nn_module_stack"] = OrderedDict(stack)
        if args or kwargs:
            # what the `args` setter runs, without re-filing the node in the
            # graph's (op, target) lookup table, which args do not change
            node._update_args_kwargs(args, kwargs)
        return node


#: torch.fx patches ``nn.Module.__call__`` and friends while it traces, and
#: lazy modules and hooks change shared state while the module runs: one
#: analysis at a time, so that concurrent calls cannot see each other's
#: patches (issue 8).
_LOCK = threading.RLock()

#: The most bytes of zeros the real-data fallback allocates: the meta
#: device needs none, real tensors of a 1x3x100000x100000 input need 120 GB.
MAX_REAL_BYTES = 10 ** 9


def _meta_twin(tensor):
    """A tensor of the same class, shape and dtype with no storage."""
    twin = torch.empty_like(tensor, device="meta")
    # (isinstance on Parameter runs Python code: its metaclass's)
    if type(tensor) is nn.Parameter or isinstance(tensor, nn.Parameter):
        twin = nn.Parameter(twin, requires_grad=tensor.requires_grad)
    return twin


#: Containers a module keeps in its ``__dict__`` (hook tables, caches):
#: the structure copy gets its own, so nothing it runs reaches the caller's.
_CONTAINERS = frozenset((dict, OrderedDict, list, set))
#: What the structure copy replaces rather than copies.
_TENSORS_AND_CHILDREN = frozenset(("_parameters", "_buffers", "_modules"))


def _structure_copy(module, memo):
    """``module`` and its children as new module objects sharing nothing
    mutable at the top of their ``__dict__`` with the originals, their
    parameters and buffers replaced by ``memo[id(tensor)]``.  Unlike a deep
    copy it walks no attribute values, which costs a deep copy most of its
    time on small mobile nets."""
    twin = memo.get(id(module))
    if twin is not None:
        return twin
    twin = object.__new__(type(module))
    memo[id(module)] = twin
    state = {}
    for key, value in module.__dict__.items():
        kind = type(value)
        if kind in _CONTAINERS:
            value = value.copy()
            if value and kind in (dict, OrderedDict) and \
                    key not in _TENSORS_AND_CHILDREN:
                # hooks that are methods of a module act on its copy
                for name, item in value.items():
                    if type(item) is types.MethodType and isinstance(
                            item.__self__, nn.Module):
                        value[name] = types.MethodType(
                            item.__func__,
                            _structure_copy(item.__self__, memo))
        state[key] = value
    state["_parameters"] = {k: None if v is None else memo[id(v)]
                            for k, v in module._parameters.items()}
    state["_buffers"] = {k: None if v is None else memo[id(v)]
                         for k, v in module._buffers.items()}
    state["_modules"] = {k: None if v is None else _structure_copy(v, memo)
                         for k, v in module._modules.items()}
    twin.__dict__.update(state)
    return twin


def _eval(module, root=True):
    """``module.eval()``: the flag is written directly where ``eval`` and
    ``train`` are torch's own (``Module.__setattr__`` costs a Python call
    per module), else they run."""
    cls = type(module)
    if root and cls.eval is not nn.Module.eval:
        return module.eval()
    if cls.train is not nn.Module.train or \
            cls.__setattr__ is not nn.Module.__setattr__:
        return module.train(False)
    module.__dict__["training"] = False
    for child in module.children():
        _eval(child, False)
    return module


def _working_copy(module, meta):
    """A copy in eval mode to trace and run, so that the caller's module
    stays as it was (no running statistics, lazy parameters, flags or
    attributes change).  With ``meta`` its parameters and buffers are
    storage-less twins on the meta device in a copy of the module
    structure: copying costs no weights and running it costs no data; else
    it is a full deep copy."""
    memo = {}
    tensors = [t for _, m in module.named_modules(remove_duplicate=False)
               for t in list(m._parameters.values()) +
               list(m._buffers.values()) if t is not None]
    for tensor in tensors:
        if id(tensor) in memo:
            continue
        if isinstance(tensor, nn.parameter.UninitializedTensorMixin):
            # lazy modules' uninitialised tensors refuse deepcopy: give the
            # copy fresh ones (running it then initialises the copy only)
            memo[id(tensor)] = type(tensor)(
                requires_grad=tensor.requires_grad,
                device="meta" if meta else None)
        elif meta:
            memo[id(tensor)] = _meta_twin(tensor)
    try:
        if meta and not any(isinstance(t, nn.parameter.UninitializedTensorMixin)
                            for t in tensors):
            # (lazy modules' hooks are methods bound to the original: they
            # need the deep copy, which rebinds them)
            work = _structure_copy(module, memo)
        else:
            work = copy.deepcopy(module, memo)
    except Exception as error:   # a module that refuses to be copied
        raise UnsupportedLayerError(
            "cannot analyse {}: copying it failed ({}: {}); the analysis "
            "runs on a copy so that the module is never changed".format(
                printable(type(module).__name__), type(error).__name__,
                shown(str(error)))) from error
    work = _eval(work)
    if module_rule(work) is not None:
        # a lone conv, pool, ...: one record, not the functions inside it
        work = nn.Sequential(OrderedDict([(type(module).__name__, work)]))
    return work


def _zeros(shapes, dtype, meta):
    """The inputs to run: storage-less on the meta device, else real zeros
    within :data:`MAX_REAL_BYTES`."""
    if meta:
        return [torch.zeros(s, dtype=dtype, device="meta") for s in shapes]
    size = torch.tensor([], dtype=dtype).element_size() * sum(
        math.prod(s) for s in shapes)
    if size > MAX_REAL_BYTES:
        raise BadShapeError(
            "input_shape {} is too large to run on real zeros ({:.3g} GB; "
            "at most {:.3g} GB): this module does not run on the meta "
            "device, which needs no data; give a smaller input_shape".format(
                shown(shapes[0] if len(shapes) == 1 else shapes), size / 1e9,
                MAX_REAL_BYTES / 1e9))
    try:
        return [torch.zeros(s, dtype=dtype) for s in shapes]
    except (RuntimeError, MemoryError) as error:
        raise BadShapeError("input_shape {} cannot be allocated ({})".format(
            shown(shapes[0] if len(shapes) == 1 else shapes),
            type(error).__name__)) from error


def own_forward(module):
    """Whether a module with a rule runs a ``forward`` of its own, not the
    one of the class its rule was written for."""
    cls = type(module)
    for base in cls.__mro__:
        if base in MODULE_RULES:
            return base is not cls and getattr(cls, "forward", None) is not \
                getattr(base, "forward", None)
    return False


class _PadWatch(torch.overrides.TorchFunctionMode):
    """Collects the widths of the ``F.pad`` calls made while active."""

    def __init__(self):
        super().__init__()
        self.widths = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__name__", None) == "pad" and len(args) > 1:
            self.widths.append(tuple(int(w) for w in args[1]))
        elif getattr(func, "__name__", None) == "pad" and "pad" in kwargs:
            self.widths.append(tuple(int(w) for w in kwargs["pad"]))
        return func(*args, **kwargs)


# --- output shapes without meta kernels -----------------------------------
#
# Several meta kernels (convolution, adaptive pooling, broadcasting
# arithmetic, cat, linear) are Python code that costs 0.1-0.6 ms a call,
# most of the analysis of a mobile net.  For the plain calls below the
# output is an empty meta tensor of the shape torch computes; anything
# unusual (hooks, other devices or dtypes, padding modes, shapes torch
# would reject) returns None and the op runs, raising what it raises.

def _plain_meta(tensor):
    return type(tensor) is torch.Tensor and tensor.is_meta


def _plain_weight(tensor, dtype):
    return type(tensor) in (torch.Tensor, nn.Parameter) and \
        tensor.is_meta and tensor.dtype == dtype


def _contiguous(tensor):
    """Contiguous, and not also channels-last (as an ``N x C x 1 x 1`` map
    is), so that torch's output is contiguous too."""
    if not tensor.is_contiguous():
        return False
    rank = tensor.dim()
    return not (rank == 4 and tensor.is_contiguous(
        memory_format=torch.channels_last)) and not (
        rank == 5 and tensor.is_contiguous(
            memory_format=torch.channels_last_3d))


def _empty(shape, dtype):
    if min(shape, default=1) < 1:
        return None
    return torch.empty(shape, dtype=dtype, device="meta")


def _hookless(module):
    m = nn.modules.module
    return not (module._forward_hooks or module._forward_pre_hooks or
                module._backward_hooks or module._backward_pre_hooks or
                m._global_forward_hooks or m._global_forward_pre_hooks or
                m._global_backward_hooks or m._global_backward_pre_hooks)


def _conv_value(module, x):
    w, b = module.weight, module.bias
    rank = w.dim()
    if not (_plain_meta(x) and x.dim() == rank and _plain_weight(w, x.dtype)
            and module.padding_mode == "zeros" and
            x.shape[1] == w.shape[1] * module.groups and
            w.shape[0] % module.groups == 0 and
            (b is None or (_plain_weight(b, x.dtype) and
                           tuple(b.shape) == (w.shape[0],)))):
        return None
    shape = [x.shape[0], w.shape[0]]
    padding = module.padding
    for axis in range(rank - 2):
        n, k = x.shape[axis + 2], w.shape[axis + 2]
        if padding == "same":
            shape.append(n)
            continue
        p = 0 if padding == "valid" else padding[axis]
        d, s = module.dilation[axis], module.stride[axis]
        shape.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return _empty(shape, x.dtype)


def _adaptive_value(module, x):
    size = module.output_size
    n_axes = int(type(module).__name__[-2])
    size = (size,) * n_axes if isinstance(size, int) else tuple(size)
    if not (_plain_meta(x) and x.dim() == n_axes + 2 and _contiguous(x) and
            x.is_floating_point() and len(size) == n_axes):
        return None
    return _empty(tuple(x.shape[:2]) + tuple(
        n if o is None else o for n, o in zip(x.shape[2:], size)), x.dtype)


def _linear_value(module, x):
    w, b = module.weight, module.bias
    if not (_plain_meta(x) and x.dim() >= 1 and _contiguous(x) and
            _plain_weight(w, x.dtype) and w.dim() == 2 and
            x.shape[-1] == w.shape[1] and
            (b is None or (_plain_weight(b, x.dtype) and
                           tuple(b.shape) == (w.shape[0],)))):
        return None
    return _empty(tuple(x.shape[:-1]) + (w.shape[0],), x.dtype)


#: Module classes (exactly these: a subclass may have its own ``forward``)
#: whose output shape :class:`_Recorder` computes.
_MODULE_VALUES = {
    nn.Conv1d: _conv_value, nn.Conv2d: _conv_value, nn.Conv3d: _conv_value,
    nn.AdaptiveAvgPool1d: _adaptive_value,
    nn.AdaptiveAvgPool2d: _adaptive_value,
    nn.AdaptiveAvgPool3d: _adaptive_value, nn.Linear: _linear_value}


def _arithmetic_value(args, kwargs):
    """``a + b``, ``a * b`` ... of meta tensors of one floating dtype (or
    one with a Python number): the broadcast shape, when an operand has it."""
    if kwargs or len(args) != 2:
        return None
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if not all(_plain_weight(t, t.dtype) and t.is_contiguous() and
               t.is_floating_point() for t in tensors) or \
            len({t.dtype for t in tensors}) != 1 or not all(
                type(a) in (int, float) for a in args
                if not isinstance(a, torch.Tensor)):
        return None
    try:
        shape = torch.broadcast_shapes(*[t.shape for t in tensors])
    except RuntimeError:
        return None
    if not any(t.shape == shape and _contiguous(t) for t in tensors):
        return None
    return _empty(tuple(shape), tensors[0].dtype)


def _cat_value(args, kwargs):
    tensors = args[0] if args else kwargs.get("tensors")
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    if len(args) > 2 or set(kwargs) - {"tensors", "dim"} or \
            not isinstance(tensors, (list, tuple)) or not tensors or \
            type(dim) is not int:
        return None
    first = tensors[0]
    if not all(_plain_meta(t) and _contiguous(t) for t in tensors):
        return None
    rank = first.dim()
    if rank == 0 or not -rank <= dim < rank or any(
            t.dim() != rank or t.dtype != first.dtype for t in tensors):
        return None
    dim %= rank
    rest = [tuple(t.shape[:dim]) + tuple(t.shape[dim + 1:]) for t in tensors]
    if len(set(rest)) != 1:
        return None
    shape = list(first.shape)
    shape[dim] = sum(t.shape[dim] for t in tensors)
    return _empty(shape, first.dtype)


def _mean_value(args, kwargs):
    """``x.mean(dims, keepdim)`` of a floating meta tensor."""
    if len(args) < 2 or len(args) > 3 or set(kwargs) - {"keepdim"}:
        return None
    x, dims = args[0], args[1]
    keep = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    dims = (dims,) if type(dims) is int else dims
    if not (_plain_meta(x) and _contiguous(x) and x.is_floating_point() and
            type(keep) is bool and isinstance(dims, (list, tuple)) and dims and
            all(type(d) is int and -x.dim() <= d < x.dim() for d in dims)):
        return None
    if len({d % x.dim() for d in dims}) != len(dims):
        return None
    dims = {d % x.dim() for d in dims}
    return _empty([1 if d in dims else n for d, n in enumerate(x.shape)
                   if keep or d not in dims], x.dtype)


#: Functions and methods whose output shape :class:`_Recorder` computes.
_FUNCTION_VALUES = dict.fromkeys(
    _named("operator.add", "operator.mul", "operator.sub", "operator.truediv",
           "torch.add", "torch.mul", "torch.sub", "torch.div") +
    ["add", "mul", "sub", "div"], _arithmetic_value)
_FUNCTION_VALUES.update(dict.fromkeys(
    _named("torch.cat", "torch.concat", "torch.concatenate"), _cat_value))
_FUNCTION_VALUES.update(dict.fromkeys(
    _named("torch.mean") + ["mean"], _mean_value))


class _Recorder(torch.fx.Interpreter):
    """Runs the traced graph once; keeps each node's output shape.

    With ``meta``, modules and functions that act per position (and keep
    shape and dtype) are not run: their input stands for their output.
    Many meta kernels are Python decompositions (batch norm, hardtanh) and
    would cost more than the rest of the analysis."""

    def __init__(self, module, graph, meta=False):
        # on the meta device values cost no memory: keep them all rather
        # than work out when each can go
        super().__init__(module, graph=graph, garbage_collect_values=not meta)
        self.seen = {}
        self.meta = meta
        self.pads = {}

    def call_module(self, target, args, kwargs):
        module = self.submodules.get(target)
        if module is None:
            module = self.fetch_attr(target)
        # lazy modules must run: that creates their parameters
        if self.meta and len(args) == 1 and not kwargs and isinstance(
                args[0], torch.Tensor) and isinstance(
                module, SHAPE_KEEPING_MODULES) and not isinstance(
                module, nn.modules.lazy.LazyModuleMixin):
            return args[0]
        shape_of = _MODULE_VALUES.get(type(module)) if self.meta else None
        if shape_of is not None and len(args) == 1 and not kwargs and \
                _hookless(module):
            value = shape_of(module, args[0])
            if value is not None:
                return value
        if own_forward(module):
            # a subclass of a ruled class (timm's Conv2dSame) may pad in
            # its forward: note the pads it applies, for its record
            watch = _PadWatch()
            with watch:
                value = super().call_module(target, args, kwargs)
            self.pads[target] = watch.widths
            return value
        return super().call_module(target, args, kwargs)

    def call_function(self, target, args, kwargs):
        if self.meta and args and isinstance(args[0], torch.Tensor) and \
                _keeps_shape(target) and not any(
                    isinstance(a, torch.Tensor) for a in
                    _flat(list(args[1:]) + list(kwargs.values()))):
            return args[0]
        value = self._computed(target, args, kwargs)
        return super().call_function(target, args, kwargs) if value is None \
            else value

    def call_method(self, target, args, kwargs):
        value = self._computed(target, args, kwargs)
        return super().call_method(target, args, kwargs) if value is None \
            else value

    def _computed(self, target, args, kwargs):
        """The output of a call whose shape we know, else None."""
        if not self.meta:
            return None
        try:
            shape_of = _FUNCTION_VALUES.get(target)
        except TypeError:       # an unhashable target
            return None
        return shape_of(args, kwargs) if shape_of is not None else None

    def run_node(self, n):
        # fx's run_node also makes the node's meta current, which only a
        # trace made while running (none here) would read
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        value = getattr(self, n.op)(n.target, args, kwargs)
        self.seen[n] = _summary(value)
        return value


def _fx_records(work, graph, shapes, meta):
    """Records from the graph traced on ``work`` (interpreted directly: no
    GraphModule, whose code generation would cost more than the run)."""
    if meta:
        # constants fx kept from tracing (tensors built in forward) are
        # real tensors set on the root: their meta twins run with the meta
        # copy's parameters
        for node in graph.nodes:
            if node.op == "get_attr" and "." not in node.target:
                value = getattr(work, node.target, None)
                if isinstance(value, torch.Tensor) and not value.is_meta:
                    setattr(work, node.target, _meta_twin(value))
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    if len(shapes) > len(placeholders):
        raise BadShapeError("input_shape gives {} shapes, but the module "
                            "takes {} inputs".format(len(shapes),
                                                     len(placeholders)))
    args = _zeros(shapes, _dtype(work), meta)
    for node in placeholders[len(shapes):]:
        if not node.args:
            raise BadShapeError(
                "input_shape gives {} shapes, but the module takes {} "
                "inputs ({} has no default)".format(
                    len(shapes), len(placeholders), node.name))
        args.append(node.args[0])
    recorder = _Recorder(work, graph, meta)
    with torch.no_grad():
        _run(recorder.run, args, shapes)
    modules = recorder.submodules
    params = None
    records, position, taken, layouts = [], {}, {}, {}
    for node in graph.nodes:
        value = recorder.seen.get(node)
        out = _first_tensor(value)
        if node.op == "placeholder":
            if out is not None:
                position[node] = len(records)
                layouts[node] = standard_layout(len(out.shape))
                records.append(input_record(unique_name(
                    str(node.target), taken), out.shape, out.dtype))
            continue
        if node.op in ("get_attr", "output") or out is None:
            continue
        sources = [p for p in node.all_input_nodes if p in position]
        if not sources:       # a constant built inside forward
            continue
        parents = [position[p] for p in sources]
        call_args = torch.fx.node.map_arg(node.args, recorder.seen.get)
        call_kwargs = torch.fx.node.map_arg(node.kwargs, recorder.seen.get)
        # the first tensor that is a record's output (inputs come in the
        # order of the arguments), so that `param * x` is judged by x
        source = sources[0]
        first = _first_tensor(recorder.seen.get(source))
        name, path = node_name(node, work, taken)
        if node.op == "call_module":
            target = modules[node.target]
            owned = _trainable(_parameters(target))
        else:
            target = node.target
            attributes = [p.target for p in node.all_input_nodes
                          if p.op == "get_attr"]
            if attributes and params is None:
                params = dict(work.named_parameters(remove_duplicate=False))
            owned = _trainable(params[a] for a in attributes if a in params)
        call = Call(target, tuple(call_args), dict(call_kwargs),
                    first.shape if first is not None else (), out.shape,
                    layouts.get(source), out_dtype=out.dtype)
        call.pads = tuple(recorder.pads.get(node.target, ())) if \
            node.op == "call_module" else ()
        call.out_layout = layout_after(call)
        layouts[node] = call.out_layout
        position[node] = len(records)
        records.append(make_record(call, name, parents, records, owned,
                                   path))
    return records


def _run(function, args, shapes):
    try:
        return function(*args)
    except Exception as error:
        raise BadShapeError("running the module on zeros of shape {} failed "
                            "({}: {})".format(
                                shapes[0] if len(shapes) == 1 else shapes,
                                type(error).__name__, error)) from error


def _leaf_modules(work):
    """(name, module) of the modules hooks watch: those with a rule (not
    their children), and childless ones."""
    leaves, stack = [], [("", work)]
    while stack:
        name, module = stack.pop()
        children = list(module.named_children())
        if (module_rule(module) is not None or not children) and \
                module is not work:
            leaves.append((name, module))
            continue
        for child_name, child in reversed(children):
            stack.append(((name + "." if name else "") + child_name, child))
    return leaves


def _hook_records(work, shapes, meta):
    """Forward hooks on leaf modules, in call order.  A module's input is
    the record whose output tensor it receives, else the previous record
    (the chain assumption: functional calls in between are invisible)."""
    args = _zeros(shapes, _dtype(work), meta)
    records = [input_record(name, s, a.dtype) for name, s, a in
               zip(_input_names(work, len(shapes)), shapes, args)]
    produced = {id(a): i for i, a in enumerate(args)}
    keep = list(args)    # ids stay unique while the tensors live
    watches = []
    taken = {r.name: 0 for r in records}

    def watch(module, inputs):
        # as on the fx path: pads a ruled subclass applies in its forward
        watches.append(_PadWatch().__enter__() if own_forward(module)
                       else None)

    def hook(module, inputs, output, name):
        pads = watches.pop() if watches else None
        if pads is not None:
            pads.__exit__(None, None, None)
        summaries = _summary(tuple(inputs))
        out = _first_tensor(_summary(output))
        first = _first_tensor(summaries)
        if out is None:
            return
        parents = sorted({produced[id(t)] for t in _flat(list(inputs))
                          if isinstance(t, torch.Tensor) and
                          id(t) in produced})
        label = unique_name(name, taken)
        call = Call(module, summaries, {},
                    first.shape if first is not None else (), out.shape,
                    pads=tuple(pads.widths) if pads is not None else (),
                    out_dtype=out.dtype)
        if not parents and first is not None:
            unseen = _unseen_call(records, first.shape, label)
            if unseen is not None:
                records.append(unseen)
        record = make_record(call, label, parents or [len(records) - 1],
                             records, _trainable(module.parameters()),
                             module_path(work, name.rpartition(".")[0]))
        for t in _flat([output]):
            if isinstance(t, torch.Tensor):
                produced[id(t)] = len(records)
                keep.append(t)
        records.append(record)

    leaves = _leaf_modules(work)
    handles = [m.register_forward_pre_hook(watch) for _, m in leaves] + [
        m.register_forward_hook(
            lambda mod, i, o, name=name: hook(mod, i, o, name))
        for name, m in leaves]
    try:
        with torch.no_grad():
            _run(work, args, shapes)
    finally:
        for h in handles:
            h.remove()
        while watches:      # a forward that raised left its watch on
            pads = watches.pop()
            if pads is not None:
                pads.__exit__(None, None, None)
    return records


def _unseen_call(records, shape, label):
    """A record for what changed the map between the last of ``records``
    and a module that hooks saw receive a tensor of ``shape`` (an
    ``F.pad``, a crop, a resize in a parent's forward): unknown, so that
    the start, which it may move, is flagged; None when the spatial size
    did not change."""
    previous = records[-1]
    if len(shape) != len(previous.output_shape) or \
            tuple(shape[2:]) == tuple(previous.output_shape[2:]):
        return None
    return LayerRecord(
        name=None, label="(before {})".format(label),
        class_name="unseen call", op="unknown",
        inputs=(len(records) - 1,), output_shape=tuple(shape),
        note="a call forward hooks cannot see (F.pad, a crop, a resize) "
             "changes the map from {} to {}: the start is unknown".format(
                 "x".join(map(str, previous.output_shape[2:])),
                 "x".join(map(str, shape[2:]))))


def _input_names(module, n_inputs):
    """The names of ``forward``'s first arguments, as fx names inputs."""
    try:
        names = [p.name for p in inspect.signature(
            module.forward).parameters.values() if p.kind in (
                p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else "input_{}".format(i)
            for i in range(n_inputs)]


def _defaults(module, n_inputs):
    """The arguments of ``forward`` after the first ``n_inputs`` that have
    defaults: traced with those values fixed (``mask=None`` and the like
    often choose a branch)."""
    try:
        parameters = list(
            inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    fixed = {p.name: p.default for p in parameters[n_inputs:]
             if p.default is not p.empty and p.kind in (
                 p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return fixed or None


#: Where the fallback warning was shown, as ``warnings.warn`` keeps it per
#: module: the same module analysed twice warns once.
_WARNED = {}


def _warn_fallback(module, error):
    """The hooks fallback's warning, attributed to the analysed module's
    ``forward`` (its file and ``def`` line), not to whichever script, runpy
    frame or CLI wrapper called the analysis."""
    cls = type(module)
    code = getattr(getattr(cls, "forward", None), "__code__", None)
    filename, line = (code.co_filename, code.co_firstlineno) if code else (
        "<{}>".format(cls.__module__), 0)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
    warnings.warn_explicit(
        "torch.fx cannot trace {} ({}: {}); falling back to forward hooks "
        "on its leaf modules: functional calls (torch.cat, +, F.*) are "
        "invisible there, and modules are assumed to form a chain".format(
            printable(cls.__name__), type(error).__name__,
            clipped(printable(reason), 200)),
        UserWarning, filename, line, module=cls.__module__,
        registry=_WARNED)


def network_of(module, input_shape):
    """A torch module as a :class:`~nolearn_capacity.core.Network`.

    Parameters
    ----------
    module : torch.nn.Module
        Never changed: the analysis runs on a copy in eval mode (see the
        module's docstring).  Safe to call from several threads.
    input_shape : tuple of int, or list of tuples
        The input's shape, batch included, e.g. ``(1, 3, 224, 224)``; a list
        of shapes for a module with several inputs (in ``forward``'s order).

    Returns
    -------
    Network
        Records in topological order: one ``'Input'`` record per input,
        then one per module call, function call or method call on tensors.
        ``total_params`` counts each trainable parameter once.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2))
    >>> [r.op for r in network_of(net, (1, 1, 28, 28)).layers]
    ['input', 'window', 'pointwise', 'window']
    """
    shapes = _shapes(input_shape)
    with _LOCK:
        return _network(module, shapes)


def _network(module, shapes):
    """Trace once (on the meta copy), then learn the shapes on the meta
    device; modules that do not run there (data-dependent control flow,
    tensors built on the CPU inside ``forward``) run on a real deep copy."""
    warned = False
    for meta in (True, False):
        try:
            work = _working_copy(module, meta)
        except UnsupportedLayerError:
            if not meta:
                raise
            continue
        try:
            graph = _Tracer().trace(work, concrete_args=_defaults(
                work, len(shapes)))
        except Exception as error:
            if not warned:
                _warn_fallback(module, error)
                warned = True
            graph = None
        try:
            if graph is None:
                # a fresh copy: tracing may have run code on this one
                work = _working_copy(module, meta)
                records = _hook_records(work, shapes, meta)
            else:
                records = _fx_records(work, graph, shapes, meta)
            break
        except BadShapeError:
            if not meta:
                raise
    # after the run, so that lazy modules have their parameters
    trainable = [p for p in work.parameters() if p.requires_grad]
    return Network(tuple(records), sum(p.numel() for p in trainable),
                   sum(p.numel() * p.element_size() for p in trainable))
