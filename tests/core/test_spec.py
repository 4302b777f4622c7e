"""Plain specs without Theano: exact value tables.

Every expected shape and count below was worked out by hand from Lasagne's
definitions (its ``conv_output_length``, ``pool_output_length``,
``conv_input_length`` and parameter shapes, 0.1 sources and 0.2 docs); the
legacy suite checks the 0.1 classes against Lasagne itself.
"""
import warnings

import pytest

from nolearn_capacity import geometry
from nolearn_capacity.adapters import lasagne as rules
from nolearn_capacity.adapters import spec
from nolearn_capacity.errors import BadShapeError, BadSpecError
from nolearn_capacity.examples import MNIST_TUTORIAL

IMAGE = (None, 3, 32, 32)
SEQUENCE = (None, 20, 5)     # batch, time, features
VOLUME = (None, 2, 8, 8, 8)
SIGNAL = (None, 4, 100)


def one(cls, input_shape=IMAGE, **kw):
    """The layer ``cls(**kw)`` on an InputLayer of ``input_shape``."""
    return spec.build([("InputLayer", {"shape": input_shape}),
                       (cls, kw)])[-1]


# (class, input shape, arguments, output shape, trainable parameters)
TABLE = [
    # conv: W (F, C, *k) + b (F,); Lasagne 0.1 keeps 'same' for even k
    ("Conv2DLayer", IMAGE, dict(num_filters=16, filter_size=3),
     (None, 16, 30, 30), 16 * 3 * 9 + 16),
    ("Conv2DLayer", IMAGE, dict(num_filters=16, filter_size=3, pad="same"),
     (None, 16, 32, 32), 448),
    ("Conv2DLayer", IMAGE, dict(num_filters=16, filter_size=3, pad="full"),
     (None, 16, 34, 34), 448),
    ("Conv2DLayer", IMAGE, dict(num_filters=16, filter_size=(5, 3), stride=2,
                                pad=(2, 1)), (None, 16, 16, 16), 736),
    ("Conv2DLayer", IMAGE, dict(num_filters=8, filter_size=3,
                                untie_biases=True),
     (None, 8, 30, 30), 8 * 3 * 9 + 8 * 30 * 30),
    ("Conv2DLayer", IMAGE, dict(num_filters=8, filter_size=3, b=None),
     (None, 8, 30, 30), 216),
    ("Conv2DLayer", IMAGE, dict(num_filters=8, filter_size=4, pad="same"),
     (None, 8, 32, 32), 392),
    ("Conv2DLayer", IMAGE, dict(num_filters=8, filter_size=3, stride=3,
                                pad="same"), (None, 8, 11, 11), 224),
    ("Conv2DLayer", IMAGE, dict(num_filters=6, filter_size=3, num_groups=3),
     (None, 6, 30, 30), 6 * 1 * 9 + 6),
    ("Conv1DLayer", SIGNAL, dict(num_filters=10, filter_size=5, stride=2),
     (None, 10, 48), 10 * 4 * 5 + 10),
    ("Conv3DLayer", VOLUME, dict(num_filters=4, filter_size=3, pad=1),
     (None, 4, 8, 8, 8), 4 * 2 * 27 + 4),
    ("Conv3DDNNLayer", VOLUME, dict(num_filters=4, filter_size=(3, 3, 1)),
     (None, 4, 6, 6, 8), 76),
    # 0.1 cuDNN / corrmm / cuda-convnet: 'same' pads (k - 1) // 2
    ("Conv2DDNNLayer", IMAGE, dict(num_filters=8, filter_size=4,
                                   pad="same"), (None, 8, 31, 31), 392),
    ("Conv2DMMLayer", IMAGE, dict(num_filters=8, filter_size=3, pad="full"),
     (None, 8, 34, 34), 224),
    ("Conv2DCCLayer", IMAGE, dict(num_filters=16, filter_size=3, stride=2,
                                  pad="same"), (None, 16, 16, 16), 448),
    # dilated: W (C, F, *k), extent d (k - 1) + 1, no padding
    ("DilatedConv2DLayer", IMAGE, dict(num_filters=8, filter_size=3,
                                       dilation=2), (None, 8, 28, 28), 224),
    # transposed: (n - 1) s - 2 crop + k; W (C, F, *k)
    ("TransposedConv2DLayer", (None, 16, 8, 8),
     dict(num_filters=3, filter_size=4, stride=2, crop=1),
     (None, 3, 16, 16), 16 * 3 * 16 + 3),
    ("Deconv2DLayer", (None, 16, 8, 8),
     dict(num_filters=3, filter_size=3, stride=2, crop="same"),
     (None, 3, 15, 15), 16 * 3 * 9 + 3),
    ("TransposedConv2DLayer", (None, 16, 8, 8),
     dict(num_filters=3, filter_size=3, crop="full"), (None, 3, 6, 6), 435),
    ("TransposedConv2DLayer", (None, 16, 8, 8),
     dict(num_filters=3, filter_size=3, crop="valid"), (None, 3, 10, 10),
     435),
    ("TransposedConv2DLayer", (None, 16, 8, 8),
     dict(num_filters=3, filter_size=4, stride=2, crop=1, output_size=17),
     (None, 3, 17, 17), 771),
    ("TransposedConv3DLayer", (None, 4, 3, 3, 3),
     dict(num_filters=2, filter_size=2, stride=2), (None, 2, 6, 6, 6),
     4 * 2 * 8 + 2),
    # locally connected: one filter per output position
    ("LocallyConnected2DLayer", (None, 3, 6, 5),
     dict(num_filters=4, filter_size=3), (None, 4, 6, 5),
     4 * 3 * 9 * 30 + 4),
    ("LocallyConnected2DLayer", (None, 3, 6, 5),
     dict(num_filters=3, filter_size=3, channelwise=True), (None, 3, 6, 5),
     3 * 9 * 30 + 3),
    ("NINLayer", IMAGE, dict(num_units=10), (None, 10, 32, 32), 40),
    ("NINLayer", IMAGE, dict(num_units=10, untie_biases=True),
     (None, 10, 32, 32), 30 + 10 * 1024),
    # pooling
    ("MaxPool2DLayer", IMAGE, dict(pool_size=2), (None, 3, 16, 16), 0),
    ("MaxPool2DLayer", IMAGE, dict(pool_size=3, stride=2),
     (None, 3, 15, 15), 0),
    ("MaxPool2DLayer", IMAGE, dict(pool_size=3, stride=2,
                                   ignore_border=False),
     (None, 3, 16, 16), 0),
    ("Pool2DLayer", IMAGE, dict(pool_size=3, stride=1, pad=1,
                                mode="average_inc_pad"), IMAGE, 0),
    ("MaxPool1DLayer", SIGNAL, dict(pool_size=3), (None, 4, 33), 0),
    ("Pool1DLayer", SIGNAL, dict(pool_size=3, ignore_border=False),
     (None, 4, 34), 0),
    ("Pool3DLayer", VOLUME, dict(pool_size=2), (None, 2, 4, 4, 4), 0),
    ("MaxPool3DLayer", VOLUME, dict(pool_size=(2, 4, 8)), (None, 2, 4, 2, 1),
     0),
    ("MaxPool2DCCLayer", IMAGE, dict(pool_size=3, stride=2),
     (None, 3, 16, 16), 0),
    ("Pool2DDNNLayer", IMAGE, dict(pool_size=2, pad=1), (None, 3, 17, 17), 0),
    ("MaxPool2DDNNLayer", IMAGE, dict(pool_size=3), (None, 3, 10, 10), 0),
    ("Pool3DDNNLayer", VOLUME, dict(pool_size=3, stride=2),
     (None, 2, 3, 3, 3), 0),
    ("MaxPool3DDNNLayer", VOLUME, dict(pool_size=2), (None, 2, 4, 4, 4), 0),
    ("Upscale1DLayer", SIGNAL, dict(scale_factor=3), (None, 4, 300), 0),
    ("Upscale2DLayer", IMAGE, dict(scale_factor=(3, 2)), (None, 3, 96, 64),
     0),
    ("Upscale3DLayer", VOLUME, dict(scale_factor=2, mode="dilate"),
     (None, 2, 16, 16, 16), 0),
    ("GlobalPoolLayer", IMAGE, {}, (None, 3), 0),
    ("SpatialPyramidPoolingLayer", IMAGE, {}, (None, 3, 16 + 4 + 1), 0),
    ("SpatialPyramidPoolingDNNLayer", (None, 3, None, None),
     dict(pool_dims=[3, 1]), (None, 3, 10), 0),
    ("FeaturePoolLayer", IMAGE, dict(pool_size=3), (None, 1, 32, 32), 0),
    ("FeaturePoolLayer", (None, 12), dict(pool_size=4), (None, 3), 0),
    ("FeatureWTALayer", (None, 12), dict(pool_size=4), (None, 12), 0),
    # shape
    ("PadLayer", IMAGE, dict(width=2), (None, 3, 36, 36), 0),
    ("PadLayer", IMAGE, dict(width=[(1, 2), (0, 3)]), (None, 3, 35, 35), 0),
    ("PadLayer", IMAGE, dict(width=1, batch_ndim=1), (None, 5, 34, 34), 0),
    ("PadLayer", (None, 3, None, 7), dict(width=1), (None, 3, None, 9), 0),
    ("SliceLayer", IMAGE, dict(indices=slice(0, 10, 2), axis=2),
     (None, 3, 5, 32), 0),
    ("SliceLayer", IMAGE, dict(indices=0, axis=1), (None, 32, 32), 0),
    ("SliceLayer", IMAGE, dict(indices=[-5, None]), (None, 3, 32, 5), 0),
    ("FlattenLayer", IMAGE, {}, (None, 3072), 0),
    ("FlattenLayer", IMAGE, dict(outdim=3), (None, 3, 1024), 0),
    ("ReshapeLayer", IMAGE, dict(shape=([0], -1)), (None, 3072), 0),
    ("ReshapeLayer", IMAGE, dict(shape=([0], [1], 16, -1)),
     (None, 3, 16, 64), 0),
    ("ReshapeLayer", IMAGE, dict(shape=(-1, 32)), (None, 32), 0),
    ("ReshapeLayer", (2, 3, 4), dict(shape=(-1, 4)), (6, 4), 0),
    ("DimshuffleLayer", IMAGE, dict(pattern=(0, 2, 3, 1)),
     (None, 32, 32, 3), 0),
    ("DimshuffleLayer", (None, 1, 7), dict(pattern=(0, "x", 2)),
     (None, 1, 7), 0),
    # normalisation: beta and gamma per channel; mean and inv_std are not
    # trainable
    ("BatchNormLayer", IMAGE, {}, IMAGE, 3 + 3),
    ("BatchNormLayer", (None, 10), {}, (None, 10), 20),
    ("BatchNormLayer", IMAGE, dict(axes=(0,)), IMAGE, 2 * 3 * 32 * 32),
    ("BatchNormLayer", IMAGE, dict(beta=None), IMAGE, 3),
    ("BatchNormDNNLayer", IMAGE, {}, IMAGE, 6),
    ("StandardizationLayer", IMAGE, {}, IMAGE, 0),
    ("LocalResponseNormalization2DLayer", IMAGE, dict(n=3), IMAGE, 0),
    # per-position layers; shared_axes 'auto' keeps one value per channel
    ("BiasLayer", IMAGE, {}, IMAGE, 3),
    ("BiasLayer", IMAGE, dict(shared_axes=0), IMAGE, 3 * 32 * 32),
    ("BiasLayer", IMAGE, dict(b=None), IMAGE, 0),
    ("ScaleLayer", IMAGE, {}, IMAGE, 3),
    ("ParametricRectifierLayer", IMAGE, {}, IMAGE, 3),
    ("ParametricRectifierLayer", IMAGE, dict(shared_axes="all"), IMAGE, 1),
    ("ParametricRectifierLayer", (None, 10), {}, (None, 10), 10),
    ("RandomizedRectifierLayer", IMAGE, {}, IMAGE, 0),
    ("NonlinearityLayer", IMAGE, {}, IMAGE, 0),
    ("DropoutLayer", IMAGE, dict(p=0.2), IMAGE, 0),
    ("GaussianNoiseLayer", IMAGE, dict(sigma=0.3), IMAGE, 0),
    ("ExpressionLayer", IMAGE, dict(function=abs), IMAGE, 0),
    ("ExpressionLayer", IMAGE, dict(function=abs,
                                    output_shape=(None, 3, 16, 16)),
     (None, 3, 16, 16), 0),
    ("ExpressionLayer", IMAGE, dict(function=abs,
                                    output_shape=lambda s: (s[0], s[1] * 2)),
     (None, 6), 0),
    # dense: W (inputs, units) + b
    ("DenseLayer", IMAGE, dict(num_units=10), (None, 10), 30730),
    ("DenseLayer", IMAGE, dict(num_units=10, b=None), (None, 10), 30720),
    ("DenseLayer", (None, 5, 7), dict(num_units=4, num_leading_axes=2),
     (None, 5, 4), 32),
    ("DenseLayer", (None, 5, 7), dict(num_units=4, num_leading_axes=-1),
     (None, 5, 4), 32),
    ("EmbeddingLayer", (None, 6), dict(input_size=100, output_size=8),
     (None, 6, 8), 800),
    # recurrent, 5 features, 8 units: per gate 5*8 + 8*8 (+ 8 bias)
    ("RecurrentLayer", SEQUENCE, dict(num_units=8), (None, 20, 8), 112),
    ("RecurrentLayer", SEQUENCE, dict(num_units=8, learn_init=True),
     (None, 20, 8), 120),
    ("RecurrentLayer", SEQUENCE, dict(num_units=8, b=None), (None, 20, 8),
     104),
    ("RecurrentLayer", (None, 20, 2, 3), dict(num_units=4), (None, 20, 4),
     6 * 4 + 16 + 4),
    ("LSTMLayer", SEQUENCE, dict(num_units=8), (None, 20, 8),
     4 * 112 + 3 * 8),
    ("LSTMLayer", SEQUENCE, dict(num_units=8, learn_init=True),
     (None, 20, 8), 4 * 112 + 3 * 8 + 2 * 8),
    ("LSTMLayer", SEQUENCE, dict(num_units=8, peepholes=False,
                                 only_return_final=True), (None, 8), 448),
    ("GRULayer", SEQUENCE, dict(num_units=8), (None, 20, 8), 3 * 112 + 8),
    ("GRULayer", SEQUENCE, dict(num_units=8, learn_init=False),
     (None, 20, 8), 336),
    ("CustomRecurrentLayer", SEQUENCE, dict(
        input_to_hidden=[("InputLayer", {"shape": (None, 5)}),
                         ("DenseLayer", {"num_units": 8})],
        hidden_to_hidden=[("InputLayer", {"shape": (None, 8)}),
                          ("DenseLayer", {"num_units": 8, "b": None})]),
     (None, 20, 8), 48 + 64),
]


