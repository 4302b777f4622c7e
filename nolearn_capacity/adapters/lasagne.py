"""Lasagne layers (0.1 and 0.2) and nolearn nets -> core records.

Pure duck typing: Lasagne is never imported here, so cuDNN / cuda-convnet /
corrmm classes are recognised by class name on machines without a GPU, and
plain specs (:mod:`nolearn_capacity.adapters.spec`) reuse the same rules by
carrying the attributes a real layer would have.

Each rule is ``rule(layer, n_axes) -> dict`` of record fields.  Users can
add their own with :func:`register_rule`.
"""
import collections.abc
import functools
import math
import numbers

from .. import geometry
from ..registry import Registry
from ..records import (FLOAT32_BYTES, LayerRecord, Network, mult_adds,
                       output_bytes, product)
from ..errors import (BadShapeError, CapacityError, EmptyNetworkError,
                      GraphError, NotANetworkError, UnsupportedLayerError,
                      clipped, describe_layer, printable, shown)

#: nolearn 0.6.1's ``is_conv2d`` / ``is_maxpool2d`` classes, by name.
LEGACY_CONV = ("Conv2DLayer", "Conv2DCCLayer", "Conv2DDNNLayer",
               "Conv2DMMLayer")
LEGACY_MAXPOOL = ("MaxPool2DLayer", "MaxPool2DCCLayer", "MaxPool2DDNNLayer")

RULES = Registry()


def register_rule(*class_names):
    """Decorator: use ``rule(layer, n_axes) -> dict`` for these classes.

    The dict holds :class:`~nolearn_capacity.core.LayerRecord` fields, at
    least ``op``.  Subclasses of a registered class use its rule unless
    they have their own.

    Examples
    --------
    >>> @register_rule("MyBlurLayer")
    ... def blur(layer, n_axes):
    ...     return window(n_axes, kernel=3, pad=1)
    """
    return RULES.register(*class_names)


#: A sliding-window record (conv, pool, pad, slice), per axis.
window = geometry.window


def _op(name):
    return lambda layer, n_axes: dict(op=name)


def _dilation(layer, n_axes):
    value = getattr(layer, "dilation", None)
    if value is None:
        value = getattr(layer, "filter_dilation", 1)
    return geometry.as_tuple(value, n_axes, "dilation")


@register_rule("Conv1DLayer", "Conv2DLayer", "Conv3DLayer", "Conv2DCCLayer",
               "Conv2DDNNLayer", "Conv3DDNNLayer", "Conv2DMMLayer",
               "DilatedConv2DLayer", "LocallyConnected2DLayer",
               "BaseConvLayer")
def conv(layer, n_axes):
    kernel = geometry.as_tuple(layer.filter_size, n_axes, "filter_size")
    dilation = _dilation(layer, n_axes)
    pad = getattr(layer, "pad", 0)
    if isinstance(pad, str):
        pad = tuple(geometry.leading_pad(pad, k, d)
                    for k, d in zip(kernel, dilation))
    return window(n_axes, kernel, getattr(layer, "stride", 1), pad, dilation,
                  learns=True)


@register_rule("TransposedConv2DLayer", "TransposedConv3DLayer",
               "Deconv2DLayer", "Deconv3DLayer")
def transposed_conv(layer, n_axes):
    record = conv(layer, n_axes)
    crop = getattr(layer, "crop", None)
    if crop is not None:
        crop = geometry.as_tuple(crop, n_axes, "crop")
        record["pad"] = tuple(geometry.leading_pad(c, k, d) for c, k, d in
                              zip(crop, record["kernel"], record["dilation"]))
    record["op"] = "transposed"
    return record


@register_rule("Pool1DLayer", "Pool2DLayer", "Pool3DLayer", "MaxPool1DLayer",
               "MaxPool2DLayer", "MaxPool3DLayer", "MaxPool2DCCLayer",
               "Pool2DDNNLayer", "MaxPool2DDNNLayer", "Pool3DDNNLayer",
               "MaxPool3DDNNLayer")
def pool(layer, n_axes):
    size = layer.pool_size
    stride = getattr(layer, "stride", None)
    return window(n_axes, size, size if stride is None else stride,
                  getattr(layer, "pad", 0))


