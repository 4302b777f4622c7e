"""Lasagne 0.2 classes (no Theano oracle here: Lasagne 0.1 lacks them):
the port against Lasagne 0.2's formulas, written out in numpy."""
import numpy as np
import torch
from hypothesis import given, settings, strategies as st

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


def test_elu_and_softplus():
    x = np.linspace(-30, 30, 12, dtype=np.float32).reshape(2, 6)
    for name, formula in (("elu", lambda v: np.where(v > 0, v, np.expm1(v))),
                          ("softplus", lambda v: np.log1p(np.exp(v)))):
        spec = [("InputLayer", {"shape": (None, 6)}),
                ("NonlinearityLayer", {"nonlinearity": name})]
        np.testing.assert_allclose(run(to_torch(spec), x), formula(
            x.astype(np.float64)), rtol=1e-6, atol=1e-6)


def test_merge_cropping_is_refused_by_name():
    import pytest
    from nolearn_capacity.errors import UnsupportedLayerError
    spec = [("InputLayer", {"name": "a", "shape": (None, 1, 4, 4)}),
            ("InputLayer", {"name": "b", "shape": (None, 1, 5, 5)}),
            ("ElemwiseSumLayer", {"name": "s", "incomings": ["a", "b"],
                                  "cropping": [None, None, "center",
                                               "center"]})]
    with pytest.raises(UnsupportedLayerError) as error:
        to_torch(spec)
    assert "layer 's' (#2, ElemwiseSumLayer): cropping=" in str(error.value)


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


def _theano(expression_of, x):
    import theano
    import theano.tensor as T
    variable = T.tensor4()
    return theano.function([variable], expression_of(variable))(x)


@given(st.integers(1, 4), st.integers(1, 3), st.one_of(
    st.integers(0, 2), st.sampled_from(["valid", "full", "same"])),
    st.booleans(), st.integers(0, 1), st.integers(0, 2 ** 16))
@settings(max_examples=12, deadline=None)
def test_transposed_conv_is_the_gradient_of_theanos_conv(k, stride, crop,
                                                         flip, extra, seed):
    """Lasagne 0.2's TransposedConv2DLayer is Theano's
    AbstractConv2d_gradInputs with filter_flip=not flip_filters and
    border_mode 'half' for crop='same': the gradient, with respect to its
    input, of a conv (a true convolution unless flip_filters) whose output
    gradient is the layer's input.  Theano without BLAS cannot compile the
    op itself, so the oracle is T.grad of its forward conv."""
    import theano
    import theano.tensor as T
    if isinstance(crop, int):
        crop = min(crop, k - 1)
    if crop == "same" and k % 2 == 0:
        crop = "valid"
    crops = {"valid": 0, "full": k - 1, "same": k // 2}.get(crop, crop)
    rng = np.random.RandomState(seed)
    size = 4
    natural = (size - 1) * stride - 2 * crops + k
    extra = min(extra, stride - 1)
    spec = [("InputLayer", {"shape": (None, 2, size, size)}),
            ("TransposedConv2DLayer", {
                "name": "up", "num_filters": 3, "filter_size": k,
                "stride": stride, "crop": crop, "flip_filters": flip,
                "nonlinearity": None,
                "output_size": natural + extra if extra else None})]
    w = rng.randn(2, 3, k, k).astype(np.float32)
    b = rng.randn(3).astype(np.float32)
    port = to_torch(spec, weights=[w, b])
    x = rng.randn(2, 2, size, size).astype(np.float32)
    out = port.steps[1].view.out_shape[2:]
    image, top = T.tensor4(dtype="float32"), T.tensor4(dtype="float32")
    padded = T.zeros((2, 3, out[0] + 2 * crops, out[1] + 2 * crops),
                     dtype="float32")
    padded = T.set_subtensor(padded[:, :, crops:crops + out[0],
                                    crops:crops + out[1]], image)
    forward = T.nnet.conv2d(padded, w, border_mode="valid",
                            subsample=(stride, stride), filter_flip=not flip)
    grad = T.grad((forward * top).sum(), image)
    expected = theano.function([image, top], grad)(
        np.zeros((2, 3) + out, np.float32), x) + b[None, :, None, None]
    np.testing.assert_allclose(run(port, x), expected, rtol=1e-4, atol=1e-5)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2 ** 16))