def _id(row):
    return "{}-{}".format(row[0], sorted(row[2]))


@pytest.mark.parametrize("cls, shape, kwargs, out, n_params", TABLE,
                         ids=[_id(row) for row in TABLE])
def test_value_table(cls, shape, kwargs, out, n_params):
    layer = one(cls, shape, **kwargs)
    assert layer.output_shape == out
    assert layer.n_params == n_params


def test_table_covers_every_builder():
    assert set(spec.supported_classes()) - {row[0] for row in TABLE} == {
        "InputLayer", "ConcatLayer", "ElemwiseSumLayer", "ElemwiseMergeLayer",
        "Deconv3DLayer", "TransformerLayer", "TPSTransformerLayer",
        "InverseLayer"}


def test_mnist_tutorial():
    layers = spec.build(MNIST_TUTORIAL)
    assert [(l.name, l.output_shape, l.n_params) for l in layers] == [
        ("input0", (None, 1, 28, 28), 0),
        ("conv2d1", (None, 32, 26, 26), 320),
        ("maxpool2d2", (None, 32, 13, 13), 0),
        ("conv2d3", (None, 64, 11, 11), 18496),
        ("conv2d4", (None, 64, 9, 9), 36928),
        ("maxpool2d5", (None, 64, 4, 4), 0),
        ("conv2d6", (None, 96, 2, 2), 55392),
        ("maxpool2d7", (None, 96, 1, 1), 0),
        ("dense8", (None, 64), 6208),
        ("dropout9", (None, 64), 0),
        ("dense10", (None, 64), 4160),
        ("dense11", (None, 10), 650)]
    assert sum(l.n_params for l in layers) == 122154


