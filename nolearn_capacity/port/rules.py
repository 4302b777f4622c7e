"""One port rule per Lasagne layer class: torch source and weight layout.

A rule is ``rule(layer) -> Piece``, where ``layer`` is a :class:`View`
(the Lasagne layer or spec layer with its options, defaults resolved).
A :class:`Piece` says which torch module to build (source text), the
expression its output is computed by in ``forward``, Lasagne's parameters
in ``get_params()`` order with their shapes, and how each becomes a
``state_dict`` entry.  Rules never import torch or Lasagne: they write
source and move numpy arrays.

Custom modules are used only where torch has none; their source is in
:data:`HELPERS` and is copied into the generated file when a rule names
them.
"""
import inspect
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..errors import UnsupportedLayerError, describe_layer, shown
from ..registry import Registry

PORT_RULES = Registry()


def register_port_rule(*class_names):
    """Decorator: port layers of these classes with ``rule(view) -> Piece``.

    A subclass uses its base's rule only when it does not override
    ``get_output_for`` (then it computes what its base computes).

    Examples
    --------
    >>> @register_port_rule("MyScaleLayer")
    ... def my_scale(view):
    ...     return Piece(forward="{x} * %r" % view.option("factor", 2.0))
    """
    return PORT_RULES.register(*class_names)


@dataclass
class Piece:
    """What one Lasagne layer becomes.

    ``module``: constructor source of the submodule, or None; ``forward``:
    a template with ``{m}`` (the submodule), ``{x}`` (the first input),
    ``{inputs}`` (all inputs, comma-separated) and ``{x0}``, ``{x1}``...;
    ``params``: ``[(lasagne name, shape)]``; ``convert``:
    ``{lasagne name: (state_dict suffix, function array -> array)}``;
    ``helpers``: names in :data:`HELPERS` the source needs.
    """
    forward: str
    module: str = None
    params: list = field(default_factory=list)
    convert: dict = field(default_factory=dict)
    helpers: tuple = ()


class View(object):
    """A layer as the rules read it: attributes of a real Lasagne layer,
    else the spec's arguments, else the class's ``__init__`` default."""

    def __init__(self, layer, index, names, options=None, cls=None):
        self.layer, self.index, self.names = layer, index, names
        self.name = getattr(layer, "name", None)
        self.options = options or {}
        self.cls = cls
        self.out_shape = tuple(layer.output_shape)
        shapes = getattr(layer, "input_shapes", None)
        if shapes is None:
            one = getattr(layer, "input_shape", None)
            shapes = [] if one is None else [one]
        self.in_shapes = [tuple(s) for s in shapes]

    @property
    def in_shape(self):
        return self.in_shapes[0]

    def where(self):
        return describe_layer(self.name, self.index, self.names[0])

    def fail(self, what):
        return UnsupportedLayerError("{}: {}".format(self.where(), what))

    def option(self, key, default=None):
        if hasattr(self.layer, key):
            return getattr(self.layer, key)
        if key in self.options:
            return self.options[key]
        return self.class_default(key, default)

    def class_default(self, key, default=None):
        """The default of ``key`` in the layer class's ``__init__`` (when
        the class itself is known), else ``default``."""
        if self.cls is not None:
            try:
                parameter = inspect.signature(self.cls.__init__).parameters[
                    key]
                if parameter.default is not inspect.Parameter.empty:
                    return parameter.default
            except (KeyError, TypeError, ValueError):
                pass
        return default

    def has_bias(self):
        # a real layer has b None; a spec says b=None
        if hasattr(self.layer, "b"):
            return self.layer.b is not None
        return not ("b" in self.options and self.options["b"] is None)


# --------------------------------------------------------------------------
# Nonlinearities: lasagne.nonlinearities by name
# --------------------------------------------------------------------------

#: name -> forward template (``{}`` is the pre-activation).
ACTIVATIONS = {
    "rectify": "torch.relu({})",
    "sigmoid": "torch.sigmoid({})",
    "tanh": "torch.tanh({})",
    "linear": "{}",
    "identity": "{}",
    "softplus": "F.softplus({})",
    "elu": "F.elu({})",
    "leaky_rectify": "F.leaky_relu({}, 0.01)",
    "very_leaky_rectify": "F.leaky_relu({}, 1.0 / 3)",
}