@settings(max_examples=8, deadline=None)
def test_dilated_conv_is_a_dilated_correlation(k, dilation, seed):
    """Lasagne 0.2's DilatedConv2DLayer (Theano's gradient with respect to
    the weights, batch and channels swapped, W as the output gradient) is
    y[n, f, i, j] = sum over c, u, v of x[n, c, i + d u, j + d v] W[c, f,
    u, v]; written out in numpy here."""
    rng = np.random.RandomState(seed)
    spec = [("InputLayer", {"shape": (None, 2, 8, 7)}),
            ("DilatedConv2DLayer", {"name": "d", "num_filters": 3,
                                    "filter_size": k, "dilation": dilation,
                                    "nonlinearity": None})]
    w = rng.randn(2, 3, k, k).astype(np.float32)
    b = rng.randn(3).astype(np.float32)
    port = to_torch(spec, weights=[w, b])
    x = rng.randn(2, 2, 8, 7).astype(np.float64)
    rows, cols = port.steps[1].view.out_shape[2:]
    expected = np.zeros((2, 3, rows, cols)) + b[None, :, None, None]
    for u in range(k):
        for v in range(k):
            window = x[:, :, u * dilation:u * dilation + rows,
                       v * dilation:v * dilation + cols]
            expected += np.einsum("ncij,cf->nfij", window, w[:, :, u, v])
    np.testing.assert_allclose(run(port, x.astype(np.float32)), expected,
                               rtol=1e-4, atol=1e-5)


def test_upscale_bias_scale_prelu():
    rng = np.random.RandomState(3)
    x = rng.randn(2, 3, 4, 5).astype(np.float32)
    spec = [("InputLayer", {"shape": (None, 3, 4, 5)}),
            ("Upscale2DLayer", {"name": "up", "scale_factor": (2, 3)})]
    np.testing.assert_array_equal(run(to_torch(spec), x),
                                  x.repeat(2, axis=2).repeat(3, axis=3))
    for cls, param, formula in (
            ("BiasLayer", "b", lambda v, p: v + p),
            ("ScaleLayer", "scales", lambda v, p: v * p),
            ("ParametricRectifierLayer", "alpha",
             lambda v, p: np.where(v > 0, v, p * v))):
        for shared, shape, view in (("auto", (3,), (1, 3, 1, 1)),
                                    ((0, 1), (4, 5), (1, 1, 4, 5))):
            value = rng.uniform(0.1, 2, shape).astype(np.float32)
            spec = [("InputLayer", {"shape": (None, 3, 4, 5)}),
                    (cls, {"name": "p", "shared_axes": shared})]
            port = to_torch(spec, weights=[value])
            np.testing.assert_allclose(run(port, x),
                                       formula(x, value.reshape(view)),
                                       rtol=1e-6)
            assert port.params["p." + param].shape == view[1:]


def test_spec_nonlinearity_layer_defaults_to_rectify():
    """Lasagne's NonlinearityLayer rectifies unless told otherwise."""
    spec = [("InputLayer", {"shape": (None, 4)}), ("NonlinearityLayer", {})]
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(run(to_torch(spec), x), np.maximum(x, 0))


def test_layer_names_that_are_not_identifiers_or_clash():
    names = ["input", "forward", "training", "1st conv", "class", "x.y",
             "_modules", "x_y"]
    spec = [("InputLayer", {"name": names[0], "shape": (None, 2)})] + [
        ("DenseLayer", {"name": n, "num_units": 2}) for n in names[1:]]
    port = to_torch(spec)
    idents = [s.ident for s in port.steps]
    assert idents == ["input", "layer_forward", "layer_training",
                      "layer_1st_conv", "layer_class", "x_y",
                      "layer__modules", "x_y_2"]
    net = port.module()
    assert net.training is False    # eval() still works
    out = net(torch.ones(3, 2))
    assert out.shape == (3, 2)
