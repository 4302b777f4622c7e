"""Convolutions and transposed convolutions."""
import torch.nn as nn

from ..calls import (conv_leading_pad, named, per_axis, spatial, transposed,
                     window)
from ..table import register_function_rule, register_module_rule


@register_module_rule(nn.Conv1d, nn.Conv2d, nn.Conv3d)
@register_function_rule(*named("F.conv1d", "F.conv2d", "F.conv3d"))
def conv(call, n_axes):
    # a module's weight is laid out as the function's: the kernel last
    kernel = spatial(call.arg(1, "weight").shape)
    dilation = per_axis(call.arg(5, "dilation", 1), n_axes, "dilation")
    pad = conv_leading_pad(call.arg(4, "padding", 0), kernel, dilation)
    record = window(n_axes, kernel, call.arg(3, "stride", 1), pad, dilation,
                    learns=True)
    # a module's padding_mode: what its padding reads (F.convNd pads zeros)
    mode = getattr(call.target, "padding_mode", "zeros")
    record["pad_mode"] = "constant" if mode == "zeros" else mode
    return record


@register_module_rule(nn.ConvTranspose1d, nn.ConvTranspose2d,
                      nn.ConvTranspose3d)
@register_function_rule(*named("F.conv_transpose1d", "F.conv_transpose2d",
                               "F.conv_transpose3d"))
def conv_transpose(call, n_axes):
    kernel = spatial(call.arg(1, "weight").shape)
    # output_padding adds units at the end: size only
    return transposed(n_axes, kernel, call.arg(3, "stride", 1),
                      call.arg(4, "padding", 0), call.arg(7, "dilation", 1),
                      learns=True)