def activation(view, default="rectify"):
    """The layer's nonlinearity -> (template, helpers)."""
    if getattr(view.layer, "class_lineage", None) is not None:
        # a spec layer keeps no nonlinearity of its own (the spec adapter
        # stores None for NonlinearityLayer): the argument given, else
        # Lasagne's default
        f = view.options["nonlinearity"] if "nonlinearity" in \
            view.options else view.class_default("nonlinearity", default)
    else:
        f = view.option("nonlinearity", default)
    if f is None:
        return "{}", ()
    kind = type(f).__name__
    if kind == "LeakyRectify":
        return "F.leaky_relu({{}}, {!r})".format(float(f.leakiness)), ()
    if kind in ("ScaledTanH", "ScaledTanh"):
        return "{!r} * torch.tanh({!r} * {{}})".format(
            float(f.scale_out), float(f.scale_in)), ()
    if kind == "SELU":
        return "{!r} * F.elu({{}}, {!r})".format(
            float(f.scale), float(f.scale_neg)), ()
    name = f if isinstance(f, str) else getattr(f, "__name__", None)
    if isinstance(name, str):
        name = name.rsplit(".", 1)[-1]
    if name == "softmax":
        # Theano's softmax normalises the rows of a matrix; Lasagne only
        # feeds it 2-d outputs.
        return "torch.softmax({}, dim=-1)", ()
    if name in ACTIVATIONS:
        return ACTIVATIONS[name], ()
    raise view.fail("nonlinearity {} has no torch equivalent here (known: "
                    "{}, LeakyRectify, ScaledTanH, SELU)".format(
                        shown(f), ", ".join(sorted(ACTIVATIONS) +
                                            ["softmax"])))


def _apply(template, expression):
    # str.format would read the braces of nested templates
    return template.replace("{}", expression, 1) if template.count("{}") \
        == 1 else template.replace("{}", expression)


def compact(values):
    """``(3, 3)`` -> ``3``: how torch's constructors read best."""
    values = tuple(values)
    return values[0] if len(set(values)) == 1 else values


def optional(name, value, default):
    """``, name=value`` unless ``value`` is torch's default."""
    if isinstance(value, tuple):
        if all(v == default for v in value):
            return ""
        value = compact(value)
    elif value == default:
        return ""
    return ", {}={!r}".format(name, value)


def _ints(value, n):
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    return tuple(int(v) for v in value)


# --------------------------------------------------------------------------
# Conv
# --------------------------------------------------------------------------

#: class -> (spatial axes, flips filters by default).  Lasagne 0.1's own
#: conv layers call Theano's conv2d, a true convolution; cuDNN, corrmm and
#: cuda-convnet correlate unless ``flip_filters=True``.
CONV_CLASSES = {
    "Conv1DLayer": (1, True), "Conv2DLayer": (2, True),
    "Conv3DLayer": (3, True), "Conv2DDNNLayer": (2, False),
    "Conv3DDNNLayer": (3, False), "Conv2DMMLayer": (2, False),
    "Conv2DCCLayer": (2, False),
}


