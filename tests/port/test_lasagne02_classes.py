"""Lasagne 0.2 classes (no Theano oracle here: Lasagne 0.1 lacks them):
the port against Lasagne 0.2's formulas, written out in numpy."""
import numpy as np
import torch

from nolearn_capacity.port import to_torch


def run(port, x):
    with torch.no_grad():
        return port.module()(torch.from_numpy(x)).numpy()


def test_batch_norm_inv_std_becomes_running_var():
    """Lasagne 0.2: (x - mean) * inv_std * gamma + beta, with
    inv_std = 1 / sqrt(var + epsilon)."""
    rng = np.random.RandomState(0)
    spec = [("InputLayer", {"shape": (None, 3, 4, 5)}),
            ("BatchNormLayer", {"name": "bn", "epsilon": 1e-3})]
    beta, gamma, mean = (rng.randn(3).astype(np.float32) for _ in range(3))
    inv_std = rng.uniform(0.5, 3, 3).astype(np.float32)
    port = to_torch(spec, weights=[beta, gamma, mean, inv_std])
    np.testing.assert_allclose(port.params["bn.running_var"],
                               1 / inv_std.astype(np.float64) ** 2 - 1e-3,
                               rtol=1e-6)
    x = rng.randn(2, 3, 4, 5).astype(np.float32)
    c = (slice(None), None, None)
    expected = (x - mean[c]) * inv_std[c] * gamma[c] + beta[c]
    np.testing.assert_allclose(run(port, x), expected, rtol=1e-5,
                               atol=1e-5)
    assert "nn.BatchNorm2d(3, eps=0.001)" in port.source


def test_dense_num_leading_axes():
    """Lasagne 0.2's DenseLayer(num_leading_axes=2): the dot product over
    the trailing axes, W of shape (inputs, units)."""
    rng = np.random.RandomState(1)
    spec = [("InputLayer", {"shape": (None, 4, 3, 2)}),
            ("DenseLayer", {"name": "d", "num_units": 5,
                            "num_leading_axes": 2, "nonlinearity": None})]
    w, b = rng.randn(6, 5).astype(np.float32), rng.randn(5).astype(
        np.float32)
    port = to_torch(spec, weights=[w, b])
    x = rng.randn(2, 4, 3, 2).astype(np.float32)
    expected = x.reshape(2, 4, 6) @ w + b
    np.testing.assert_allclose(run(port, x), expected, rtol=1e-5, atol=1e-5)


def test_scaled_tanh_and_selu_by_name():
    scaled = type("ScaledTanH", (), {"scale_in": 0.5, "scale_out": 2.0})()
    selu = type("SELU", (), {"scale": 1.5, "scale_neg": 2.0})()
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(2, 6)
    for f, formula in ((scaled, lambda v: 2.0 * np.tanh(0.5 * v)),
                       (selu, lambda v: 1.5 * np.where(
                           v > 0, v, 2.0 * np.expm1(v)))):
        spec = [("InputLayer", {"shape": (None, 6)}),
                ("NonlinearityLayer", {"nonlinearity": f})]
        np.testing.assert_allclose(run(to_torch(spec), x), formula(x),
                                   rtol=1e-5, atol=1e-6)
