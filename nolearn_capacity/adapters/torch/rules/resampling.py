"""Resampling: upsampling / interpolation and pixel (un)shuffle."""
import torch.nn as nn

from ..calls import named, spatial, transposed, window
from .pooling import adaptive_pool
from ..table import register_function_rule, register_module_rule


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
    lengths = list(zip(spatial(call.in_shape), spatial(call.out_shape)))
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
                    "factor".format(mode, spatial(call.in_shape),
                                    spatial(call.out_shape)))
    ops = {a[0] for a in axes if a[1:] != (1, 1, 0)} or {"window"}
    if len(ops) > 1:
        return dict(op="unknown", note="upsamples one axis and downsamples "
                    "another")
    build = window if ops == {"window"} else transposed
    return build(n_axes, tuple(a[1] for a in axes), tuple(a[2] for a in axes),
                 tuple(a[3] for a in axes))


# (UpsamplingNearest2d and UpsamplingBilinear2d set their mode and
# align_corners on this class's attributes)
@register_module_rule(nn.Upsample)
@register_function_rule(*named("F.interpolate", "F.upsample"))
def interpolate(call, n_axes):
    return resample(call, n_axes, call.arg(2, "scale_factor"),
                    call.arg(3, "mode", "nearest"),
                    call.arg(4, "align_corners"),
                    antialias=call.arg(6, "antialias", False),
                    recompute=call.arg(5, "recompute_scale_factor"))


# Each output unit of a shuffle reads one input position: channels <-> space.
# Written with view / permute / view instead of the module, the same
# regrouping is found by the layout tracking (``layout.by_layout``), which
# builds its record here too.

def space_to_depth(n_axes, factor):
    """Blocks of ``factor`` units (per axis) folded into the channels: each
    output unit reads one block, and the next block is ``factor`` on."""
    return window(n_axes, factor, factor)


def depth_to_space(n_axes, factor):
    """Channels unfolded into blocks of ``factor`` units (per axis): output
    ``o`` reads input ``o // factor``."""
    return transposed(n_axes, factor, factor)


@register_module_rule(nn.PixelShuffle)
@register_function_rule(*named("F.pixel_shuffle"))
def pixel_shuffle(call, n_axes):
    return depth_to_space(n_axes, call.arg(1, "upscale_factor"))


@register_module_rule(nn.PixelUnshuffle)
@register_function_rule(*named("F.pixel_unshuffle"))
def pixel_unshuffle(call, n_axes):
    return space_to_depth(n_axes, call.arg(1, "downscale_factor"))
