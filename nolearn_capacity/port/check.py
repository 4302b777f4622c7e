"""``--check``: the original in Theano and the port in torch, same batch.

The original is built with the legacy stack (:func:`compat.enable`): a
live net as it is, a NeuralNet not yet initialised or a spec through
nolearn's ``initialize_layers`` (spec class names resolved in Lasagne and
its GPU modules).  Both get the same parameters: the weight file's, or
else the original's own values with constant ones (zero biases) perturbed,
so that every conversion rule is exercised.  Each output of Theano's
deterministic forward is compared with the port's.

Tolerance (float32): every element within ``ATOL + RTOL * |theano|``.
"""
import numpy as np

from ..errors import BadSpecError, shown

#: |port - theano| <= ATOL + RTOL * |theano|, element by element.
ATOL = 1e-4
RTOL = 1e-3
BATCH = 2


def legacy_net(obj, steps):
    """The real Lasagne layers of ``obj``, one per step, built if need be
    (``obj`` itself is not changed)."""
    from .. import compat
    compat.enable()
    layer = steps[0].view.layer
    if hasattr(layer, "get_output_for"):
        return [s.view.layer for s in steps]
    from nolearn.lasagne import NeuralNet
    specs, keywords = _specs_of(obj)
    net = NeuralNet(layers=[_resolved(item) for item in specs], **keywords)
    net.initialize_layers()
    try:
        return [net.layers_[s.view.name] for s in steps]
    except KeyError as error:
        raise BadSpecError("nolearn built no layer named {}".format(
            shown(error.args[0]))) from None


def _specs_of(obj):
    if hasattr(obj, "keywords") and hasattr(obj, "layers"):
        return obj.layers, dict(obj.keywords)
    if hasattr(obj, "initialize_layers"):
        return obj.layers, {k: getattr(obj, k) for k in
                            getattr(obj, "_kwarg_keys", ())}
    return obj, {}


def lasagne_class(name):
    """A Lasagne class by name, also from the cuDNN / cuda-convnet /
    corrmm modules (compat's CPU stand-ins here)."""
    import importlib
    for module in ("lasagne.layers", "lasagne.layers.dnn",
                   "lasagne.layers.cuda_convnet", "lasagne.layers.corrmm"):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except Exception:    # a GPU module without its stand-in
            found = None
        if isinstance(found, type):
            return found
    raise BadSpecError("Lasagne has no layer class {}".format(shown(name)))


def _resolved(item):
    """A spec item with class names and nonlinearity names replaced by
    Lasagne's objects, as nolearn expects them."""
    import lasagne.nonlinearities as nonlinearities
    first, second = item
    if isinstance(second, dict):
        kw = dict(second)
        if "nonlinearity" in kw and isinstance(kw["nonlinearity"], str):
            kw["nonlinearity"] = getattr(nonlinearities, kw[
                "nonlinearity"].rsplit(".", 1)[-1])
        return (lasagne_class(first) if isinstance(first, str) else first,
                kw)
    return (first, lasagne_class(second) if isinstance(second, str)
            else second)


def perturbed_values(layers, seed=0):
    """Each layer's parameter values; a constant array (zero biases,
    unit scales) gets small random offsets so no rule goes untested."""
    rng = np.random.RandomState(seed)
    result = []
    for layer in layers:
        values = []
        for p in layer.get_params():
            value = p.get_value()
            if value.size and np.all(value == value.flat[0]):
                value = value + rng.uniform(-0.1, 0.1, value.shape).astype(
                    value.dtype)
            values.append(value)
        result.append(values)
    return result


