"""Merges: arithmetic between maps, concatenation."""

from ..calls import named
from ..table import register_function_rule
from .shape import same_spatial


def elementwise(call, n_axes):
    """Arithmetic: several maps merge; one map with scalars acts per
    position (as does a map with constants: see :func:`make_record`)."""
    tensors = [t for t in call.tensors if len(t.shape) > 2]
    if len(tensors) > 1:
        return dict(op="merge")
    return same_spatial(call, n_axes)


register_function_rule(*named(
    "torch.add", "torch.sub",
    "torch.mul", "torch.div", "torch.maximum", "torch.minimum", "torch.max",
    "torch.min", "torch.where", "torch.pow", "torch.addcmul"),
    "add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "maximum",
    "minimum", "pow", "__add__", "__mul__", "__sub__", "__truediv__",
    "__radd__", "__rmul__", "__rsub__", "__rtruediv__", "__rdiv__",
    "__floordiv__", "__rfloordiv__", "__rpow__")(elementwise)


@register_function_rule(*named("torch.cat", "torch.concat",
                                "torch.concatenate"), "cat")
def concatenate(call, n_axes):
    dim = call.arg(1, "dim", 0)
    if dim % max(len(call.out_shape), 1) == 1:     # along channels
        return dict(op="merge")
    return dict(op="unknown", note="concatenation along axis {}".format(dim))
