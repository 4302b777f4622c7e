"""Generated Lasagne 0.1 nets: Theano's output == the torch port's.

Every Lasagne 0.1 class with a port rule (and the cuDNN / corrmm /
cuda-convnet classes, compat's CPU stand-ins here) appears in these
strategies; parameters are random (constant initialisations perturbed).
"""
import lasagne.layers as L
import lasagne.nonlinearities as N
import numpy as np
import pytest
import theano.tensor as T
from hypothesis import given, settings, strategies as st
from lasagne.layers import corrmm, cuda_convnet, dnn

from nolearn_capacity.port import check, to_torch
from netcheck import assert_port_matches

SETTINGS = settings(max_examples=12, deadline=None)

NONLINEARITIES = [N.rectify, N.sigmoid, N.tanh, N.linear, N.identity,
                  N.leaky_rectify, N.very_leaky_rectify, N.LeakyRectify(0.2)]


@st.composite
def conv_nets(draw):
    cls = draw(st.sampled_from(["Conv2DLayer", "Conv2DDNNLayer",
                                "Conv2DMMLayer", "Conv2DCCLayer"]))
    channels = draw(st.integers(1, 3))
    rows, cols = draw(st.integers(4, 9)), draw(st.integers(4, 9))
    layer = L.InputLayer((None, channels, rows, cols))
    square = cls == "Conv2DCCLayer"
    k = draw(st.integers(1, 4))
    size = (k, k) if square else (k, draw(st.integers(1, 4)))
    stride = draw(st.integers(1, 3))
    pad = draw(st.one_of(st.integers(0, 2),
                         st.sampled_from(["valid", "full", "same"])))
    kw = dict(num_filters=16 if square else draw(st.integers(1, 4)),
              filter_size=size, stride=stride, pad=pad,
              untie_biases=draw(st.booleans()),
              nonlinearity=draw(st.sampled_from(NONLINEARITIES)))
    if draw(st.booleans()):
        kw["b"] = None
    if cls != "Conv2DLayer":
        kw["flip_filters"] = draw(st.booleans())
    factory = {"Conv2DLayer": L.Conv2DLayer,
               "Conv2DDNNLayer": dnn.Conv2DDNNLayer,
               "Conv2DMMLayer": corrmm.Conv2DMMLayer,
               "Conv2DCCLayer": cuda_convnet.Conv2DCCLayer}[cls]
    return factory(layer, **kw)


@given(conv_nets(), st.integers(0, 2 ** 16))
@SETTINGS
def test_convs(net, seed):
    assert_port_matches([net], seed)