def theano_outputs(layers, steps, values, inputs):
    import lasagne
    import theano
    params = [p for layer in layers for p in layer.get_params()]
    # the net is the user's: its values are put back afterwards
    kept = [p.get_value() for p in params]
    try:
        for p, v in zip(params, [v for arrays in values for v in arrays]):
            p.set_value(v)
        used = {i for s in steps for i in s.inputs}
        outs = [layers[i] for i in range(len(steps)) if i not in used]
        ins = [layers[i] for i, s in enumerate(steps) if not s.inputs]
        expressions = lasagne.layers.get_output(outs, deterministic=True)
        f = theano.function([layer.input_var for layer in ins], expressions,
                            on_unused_input="ignore")
        return ([np.asarray(o) for o in f(*inputs)],
                [layer.name for layer in outs])
    finally:
        for p, v in zip(params, kept):
            p.set_value(v)


def torch_outputs(port, inputs):
    import torch
    net = port.module()
    with torch.no_grad():
        result = net(*[torch.from_numpy(x) for x in inputs])
    if not isinstance(result, tuple):
        result = (result,)
    return [r.numpy() for r in result]


def difference(theano_out, torch_out):
    """(max absolute difference, max relative difference, within
    tolerance)."""
    if theano_out.shape != torch_out.shape:
        return float("inf"), float("inf"), False
    theano_out = theano_out.astype(np.float64)
    diff = np.abs(theano_out - torch_out.astype(np.float64))
    scale = np.abs(theano_out)
    ok = bool(np.all(diff <= ATOL + RTOL * scale))
    relative = diff / np.maximum(scale, ATOL)
    return (float(diff.max(initial=0.0)), float(relative.max(initial=0.0)),
            ok)


def run_check(obj, port, weights_given, seed=0):
    """Run both; return (text, passed)."""
    from . import weights as weight_files
    steps = port.steps
    layers = legacy_net(obj, steps)
    if weights_given:
        values = port.raw
    else:
        values = perturbed_values(layers, seed)
        port.params = weight_files.convert(steps, values)
        port.raw = values
    rng = np.random.RandomState(seed)
    inputs = []
    for step in steps:
        if not step.inputs:
            shape = (BATCH,) + tuple(step.view.out_shape[1:])
            if None in shape:
                raise BadSpecError("{}: --check needs a fixed input shape, "
                                   "got {}".format(step.view.where(),
                                                   step.view.out_shape))
            inputs.append(rng.uniform(-1, 1, shape).astype(np.float32))
    expected, names = theano_outputs(layers, steps, values, inputs)
    got = torch_outputs(port, inputs)
    lines = ["## Check: Theano (deterministic) vs the torch port, batch of "
             "{}".format(BATCH), "",
             "tolerance: |torch - theano| <= {} + {} * |theano| per "
             "element".format(ATOL, RTOL), ""]
    passed = True
    for name, a, b in zip(names, expected, got):
        abs_diff, rel_diff, ok = difference(a, b)
        passed = passed and ok
        lines.append("{}: shape {}, max abs diff {:.3g}, max rel diff "
                     "{:.3g}: {}".format(name, tuple(a.shape), abs_diff,
                                         rel_diff, "ok" if ok else "FAILED"))
    return "\n".join(lines) + "\n", passed


#: The port's own modules that act on each position alone (they mix
#: channels only): the torch adapter should not trace into them.
PER_POSITION_HELPERS = ("FeaturePool", "FeatureWTA", "LocalResponseNorm")


def run_compare(obj, port):
    """Geometry and parameter counts of the original vs the port."""
    from ..compare import compare
    net = describe_helpers(port.module())
    shapes = port.input_shapes
    return compare(obj, net, "exact", None,
                   shapes[0] if len(shapes) == 1 else shapes)


def describe_helpers(net):
    """Tell the torch adapter that the port's channel-only modules act on
    each position alone; return ``net``."""
    from ..adapters.torch import register_module_rule
    for module in net.modules():
        kind = type(module)
        if kind.__name__ in PER_POSITION_HELPERS and \
                getattr(module, "axis", 1) == 1:
            register_module_rule(kind)(_per_position)
    return net


def _per_position(call, n_axes):
    return dict(op="pointwise")