# --- merges and extra inputs -------------------------------------------------

def merge(cls, shapes, **kw):
    specs = [("InputLayer", {"name": "in{}".format(i), "shape": s})
             for i, s in enumerate(shapes)]
    kw["incomings"] = ["in{}".format(i) for i in range(len(shapes))]
    return spec.build(specs + [(cls, kw)])[-1]


@pytest.mark.parametrize("cls, shapes, kw, out", [
    ("ConcatLayer", [IMAGE, IMAGE], {}, (None, 6, 32, 32)),
    ("ConcatLayer", [IMAGE, IMAGE], dict(axis=-1), (None, 3, 32, 64)),
    ("ConcatLayer", [IMAGE, (None, 5, 30, 28)],
     dict(cropping=[None, None, "center", "center"]), (None, 8, 30, 28)),
    ("ConcatLayer", [(None, 3), (None, 4), (None, 5)], {}, (None, 12)),
    ("ConcatLayer", [(None, 3, None), (None, 3, 7)], dict(axis=2),
     (None, 3, None)),
    ("ElemwiseSumLayer", [IMAGE, IMAGE], dict(coeffs=[1, -1]), IMAGE),
    ("ElemwiseSumLayer", [IMAGE, (None, 3, 30, 31)],
     dict(cropping=[None, None, "lower", "upper"]), (None, 3, 30, 31)),
    ("ElemwiseMergeLayer", [(None, 3, None), (None, 3, 9)],
     dict(merge_function=max), (None, 3, 9)),
])
def test_merges(cls, shapes, kw, out):
    layer = merge(cls, shapes, **kw)
    assert (layer.output_shape, layer.n_params) == (out, 0)
    assert len(layer.input_layers) == len(shapes)


