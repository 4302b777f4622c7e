"""Bad input against real Lasagne 0.1 / nolearn 0.6.1: numpy integers in
Lasagne's shapes, keywords nolearn itself refuses, and ``input_shape`` for
a built net (issue 8)."""
import json

import pytest

from nolearn_capacity import compat

compat.enable()
lasagne = pytest.importorskip("lasagne")
from nolearn.lasagne import NeuralNet    # noqa: E402  (after compat.enable)

import nolearn_capacity as nc    # noqa: E402
from nolearn_capacity import errors, render    # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::UserWarning")

L = lasagne.layers


def test_numpy_integer_shapes_become_python_ints():
    # Lasagne computes the -1 of a reshape with numpy: an int64 size
    reshape = L.ReshapeLayer(L.InputLayer((2, 1, 4, 4)), shape=(2, -1))
    assert type(reshape.output_shape[1]).__module__ == "numpy"
    network = nc.to_network(reshape)
    assert [type(v) for v in network.layers[1].output_shape] == [int, int]
    report = nc.analyze(reshape)
    assert json.loads(report.to_json())["rows"][1]["output_shape"] == [2, 16]
    assert render.from_json(report.to_json()) == report


def test_numpy_integer_arguments_become_python_ints():
    import numpy as np
    conv = L.Conv2DLayer(L.InputLayer((None, 1, 12, 12)),
                         num_filters=np.int64(2), filter_size=np.int64(3),
                         stride=np.int32(2))
    record = nc.to_network(conv).layers[1]
    assert record.kernel == (3, 3) and record.stride == (2, 2)
    assert {type(v) for v in record.kernel + record.stride +
            record.output_shape[1:]} == {int}
    assert json.loads(nc.analyze(conv).to_json())["rows"][1]["kernel"] == \
        [3, 3]


LAYERS = [(L.InputLayer, {"shape": (None, 1, 8, 8)}),
          (L.Conv2DLayer, {"num_filters": 2, "filter_size": 3}),
          (L.DenseLayer, {"num_units": 2})]


def nolearn_refuses(keywords, layers=LAYERS):
    """What nolearn 0.6.1 says of the keywords: its own check, run by
    ``initialize()`` before anything is compiled."""
    net = NeuralNet(layers=list(layers), **keywords)
    net.initialize_layers()
    try:
        net._check_for_unused_kwargs()
    except ValueError as error:
        return str(error)
    return None


@pytest.mark.parametrize("keywords", [
    {"conv2d_1_num_filters": 4},           # a misspelled layer name
    {"conv2d1_num_filters": 4},             # the right one
    {"input_shape": (None, 1, 8, 8)},       # no layer is named 'input'
    {"update_learning_rate": 0.1, "update_momentum": 0.9},
    {"objective_l2": 0.01},
    {"dense2_num_units": 3, "dense_num_units": 3},
    {"eval_size": 0.1},
])
def test_unused_keywords_are_refused_as_nolearn_refuses_them(keywords):
    refused = nolearn_refuses(keywords)
    net = NeuralNet(layers=list(LAYERS), **keywords)    # unbuilt
    if refused is None:
        nc.analyze(net)
        nc.analyze([(cls.__name__, kw) for cls, kw in LAYERS], **keywords)
        return
    key = refused.split(": ", 1)[1]
    assert refused == "Unused kwarg: {}".format(key)
    specs = [(cls.__name__, kw) for cls, kw in LAYERS]
    # analyze's own input_shape argument fills a spec's only InputLayer
    # (tests/core); inside a NeuralNet it is nolearn's keyword
    targets = [net] if "input_shape" in keywords else [net, specs]
    for target in targets:
        with pytest.raises(errors.BadSpecError) as caught:
            nc.analyze(target, **({} if target is net else keywords))
        message = str(caught.value)
        assert "keyword {!r} matches no layer".format(key) in message
        assert "input0, conv2d1, dense2" in message
        assert "Unused kwarg" in message


def test_nolearn_input_shape_keyword_names_the_input_layer():
    layers = [("input", L.InputLayer), ("conv", L.Conv2DLayer)]
    keywords = dict(input_shape=(None, 1, 10, 10), conv_num_filters=2,
                    conv_filter_size=3)
    net = NeuralNet(layers=layers, **keywords)
    assert nolearn_refuses(keywords, layers) is None
    expected = (None, 2, 8, 8)
    assert nc.analyze(net).rows[1].output_shape == expected
    built = NeuralNet(layers=layers, **keywords)
    built.initialize_layers()
    assert built.layers_["conv"].output_shape == expected
    # analyze's input_shape is the same keyword for a spec or unbuilt net
    assert nc.analyze(net, input_shape=(None, 1, 6, 6)).rows[
        1].output_shape == (None, 2, 4, 4)


def test_input_shape_must_fit_a_built_lasagne_net():
    conv = L.Conv2DLayer(L.InputLayer((None, 1, 12, 12)), 2, 3)
    assert nc.analyze(conv, input_shape=(1, 1, 12, 12)).rows[
        1].output_shape == (None, 2, 10, 10)
    with pytest.raises(errors.BadArgumentError) as caught:
        nc.analyze(conv, input_shape=(1, 1, 28, 28))
    assert "(1, 1, 28, 28)" in str(caught.value)
    assert "(None, 1, 12, 12)" in str(caught.value)