def conv_padding(pad, sizes):
    """Lasagne's conv ``pad`` -> ``(before, after)`` per axis.  'same'
    pads ``k // 2`` before and ``(k - 1) // 2`` after, as Lasagne 0.1's
    Conv2DLayer does for even filters too (torch pads the other way)."""
    if pad == "valid":
        return [(0, 0)] * len(sizes)
    if pad == "full":
        return [(k - 1, k - 1) for k in sizes]
    if pad == "same":
        return [(k // 2, (k - 1) // 2) for k in sizes]
    return [(p, p) for p in _ints(pad, len(sizes))]


def _conv_class(view):
    return next(n for n in view.names if n in CONV_CLASSES)


def _pad_source(widths, value=None):
    """``F.pad`` call for ``(before, after)`` per spatial axis."""
    flat = []
    for before, after in reversed(widths):
        flat += [before, after]
    extra = "" if value is None else ", value={}".format(value)
    return "F.pad({{x}}, {}{})".format(tuple(flat), extra)


def _weighted_module(view, torch_class, arguments, untied_shape):
    """``(module source, helpers)`` of a conv-like layer: torch's own
    class, or our ``Untied<class>`` (written into the file) when the biases
    are untied (one per output position: ``untied_shape``)."""
    if untied_shape is not None:
        return ("Untied{}({}, out_size={})".format(
            torch_class, arguments, untied_shape), ("Untied" + torch_class,))
    return ("nn.{}({}{})".format(torch_class, arguments, optional(
        "bias", view.has_bias(), True)), ())


def _weighted_piece(view, torch_class, arguments, units, untied,
                    weight_shape, convert_weight):
    """A conv-like layer run as torch's module ``{m}({x})``: its module,
    ``W`` (Lasagne's ``weight_shape``, turned into torch's by
    ``convert_weight``), its bias, then its nonlinearity."""
    untied_shape = view.out_shape[2:] if untied else None
    module, helpers = _weighted_module(view, torch_class, arguments,
                                       untied_shape)
    template, more = activation(view)
    params = [("W", weight_shape)]
    convert = {"W": ("weight", convert_weight)}
    _add_bias(view, units, untied_shape, params, convert)
    return Piece(forward=_apply(template, "{m}({x})"), module=module,
                 params=params, convert=convert, helpers=helpers + more)


def _add_bias(view, units, untied_shape, params, convert):
    """Lasagne's ``b`` of a conv / dense layer, if it has one: one per
    unit, or one per unit and output position (``untied_shape``)."""
    if not view.has_bias():
        return
    params.append(("b", (units,) + tuple(untied_shape or ())))
    convert["b"] = ("untied_bias" if untied_shape is not None else "bias",
                    _same)


@register_port_rule(*CONV_CLASSES)
def conv(view):
    n, flips = CONV_CLASSES[_conv_class(view)]
    c01b = _c01b(view)
    if view.option("num_groups", 1) != 1:
        raise view.fail("num_groups={} is not ported".format(
            view.option("num_groups")))
    convolution = getattr(view.option("convolution", None), "__name__",
                          "conv")
    if not convolution.startswith("conv"):
        raise view.fail("convolution={} is not ported: only Theano's "
                        "conv1d / conv2d".format(shown(convolution)))
    sizes = _ints(view.option("filter_size"), n)
    stride = _ints(view.option("stride", 1), n)
    widths = conv_padding(view.option("pad", 0), sizes)
    in_shape, out_shape = _bc01(view.in_shape, c01b), _bc01(
        view.out_shape, c01b)
    channels, filters = in_shape[1], int(view.option("num_filters"))
    flip = bool(view.option("flip_filters", flips))
    symmetric = all(a == b for a, b in widths)
    padding = tuple(a for a, _ in widths) if symmetric else (0,) * n
    untied = bool(view.option("untie_biases", False)) and view.has_bias()
    torch_class = "Conv{}d".format(n)
    arguments = "{}, {}, {}".format(channels, filters, compact(sizes)) + \
        optional("stride", stride, 1) + optional("padding", padding, 0)
    module, helpers = _weighted_module(view, torch_class, arguments,
                                       out_shape[2:] if untied else None)
    x = "{x}.permute(3, 0, 1, 2)" if c01b else "{x}"
    if not symmetric:
        x = _pad_source(widths).replace("{x}", x)
    template, more = activation(view)
    forward = _apply(template, "{{m}}({})".format(x))
    change = _flipped if flip else _same
    params = [("W", (filters, channels) + sizes)]
    if c01b:
        # cuda-convnet's own layout: (channels, rows, cols, filters)
        forward = "({}).permute(1, 2, 3, 0)".format(forward)
        params = [("W", (channels,) + sizes + (filters,))]
        change = _from_c01b_flipped if flip else _from_c01b
    convert = {"W": ("weight", change)}
    _add_bias(view, filters, out_shape[2:] if untied else None, params,
              convert)
    return Piece(forward=forward, module=module, params=params,
                 convert=convert, helpers=helpers + more)


def _c01b(view):
    """cuda-convnet's layers with ``dimshuffle=False`` take and give
    (channels, rows, cols, batch)."""
    return "CCLayer" in view.names and view.option("dimshuffle",
                                                   True) is False


def _bc01(shape, c01b):
    return (shape[3],) + tuple(shape[:3]) if c01b else tuple(shape)


def _from_c01b(value):
    return np.ascontiguousarray(value.transpose(3, 0, 1, 2))


def _from_c01b_flipped(value):
    return _flipped(_from_c01b(value))


def _same(value):
    return value


def _flipped(value):
    # a true convolution is a correlation with the kernel turned around
    axes = tuple(range(2, value.ndim))
    return np.ascontiguousarray(np.flip(value, axes))


def _transposed(value):
    return np.ascontiguousarray(value.T)


@register_port_rule("TransposedConv2DLayer", "Deconv2DLayer")
def transposed_conv(view):
    """Lasagne 0.2: the gradient of a conv with respect to its input
    (Theano's AbstractConv2d_gradInputs, ``filter_flip=not
    flip_filters``), ``W`` of shape (inputs, filters, rows, cols) as
    torch's ConvTranspose2d; ``crop='same'`` is Theano's 'half'."""
    sizes = _ints(view.option("filter_size"), 2)
    stride = _ints(view.option("stride", 1), 2)
    crop = view.option("crop", 0)
    crops = {"valid": (0, 0), "full": tuple(k - 1 for k in sizes),
             "same": tuple(k // 2 for k in sizes)}.get(crop) \
        if isinstance(crop, str) else _ints(crop, 2)
    channels, filters = view.in_shape[1], int(view.option("num_filters"))
    natural = tuple((i - 1) * s - 2 * c + k for i, s, c, k in zip(
        view.in_shape[2:], stride, crops, sizes))
    extra = tuple(o - n for o, n in zip(view.out_shape[2:], natural))
    if any(e < 0 or e >= s for e, s in zip(extra, stride)):
        raise view.fail("output_size {} cannot be reached by torch's "
                        "output_padding".format(view.out_shape[2:]))
    untied = bool(view.option("untie_biases", False)) and view.has_bias()
    arguments = "{}, {}, {}".format(channels, filters, compact(sizes)) + \
        optional("stride", stride, 1) + optional("padding", crops, 0) + \
        optional("output_padding", extra, 0)
    flip = not bool(view.option("flip_filters", False))
    return _weighted_piece(view, "ConvTranspose2d", arguments, filters,
                           untied, (channels, filters) + sizes,
                           _flipped if flip else _same)


@register_port_rule("DilatedConv2DLayer")
def dilated_conv(view):
    """Lasagne 0.2: a dilated correlation (computed as Theano's
    AbstractConv2d_gradWeights), ``W`` of shape (inputs, filters, rows,
    cols): swapped to torch's (filters, inputs, ...), not flipped."""
    if view.option("flip_filters", False):
        raise view.fail("flip_filters=True is not ported (Lasagne refuses "
                        "it too)")
    sizes = _ints(view.option("filter_size"), 2)
    dilation = _ints(view.option("dilation", 1), 2)
    channels, filters = view.in_shape[1], int(view.option("num_filters"))
    if bool(view.option("untie_biases", False)) and view.has_bias():
        raise view.fail("untie_biases=True is not ported for dilated convs")
    template, more = activation(view)
    params = [("W", (channels, filters) + sizes)]
    convert = {"W": ("weight", lambda w: np.ascontiguousarray(
        w.transpose(1, 0, 2, 3)))}
    _add_bias(view, filters, None, params, convert)
    return Piece(forward=_apply(template, "{m}({x})"),
                 module="nn.Conv2d({}, {}, {}{}{})".format(
                     channels, filters, compact(sizes),
                     optional("dilation", dilation, 1),
                     optional("bias", view.has_bias(), True)),
                 params=params, convert=convert, helpers=more)


@register_port_rule("Upscale1DLayer", "Upscale2DLayer", "Upscale3DLayer")
def upscale(view):
    n = len(view.in_shape) - 2
    factor = _ints(view.option("scale_factor"), n)
    if view.option("mode", "repeat") != "repeat":
        raise view.fail("mode={} is not ported (only 'repeat')".format(
            shown(view.option("mode"))))
    # repeating each unit f times is nearest-neighbour upsampling by f
    return Piece(forward="{m}({x})", module="nn.Upsample(scale_factor={!r}, "
                 "mode='nearest')".format(
                     tuple(float(f) for f in factor)))


#: class -> (Lasagne's parameter, helper module)
BROADCAST_CLASSES = {"BiasLayer": ("b", "Bias"),
                     "ScaleLayer": ("scales", "Scale"),
                     "ParametricRectifierLayer": ("alpha",
                                                  "ParametricRectifier")}


@register_port_rule(*BROADCAST_CLASSES)
def broadcast_param(view):
    """A parameter with one value per position of the axes not in
    ``shared_axes``: torch's copy has size 1 on the shared ones."""
    name = next(n for n in view.names if n in BROADCAST_CLASSES)
    param, helper = BROADCAST_CLASSES[name]
    ndim = len(view.in_shape)
    shared = view.option("shared_axes", "auto")
    if shared == "auto":
        shared = (0,) + tuple(range(2, ndim))
    elif shared == "all":
        shared = tuple(range(ndim))
    shared = tuple(a % ndim for a in _ints(shared, 1)) if isinstance(
        shared, numbers.Integral) else tuple(a % ndim for a in shared)
    if 0 not in shared:
        raise view.fail("a parameter per example (axis 0 not in "
                        "shared_axes) is not ported")
    if name == "BiasLayer" and not view.has_bias():
        return Piece(forward="{x}")
    kept = tuple(view.in_shape[a] for a in range(ndim) if a not in shared)
    torch_shape = tuple(1 if a in shared else view.in_shape[a]
                        for a in range(1, ndim))
    return Piece(forward="{m}({x})",
                 module="{}({})".format(helper, torch_shape),
                 params=[(param, kept)],
                 convert={param: (param, lambda v: np.ascontiguousarray(
                     v.reshape(torch_shape)))},
                 helpers=(helper,))


@register_port_rule("NINLayer")
def nin(view):
    n = len(view.in_shape) - 2
    channels, units = view.in_shape[1], int(view.option("num_units"))
    untied = bool(view.option("untie_biases", False)) and view.has_bias()
    torch_class = "Conv{}d".format(n)
    arguments = "{}, {}, kernel_size=1".format(channels, units)
    # Lasagne's W is (channels in, units); a 1x1 conv's is (out, in, 1...)
    return _weighted_piece(view, torch_class, arguments, units, untied,
                           (channels, units),
                           lambda w: np.ascontiguousarray(
                               w.T.reshape(w.shape[::-1] + (1,) * n)))


@register_port_rule("DenseLayer")
def dense(view):
    shape = view.in_shape
    leading = int(view.option("num_leading_axes", 1))
    if leading < 0:
        leading += len(shape)
    inputs = int(np.prod(shape[leading:]))
    units = int(view.option("num_units"))
    x = "{x}" if len(shape) == leading + 1 else \
        "{{x}}.flatten({})".format(leading)
    template, more = activation(view)
    params = [("W", (inputs, units))]
    convert = {"W": ("weight", _transposed)}
    _add_bias(view, units, None, params, convert)
    return Piece(forward=_apply(template, "{{m}}({})".format(x)),
                 module="nn.Linear({}, {}{})".format(
                     inputs, units, optional("bias", view.has_bias(), True)),
                 params=params, convert=convert, helpers=more)


@register_port_rule("EmbeddingLayer")
def embedding(view):
    size_in = int(view.option("input_size"))
    size_out = int(view.option("output_size"))
    return Piece(forward="{m}({x}.long())",
                 module="nn.Embedding({}, {})".format(size_in, size_out),
                 params=[("W", (size_in, size_out))],
                 convert={"W": ("weight", _same)})


# --------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------

POOL_MODES = {"max": "MaxPool", "average_inc_pad": "AvgPool",
              "average_exc_pad": "AvgPool"}


def _pool_arguments(view, n):
    """Lasagne's pooling -> (kernel, stride, pad, ceil_mode, mode), exact
    for Theano: ``ignore_border=False`` keeps a partial last window, which
    is torch's ceil_mode as long as one full window fits; a window wider
    than the input shrinks to the input (Theano pools what is there)."""
    sizes = _ints(view.option("pool_size"), n)
    stride = view.option("stride", None)
    stride = sizes if stride is None else _ints(stride, n)
    pad = _ints(view.option("pad", 0), n)
    keep_partial = not view.option("ignore_border", True)
    mode = "max" if "MaxPool2DCCLayer" in view.names or \
        any(name.startswith("MaxPool") for name in view.names[:1]) \
        else view.option("mode", "max")
    if keep_partial:
        spatial = _bc01(view.in_shape, _c01b(view))[2:]
        sizes = tuple(k if length is None else min(k, length)
                      for k, length in zip(sizes, spatial))
    for k, p in zip(sizes, pad):
        if p > k // 2:
            raise view.fail("pad {} is more than half the pool size {}: "
                            "torch cannot pool that".format(pad, sizes))
    if mode not in POOL_MODES:
        raise view.fail("pooling mode {} is not ported (known: {})".format(
            shown(mode), ", ".join(POOL_MODES)))
    return sizes, stride, pad, keep_partial, mode


def _pool_module(view, n, sizes, stride, pad, ceil, mode):
    source = "nn.{}{}d({}".format(POOL_MODES[mode], n, compact(sizes))
    if tuple(stride) != tuple(sizes):
        source += ", stride={!r}".format(compact(stride))
    source += optional("padding", pad, 0)
    source += optional("ceil_mode", ceil, False)
    if mode != "max":
        source += optional("count_include_pad", mode == "average_inc_pad",
                           True)
    return source + ")"


@register_port_rule("Pool2DLayer", "MaxPool2DLayer", "Pool2DDNNLayer",
                    "MaxPool2DDNNLayer", "MaxPool2DCCLayer", "MaxPool1DLayer",
                    "Pool1DLayer", "MaxPool1DLayer", "Pool3DLayer",
                    "MaxPool3DLayer")
def pool(view):
    n = len(view.in_shape) - 2
    sizes, stride, pad, ceil, mode = _pool_arguments(view, n)
    forward = "{m}({x})"
    if _c01b(view):
        forward = "{m}({x}.permute(3, 0, 1, 2)).permute(1, 2, 3, 0)"
    return Piece(forward=forward,
                 module=_pool_module(view, n, sizes, stride, pad, ceil, mode))


@register_port_rule("ShuffleBC01ToC01BLayer")
def to_c01b(view):
    return Piece(forward="{x}.permute(1, 2, 3, 0)")


@register_port_rule("ShuffleC01BToBC01Layer")
def to_bc01(view):
    return Piece(forward="{x}.permute(3, 0, 1, 2)")


@register_port_rule("RMSPoolLayer")
def rms_pool(view):
    """Dieleman's RMSPoolLayer (NDSB 2015): a Pool2DLayer subclass,
    square root of each window's mean square plus ``epsilon``."""
    n = len(view.in_shape) - 2
    sizes, stride, pad, ceil, mode = _pool_arguments(view, n)
    if mode == "max":
        mode = "average_inc_pad"
    return Piece(forward="{m}({x})",
                 module="RMSPool({}, {!r})".format(
                     _pool_module(view, n, sizes, stride, pad, ceil, mode),
                     float(view.option("epsilon", 1e-12))),
                 helpers=("RMSPool",))


#: Theano / numpy reductions by name -> torch method.
REDUCTIONS = {"max": "amax", "mean": "mean", "min": "amin", "sum": "sum",
              "prod": "prod"}


def _reduction(view, default="mean"):
    f = view.option("pool_function", None)
    name = default if f is None else (f if isinstance(f, str) else
                                      getattr(f, "__name__", None))
    if isinstance(name, str):
        name = name.rsplit(".", 1)[-1]
    if name not in REDUCTIONS:
        raise view.fail("pool_function {} is not ported (known: {})".format(
            shown(f), ", ".join(REDUCTIONS)))
    return REDUCTIONS[name]


@register_port_rule("GlobalPoolLayer")
def global_pool(view):
    return Piece(forward="{{x}}.flatten(2).{}(2)".format(
        _reduction(view, "mean")))


@register_port_rule("FeaturePoolLayer")
def feature_pool(view):
    axis = int(view.option("axis", 1)) % len(view.in_shape)
    size = int(view.option("pool_size"))
    return Piece(forward="{m}({x})", module="FeaturePool({}, {}, {!r})".format(
        size, axis, _reduction(view, "max")), helpers=("FeaturePool",))


@register_port_rule("FeatureWTALayer")
def feature_wta(view):
    axis = int(view.option("axis", 1)) % len(view.in_shape)
    size = int(view.option("pool_size"))
    return Piece(forward="{m}({x})", module="FeatureWTA({}, {})".format(
        size, axis), helpers=("FeatureWTA",))


@register_port_rule("LocalResponseNormalization2DLayer")
def local_response_norm(view):
    return Piece(forward="{m}({x})", module="LocalResponseNorm({!r}, {!r}, "
                 "{!r}, {})".format(float(view.option("alpha", 1e-4)),
                                    float(view.option("k", 2)),
                                    float(view.option("beta", 0.75)),
                                    int(view.option("n", 5))),
                 helpers=("LocalResponseNorm",))


@register_port_rule("BatchNormLayer", "BatchNormDNNLayer")
def batch_norm(view):
    ndim = len(view.in_shape)
    axes = view.option("axes", "auto")
    per_channel = (0,) + tuple(range(2, ndim))
    if axes != "auto" and tuple(sorted(
            _ints(axes, 1) if isinstance(axes, numbers.Integral) else axes)
            ) != per_channel:
        raise view.fail("axes={} is not ported: only per-channel "
                        "normalisation (axes='auto')".format(shown(axes)))
    channels = view.in_shape[1]
    epsilon = float(view.option("epsilon", 1e-4))
    params, convert = [], {}
    for key, suffix in (("beta", "bias"), ("gamma", "weight")):
        if view.option(key, 0) is not None:
            params.append((key, (channels,)))
            convert[key] = (suffix, _same)
    params += [("mean", (channels,)), ("inv_std", (channels,))]
    convert["mean"] = ("running_mean", _same)
    # Lasagne keeps 1 / sqrt(var + epsilon); torch keeps var
    convert["inv_std"] = ("running_var", lambda inv_std: np.asarray(
        1.0 / np.square(inv_std.astype(np.float64)) - epsilon,
        dtype=inv_std.dtype))
    affine = len(params) == 4
    if len(params) == 3:
        raise view.fail("only one of beta and gamma is None: not ported")
    torch_class = "BatchNorm{}d".format(max(ndim - 2, 1))
    template, more = activation(view, default=None)
    return Piece(forward=_apply(template, "{m}({x})"),
                 module="nn.{}({}, eps={!r}{})".format(
                     torch_class, channels, epsilon,
                     optional("affine", affine, True)),
                 params=params, convert=convert, helpers=more)


# --------------------------------------------------------------------------
# Shape and per-position layers
# --------------------------------------------------------------------------

@register_port_rule("InputLayer")
def input_layer(view):
    return Piece(forward="{x}")


@register_port_rule("NonlinearityLayer")
def nonlinearity(view):
    template, more = activation(view)
    return Piece(forward=_apply(template, "{x}"), helpers=more)


@register_port_rule("DropoutLayer")
def dropout(view):
    # Lasagne rescales by 1 / (1 - p) while training, as torch does;
    # both are the identity at test time (deterministic=True, eval()).
    return Piece(forward="{m}({x})",
                 module="nn.Dropout(p={!r})".format(
                     float(view.option("p", 0.5))))


@register_port_rule("GaussianNoiseLayer")
def gaussian_noise(view):
    # the identity at test time; torch has no noise module
    return Piece(forward="{x}")


@register_port_rule("FlattenLayer")
def flatten(view):
    outdim = int(view.option("outdim", 2))
    return Piece(forward="{{x}}.flatten({})".format(outdim - 1))


@register_port_rule("ReshapeLayer")
def reshape(view):
    parts = []
    for item in view.option("shape"):
        if isinstance(item, (list, tuple)):
            parts.append("{{x}}.shape[{}]".format(int(item[0])))
        else:
            parts.append(str(int(item)))
    return Piece(forward="{{x}}.reshape({})".format(", ".join(parts)))


@register_port_rule("DimshuffleLayer")
def dimshuffle(view):
    pattern = list(view.option("pattern"))
    ndim = len(view.in_shape)
    kept = [p for p in pattern if p != "x"]
    dropped = [d for d in range(ndim) if d not in kept]
    expression = "{x}"
    for d in sorted(dropped, reverse=True):   # broadcastable axes only
        expression += ".squeeze({})".format(d)
    remaining = [d for d in range(ndim) if d not in dropped]
    order = [remaining.index(p) for p in kept]
    if order != sorted(order):
        expression += ".permute({})".format(", ".join(map(str, order)))
    for position, item in enumerate(pattern):
        if item == "x":
            expression += ".unsqueeze({})".format(position)
    return Piece(forward=expression)


@register_port_rule("PadLayer")
def pad_layer(view):
    ndim = len(view.in_shape)
    batch_ndim = int(view.option("batch_ndim", 2))
    width = view.option("width")
    if isinstance(width, numbers.Integral):
        width = [width] * (ndim - batch_ndim)
    widths = [(w, w) if isinstance(w, numbers.Integral) else tuple(w)
              for w in width]
    flat = []
    for before, after in reversed(widths):
        flat += [int(before), int(after)]
    value = float(view.option("val", 0))
    return Piece(forward="F.pad({{x}}, {}, value={!r})".format(
        tuple(flat), value))


@register_port_rule("SliceLayer")
def slice_layer(view):
    axis = int(view.option("axis", -1)) % len(view.in_shape)
    cut = view.option("slice")
    if isinstance(cut, slice):
        text = "{}:{}{}".format(
            "" if cut.start is None else cut.start,
            "" if cut.stop is None else cut.stop,
            "" if cut.step in (None, 1) else ":{}".format(cut.step))
        if cut.step is not None and cut.step < 0:
            raise view.fail("a negative slice step is not ported")
    else:
        text = str(int(cut))
    return Piece(forward="{{x}}[{}{}]".format(":, " * axis, text))


@register_port_rule("ConcatLayer")
def concat(view):
    axis = int(view.option("axis", 1))
    _no_cropping(view)
    return Piece(forward="torch.cat([{{inputs}}], dim={})".format(axis))


def _no_cropping(view):
    if view.option("cropping", None) is not None:
        raise view.fail("cropping={} is not ported".format(
            shown(view.option("cropping"))))


@register_port_rule("ElemwiseSumLayer")
def elemwise_sum(view):
    _no_cropping(view)
    coeffs = view.option("coeffs", 1)
    count = len(view.in_shapes)
    if isinstance(coeffs, numbers.Number):
        coeffs = [coeffs] * count
    terms = []
    for i, c in enumerate(coeffs):
        terms.append("{{x{}}}".format(i) if c == 1 else
                     "{!r} * {{x{}}}".format(float(c), i))
    return Piece(forward=" + ".join(terms))


#: Theano elementwise functions by name -> torch function.
MERGES = {"mul": "torch.mul", "add": "torch.add", "sub": "torch.sub",
          "maximum": "torch.maximum", "minimum": "torch.minimum",
          "true_div": "torch.div"}


@register_port_rule("ElemwiseMergeLayer")
def elemwise_merge(view):
    _no_cropping(view)
    f = view.option("merge_function")
    # Theano's elementwise ops (T.mul) name their scalar op
    name = f if isinstance(f, str) else (
        getattr(getattr(f, "scalar_op", None), "name", None) or
        getattr(f, "__name__", None))
    if isinstance(name, str):
        name = name.rsplit(".", 1)[-1]
    if name not in MERGES:
        raise view.fail("merge_function {} is not ported (known: {})".format(
            shown(f), ", ".join(sorted(MERGES))))
    expression = "{x0}"
    for i in range(1, len(view.in_shapes)):
        expression = "{}({}, {{x{}}})".format(MERGES[name], expression, i)
    return Piece(forward=expression)


# --------------------------------------------------------------------------
# Custom modules, copied into the generated file when used
# --------------------------------------------------------------------------

def _untied(base):
    return '''
class Untied{0}(nn.{0}):
    """Lasagne's untie_biases=True: one bias per filter and position."""

    def __init__(self, *args, out_size, **kwargs):
        super().__init__(*args, bias=False, **kwargs)
        self.untied_bias = nn.Parameter(torch.zeros(self.out_channels,
                                                    *out_size))

    def forward(self, x):
        return super().forward(x) + self.untied_bias
'''.format(base)


def _broadcast_param(name, operation, doc):
    return '''
class {0}(nn.Module):
    """{2}"""

    def __init__(self, shape):
        super().__init__()
        self.{1} = nn.Parameter(torch.zeros(shape))

    def forward(self, x):
        return {3}
'''.format(name, operation[0], doc, operation[1])


HELPERS = {
    "UntiedConv1d": _untied("Conv1d"),
    "UntiedConv2d": _untied("Conv2d"),
    "UntiedConv3d": _untied("Conv3d"),
    "UntiedConvTranspose2d": _untied("ConvTranspose2d"),
    "Bias": _broadcast_param(
        "Bias", ("b", "x + self.b"),
        "Lasagne's BiasLayer: a learnt bias per position of the axes it is\n"
        "    not shared over."),
    "Scale": _broadcast_param(
        "Scale", ("scales", "x * self.scales"),
        "Lasagne's ScaleLayer: a learnt scale per position of the axes it\n"
        "    is not shared over."),
    "ParametricRectifier": _broadcast_param(
        "ParametricRectifier",
        ("alpha", "torch.where(x > 0, x, self.alpha * x)"),
        "Lasagne's ParametricRectifierLayer: a learnt leakiness per\n"
        "    position of the axes it is not shared over."),
    "RMSPool": '''
class RMSPool(nn.Module):
    """Root-mean-square pooling: sqrt(mean of squares + epsilon)."""

    def __init__(self, pool, epsilon):
        super().__init__()
        self.pool, self.epsilon = pool, epsilon

    def forward(self, x):
        return torch.sqrt(self.pool(x * x) + self.epsilon)
''',
    "FeaturePool": '''
class FeaturePool(nn.Module):
    """Lasagne's FeaturePoolLayer (maxout with 'amax'): reduces each group
    of `size` consecutive units along `axis`."""

    def __init__(self, size, axis, reduction):
        super().__init__()
        self.size, self.axis, self.reduction = size, axis, reduction

    def forward(self, x):
        groups = x.unflatten(self.axis, (-1, self.size))
        return getattr(groups, self.reduction)(self.axis + 1)
''',
    "FeatureWTA": '''
class FeatureWTA(nn.Module):
    """Lasagne's FeatureWTALayer: in each group of `size` consecutive
    units along `axis`, all but the (first) largest are set to zero."""

    def __init__(self, size, axis):
        super().__init__()
        self.size, self.axis = size, axis

    def forward(self, x):
        groups = x.unflatten(self.axis, (-1, self.size))
        winner = groups.argmax(self.axis + 1, keepdim=True)
        mask = torch.zeros_like(groups).scatter_(self.axis + 1, winner, 1.0)
        return (groups * mask).flatten(self.axis, self.axis + 1)
''',
    "LocalResponseNorm": '''
class LocalResponseNorm(nn.Module):
    """Lasagne's LocalResponseNormalization2DLayer: x / (k + alpha * sum
    of x**2 over n neighbouring channels) ** beta.  Unlike
    nn.LocalResponseNorm, alpha is not divided by n."""

    def __init__(self, alpha, k, beta, n):
        super().__init__()
        self.alpha, self.k, self.beta, self.n = alpha, k, beta, n

    def forward(self, x):
        half, channels = self.n // 2, x.shape[1]
        squares = F.pad(x * x, (0, 0, 0, 0, half, half))
        total = sum(squares[:, i:i + channels] for i in range(self.n))
        return x / (self.k + self.alpha * total) ** self.beta
''',
}
