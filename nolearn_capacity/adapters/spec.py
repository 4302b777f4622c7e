"""Plain layer specs: Lasagne's vocabulary without Theano.

A spec is nolearn's ``layers=[(Conv2DLayer, {...}), ...]`` with class
*names* (classes are accepted too), or nolearn's older
``[('conv1', 'Conv2DLayer'), ...]`` with ``conv1_filter_size=...`` keywords.
Each item becomes a :class:`SpecLayer` carrying the attributes the real
Lasagne layer would have, so :mod:`.lasagne`'s rules read both alike.
Output shapes and trainable-parameter counts are computed here, with
Lasagne's defaults and :mod:`nolearn_capacity.geometry`; they equal real
Lasagne's ``output_shape`` and ``count_params(layer, trainable=True)``.

Every class of Lasagne 0.1 and 0.2 that a spec can describe has one
builder, registered with :func:`builder`; :func:`supported_classes` lists
them.  Where the two versions differ, the spec follows the one that
accepts more (Lasagne 0.1's ``pad='same'`` with an even filter, 0.2's
``None`` sizes in pad / slice / flatten / concat) and otherwise Lasagne
0.1 (a ``GRULayer`` learns its initial state by default; the cuDNN,
corrmm and cuda-convnet classes store padding as 0.1 does).

Examples
--------
>>> layers = build([("InputLayer", {"shape": (None, 1, 28, 28)}),
...                 ("Conv2DLayer", {"num_filters": 8, "filter_size": 3}),
...                 ("MaxPool2DLayer", {"pool_size": 2})])
>>> [(l.name, l.output_shape, l.n_params) for l in layers]
... # doctest: +NORMALIZE_WHITESPACE
[('input0', (None, 1, 28, 28), 0), ('conv2d1', (None, 8, 26, 26), 80),
 ('maxpool2d2', (None, 8, 13, 13), 0)]
"""
import numbers
import warnings
from functools import reduce
from operator import mul

from ..registry import Registry
from .. import geometry
from ..errors import (BadArgumentError, BadShapeError, BadSpecError,
                      clipped, describe_layer, printable, shown)

BUILDERS = Registry()

#: Old argument names that Kaggle-era scripts use -> Lasagne's names.
RENAMED = {"ds": "pool_size", "strides": "stride", "st": "stride",
           "border_mode": "pad"}

#: Arguments that may name another layer of the spec: each named layer
#: becomes an extra input, in this order, as in Lasagne (0.2 for
#: ``hid_init`` / ``cell_init``).
LAYER_ARGUMENTS = {
    "CustomRecurrentLayer": ("mask_input", "hid_init"),
    "RecurrentLayer": ("mask_input", "hid_init"),
    "LSTMLayer": ("mask_input", "hid_init", "cell_init"),
    "GRULayer": ("mask_input", "hid_init"),
    "TransformerLayer": ("localization_network",),
    "TPSTransformerLayer": ("localization_network",),
    "InverseLayer": ("layer",),
}

#: Lasagne's ``MergeLayer`` subclasses: they carry ``input_layers`` and
#: ``input_shapes``, even with a single input.
MERGE_CLASSES = frozenset(
    ["ConcatLayer", "ElemwiseSumLayer", "ElemwiseMergeLayer"] +
    list(LAYER_ARGUMENTS))


class SpecLayer(object):
    """A layer described by a spec: Lasagne attributes, no Theano."""

    def __init__(self, lineage, name, inputs, attrs, output_shape,
                 n_params, base=None):
        # The class's name and its bases' (a user's subclass of a Lasagne
        # class is read by its base's rules); ``base`` is the one built.
        self.class_lineage = tuple(lineage)
        self.name = name
        if (base or lineage[0]) in MERGE_CLASSES:
            self.input_layers = list(inputs)
            self.input_shapes = [i.output_shape for i in inputs]
        elif inputs:
            (self.input_layer,) = inputs
            self.input_shape = self.input_layer.output_shape
        self.__dict__.update(attrs)
        self.output_shape = tuple(output_shape)
        self.n_params = n_params

    def __repr__(self):
        return "<SpecLayer {} {!r} {}>".format(self.class_lineage[0],
                                               self.name, self.output_shape)

    def __str__(self):
        # nolearn names unnamed rows after this string's class part.
        return "<lasagne.layers.{} object>".format(self.class_lineage[0])


def builder(*class_names):
    """Decorator: ``build(cls_name, kwargs, input_shapes) -> (attrs,
    output_shape, n_params)`` describes these classes.

    A builder pops the arguments it understands from ``kwargs`` (what is
    left is reported as unexpected) and raises ValueError for bad values.
    """
    return BUILDERS.register(*class_names)


def supported_classes():
    """The Lasagne class names a spec can use, sorted."""
    return sorted(BUILDERS)


# --------------------------------------------------------------------------
# Argument helpers shared by the builders
# --------------------------------------------------------------------------

class _Missing(Exception):
    """A required argument is absent (its name is ``args[0]``)."""


def _need(kw, name):
    try:
        return kw.pop(name)
    except KeyError:
        raise _Missing(name) from None


def _drop(kw, *names):
    """Consume arguments that change neither shapes nor counts
    (initialisers, functions, flags of the computation)."""
    for name in names:
        kw.pop(name, None)


def _off(kw, name):
    """Consume ``name``; True when the parameter is switched off with
    ``name=None`` (``b=None``)."""
    return name in kw and kw.pop(name) is None


