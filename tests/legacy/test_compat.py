"""Tests of nolearn_capacity.compat against the real legacy stack.

They need Theano 1.0.5, Lasagne 0.1 and nolearn 0.6.1 installed (the
``legacy`` extra) and are skipped otherwise.  Nothing of the frameworks is
mocked; only our own version reader is replaced to simulate other versions.
"""
import collections
import collections.abc
import os
import subprocess
import sys
import textwrap
import types
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from nolearn_capacity import compat

# Theano 1.0.5 trips over numpy 1.23's deprecations hundreds of times
pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning:theano.*")

REPO = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("theano", "lasagne", "nolearn", "sklearn")



def run_python(code, **env):
    """Run `code` in a fresh interpreter that finds this checkout first;
    return its stdout."""
    environment = dict(os.environ, **env)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=environment,
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def stack():
    return compat.enable()


# --- import and enable ----------------------------------------------------

def test_importing_compat_imports_and_patches_nothing():
    out = run_python("""
        import collections, os, sys
        import nolearn_capacity.compat
        print(sorted(m for m in %r if m in sys.modules))
        print(hasattr(collections, "Iterable"))
        print(os.environ.get("THEANO_FLAGS"))
        print(any(type(f).__name__ == "BridgeFinder" for f in sys.meta_path))
        """ % (FRAMEWORKS,), THEANO_FLAGS="")
    assert out.split("\n")[:4] == ["[]", "False", "", "False"]


def test_enable_is_idempotent(stack):
    finders = list(sys.meta_path)
    assert compat.enable() is stack
    assert sys.meta_path == finders


def test_enable_reports_versions_and_bridges(stack):
    assert stack.versions["Theano"] == metadata.version("Theano")
    assert stack.versions["nolearn"] == metadata.version("nolearn")
    assert set(stack.collections_aliases) <= set(collections.abc.__all__)
    for name in stack.collections_aliases:
        assert getattr(collections, name) is getattr(collections.abc, name)
    assert stack.module_bridges == (
        "theano.tensor.signal.downsample", "sklearn.cross_validation")


def test_after_enable_the_legacy_imports_work(stack):
    from collections import Iterable
    import nolearn.lasagne
    import sklearn.cross_validation
    import theano.tensor.signal
    assert Iterable is collections.abc.Iterable
    assert nolearn.lasagne.NeuralNet is not None
    assert sklearn.cross_validation.KFold is not None
    assert theano.tensor.signal.downsample is sys.modules[
        "theano.tensor.signal.downsample"]


def test_blas_flag_is_appended_to_user_flags():
    out = run_python("""
        import os
        from nolearn_capacity import compat
        print(compat.enable().theano_flag_added)
        print(os.environ["THEANO_FLAGS"])
        import theano
        print(theano.config.floatX)
        """, THEANO_FLAGS="floatX=float32")
    assert out.split("\n")[:3] == [
        "True", "floatX=float32,blas.ldflags=", "float32"]


def test_blas_flag_set_by_user_is_kept():
    out = run_python("""
        import os
        from nolearn_capacity import compat
        print(compat.enable().theano_flag_added)
        print(os.environ["THEANO_FLAGS"])
        """, THEANO_FLAGS="floatX=float32, blas.ldflags=-lmyblas")
    assert out.split("\n")[:2] == [
        "False", "floatX=float32, blas.ldflags=-lmyblas"]


def test_blas_flag_in_theanorc_counts_as_set(tmp_path, monkeypatch):
    rc = tmp_path / "theanorc"
    rc.write_text("[blas]\nldflags = -lmyblas\n")
    monkeypatch.setenv("THEANORC", str(rc))
    assert compat.bridges.user_set_blas_ldflags("floatX=float32")
    rc.write_text("[global]\nfloatX = float32\n")
    assert not compat.bridges.user_set_blas_ldflags("floatX=float32")


def test_enable_without_nolearn_bridges_only_theano_and_lasagne():
    out = run_python("""
        import collections, sys
        from nolearn_capacity import compat
        versions = compat.stack.read_versions()
        versions["nolearn"] = None
        compat.stack.read_versions = lambda: versions
        stack = compat.enable()
        print(stack.collections_aliases, stack.module_bridges)
        import lasagne.layers
        print(hasattr(collections, "Iterable"))
        """)
    assert out.split("\n")[:2] == [
        "() ('theano.tensor.signal.downsample',)", "False"]


