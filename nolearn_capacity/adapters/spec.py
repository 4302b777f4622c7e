"""Plain layer specs: Lasagne's vocabulary without Theano.

A spec is nolearn's ``layers=[(Conv2DLayer, {...}), ...]`` with class
*names* (classes are accepted too), or nolearn's older
``[('conv1', 'Conv2DLayer'), ...]`` with ``conv1_filter_size=...`` keywords.
Each item becomes a :class:`SpecLayer` carrying the attributes the real
Lasagne layer would have, so :mod:`.lasagne`'s rules read both alike.
Output shapes and parameter counts are computed here, with Lasagne's
defaults and :mod:`nolearn_capacity.geometry`.
"""
import warnings
from functools import reduce
from operator import mul

from .. import geometry
from ..errors import BadShapeError, BadSpecError, describe_layer

BUILDERS = {}

#: Old argument names that Kaggle-era scripts use -> Lasagne's names.
RENAMED = {"ds": "pool_size", "strides": "stride", "st": "stride",
           "border_mode": "pad"}


class SpecLayer(object):
    """A layer described by a spec: Lasagne attributes, no Theano."""

    def __init__(self, class_name, name, inputs, attrs, output_shape,
                 n_params):
        self.class_lineage = (class_name,)
        self.name = name
        if len(inputs) == 1:
            self.input_layer = inputs[0]
            self.input_shape = inputs[0].output_shape
        elif inputs:
            self.input_layers = list(inputs)
            self.input_shapes = [i.output_shape for i in inputs]
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
    def add(build):
        for name in class_names:
            BUILDERS[name] = build
        return build
    return add


def _prod(values):
    return reduce(mul, values, 1)


def _n_axes(class_name, default=2):
    for n in (1, 2, 3):
        if "{}D".format(n) in class_name:
            return n
    return default


@builder("InputLayer")
def _input(cls, kw, shapes):
    shape = tuple(kw.pop("shape"))
    kw.pop("input_var", None)
    return {"shape": shape}, shape, 0


@builder("Conv1DLayer", "Conv2DLayer", "Conv3DLayer", "Conv2DDNNLayer",
         "Conv3DDNNLayer", "Conv2DMMLayer", "Conv2DCCLayer",
         "DilatedConv2DLayer")
def _conv(cls, kw, shapes):
    (shape,) = shapes
    n = _n_axes(cls)
    filters = kw.pop("num_filters")
    size = geometry.as_tuple(kw.pop("filter_size"), n, "filter_size")
    stride = geometry.as_tuple(kw.pop("stride", 1), n, "stride")
    dilation = geometry.as_tuple(kw.pop("dilation", 1), n, "dilation")
    pad = kw.pop("pad", 0)
    if pad == "valid":
        pad = (0,) * n
    elif not isinstance(pad, str):
        pad = geometry.as_tuple(pad, n, "pad")
    pads = pad if isinstance(pad, tuple) else (pad,) * n
    out = tuple(geometry.conv_output_length(length, k, s, p, d) for
                length, k, s, p, d in zip(shape[2:], size, stride, pads,
                                          dilation))
    untie = kw.pop("untie_biases", False)
    bias = 0 if _no("b", kw) else filters * (_prod(out) if untie else 1)
    weights = filters * shape[1] * _prod(size)
    attrs = {"num_filters": filters, "filter_size": size, "stride": stride,
             "pad": pad, "untie_biases": untie}
    if cls == "DilatedConv2DLayer":
        attrs["dilation"] = dilation
    return attrs, (shape[0], filters) + out, weights + bias


@builder("MaxPool1DLayer", "MaxPool2DLayer", "MaxPool3DLayer", "Pool1DLayer",
         "Pool2DLayer", "Pool3DLayer", "MaxPool2DDNNLayer", "Pool2DDNNLayer",
         "MaxPool2DCCLayer")
def _pool(cls, kw, shapes):
    (shape,) = shapes
    n = _n_axes(cls)
    size = geometry.as_tuple(kw.pop("pool_size"), n, "pool_size")
    stride = kw.pop("stride", None)
    stride = size if stride is None else geometry.as_tuple(stride, n, "stride")
    pad = geometry.as_tuple(kw.pop("pad", 0), n, "pad")
    ignore_border = kw.pop("ignore_border", True)
    mode = kw.pop("mode", "max")
    out = tuple(geometry.pool_output_length(length, k, s, p, ignore_border)
                for length, k, s, p in zip(shape[2:], size, stride, pad))
    attrs = {"pool_size": size, "stride": stride, "pad": pad,
             "ignore_border": ignore_border, "mode": mode}
    return attrs, shape[:2] + out, 0