@register_rule("Upscale1DLayer", "Upscale2DLayer", "Upscale3DLayer")
def upscale(layer, n_axes):
    factor = geometry.as_tuple(layer.scale_factor, n_axes, "scale_factor")
    # 'repeat' copies each input unit f times: a transposed window of size
    # f and stride f; 'dilate' puts it in front of f - 1 zeros: size 1.
    kernel = factor if getattr(layer, "mode", "repeat") == "repeat" \
        else (1,) * n_axes
    return dict(op="transposed", kernel=kernel, stride=factor,
                pad=(0,) * n_axes, dilation=(1,) * n_axes)


@register_rule("NINLayer", "NINLayer_c01b")
def nin(layer, n_axes):
    return window(n_axes, learns=True)


def _spatial_axis(layer, n_axes, default=1):
    """The layer's ``axis`` as an index into (batch, channel, *spatial)."""
    return getattr(layer, "axis", default) % (n_axes + 2)


def _width_of(w):
    """Total padding of one axis given as ``n`` or ``(before, after)``."""
    return sum(w) if isinstance(w, (tuple, list)) else w


@register_rule("PadLayer")
def pad_layer(layer, n_axes):
    ndim, batch_ndim, width = n_axes + 2, getattr(layer, "batch_ndim", 2), \
        layer.width
    per_axis = [width] * (ndim - batch_ndim) \
        if isinstance(width, numbers.Integral) else list(width)
    # Widths start after batch_ndim and may stop before the last axis.
    widths = ([0] * batch_ndim + per_axis + [0] * ndim)[:ndim]
    if any(_width_of(w) for w in widths[:2]):
        return dict(op="unknown")   # pads batch or channels: not spatial
    leading = [w[0] if isinstance(w, (tuple, list)) else w
               for w in widths[2:]]
    return window(n_axes, pad=tuple(leading))


@register_rule("SliceLayer")
def slice_layer(layer, n_axes):
    axis, cut = _spatial_axis(layer, n_axes, -1), layer.slice
    if not isinstance(cut, slice):
        return dict(op="unknown")   # an int index removes the axis
    if axis < 2:
        return dict(op="pointwise")
    length = layer.input_shape[axis]
    if (cut.step or 1) <= 0 or (length is None and (cut.start or 0) < 0):
        return dict(op="unknown")
    start, _, step = cut.indices(length) if length is not None \
        else (cut.start or 0, None, cut.step or 1)
    strides = [1] * n_axes
    pads = [0] * n_axes
    strides[axis - 2] = step
    pads[axis - 2] = -start
    return window(n_axes, 1, tuple(strides), tuple(pads))


@register_rule("FeaturePoolLayer", "FeatureWTALayer")
def feature_pool(layer, n_axes):
    axis = _spatial_axis(layer, n_axes)
    if axis < 2:
        return dict(op="pointwise")   # pools channels (maxout)
    if "FeatureWTALayer" in class_names(layer):
        return dict(op="unknown")     # same size, mixes neighbours
    size = [1] * n_axes
    size[axis - 2] = layer.pool_size
    return window(n_axes, tuple(size), tuple(size))


@register_rule("ConcatLayer", "ElemwiseSumLayer", "ElemwiseMergeLayer",
               "AutocropLayer")
def merge(layer, n_axes):
    if "ConcatLayer" in class_names(layer) and \
            _spatial_axis(layer, n_axes) >= 2:
        return dict(op="unknown")   # maps laid side by side, not aligned
    return dict(op="merge",
                cropping=_tuple_or_none(getattr(layer, "cropping", None)))


@register_rule("DenseLayer")
def dense(layer, n_axes):
    leading = getattr(layer, "num_leading_axes", 1)
    if leading < 0:
        leading += n_axes + 2
    return dict(op="collapse" if leading <= 2 else "unknown")


@register_rule("FlattenLayer")
def flatten(layer, n_axes):
    outdim = getattr(layer, "outdim", 2)
    if outdim >= n_axes + 2:
        return dict(op="pointwise")
    # outdim 3 folds the spatial axes into one: still a position per unit
    return dict(op="flatten" if outdim <= 3 else "unknown")


@register_rule("DimshuffleLayer")
def dimshuffle(layer, n_axes):
    pattern = tuple(layer.pattern)
    if pattern[2:] == tuple(range(2, n_axes + 2)) and \
            set(pattern[:2]) <= {0, 1, "x"}:
        return dict(op="pointwise")
    return _same_spatial_shape(layer, n_axes, check_shape=False)


