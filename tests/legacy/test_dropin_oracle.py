"""Differential tests: nolearn_capacity's drop-in against nolearn 0.6.1.

The original is the oracle.  Random nolearn nets (hypothesis) are built from
real Lasagne 0.1 layers; every drop-in function must give the same arrays,
the same strings and the same printed bytes as nolearn's own.
"""
import contextlib
import io
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_profiles import examples

import lasagne.layers as L
from lasagne.nonlinearities import rectify, softmax
import nolearn.lasagne.util as original
from nolearn.lasagne import NeuralNet
from nolearn.lasagne.handlers import PrintLayerInfo as OriginalPrintLayerInfo

import nolearn_capacity
from nolearn_capacity import util as ours
from nolearn_capacity.examples import MNIST_TUTORIAL
from nolearn_capacity.handlers import layer_info_text

EXAMPLES = 320


def printed(handler, nn):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        handler(nn)
    return out.getvalue()


def outcome(fn, *args, **kwargs):
    """('ok', value) or ('error', exception type) of a call."""
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as error:   # the original may crash; we record how
        return "error", type(error)


def assert_same_everywhere(nn, min_capacity):
    layers = nn.layers_.values()
    img_size = layers[0].output_shape[2:]
    for name in ("get_real_filter", "get_receptive_field"):
        kind, want = outcome(getattr(original, name), layers, img_size)
        if kind == "ok":
            got = getattr(ours, name)(layers, img_size)
            assert got.dtype == want.dtype and np.array_equal(got, want), name
    for name in ("is_conv2d", "is_maxpool2d"):
        assert getattr(ours, name)(layers) == getattr(original, name)(layers)
        for layer in layers:
            assert getattr(ours, name)(layer) == getattr(original, name)(layer)
    for detailed in (False, True):
        kind, want = outcome(original.get_conv_infos, nn,
                             min_capacity=min_capacity, detailed=detailed)
        if kind == "ok":
            assert ours.get_conv_infos(nn, min_capacity=min_capacity,
                                       detailed=detailed) == want
    kind, want = outcome(printed, OriginalPrintLayerInfo(), nn)
    if kind == "ok":
        assert printed(nolearn_capacity.PrintLayerInfo(), nn) == want
        for helper in ("_get_greeting", "_get_layer_info_plain"):
            assert getattr(nolearn_capacity.PrintLayerInfo, helper)(nn) == \
                getattr(OriginalPrintLayerInfo, helper)(nn)
    else:
        # Where nolearn crashes (e.g. a net without parameters) we still
        # print a whole table.
        assert "## Layer information" in printed(
            nolearn_capacity.PrintLayerInfo(), nn)
    return kind


# --------------------------------------------------------------------------
# Random nets
# --------------------------------------------------------------------------

sizes = st.integers(1, 7)
filter_sizes = st.one_of(sizes, st.tuples(sizes, sizes))
strides = st.one_of(st.just(1), st.integers(1, 3), st.tuples(
    st.integers(1, 3), st.integers(1, 3)))
pads = st.one_of(st.sampled_from(["valid", "full", "same"]),
                 st.integers(0, 3), st.tuples(st.integers(0, 2),
                                              st.integers(0, 2)))


@st.composite
def conv(draw):
    kw = {"num_filters": draw(st.integers(1, 4)),
          "filter_size": draw(filter_sizes)}
    if draw(st.booleans()):
        kw["stride"] = draw(strides)
    if draw(st.booleans()):
        kw["pad"] = draw(pads)
    return L.Conv2DLayer, kw


@st.composite
def pool(draw):
    cls = draw(st.sampled_from([L.MaxPool2DLayer, L.Pool2DLayer]))
    size = draw(st.integers(1, 3))
    kw = {"pool_size": draw(st.one_of(st.just(size), st.tuples(
        st.integers(1, 3), st.integers(1, 3))))}
    if draw(st.booleans()):
        kw["stride"] = draw(st.integers(1, 3))
    ignore_border = draw(st.booleans())
    kw["ignore_border"] = ignore_border
    if ignore_border and draw(st.booleans()):
        kw["pad"] = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    if cls is L.Pool2DLayer:
        kw["mode"] = draw(st.sampled_from(
            ["max", "average_inc_pad", "average_exc_pad"]))
    return cls, kw


per_position = st.sampled_from([
    (L.DropoutLayer, {}),
    (L.NonlinearityLayer, {"nonlinearity": rectify}),
])
spatial_layers = st.one_of(conv(), conv(), conv(), pool(), pool(),
                           per_position)
dense_layers = st.one_of(st.just((L.DenseLayer, {"num_units": 5})),
                         per_position)