@builder("DenseLayer")
def _dense(cls, kw, shapes):
    (shape,) = shapes
    units = kw.pop("num_units")
    inputs = _prod(shape[1:])
    bias = 0 if _no("b", kw) else units
    return {"num_units": units}, (shape[0], units), inputs * units + bias


@builder("DropoutLayer", "NonlinearityLayer", "GaussianNoiseLayer",
         "LocalResponseNormalization2DLayer")
def _same_shape(cls, kw, shapes):
    (shape,) = shapes
    for key in ("p", "rescale", "nonlinearity", "sigma", "alpha", "k",
                "beta", "n"):
        kw.pop(key, None)
    return {}, shape, 0


def _no(param, kw):
    """True when a parameter is switched off (``b=None``)."""
    return param in kw and kw.pop(param) is None


# --------------------------------------------------------------------------
# Lists of specs -> SpecLayer objects
# --------------------------------------------------------------------------

def _class_name(factory, index):
    name = factory if isinstance(factory, str) else getattr(
        factory, "__name__", None)
    if not isinstance(name, str):
        raise BadSpecError("spec #{}: layer class should be a class or a "
                           "class name, got {!r}".format(index, factory))
    return name.rsplit(".", 1)[-1]


def _auto_name(class_name, index):
    # nolearn's rule: 'Conv2DLayer' as layer 1 is called 'conv2d1'.
    return "{}{}".format(class_name.lower().replace("layer", ""), index)


def _normalise(item, index, keywords):
    """One list item -> (class name, kwargs) with nolearn's naming."""
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        raise BadSpecError("spec #{}: expected (class, kwargs) or (name, "
                           "class), got {!r}".format(index, item))
    if isinstance(item[1], dict):
        cls = _class_name(item[0], index)
        kw = dict(item[1])
        kw.setdefault("name", _auto_name(cls, index))
    else:
        cls = _class_name(item[1], index)
        kw = {"name": item[0]}
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
    return cls, kw


def build(specs, **keywords):
    """Spec items -> list of :class:`SpecLayer`, in the given order.

    ``keywords`` are nolearn's ``<layer name>_<argument>=value`` keywords.
    """
    layers, by_name = [], {}
    for index, item in enumerate(specs):
        cls, kw = _normalise(item, index, keywords)
        name = kw.pop("name")
        where = describe_layer(name, index, cls)
        if name in by_name:
            raise BadSpecError("{}: two layers are named {!r}".format(
                where, name))
        make = BUILDERS.get(cls)
        if make is None:
            raise BadSpecError("{}: unknown layer class {!r}{}".format(
                where, cls, _suggest(cls)))
        inputs = _inputs(kw, cls, layers, by_name, where)
        shapes = [i.output_shape for i in inputs]
        try:
            attrs, out, n_params = make(cls, kw, shapes)
        except KeyError as error:
            raise BadSpecError("{}: missing argument {}".format(
                where, error)) from None
        except (TypeError, ValueError) as error:
            raise BadSpecError("{}: {}".format(where, error)) from None
        leftover = set(kw) - {"W", "b", "nonlinearity", "incoming",
                              "incomings"}
        if leftover:
            raise BadSpecError("{}: unexpected arguments {}".format(
                where, ", ".join(sorted(leftover))))
        _check_shape(out, where)
        layer = SpecLayer(cls, name, inputs, attrs, out, n_params)
        layers.append(layer)
        by_name[name] = layer
    return layers


def _inputs(kw, cls, layers, by_name, where):
    if cls == "InputLayer":
        return []
    if "incomings" in kw:
        names = kw["incomings"]
    elif "incoming" in kw:
        names = [kw["incoming"]]
    elif layers:
        return [layers[-1]]
    else:
        raise BadSpecError("{}: the first layer must be an InputLayer".format(
            where))
    missing = [n for n in names if n not in by_name]
    if missing:
        raise BadSpecError("{}: incoming layer {!r} is not defined before "
                           "it".format(where, missing[0]))
    return [by_name[n] for n in names]


def _check_shape(shape, where):
    for size in shape[1:]:
        if size is not None and (not isinstance(size, int) or size < 1):
            raise BadShapeError("{}: output shape {} has a size below 1"
                                .format(where, shape))


def _suggest(name):
    import difflib
    close = difflib.get_close_matches(name, list(BUILDERS), n=1)
    return "; did you mean {!r}?".format(close[0]) if close else ""


def is_spec_list(obj):
    """True for a list of (class, kwargs) or (name, class) items."""
    if not isinstance(obj, (list, tuple)) or not obj:
        return False
    first = obj[0]
    return (isinstance(first, (tuple, list)) and len(first) == 2 and
            (isinstance(first[1], dict) or isinstance(first[1], str) or
             isinstance(first[0], str)))