def test_merge_shape_mismatch_names_the_shapes():
    with pytest.raises(BadSpecError, match=r"\(None, 3, 30, 30\) differ"):
        merge("ElemwiseSumLayer", [IMAGE, (None, 3, 30, 30)])
    with pytest.raises(BadSpecError, match="outside axis 1"):
        merge("ConcatLayer", [IMAGE, (None, 3, 30, 30)])


def test_recurrent_extra_inputs_by_name():
    layers = spec.build([
        ("InputLayer", {"name": "x", "shape": SEQUENCE}),
        ("InputLayer", {"name": "mask", "shape": (None, 20)}),
        ("InputLayer", {"name": "h0", "shape": (None, 8)}),
        ("LSTMLayer", {"incoming": "x", "num_units": 8, "learn_init": True,
                       "mask_input": "mask", "hid_init": "h0"})])
    lstm = layers[-1]
    assert [l.name for l in lstm.input_layers] == ["x", "mask", "h0"]
    # a layer as hid_init is no parameter; cell_init is still learned
    assert lstm.n_params == 4 * 112 + 3 * 8 + 8
    assert lstm.output_shape == (None, 20, 8)


@pytest.mark.parametrize("cls, kw, units, out", [
    ("TransformerLayer", dict(downsample_factor=2), 6, (None, 3, 16, 16)),
    ("TPSTransformerLayer", dict(downsample_factor=(1, 3)), 2 * 16,
     (None, 3, 32, 10)),
    ("TPSTransformerLayer", dict(control_points=9), 18, IMAGE),
])
def test_transformers_take_a_localization_network_by_name(cls, kw, units,
                                                          out):
    layers = spec.build([
        ("InputLayer", {"name": "x", "shape": IMAGE}),
        ("DenseLayer", {"name": "loc", "num_units": units}),
        (cls, dict(kw, incoming="x", localization_network="loc"))])
    assert (layers[-1].output_shape, layers[-1].n_params) == (out, 0)
    assert [l.name for l in layers[-1].input_layers] == ["x", "loc"]


