"""Exact mode on real Lasagne 0.1 nets: what the legacy walk cannot see."""
import contextlib
import io
import pickle

import numpy as np
import pytest

import lasagne.layers as L
from nolearn.lasagne import NeuralNet

import nolearn_capacity as nc


def dropout_net():
    l = L.InputLayer((None, 1, 32, 32))
    for _ in range(3):
        l = L.Conv2DLayer(l, 4, 3)
        l = L.DropoutLayer(l)
    return l


def residual_net():
    l_in = L.InputLayer((None, 2, 24, 24), name="in")
    a = L.Conv2DLayer(l_in, 2, 3, pad="same", name="a")
    b = L.Conv2DLayer(a, 2, 3, pad="same", name="b")
    s = L.ElemwiseSumLayer([l_in, b], name="sum")
    return L.Conv2DLayer(L.MaxPool2DLayer(s, 2, name="pool"), 2, 3,
                         name="c")


def test_dropout_no_longer_ends_the_walk():
    legacy = nc.analyze(dropout_net(), mode="legacy")
    exact = nc.analyze(dropout_net())
    # nolearn stops at the first dropout: the image size from there on.
    assert [r.field[0] for r in legacy.rows] == [32, 3, 32, 32, 32, 32, 32]
    assert [r.field[0] for r in exact.rows] == [1, 3, 3, 5, 5, 7, 7]
    assert [r.capacity[0] for r in exact.rows][-1] == pytest.approx(
        100 * 3 / 7)


def test_residual_net():
    report = nc.analyze(residual_net())
    by_name = {r.name: r for r in report.rows}
    assert by_name["sum"].field == (5, 5)
    assert by_name["pool"].field == (6, 6) and by_name["pool"].jump == (2, 2)
    assert by_name["c"].field == (10, 10)
    assert report.warnings == []


def test_print_layer_info_exact_mode_on_a_neural_net():
    nn = NeuralNet(layers=residual_net(), verbose=3)
    nn.initialize_layers()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        nc.PrintLayerInfo(mode="exact")(nn)
    lines = out.getvalue().splitlines()
    row = next(line for line in lines if line.startswith("c "))
    assert row.split()[-4:] == ["6", "6", "10", "10"]


class BlurLayer(L.Layer):
    """A user's layer: a fixed 5x5 blur, 'same' padded."""

    def get_output_for(self, input, **kwargs):
        return input


def test_unknown_class_warns_and_a_registered_rule_fixes_it():
    l = BlurLayer(L.Conv2DLayer(L.InputLayer((None, 1, 16, 16)), 1, 3))
    report = nc.analyze(L.Conv2DLayer(l, 1, 3))
    assert "no geometry rule for class BlurLayer" in report.warnings[0]
    assert "approximate" in report.rows[-1].flags

    @nc.register_rule("BlurLayer")
    def blur(layer, n_axes):
        from nolearn_capacity.adapters.lasagne import window
        return window(n_axes, kernel=5, pad=2)

    try:
        report = nc.analyze(L.Conv2DLayer(l, 1, 3))
        assert report.warnings == []
        assert report.rows[-1].field == (9, 9)
    finally:
        from nolearn_capacity.adapters.lasagne import RULES
        RULES.unregister("BlurLayer")


def test_analysis_never_modifies_the_net():
    nn = NeuralNet(layers=residual_net(), verbose=3)
    nn.initialize_layers()
    layers = nn.layers_.values()
    before_values = [p.get_value().copy() for p in nn.get_all_params()]
    before_attrs = pickle.dumps([
        {k: v for k, v in vars(l).items() if k not in ("params", "W", "b")}
        for l in layers])
    for mode in ("legacy", "exact"):
        nc.analyze(nn, mode=mode)
        nc.get_conv_infos(nn, mode=mode, detailed=True)
    after_attrs = pickle.dumps([
        {k: v for k, v in vars(l).items() if k not in ("params", "W", "b")}
        for l in layers])
    assert after_attrs == before_attrs
    for before, param in zip(before_values, nn.get_all_params()):
        assert np.array_equal(before, param.get_value())
