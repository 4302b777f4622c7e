"""Shape changes judged by shapes (view, reshape, flatten, permute ...)."""
import torch.nn as nn

from ..calls import named, spatial
from ..table import register_function_rule, register_module_rule
from ....records import product


def same_spatial(call, n_axes):
    """Judge a shape change by shapes: to (batch, features) is a flatten
    when it keeps every value (else a collapse), spatial axes untouched is
    per position, anything else is unknown."""
    if len(call.out_shape) <= 2 and n_axes > 0:
        return dict(op="flatten" if product(call.in_shape[1:]) == product(
            call.out_shape[1:]) else "collapse")
    if spatial(call.out_shape) == spatial(call.in_shape):
        return dict(op="pointwise")
    return dict(op="unknown", note="reshapes {} to {}".format(
        call.in_shape, call.out_shape))


register_function_rule(*named(
    "torch.flatten", "torch.reshape", "torch.squeeze", "torch.unsqueeze",
    "torch.permute", "torch.transpose", "torch.split", "torch.chunk",
    "torch.narrow"),
    "view", "reshape", "flatten", "squeeze", "unsqueeze", "permute",
    "transpose", "split", "chunk", "narrow", "expand", "expand_as",
    "repeat", "view_as", "reshape_as", "unflatten")(same_spatial)


register_module_rule(nn.Flatten, nn.Unflatten)(same_spatial)


register_function_rule(*named("torch.movedim", "torch.swapaxes",
                               "torch.swapdims"),
                       "movedim", "swapaxes", "swapdims")(same_spatial)