# --- version checks -------------------------------------------------------

SUPPORTED = {"numpy": "1.23.5", "Theano": "1.0.5", "Lasagne": "0.1",
             "nolearn": "0.6.1", "scikit-learn": "1.7.2"}


def refusal(monkeypatch, **versions):
    """The message of enable() refusing the `versions` (names with '-'
    spelt '_') on top of a supported stack; checks it patched nothing."""
    installed = dict(SUPPORTED)
    installed.update((name.replace("_", "-"), version)
                     for name, version in versions.items())
    monkeypatch.setattr(compat.stack, "read_versions", lambda: installed)
    monkeypatch.setattr(compat.stack, "_enabled", None)
    finders = list(sys.meta_path)
    flags = os.environ.get("THEANO_FLAGS")
    with pytest.raises(compat.UnsupportedLegacyStack) as error:
        compat.enable()
    assert sys.meta_path == finders
    assert os.environ.get("THEANO_FLAGS") == flags
    return str(error.value)


@pytest.mark.parametrize("name, version, expected", [
    ("numpy", "1.26.4",
     ["numpy 1.26.4 is installed", "< 1.24", "pip install numpy==1.23.5"]),
    ("Theano", "1.1.2",
     ["Theano 1.1.2 is installed", "1.0.x", "pip install Theano==1.0.5"]),
    ("Lasagne", "0.2",
     ["Lasagne 0.2 is installed", "0.1 or 0.2.dev*",
      "pip install Lasagne==0.1"]),
    ("nolearn", "0.7.0",
     ["nolearn 0.7.0 is installed", "0.6.x", "pip install nolearn==0.6.1"]),
    ("scikit-learn", "0.17.1",
     ["scikit-learn 0.17.1 is installed", ">= 0.18"]),
])
def test_unsupported_version_is_named_with_its_fix(
        monkeypatch, name, version, expected):
    message = refusal(monkeypatch, **{name.replace("-", "_"): version})
    for text in expected:
        assert text in message


@pytest.mark.parametrize("name", ["numpy", "Theano", "Lasagne"])
def test_missing_required_package_points_to_the_legacy_extra(
        monkeypatch, name):
    message = refusal(monkeypatch, **{name: None})
    assert name + " is not installed" in message
    assert 'pip install "nolearn_capacity[legacy]"' in message


def test_every_problem_is_reported_at_once(monkeypatch):
    message = refusal(monkeypatch, numpy="2.1.0", nolearn="0.5")
    assert "numpy 2.1.0 is installed" in message
    assert "nolearn 0.5 is installed" in message


def test_unsupported_stack_is_a_runtime_error():
    assert issubclass(compat.UnsupportedLegacyStack, RuntimeError)


@pytest.mark.parametrize("versions", [
    {},
    {"Lasagne": "0.2.dev1"},
    {"nolearn": None},                      # Lasagne-only users
    {"nolearn": None, "scikit_learn": None},
    {"numpy": "1.13.3", "nolearn": "0.6.0"},
])
def test_supported_versions_pass(versions):
    installed = dict(SUPPORTED)
    installed.update((name.replace("_", "-"), version)
                     for name, version in versions.items())
    compat.stack.check_versions(installed)


def test_nolearn_without_scikit_learn_is_refused(monkeypatch):
    message = refusal(monkeypatch, scikit_learn=None)
    assert "scikit-learn is not installed" in message


# --- sklearn.cross_validation ---------------------------------------------

def test_kfold_test_folds_partition_the_samples(stack):
    from sklearn.cross_validation import KFold
    folds = list(KFold(10, 5))
    assert len(folds) == len(KFold(10, 5)) == 5
    tests = [list(test) for _, test in folds]
    assert sorted(sum(tests, [])) == list(range(10))
    for train, test in folds:
        assert sorted(list(train) + list(test)) == list(range(10))


def test_kfold_accepts_the_old_random_state_without_shuffle(stack):
    from sklearn.cross_validation import KFold
    assert len(list(KFold(6, 3, random_state=0))) == 3