@st.composite
def nolearn_nets(draw):
    channels = draw(st.integers(1, 3))
    # Small images make fields wider than the image (cyan / red rows).
    height = draw(st.one_of(st.integers(6, 12), st.integers(6, 40)))
    width = draw(st.one_of(st.just(height), st.integers(6, 40)))
    specs = [(L.InputLayer, {"shape": (None, channels, height, width)})]
    specs += draw(st.lists(spatial_layers, min_size=0, max_size=9))
    specs += draw(st.lists(dense_layers, min_size=0, max_size=3))
    if draw(st.booleans()):
        specs.append((L.DenseLayer, {"num_units": 3,
                                     "nonlinearity": softmax}))
    named = draw(st.sampled_from(["auto", "some", "instance"]))
    if named == "some":
        specs = [(cls, dict(kw, name="layer_{}".format(i)))
                 if draw(st.booleans()) else (cls, kw)
                 for i, (cls, kw) in enumerate(specs)]
    return specs, named, draw(st.integers(1, 3)), draw(
        st.sampled_from([100. / 6, 0, 50., 99.99, 100., 150.]))


def build(specs, named, verbose):
    """A nolearn net from specs; None when Lasagne refuses the shapes."""
    try:
        if named == "instance":
            # Layers passed as Lasagne objects keep name None: nolearn then
            # names rows after the class.
            layer = None
            for cls, kw in specs:
                layer = cls(**kw) if layer is None else cls(layer, **kw)
            nn = NeuralNet(layers=layer, verbose=verbose)
        else:
            nn = NeuralNet(layers=specs, verbose=verbose)
        nn.initialize_layers()
    except (ValueError, AssertionError, ZeroDivisionError):
        return None
    if any(d is not None and d <= 0 for layer in nn.layers_.values()
           for d in layer.output_shape):
        return None
    return nn


