"""Builders for Lasagne's ``special`` module: nonlinearities, per-position
parameters (bias, scale, parametric and randomized rectifiers), expressions,
spatial transformers and inverse layers."""
from ...errors import shown
from .arguments import as_int, as_ints, check_rank, need, off, param_size, \
    shared_axes
from .base import builder


@builder("NonlinearityLayer")
def _nonlinearity(cls, kw, shapes):
    (shape,) = shapes
    return {"nonlinearity": kw.pop("nonlinearity", None)}, shape, 0


#: per-position classes with a parameter shared over some axes:
#: class -> (parameter argument or None, whether shared_axes may be 'all')
SHARED_PARAM_CLASSES = {
    "BiasLayer": ("b", False), "ScaleLayer": ("scales", False),
    "ParametricRectifierLayer": ("alpha", True),
    "RandomizedRectifierLayer": (None, True),
}


@builder(*SHARED_PARAM_CLASSES)
def _shared_param(cls, kw, shapes):
    (shape,) = shapes
    param, allow_all = SHARED_PARAM_CLASSES[cls]
    shared = shared_axes(kw.pop("shared_axes", "auto"), len(shape),
                         "shared_axes", allow_all)
    attrs = {"shared_axes": shared}
    n_params = 0
    if param is not None:
        if not off(kw, param):
            n_params = param_size(shape, shared, cls)
        elif cls != "BiasLayer":
            raise ValueError("{}=None is not allowed".format(param))
    if cls == "RandomizedRectifierLayer":
        attrs["lower"], attrs["upper"] = kw.pop("lower", 0.3), \
            kw.pop("upper", 0.8)
        if attrs["lower"] > attrs["upper"]:
            raise ValueError("lower {} is above upper {}".format(
                attrs["lower"], attrs["upper"]))
    return attrs, shape, n_params


@builder("ExpressionLayer")
def _expression(cls, kw, shapes):
    (shape,) = shapes
    function = need(kw, "function")
    out = kw.pop("output_shape", None)
    if out is None:
        out = shape
    elif isinstance(out, str):
        raise ValueError("output_shape={} needs Theano to run the function;"
                         " give the output shape as a tuple or a callable"
                         .format(shown(out)))
    elif callable(out):
        out = out(shape)
    out = tuple(None if size is None else as_int(size, "output_shape", 1)
                for size in out)
    return {"function": function}, out, 0

@builder("TransformerLayer", "TPSTransformerLayer")
def _transformer(cls, kw, shapes):
    need(kw, "localization_network")    # its output is the second input
    shape, localisation = shapes
    check_rank(shape, 2)
    factor = as_ints(kw.pop("downsample_factor", 1), 2, "downsample_factor", 1)
    attrs = {"downsample_factor": factor,
             "border_mode": kw.pop("border_mode", "nearest")}
    # an affine map has 6 numbers; a thin-plate spline 2 per control point
    wanted = 6
    if cls == "TPSTransformerLayer":
        points = attrs["control_points"] = as_int(
            kw.pop("control_points", 16), "control_points", 1)
        if int(points ** 0.5) ** 2 != points:
            raise ValueError("control_points should be a square number, "
                             "got {}".format(points))
        wanted = 2 * points
        attrs["precompute_grid"] = kw.pop("precompute_grid", "auto")
    if len(localisation) != 2 or localisation[-1] != wanted:
        raise ValueError("the localization network's output should be "
                         "(batch, {}), got {}".format(wanted,
                                                      shown(localisation)))
    out = tuple(None if length is None else length // f
                for length, f in zip(shape[2:], factor))
    return attrs, tuple(shape[:2]) + out, 0


@builder("InverseLayer")
def _inverse(cls, kw, shapes):
    # the gradient of ``layer`` with respect to its input: its input's shape
    need(kw, "layer")
    return {}, shapes[2], 0    # inputs: incoming, layer, layer's input