def test_stratified_kfold_keeps_class_proportions(stack):
    from sklearn.cross_validation import StratifiedKFold
    y = np.array([0] * 40 + [1] * 20 + [2] * 20, dtype=np.int32)
    folds = list(StratifiedKFold(y, 4))
    assert len(folds) == 4
    for train, test in folds:
        assert np.bincount(y[test]).tolist() == [10, 5, 5]
        assert np.bincount(y[train]).tolist() == [30, 15, 15]


def test_train_test_split_is_there(stack):
    from sklearn.cross_validation import train_test_split
    X_train, X_test = train_test_split(np.arange(10), test_size=0.3,
                                       random_state=0)
    assert len(X_train) == 7 and len(X_test) == 3


def test_nolearn_train_split_takes_the_first_fold(stack):
    from nolearn.lasagne import TrainSplit
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.array([0, 1] * 5, dtype=np.int32)
    net = types.SimpleNamespace(regression=False)
    X_train, X_valid, y_train, y_valid = TrainSplit(eval_size=0.2)(X, y, net)
    assert len(X_train) == 8 and len(X_valid) == 2
    assert sorted(y_valid.tolist()) == [0, 1]


# --- theano.tensor.signal.downsample --------------------------------------

def numpy_max_pool(images, pool_size, stride, ignore_border):
    """Max-pool the two trailing axes by hand.  Windows start at 0, stride,
    2 stride, ...; with ignore_border only whole windows count, without it
    they go on until one reaches the last pixel (partial windows allowed)."""
    def starts(length, pool, step):
        result = []
        start = 0
        while start < length:
            if ignore_border and start + pool > length:
                break
            result.append(start)
            if start + pool >= length:
                break
            start += step
        return result

    rows = starts(images.shape[-2], pool_size[0], stride[0])
    cols = starts(images.shape[-1], pool_size[1], stride[1])
    out = np.empty(images.shape[:-2] + (len(rows), len(cols)), images.dtype)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            window = images[..., r:r + pool_size[0], c:c + pool_size[1]]
            out[..., i, j] = window.max(axis=(-2, -1))
    return out


POOLS = [
    # pool_size, stride (None: pool_size), ignore_border
    ((2, 2), None, True),
    ((2, 2), None, False),
    ((3, 3), (2, 2), True),
    ((3, 3), (2, 2), False),
    ((2, 3), (3, 1), False),
    ((3, 2), (1, 2), True),
]


@pytest.fixture(scope="module")
def images():
    return np.random.RandomState(0).randn(2, 3, 7, 8).astype("float32")


@pytest.mark.parametrize("pool_size, stride, ignore_border", POOLS)
def test_downsample_bridge_equals_pool_2d(
        stack, images, pool_size, stride, ignore_border):
    import theano
    import theano.tensor as T
    from theano.tensor.signal import downsample, pool
    x = T.tensor4(dtype=images.dtype)
    bridged = downsample.max_pool_2d(x, pool_size, ignore_border, stride)
    direct = pool.pool_2d(x, ws=pool_size, ignore_border=ignore_border,
                          stride=stride)
    ours, theirs = theano.function([x], [bridged, direct])(images)
    np.testing.assert_array_equal(ours, theirs)


def test_downsample_bridge_defaults_to_keeping_the_border(stack, images):
    import theano.tensor as T
    from theano.tensor.signal import downsample
    x = T.tensor4(dtype=images.dtype)
    out = downsample.max_pool_2d(x, (2, 2)).eval({x: images})
    assert out.shape == (2, 3, 4, 4)


@pytest.mark.parametrize("pool_size, stride, ignore_border", POOLS)
def test_lasagne_max_pool_layer_equals_numpy(
        stack, images, pool_size, stride, ignore_border):
    import theano.tensor as T
    from lasagne.layers import InputLayer, MaxPool2DLayer, get_output
    x = T.tensor4(dtype=images.dtype)
    layer = MaxPool2DLayer(InputLayer(images.shape, input_var=x), pool_size,
                           stride=stride, ignore_border=ignore_border)
    out = get_output(layer).eval({x: images})
    expected = numpy_max_pool(images, pool_size, stride or pool_size,
                              ignore_border)
    np.testing.assert_array_equal(out, expected)
    assert out.shape == layer.output_shape


# --- nolearn trains -------------------------------------------------------

