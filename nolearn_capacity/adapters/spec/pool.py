"""Builders for Lasagne's ``pool`` module: pooling (cuDNN and
cuda-convnet variants included), upscaling, global, spatial-pyramid and
feature pooling."""
from ... import geometry
from ...errors import shown
from .arguments import (as_int, as_ints, axis_index, check_rank, drop, need,
                        require_fixed)
from .base import builder
from .cuda_convnet import cuda_convnet_pool


#: pooling class -> spatial axes.  MaxPool* take no ``mode``, cuDNN needs
#: ``ignore_border=True``, cuda-convnet ``ignore_border=False``.
POOL_CLASSES = {
    "Pool1DLayer": 1, "Pool2DLayer": 2, "Pool3DLayer": 3,
    "MaxPool1DLayer": 1, "MaxPool2DLayer": 2, "MaxPool3DLayer": 3,
    "Pool2DDNNLayer": 2, "MaxPool2DDNNLayer": 2, "Pool3DDNNLayer": 3,
    "MaxPool3DDNNLayer": 3, "MaxPool2DCCLayer": 2,
}


@builder(*POOL_CLASSES)
def _pool(cls, kw, shapes):
    (shape,) = shapes
    n = POOL_CLASSES[cls]
    check_rank(shape, n)
    cuda_convnet = cls == "MaxPool2DCCLayer"
    size = as_ints(need(kw, "pool_size"), n, "pool_size", 1)
    stride = kw.pop("stride", None)
    stride = size if stride is None else as_ints(stride, n, "stride", 1)
    pad = as_ints(kw.pop("pad", 0), n, "pad", 0)
    ignore_border = bool(kw.pop("ignore_border", not cuda_convnet))
    mode = "max" if cls.startswith("Max") else kw.pop("mode", "max")
    if "DNN" in cls and not ignore_border:
        raise ValueError("{} needs ignore_border=True".format(cls))
    out = tuple(geometry.pool_output_length(length, k, s, p, ignore_border)
                for length, k, s, p in zip(shape[2:], size, stride, pad))
    attrs = {"pool_size": size, "stride": stride, "pad": pad,
             "ignore_border": ignore_border, "mode": mode}
    if cuda_convnet:
        attrs = cuda_convnet_pool(kw, attrs)
    return attrs, tuple(shape[:2]) + out, 0


def _n_axes(class_name):
    return next(n for n in (1, 2, 3) if "{}D".format(n) in class_name)


@builder("Upscale1DLayer", "Upscale2DLayer", "Upscale3DLayer")
def _upscale(cls, kw, shapes):
    (shape,) = shapes
    n = _n_axes(cls)
    check_rank(shape, n)
    factor = as_ints(need(kw, "scale_factor"), n, "scale_factor", 1)
    mode = kw.pop("mode", "repeat")
    if mode not in ("repeat", "dilate"):
        raise ValueError("mode should be 'repeat' or 'dilate', got "
                         "{}".format(shown(mode)))
    out = tuple(None if length is None else length * f
                for length, f in zip(shape[2:], factor))
    return ({"scale_factor": factor, "mode": mode},
            tuple(shape[:2]) + out, 0)


@builder("GlobalPoolLayer")
def _global_pool(cls, kw, shapes):
    (shape,) = shapes
    drop(kw, "pool_function")
    return {}, tuple(shape[:2]), 0


@builder("SpatialPyramidPoolingLayer", "SpatialPyramidPoolingDNNLayer")
def _spatial_pyramid_pool(cls, kw, shapes):
    (shape,) = shapes
    check_rank(shape, 2)
    dims = kw.pop("pool_dims", [4, 2, 1])
    if not isinstance(dims, (list, tuple)):
        raise ValueError("pool_dims should be a list of ints, got "
                         "{}".format(shown(dims)))
    dims = [as_int(p, "pool_dims", 1) for p in dims]
    attrs = {"pool_dims": dims, "mode": kw.pop("mode", "max")}
    if cls == "SpatialPyramidPoolingLayer":
        attrs["implementation"] = kw.pop("implementation", "fast")
    # a p x p grid of windows per level, flattened and concatenated
    return attrs, tuple(shape[:2]) + (sum(p * p for p in dims),), 0


@builder("FeaturePoolLayer", "FeatureWTALayer")
def _feature_pool(cls, kw, shapes):
    (shape,) = shapes
    size = as_int(need(kw, "pool_size"), "pool_size", 1)
    axis = kw.pop("axis", 1)
    index = axis_index(axis, len(shape))
    if cls == "FeaturePoolLayer":
        drop(kw, "pool_function")
    require_fixed(shape[index:index + 1], "the pooled axis")
    if shape[index] % size:
        raise ValueError("{} features on axis {} are not a multiple of "
                         "pool_size={}".format(shape[index], axis, size))
    out = list(shape)
    if cls == "FeaturePoolLayer":
        out[index] //= size
    return {"pool_size": size, "axis": axis}, tuple(out), 0
