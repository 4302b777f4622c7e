"""The example scripts of legacy_examples/ and the GPU layer stand-ins.

Each example is a 2015 nolearn script that runs unchanged after
``compat.enable()``.  Against the real nets (Theano, Lasagne 0.1, nolearn
0.6.1) it checks that nolearn's own printout and ours are the same bytes,
and that the example's spec file describes the same net (compare in both
modes, the legacy tables).  tests/torch/test_example_ports.py checks the
PyTorch ports against the same spec files: together, original == port.

The second half tests the CPU stand-ins that compat.enable() puts in for
``lasagne.layers.dnn``, ``cuda_convnet`` and ``corrmm``.
"""
import contextlib
import io
import os
import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nolearn_capacity import compat


import lasagne                                          # noqa: E402
import nolearn.lasagne.handlers                         # noqa: E402
import nolearn.lasagne.util                             # noqa: E402
import theano                                           # noqa: E402
from lasagne.layers import (Conv2DLayer, InputLayer,    # noqa: E402
                            MaxPool2DLayer, Pool2DLayer, get_output)
from nolearn.lasagne import NeuralNet                   # noqa: E402

from nolearn_capacity import targets                    # noqa: E402
from nolearn_capacity import util as ours               # noqa: E402
from nolearn_capacity.compare import compare            # noqa: E402
from nolearn_capacity.handlers import PrintLayerInfo    # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning:theano.*",
    "ignore::UserWarning:lasagne.*")

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "legacy_examples"

#: example -> (the script's net or layer list, the spec file)
EXAMPLES = {
    "mnist_tutorial": ("train_mnist_tutorial.py:layers0",
                       "mnist_tutorial.json"),
    "facial_keypoints": ("facial_keypoints.py:net", "facial_keypoints.yaml"),
    "diabetic_retinopathy": ("diabetic_retinopathy.py:net",
                             "diabetic_retinopathy.json"),
    "vgg16": ("vgg16.py:net", "vgg16.json"),
}

_nets = {}


def example_net(name):
    """The example's nolearn net, layers built (once per session)."""
    if name not in _nets:
        target = str(EXAMPLES_DIR / EXAMPLES[name][0])
        net = targets.load(target)
        if isinstance(net, list):       # train_mnist_tutorial.py's layers0
            net = NeuralNet(layers=net, verbose=2)
        net.initialize_layers()
        _nets[name] = net
    return _nets[name]


def example_spec(name):
    path = EXAMPLES_DIR / EXAMPLES[name][1]
    if path.suffix == ".yaml":
        pytest.importorskip("yaml")
    return targets.load(str(path))


def nolearns_print_layer_info():
    """nolearn's own handler class, even if a test patched ours in."""
    cls = nolearn.lasagne.handlers.PrintLayerInfo
    if cls.__module__ != "nolearn.lasagne.handlers":
        cls = compat.restore_nolearn_layer_info()
    assert cls.__module__ == "nolearn.lasagne.handlers"
    return cls


def printed(handler, net):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        handler(net)
    return out.getvalue()


def run_example(*args, timeout=600):
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable] + [str(a) for a in args],
                          cwd=str(REPO), env=environment, capture_output=True,
                          text=True, timeout=timeout)


# --- the examples against nolearn 0.6.1 -----------------------------------

@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_our_printout_is_nolearns(name):
    net = example_net(name)
    want = printed(nolearns_print_layer_info()(), net)
    assert "## Layer information" in want
    assert printed(PrintLayerInfo(), net) == want


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("mode", ["legacy", "exact"])
def test_spec_file_describes_the_net(name, mode):
    result = compare(example_spec(name), example_net(name), mode=mode)
    assert result.equivalent, result.render()
    assert len(result.pairs) > 3


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_spec_file_gives_nolearns_tables(name):
    net, spec = example_net(name), example_spec(name)
    for detailed in (False, True):
        want = nolearn.lasagne.util.get_conv_infos(net, detailed=detailed)
        assert ours.get_conv_infos(spec, detailed=detailed) == want
        assert ours.get_conv_infos(net, detailed=detailed) == want


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_cli_prints_nolearns_table_for_the_spec_file(name):
    if EXAMPLES[name][1].endswith(".yaml"):
        pytest.importorskip("yaml")
    net = example_net(name)
    want = printed(nolearns_print_layer_info()(), net)
    result = run_example("-m", "nolearn_capacity",
                         Path("legacy_examples") / EXAMPLES[name][1],
                         "--verbose", net.verbose, "--color")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(want)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_cli_prints_nolearns_table_for_the_script(name):
    net = example_net(name)
    want = printed(nolearns_print_layer_info()(), net)
    result = run_example("-m", "nolearn_capacity",
                         Path("legacy_examples") / EXAMPLES[name][0],
                         "--verbose", net.verbose, "--color")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith(want)


