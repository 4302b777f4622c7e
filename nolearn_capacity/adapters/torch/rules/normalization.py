"""Normalisations: per position, unless their statistics span the map.

Registered after :mod:`.pointwise`, whose lists name the same classes as
acting per position (the meta walk's shape shortcut relies on those
lists), so these rules replace its rule for them.
"""
import torch.nn as nn

from ..calls import named, standard_layout
from ..table import register_function_rule, register_module_rule

_NORMS = (nn.LayerNorm,) + tuple(getattr(nn, n) for n in ("RMSNorm",)
                                 if hasattr(nn, n))
# looked up once: rules run for every call of a norm
_NORM_FUNCTIONS = named("F.layer_norm", "F.rms_norm")
_GROUP_NORM = named("F.group_norm")
_INSTANCE_NORM = named("F.instance_norm")
_BATCH_NORM = named("F.batch_norm")


def _statistics_dims(call):
    """The dimensions (besides batch) a normalisation takes statistics of
    this input over; none when it uses stored statistics."""
    target, rank = call.target, len(call.in_shape)
    if isinstance(target, _NORMS) or target in _NORM_FUNCTIONS:
        shape = call.arg(1, "normalized_shape")
        shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        if isinstance(target, nn.Module) and type(target).forward not in [
                n.forward for n in _NORMS] and shape == tuple(
                call.in_shape[1:2]):
            return {1}      # a LayerNorm2d: over the channels of (N, C, ...)
        return set(range(rank - len(shape), rank))
    if isinstance(target, nn.GroupNorm) or target in _GROUP_NORM:
        return set(range(1, rank))
    if isinstance(target, nn.modules.instancenorm._InstanceNorm):
        own = target.training or not target.track_running_stats
    elif isinstance(target, nn.modules.batchnorm._BatchNorm):
        own = target.training or target.running_mean is None
    elif target in _INSTANCE_NORM:
        own = call.arg(5, "use_input_stats", True)
    elif target in _BATCH_NORM:
        own = call.arg(5, "training", False) or call.arg(
            1, "running_mean") is None
    else:
        return set()
    return set(range(2, rank)) if own else set()


def normalisation(call, n_axes):
    """A norm is per position (its affine part is per channel), but one
    that takes statistics over the spatial axes makes each unit depend on
    the whole map: ``'normalise'``; over some of them only, ``'unknown'``."""
    layout = call.in_layout if call.in_layout is not None and len(
        call.in_layout) == len(call.in_shape) else standard_layout(
        len(call.in_shape))
    spatial = {d for d, a in enumerate(layout) if a is not None}
    over = _statistics_dims(call) & spatial
    if not over:
        return dict(op="pointwise")
    if over == spatial:
        return dict(op="normalise")
    return dict(op="unknown", note="statistics over spatial dimensions {} "
                "of {}".format(tuple(sorted(over)), tuple(sorted(spatial))))


register_module_rule(
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm,
    nn.LazyBatchNorm1d, nn.LazyBatchNorm2d, nn.LazyBatchNorm3d,
    nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d, nn.GroupNorm,
    *_NORMS)(normalisation)
register_function_rule(*named("F.batch_norm", "F.instance_norm",
                              "F.group_norm", "F.layer_norm",
                              "F.rms_norm"))(normalisation)