def _same_spatial_shape(layer, n_axes, check_shape=True):
    out = tuple(layer.output_shape)
    inp = tuple(getattr(layer, "input_shape", ()) or ())
    if len(out) <= 2:
        # a reshape to features keeps one position per unit; an expression
        # may compute anything from the map
        return dict(op="flatten" if "ReshapeLayer" in class_names(layer)
                    else "collapse")
    if check_shape and len(out) == len(inp) and out[2:] == inp[2:]:
        return dict(op="pointwise")
    return dict(op="unknown")


@register_rule("InverseLayer")
def inverse(layer, n_axes):
    # The gradient of another layer: a window's inverse is its transpose.
    inverted = layer.input_layers[1]
    rule = RULES.first(class_names(inverted))
    fields = rule(inverted, n_axes) if rule is not None else {}
    if fields.get("op") == "window":
        return dict(fields, op="transposed", learns=False)
    if fields.get("op") == "pointwise":
        return fields
    return dict(op="unknown")


register_rule("ReshapeLayer", "ExpressionLayer")(_same_spatial_shape)
register_rule("InputLayer")(_op("input"))
# Where these sample depends on the data: no bounded field.
register_rule("TransformerLayer", "TPSTransformerLayer")(_op("unknown"))
register_rule(
    "GlobalPoolLayer", "SpatialPyramidPoolingLayer",
    "SpatialPyramidPoolingDNNLayer", "EmbeddingLayer",
    "CustomRecurrentLayer", "RecurrentLayer", "LSTMLayer", "GRULayer")(
    _op("collapse"))


@register_rule("StandardizationLayer")
def standardization(layer, n_axes):
    """Statistics per sample, in training and evaluation alike: over the
    spatial axes (its default on a map: instance norm) every unit depends
    on the whole map, ``'normalise'``; over the features only, per
    position; over some spatial axes only, ``'unknown'``."""
    rank = n_axes + 2
    spatial = set(range(2, rank))
    over = {int(a) % rank for a in layer.axes} & spatial
    if not over:
        return dict(op="pointwise")
    return dict(op="normalise") if over == spatial else dict(
        op="unknown", note="statistics over spatial axes {} of {}".format(
            tuple(sorted(over)), tuple(sorted(spatial))))


# Batch norm evaluates with its stored statistics: per position.
register_rule(
    "NonlinearityLayer", "DropoutLayer", "GaussianNoiseLayer",
    "BatchNormLayer", "BatchNormDNNLayer",
    "LocalResponseNormalization2DLayer", "BiasLayer", "ScaleLayer",
    "ParametricRectifierLayer", "RandomizedRectifierLayer",
    "ShuffleBC01ToC01BLayer", "ShuffleC01BToBC01Layer")(_op("pointwise"))


def _tuple_or_none(value):
    return None if value is None else tuple(value)


# --------------------------------------------------------------------------
# From objects to records
# --------------------------------------------------------------------------

def class_names(layer):
    """The names this layer answers to, most specific first."""
    lineage = getattr(layer, "class_lineage", None)
    if lineage:
        return tuple(lineage)
    return _mro_names(type(layer))


@functools.lru_cache(maxsize=None)
def _mro_names(cls):
    return tuple(c.__name__ for c in cls.__mro__)


def legacy_label(layer):
    """nolearn's name for a row: the layer's name or its class part."""
    if layer.name:
        return layer.name
    return str(layer).rsplit('.')[-1].split(' ')[0]


def legacy_role(names):
    if any(n in LEGACY_CONV for n in names):
        return "conv"
    if any(n in LEGACY_MAXPOOL for n in names):
        return "maxpool"
    return None


def is_layer(obj):
    """True for a Lasagne layer (any version) or a spec layer."""
    return hasattr(obj, "get_output_shape_for") or \
        getattr(obj, "class_lineage", None) is not None


def own_params(layer):
    """``[(key, size)]`` of a layer's trainable parameters; shared
    parameters have the same key."""
    counted = getattr(layer, "n_params", None)
    if counted is not None and getattr(layer, "class_lineage", None):
        return [(("spec", id(layer)), counted)] if counted else []
    params = layer.get_params(trainable=True)
    return [(id(p), math.prod(p.get_value(borrow=True).shape))
            for p in params]