EPOCH_LINE = re.compile(r"^\s+1\s+\S*\d+\.\d+", re.MULTILINE)


def test_mnist_script_trains_one_epoch():
    result = run_example("legacy_examples/train_mnist_tutorial.py")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "# Neural Network with 122154 learnable parameters" in \
        result.stdout
    assert "## Layer information" in result.stdout
    assert EPOCH_LINE.search(result.stdout), result.stdout


def test_facial_keypoints_script_trains_one_epoch_with_our_table():
    result = run_example("legacy_examples/facial_keypoints.py", "--ours")
    assert result.returncode == 0, result.stderr[-3000:]
    table = printed(nolearns_print_layer_info()(),
                    example_net("facial_keypoints"))
    assert result.stdout.startswith(table)
    assert EPOCH_LINE.search(result.stdout[len(table):]), result.stdout


def test_vgg16_script_prints_the_table_without_training():
    result = run_example("legacy_examples/vgg16.py")
    assert result.returncode == 0, result.stderr[-3000:]
    table = printed(nolearns_print_layer_info()(), example_net("vgg16"))
    assert result.stdout == table
    assert "138357544 learnable parameters" in table


def test_loading_a_script_does_not_train_it(capsys):
    net = targets.load(str(EXAMPLES_DIR / "facial_keypoints.py") + ":net")
    assert isinstance(net, NeuralNet) and not hasattr(net, "layers_")
    assert capsys.readouterr().out == ""


# --- the CPU stand-ins for the GPU layer modules --------------------------

GPU_MODULES = ("lasagne.layers.dnn", "lasagne.layers.cuda_convnet",
               "lasagne.layers.corrmm")


def test_enable_reports_the_gpu_layer_fallbacks():
    assert compat.enable().gpu_layer_fallbacks == GPU_MODULES


def test_gpu_layer_modules_import_as_cpu_stand_ins():
    import lasagne.layers.corrmm as corrmm
    import lasagne.layers.cuda_convnet as cuda_convnet
    import lasagne.layers.dnn as dnn
    for module in (dnn, cuda_convnet, corrmm):
        assert module.__doc__.startswith("CPU stand-in for " +
                                         module.__name__)
        assert "failed to import" in module.__doc__
        for name in module.__all__:
            cls = getattr(module, name)
            assert cls.__module__ == module.__name__
    assert {"Conv2DDNNLayer", "Pool2DDNNLayer", "MaxPool2DDNNLayer"} <= set(
        dnn.__all__)
    assert {"Conv2DCCLayer", "MaxPool2DCCLayer", "ShuffleBC01ToC01BLayer",
            "ShuffleC01BToBC01Layer"} <= set(cuda_convnet.__all__)
    assert "Conv2DMMLayer" in corrmm.__all__
    assert issubclass(dnn.Conv2DDNNLayer, Conv2DLayer)
    assert issubclass(dnn.MaxPool2DDNNLayer, Pool2DLayer)
    assert not issubclass(dnn.Pool2DDNNLayer, MaxPool2DLayer)
    # nolearn imported them at its own import, as it did on a GPU
    assert dnn.Conv2DDNNLayer in nolearn.lasagne.util.convlayers
    assert cuda_convnet.MaxPool2DCCLayer in nolearn.lasagne.util.maxpoollayers


def test_stand_ins_store_arguments_as_the_gpu_classes():
    from lasagne.layers import corrmm, cuda_convnet, dnn
    l_in = InputLayer((None, 4, 12, 12))
    same = dnn.Conv2DDNNLayer(l_in, 16, 5, pad="same")
    assert same.pad == (2, 2) and same.flip_filters is False
    assert dnn.Conv2DDNNLayer(l_in, 16, 3, pad="full").pad == "full"
    assert corrmm.Conv2DMMLayer(l_in, 16, 3, pad="full").pad == (2, 2)
    cc = cuda_convnet.Conv2DCCLayer(l_in, 16, (3, 3), stride=2, pad="same")
    assert (cc.filter_size, cc.stride, cc.pad) == (3, 2, 1)
    assert cc.output_shape == (None, 16, 6, 6)
    assert cc.W.get_value().shape == (16, 4, 3, 3)
    pool = cuda_convnet.MaxPool2DCCLayer(l_in, 3, stride=2)
    assert (pool.pool_size, pool.stride) == (3, 2)
    assert pool.output_shape == (None, 4, 6, 6)     # partial windows kept
    average = dnn.Pool2DDNNLayer(l_in, 3, stride=2, mode="average_exc_pad")
    assert average.mode == "average_exc_pad"
    assert average.output_shape == (None, 4, 5, 5)
    untied = dnn.Conv2DDNNLayer(l_in, 8, 3, untie_biases=True)
    assert untied.b.get_value().shape == (8, 10, 10)


