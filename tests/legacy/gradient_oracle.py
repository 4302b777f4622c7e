"""Ground truth for ``mode="exact"``: input gradients of real Lasagne 0.1 nets.

A unit's receptive field is, by definition, the set of input pixels its
value depends on.  For a net with positive weights, no bias, activations
that pass positive values (identity, ReLU on positive inputs) and average
pooling, every path from a pixel to a unit carries a positive factor, so
``d unit / d input`` is non-zero exactly on the pixels the unit sees.  This
module builds such nets from plain specs, picks output units whose field
lies entirely inside the image, and reads their fields off Theano
gradients.

Specs (plain tuples, so hypothesis can print and shrink them)::

    net  = {"ndim": 1 or 2, "channels": c, "ops": [op, ...], "head": h}
    op   = ("conv", num_filters, kernel, stride, pad, nonlinearity)
         | ("pool", kind, pool_size, stride or None, pad, ignore_border)
         | ("pad", width)                  # PadLayer width, any Lasagne form
         | ("nonlin", nonlinearity)        # NonlinearityLayer
         | ("dropout", p)                  # DropoutLayer, run deterministic
         | ("merge", kind, ops_a, ops_b, splits)
    head = None | "dense" | "global" | "flatten"   # flatten: then a dense

``kernel``, ``stride``, ``pool_size`` and int paddings are per-axis tuples;
``pad`` of a conv is ``'valid'``, ``'full'``, ``'same'``, an int or a tuple.
Pool kinds: ``'avg_inc'`` / ``'avg_exc'`` (Pool2DLayer average modes),
``'max_class'`` (MaxPool2DLayer / MaxPool1DLayer), ``'max_mode'``
(Pool2DLayer(mode='max')).  A merge (``'sum'``: ElemwiseSumLayer,
``'concat'``: ConcatLayer on channels) joins two branches of simple ops; if
their maps differ in size, the smaller one gets a PadLayer whose split per
axis is ``splits[axis]`` (0: all in front, 1: half, 2: all behind), which
is how misaligned branches arise.

Max pooling routes the gradient to the maximum only, so for the 2D nets the
gradient is taken on a twin net with every max pool swapped for an
'average_inc_pad' pool of the same geometry (the field does not depend on
the pooling function).  For 1D nets (Lasagne 0.1 has no average 1D pool)
the max pools are kept: on an all-ones input with all-ones weights every
unit whose field is inside the image holds the same integer as its
neighbours, and Theano's max-pool gradient goes to every tied maximum.
"""
import itertools
from dataclasses import dataclass, field as dc_field
from typing import NamedTuple

import numpy as np

import theano
import theano.tensor as T
import lasagne.layers as L
from lasagne.nonlinearities import linear, rectify

#: cvm linker + fast_compile optimizer: C ops (CorrMM, pooling) without the
#: cost of FAST_RUN's fusion, about 0.1 s per net once the op cache is warm.
#: (Pure-Python linking fails: AbstractConv's perform needs private scipy
#: functions that scipy 1.15 no longer has.)
GRAD_MODE = theano.compile.Mode(linker="cvm", optimizer="fast_compile")

NONLINEARITIES = {"none": None, "linear": linear, "relu": rectify}

POOL_KINDS = ("avg_inc", "avg_exc", "max_class", "max_mode")


# --------------------------------------------------------------------------
# Building nets
# --------------------------------------------------------------------------