def _parents(layer):
    many = getattr(layer, "input_layers", None)
    if many is not None:
        if not isinstance(many, (list, tuple)):
            raise UnsupportedLayerError(
                "layer {} ({}): input_layers should be a list of layers, got "
                "{}".format(shown(getattr(layer, "name", None)),
                            clipped(printable(class_names(layer)[0])),
                            shown(many)))
        return [p for p in many if p is not None]
    one = getattr(layer, "input_layer", None)
    return [] if one is None else [one]


#: What the adapters take, for messages.
EXPECTED = ("expected a NeuralNet, a Lasagne layer, a list of layers or "
            "layer specs, or a torch module")

#: What a layer object must offer to be read (Lasagne's Layer interface).
LAYER_INTERFACE = ("expected a Lasagne layer: name, output_shape, "
                   "input_layer or input_layers, get_params")


def record_of(layer, index=0, inputs=(), params=None, n_axes=None):
    """One layer as a :class:`LayerRecord`; ``params`` as from
    :func:`own_params` when the caller has them already.

    Sizes come out as Python ints (Lasagne hands numpy integers on, e.g.
    from ``ReshapeLayer``), so every record is plain data.
    """
    names = class_names(layer)

    def where():     # only an error needs it: a repr costs per layer
        return describe_layer(getattr(layer, "name", None), index, names[0])
    try:
        return _record_of(layer, names, where, inputs, params, n_axes)
    except CapacityError:
        raise
    except (AttributeError, TypeError, ValueError, LookupError,
            ArithmeticError) as error:
        # a duck-typed object that is not quite a layer
        raise UnsupportedLayerError("{}: cannot be read ({}); {}".format(
            where(), clipped(printable(error), 120), LAYER_INTERFACE)) \
            from error


def _record_of(layer, names, where, inputs, params, n_axes):
    label = legacy_label(layer)
    try:
        shape = tuple(layer.output_shape)
    except AttributeError:
        raise
    except Exception as error:   # a layer that cannot compute its shape
        raise BadShapeError("{}: cannot compute its output shape: {}".format(
            where(), clipped(printable(error), 120))) from error
    if not all(s is None or _is_int(s) for s in shape):
        raise BadShapeError("{}: output shape {} should hold ints or None"
                            .format(where(), shown(shape)))
    shape = _plain(shape)
    role = legacy_role(names)
    legacy_size = None
    if role == "conv":
        legacy_size = layer.filter_size
    elif role == "maxpool":
        legacy_size = layer.pool_size
    rule = RULES.first(names)
    if n_axes is None:
        in_shape = getattr(layer, "input_shape", None) or shape
        n_axes = max(len(in_shape) - 2, 0)
    fields = {"op": "unknown"}
    if rule is not None:
        try:
            fields = rule(layer, n_axes)
        except (AttributeError, TypeError, ValueError) as error:
            raise UnsupportedLayerError("{}: {}".format(
                where(), clipped(printable(error), 120))) from error
    if params is None:
        params = own_params(layer)
    n_params = int(sum(size for _, size in params))
    return LayerRecord(name=layer.name, label=label, class_name=names[0],
                       inputs=tuple(inputs), output_shape=shape,
                       n_params=n_params, legacy_role=role,
                       legacy_size=_plain(legacy_size),
                       mult_adds=_mult_adds(layer, names, fields, shape,
                                            n_params),
                       param_bytes=n_params * FLOAT32_BYTES,
                       activation_bytes=output_bytes(shape),
                       **{k: _plain(v) for k, v in fields.items()})


#: Classes whose weights are applied once per time step.
RECURRENT = ("CustomRecurrentLayer", "RecurrentLayer", "LSTMLayer",
             "GRULayer")