@st.composite
def pool_nets(draw):
    cls = draw(st.sampled_from(["Pool2DLayer", "MaxPool2DLayer",
                                "Pool2DDNNLayer", "MaxPool2DDNNLayer",
                                "MaxPool2DCCLayer", "MaxPool1DLayer"]))
    if cls == "MaxPool1DLayer":
        layer = L.InputLayer((None, 2, draw(st.integers(1, 9))))
    else:
        layer = L.InputLayer((None, 2, draw(st.integers(1, 9)),
                              draw(st.integers(1, 9))))
    k = draw(st.integers(1, 4))
    if cls == "MaxPool2DCCLayer":
        stride = draw(st.integers(1, k))
        return cuda_convnet.MaxPool2DCCLayer(layer, k, stride=stride)
    stride = draw(st.one_of(st.none(), st.integers(1, 4)))
    ignore_border = cls.endswith("DNNLayer") or draw(st.booleans())
    pad = draw(st.integers(0, k // 2)) if ignore_border else 0
    smallest = min(layer.output_shape[2:])
    if ignore_border and smallest + 2 * pad < k:
        k = smallest + 2 * pad    # Lasagne would build an empty output
        pad = min(pad, k // 2)
    kw = dict(pool_size=k, stride=stride, pad=pad)
    if cls == "MaxPool1DLayer":
        return L.MaxPool1DLayer(layer, ignore_border=ignore_border, **kw)
    if cls.startswith("Pool"):
        kw["mode"] = draw(st.sampled_from(["max", "average_inc_pad",
                                           "average_exc_pad"]))
    if cls.endswith("DNNLayer"):
        return {"Pool2DDNNLayer": dnn.Pool2DDNNLayer,
                "MaxPool2DDNNLayer": dnn.MaxPool2DDNNLayer}[cls](layer, **kw)
    return getattr(L, cls)(layer, ignore_border=ignore_border, **kw)


@given(pool_nets(), st.integers(0, 2 ** 16))
@SETTINGS
def test_pools(net, seed):
    assert_port_matches([net], seed)


@st.composite
def channel_nets(draw):
    """Per-position and channel layers, then the dense head."""
    groups, size = draw(st.integers(1, 3)), draw(st.integers(2, 3))
    layer = L.InputLayer((None, groups * size, draw(st.integers(2, 5)),
                          draw(st.integers(2, 5))))
    if draw(st.booleans()):
        layer = L.LocalResponseNormalization2DLayer(
            layer, alpha=draw(st.sampled_from([1e-4, 0.01, 0.5])),
            k=draw(st.sampled_from([1, 2])),
            beta=draw(st.sampled_from([0.5, 0.75])),
            n=draw(st.sampled_from([1, 3, 5])))
    choice = draw(st.sampled_from(["FeaturePool", "FeatureWTA", "none"]))
    if choice == "FeaturePool":
        layer = L.FeaturePoolLayer(layer, size, pool_function=draw(
            st.sampled_from([T.max, T.mean])))
    elif choice == "FeatureWTA":
        layer = L.FeatureWTALayer(layer, size)
    layer = L.NINLayer(layer, num_units=draw(st.integers(1, 4)),
                       untie_biases=draw(st.booleans()),
                       nonlinearity=draw(st.sampled_from(NONLINEARITIES)))
    layer = L.PadLayer(layer, width=draw(st.sampled_from(
        [1, (1, 2), [(0, 1), (2, 0)]])), val=draw(st.sampled_from([0, 0.5])))
    layer = L.SliceLayer(layer, indices=slice(draw(st.integers(0, 1)), None),
                         axis=draw(st.sampled_from([2, 3, -1])))
    layer = L.DropoutLayer(layer, p=0.3)
    layer = L.GaussianNoiseLayer(layer)
    layer = L.NonlinearityLayer(layer, draw(st.sampled_from(NONLINEARITIES)))
    head = draw(st.sampled_from(["global", "flatten", "reshape",
                                 "dimshuffle", "dense"]))
    if head == "global":
        layer = L.GlobalPoolLayer(layer, pool_function=draw(
            st.sampled_from([T.mean, T.max])))
    elif head == "flatten":
        layer = L.FlattenLayer(layer, outdim=draw(st.sampled_from([2, 3])))
    elif head == "reshape":
        layer = L.ReshapeLayer(layer, ([0], -1))
    elif head == "dimshuffle":
        layer = L.DimshuffleLayer(layer, (0, 2, 'x', 3, 1))
        layer = L.FlattenLayer(layer)
    return L.DenseLayer(layer, num_units=draw(st.integers(1, 5)),
                        nonlinearity=draw(st.sampled_from(
                            NONLINEARITIES + [N.softmax])))


@given(channel_nets(), st.integers(0, 2 ** 16))
@SETTINGS
def test_channel_and_shape_layers(net, seed):
    assert_port_matches([net], seed)


@st.composite
def merge_nets(draw):
    """Two inputs, two branches merged, several outputs."""
    a = L.InputLayer((None, 2, 5, 5), name="left")
    b = L.InputLayer((None, 3, 5, 5), name="right")
    conv_a = L.Conv2DLayer(a, 4, 3, pad=1, name="conv_a")
    conv_b = L.Conv2DLayer(b, 4, 3, pad="same", name="conv_b")
    kind = draw(st.sampled_from(["concat", "sum", "merge"]))
    if kind == "concat":
        merged = L.ConcatLayer([conv_a, conv_b],
                               axis=draw(st.sampled_from([1, 2, 3])))
    elif kind == "sum":
        merged = L.ElemwiseSumLayer([conv_a, conv_b], coeffs=draw(
            st.sampled_from([1, 0.5, [2, -1]])))
    else:
        merged = L.ElemwiseMergeLayer([conv_a, conv_b], draw(
            st.sampled_from([T.mul, T.maximum, T.minimum])))
    side = L.DenseLayer(conv_a, 3, name="side")
    return [L.DenseLayer(merged, 2, name="main"), side]


@given(merge_nets(), st.integers(0, 2 ** 16))
@settings(max_examples=6, deadline=None)
def test_merges_several_inputs_and_outputs(outputs, seed):
    port = assert_port_matches(outputs, seed)
    assert "def forward(self, left, right):" in port.source
    assert "return main, side" in port.source


@given(st.integers(1, 3), st.integers(2, 3), st.integers(1, 2),
       st.integers(0, 1), st.booleans(), st.booleans(),
       st.integers(0, 2 ** 16))
@settings(max_examples=8, deadline=None)
def test_cuda_convnet_c01b_layout(channels, k, stride, pad, flip, untie,
                                  seed):
    """cuda-convnet's dimshuffle=False: c01b activations between the
    shuffle layers, W stored (channels, rows, cols, filters)."""
    layer = L.InputLayer((None, channels, 7, 6))
    layer = cuda_convnet.ShuffleBC01ToC01BLayer(layer)
    layer = cuda_convnet.Conv2DCCLayer(layer, 16, k, stride=stride, pad=pad,
                                       dimshuffle=False, flip_filters=flip,
                                       untie_biases=untie)
    layer = cuda_convnet.MaxPool2DCCLayer(layer, 3, stride=2,
                                          dimshuffle=False)
    layer = cuda_convnet.ShuffleC01BToBC01Layer(layer)
    port = assert_port_matches([layer], seed)
    (key,) = [k for k in port.params if k.endswith(".weight")]
    assert port.params[key].shape == (16, channels, k, k)


def test_every_lasagne_01_class_with_a_rule_is_generated():
    """The strategies above name every class that has a rule and that
    Lasagne 0.1 (with compat's GPU stand-ins) has."""
    import inspect
    from nolearn_capacity.port.rules import PORT_RULES
    source = inspect.getsource(inspect.getmodule(
        test_every_lasagne_01_class_with_a_rule_is_generated))
    in_01 = {n for n, c in vars(L).items() if isinstance(c, type)}
    for module in (dnn, corrmm, cuda_convnet):
        in_01 |= {n for n, c in vars(module).items() if isinstance(c, type)}
    missing = sorted(n for n in PORT_RULES if n in in_01 and
                     n not in ("InputLayer",) and n not in source)
    assert missing == []


@pytest.mark.parametrize("pool_size,stride,length", [
    (3, 2, 2), (3, 1, 2), (2, 3, 5), (2, 3, 6), (3, 2, 7), (4, 4, 4),
    (3, 3, 1)])
def test_partial_windows_match_theano(pool_size, stride, length):
    """ignore_border=False edge cases: windows wider than the input,
    strides wider than windows, a last window that starts at the end."""
    for mode in ("max", "average_inc_pad", "average_exc_pad"):
        net = L.Pool2DLayer(L.InputLayer((None, 1, length, length + 1)),
                            pool_size, stride=stride, ignore_border=False,
                            mode=mode)
        assert_port_matches([net])


def test_flip_filters_turns_the_kernel():
    """Lasagne 0.1's Conv2DLayer convolves (the kernel turned around);
    cuDNN's default correlates: the same weights give different torch
    weights, and each port matches its Theano output."""
    layer = L.InputLayer((None, 1, 5, 5))
    true_conv = L.Conv2DLayer(layer, 1, (2, 3), b=None)
    correlation = dnn.Conv2DDNNLayer(layer, 1, (2, 3), b=None)
    w = np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)
    true_conv.W.set_value(w)
    correlation.W.set_value(w)
    for layer, expected in ((true_conv, w[:, :, ::-1, ::-1]),
                            (correlation, w)):
        port = to_torch([layer])
        (weight,) = [v for k, v in port.params.items()
                     if k.endswith(".weight")]
        assert np.array_equal(weight, expected)
        text, passed = check.run_check([layer], port, weights_given=True)
        assert passed, text


@given(st.integers(1, 4), st.integers(1, 3), st.one_of(
    st.integers(0, 2), st.sampled_from(["valid", "full", "same"])),
    st.booleans(), st.integers(0, 2 ** 16))
@settings(max_examples=6, deadline=None)
def test_conv1d(filter_size, stride, pad, untie, seed):
    net = L.Conv1DLayer(L.InputLayer((None, 2, 7)), 3, filter_size,
                        stride=stride, pad=pad, untie_biases=untie)
    assert_port_matches([net], seed)


def test_embedding():
    """EmbeddingLayer takes integer indices: Theano and the port on the
    same index matrix."""
    import theano
    import torch
    from nolearn_capacity.port import to_torch
    indices = L.InputLayer((None, 4), input_var=T.imatrix())
    net = L.EmbeddingLayer(indices, input_size=10, output_size=3)
    port = to_torch([net])
    batch = np.random.RandomState(0).randint(0, 10, (2, 4)).astype(np.int32)
    expected = theano.function([indices.input_var],
                               L.get_output(net))(batch)
    got = port.module()(torch.from_numpy(batch)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert "nn.Embedding(10, 3)" in port.source


def test_check_leaves_a_live_net_as_it_was():
    net = L.DenseLayer(L.InputLayer((None, 3)), 2)
    before = [p.get_value().copy() for p in net.get_params()]
    port = to_torch([net])
    text, passed = check.run_check([net], port, weights_given=False)
    assert passed, text
    for p, value in zip(net.get_params(), before):
        np.testing.assert_array_equal(p.get_value(), value)


@given(merge_nets())
@settings(max_examples=6, deadline=None)
def test_flat_weights_follow_lasagnes_order(outputs):
    """np.savez(*get_all_param_values(outputs)) of a branched net with two
    inputs and two outputs: read in Lasagne's order, the same state_dict
    as the live values."""
    flat = L.get_all_param_values(outputs)
    rng = np.random.RandomState(0)
    flat = [rng.standard_normal(v.shape).astype(v.dtype) for v in flat]
    L.set_all_param_values(outputs, flat)
    live = to_torch(outputs).params
    from_file = to_torch(outputs, weights=flat).params
    assert sorted(live) == sorted(from_file)
    for key in live:
        np.testing.assert_array_equal(live[key], from_file[key])
