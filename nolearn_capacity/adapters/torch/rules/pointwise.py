"""Ops that act per position: activations, normalisations, dropout;
the lists of nonlinearities and of rows a reader can skip."""
import torch.nn as nn
import torch.nn.functional as F

from ..calls import named, spatial
from ..table import (FUNCTION_RULES, fixed_op, function_rule,
                     module_rule_of_class, register_function_rule,
                     register_module_rule)


def softmax(call, n_axes):
    """Softmax-like: per position over channels, else across an axis."""
    dim = call.arg(1, "dim")
    rank = len(call.in_shape)
    if dim is None or rank <= 2 or dim % rank in (0, 1):
        return dict(op="pointwise")
    return dict(op="unknown", note="softmax along spatial axis {}".format(dim))


register_module_rule(nn.Softmax, nn.LogSoftmax, nn.Softmin)(softmax)


register_function_rule(*named("F.softmax", "F.log_softmax", "F.softmin",
                               "torch.softmax", "torch.log_softmax"),
                       "softmax", "log_softmax")(softmax)


@register_module_rule(nn.GLU)
def glu(call, n_axes):
    return softmax(call, n_axes) if spatial(call.out_shape) == spatial(
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


ACTIVATION_FUNCTIONS = tuple(named(
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
    named("F.dropout", "F.dropout1d", "F.dropout2d", "F.dropout3d",
           "F.alpha_dropout", "F.feature_alpha_dropout", "F.batch_norm",
           "F.instance_norm", "F.group_norm", "F.layer_norm",
           "F.local_response_norm", "F.normalize", "torch.exp", "torch.log",
           "torch.abs", "torch.neg", "torch.sqrt", "torch.rsqrt",
           "torch.clamp", "torch.clip", "torch.square")) + (
    "exp", "log", "abs", "neg", "sqrt", "rsqrt", "square", "clamp",
    "clamp_", "clip", "contiguous", "clone", "detach", "float", "double",
    "half", "to", "type", "type_as", "__neg__", "positive", "sign")


register_module_rule(*POINTWISE_MODULES)(fixed_op("pointwise"))


#: Rows a reader can skip (tables fold them into the row before):
#: nonlinearities, dropout, identity and flatten.
MINOR_MODULES = ACTIVATION_MODULES + (
    nn.Identity, nn.Flatten, nn.modules.dropout._DropoutNd)


MINOR_FUNCTIONS = ACTIVATION_FUNCTIONS + tuple(named(
    "F.dropout", "F.dropout1d", "F.dropout2d", "F.dropout3d",
    "F.alpha_dropout", "F.feature_alpha_dropout", "torch.flatten")) + (
    "flatten", "contiguous")


def _listed(modules, functions):
    """A test of whether a target is an instance of ``modules`` or one of
    ``functions``; asked of every call, so each class's answer is kept."""
    functions = frozenset(functions)
    by_class = {}

    def listed(target):
        if isinstance(target, nn.Module):
            cls = type(target)
            found = by_class.get(cls)
            if found is None:
                found = by_class[cls] = issubclass(cls, modules)
            return found
        try:
            return target in functions
        except TypeError:       # an unhashable target
            return False
    return listed


#: Whether a row for a target is one a reader can skip.
is_minor = _listed(MINOR_MODULES, MINOR_FUNCTIONS)


#: Per-position modules whose output has their input's shape and dtype
#: (the walk (:mod:`.walk`) need not run them on the meta device).
SHAPE_KEEPING_MODULES = POINTWISE_MODULES


def keeps_shape(target):
    try:
        return target in ACTIVATION_FUNCTIONS and function_rule(target) is \
            FUNCTION_RULES[F.relu]
    except (TypeError, KeyError):
        return False


register_function_rule(*POINTWISE_FUNCTIONS)(fixed_op("pointwise"))


#: Whether a target is a nonlinearity (see :data:`ACTIVATION_MODULES`).
is_activation = _listed(ACTIVATION_MODULES, ACTIVATION_FUNCTIONS)
