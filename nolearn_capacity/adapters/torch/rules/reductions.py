"""Reductions over dimensions and linear layers."""
import torch.nn as nn

from ..calls import named
from ..table import (FUNCTION_RULES, register_function_rule,
                     register_module_rule)
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
    layout = call.in_layout
    if layout is not None and len(layout) == rank and all(
            layout[d] is None for d in dims):
        # over channels or groups of a regrouped map: per position
        return dict(op="pointwise")
    return same_spatial(call, n_axes)


def reduced_dims(call):
    """The dims a reduction drops from its input (none with keepdim)."""
    if FUNCTION_RULES.get(call.target) is not reduction or call.arg(
            2, "keepdim", False):
        return set()
    dims = call.arg(1, "dim")
    rank = len(call.in_shape)
    return set(range(rank)) if dims is None else {
        d % rank for d in (dims if isinstance(dims, (tuple, list))
                           else (dims,))}


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