def small_convnet():
    from lasagne.layers import (Conv2DLayer, DenseLayer, InputLayer,
                                MaxPool2DLayer)
    from lasagne.nonlinearities import softmax
    return [
        (InputLayer, {"shape": (None, 1, 8, 8)}),
        (Conv2DLayer, {"num_filters": 2, "filter_size": (3, 3)}),
        (MaxPool2DLayer, {"pool_size": (2, 2)}),
        (DenseLayer, {"num_units": 3, "nonlinearity": softmax}),
    ]


def test_nolearn_trains_one_epoch(stack, capsys):
    from nolearn.lasagne import NeuralNet
    rng = np.random.RandomState(0)
    X = rng.rand(30, 1, 8, 8).astype("float32")
    y = (np.arange(30) % 3).astype("int32")
    net = NeuralNet(layers=small_convnet(), max_epochs=1, verbose=2,
                    update_learning_rate=0.01)
    net.fit(X, y)
    out = capsys.readouterr().out
    # 2 * 1 * 3 * 3 + 2  +  2 * 3 * 3 * 3 + 3
    assert "# Neural Network with 77 learnable parameters" in out
    assert "conv2d1" in out and "maxpool2d2" in out
    assert len(net.train_history_) == 1
    assert np.isfinite(net.train_history_[0]["valid_loss"])


# --- nolearn's layer table, printed by nolearn_capacity -------------------

def layer_info_handlers(net):
    return [handler for handler in net.on_training_started
            if type(handler).__name__ == "PrintLayerInfo"]


def check_switch(ours):
    """use_ -> new nets print with `ours`; restore_ -> with nolearn's."""
    import nolearn.lasagne
    import nolearn.lasagne.base
    import nolearn.lasagne.handlers
    from nolearn.lasagne import NeuralNet
    original = nolearn.lasagne.handlers.PrintLayerInfo
    try:
        assert compat.use_nolearn_capacity_layer_info() is ours
        assert compat.use_nolearn_capacity_layer_info() is ours
        for module in (nolearn.lasagne, nolearn.lasagne.base,
                       nolearn.lasagne.handlers):
            assert module.PrintLayerInfo is ours
        net = NeuralNet(layers=small_convnet(), verbose=1)
        net.initialize_layers()
        [handler] = layer_info_handlers(net)
        assert isinstance(handler, ours)
    finally:
        assert compat.restore_nolearn_layer_info() is original
    for module in (nolearn.lasagne, nolearn.lasagne.base,
                   nolearn.lasagne.handlers):
        assert module.PrintLayerInfo is original
    net = NeuralNet(layers=small_convnet(), verbose=1)
    [handler] = layer_info_handlers(net)
    assert isinstance(handler, original)
    assert not isinstance(handler, ours)


def test_use_nolearn_capacity_layer_info(stack):
    handlers = pytest.importorskip("nolearn_capacity.handlers")
    if not hasattr(handlers, "PrintLayerInfo"):
        pytest.skip("nolearn_capacity.handlers.PrintLayerInfo not written yet")
    check_switch(handlers.PrintLayerInfo)


def test_layer_info_switch_mechanism(stack, monkeypatch):
    # our own module replaced by a stand-in: tests the switch on its own
    class PrintLayerInfo:
        def __call__(self, nn, train_history=None):
            pass

    stand_in = types.ModuleType("nolearn_capacity.handlers")
    stand_in.PrintLayerInfo = PrintLayerInfo
    monkeypatch.setitem(sys.modules, "nolearn_capacity.handlers", stand_in)
    check_switch(PrintLayerInfo)


def test_layer_info_switch_needs_nolearn(monkeypatch):
    versions = dict(SUPPORTED, nolearn=None)
    monkeypatch.setattr(compat.stack, "_enabled", compat.LegacyStack(
        versions, False, (), ("theano.tensor.signal.downsample",)))
    with pytest.raises(compat.UnsupportedLegacyStack) as error:
        compat.use_nolearn_capacity_layer_info()
    assert "nolearn is not installed" in str(error.value)


def test_restore_without_use_does_nothing(stack, monkeypatch):
    import nolearn.lasagne
    monkeypatch.setattr(compat.layer_info, "_nolearn_layer_info", None)
    before = nolearn.lasagne.PrintLayerInfo
    assert compat.restore_nolearn_layer_info() is None
    assert nolearn.lasagne.PrintLayerInfo is before