def _int(value, what, minimum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError("{} should be an int, got {}".format(what,
                                                              shown(value)))
    if minimum is not None and value < minimum:
        raise ValueError("{} should be at least {}, got {}".format(
            what, minimum, shown(value)))
    return int(value)


def _ints(value, n, what, minimum=None):
    """An int or ``n`` ints -> a tuple of ``n`` ints."""
    return tuple(_int(v, what, minimum)
                 for v in geometry.as_tuple(value, n, what))


def _prod(values):
    return reduce(mul, values, 1)


def _known(sizes, what):
    """Sizes that Lasagne needs to create a parameter must not be None."""
    if any(size is None for size in sizes):
        raise ValueError("{} needs fixed sizes, got {}".format(
            what, shown(tuple(sizes))))


def _rank(shape, n_axes):
    """Check for a (batch, channels, ``n_axes`` spatial axes) input."""
    if len(shape) != n_axes + 2:
        raise ValueError(
            "expects a {}-dimensional input (batch, channels, {} spatial "
            "axes), got shape {}".format(n_axes + 2, n_axes, shown(shape)))


def _axis(axis, ndim, what="axis"):
    """A possibly negative axis -> its index; ValueError when out of range."""
    axis = _int(axis, what)
    if not -ndim <= axis < ndim:
        raise ValueError("{} {} is out of range for a {}-dimensional "
                         "input".format(what, axis, ndim))
    return axis % ndim


def _n_axes(class_name):
    return next(n for n in (1, 2, 3) if "{}D".format(n) in class_name)


def _bias_count(kw, units, tail, untie):
    """Lasagne's ``b``: one per unit, or one per unit and position when
    untied; none with ``b=None``."""
    if _off(kw, "b"):
        return 0
    if not untie:
        return units
    _known(tail, "untie_biases")
    return units * _prod(tail)


def _shared_axes(value, ndim, what, allow_all=False):
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
        return tuple(_int(axis, what) for axis in value)
    return (_int(value, what),)


def _param_size(shape, shared, what):
    """Size of a parameter with one entry per position of the axes it is
    not shared over."""
    sizes = [size for axis, size in enumerate(shape) if axis not in shared]
    _known(sizes, "{} (on the axes not in {})".format(what, shared))
    return _prod(sizes)


def _compatible(shape1, shape2):
    return len(shape1) == len(shape2) and all(
        a is None or b is None or a == b for a, b in zip(shape1, shape2))


# --------------------------------------------------------------------------
# Builders, one per family
# --------------------------------------------------------------------------

@builder("InputLayer")
def _input(cls, kw, shapes):
    shape = _need(kw, "shape")
    if not isinstance(shape, (list, tuple)):
        raise ValueError("shape should be a list of sizes (ints or None, "
                         "batch first), got {}".format(shown(shape)))
    shape = tuple(None if size is None else _int(size, "shape", 1)
                  for size in shape)
    _drop(kw, "input_var")
    return {"shape": shape}, shape, 0


#: conv class -> (spatial axes, how it stores ``pad='same'`` / ``'full'``):
#: 'keep' the string (Lasagne's own layers), 'ints' per-axis ints (0.1's
#: corrmm and cuda-convnet), 'dnn' ints for 'same' only (0.1's cuDNN).
CONV_CLASSES = {
    "Conv1DLayer": (1, "keep"), "Conv2DLayer": (2, "keep"),
    "Conv3DLayer": (3, "keep"), "Conv3DDNNLayer": (3, "keep"),
    "Conv2DDNNLayer": (2, "dnn"), "Conv2DMMLayer": (2, "ints"),
    "Conv2DCCLayer": (2, "ints"),
}


#: conv style -> the pad modes it stores as ints (see CONV_CLASSES).
STORED_AS_INTS = {"keep": (), "dnn": ("same",), "ints": ("full", "same")}


def _conv_pad(pad, filter_size, style="keep", what="pad"):
    """Lasagne's conv padding argument -> what the layer stores."""
    n = len(filter_size)
    if pad == "valid":
        return (0,) * n
    if pad in ("full", "same"):
        return geometry.legacy_gpu_pad(pad, filter_size, STORED_AS_INTS[style])
    if isinstance(pad, str):
        raise ValueError("{} should be an int, a tuple of ints or one of "
                         "{}, got {}".format(what,
                                             ", ".join(geometry.PAD_MODES),
                                             shown(pad)))
    return _ints(pad, n, what, 0)


def _filters(kw, n_axes, shape):
    """Arguments all conv variants share -> (num_filters, filter_size,
    untie_biases)."""
    _rank(shape, n_axes)
    _known(shape[1:2], "the number of input channels")
    filters = _int(_need(kw, "num_filters"), "num_filters", 1)
    size = _ints(_need(kw, "filter_size"), n_axes, "filter_size", 1)
    untie = bool(kw.pop("untie_biases", False))
    _drop(kw, "W", "nonlinearity")
    return filters, size, untie


def _odd_for_same(pad, filter_size, what="pad"):
    if pad == "same" and any(k % 2 == 0 for k in filter_size):
        raise ValueError("{}='same' needs odd filter sizes, got {}".format(
            what, filter_size))


@builder(*CONV_CLASSES)
def _conv(cls, kw, shapes):
    (shape,) = shapes
    n, style = CONV_CLASSES[cls]
    filters, size, untie = _filters(kw, n, shape)
    stride = _ints(kw.pop("stride", 1), n, "stride", 1)
    pad = _conv_pad(kw.pop("pad", 0), size, style)
    pads = pad if isinstance(pad, tuple) else (pad,) * n
    out = tuple(geometry.conv_output_length(length, k, s, p) for
                length, k, s, p in zip(shape[2:], size, stride, pads))
    attrs = {"num_filters": filters, "filter_size": size, "stride": stride,
             "pad": pad, "untie_biases": untie}
    _drop(kw, "convolution", "flip_filters")
    if cls == "Conv2DCCLayer":
        groups = 1
        _cuda_convnet(kw, attrs, shape[1])
    else:
        groups = attrs["num_groups"] = _int(kw.pop("num_groups", 1),
                                            "num_groups", 1)
        if filters % groups or shape[1] % groups:
            raise ValueError(
                "num_groups={} should divide the {} input and {} output "
                "channels".format(groups, shape[1], filters))
    weights = filters * (shape[1] // groups) * _prod(size)
    return (attrs, (shape[0], filters) + out,
            weights + _bias_count(kw, filters, out, untie))


def _cuda_convnet(kw, attrs, channels):
    """Lasagne 0.1's Conv2DCCLayer: square filters, strides and pads,
    stored as plain ints."""
    if not kw.pop("dimshuffle", True):
        raise ValueError("only dimshuffle=True (the bc01 layout) is "
                         "supported")
    _drop(kw, "partial_sum")
    for key in ("filter_size", "stride", "pad"):
        rows, columns = attrs[key]
        if rows != columns:
            raise ValueError("Conv2DCCLayer needs a square {}, got {}".format(
                key, attrs[key]))
        attrs[key] = rows
    attrs["dimshuffle"] = True
    if attrs["num_filters"] % 16:
        raise ValueError("Conv2DCCLayer needs num_filters to be a multiple "
                         "of 16, got {}".format(attrs["num_filters"]))
    if not (channels < 4 or channels % 4 == 0):
        raise ValueError("Conv2DCCLayer needs 1, 2, 3 or a multiple of 4 "
                         "input channels, got {}".format(channels))


@builder("DilatedConv2DLayer")
def _dilated_conv(cls, kw, shapes):
    (shape,) = shapes
    if kw.pop("flip_filters", False):
        raise ValueError("DilatedConv2DLayer needs flip_filters=False")
    filters, size, untie = _filters(kw, 2, shape)
    dilation = _ints(kw.pop("dilation", 1), 2, "dilation", 1)
    pad = kw.pop("pad", 0)
    if pad != "valid" and (isinstance(pad, str) or
                           _ints(pad, 2, "pad") != (0, 0)):
        raise ValueError("DilatedConv2DLayer needs pad=0, got {}; put a "
                         "PadLayer in front to pad".format(shown(pad)))
    out = tuple(geometry.conv_output_length(length, k, 1, 0, d)
                for length, k, d in zip(shape[2:], size, dilation))
    attrs = {"num_filters": filters, "filter_size": size,
             "dilation": dilation, "pad": (0, 0), "untie_biases": untie}
    weights = shape[1] * filters * _prod(size)   # W is (in, out, rows, cols)
    return (attrs, (shape[0], filters) + out,
            weights + _bias_count(kw, filters, out, untie))


TRANSPOSED_CLASSES = {"TransposedConv2DLayer": 2, "Deconv2DLayer": 2,
                      "TransposedConv3DLayer": 3, "Deconv3DLayer": 3}


@builder(*TRANSPOSED_CLASSES)
def _transposed_conv(cls, kw, shapes):
    (shape,) = shapes
    n = TRANSPOSED_CLASSES[cls]
    filters, size, untie = _filters(kw, n, shape)
    stride = _ints(kw.pop("stride", 1), n, "stride", 1)
    crop = _conv_pad(kw.pop("crop", 0), size, what="crop")
    _odd_for_same(crop, size, "crop")
    output_size = kw.pop("output_size", None)
    _drop(kw, "flip_filters")
    if output_size is None:
        crops = crop if isinstance(crop, tuple) else (crop,) * n
        out = tuple(geometry.transposed_output_length(length, k, s, c) for
                    length, k, s, c in zip(shape[2:], size, stride, crops))
    else:
        out = output_size = _ints(output_size, n, "output_size", 1)
    attrs = {"num_filters": filters, "filter_size": size, "stride": stride,
             "crop": crop, "output_size": output_size, "untie_biases": untie}
    weights = shape[1] * filters * _prod(size)   # W is (in, out, ...)
    return (attrs, (shape[0], filters) + out,
            weights + _bias_count(kw, filters, out, untie))


@builder("LocallyConnected2DLayer")
def _locally_connected(cls, kw, shapes):
    (shape,) = shapes
    filters, size, untie = _filters(kw, 2, shape)
    stride = _ints(kw.pop("stride", 1), 2, "stride", 1)
    pad = kw.pop("pad", "same")
    if stride != (1, 1) or pad != "same":
        raise ValueError("LocallyConnected2DLayer needs stride=1 and "
                         "pad='same', got stride={}, pad={}".format(
                             stride, shown(pad)))
    _odd_for_same(pad, size)
    _known(shape[1:], "LocallyConnected2DLayer's input (after the batch "
                      "axis)")
    channelwise = bool(kw.pop("channelwise", False))
    if channelwise and filters != shape[1]:
        raise ValueError("channelwise=True needs num_filters equal to the "
                         "{} input channels, got {}".format(shape[1], filters))
    _drop(kw, "flip_filters")
    out = shape[2:]
    # one filter per output position: W is (out, [in,] rows, cols, *out)
    weights = filters * (1 if channelwise else shape[1]) * _prod(size) * \
        _prod(out)
    attrs = {"num_filters": filters, "filter_size": size, "stride": stride,
             "pad": pad, "untie_biases": untie, "channelwise": channelwise}
    return (attrs, (shape[0], filters) + out,
            weights + _bias_count(kw, filters, out, untie))


@builder("NINLayer")
def _nin(cls, kw, shapes):
    (shape,) = shapes
    units = _int(_need(kw, "num_units"), "num_units", 1)
    untie = bool(kw.pop("untie_biases", False))
    _drop(kw, "W", "nonlinearity")
    _known(shape[1:2], "the number of input channels")
    out = (shape[0], units) + tuple(shape[2:])
    return ({"num_units": units, "untie_biases": untie}, out,
            shape[1] * units + _bias_count(kw, units, shape[2:], untie))


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
    _rank(shape, n)
    cuda_convnet = cls == "MaxPool2DCCLayer"
    size = _ints(_need(kw, "pool_size"), n, "pool_size", 1)
    stride = kw.pop("stride", None)
    stride = size if stride is None else _ints(stride, n, "stride", 1)
    pad = _ints(kw.pop("pad", 0), n, "pad", 0)
    ignore_border = bool(kw.pop("ignore_border", not cuda_convnet))
    mode = "max" if cls.startswith("Max") else kw.pop("mode", "max")
    if "DNN" in cls and not ignore_border:
        raise ValueError("{} needs ignore_border=True".format(cls))
    out = tuple(geometry.pool_output_length(length, k, s, p, ignore_border)
                for length, k, s, p in zip(shape[2:], size, stride, pad))
    attrs = {"pool_size": size, "stride": stride, "pad": pad,
             "ignore_border": ignore_border, "mode": mode}
    if cuda_convnet:
        attrs = _cuda_convnet_pool(kw, attrs)
    return attrs, tuple(shape[:2]) + out, 0


def _cuda_convnet_pool(kw, attrs):
    """Lasagne 0.1's MaxPool2DCCLayer: square windows, no padding, partial
    windows kept; ``pool_size`` and ``stride`` stored as plain ints."""
    if not kw.pop("dimshuffle", True):
        raise ValueError("only dimshuffle=True (the bc01 layout) is "
                         "supported")
    if attrs["ignore_border"]:
        raise ValueError("MaxPool2DCCLayer needs ignore_border=False")
    for key in ("pool_size", "stride"):
        if attrs[key][0] != attrs[key][1]:
            raise ValueError("MaxPool2DCCLayer needs a square {}, got "
                             "{}".format(key, attrs[key]))
    size, stride = attrs["pool_size"][0], attrs["stride"][0]
    if stride > size:
        raise ValueError("MaxPool2DCCLayer needs stride <= pool_size, got "
                         "stride {} and pool_size {}".format(stride, size))
    return {"pool_size": size, "stride": stride, "dimshuffle": True}


@builder("Upscale1DLayer", "Upscale2DLayer", "Upscale3DLayer")
def _upscale(cls, kw, shapes):
    (shape,) = shapes
    n = _n_axes(cls)
    _rank(shape, n)
    factor = _ints(_need(kw, "scale_factor"), n, "scale_factor", 1)
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
    _drop(kw, "pool_function")
    return {}, tuple(shape[:2]), 0


@builder("SpatialPyramidPoolingLayer", "SpatialPyramidPoolingDNNLayer")
def _spatial_pyramid_pool(cls, kw, shapes):
    (shape,) = shapes
    _rank(shape, 2)
    dims = kw.pop("pool_dims", [4, 2, 1])
    if not isinstance(dims, (list, tuple)):
        raise ValueError("pool_dims should be a list of ints, got "
                         "{}".format(shown(dims)))
    dims = [_int(p, "pool_dims", 1) for p in dims]
    attrs = {"pool_dims": dims, "mode": kw.pop("mode", "max")}
    if cls == "SpatialPyramidPoolingLayer":
        attrs["implementation"] = kw.pop("implementation", "fast")
    # a p x p grid of windows per level, flattened and concatenated
    return attrs, tuple(shape[:2]) + (sum(p * p for p in dims),), 0


@builder("FeaturePoolLayer", "FeatureWTALayer")
def _feature_pool(cls, kw, shapes):
    (shape,) = shapes
    size = _int(_need(kw, "pool_size"), "pool_size", 1)
    axis = kw.pop("axis", 1)
    index = _axis(axis, len(shape))
    if cls == "FeaturePoolLayer":
        _drop(kw, "pool_function")
    _known(shape[index:index + 1], "the pooled axis")
    if shape[index] % size:
        raise ValueError("{} features on axis {} are not a multiple of "
                         "pool_size={}".format(shape[index], axis, size))
    out = list(shape)
    if cls == "FeaturePoolLayer":
        out[index] //= size
    return {"pool_size": size, "axis": axis}, tuple(out), 0


@builder("PadLayer")
def _pad(cls, kw, shapes):
    (shape,) = shapes
    width = _need(kw, "width")
    batch_ndim = _int(kw.pop("batch_ndim", 2), "batch_ndim", 0)
    val = kw.pop("val", 0)
    n = len(shape) - batch_ndim
    widths = [width] * n if isinstance(width, numbers.Integral) \
        else list(width)
    if len(widths) > n:
        raise ValueError("width {} has {} entries for {} axes after "
                         "batch_ndim={}".format(shown(width), len(widths), n,
                                                batch_ndim))
    out = list(shape)
    for axis, w in enumerate(widths, batch_ndim):
        before, after = _ints(w, 2, "width", 0)
        if out[axis] is not None:
            out[axis] += before + after
    attrs = {"width": width, "val": val, "batch_ndim": batch_ndim}
    return attrs, tuple(out), 0


@builder("SliceLayer")
def _slice(cls, kw, shapes):
    (shape,) = shapes
    indices = _need(kw, "indices")
    axis = kw.pop("axis", -1)
    index = _axis(axis, len(shape))
    if isinstance(indices, (list, tuple)):    # JSON has no slice objects
        indices = slice(*indices)
    out = list(shape)
    if isinstance(indices, slice):
        if out[index] is not None:
            out[index] = len(range(*indices.indices(out[index])))
    else:
        _int(indices, "indices")
        del out[index]
    return {"slice": indices, "axis": axis}, tuple(out), 0


@builder("FlattenLayer")
def _flatten(cls, kw, shapes):
    (shape,) = shapes
    outdim = _int(kw.pop("outdim", 2), "outdim", 1)
    rest = shape[outdim - 1:]
    flat = None if any(s is None for s in rest) else _prod(rest)
    return {"outdim": outdim}, tuple(shape[:outdim - 1]) + (flat,), 0


@builder("ReshapeLayer")
def _reshape(cls, kw, shapes):
    (shape,) = shapes
    spec = tuple(_need(kw, "shape"))
    out, in_sizes, out_sizes = [], list(shape), []
    for entry in spec:
        if isinstance(entry, list):    # [i]: the size of input axis i
            if len(entry) != 1:
                raise ValueError("shape reference {} should be [axis]"
                                 .format(shown(entry)))
            axis = _int(entry[0], "shape reference", 0)
            if axis >= len(shape):
                raise ValueError("shape reference [{}] is out of range for "
                                 "input shape {}".format(axis,
                                                         shown(shape)))
            size = shape[axis]
            out.append(size)
            if size is None and in_sizes[axis] is None:
                # the same unknown size on both sides cancels out
                in_sizes[axis] = 1
                size = 1
            out_sizes.append(size)
        else:
            size = _int(entry, "shape", -1)
            if size == 0:
                raise ValueError("shape sizes should be positive or -1, got "
                                 "{}".format(shown(spec)))
            out.append(size)
            out_sizes.append(size)
    if spec.count(-1) > 1:
        raise ValueError("shape {} has more than one -1".format(
            shown(spec)))
    total_in = None if None in in_sizes else _prod(in_sizes)
    known = [s for s in out_sizes if s != -1]
    total_out = None if None in known else _prod(known)
    if -1 in spec:
        at = spec.index(-1)
        if total_in is None or total_out is None:
            out[at] = total_out = None
        else:
            out[at] = total_in // total_out
            total_out *= out[at]
    if None not in (total_in, total_out) and total_in != total_out:
        raise ValueError("input shape {} cannot be reshaped to {}: the "
                         "total sizes differ".format(shown(shape),
                                                     shown(spec)))
    return {"shape": spec}, tuple(out), 0


@builder("DimshuffleLayer")
def _dimshuffle(cls, kw, shapes):
    (shape,) = shapes
    pattern = _need(kw, "pattern")
    out, used = [], set()
    for entry in pattern:
        if entry == "x":
            out.append(1)
            continue
        axis = _int(entry, "pattern entry")
        if axis in used or not 0 <= axis < len(shape):
            raise ValueError("pattern {} repeats axis {} or exceeds the "
                             "{} input axes".format(shown(pattern), axis,
                                                    len(shape)))
        used.add(axis)
        out.append(shape[axis])
    dropped = [i for i, size in enumerate(shape)
               if i not in used and size not in (1, None)]
    if dropped:
        raise ValueError("pattern {} drops axis {} of size {}; only axes "
                         "of size 1 can be dropped".format(
                             shown(pattern), dropped[0], shape[dropped[0]]))
    return {"pattern": pattern}, tuple(out), 0


@builder("BatchNormLayer", "BatchNormDNNLayer")
def _batch_norm(cls, kw, shapes):
    (shape,) = shapes
    axes = _shared_axes(kw.pop("axes", "auto"), len(shape), "axes")
    if cls == "BatchNormDNNLayer" and axes not in (
            (0,), (0,) + tuple(range(2, len(shape)))):
        raise ValueError("BatchNormDNNLayer normalises over axis 0 or over "
                         "all but axis 1, got axes={}".format(axes))
    size = _param_size(shape, axes, cls)
    attrs = {"axes": axes, "epsilon": kw.pop("epsilon", 1e-4),
             "alpha": kw.pop("alpha", 0.1)}
    _drop(kw, "mean", "inv_std")    # running statistics: not trainable
    learned = sum(0 if _off(kw, name) else size for name in ("beta", "gamma"))
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
        axes = _shared_axes(axes, ndim, "axes")
    return {"axes": axes, "epsilon": kw.pop("epsilon", 1e-4)}, shape, 0


@builder("LocalResponseNormalization2DLayer")
def _local_response_norm(cls, kw, shapes):
    (shape,) = shapes
    _rank(shape, 2)
    n = _int(kw.pop("n", 5), "n", 1)
    if n % 2 == 0:
        raise ValueError("n should be odd, got {}".format(n))
    attrs = {"alpha": kw.pop("alpha", 1e-4), "k": kw.pop("k", 2),
             "beta": kw.pop("beta", 0.75), "n": n}
    return attrs, shape, 0


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
    shared = _shared_axes(kw.pop("shared_axes", "auto"), len(shape),
                          "shared_axes", allow_all)
    attrs = {"shared_axes": shared}
    n_params = 0
    if param is not None:
        if not _off(kw, param):
            n_params = _param_size(shape, shared, cls)
        elif cls != "BiasLayer":
            raise ValueError("{}=None is not allowed".format(param))
    if cls == "RandomizedRectifierLayer":
        attrs["lower"], attrs["upper"] = kw.pop("lower", 0.3), \
            kw.pop("upper", 0.8)
        if attrs["lower"] > attrs["upper"]:
            raise ValueError("lower {} is above upper {}".format(
                attrs["lower"], attrs["upper"]))
    return attrs, shape, n_params


#: per-position classes without parameters -> their arguments and defaults
PASS_THROUGH_CLASSES = {
    "NonlinearityLayer": {"nonlinearity": None},
    "DropoutLayer": {"p": 0.5, "rescale": True, "shared_axes": ()},
    "GaussianNoiseLayer": {"sigma": 0.1},
}


@builder(*PASS_THROUGH_CLASSES)
def _pass_through(cls, kw, shapes):
    (shape,) = shapes
    attrs = {key: kw.pop(key, default)
             for key, default in PASS_THROUGH_CLASSES[cls].items()}
    return attrs, shape, 0


@builder("ExpressionLayer")
def _expression(cls, kw, shapes):
    (shape,) = shapes
    function = _need(kw, "function")
    out = kw.pop("output_shape", None)
    if out is None:
        out = shape
    elif isinstance(out, str):
        raise ValueError("output_shape={} needs Theano to run the function;"
                         " give the output shape as a tuple or a callable"
                         .format(shown(out)))
    elif callable(out):
        out = out(shape)
    out = tuple(None if size is None else _int(size, "output_shape", 1)
                for size in out)
    return {"function": function}, out, 0


@builder("DenseLayer")
def _dense(cls, kw, shapes):
    (shape,) = shapes
    units = _int(_need(kw, "num_units"), "num_units", 1)
    leading = _int(kw.pop("num_leading_axes", 1), "num_leading_axes")
    if not -len(shape) <= leading < len(shape):
        raise ValueError("num_leading_axes={} leaves no axes for the dot "
                         "product with a {}-dimensional input".format(
                             leading, len(shape)))
    _drop(kw, "W", "nonlinearity")
    inputs = shape[leading:]
    _known(inputs, "DenseLayer's input (after num_leading_axes)")
    out = tuple(shape[:leading]) + (units,)
    return ({"num_units": units, "num_leading_axes": leading}, out,
            _prod(inputs) * units + _bias_count(kw, units, (), False))


@builder("EmbeddingLayer")
def _embedding(cls, kw, shapes):
    (shape,) = shapes
    size_in = _int(_need(kw, "input_size"), "input_size", 1)
    size_out = _int(_need(kw, "output_size"), "output_size", 1)
    _drop(kw, "W")
    return ({"input_size": size_in, "output_size": size_out},
            tuple(shape) + (size_out,), size_in * size_out)


def _autocrop(shapes, cropping):
    """Lasagne's ``autocrop_array_shapes``: the cropped axes take the
    smallest size (None if any is None)."""
    if cropping is None:
        return shapes
    modes = list(cropping) + [None] * (len(shapes[0]) - len(cropping))
    columns = []
    for sizes, mode in zip(zip(*shapes), modes):
        if mode is None:
            columns.append(sizes)
        elif mode in ("lower", "center", "upper"):
            smallest = None if None in sizes else min(sizes)
            columns.append((smallest,) * len(sizes))
        else:
            raise ValueError("cropping mode {} should be None, 'lower', "
                             "'center' or 'upper'".format(shown(mode)))
    return [tuple(shape) for shape in zip(*columns)]


@builder("ConcatLayer", "ElemwiseSumLayer", "ElemwiseMergeLayer")
def _merge(cls, kw, shapes):
    ndim = len(shapes[0])
    if any(len(shape) != ndim for shape in shapes):
        raise ValueError("inputs have different numbers of axes: {}".format(
            ", ".join(str(shape) for shape in shapes)))
    cropping = kw.pop("cropping", None)
    attrs, axis = {}, None
    if cls == "ConcatLayer":
        attrs["axis"] = kw.pop("axis", 1)
        axis = _axis(attrs["axis"], ndim)
        if cropping is not None:    # never crop the concatenation axis
            cropping = list(cropping) + [None] * (ndim - len(cropping))
            cropping[axis] = None
    elif cls == "ElemwiseSumLayer":
        coeffs = kw.pop("coeffs", 1)
        if not isinstance(coeffs, list):
            coeffs = [coeffs] * len(shapes)
        elif len(coeffs) != len(shapes):
            raise ValueError("{} coeffs for {} inputs".format(
                len(coeffs), len(shapes)))
        attrs["coeffs"] = coeffs
    else:
        attrs["merge_function"] = _need(kw, "merge_function")
    attrs["cropping"] = cropping
    shapes = _autocrop(shapes, cropping)
    out = [next((s for s in sizes if s is not None), None)
           for sizes in zip(*shapes)]
    for shape in shapes:
        if not all(i == axis or a is None or b is None or a == b
                   for i, (a, b) in enumerate(zip(shape, out))):
            raise ValueError("input shapes {} differ{}".format(
                ", ".join(str(s) for s in shapes),
                "" if axis is None else " outside axis {}".format(axis)))
    if axis is not None:
        sizes = [shape[axis] for shape in shapes]
        out[axis] = None if None in sizes else sum(sizes)
    return attrs, tuple(out), 0


@builder("TransformerLayer", "TPSTransformerLayer")
def _transformer(cls, kw, shapes):
    _need(kw, "localization_network")    # its output is the second input
    shape, localisation = shapes
    _rank(shape, 2)
    factor = _ints(kw.pop("downsample_factor", 1), 2, "downsample_factor", 1)
    attrs = {"downsample_factor": factor,
             "border_mode": kw.pop("border_mode", "nearest")}
    # an affine map has 6 numbers; a thin-plate spline 2 per control point
    wanted = 6
    if cls == "TPSTransformerLayer":
        points = attrs["control_points"] = _int(
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
    _need(kw, "layer")
    return {}, shapes[2], 0    # inputs: incoming, layer, layer's input


# --- recurrent layers ------------------------------------------------------

def _recurrent_options(kw, shape, learn_init):
    """Arguments all recurrent layers share -> their attributes."""
    if len(shape) < 3:
        raise ValueError("expects a (batch, time, features...) input, got "
                         "shape {}".format(shape))
    attrs = {"learn_init": bool(kw.pop("learn_init", learn_init)),
             "backwards": kw.pop("backwards", False),
             "gradient_steps": kw.pop("gradient_steps", -1),
             "grad_clipping": kw.pop("grad_clipping", 0),
             "unroll_scan": kw.pop("unroll_scan", False),
             "precompute_input": kw.pop("precompute_input", True),
             "only_return_final": kw.pop("only_return_final", False)}
    _drop(kw, "nonlinearity", "mask_input")
    if attrs["unroll_scan"] and attrs["gradient_steps"] != -1:
        raise ValueError("unroll_scan=True needs gradient_steps=-1")
    if attrs["unroll_scan"] and shape[1] is None:
        raise ValueError("unroll_scan=True needs a fixed sequence length")
    return attrs


def _initial_state(kw, name, size, learn):
    """``hid_init`` / ``cell_init``: a (1, size) parameter, trainable with
    ``learn_init``; none when it is another layer (Lasagne 0.2)."""
    value = kw.pop(name, None)
    return size if learn and not isinstance(value, SpecLayer) else 0


def _recurrent_shape(shape, units, only_final):
    return (shape[0],) + (() if only_final else (shape[1],)) + tuple(units)


#: gated recurrent classes -> their gates (each W_in, W_hid and b)
GATES = {"LSTMLayer": ("ingate", "forgetgate", "cell", "outgate"),
         "GRULayer": ("resetgate", "updategate", "hidden_update")}


@builder("RecurrentLayer", "LSTMLayer", "GRULayer")
def _recurrent(cls, kw, shapes):
    shape = shapes[0]
    units = _int(_need(kw, "num_units"), "num_units", 1)
    # Lasagne 0.1's defaults: only the GRU learns its initial state
    attrs = _recurrent_options(kw, shape, learn_init=cls == "GRULayer")
    attrs["num_units"] = units
    learn = attrs["learn_init"]
    _known(shape[2:], "{}'s input features".format(cls))
    per_gate = _prod(shape[2:]) * units + units * units
    if cls == "RecurrentLayer":
        _drop(kw, "W_in_to_hid", "W_hid_to_hid")
        n_params = per_gate + _bias_count(kw, units, (), False)
    else:
        _drop(kw, *GATES[cls])
        n_params = len(GATES[cls]) * (per_gate + units)
    if cls == "LSTMLayer":
        attrs["peepholes"] = bool(kw.pop("peepholes", True))
        n_params += 3 * units if attrs["peepholes"] else 0
        n_params += _initial_state(kw, "cell_init", units, learn)
    n_params += _initial_state(kw, "hid_init", units, learn)
    return (attrs, _recurrent_shape(shape, (units,),
                                    attrs["only_return_final"]), n_params)


def _subnet(value, what):
    """A recurrence's sub-network, given as a spec list from its own
    InputLayer -> its SpecLayers."""
    if not is_spec_list(value):
        raise ValueError("{} should be a list of layer specs starting with "
                         "an InputLayer, got {}".format(what, shown(value)))
    return build(value)


@builder("CustomRecurrentLayer")
def _custom_recurrent(cls, kw, shapes):
    shape = shapes[0]
    attrs = _recurrent_options(kw, shape, learn_init=False)
    to_hidden = _subnet(_need(kw, "input_to_hidden"), "input_to_hidden")
    recurrence = _subnet(_need(kw, "hidden_to_hidden"), "hidden_to_hidden")
    out_in = to_hidden[-1].output_shape
    out_hid = recurrence[-1].output_shape
    if not (_compatible(out_in[1:], out_hid[1:]) and
            _compatible(out_in[1:], recurrence[0].output_shape[1:])):
        raise ValueError(
            "input_to_hidden's output {} should match hidden_to_hidden's "
            "input {} and output {} after the first axis".format(
                out_in, recurrence[0].output_shape, out_hid))
    steps = None if None in shape[:2] else shape[0] * shape[1]
    if attrs["precompute_input"] and None not in (out_in[0], steps) and \
            out_in[0] != steps:
        raise ValueError("with precompute_input, input_to_hidden's first "
                         "axis should be batch * time = {} or None, got "
                         "{}".format(steps, out_in[0]))
    _known(out_hid[1:], "hidden_to_hidden's output")
    n_params = sum(layer.n_params for layer in to_hidden + recurrence)
    n_params += _initial_state(kw, "hid_init", _prod(out_hid[1:]),
                               attrs["learn_init"])
    attrs.update(input_to_hidden=to_hidden[-1],
                 hidden_to_hidden=recurrence[-1])
    return (attrs, _recurrent_shape(shape, out_hid[1:],
                                    attrs["only_return_final"]), n_params)


# --------------------------------------------------------------------------
# Lists of specs -> SpecLayer objects
# --------------------------------------------------------------------------

#: NeuralNet's own options (nolearn 0.6.1's ``NeuralNet.__init__``
#: arguments and the old ones it still reads): a spec file or ``analyze``
#: may carry them; they change no geometry.
NEURALNET_OPTIONS = frozenset([
    "update", "loss", "objective", "objective_loss_function",
    "batch_iterator_train", "batch_iterator_test", "regression",
    "max_epochs", "train_split", "custom_scores", "scores_train",
    "scores_valid", "X_tensor_type", "y_tensor_type", "use_label_encoder",
    "on_batch_finished", "on_epoch_finished", "on_training_started",
    "on_training_finished", "more_params", "check_input", "verbose",
    "eval_size", "custom_score", "batch_iterator"])

#: Keyword prefixes nolearn hands to the update and objective functions.
NEURALNET_PREFIXES = ("update_", "objective_")


def _lineage(factory, where):
    """Class names of a spec item's class, most specific first: the name
    itself, or a class and its bases."""
    if isinstance(factory, type):
        return tuple(c.__name__ for c in factory.__mro__
                     if c is not object)
    if not isinstance(factory, str):
        raise BadSpecError("{}: layer class should be a class or a class "
                           "name, got {}".format(where, shown(factory)))
    return (factory.rsplit(".", 1)[-1],)


def _auto_name(class_name, index):
    # nolearn's rule: 'Conv2DLayer' as layer 1 is called 'conv2d1'.
    return "{}{}".format(class_name.lower().replace("layer", ""), index)


def _pair(item, index):
    """A spec item -> (class or class name, kwargs or None, name or None),
    checking its form only."""
    where = "spec #{}".format(index)
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        what = "{} of {} item{}".format(type(item).__name__, len(item),
                                        "" if len(item) == 1 else "s") \
            if isinstance(item, (tuple, list)) else type(item).__name__
        raise BadSpecError("{}: expected a pair (class, kwargs) or (name, "
                           "class), got {} (a {})".format(
                               where, shown(item), what))
    first, second = item
    if isinstance(second, dict):
        return first, second, None
    if isinstance(first, dict):
        raise BadSpecError("{}: got (kwargs, class) {}; the class comes "
                           "first: (class, kwargs)".format(
                               where, shown(item)))
    if not isinstance(first, str):
        raise BadSpecError("{}: expected (class, kwargs) or (name, class) "
                           "with a string name, got {}".format(
                               where, shown(item)))
    return second, None, first


def normalise(item, index, keywords):
    """One list item -> (class lineage, kwargs) with nolearn's naming and
    the ``<name>_<argument>`` keywords merged in."""
    factory, arguments, name = _pair(item, index)
    lineage = _lineage(factory, "spec #{}".format(index))
    cls = lineage[0]
    if arguments is None:
        kw = {"name": name}
    else:
        kw = dict(arguments)
        kw.setdefault("name", _auto_name(cls, index))
    strange = [k for k in kw if not isinstance(k, str)]
    if strange:
        raise BadSpecError("{}: argument names should be strings, got {}"
                           .format(describe_layer(kw.get("name"), index, cls),
                                   shown(strange[0])))
    if kw["name"] is not None and not isinstance(kw["name"], str):
        raise BadSpecError("{}: name should be a string, got {}".format(
            describe_layer(None, index, cls), shown(kw["name"])))
    prefix = "{}_".format(kw["name"])
    kw.update({k[len(prefix):]: v for k, v in keywords.items()
               if k.startswith(prefix)})
    for old, new in RENAMED.items():
        if old in kw:
            warnings.warn("{}: argument {!r} is deprecated, use {!r}".format(
                describe_layer(kw["name"], index, cls), old, new),
                DeprecationWarning, stacklevel=4)
            kw.setdefault(new, kw.pop(old))
    if kw.get("pad") == "half":
        kw["pad"] = "same"
    return lineage, kw


def input_names(specs):
    """The names of the spec's InputLayers, in order, as :func:`build`
    will name them; items it will refuse are skipped here."""
    names = []
    for index, item in enumerate(specs):
        try:
            factory, arguments, name = _pair(item, index)
            lineage = _lineage(factory, "")
        except BadSpecError:
            continue
        if "InputLayer" in lineage:
            names.append(name if arguments is None else
                         arguments.get("name", _auto_name(lineage[0], index)))
    return names


def with_input_shape(specs, keywords, input_shape):
    """``keywords`` plus ``<input>_shape=input_shape`` for the spec's input
    layer: the one named 'input' (so this is nolearn's own ``input_shape``
    keyword) or else the only InputLayer."""
    names = input_names(specs)
    if "input" in names:
        target = "input"
    elif len(names) == 1:
        target = names[0]
    elif not names:
        return keywords    # build() says an InputLayer is missing
    else:
        raise BadArgumentError(
            "input_shape={} is ambiguous: the spec has {} input layers ({});"
            " give each its shape with <name>_shape keywords".format(
                shown(input_shape), len(names),
                shown(", ".join(map(str, names)))))
    return dict(keywords, **{"{}_shape".format(target): input_shape})


def build(specs, **keywords):
    """Spec items -> list of :class:`SpecLayer`, in the given order.

    ``keywords`` are nolearn's ``<layer name>_<argument>=value`` keywords
    (``more_params`` holds more of them) and NeuralNet's own options
    (:data:`NEURALNET_OPTIONS`, ``update_*``, ``objective_*``), which change
    nothing here.  As nolearn's ``NeuralNet.initialize`` does, a keyword
    that is neither is refused.  A layer's input is the previous item
    unless ``incoming`` (or ``incomings`` for merge layers) names earlier
    layers.
    """
    more = keywords.get("more_params") or {}
    if not isinstance(more, dict) or not all(isinstance(k, str)
                                             for k in more):
        raise BadSpecError("more_params should map <layer>_<argument> "
                           "names to values, got {}".format(shown(more)))
    merged = dict(keywords, **more)    # more_params wins, as in nolearn
    layers, by_name = [], {}
    for index, item in enumerate(specs):
        lineage, kw = normalise(item, index, merged)
        name = kw.pop("name")
        where = describe_layer(name, index, lineage[0])
        if name in by_name:
            raise BadSpecError("{}: two layers are named {}".format(
                where, shown(name)))
        cls = next((c for c in lineage if c in BUILDERS), None)
        if cls is None:
            raise BadSpecError("{}: unknown layer class {}{}".format(
                where, shown(lineage[0]), _suggest(lineage[0])))
        make = BUILDERS[cls]
        inputs = _inputs(kw, cls, layers, by_name, where)
        # as on a real layer: b is None when the layer has no bias
        no_bias = "b" in kw and kw["b"] is None
        try:
            attrs, out, n_params = make(
                cls, kw, [tuple(i.output_shape) for i in inputs])
        except _Missing as missing:
            raise BadSpecError("{}: missing argument {!r}".format(
                where, missing.args[0])) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) \
                as error:
            raise BadSpecError("{}: {}".format(where, error)) from None
        if kw:
            raise BadSpecError("{}: unexpected arguments {}".format(
                where, clipped(printable(", ".join(sorted(kw))))))
        _check_shape(out, where)
        layer = SpecLayer(lineage, name, inputs, attrs, out, n_params, cls)
        if no_bias:
            layer.b = None
        layers.append(layer)
        by_name[name] = layer
    _check_keywords_used(keywords, list(by_name))
    return layers


def _check_keywords_used(keywords, names):
    prefixes = tuple("{}_".format(n) for n in names) + NEURALNET_PREFIXES
    for key in keywords:
        if key in NEURALNET_OPTIONS or key.startswith(prefixes):
            continue
        raise BadSpecError(
            "keyword {} matches no layer: expected <layer name>_<argument> "
            "with a layer name from {} or a NeuralNet option (nolearn 0.6.1 "
            "refuses it too: 'Unused kwarg'){}".format(
                shown(key), shown(", ".join(map(str, names))),
                _suggest_keyword(key, names)))


def _suggest_keyword(key, names):
    """'; did you mean ...' for the split of ``key`` into a near layer
    name and an argument that comes closest."""
    import difflib   # only for a misspelt keyword
    if len(key) > 200:
        return ""
    best, score = None, 0.8
    for at in range(1, len(key)):
        if key[at] != "_":
            continue
        prefix, argument = key[:at], key[at + 1:]
        for name in names:
            ratio = difflib.SequenceMatcher(None, prefix, str(name)).ratio()
            if argument and ratio > score:
                best, score = "{}_{}".format(name, argument), ratio
    return "; did you mean {}?".format(shown(best)) if best else ""


def _layer_names(value, what, where):
    """``incoming`` / ``incomings``: layer names, as nolearn looks them
    up in its ``layers_``."""
    if what == "incomings":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise BadSpecError("{}: incomings should be a list of layer "
                               "names, got {}".format(where, shown(value)))
        names = list(value)
    else:
        if isinstance(value, (list, tuple)):
            raise BadSpecError("{}: incoming should be one layer name, got "
                               "{}; several inputs go in 'incomings'".format(
                                   where, shown(value)))
        names = [value]
    for name in names:
        if not isinstance(name, str):
            raise BadSpecError("{}: {} should name layers by string, got {}"
                               .format(where, what, shown(name)))
    return names


def _inputs(kw, cls, layers, by_name, where):
    """The layers feeding ``cls``; arguments that name layers
    (:data:`LAYER_ARGUMENTS`) are replaced by those layers and added."""
    if cls == "InputLayer":
        return []
    if "incomings" in kw:
        names = _layer_names(kw.pop("incomings"), "incomings", where)
    elif "incoming" in kw:
        names = _layer_names(kw.pop("incoming"), "incoming", where)
    elif layers:
        names = [layers[-1].name]
    else:
        raise BadSpecError("{}: the first layer must be an InputLayer".format(
            where))
    arguments = [a for a in LAYER_ARGUMENTS.get(cls, ())
                 if isinstance(kw.get(a), str)]
    names += [kw[a] for a in arguments]
    if cls not in MERGE_CLASSES and len(names) != 1:
        raise BadSpecError("{}: takes one incoming layer, got {}".format(
            where, len(names)))
    missing = [n for n in names if n not in by_name]
    if missing:
        raise BadSpecError("{}: incoming layer {} is not defined before "
                           "it".format(where, shown(missing[0])))
    inputs = [by_name[n] for n in names]
    for argument in arguments:
        kw[argument] = by_name[kw[argument]]
    if "layer" in arguments:    # InverseLayer: Lasagne adds its input too
        inputs.append(getattr(kw["layer"], "input_layer", None))
        if inputs[-1] is None:
            raise BadSpecError("{}: the inverted layer {} should have one "
                               "input".format(where, shown(kw["layer"].name)))
    return inputs


def _check_shape(shape, where):
    for size in shape[1:]:
        if size is not None and (not isinstance(size, int) or size < 1):
            raise BadShapeError("{}: output shape {} has a size below 1"
                                .format(where, shown(shape)))


def _suggest(name):
    """'; did you mean ...' for an unknown class name: the same name in
    another case, a class whose nolearn auto-name it is (``maxpool2d``,
    ``conv2d1``), else the closest spelling."""
    import difflib   # only for a misspelt name
    lowered = name.lower()
    by_lower = {c.lower(): c for c in BUILDERS}
    by_auto = {_auto_name(c, ""): c for c in BUILDERS}
    match = (by_lower.get(lowered) or by_auto.get(lowered) or
             by_auto.get(lowered.rstrip("0123456789")))
    if match is None:
        close = difflib.get_close_matches(lowered, list(by_lower), n=1)
        match = by_lower[close[0]] if close else None
    return "; did you mean {!r}?".format(match) if match else ""


def is_spec_list(obj):
    """True for a list of (class, kwargs) or (name, class) items."""
    if not isinstance(obj, (list, tuple)) or not obj:
        return False
    first = obj[0]
    return (isinstance(first, (tuple, list)) and len(first) == 2 and
            (isinstance(first[1], dict) or isinstance(first[1], str) or
             isinstance(first[0], str)))


def looks_like_specs(obj):
    """True for a list with a tuple or list among its items: never a list
    of Lasagne layers, so :func:`build` gives the precise complaint."""
    return isinstance(obj, (list, tuple)) and any(
        isinstance(item, (tuple, list)) for item in obj)
