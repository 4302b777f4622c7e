"""Plain specs against real Lasagne 0.1: same shapes, counts and records.

Each net is built twice, from the spec (our arithmetic, no Theano) and from
Lasagne's own layer classes (constructed only; nothing is compiled), and
compared layer by layer: ``output_shape``, trainable parameter count, the
attributes both carry, and the record the Lasagne adapter's rule table makes
of each.  Nets are drawn by hypothesis, guided by the real layers' shapes,
from every layer class Lasagne 0.1 has, GPU variants included: their
modules are loaded with stand-ins for the GPU ops they import (constructing
a layer uses none of them), so the oracle is Lasagne's own code.
"""
import contextlib
import importlib.util
import os
import sys
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st
from hypothesis_profiles import examples

from nolearn_capacity import compat

compat.enable()
lasagne = pytest.importorskip("lasagne")
import theano    # noqa: E402  (after compat.enable)
import theano.tensor as T    # noqa: E402

from nolearn_capacity.adapters import lasagne as lasagne_adapter    # noqa
from nolearn_capacity.adapters import spec    # noqa: E402
from nolearn_capacity.errors import CapacityError    # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::UserWarning")

L = lasagne.layers


# --- Lasagne 0.1's GPU layer classes, without a GPU --------------------------

def _stub(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def _pylearn2_stubs():
    return {
        "pylearn2": _stub("pylearn2"),
        "pylearn2.sandbox": _stub("pylearn2.sandbox"),
        "pylearn2.sandbox.cuda_convnet": _stub(
            "pylearn2.sandbox.cuda_convnet"),
        "pylearn2.sandbox.cuda_convnet.filter_acts": _stub(
            "pylearn2.sandbox.cuda_convnet.filter_acts",
            FilterActs=lambda **kwargs: None),
        "pylearn2.sandbox.cuda_convnet.pool": _stub(
            "pylearn2.sandbox.cuda_convnet.pool",
            MaxPool=lambda **kwargs: None),
    }


@contextlib.contextmanager
def _modules(stand_ins):
    """Serve ``stand_ins`` from sys.modules for the duration only."""
    saved = {name: sys.modules.get(name) for name in stand_ins}
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class _GpuConfig(object):
    """Theano's config, but on a GPU (the modules refuse to load else)."""
    device = "gpu"

    def __getattr__(self, name):
        return getattr(theano.config, name)


def _load_gpu_layers():
    gpu_theano = _stub("theano", **theano.__dict__)
    gpu_theano.config = _GpuConfig()
    dnn = _stub("theano.sandbox.cuda.dnn", dnn_available=lambda: True)
    stand_ins = dict(_pylearn2_stubs(), **{
        "theano": gpu_theano,
        "theano.sandbox.cuda": _stub("theano.sandbox.cuda", dnn=dnn),
        "theano.sandbox.cuda.dnn": dnn,
        "theano.sandbox.cuda.basic_ops": _stub(
            "theano.sandbox.cuda.basic_ops", gpu_contiguous=lambda x: x),
        "theano.sandbox.cuda.blas": _stub(
            "theano.sandbox.cuda.blas", GpuCorrMM=lambda **kwargs: None),
    })
    classes = {}
    folder = os.path.dirname(L.__file__)
    with _modules(stand_ins):
        for module_name in ("cuda_convnet", "dnn", "corrmm"):
            location = importlib.util.spec_from_file_location(
                "lasagne.layers." + module_name,
                os.path.join(folder, module_name + ".py"))
            module = importlib.util.module_from_spec(location)
            location.loader.exec_module(module)
            found = (getattr(module, name) for name in module.__all__)
            classes.update((value.__name__, value) for value in found
                           if isinstance(value, type))
    return classes


GPU_CLASSES = _load_gpu_layers()
GPU_USED = ("Conv2DCCLayer", "MaxPool2DCCLayer", "Conv2DDNNLayer",
            "Pool2DDNNLayer", "MaxPool2DDNNLayer", "Conv2DMMLayer")
#: Lasagne 0.1's layer classes a spec cannot describe (c01b layout helpers)
NOT_IN_SPECS = ("ShuffleBC01ToC01BLayer", "ShuffleC01BToBC01Layer",
                "NINLayer_c01b")


def real_class(name):
    return GPU_CLASSES[name] if name in GPU_CLASSES else getattr(L, name)


# --- one spec list, built with real Lasagne ----------------------------------

def make_real(cls, kw, by_name):
    """One spec item as a real Lasagne layer (``incoming`` given by name)."""
    kw = dict(kw)
    name = kw.pop("name")
    if cls == "InputLayer":
        return L.InputLayer(name=name, **kw)
    if "incomings" in kw:
        incoming = [by_name[n] for n in kw.pop("incomings")]
    else:
        incoming = by_name[kw.pop("incoming")]
    if "mask_input" in kw:
        kw["mask_input"] = by_name[kw["mask_input"]]
    for key in ("input_to_hidden", "hidden_to_hidden"):
        if key in kw:
            kw[key] = build_real(kw[key])[-1]
    with _modules(_pylearn2_stubs()):    # MaxPool2DCCLayer imports it late
        return real_class(cls)(incoming, name=name, **kw)


def build_real(specs):
    by_name, layers = {}, []
    for cls, kw in specs:
        layer = make_real(cls, kw, by_name)
        by_name[kw["name"]] = layer
        layers.append(layer)
    return layers


def trainable(layer):
    return sum(int(np.prod(p.get_value(borrow=True).shape))
               for p in layer.get_params(trainable=True))


#: attributes compared wherever the real layer has them
ATTRIBUTES = (
    "shape", "num_filters", "filter_size", "stride", "pad", "untie_biases",
    "pool_size", "ignore_border", "mode", "dimshuffle", "width", "val",
    "batch_ndim", "slice", "axis", "outdim", "pattern", "num_units",
    "input_size", "output_size", "p", "rescale", "sigma", "alpha", "k",
    "beta", "n", "coeffs", "learn_init", "peepholes", "backwards",
    "only_return_final", "precompute_input", "unroll_scan",
    "gradient_steps")


def _plain(value):
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _record(layer, index):
    try:
        return lasagne_adapter.record_of(layer, index)
    except CapacityError as error:
        return type(error).__name__


def assert_same(specs):
    """Build ``specs`` both ways; compare every layer."""
    real = build_real(specs)
    ours = spec.build(specs)
    assert [l.name for l in ours] == [l.name for l in real]
    for index, (mine, theirs) in enumerate(zip(ours, real)):
        where = "{} ({})".format(mine.name, specs[index][0])
        assert mine.output_shape == tuple(theirs.output_shape), where
        assert mine.n_params == trainable(theirs), where
        for name in ATTRIBUTES:
            if hasattr(theirs, name):
                assert _plain(getattr(mine, name)) == _plain(
                    getattr(theirs, name)), (where, name)
        assert _record(mine, index) == _record(theirs, index), where
    # every layer feeds an output layer (a layer nothing consumes)
    outputs = [l for l in real if not any(
        l is getattr(other, "input_layer", None) or
        l in getattr(other, "input_layers", ()) for other in real)]
    assert sum(l.n_params for l in ours) == L.count_params(
        outputs, trainable=True)


# --- one net per class, by hand ----------------------------------------------

def chain(*items, **input_kw):
    """A spec list: an InputLayer, then each (class, kwargs) fed by the
    previous one; explicit names and incomings throughout."""
    specs = [("InputLayer", dict(name="l0", **input_kw))]
    for cls, kw in items:
        kw = dict(kw)
        if "incomings" not in kw:
            kw.setdefault("incoming", specs[-1][1]["name"])
        kw["name"] = "l{}".format(len(specs))
        specs.append((cls, kw))
    return specs


IMAGE = {"shape": (None, 4, 13, 11)}
SEQUENCE = {"shape": (2, 5, 7)}
HAND_NETS = {
    "Conv1DLayer": chain(("Conv1DLayer", dict(num_filters=3, filter_size=4,
                                              stride=2, pad="same")),
                         **SEQUENCE),
    "Conv2DLayer": chain(("Conv2DLayer", dict(num_filters=3,
                                              filter_size=(2, 3), pad="full",
                                              untie_biases=True)), **IMAGE),
    "Conv2DDNNLayer": chain(("Conv2DDNNLayer", dict(
        num_filters=2, filter_size=4, stride=(2, 1), pad="same")), **IMAGE),
    "Conv2DMMLayer": chain(("Conv2DMMLayer", dict(
        num_filters=2, filter_size=(4, 3), pad="full", b=None)), **IMAGE),
    "Conv2DCCLayer": chain(("Conv2DCCLayer", dict(
        num_filters=16, filter_size=4, stride=2, pad="same")), **IMAGE),
    "NINLayer": chain(("NINLayer", dict(num_units=5, untie_biases=True)),
                      **IMAGE),
    "MaxPool1DLayer": chain(("MaxPool1DLayer", dict(pool_size=3, stride=2,
                                                    ignore_border=False)),
                            **SEQUENCE),
    "Pool2DLayer": chain(("Pool2DLayer", dict(pool_size=3, stride=2, pad=1,
                                              mode="average_inc_pad")),
                         **IMAGE),
    "MaxPool2DLayer": chain(("MaxPool2DLayer", dict(pool_size=(3, 2),
                                                    ignore_border=False)),
                            **IMAGE),
    "Pool2DDNNLayer": chain(("Pool2DDNNLayer", dict(pool_size=2, pad=1)),
                            **IMAGE),
    "MaxPool2DDNNLayer": chain(("MaxPool2DDNNLayer", dict(pool_size=3,
                                                          stride=1)),
                               **IMAGE),
    "MaxPool2DCCLayer": chain(("MaxPool2DCCLayer", dict(pool_size=3,
                                                        stride=2)), **IMAGE),
    "GlobalPoolLayer": chain(("GlobalPoolLayer", {}), **IMAGE),
    "FeaturePoolLayer": chain(("FeaturePoolLayer", dict(pool_size=2)),
                              **IMAGE),
    "FeatureWTALayer": chain(("FeatureWTALayer", dict(pool_size=7,
                                                      axis=-1)), **SEQUENCE),
    "PadLayer": chain(("PadLayer", dict(width=[(1, 2), 3])), **IMAGE),
    "SliceLayer": chain(("SliceLayer", dict(indices=slice(1, None, 2),
                                            axis=2)), **IMAGE),
    "FlattenLayer": chain(("FlattenLayer", dict(outdim=3)), **IMAGE),
    "ReshapeLayer": chain(("ReshapeLayer", dict(shape=([0], 2, -1, [3]))),
                          **IMAGE),
    "DimshuffleLayer": chain(("DimshuffleLayer", dict(pattern=(0, 3, "x", 2,
                                                               1))), **IMAGE),
    "LocalResponseNormalization2DLayer": chain(
        ("LocalResponseNormalization2DLayer", dict(n=3)), **IMAGE),
    "NonlinearityLayer": chain(("NonlinearityLayer", {}), **IMAGE),
    "DropoutLayer": chain(("DropoutLayer", dict(p=0.2)), **IMAGE),
    "GaussianNoiseLayer": chain(("GaussianNoiseLayer", dict(sigma=1.)),
                                **IMAGE),
    "DenseLayer": chain(("DenseLayer", dict(num_units=7)), **IMAGE),
    "EmbeddingLayer": chain(("EmbeddingLayer", dict(input_size=10,
                                                    output_size=3)),
                            shape=(None, 6)),
    "ConcatLayer": chain(("ConcatLayer", dict(incomings=["l0", "l0"],
                                              axis=-1)), **IMAGE),
    "ElemwiseSumLayer": chain(("ElemwiseSumLayer", dict(
        incomings=["l0", "l0", "l0"], coeffs=[1, -1, 2])), **IMAGE),
    "ElemwiseMergeLayer": chain(("ElemwiseMergeLayer", dict(
        incomings=["l0", "l0"], merge_function=T.maximum)), **IMAGE),
    "RecurrentLayer": chain(("RecurrentLayer", dict(num_units=4,
                                                    learn_init=True)),
                            **SEQUENCE),
    "LSTMLayer": chain(("LSTMLayer", dict(num_units=4)), **SEQUENCE),
    "GRULayer": chain(("GRULayer", dict(num_units=4)), **SEQUENCE),
    "CustomRecurrentLayer": chain(("CustomRecurrentLayer", dict(
        input_to_hidden=chain(("DenseLayer", dict(num_units=3)),
                              shape=(None, 7)),
        hidden_to_hidden=chain(("DenseLayer", dict(num_units=3, b=None)),
                               shape=(None, 3)),
        learn_init=True)), **SEQUENCE),
}


def test_hand_nets_cover_every_lasagne_01_class():
    real_classes = {value.__name__ for value in vars(L).values()
                    if isinstance(value, type) and issubclass(value, L.Layer)}
    real_classes |= set(GPU_USED)
    real_classes -= {"Layer", "MergeLayer", "InputLayer"}
    assert real_classes - set(HAND_NETS) == set()
    assert set(GPU_CLASSES) - set(GPU_USED) - {"CCLayer", "DNNLayer",
                                               "MMLayer"} == set(NOT_IN_SPECS)


@pytest.mark.parametrize("name", sorted(HAND_NETS))
def test_hand_net(name):
    assert_same(HAND_NETS[name])


def test_lstm_without_peepholes_with_mask_and_learned_init():
    specs = chain(("LSTMLayer", dict(num_units=3, peepholes=False,
                                     learn_init=True)), **SEQUENCE)
    specs.insert(1, ("InputLayer", dict(name="mask", shape=(2, 5))))
    specs[2][1]["mask_input"] = "mask"
    assert_same(specs)


@pytest.mark.parametrize("name, mult_adds", [
    # 3 filters of 4 channels x 2 x 3 ('full': 14 x 13 outputs), untied
    # biases: one per output unit, each applied once
    ("Conv2DLayer", (3 * 4 * 2 * 3 + 3) * 14 * 13),
    ("Conv2DMMLayer", 2 * 4 * 4 * 3 * 16 * 13),     # no bias
    ("NINLayer", (4 * 5 + 5) * 13 * 11),
    ("DenseLayer", 4 * 13 * 11 * 7 + 7),
    ("LSTMLayer", 5 * (4 * (7 * 4 + 4 * 4 + 4) + 3 * 4)),   # 5 steps
    ("MaxPool2DLayer", 0),
])
def test_costs_by_hand_agree_with_real_layers(name, mult_adds):
    """Specs and Lasagne's own layers make equal records (costs included,
    :func:`assert_same`); here their mult-adds against the hand count."""
    specs = HAND_NETS[name]
    assert_same(specs)
    real = build_real(specs)
    record = lasagne_adapter.record_of(real[-1], len(real) - 1)
    assert record.mult_adds == mult_adds
    assert record.param_bytes == 4 * trainable(real[-1])   # float32
    assert record.activation_bytes == 4 * int(np.prod(
        real[-1].output_shape[1:]))


def test_locally_connected_weights_apply_once():
    """A Lasagne 0.2 class: the spec side only."""
    specs = chain(("LocallyConnected2DLayer", dict(num_filters=2,
                                                   filter_size=3)), **IMAGE)
    record = lasagne_adapter.record_of(spec.build(specs)[-1], 1)
    # one 4 x 3 x 3 filter per unit, the tied bias at every position
    assert record.mult_adds == 2 * 4 * 9 * 13 * 11 + 2 * 13 * 11


# --- random nets -------------------------------------------------------------

MAKERS = []


def maker(applies, *classes):
    """Register ``make(net, cls, current, shape) -> name`` for these classes
    on input shapes where ``applies(shape)``."""
    def add(function):
        MAKERS.extend((applies, cls, function) for cls in classes)
        return function
    return add


def fixed(shape, start=1):
    return None not in shape[start:]


class NetDraw(object):
    """A spec list drawn one layer at a time, each layer built for real as
    it is drawn so that the next draw knows its true shape."""

    def __init__(self, data):
        self.data, self.specs, self.by_name = data, [], {}

    def draw(self, strategy):
        return self.data.draw(strategy)

    def flag(self):
        return self.draw(st.booleans())

    def add(self, cls, **kw):
        kw["name"] = "l{}".format(len(self.specs))
        event(cls)
        self.by_name[kw["name"]] = make_real(cls, kw, self.by_name)
        self.specs.append((cls, kw))
        return kw["name"]

    def shape(self, name):
        return tuple(self.by_name[name].output_shape)

    def per_axis(self, highs, low=1):
        """One int for every axis or a tuple, each within [low, high]."""
        if self.flag():
            return self.draw(st.integers(low, max(low, min(highs))))
        return tuple(self.draw(st.integers(low, max(low, h))) for h in highs)


def _conv_options(net, shape, square=False):
    lengths = shape[2:]
    if square:
        size = net.draw(st.integers(1, min(5, *lengths)))
        stride = net.draw(st.integers(1, 3))
        pad = net.draw(st.one_of(st.sampled_from(["valid", "full", "same"]),
                                 st.integers(0, 2)))
    else:
        size = net.per_axis([min(5, n) for n in lengths])
        stride = net.per_axis([3] * len(lengths))
        pad = net.draw(st.sampled_from(["valid", "full", "same", "ints"]))
        if pad == "ints":
            pad = net.per_axis([2] * len(lengths), low=0)
    kw = dict(filter_size=size, stride=stride, pad=pad,
              untie_biases=net.flag())
    if net.flag():
        kw["b"] = None
    return kw


@maker(lambda s: len(s) == 3 and fixed(s), "Conv1DLayer")
@maker(lambda s: len(s) == 4 and fixed(s), "Conv2DLayer", "Conv2DDNNLayer",
       "Conv2DMMLayer")
def conv(net, cls, current, shape):
    return net.add(cls, incoming=current, **dict(
        _conv_options(net, shape), num_filters=net.draw(st.integers(1, 6))))


@maker(lambda s: len(s) == 4 and fixed(s) and (s[1] < 4 or s[1] % 4 == 0),
       "Conv2DCCLayer")
def conv_cuda_convnet(net, cls, current, shape):
    return net.add("Conv2DCCLayer", incoming=current, **dict(
        _conv_options(net, shape, square=True),
        num_filters=net.draw(st.sampled_from([16, 32]))))


@maker(lambda s: len(s) == 3 and fixed(s, 2), "MaxPool1DLayer")
@maker(lambda s: len(s) == 4 and fixed(s, 2), "Pool2DLayer", "MaxPool2DLayer",
       "Pool2DDNNLayer", "MaxPool2DDNNLayer")
def pool(net, cls, current, shape):
    lengths = shape[2:]
    size = net.per_axis([min(4, n) for n in lengths])
    kw = dict(pool_size=size)
    if net.flag():
        kw["stride"] = net.per_axis([3] * len(lengths))
    if "DNN" not in cls and net.flag():
        kw["ignore_border"] = False
    elif net.flag():
        smallest = min(size) if isinstance(size, tuple) else size
        kw["pad"] = net.draw(st.integers(0, smallest - 1))
    if cls in ("Pool2DLayer", "Pool2DDNNLayer") and net.flag():
        kw["mode"] = net.draw(st.sampled_from(
            ["max", "average_inc_pad", "average_exc_pad"]))
    return net.add(cls, incoming=current, **kw)


@maker(lambda s: len(s) == 4 and fixed(s, 2), "MaxPool2DCCLayer")
def pool_cuda_convnet(net, cls, current, shape):
    size = net.draw(st.integers(1, min(4, *shape[2:])))
    kw = dict(pool_size=size)
    if net.flag():
        kw["stride"] = net.draw(st.integers(1, size))
    return net.add("MaxPool2DCCLayer", incoming=current, **kw)


@maker(lambda s: len(s) >= 2 and s[1] is not None, "NINLayer")
def nin(net, cls, current, shape):
    kw = dict(num_units=net.draw(st.integers(1, 5)),
              untie_biases=fixed(shape, 2) and net.flag())
    if net.flag():
        kw["b"] = None
    return net.add("NINLayer", incoming=current, **kw)


@maker(lambda s: len(s) == 4, "LocalResponseNormalization2DLayer")
def local_response_norm(net, cls, current, shape):
    return net.add("LocalResponseNormalization2DLayer", incoming=current,
                   n=net.draw(st.sampled_from([1, 3, 5])))


@maker(lambda s: len(s) >= 3, "GlobalPoolLayer")
def global_pool(net, cls, current, shape):
    return net.add("GlobalPoolLayer", incoming=current)


@maker(lambda s: len(s) >= 2, "FeaturePoolLayer", "FeatureWTALayer")
def feature_pool(net, cls, current, shape):
    axes = [a for a in range(len(shape)) if shape[a] is not None]
    axis = net.draw(st.sampled_from(axes))
    size = net.draw(st.sampled_from(
        [d for d in range(1, shape[axis] + 1) if shape[axis] % d == 0]))
    if net.flag():
        axis -= len(shape)
    return net.add(cls, incoming=current, pool_size=size, axis=axis)


@maker(lambda s: len(s) >= 2 and fixed(s), "PadLayer")
def pad(net, cls, current, shape):
    lowest = 0 if shape[0] is not None else 1
    batch_ndim = net.draw(st.integers(lowest, len(shape) - 1))
    n = len(shape) - batch_ndim
    if net.flag():
        width = net.draw(st.integers(0, 2))
    else:
        width = [net.draw(st.one_of(st.integers(0, 2),
                                    st.tuples(st.integers(0, 2),
                                              st.integers(0, 2))))
                 for _ in range(net.draw(st.integers(1, n)))]
    return net.add("PadLayer", incoming=current, width=width,
                   batch_ndim=batch_ndim)


@maker(lambda s: len(s) >= 2 and fixed(s), "SliceLayer")
def slice_(net, cls, current, shape):
    axis = net.draw(st.integers(1, len(shape) - 1))
    length = shape[axis]
    if len(shape) > 2 and net.flag():
        indices = net.draw(st.integers(-length, length - 1))
    else:
        indices = slice(net.draw(st.one_of(st.none(),
                                           st.integers(-length, length - 1))),
                        net.draw(st.one_of(st.none(),
                                           st.integers(-length, length))),
                        net.draw(st.one_of(st.none(), st.integers(1, 3))))
        if not range(*indices.indices(length)):
            indices = slice(None, None, indices.step)
    if net.flag():
        axis -= len(shape)
    return net.add("SliceLayer", incoming=current, indices=indices,
                   axis=axis)


@maker(lambda s: len(s) >= 3 and fixed(s), "FlattenLayer")
def flatten(net, cls, current, shape):
    return net.add("FlattenLayer", incoming=current,
                   outdim=net.draw(st.integers(2, len(shape) - 1)))


@maker(lambda s: len(s) >= 2 and fixed(s), "ReshapeLayer")
def reshape(net, cls, current, shape):
    total = int(np.prod(shape[1:]))
    divisors = [d for d in range(1, min(total, 8) + 1) if total % d == 0]
    first = net.draw(st.sampled_from(divisors))
    target = net.draw(st.sampled_from([
        ([0], -1), ([0], first, -1), ([0], -1, first),
        ([0], first, total // first)] +
        ([([0], [1], -1), ([0], [1], 1, -1)] if len(shape) >= 3 else [])))
    if shape[0] is not None and net.flag():
        target = (shape[0],) + target[1:]
    return net.add("ReshapeLayer", incoming=current, shape=target)


@maker(lambda s: 2 <= len(s) <= 4, "DimshuffleLayer")
def dimshuffle(net, cls, current, shape):
    rest = list(net.draw(st.permutations(range(1, len(shape)))))
    droppable = [a for a in rest if shape[a] == 1]
    if droppable and len(rest) > 1 and net.flag():
        rest.remove(droppable[0])
    if len(rest) < 3 and net.flag():
        rest.insert(net.draw(st.integers(0, len(rest))), "x")
    return net.add("DimshuffleLayer", incoming=current,
                   pattern=[0] + rest)


@maker(lambda s: len(s) >= 2 and fixed(s), "DenseLayer")
def dense(net, cls, current, shape):
    kw = dict(num_units=net.draw(st.integers(1, 8)))
    if net.flag():
        kw["b"] = None
    return net.add("DenseLayer", incoming=current, **kw)


PASS_THROUGH = {"NonlinearityLayer": dict(nonlinearity=None),
                "DropoutLayer": dict(p=0.3, rescale=False),
                "GaussianNoiseLayer": dict(sigma=0.5)}


@maker(lambda s: True, *PASS_THROUGH)
def pass_through(net, cls, current, shape):
    kw = PASS_THROUGH[cls] if net.flag() else {}
    return net.add(cls, incoming=current, **kw)


@maker(lambda s: 2 <= len(s) <= 3, "EmbeddingLayer")
def embedding(net, cls, current, shape):
    return net.add("EmbeddingLayer", incoming=current,
                   input_size=net.draw(st.integers(1, 10)),
                   output_size=net.draw(st.integers(1, 4)))


@maker(lambda s: True, "ConcatLayer", "ElemwiseSumLayer",
       "ElemwiseMergeLayer")
def merge(net, cls, current, shape):
    axis = None
    if cls == "ConcatLayer":
        axis = net.draw(st.sampled_from(
            [a for a in range(len(shape)) if shape[a] is not None]))
    partners = [name for name in net.by_name
                if len(net.shape(name)) == len(shape) and all(
                    a == b or i == axis and b is not None for i, (a, b) in
                    enumerate(zip(shape, net.shape(name))))]
    incomings = [current] + [
        net.draw(st.sampled_from(partners))
        for _ in range(net.draw(st.integers(1, 2)))]
    kw = dict(incomings=incomings)
    if cls == "ConcatLayer":
        kw["axis"] = axis - len(shape) if net.flag() else axis
    elif cls == "ElemwiseSumLayer" and net.flag():
        kw["coeffs"] = [2] * len(incomings)
    elif cls == "ElemwiseMergeLayer":
        kw["merge_function"] = T.maximum
    return net.add(cls, **kw)


@maker(lambda s: len(s) in (3, 4) and fixed(s), "RecurrentLayer",
       "LSTMLayer", "GRULayer", "CustomRecurrentLayer")
def recurrent(net, cls, current, shape):
    units = net.draw(st.integers(1, 5))
    kw = dict(incoming=current)
    if net.flag():
        kw["learn_init"] = net.flag()
    if net.flag():
        kw["mask_input"] = net.add("InputLayer", shape=shape[:2])
    if cls == "LSTMLayer" and net.flag():
        kw["peepholes"] = False
    if cls == "RecurrentLayer" and net.flag():
        kw["b"] = None
    if cls == "CustomRecurrentLayer":
        kw["input_to_hidden"] = chain(
            ("DenseLayer", dict(num_units=units)), shape=(None,) + shape[2:])
        kw["hidden_to_hidden"] = chain(
            ("DenseLayer", dict(num_units=units, b=None)),
            shape=(None, units))
    else:
        kw["num_units"] = units
    return net.add(cls, **kw)


def draw_net(data):
    net = NetDraw(data)
    rank = net.draw(st.sampled_from([4, 4, 4, 3, 3, 2]))    # images first
    batch = net.draw(st.one_of(st.none(), st.integers(1, 3)))
    sizes = [net.draw(st.integers(1, 6))] + [
        net.draw(st.integers(1, 16)) for _ in range(rank - 2)]
    current = net.add("InputLayer", shape=(batch,) + tuple(sizes))
    for _ in range(net.draw(st.integers(1, 8))):
        shape = net.shape(current)
        cls, make = net.draw(st.sampled_from(
            [(cls, make) for applies, cls, make in MAKERS if applies(shape)]))
        current = make(net, cls, current, shape)
    return net.specs


def test_random_nets_draw_every_lasagne_01_class():
    drawn = {cls for _, cls, _ in MAKERS} | {"InputLayer"}
    assert set(HAND_NETS) - drawn == set()


@settings(max_examples=examples(500),
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(st.data())
def test_random_nets_match_lasagne(data):
    assert_same(draw_net(data))
