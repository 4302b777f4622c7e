"""From calls to :class:`~nolearn_capacity.records.LayerRecord`: rule
dispatch, legacy roles, costs and row names."""
import inspect

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...errors import UnsupportedLayerError, describe_layer
from ...records import LayerRecord, mult_adds, output_bytes, product
from .calls import function_name, leading_pads, per_axis
from .layout import by_layout
from .rules import is_activation, is_minor, same_spatial
from .table import function_rule, module_rule


def _legacy(module):
    """nolearn's roles: Conv2d counts as its conv, MaxPool2d as its pool."""
    if isinstance(module, nn.Conv2d):
        return "conv", per_axis(module.kernel_size, 2)
    if isinstance(module, nn.MaxPool2d):
        return "maxpool", per_axis(module.kernel_size, 2)
    return None, None


def owned_parameters(module):
    """``list(module.parameters())``, without the generators torch stacks
    for each level of the module tree when the module has no children (as
    almost every called module)."""
    if module._modules or type(module).parameters is not \
            nn.Module.parameters:
        return list(module.parameters())
    return list({id(p): p for p in module._parameters.values()
                 if p is not None}.values())


def make_record(call, name, inputs, records, owned=(), module_path=()):
    """One call as a :class:`LayerRecord`, to follow ``records`` (the
    records before it, which ``inputs`` index); ``owned`` the parameters
    it owns, each once (a module's: :func:`owned_parameters`; those a
    function is given); ``module_path`` the modules that hold the call
    (see :class:`LayerRecord`)."""
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
                fields = same_spatial(call, n_axes)
            fields = by_layout(call, fields)
            if call.pads and fields.get("op") == "window":
                # padding done in forward before the window: it leads
                fields["pad"] = tuple(p + sum(extra) for p, extra in zip(
                    fields["pad"], zip(*[leading_pads(w, n_axes)
                                         for w in call.pads])))
        except (AttributeError, TypeError, ValueError, IndexError) as error:
            raise UnsupportedLayerError("{}: {}".format(
                describe_layer(name, index, class_name), error)) from error
    n_params = sum(p.numel() for p in owned if p.requires_grad)
    return LayerRecord(name=name, label=name, class_name=class_name,
                       inputs=tuple(inputs),
                       output_shape=tuple(call.out_shape),
                       n_params=n_params, legacy_role=role, legacy_size=size,
                       module_path=tuple(module_path),
                       minor=is_minor(call.target),
                       **_costs(call, fields, owned, n_params), **fields)


def module_path(root, qualname):
    """``(name, class_name)`` of the modules along ``qualname`` (``'a.b'``:
    ``a`` and ``a.b``) below ``root``."""
    path, module = [], root
    for part in qualname.split(".") if qualname else ():
        module = module._modules.get(part) if module is not None else None
        path.append((part, type(module).__name__ if module is not None
                     else "?"))
    return tuple(path)


def forward_parameters(module):
    """The parameters of ``module.forward``'s signature, or None where it
    has none that can be read."""
    try:
        return list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        return None


def input_names(module, n_inputs):
    """The names of ``forward``'s first ``n_inputs`` arguments, for the
    input rows."""
    names = [p.name for p in forward_parameters(module) or () if p.kind in (
        p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[i] if i < len(names) else "input_{}".format(i)
            for i in range(n_inputs)]


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


def _costs(call, fields, owned, n_params):
    """The record's cost fields, counted as torchinfo counts them: a
    module's parameters (trainable or not) once per output position of a
    convolution, per time step of a recurrence, per position of a linear
    layer; bytes in the parameters' and the output's own dtypes."""
    itemsize = (call.out_dtype or torch.get_default_dtype()).itemsize
    if isinstance(call.target, nn.Module):
        weights = sum(p.numel() for p in owned)
        param_bytes = sum(p.numel() * p.element_size() for p in owned
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
            once = sum(p.numel() for p in owned if p.dim() > 1 and
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