def test_random_nets_match_nolearn():
    outcomes = []

    @settings(max_examples=examples(EXAMPLES),
              suppress_health_check=list(HealthCheck))
    @given(nolearn_nets())
    def compare_with_nolearn(net):
        specs, named, verbose, min_capacity = net
        nn = build(specs, named, verbose)
        if nn is not None:
            outcomes.append(assert_same_everywhere(nn, min_capacity))

    compare_with_nolearn()
    # Guard against a generator that only produces nets Lasagne refuses
    # (in this test, so that it holds whatever runs before or alone).
    assert len(outcomes) >= min(200, examples(EXAMPLES) * 2 // 3), \
        len(outcomes)
    assert outcomes.count("ok") >= len(outcomes) * 3 // 5, outcomes


# --------------------------------------------------------------------------
# Fixed nets: the seed, nolearn-style nets, GPU class names
# --------------------------------------------------------------------------

def mnist_net(verbose=2):
    specs = [(getattr(L, cls), dict(kw)) for cls, kw in MNIST_TUTORIAL]
    specs[-1][1]["nonlinearity"] = softmax
    nn = NeuralNet(layers=specs, update_learning_rate=0.01, verbose=verbose)
    nn.initialize_layers()
    return nn


# The seed post's table (tests/seed_table.txt), without its header.
with open(os.path.join(os.path.dirname(__file__), "..", "seed_table.txt"),
          encoding="utf-8") as _f:
    SEED_ROWS = "".join(_f.readlines()[2:]).rstrip("\n")


@pytest.mark.parametrize("verbose", [1, 2, 3])
def test_seed_net(verbose):
    nn = mnist_net(verbose)
    assert assert_same_everywhere(nn, 100. / 6) == "ok"
    text = printed(nolearn_capacity.PrintLayerInfo(), nn)
    assert text.startswith("# Neural Network with 122154 learnable "
                           "parameters\n")
    if verbose == 2:
        assert SEED_ROWS in text
    # The spec of the same net, without Theano, prints the same bytes.
    assert layer_info_text(nolearn_capacity.to_network(MNIST_TUTORIAL),
                           verbose) == text


def facial_keypoints_net():
    # Daniel Nouri's convnet for the Kaggle facial keypoints tutorial.
    return NeuralNet(
        layers=[("input", L.InputLayer), ("conv1", L.Conv2DLayer),
                ("pool1", L.MaxPool2DLayer), ("conv2", L.Conv2DLayer),
                ("pool2", L.MaxPool2DLayer), ("conv3", L.Conv2DLayer),
                ("pool3", L.MaxPool2DLayer), ("hidden4", L.DenseLayer),
                ("hidden5", L.DenseLayer), ("output", L.DenseLayer)],
        input_shape=(None, 1, 96, 96),
        conv1_num_filters=32, conv1_filter_size=(3, 3),
        pool1_pool_size=(2, 2),
        conv2_num_filters=64, conv2_filter_size=(2, 2),
        pool2_pool_size=(2, 2),
        conv3_num_filters=128, conv3_filter_size=(2, 2),
        pool3_pool_size=(2, 2),
        hidden4_num_units=500, hidden5_num_units=500,
        output_num_units=30, output_nonlinearity=None,
        update_learning_rate=0.01, regression=True, verbose=3)


def merge_net():
    # Two branches joined by a ConcatLayer, and a layer_wrapper: the shapes
    # nolearn's own tests use for graphs.
    return NeuralNet(
        layers=[
            (L.InputLayer, {"shape": (None, 1, 20, 20), "name": "in"}),
            (L.Conv2DLayer, {"num_filters": 4, "filter_size": 3,
                             "pad": "same", "name": "a"}),
            (L.Conv2DLayer, {"num_filters": 4, "filter_size": 5,
                             "pad": "same", "incoming": "in", "name": "b"}),
            (L.ConcatLayer, {"incomings": ["a", "b"], "name": "cat"}),
            (L.MaxPool2DLayer, {"pool_size": 2}),
            (L.Conv2DLayer, {"num_filters": 2, "filter_size": 3}),
            (L.DenseLayer, {"num_units": 2, "nonlinearity": softmax}),
        ], verbose=3)


@pytest.mark.parametrize("make", [facial_keypoints_net, merge_net])
def test_fixed_nets(make):
    nn = make()
    nn.initialize_layers()
    assert assert_same_everywhere(nn, 100. / 6) == "ok"


def test_facial_keypoints_numbers():
    nn = facial_keypoints_net()
    nn.initialize_layers()
    text = printed(nolearn_capacity.PrintLayerInfo(), nn)
    assert "# Neural Network with 8051502 learnable parameters" in text


def test_gpu_class_names_count_as_conv():
    # cuDNN / cuda-convnet classes cannot be built on a CPU; subclasses with
    # their names stand in for them: nolearn_capacity looks at names only.
    Conv2DDNNLayer = type("Conv2DDNNLayer", (L.Conv2DLayer,), {})
    MaxPool2DCCLayer = type("MaxPool2DCCLayer", (L.Layer,), {
        "get_output_shape_for": lambda self, shape: shape,
        "pool_size": (3, 3)})
    l_in = L.InputLayer((None, 1, 32, 32))
    conv = Conv2DDNNLayer(l_in, 2, 3)
    pool = MaxPool2DCCLayer(conv)
    conv2 = L.Conv2DLayer(pool, 2, 3)
    layers = [l_in, conv, pool, conv2]
    assert ours.is_conv2d(conv) and ours.is_maxpool2d(pool)
    field = ours.get_receptive_field(layers, (32, 32))
    assert field.tolist() == [[32, 32], [3, 3], [3, 3], [9, 9]]


# --------------------------------------------------------------------------
# Cells tabulate might read otherwise: we format numbers ourselves and must
# type, align and size every column as tabulate does with nolearn's array
# --------------------------------------------------------------------------

def named_net(names, image=(None, 1, 20, 20)):
    kinds = [(L.InputLayer, {"shape": image}),
             (L.Conv2DLayer, {"num_filters": 2, "filter_size": 3}),
             (L.MaxPool2DLayer, {"pool_size": 2}),
             (L.Conv2DLayer, {"num_filters": 3, "filter_size": 5}),
             (L.DenseLayer, {"num_units": 2, "nonlinearity": softmax})]
    nn = NeuralNet(layers=[(cls, dict(kw, name=name)) for (cls, kw), name
                           in zip(kinds, names)], verbose=3)
    nn.initialize_layers()
    return nn


@pytest.mark.parametrize("names", [
    ["1", "2", "3", "4", "5"],                 # a column of numbers
    ["0", "-1", "2.5", "1e5", "1,000"],
    ["True", "False", "nan", "inf", "Infinity"],
    [" in", "conv ", " pool ", "\u0663", "x" * 70],
    ["input", "\u0436\u0443\u043a", "p", "c" * 40, "d"],
])
@pytest.mark.parametrize("min_capacity", [100. / 6, 150.])
def test_names_that_read_as_numbers_or_need_width(names, min_capacity):
    assert assert_same_everywhere(named_net(names), min_capacity) == "ok"


def test_large_image_and_long_net():
    nn = named_net(["in", "c1", "p", "c2", "out"], (None, 300, 900, 700))
    assert assert_same_everywhere(nn, 100. / 6) == "ok"
    layer = L.InputLayer((None, 1, 64, 64))
    layers = [layer]
    for i in range(1, 120):
        layer = L.MaxPool2DLayer(layer, 2) if i % 8 == 0 and \
            layer.output_shape[2] >= 2 else L.Conv2DLayer(layer, 1, 3,
                                                            pad="same")
        layers.append(layer)
    nn = NeuralNet(layers=layer, verbose=3)
    nn.initialize_layers()
    assert assert_same_everywhere(nn, 100. / 6) == "ok"