def test_transformer_checks_the_localization_network():
    with pytest.raises(BadSpecError, match=r"should be \(batch, 6\), got "
                                           r"\(None, 5\)"):
        spec.build([
            ("InputLayer", {"name": "x", "shape": IMAGE}),
            ("DenseLayer", {"name": "loc", "num_units": 5}),
            ("TransformerLayer", dict(incoming="x",
                                      localization_network="loc"))])


def test_inverse_layer_has_the_inverted_layer_s_input_shape():
    layers = spec.build([
        ("InputLayer", {"name": "x", "shape": IMAGE}),
        ("Conv2DLayer", {"name": "conv", "num_filters": 5,
                         "filter_size": 3}),
        ("InverseLayer", {"layer": "conv"})])
    inverse = layers[-1]
    assert (inverse.output_shape, inverse.n_params) == (IMAGE, 0)
    assert [l.name for l in inverse.input_layers] == ["conv", "conv", "x"]
    record = rules.network_of(layers).layers[-1]
    assert (record.op, record.kernel) == ("transposed", (3, 3))


def test_recurrent_layers_are_merge_layers_like_lasagne():
    layer = one("GRULayer", SEQUENCE, num_units=3)
    assert layer.input_shapes == [SEQUENCE]
    assert not hasattr(layer, "input_shape")


# --- attributes the rule table reads -----------------------------------------

@pytest.mark.parametrize("cls, shape, kwargs, attrs", [
    ("Conv2DLayer", IMAGE, dict(num_filters=2, filter_size=3, pad="valid"),
     dict(filter_size=(3, 3), stride=(1, 1), pad=(0, 0), num_filters=2)),
    ("Conv2DCCLayer", IMAGE, dict(num_filters=16, filter_size=3, stride=2,
                                  pad="full"),
     dict(filter_size=3, stride=2, pad=2)),
    ("Conv2DDNNLayer", IMAGE, dict(num_filters=2, filter_size=3, pad="full"),
     dict(pad="full")),
    ("Conv2DDNNLayer", IMAGE, dict(num_filters=2, filter_size=5, pad="same"),
     dict(pad=(2, 2))),
    ("Conv2DMMLayer", IMAGE, dict(num_filters=2, filter_size=5, pad="full"),
     dict(pad=(4, 4))),
    ("DilatedConv2DLayer", IMAGE, dict(num_filters=2, filter_size=3,
                                       dilation=(2, 1)),
     dict(dilation=(2, 1), pad=(0, 0))),
    ("TransposedConv2DLayer", IMAGE, dict(num_filters=2, filter_size=3,
                                          crop="same", stride=2),
     dict(crop="same", stride=(2, 2), output_size=None)),
    ("MaxPool2DCCLayer", IMAGE, dict(pool_size=2),
     dict(pool_size=2, stride=2)),
    ("Pool2DLayer", IMAGE, dict(pool_size=2, mode="average_exc_pad"),
     dict(pool_size=(2, 2), stride=(2, 2), pad=(0, 0), ignore_border=True,
          mode="average_exc_pad")),
    ("Upscale2DLayer", IMAGE, dict(scale_factor=2, mode="dilate"),
     dict(scale_factor=(2, 2), mode="dilate")),
    ("PadLayer", IMAGE, dict(width=1), dict(width=1, batch_ndim=2)),
    ("SliceLayer", IMAGE, dict(indices=[1, 9], axis=2),
     dict(slice=slice(1, 9), axis=2)),
    ("ConcatLayer", IMAGE, dict(cropping=["lower"] * 4),
     dict(axis=1, cropping=["lower", None, "lower", "lower"])),
    ("DenseLayer", IMAGE, dict(num_units=5), dict(num_units=5)),
    ("LSTMLayer", SEQUENCE, dict(num_units=5),
     dict(num_units=5, peepholes=True, learn_init=False)),
    ("ParametricRectifierLayer", IMAGE, {}, dict(shared_axes=(0, 2, 3))),
    ("InputLayer", None, dict(shape=[None, 2]), dict(shape=(None, 2))),
])
def test_lasagne_attributes(cls, shape, kwargs, attrs):
    if cls == "InputLayer":
        layer = spec.build([(cls, kwargs)])[0]
    else:
        layer = one(cls, shape, **kwargs)
    assert {key: getattr(layer, key) for key in attrs} == attrs


