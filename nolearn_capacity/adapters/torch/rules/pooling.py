"""Pooling: max, average, power-average, adaptive."""
import torch.nn as nn

from ..calls import named, spatial, transposed, window
from ..table import register_function_rule, register_module_rule


def _stride_or_kernel(stride, kernel):
    # torch's default stride is the kernel (None, or [] for the builtins)
    return kernel if stride is None or stride == [] or stride == () \
        else stride


@register_module_rule(nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
@register_function_rule(*named("F.max_pool1d", "F.max_pool2d",
                               "F.max_pool3d", "F.max_pool1d_with_indices",
                               "F.max_pool2d_with_indices",
                               "F.max_pool3d_with_indices"))
def max_pool(call, n_axes):
    kernel = call.arg(1, "kernel_size")
    # ceil_mode only adds a partial window at the end: size only
    return window(n_axes, kernel,
                  _stride_or_kernel(call.arg(2, "stride"), kernel),
                  call.arg(3, "padding", 0), call.arg(4, "dilation", 1))


@register_module_rule(nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
@register_function_rule(*named("F.avg_pool1d", "F.avg_pool2d",
                               "F.avg_pool3d"))
def avg_pool(call, n_axes):
    kernel = call.arg(1, "kernel_size")
    return window(n_axes, kernel,
                  _stride_or_kernel(call.arg(2, "stride"), kernel),
                  call.arg(3, "padding", 0))


@register_module_rule(nn.LPPool1d, nn.LPPool2d, nn.LPPool3d)
@register_function_rule(*named("F.lp_pool1d", "F.lp_pool2d", "F.lp_pool3d"))
def lp_pool(call, n_axes):
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
    lengths = list(zip(spatial(call.in_shape), spatial(call.out_shape)))
    if all(o == 1 for _, o in lengths):
        return dict(op="collapse")
    if all(n % o == 0 for n, o in lengths):
        return window(n_axes, tuple(n // o for n, o in lengths),
                      tuple(n // o for n, o in lengths))
    if all(o % n == 0 for n, o in lengths):
        factor = tuple(o // n for n, o in lengths)
        return transposed(n_axes, factor, factor)
    return dict(op="unknown", note="adaptive pooling {} -> {}: windows of "
                "varying size".format(spatial(call.in_shape),
                                      spatial(call.out_shape)))


register_module_rule(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
                     nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
                     nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)(adaptive_pool)


register_function_rule(*named(
    "F.adaptive_avg_pool1d", "F.adaptive_avg_pool2d", "F.adaptive_avg_pool3d",
    "F.adaptive_max_pool1d", "F.adaptive_max_pool2d", "F.adaptive_max_pool3d",
    "F.adaptive_max_pool1d_with_indices", "F.adaptive_max_pool2d_with_indices",
    "F.adaptive_max_pool3d_with_indices"))(adaptive_pool)
