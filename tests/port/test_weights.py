"""Weight files: the three layouts, and hostile or broken files."""
import collections
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from nolearn_capacity.errors import (UnsafePickleError, UnsupportedLayerError,
                                     WeightsError)
from nolearn_capacity.port import register_port_rule, to_torch, weights
from nolearn_capacity.port.rules import PORT_RULES, Piece

SPEC = [("InputLayer", {"shape": (None, 1, 6, 6)}),
        ("Conv2DLayer", {"name": "conv", "num_filters": 2,
                         "filter_size": 3}),
        ("DenseLayer", {"name": "out", "num_units": 3})]
SHAPES = [(2, 1, 3, 3), (2,), (32, 3), (3,)]


def arrays(seed=0):
    rng = np.random.RandomState(seed)
    return [rng.randn(*s).astype(np.float32) for s in SHAPES]


def expected_state(values):
    w, b, dense_w, dense_b = values
    return {"conv.weight": w[:, :, ::-1, ::-1], "conv.bias": b,
            "out.weight": dense_w.T, "out.bias": dense_b}


def assert_state(port, values):
    want = expected_state(values)
    assert sorted(port.params) == sorted(want)
    for key, value in want.items():
        np.testing.assert_array_equal(port.params[key], value)


def test_nolearn_save_params_to_layout(tmp_path):
    from collections import OrderedDict
    values = arrays()
    path = tmp_path / "net.pkl"
    with open(path, "wb") as f:
        pickle.dump(OrderedDict([("input0", []), ("conv", values[:2]),
                                 ("out", values[2:])]), f, -1)
    assert_state(to_torch(SPEC, weights=str(path)), values)


def test_savez_of_get_all_param_values(tmp_path):
    values = arrays(1)
    path = tmp_path / "net.npz"
    np.savez(path, *values)
    assert_state(to_torch(SPEC, weights=str(path)), values)


def test_model_zoo_layout_from_python_2(tmp_path):
    """Recipes' pickles were written by Python 2: numpy's bytes are str
    there, read back with encoding='latin1'."""
    values = arrays(2)
    path = tmp_path / "zoo.pkl"
    with open(path, "wb") as f:
        Python2Pickler(f, protocol=2).dump(
            {b"param values": values, b"synset words": [b"tench"],
             b"mean value": np.zeros(3, np.float32)})
    assert b"_codecs" not in path.read_bytes()    # really Python 2 style
    assert_state(to_torch(SPEC, weights=str(path)), values)


class Python2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 wrote its str: BINSTRING opcodes."""

    def save_bytes(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[bytes] = save_bytes


class Exploit(object):
    def __reduce__(self):
        return (os.system, ("touch /tmp/nolearn_capacity_pwned",))


def test_a_pickle_calling_os_system_is_refused(tmp_path):
    path = tmp_path / "evil.pkl"
    with open(path, "wb") as f:
        pickle.dump({"param values": [Exploit()]}, f, 2)
    with pytest.raises(UnsafePickleError) as error:
        to_torch(SPEC, weights=str(path))
    assert "refused to load global" in str(error.value)
    assert "system" in str(error.value)
    assert not os.path.exists("/tmp/nolearn_capacity_pwned")


def test_other_globals_are_refused_by_name(tmp_path):
    path = tmp_path / "evil.pkl"
    with open(path, "wb") as f:
        pickle.dump([np.ones(2), collections.Counter()], f)
    with pytest.raises(UnsafePickleError):
        weights.read(str(path))
    data = pickle.dumps(eval)
    with pytest.raises(UnsafePickleError) as error:
        weights.safe_load(data)
    assert "builtins" in str(error.value) and "eval" in str(error.value)


def test_a_truncated_pickle(tmp_path):
    path = tmp_path / "cut.pkl"
    data = pickle.dumps(arrays(), -1)
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(WeightsError) as error:
        to_torch(SPEC, weights=str(path))
    assert "truncated" in str(error.value)


def test_a_truncated_npz(tmp_path):
    path = tmp_path / "cut.npz"
    np.savez(path, *arrays())
    data = path.read_bytes()
    path.write_bytes(data[:len(data) - 100])
    with pytest.raises(WeightsError) as error:
        to_torch(SPEC, weights=str(path))
    assert "npz" in str(error.value)


def test_an_npz_of_objects_is_not_unpickled(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, np.array([Exploit()], dtype=object))
    with pytest.raises(WeightsError):
        weights.read(str(path))


def test_wrong_count_names_both_counts():
    with pytest.raises(WeightsError) as error:
        to_torch(SPEC, weights=arrays()[:3])
    message = str(error.value)
    assert "3 array(s)" in message and "4 parameter(s)" in message
    assert "out.b" in message


def test_wrong_shape_names_the_layer_and_both_shapes():
    values = arrays()
    values[2] = np.zeros((3, 32), np.float32)     # a torch-style W
    with pytest.raises(WeightsError) as error:
        to_torch(SPEC, weights=values)
    message = str(error.value)
    assert "layer 'out' (#2, DenseLayer)" in message
    assert "(32, 3)" in message and "(3, 32)" in message


def test_wrong_layer_names_in_a_nolearn_pickle():
    values = arrays()
    with pytest.raises(WeightsError) as error:
        to_torch(SPEC, weights={"conv": values[:2], "dense": values[2:]})
    assert "'dense'" in str(error.value)
    with pytest.raises(WeightsError) as error:
        to_torch(SPEC, weights={"conv": values[:2], "out": values[2:3]})
    assert "layer 'out' (#2, DenseLayer): expects 2" in str(error.value)


def test_a_class_without_rule_names_the_layer():
    spec = [("InputLayer", {"shape": (None, 3, 4)}),
            ("GRULayer", {"name": "gru", "num_units": 2})]
    with pytest.raises(UnsupportedLayerError) as error:
        to_torch(spec)
    message = str(error.value)
    assert "layer 'gru' (#1, GRULayer)" in message
    assert "register_port_rule('GRULayer')" in message


def test_register_port_rule_adds_a_class():
    spec = [("InputLayer", {"shape": (None, 3, 4)}),
            ("GRULayer", {"name": "gru", "num_units": 2})]
    try:
        @register_port_rule("GRULayer")
        def gru(view):
            return Piece(forward="{x}.sum(1)")
        port = to_torch(spec)
    finally:
        PORT_RULES.unregister("GRULayer")
    assert "gru = input0.sum(1)" in port.source


def test_a_subclass_that_computes_something_else_needs_its_own_rule():
    import lasagne.layers as L

    class Doubled(L.DenseLayer):
        def get_output_for(self, input, **kwargs):
            return 2 * super(Doubled, self).get_output_for(input, **kwargs)

    net = Doubled(L.InputLayer((None, 3)), 2, name="twice")
    with pytest.raises(UnsupportedLayerError) as error:
        to_torch(net)
    assert "register_port_rule('Doubled')" in str(error.value)


def test_a_pickled_neural_net_is_refused_with_a_hint(tmp_path):
    """Nouri's tutorial pickled the whole NeuralNet: that runs code on
    loading, so it is refused, with what to do instead."""
    from nolearn_capacity import targets
    script = Path(__file__).resolve().parents[2] / "legacy_examples" / \
        "facial_keypoints.py"
    net = targets.load(str(script) + ":net")
    path = tmp_path / "net3.pickle"
    with open(path, "wb") as f:
        pickle.dump(net, f, -1)
    with pytest.raises(UnsafePickleError) as error:
        weights.read(str(path))
    message = str(error.value)
    assert "nolearn.lasagne.base.NeuralNet" in message
    assert "save_params_to" in message