def test_attributes_a_class_lacks_are_absent():
    assert not hasattr(one("DilatedConv2DLayer", IMAGE, num_filters=2,
                           filter_size=3), "stride")
    assert not hasattr(one("TransposedConv2DLayer", IMAGE, num_filters=2,
                           filter_size=3), "pad")


def test_rule_table_reads_every_class():
    """Each class gets a record from the Lasagne adapter's rules, with the
    geometry its attributes say."""
    assert set(spec.supported_classes()) - set(rules.RULES) == set()
    for cls, shape, kw, _, _ in TABLE:    # no rule trips over an attribute
        net = [("InputLayer", {"shape": shape}), (cls, kw)]
        record = rules.network_of(spec.build(net)).layers[1]
        assert record.n_params == spec.build(net)[1].n_params
    record = rules.network_of(spec.build(
        [("InputLayer", {"shape": IMAGE}),
         ("Conv2DCCLayer", dict(num_filters=16, filter_size=3, stride=2,
                                pad="same"))])).layers[1]
    assert (record.kernel, record.stride, record.pad) == ((3, 3), (2, 2),
                                                          (1, 1))
    record = rules.network_of(spec.build(
        [("InputLayer", {"shape": (None, 16, 8, 8)}),
         ("Deconv2DLayer", dict(num_filters=3, filter_size=3, stride=2,
                                crop="same"))])).layers[1]
    assert (record.op, record.kernel, record.stride, record.pad) == (
        "transposed", (3, 3), (2, 2), (1, 1))


# --- nolearn's spelling ------------------------------------------------------

def test_old_nolearn_spec_with_layer_keywords():
    layers = spec.build(
        [("input", "InputLayer"), ("conv1", "Conv2DLayer"),
         ("pool1", "MaxPool2DLayer"), ("out", "DenseLayer")],
        input_shape=(None, 1, 28, 28), conv1_num_filters=4,
        conv1_filter_size=(5, 5), pool1_pool_size=2, out_num_units=10)
    assert [l.output_shape for l in layers] == [
        (None, 1, 28, 28), (None, 4, 24, 24), (None, 4, 12, 12), (None, 10)]
    assert [l.n_params for l in layers] == [0, 104, 0, 5770]


@pytest.mark.parametrize("old, new, value, attr", [
    ("ds", "pool_size", 2, (2, 2)),
    ("strides", "stride", 1, (1, 1)),
    ("border_mode", "pad", "same", "same"),
    ("border_mode", "pad", "valid", (0, 0)),
])
def test_deprecated_argument_names_warn_and_work(old, new, value, attr):
    cls = "MaxPool2DLayer" if old == "ds" else "Conv2DLayer"
    kw = {old: value}
    if cls == "Conv2DLayer":
        kw.update(num_filters=2, filter_size=3)
    else:
        kw["stride"] = 2
    with pytest.warns(DeprecationWarning, match="{!r}.*{!r}".format(old,
                                                                    new)):
        layer = one(cls, **kw)
    assert getattr(layer, new) == attr


def test_border_mode_full_maps_to_pad():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        layer = one("Conv2DLayer", num_filters=2, filter_size=3,
                    border_mode="full")
    assert (layer.pad, layer.output_shape) == ("full", (None, 2, 34, 34))


def test_classes_are_accepted_by_name_or_object():
    class Conv2DLayer(object):
        pass
    layer = spec.build([("InputLayer", {"shape": IMAGE}),
                        (Conv2DLayer, {"num_filters": 1,
                                       "filter_size": 1})])[-1]
    assert layer.class_lineage == ("Conv2DLayer",)


# --- errors ------------------------------------------------------------------

def test_unknown_class_suggests_the_closest_name():
    with pytest.raises(BadSpecError, match="did you mean 'Conv2DLayer'"):
        one("Conv2dLayer", num_filters=1, filter_size=1)
    with pytest.raises(BadSpecError, match="did you mean 'BatchNormLayer'"):
        one("BatchNormalizationLayer")


