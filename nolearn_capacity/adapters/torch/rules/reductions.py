"""Reductions over dimensions and linear layers."""
import torch.nn as nn

from ..calls import named
from ..table import register_function_rule, register_module_rule
from .shape import same_spatial


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
    return same_spatial(call, n_axes)


register_function_rule(*named("torch.mean", "torch.sum", "torch.amax",
                               "torch.amin", "torch.logsumexp"),
                       "mean", "sum", "amax", "amin", "logsumexp")(reduction)


@register_module_rule(nn.Linear, nn.Bilinear, nn.LazyLinear)
def dense(call, n_axes):
    # Linear on a (batch, ..., features) map acts on the last axis only
    if len(call.out_shape) <= 2:
        return dict(op="collapse", learns=True)
    return dict(op="unknown", note="Linear on the last spatial axis")


register_function_rule(*named("F.linear"))(dense)