def _mult_adds(layer, names, fields, shape, n_params):
    """The layer's mult-adds per example (see
    :func:`~nolearn_capacity.records.mult_adds`): a conv's or NIN's
    parameters at every output position, a recurrence's at every time
    step, norms', biases' and scales' once (per channel, as torchinfo
    counts them)."""
    if not n_params:
        return 0
    if any(n in RECURRENT for n in names):
        return mult_adds(n_params, product(layer.input_shapes[0][1:2]))
    if "DenseLayer" in names:
        return mult_adds(n_params, product(shape[1:-1]))  # leading axes
    if not fields.get("learns"):
        return n_params
    positions = product(shape[2:])
    if positions is None:
        return None
    # a bias of one value per unit (untied) is applied once, at its unit;
    # a locally connected layer has one weight per position, applied once
    bias = shape[1] if getattr(layer, "b", True) is not None else 0
    untied = getattr(layer, "untie_biases", False)
    if "LocallyConnected2DLayer" in names:
        return n_params + (0 if untied else bias * (positions - 1))
    if untied:
        return (n_params - bias * positions) * positions + bias * positions
    return n_params * positions


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _plain(value):
    """numpy integers -> int, inside tuples and lists too (as tuples)."""
    kind = type(value)
    if kind is int or value is None or kind is str:    # most values
        return value
    if kind is tuple or kind is list:
        return tuple(_plain(v) for v in value)
    return int(value) if _is_int(value) else value


def all_layers(outputs):
    """Every layer feeding ``outputs``, in topological order, without
    recursion (an explicit stack, as deep nets would overflow Python's)."""
    result, done, on_path = [], set(), set()
    stack = [(layer, False) for layer in reversed(outputs)]
    while stack:
        layer, expanded = stack.pop()
        key = id(layer)
        if expanded:
            on_path.discard(key)
            if key not in done:
                done.add(key)
                result.append(layer)
            continue
        if key in done:
            continue
        if key in on_path:
            raise GraphError("the layers form a cycle through {}".format(
                describe_layer(getattr(layer, "name", None), len(result),
                               class_names(layer)[0])))
        on_path.add(key)
        stack.append((layer, True))
        for parent in reversed(_parents(layer)):
            if id(parent) not in done:
                stack.append((parent, False))
    return result


def network_of(layers, complete=True):
    """A list of layers (in the caller's order) as a :class:`Network`.

    With ``complete``, every layer's inputs must be in the list (exact mode
    needs the graph); nolearn's list walk needs only the order.
    """
    layers = list(layers)
    if not layers:
        raise EmptyNetworkError("the network has no layers")
    position = {}
    for index, layer in enumerate(layers):
        _check_is_layer(layer, index)
        position[id(layer)] = index
    records, seen_params = [], {}
    for index, layer in enumerate(layers):
        inputs = []
        for parent in _parents(layer):
            if id(parent) in position:
                inputs.append(position[id(parent)])
            elif complete:
                raise GraphError(
                    "{} takes input from a layer that is not in the list"
                    .format(describe_layer(getattr(layer, "name", None),
                                           index, class_names(layer)[0])))
        try:
            params = own_params(layer)
        except (AttributeError, TypeError, ValueError) as error:
            raise UnsupportedLayerError("{}: cannot count its parameters "
                                        "({}); {}".format(
                describe_layer(getattr(layer, "name", None), index,
                               class_names(layer)[0]),
                clipped(printable(error), 120), LAYER_INTERFACE)) from error
        records.append(record_of(layer, index, inputs, params))
        seen_params.update(params)
    total = sum(seen_params.values())
    return Network(tuple(records), total, total * FLOAT32_BYTES)


def layers_of(obj):
    """The layer list of a nolearn net, a layers dict, an output layer or a
    list of layers, in nolearn's order."""
    layers_ = getattr(obj, "layers_", None)
    if layers_ is not None:
        return list(layers_.values())
    if hasattr(obj, "initialize_layers") and hasattr(obj, "layers"):
        # An unbuilt NeuralNet given Lasagne layer objects.
        return all_layers(list(obj.layers))
    if isinstance(obj, dict):
        obj = obj.values()
    elif is_layer(obj):
        return all_layers([obj])
    if not isinstance(obj, collections.abc.Collection):
        hint = ", an iterator without a length: pass a list" \
            if isinstance(obj, collections.abc.Iterator) else ""
        raise NotANetworkError("{}, got {}{}".format(
            EXPECTED, type(obj).__name__, hint))
    layers = []
    for index, item in enumerate(obj):    # stop at the first stranger
        _check_is_layer(item, index)
        layers.append(item)
    return layers


def _check_is_layer(obj, index):
    if not is_layer(obj):
        raise NotANetworkError(
            "item #{} is a {}, not a Lasagne layer or layer spec".format(
                index, type(obj).__name__))


def needs_graph_completion(layers):
    wanted = {id(layer) for layer in layers}
    return any(id(p) not in wanted
               for layer in layers for p in _parents(layer))