def test_missing_argument_names_the_layer():
    with pytest.raises(BadSpecError) as error:
        one("DenseLayer")
    assert str(error.value) == ("layer 'dense1' (#1, DenseLayer): missing "
                                "argument 'num_units'")


@pytest.mark.parametrize("cls, kw, message", [
    ("Conv2DLayer", dict(num_filters=2, filter_size=3, foo=1, bar=2),
     "unexpected arguments bar, foo"),
    ("MaxPool2DLayer", dict(pool_size=2, mode="average_inc_pad"),
     "unexpected arguments mode"),
    ("Conv2DLayer", dict(num_filters=2, filter_size="3"),
     "filter_size should be an int, got '3'"),
    ("Conv2DLayer", dict(num_filters=2, filter_size=(3, 3, 3)),
     "should have 2 entries"),
    ("Conv2DLayer", dict(num_filters=2, filter_size=3, pad="half-ish"),
     "pad should be an int, a tuple of ints or one of valid, full, same"),
    ("Conv1DLayer", dict(num_filters=2, filter_size=3),
     "expects a 3-dimensional input"),
    ("Conv2DLayer", dict(num_filters=4, filter_size=3, num_groups=2),
     "num_groups=2 should divide the 3 input"),
    ("Conv2DCCLayer", dict(num_filters=8, filter_size=3),
     "multiple of 16, got 8"),
    ("Conv2DCCLayer", dict(num_filters=16, filter_size=(3, 5)),
     "square filter_size"),
    ("DilatedConv2DLayer", dict(num_filters=2, filter_size=3, pad=1),
     "DilatedConv2DLayer needs pad=0, got 1"),
    ("DilatedConv2DLayer", dict(num_filters=2, filter_size=3, stride=2),
     "unexpected arguments stride"),
    ("TransposedConv2DLayer", dict(num_filters=2, filter_size=4,
                                   crop="same"),
     "crop='same' needs odd filter sizes"),
    ("LocallyConnected2DLayer", dict(num_filters=2, filter_size=3, pad=1),
     "needs stride=1 and pad='same'"),
    ("MaxPool2DLayer", dict(pool_size=2, pad=1, ignore_border=False),
     "padding needs ignore_border=True"),
    ("Pool2DDNNLayer", dict(pool_size=2, ignore_border=False),
     "needs ignore_border=True"),
    ("MaxPool2DCCLayer", dict(pool_size=2, stride=3),
     "stride <= pool_size"),
    ("Upscale2DLayer", dict(scale_factor=2, mode="nearest"),
     "'repeat' or 'dilate'"),
    ("FeaturePoolLayer", dict(pool_size=2), "3 features on axis 1"),
    ("ReshapeLayer", dict(shape=([0], 5, -1)), "the total sizes differ"),
    ("ReshapeLayer", dict(shape=(-1, -1)), "more than one -1"),
    ("DimshuffleLayer", dict(pattern=(0, 2, 3)), "drops axis 1 of size 3"),
    ("ExpressionLayer", dict(function=abs, output_shape="auto"),
     "needs Theano"),
    ("BatchNormDNNLayer", dict(axes=(0, 1)), "BatchNormDNNLayer normalises"),
    ("ScaleLayer", dict(scales=None), "scales=None is not allowed"),
    ("RandomizedRectifierLayer", dict(lower=0.9, upper=0.1),
     "lower 0.9 is above upper 0.1"),
    ("LocalResponseNormalization2DLayer", dict(n=4), "n should be odd"),
    ("DenseLayer", dict(num_units=2, num_leading_axes=4),
     "num_leading_axes=4 leaves no axes"),
])
def test_bad_values_name_the_layer_and_the_value(cls, kw, message):
    with pytest.raises(BadSpecError) as error:
        one(cls, **kw)
    assert str(error.value).startswith("layer ")
    assert "#1, {}".format(cls) in str(error.value)
    assert message in str(error.value)


def test_recurrent_layers_need_a_time_axis():
    with pytest.raises(BadSpecError, match=r"LSTMLayer\): expects a "
                                           r"\(batch, time, features"):
        one("LSTMLayer", (None, 10), num_units=2)


def test_sizes_below_one_are_reported():
    with pytest.raises(BadShapeError, match="size below 1"):
        one("Conv2DLayer", (None, 3, 2, 2), num_filters=1, filter_size=3)
    with pytest.raises(BadShapeError, match="size below 1"):
        one("SliceLayer", indices=slice(5, 1))


def test_unknown_sizes_where_lasagne_needs_them():
    with pytest.raises(BadSpecError, match="DenseLayer's input .* needs "
                                           "fixed sizes"):
        one("DenseLayer", (None, 3, None), num_units=2)
    with pytest.raises(BadSpecError, match="untie_biases needs fixed sizes"):
        one("Conv2DLayer", (None, 3, None, 9), num_filters=2, filter_size=3,
            untie_biases=True)