def test_stand_ins_refuse_what_the_gpu_classes_refuse():
    from lasagne.layers import cuda_convnet, dnn
    l_in = InputLayer((None, 4, 12, 12))
    with pytest.raises(NotImplementedError, match="ignore_border=True"):
        dnn.MaxPool2DDNNLayer(l_in, 2, ignore_border=False)
    with pytest.raises(RuntimeError, match="multiple of 16, got 24"):
        cuda_convnet.Conv2DCCLayer(l_in, 24, 3)
    with pytest.raises(NotImplementedError, match="square filter_size"):
        cuda_convnet.Conv2DCCLayer(l_in, 16, (3, 5))
    with pytest.raises(RuntimeError, match="input channels, got 5"):
        cuda_convnet.Conv2DCCLayer(InputLayer((None, 5, 8, 8)), 16, 3)
    with pytest.raises(NotImplementedError, match="stride <= pool_size"):
        cuda_convnet.MaxPool2DCCLayer(l_in, 2, stride=3)


def test_stand_ins_compute_what_the_gpu_classes_compute():
    """cuDNN, corrmm and cuda-convnet correlate unless flip_filters=True:
    equal to Conv2DLayer (a convolution) with flipped filters."""
    from lasagne.layers import corrmm, cuda_convnet, dnn
    rng = np.random.RandomState(0)
    x = rng.rand(2, 4, 9, 9).astype(theano.config.floatX)
    l_in = InputLayer((None, 4, 9, 9))
    W = rng.randn(16, 4, 3, 3).astype(theano.config.floatX)
    flipped = W[:, :, ::-1, ::-1].copy()
    pairs = []
    for flip in (False, True):
        ref = Conv2DLayer(l_in, 16, 3, pad=1, W=W if flip else flipped,
                          nonlinearity=None)
        for layer in (dnn.Conv2DDNNLayer, corrmm.Conv2DMMLayer,
                      cuda_convnet.Conv2DCCLayer):
            pairs.append((layer(l_in, 16, 3, pad="same", W=W,
                                flip_filters=flip, nonlinearity=None), ref))
    pairs.append((cuda_convnet.MaxPool2DCCLayer(l_in, 3, stride=2),
                  MaxPool2DLayer(l_in, 3, stride=2, ignore_border=False)))
    pairs.append((dnn.Pool2DDNNLayer(l_in, 3, stride=2, pad=1,
                                     mode="average_inc_pad"),
                  Pool2DLayer(l_in, 3, stride=2, pad=1,
                              mode="average_inc_pad")))
    c01b = cuda_convnet.ShuffleBC01ToC01BLayer(l_in)
    c01b = cuda_convnet.Conv2DCCLayer(
        c01b, 16, 3, pad=1, dimshuffle=False, nonlinearity=None,
        W=flipped.transpose(1, 2, 3, 0))
    c01b = cuda_convnet.MaxPool2DCCLayer(c01b, 2, dimshuffle=False)
    # correlating with `flipped` is convolving with W
    pairs.append((cuda_convnet.ShuffleC01BToBC01Layer(c01b),
                  MaxPool2DLayer(Conv2DLayer(l_in, 16, 3, pad=1, W=W,
                                             nonlinearity=None),
                                 2, ignore_border=False)))
    outputs = get_output([layer for pair in pairs for layer in pair])
    values = theano.function([l_in.input_var], outputs)(x)
    for k, (layer, _) in enumerate(pairs):
        got, want = values[2 * k], values[2 * k + 1]
        assert got.shape == want.shape == (2,) + layer.output_shape[1:]
        assert np.allclose(got, want, atol=1e-5), type(layer).__name__


def test_stand_in_layers_pickle():
    from lasagne.layers import cuda_convnet, dnn
    l_in = InputLayer((None, 4, 8, 8))
    for layer in (dnn.Conv2DDNNLayer(l_in, 16, 3),
                  cuda_convnet.MaxPool2DCCLayer(l_in, 2)):
        copy = pickle.loads(pickle.dumps(layer))
        assert type(copy) is type(layer)
        assert copy.output_shape == layer.output_shape


