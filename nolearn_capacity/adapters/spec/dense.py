"""Builders for Lasagne's ``dense`` module: ``DenseLayer`` and
``NINLayer``."""
from .arguments import as_int, bias_count, drop, need, prod, require_fixed
from .base import builder


@builder("DenseLayer")
def _dense(cls, kw, shapes):
    (shape,) = shapes
    units = as_int(need(kw, "num_units"), "num_units", 1)
    leading = as_int(kw.pop("num_leading_axes", 1), "num_leading_axes")
    if not -len(shape) <= leading < len(shape):
        raise ValueError("num_leading_axes={} leaves no axes for the dot "
                         "product with a {}-dimensional input".format(
                             leading, len(shape)))
    drop(kw, "W", "nonlinearity")
    inputs = shape[leading:]
    require_fixed(inputs, "DenseLayer's input (after num_leading_axes)")
    out = tuple(shape[:leading]) + (units,)
    return ({"num_units": units, "num_leading_axes": leading}, out,
            prod(inputs) * units + bias_count(kw, units, (), False))

@builder("NINLayer")
def _nin(cls, kw, shapes):
    (shape,) = shapes
    units = as_int(need(kw, "num_units"), "num_units", 1)
    untie = bool(kw.pop("untie_biases", False))
    drop(kw, "W", "nonlinearity")
    require_fixed(shape[1:2], "the number of input channels")
    out = (shape[0], units) + tuple(shape[2:])
    return ({"num_units": units, "untie_biases": untie}, out,
            shape[1] * units + bias_count(kw, units, shape[2:], untie))