def test_inputs_are_checked():
    with pytest.raises(BadSpecError, match="first layer must be an "
                                           "InputLayer"):
        spec.build([("DenseLayer", {"num_units": 2})])
    with pytest.raises(BadSpecError, match="incoming layer 'nope' is not "
                                           "defined"):
        spec.build([("InputLayer", {"shape": IMAGE}),
                    ("DenseLayer", {"num_units": 2, "incoming": "nope"})])
    with pytest.raises(BadSpecError, match="takes one incoming layer, got 2"):
        spec.build([("InputLayer", {"name": "a", "shape": IMAGE}),
                    ("DenseLayer", {"num_units": 2,
                                    "incomings": ["a", "a"]})])
    with pytest.raises(BadSpecError, match="two layers are named 'a'"):
        spec.build([("InputLayer", {"name": "a", "shape": IMAGE}),
                    ("DenseLayer", {"name": "a", "num_units": 2})])


def test_sub_network_errors_keep_their_context():
    with pytest.raises(BadSpecError) as error:
        one("CustomRecurrentLayer", SEQUENCE,
            input_to_hidden=[("InputLayer", {"shape": (None, 5)}),
                             ("DenseLayer", {})],
            hidden_to_hidden=[("InputLayer", {"shape": (None, 8)})])
    assert str(error.value) == (
        "layer 'customrecurrent1' (#1, CustomRecurrentLayer): layer 'dense1' "
        "(#1, DenseLayer): missing argument 'num_units'")


# --- geometry ----------------------------------------------------------------

@pytest.mark.parametrize("length, k, s, crop, out", [
    (8, 3, 2, "same", 15), (8, 3, 1, "full", 6), (8, 3, 1, "valid", 10),
    (8, 4, 2, 1, 16), (None, 3, 2, 0, None),
])
def test_transposed_output_length(length, k, s, crop, out):
    assert geometry.transposed_output_length(length, k, s, crop) == out
    if length is not None:    # the matching conv maps the output back
        assert geometry.conv_output_length(out, k, s, crop) == length


def test_conv_output_length_rejects_unknown_pad_modes():
    with pytest.raises(ValueError, match="pad 'half'"):
        geometry.conv_output_length(8, 3, 1, "half")


class _Size(tuple):
    """A tuple subclass with its own repr, as ``torch.Size``."""

    def __repr__(self):
        return "Size({})".format(list(self))


@pytest.mark.parametrize("value, kwargs, expected", [
    (3, {}, (3, 3)), ([1, 2], {}, (1, 2)), (_Size([4, 5]), {}, (4, 5)),
    ((7,), {"one_for_all": True}, (7, 7)),
    (_Size([2.0]), {"one_for_all": True, "convert": int}, (2, 2)),
    (3.0, {"convert": int}, (3, 3)),
])
def test_as_tuple_gives_one_value_per_axis(value, kwargs, expected):
    result = geometry.as_tuple(value, 2, **kwargs)
    assert result == expected and type(result) is tuple
    assert [type(v) for v in result] == [type(v) for v in expected]


@pytest.mark.parametrize("value, kwargs, shown_as", [
    ((7,), {}, "(7,)"), ([1, 2, 3], {}, "[1, 2, 3]"),
    (_Size([1, 2, 3]), {"one_for_all": True}, "(1, 2, 3)"),
])
def test_as_tuple_refuses_other_lengths(value, kwargs, shown_as):
    with pytest.raises(ValueError) as error:
        geometry.as_tuple(value, 2, "stride", **kwargs)
    assert str(error.value) == "stride {} should have 2 entries".format(
        shown_as)


@pytest.mark.parametrize("axes, op, context", [
    ("auto", "normalise", (32, 32)), ("spatial", "normalise", (32, 32)),
    ("features", "normalise", (32, 32)), (1, "pointwise", ()),
    (3, "unknown", ())])
def test_standardization_over_the_map_gives_global_context(axes, op, context):
    """Lasagne's StandardizationLayer takes statistics per sample, also
    when evaluated: over the spatial axes every unit sees the map."""
    from nolearn_capacity import core
    layers = spec.build([
        ("InputLayer", {"shape": IMAGE}),
        ("Conv2DLayer", {"num_filters": 4, "filter_size": 3, "pad": 1}),
        ("StandardizationLayer", {"axes": axes}),
        ("Conv2DLayer", {"num_filters": 4, "filter_size": 3, "pad": 1})])
    report = core.report(rules.network_of(layers), "exact")
    norm, after = report.rows[2], report.rows[3]
    assert norm.op == op and after.field == (5, 5)
    assert norm.context == after.context == context
