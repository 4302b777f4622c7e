"""Reading a builder's keyword arguments: required, dropped and switched-off
arguments, ints and per-axis ints, and the parameter counts several layer
families share.  A builder raises ValueError with what it got and what it
expected; :func:`~.graph.build` names the layer."""
import numbers
from functools import reduce
from operator import mul

from ... import geometry
from ...errors import shown


class Missing(Exception):
    """A required argument is absent (its name is ``args[0]``)."""


def need(kw, name):
    try:
        return kw.pop(name)
    except KeyError:
        raise Missing(name) from None


def drop(kw, *names):
    """Consume arguments that change neither shapes nor counts
    (initialisers, functions, flags of the computation)."""
    for name in names:
        kw.pop(name, None)


def off(kw, name):
    """Consume ``name``; True when the parameter is switched off with
    ``name=None`` (``b=None``)."""
    return name in kw and kw.pop(name) is None


def as_int(value, what, minimum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError("{} should be an int, got {}".format(what,
                                                              shown(value)))
    if minimum is not None and value < minimum:
        raise ValueError("{} should be at least {}, got {}".format(
            what, minimum, shown(value)))
    return int(value)


def as_ints(value, n, what, minimum=None):
    """An int or ``n`` ints -> a tuple of ``n`` ints."""
    return tuple(as_int(v, what, minimum)
                 for v in geometry.as_tuple(value, n, what))


def prod(values):
    return reduce(mul, values, 1)


def require_fixed(sizes, what):
    """Sizes that Lasagne needs to create a parameter must not be None."""
    if any(size is None for size in sizes):
        raise ValueError("{} needs fixed sizes, got {}".format(
            what, shown(tuple(sizes))))


def check_rank(shape, n_axes):
    """Check for a (batch, channels, ``n_axes`` spatial axes) input."""
    if len(shape) != n_axes + 2:
        raise ValueError(
            "expects a {}-dimensional input (batch, channels, {} spatial "
            "axes), got shape {}".format(n_axes + 2, n_axes, shown(shape)))


def axis_index(axis, ndim, what="axis"):
    """A possibly negative axis -> its index; ValueError when out of range."""
    axis = as_int(axis, what)
    if not -ndim <= axis < ndim:
        raise ValueError("{} {} is out of range for a {}-dimensional "
                         "input".format(what, axis, ndim))
    return axis % ndim


def bias_count(kw, units, tail, untie):
    """Lasagne's ``b``: one per unit, or one per unit and position when
    untied; none with ``b=None``."""
    if off(kw, "b"):
        return 0
    if not untie:
        return units
    require_fixed(tail, "untie_biases")
    return units * prod(tail)


def shared_axes(value, ndim, what, allow_all=False):
    """'auto' (all but the second axis), 'all', an int or ints -> a tuple.

    Kept as given, as Lasagne does: a negative axis is not normalised.
    """
    if isinstance(value, str):
        if value == "auto":
            return (0,) + tuple(range(2, ndim))
        if value == "all" and allow_all:
            return tuple(range(ndim))
        raise ValueError("{} should be {}an int or a tuple of ints, got "
                         "{}".format(what, "'auto', 'all', " if allow_all
                                     else "'auto', ", shown(value)))
    if isinstance(value, (list, tuple)):
        return tuple(as_int(axis, what) for axis in value)
    return (as_int(value, what),)


def param_size(shape, shared, what):
    """Size of a parameter with one entry per position of the axes it is
    not shared over."""
    sizes = [size for axis, size in enumerate(shape) if axis not in shared]
    require_fixed(sizes, "{} (on the axes not in {})".format(what, shared))
    return prod(sizes)