@dataclass
class Built:
    """A built net: layers in topological order with what the oracle needs.

    ``geometry[i]`` is the layer's local index arithmetic per axis, taken
    from Lasagne 0.1's code (not from nolearn_capacity): ``('window', k, s,
    lead)`` means unit u reads parent positions ``u*s - lead ... u*s - lead
    + k - 1`` (negative or too large = padding); ``('same',)`` acts per
    position; ``('input',)``; ``('collapse',)`` reads everything;
    ``('flatten',)`` carries each position of its map.
    """
    ndim: int
    size: tuple
    layers: list = dc_field(default_factory=list)
    parents: list = dc_field(default_factory=list)
    geometry: list = dc_field(default_factory=list)
    merges: list = dc_field(default_factory=list)   # indices of merges

    def add(self, layer, geometry, parents):
        layer.name = "L{}".format(len(self.layers))
        self.layers.append(layer)
        self.parents.append(tuple(parents))
        self.geometry.append(geometry)
        if geometry[0] == "merge":
            self.merges.append(len(self.layers) - 1)
        return len(self.layers) - 1

    def spatial(self, index):
        return len(self.layers[index].output_shape) == self.ndim + 2

    def lengths(self, index):
        return tuple(self.layers[index].output_shape[2:])


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def conv_lead(pad, kernel):
    """Lasagne 0.1's padding in front of a conv, per axis: 'same' pads
    ``k // 2`` in front (stride 1: a 'full' conv cropped by ``(k-1)//2``;
    stride > 1: explicit ``(k // 2, (k - 1) // 2)`` padding)."""
    if pad == "valid":
        return (0,) * len(kernel)
    if pad == "full":
        return tuple(k - 1 for k in kernel)
    if pad == "same":
        return tuple(k // 2 for k in kernel)
    return _tuple(pad, len(kernel))


def pad_widths(width, n):
    """PadLayer ``width`` (int, ints or (before, after) pairs) -> pairs."""
    if isinstance(width, int):
        return ((width, width),) * n
    return tuple(w if isinstance(w, (tuple, list)) else (w, w) for w in width)


def _ones(shape):
    return np.ones(shape, dtype="float64")


def _conv(built, index, op, channels=None):
    _, filters, kernel, stride, pad, nonlin = op
    incoming = built.layers[index]
    n_in = incoming.output_shape[1]
    filters = channels or filters
    cls = L.Conv2DLayer if built.ndim == 2 else L.Conv1DLayer
    layer = cls(incoming, filters, kernel if built.ndim == 2 else kernel[0],
                stride=stride if built.ndim == 2 else stride[0],
                pad=pad if not isinstance(pad, tuple) or built.ndim == 2
                else pad[0],
                W=_ones((filters, n_in) + tuple(kernel)), b=None,
                nonlinearity=NONLINEARITIES[nonlin])
    return built.add(layer, ("window", tuple(kernel), tuple(stride),
                             conv_lead(pad, kernel)),
                     [index])


def _pool(built, index, op, for_gradient):
    _, kind, size, stride, pad, ignore_border = op
    incoming = built.layers[index]
    steps = size if stride is None else stride
    if built.ndim == 1:
        layer = L.MaxPool1DLayer(incoming, size[0],
                                 stride=None if stride is None else stride[0],
                                 pad=pad[0], ignore_border=ignore_border)
    else:
        mode = {"avg_inc": "average_inc_pad", "avg_exc": "average_exc_pad",
                "max_class": "max", "max_mode": "max"}[kind]
        if for_gradient and mode == "max":
            mode = "average_inc_pad"
        if kind == "max_class" and not for_gradient:
            layer = L.MaxPool2DLayer(incoming, size, stride=stride, pad=pad,
                                     ignore_border=ignore_border)
        else:
            layer = L.Pool2DLayer(incoming, size, stride=stride, pad=pad,
                                  ignore_border=ignore_border, mode=mode)
    return built.add(layer, ("window", tuple(size), tuple(steps), tuple(pad)),
                     [index])


def _pad(built, index, width):
    layer = L.PadLayer(built.layers[index], width)
    lead = tuple(a for a, _ in pad_widths(width, built.ndim))
    return built.add(layer, ("window", (1,) * built.ndim, (1,) * built.ndim,
                             lead), [index])


def _simple(built, index, op, for_gradient, channels=None):
    kind = op[0]
    if kind == "conv":
        return _conv(built, index, op, channels)
    if kind == "pool":
        return _pool(built, index, op, for_gradient)
    if kind == "pad":
        return _pad(built, index, op[1])
    if kind == "nonlin":
        layer = L.NonlinearityLayer(built.layers[index],
                                    NONLINEARITIES[op[1]])
        return built.add(layer, ("same",), [index])
    if kind == "dropout":
        layer = L.DropoutLayer(built.layers[index], p=op[1])
        return built.add(layer, ("same",), [index])
    raise ValueError("unknown op {!r}".format(op))


def _merge(built, index, op, for_gradient):
    _, kind, ops_a, ops_b, splits = op
    channels = built.layers[index].output_shape[1] if kind == "sum" else None
    ends = []
    for ops in (ops_a, ops_b):
        end = index
        for sub in ops:
            end = _simple(built, end, sub, for_gradient, channels)
        ends.append(end)
    # make both maps the same size: pad the smaller one, split per axis
    sizes = [built.lengths(e) for e in ends]
    widths = [[(0, 0)] * built.ndim, [(0, 0)] * built.ndim]
    for axis in range(built.ndim):
        diff = sizes[0][axis] - sizes[1][axis]
        smaller = 1 if diff > 0 else 0
        diff = abs(diff)
        lead = (diff, diff // 2, 0)[splits[axis]]
        widths[smaller][axis] = (lead, diff - lead)
    for branch in (0, 1):
        if any(a or b for a, b in widths[branch]):
            ends[branch] = _pad(built, ends[branch], tuple(widths[branch]))
    incoming = [built.layers[e] for e in ends]
    layer = (L.ElemwiseSumLayer(incoming) if kind == "sum"
             else L.ConcatLayer(incoming, axis=1))
    return built.add(layer, ("merge",), ends)


def build(spec, size, for_gradient=False):
    """Build ``spec`` on an input of spatial ``size``; with
    ``for_gradient`` 2D max pools become average pools of equal geometry."""
    ndim = spec["ndim"]
    built = Built(ndim, tuple(size))
    shape = (None, spec["channels"]) + tuple(size)
    index = built.add(L.InputLayer(shape), ("input",), [])
    for op in spec["ops"]:
        if op[0] == "merge":
            index = _merge(built, index, op, for_gradient)
        else:
            index = _simple(built, index, op, for_gradient)
    head = spec.get("head")
    if head == "flatten":
        index = built.add(L.FlattenLayer(built.layers[index]), ("flatten",),
                          [index])
    if head in ("dense", "flatten"):
        incoming = built.layers[index]
        n_in = int(np.prod(incoming.output_shape[1:]))
        layer = L.DenseLayer(incoming, 2, W=_ones((n_in, 2)), b=None,
                             nonlinearity=None)
        built.add(layer, ("collapse",), [index])
    elif head == "global":
        built.add(L.GlobalPoolLayer(built.layers[index]), ("collapse",),
                  [index])
    return built


# --------------------------------------------------------------------------
# Which units see only the image
# --------------------------------------------------------------------------

def interior_ranges(built):
    """Per layer and axis, the range ``(lo, hi)`` of units that read no
    padding anywhere below them (their whole field is inside the image);
    ``None`` for non-spatial layers, ``lo > hi`` when there is none.

    Padding of a layer only shows at its borders, so these units form a
    contiguous range: unit u qualifies when every parent position it reads
    qualifies.
    """
    ranges = []
    for index, geometry in enumerate(built.geometry):
        if not built.spatial(index):
            ranges.append(None)
            continue
        lengths = built.lengths(index)
        kind = geometry[0]
        if kind == "input":
            ranges.append(tuple((0, n - 1) for n in lengths))
            continue
        parent_ranges = [ranges[p] for p in built.parents[index]]
        axes = []
        for axis, n in enumerate(lengths):
            lo, hi = 0, n - 1
            for pr in parent_ranges:
                a, b = pr[axis]
                if kind == "window":
                    k = geometry[1][axis]
                    s = geometry[2][axis]
                    lead = geometry[3][axis]
                    # u*s - lead >= a  and  u*s - lead + k - 1 <= b
                    lo = max(lo, -((-a - lead) // s))    # ceil((a+lead)/s)
                    hi = min(hi, (b + lead - k + 1) // s)
                else:
                    lo, hi = max(lo, a), min(hi, b)
            axes.append((lo, hi))
        ranges.append(tuple(axes))
    return ranges


def rough_size(spec):
    """A first guess at an input size that leaves a few interior units in
    every layer: field + padding + 3 jumps, walked per axis with upper
    bounds (the search in :func:`fit` grows it when needed)."""
    ndim = spec["ndim"]

    def walk(ops, state):
        jump, field, pads = state
        for op in ops:
            if op[0] == "merge":
                a = walk(op[2], (jump, field, pads))
                b = walk(op[3], (jump, field, pads))
                jump = [max(x, y) for x, y in zip(a[0], b[0])]
                field = [max(x, y) + j for x, y, j in zip(a[1], b[1], jump)]
                pads = [x + y + j for x, y, j in zip(a[2], b[2], jump)]
                continue
            if op[0] == "conv":
                kernel, stride, pad = op[2], op[3], op[4]
                total = [2 * (k - 1) if isinstance(pad, str) else 2 * p
                         for k, p in zip(kernel, _tuple(pad, ndim))]
            elif op[0] == "pool":
                kernel = op[2]
                stride = op[3] or kernel
                total = [2 * p + s for p, s in zip(op[4], stride)]
            elif op[0] == "pad":
                kernel = stride = (1,) * ndim
                total = [a + b for a, b in pad_widths(op[1], ndim)]
            else:
                continue
            field = [r + (k - 1) * j for r, k, j in zip(field, kernel, jump)]
            pads = [p + t * j for p, t, j in zip(pads, total, jump)]
            jump = [j * s for j, s in zip(jump, stride)]
        return jump, field, pads

    jump, field, pads = walk(spec["ops"], ([1] * ndim, [1] * ndim,
                                           [0] * ndim))
    return tuple(r + p + 3 * j + 2 for j, r, p in zip(jump, field, pads))


class NoInterior(AssertionError):
    """No input size gives every layer units clear of the border: merged
    branches on different grids whose common interior shrinks as the
    input grows.  Such a net cannot be measured; it is not a failure."""


def fit(spec, wanted=3, max_steps=200):
    """Build ``spec`` on a small input on which every spatial layer has at
    least ``wanted`` interior units per axis; returns ``(built, ranges)``.

    The search starts well below :func:`rough_size` (an upper bound) and
    grows each short axis by about 1/8 per step, up to four times that
    bound: past it the net has no interior (a soak run met such a net
    with a dense head, whose weights grew with the input until they
    filled the machine's memory).
    """
    rough = rough_size(spec)
    size = [max(2, r // 3) for r in rough]
    for _ in range(max_steps):
        if any(n > 4 * r + 64 for n, r in zip(size, rough)):
            break
        try:
            built = build(spec, size)
            ranges = interior_ranges(built)
        except (ValueError, AssertionError, TypeError, IndexError):
            ranges = None     # a map shrank to nothing; grow the input
        short = set(range(spec["ndim"])) if ranges is None else {
            axis for r in ranges if r is not None
            for axis, (lo, hi) in enumerate(r) if hi - lo + 1 < wanted}
        if not short:
            return built, ranges
        for axis in short:
            size[axis] += max(1, size[axis] // 8)
    error = NoInterior("no input size up to {} fits {}".format(size, spec))
    error.size = tuple(size)
    raise error


# --------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------

class ChannelsAt(NamedTuple):
    """Every channel of one position of a flattened map: the flat indices
    ``index``, ``index + step``, ... (``step``: the map's positions)."""
    index: int
    step: int


def unit_gradients(built, queries):
    """``d out[query] / d input`` for each ``(layer index, unit)``, all in
    one compiled Theano function: query b sits in batch row b, where the
    one-hot mask of its layer selects its unit (summed over channels).

    ``unit`` is a position tuple for spatial layers, an output index for
    collapsed ones, or a :class:`ChannelsAt` for a flattened map.  Returns an array (len(queries), channels, *size).
    """
    layers = built.layers
    wanted = sorted({q[0] for q in queries})
    x = T.TensorType("float64", (False,) * (built.ndim + 2))("x")
    batch = len(queries)
    with theano.change_flags(floatX="float64"):
        outputs = L.get_output([layers[i] for i in wanted],
                               {layers[0]: x}, deterministic=True)
        masks = [T.TensorType("float64", (False,) * out.ndim)()
                 for out in outputs]
        cost = sum((out * mask).sum() for out, mask in zip(outputs, masks))
        grad = T.grad(cost, x)
        fn = theano.function([x] + masks, grad, mode=GRAD_MODE,
                             on_unused_input="ignore")
    values = []
    for i in wanted:
        shape = (batch,) + tuple(layers[i].output_shape[1:])
        values.append(np.zeros(shape))
    for b, (i, unit) in enumerate(queries):
        mask = values[wanted.index(i)]
        if isinstance(unit, ChannelsAt):
            mask[b, unit.index::unit.step] = 1.
        elif isinstance(unit, tuple):
            mask[(b, slice(None)) + unit] = 1.
        else:
            mask[b, unit] = 1.
    image = np.ones((batch, layers[0].output_shape[1]) + built.size)
    return fn(image, *values)


@dataclass
class Field:
    """The empirical field of one unit: per-axis (first, last) pixel and
    the non-zero block of the gradient (channels summed)."""
    lo: tuple
    hi: tuple
    block: np.ndarray

    @property
    def extent(self):
        return tuple(h - l + 1 for l, h in zip(self.lo, self.hi))

    @property
    def centre(self):
        """Pixel p has its centre at p + 0.5 (core.py's start of 0.5 for
        the first input pixel)."""
        return tuple((l + h) / 2. + .5 for l, h in zip(self.lo, self.hi))


def field_of(gradient):
    seen = np.abs(gradient).sum(axis=0)
    assert np.all(np.isfinite(seen))
    where = np.nonzero(seen)
    assert where[0].size, "the unit depends on no input pixel"
    lo = tuple(int(w.min()) for w in where)
    hi = tuple(int(w.max()) for w in where)
    block = seen[tuple(slice(l, h + 1) for l, h in zip(lo, hi))]
    return Field(lo, hi, block)


def empirical_fields(built, queries):
    """:class:`Field` per query (see :func:`unit_gradients`)."""
    queries = list(queries)
    grads = unit_gradients(built, queries)
    return {q: field_of(g) for q, g in zip(queries, grads)}


def neighbours(base, ndim, steps=2):
    """``base`` and the next ``steps`` units along each axis."""
    out = [tuple(base)]
    for axis, step in itertools.product(range(ndim), range(1, steps + 1)):
        unit = list(base)
        unit[axis] += step
        out.append(tuple(unit))
    return out


def middle_unit(axis_ranges, steps=2):
    """A unit in the middle of the interior range that leaves ``steps``
    more interior units after it on every axis."""
    return tuple(max(lo, min((lo + hi) // 2, hi - steps))
                 for lo, hi in axis_ranges)
