"""Builders for Lasagne's ``normalization`` module: batch normalisation,
standardisation and local response normalisation."""
from ...errors import shown
from .arguments import (as_int, check_rank, drop, off, param_size,
                        shared_axes)
from .base import builder


@builder("BatchNormLayer", "BatchNormDNNLayer")
def _batch_norm(cls, kw, shapes):
    (shape,) = shapes
    axes = shared_axes(kw.pop("axes", "auto"), len(shape), "axes")
    if cls == "BatchNormDNNLayer" and axes not in (
            (0,), (0,) + tuple(range(2, len(shape)))):
        raise ValueError("BatchNormDNNLayer normalises over axis 0 or over "
                         "all but axis 1, got axes={}".format(axes))
    size = param_size(shape, axes, cls)
    attrs = {"axes": axes, "epsilon": kw.pop("epsilon", 1e-4),
             "alpha": kw.pop("alpha", 0.1)}
    drop(kw, "mean", "inv_std")    # running statistics: not trainable
    learned = sum(0 if off(kw, name) else size for name in ("beta", "gamma"))
    return attrs, shape, learned


@builder("StandardizationLayer")
def _standardization(cls, kw, shapes):
    (shape,) = shapes
    ndim = len(shape)
    axes = kw.pop("axes", "auto")
    named = {"auto": (1,) if ndim == 2 else tuple(range(2, ndim)),
             "spatial": tuple(range(2, ndim)),
             "features": tuple(range(1, ndim))}
    if isinstance(axes, str):
        if axes not in named:
            raise ValueError("axes should be 'auto', 'spatial', 'features', "
                             "an int or ints, got {}".format(shown(axes)))
        axes = named[axes]
    else:
        axes = shared_axes(axes, ndim, "axes")
    return {"axes": axes, "epsilon": kw.pop("epsilon", 1e-4)}, shape, 0


@builder("LocalResponseNormalization2DLayer")
def _local_response_norm(cls, kw, shapes):
    (shape,) = shapes
    check_rank(shape, 2)
    n = as_int(kw.pop("n", 5), "n", 1)
    if n % 2 == 0:
        raise ValueError("n should be odd, got {}".format(n))
    attrs = {"alpha": kw.pop("alpha", 1e-4), "k": kw.pop("k", 2),
             "beta": kw.pop("beta", 0.75), "n": n}
    return attrs, shape, 0