GPU_NET = [
    (InputLayer, {"shape": (None, 4, 20, 20)}),
    ("dnn.Conv2DDNNLayer", {"num_filters": 16, "filter_size": 5,
                            "pad": "same", "stride": 2}),
    ("dnn.MaxPool2DDNNLayer", {"pool_size": 3, "stride": 2}),
    ("corrmm.Conv2DMMLayer", {"num_filters": 16, "filter_size": 3,
                              "pad": "full"}),
    ("cuda_convnet.Conv2DCCLayer", {"num_filters": 32, "filter_size": 3,
                                    "pad": "same"}),
    ("cuda_convnet.MaxPool2DCCLayer", {"pool_size": 2}),
    ("dnn.Conv2DDNNLayer", {"num_filters": 16, "filter_size": 3,
                            "pad": "full", "untie_biases": True}),
    ("dnn.Pool2DDNNLayer", {"pool_size": 2, "mode": "average_exc_pad"}),
    ("DenseLayer", {"num_units": 3,
                    "nonlinearity": lasagne.nonlinearities.softmax}),
]


def gpu_net(verbose=3, **kwargs):
    import lasagne.layers.corrmm
    import lasagne.layers.cuda_convnet
    import lasagne.layers.dnn
    layers = []
    for factory, kw in GPU_NET:
        if isinstance(factory, str):
            module, _, name = factory.rpartition(".")
            module = getattr(lasagne.layers, module) if module else \
                lasagne.layers
            factory = getattr(module, name)
        layers.append((factory, dict(kw)))
    return NeuralNet(layers=layers, update_learning_rate=0.01,
                     verbose=verbose, **kwargs)


def gpu_spec():
    specs = [("InputLayer", GPU_NET[0][1])]
    for factory, kw in GPU_NET[1:]:
        kw = {k: v for k, v in kw.items() if k != "nonlinearity"}
        specs.append((factory.rpartition(".")[2], kw))
    return specs


@pytest.mark.parametrize("verbose", [2, 3])
def test_nolearn_and_we_agree_on_a_net_of_stand_ins(verbose):
    net = gpu_net(verbose)
    net.initialize_layers()
    for detailed in (False, True):
        want = nolearn.lasagne.util.get_conv_infos(net, detailed=detailed)
        assert ours.get_conv_infos(net, detailed=detailed) == want
        assert ours.get_conv_infos(gpu_spec(), detailed=detailed) == want
    want = printed(nolearns_print_layer_info()(), net)
    assert printed(PrintLayerInfo(), net) == want
    for mode in ("legacy", "exact"):
        result = compare(gpu_spec(), net, mode=mode)
        assert result.equivalent, result.render()


def test_a_net_of_stand_ins_trains(capsys):
    rng = np.random.RandomState(1)
    X = rng.rand(30, 4, 20, 20).astype(theano.config.floatX)
    y = (np.arange(30) % 3).astype(np.int32)   # 10 of each for the folds
    lasagne.random.set_rng(np.random.RandomState(1))
    net = gpu_net(verbose=2, max_epochs=1,
                  on_training_started=[PrintLayerInfo()])
    net.fit(X, y)
    out = capsys.readouterr().out
    assert "## Layer information" in out
    assert EPOCH_LINE.search(out), out
    assert net.predict_proba(X[:2]).shape == (2, 3)


def test_stand_ins_replace_modules_that_raise_skiptest(tmp_path):
    """With nose installed, Theano's removed CUDA back-end raises nose's
    SkipTest, not ImportError; nolearn would crash on it without us."""
    skip = tmp_path / "nose" / "plugins"
    skip.mkdir(parents=True)
    (tmp_path / "nose" / "__init__.py").write_text("")
    (skip / "__init__.py").write_text("")
    (skip / "skip.py").write_text("from unittest import SkipTest\n")
    code = textwrap.dedent("""
        from nolearn_capacity import compat
        compat.enable()
        import nolearn.lasagne
        from lasagne.layers import dnn
        print(dnn.__doc__)
        print(dnn.Conv2DDNNLayer.__name__)
        """)
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), str(tmp_path)] +
        [p for p in [os.environ.get("PYTHONPATH")] if p])
    result = subprocess.run([sys.executable, "-c", code], env=environment,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "(SkipTest: You are importing theano.sandbox.cuda" in \
        result.stdout
    assert result.stdout.rstrip().endswith("Conv2DDNNLayer")
