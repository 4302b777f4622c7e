"""Run Theano 1.0.5, Lasagne 0.1 and nolearn 0.6.1 on today's Python.

Nothing happens on import: this module imports no framework and patches
nothing until :func:`enable` is called.  :func:`enable` bridges the four
breakages met in import order on Python 3.11 with numpy 1.23.5 and a current
scikit-learn:

1. ``import theano`` crashes while probing numpy's BLAS configuration unless
   the Theano flag ``blas.ldflags`` is set, so ``blas.ldflags=`` is added to
   ``THEANO_FLAGS`` (Theano then uses NumPy's C-API for BLAS).
2. Lasagne 0.1 imports ``theano.tensor.signal.downsample``, renamed to
   ``theano.tensor.signal.pool`` in Theano 0.9; a small stand-in maps
   ``max_pool_2d`` onto ``pool.pool_2d``.
3. nolearn does ``from collections import Iterable``; the ABCs that Python
   3.10 removed from ``collections`` are aliased back from
   ``collections.abc``.
4. nolearn imports ``KFold`` and ``StratifiedKFold`` from
   ``sklearn.cross_validation`` (removed in scikit-learn 0.20); a stand-in
   offers them with their old signatures on top of
   ``sklearn.model_selection``.

The stand-in modules are served by an import hook placed at the end of
``sys.meta_path``: it is asked only after the real finders failed, so a
version that still ships the module keeps its own, and neither Theano nor
scikit-learn is imported before the code that needs them does so.

With Lasagne 0.1, :func:`enable` also makes the GPU layer modules work on
a CPU machine.  ``lasagne.layers.dnn``, ``lasagne.layers.cuda_convnet``
and ``lasagne.layers.corrmm`` need Theano's old CUDA back-end, which Theano
1.0 removed, so importing them fails (``ImportError``, or nose's
``SkipTest`` when nose is installed).  A second hook, placed first in
``sys.meta_path``, lets the real module run and, only if that raises,
fills the module with CPU stand-ins of the same names and constructor
signatures: ``Conv2DDNNLayer``, ``Pool2DDNNLayer``, ``MaxPool2DDNNLayer``;
``Conv2DCCLayer``, ``MaxPool2DCCLayer``, ``ShuffleBC01ToC01BLayer``,
``ShuffleC01BToBC01Layer``; ``Conv2DMMLayer`` (and their bases
``DNNLayer``, ``CCLayer``, ``MMLayer``).  They are subclasses of Lasagne's
CPU layers (``Conv2DLayer``, ``Pool2DLayer``, ``MaxPool2DLayer``) that
store their arguments as the GPU classes do (cuDNN and corrmm turn
``pad='same'`` into ints; cuda-convnet keeps ``filter_size``, ``stride``,
``pad`` and ``pool_size`` as plain ints) and compute the same outputs on
the CPU (a correlation unless ``flip_filters=True``; cuda-convnet pooling
keeps partial windows).  So a 2015 script written for a GPU builds,
trains and prints nolearn's table here, and nolearn counts these classes
as conv and max-pool layers as it did on a GPU.  cuda-convnet's c01b
layout (``dimshuffle=False``) works too; ``NINLayer_c01b`` has no
stand-in.  The stand-in module's docstring says that it is one and why
the real module failed.

Examples
--------
>>> from nolearn_capacity import compat
>>> stack = compat.enable()                               # doctest: +SKIP
>>> from nolearn.lasagne import NeuralNet                 # doctest: +SKIP
>>> compat.use_nolearn_capacity_layer_info()              # doctest: +SKIP
"""

import collections
import collections.abc
import configparser
import importlib.machinery
import importlib.util
import os
import re
import sys
from importlib import metadata

__all__ = [
    "LegacyStack",
    "UnsupportedLegacyStack",
    "enable",
    "restore_nolearn_layer_info",
    "use_nolearn_capacity_layer_info",
]

LEGACY_EXTRA_FIX = 'pip install "nolearn_capacity[legacy]"'

BLAS_FLAG = "blas.ldflags="


class UnsupportedLegacyStack(RuntimeError):
    """An installed package of the legacy stack is missing or has a version
    these bridges were not made for.  The message names each package, the
    installed and the supported version, and the command that fixes it."""


LegacyStack = collections.namedtuple(
    "LegacyStack",
    ["versions", "theano_flag_added", "collections_aliases", "module_bridges",
     "gpu_layer_fallbacks"],
    defaults=((),))
LegacyStack.__doc__ = """What :func:`enable` found and bridged.

Attributes
----------
versions : dict
    Distribution name -> installed version string, ``None`` when not
    installed (numpy, Theano, Lasagne, nolearn, scikit-learn).
theano_flag_added : bool
    Whether ``blas.ldflags=`` was appended to ``THEANO_FLAGS`` (not when
    the user set ``blas.ldflags`` already or Theano was already imported).
collections_aliases : tuple of str
    Names aliased from ``collections.abc`` onto ``collections``.
module_bridges : tuple of str
    Modules served by the import hook if the installed packages lack them.
gpu_layer_fallbacks : tuple of str
    GPU layer modules (``lasagne.layers.dnn``, ``lasagne.layers.cuda_convnet``,
    ``lasagne.layers.corrmm``) that are filled with CPU stand-ins if the
    real module fails to import; empty unless Lasagne is 0.1.
"""


# --- versions -------------------------------------------------------------

def _read_versions():
    """Return {distribution: version or None} without importing any of them."""
    versions = {}
    for distribution in ("numpy", "Theano", "Lasagne", "nolearn",
                         "scikit-learn"):
        try:
            versions[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[distribution] = None
    return versions


def _release(version):
    """Leading numeric part of a version string: '0.2.dev1' -> (0, 2)."""
    match = re.match(r"\d+(\.\d+)*", version)
    if match is None:
        return ()
    return tuple(int(part) for part in match.group(0).split("."))


def _is_lasagne_supported(version):
    release = _release(version)[:2]
    # 0.2.dev* is GitHub master, the only 0.2 there ever was
    return release == (0, 1) or (release == (0, 2) and "dev" in version)


# distribution: (is supported, supported versions in words, fix when wrong)
_SUPPORTED = {
    "numpy": (lambda v: _release(v) < (1, 24),
              "< 1.24 (Theano 1.0.5 breaks on later numpy)",
              "pip install numpy==1.23.5"),
    "Theano": (lambda v: _release(v)[:2] == (1, 0),
               "1.0.x", "pip install Theano==1.0.5"),
    "Lasagne": (_is_lasagne_supported,
                "0.1 or 0.2.dev*", "pip install Lasagne==0.1"),
    "nolearn": (lambda v: _release(v)[:2] == (0, 6),
                "0.6.x", "pip install nolearn==0.6.1"),
    # sklearn.model_selection, which the KFold stand-ins use, came in 0.18
    "scikit-learn": (lambda v: _release(v) >= (0, 18),
                     ">= 0.18", "pip install -U scikit-learn"),
}


def _check_versions(versions):
    """Raise UnsupportedLegacyStack listing every problem in `versions`."""
    required = ["numpy", "Theano", "Lasagne"]
    if versions.get("nolearn") is not None:
        # nolearn is optional (Lasagne-only users); if there, it needs sklearn
        required += ["nolearn", "scikit-learn"]
    problems = []
    for distribution in required:
        version = versions.get(distribution)
        is_supported, supported, fix = _SUPPORTED[distribution]
        if version is None:
            problems.append(
                "{0} is not installed (supported: {1}). Fix: {2}".format(
                    distribution, supported, LEGACY_EXTRA_FIX))
        elif not is_supported(version):
            problems.append(
                "{0} {1} is installed, supported: {2}. Fix: {3}".format(
                    distribution, version, supported, fix))
    if importlib.util.find_spec("pkg_resources") is None:
        # Lasagne 0.1 imports pkg_resources, which new venvs lack and new
        # setuptools releases drop.
        problems.append("pkg_resources is missing (Lasagne imports it). "
                        "Fix: pip install 'setuptools<81'")
    if problems:
        raise UnsupportedLegacyStack(
            "cannot enable the legacy stack (Theano + Lasagne + nolearn):\n  "
            + "\n  ".join(problems))


# --- 1. Theano's BLAS flag ------------------------------------------------

def _user_set_blas_ldflags(theano_flags):
    """Whether blas.ldflags is set in `theano_flags` or a .theanorc file."""
    for pair in theano_flags.split(","):
        if pair.partition("=")[0].strip() == "blas.ldflags":
            return True
    # same files, same order as Theano's configparser reads them
    rc_files = [os.path.expanduser(path) for path in
                os.environ.get("THEANORC", "~/.theanorc").split(os.pathsep)]
    rc = configparser.RawConfigParser()
    try:
        rc.read(rc_files)
    except configparser.Error:
        return False  # Theano will complain about the file itself
    return rc.has_option("blas", "ldflags")


def _add_blas_flag():
    """Append blas.ldflags= to THEANO_FLAGS; return whether it was added."""
    if "theano" in sys.modules:
        return False  # too late to matter, and it imported fine without
    flags = os.environ.get("THEANO_FLAGS", "")
    if _user_set_blas_ldflags(flags):
        return False
    os.environ["THEANO_FLAGS"] = (
        flags + "," + BLAS_FLAG if flags.strip() else BLAS_FLAG)
    return True


# --- 2. theano.tensor.signal.downsample -----------------------------------

def _max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0),
                 mode="max"):
    """Theano < 0.9 ``downsample.max_pool_2d``, done by ``pool.pool_2d``.

    Parameters
    ----------
    input : Theano tensor
        Pooled over its two trailing axes.
    ds : pair of int
        Pool size, ``ws`` of ``pool_2d``.
    ignore_border : bool or None
        ``None`` means ``False``, the old default (``pool_2d`` would warn).
    st : pair of int or None
        Stride, ``stride`` of ``pool_2d``; ``None`` means ``ds``.
    padding : pair of int
        ``pad`` of ``pool_2d``.
    mode : {'max', 'sum', 'average_inc_pad', 'average_exc_pad'}

    Returns
    -------
    Theano tensor
    """
    from theano.tensor.signal import pool
    if ignore_border is None:
        ignore_border = False
    return pool.pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st,
                        pad=padding, mode=mode)


def _build_downsample(module):
    module.__doc__ = ("Stand-in for theano.tensor.signal.downsample "
                      "(Theano < 0.9), made by nolearn_capacity.compat.")
    module.max_pool_2d = _max_pool_2d


# --- 4. sklearn.cross_validation ------------------------------------------

class _KFold:
    """``sklearn.cross_validation.KFold(n, n_folds)`` of scikit-learn < 0.20.

    Iterating gives ``(train_indices, test_indices)`` per fold, computed by
    ``sklearn.model_selection.KFold``.
    """

    _splitter = "KFold"

    def __init__(self, n, n_folds=3, shuffle=False, random_state=None):
        self.n = n
        self.n_folds = n_folds
        self.shuffle = shuffle
        self.random_state = random_state
        self.y = None

    def __iter__(self):
        import numpy
        from sklearn import model_selection
        # today's splitters refuse a random_state that shuffle=False ignores
        splitter = getattr(model_selection, self._splitter)(
            n_splits=self.n_folds, shuffle=self.shuffle,
            random_state=self.random_state if self.shuffle else None)
        return splitter.split(numpy.zeros((self.n, 1)), self.y)

    def __len__(self):
        return self.n_folds


class _StratifiedKFold(_KFold):
    """``sklearn.cross_validation.StratifiedKFold(y, n_folds)`` of
    scikit-learn < 0.20: folds that keep the class proportions of `y`."""

    _splitter = "StratifiedKFold"

    def __init__(self, y, n_folds=3, shuffle=False, random_state=None):
        super().__init__(len(y), n_folds, shuffle, random_state)
        self.y = y


def _build_cross_validation(module):
    from sklearn import model_selection
    module.__doc__ = ("Stand-in for sklearn.cross_validation (scikit-learn "
                      "< 0.20), made by nolearn_capacity.compat.")
    module.KFold = _KFold
    module.StratifiedKFold = _StratifiedKFold
    module.train_test_split = model_selection.train_test_split


# --- 5. cuDNN / cuda-convnet / corrmm layers on a CPU machine -------------
#
# The builders run while ``lasagne.layers.<module>`` is being imported, so
# Lasagne is importable by then.  Classes are made per module so that
# their ``__module__`` and ``__qualname__`` are the real ones (nolearn
# names rows after ``str(layer)``; pickled nets find their classes again).

def _publish(module, classes, aliases=None):
    for cls in classes:
        cls.__module__ = module.__name__
        cls.__qualname__ = cls.__name__
        setattr(module, cls.__name__, cls)
    for alias, cls in (aliases or {}).items():
        setattr(module, alias, cls)
    module.__all__ = [cls.__name__ for cls in classes] + list(aliases or ())


def _correlate(layer, input, pad, stride, bc01=True):
    """What a GPU conv layer computes, on the CPU: ``layer.W`` slid over
    `input` (flipped only with ``flip_filters=True``, as on the GPU), plus
    ``layer.b``, through ``layer.nonlinearity``."""
    from theano.tensor.nnet import conv2d
    weights = layer.W
    if not bc01:   # cuda-convnet's c01b layout: channels first, batch last
        input, weights = input.dimshuffle(3, 0, 1, 2), weights.dimshuffle(
            3, 0, 1, 2)
    out = conv2d(input, weights, border_mode=pad, subsample=stride,
                 filter_flip=bool(layer.flip_filters))
    if layer.b is not None:
        out = out + (layer.b.dimshuffle("x", 0, 1, 2) if layer.untie_biases
                     else layer.b.dimshuffle("x", 0, "x", "x"))
    out = layer.nonlinearity(out)
    return out if bc01 else out.dimshuffle(1, 2, 3, 0)


def _square(value, what):
    """cuda-convnet's square sizes: an int or a pair of equal ints -> int."""
    from lasagne.utils import as_tuple
    rows, columns = as_tuple(value, 2)
    if rows != columns:
        raise NotImplementedError(
            "the cuda-convnet layers need a square {}, got ({}, {})".format(
                what, rows, columns))
    return rows


def _build_dnn(module):
    from lasagne import init, nonlinearities
    from lasagne.layers import Conv2DLayer, Layer, Pool2DLayer
    from lasagne.utils import as_tuple

    class DNNLayer(Layer):
        """Base of the cuDNN layers (CPU stand-in)."""

    class Conv2DDNNLayer(DNNLayer, Conv2DLayer):
        """``Conv2DDNNLayer`` of Lasagne 0.1 on the CPU: a correlation
        (``flip_filters=False``, the default) or a convolution; ``'same'``
        padding is stored as ints, ``(k - 1) // 2`` per axis."""

        def __init__(self, incoming, num_filters, filter_size, stride=(1, 1),
                     pad=0, untie_biases=False, W=init.GlorotUniform(),
                     b=init.Constant(0.), nonlinearity=nonlinearities.rectify,
                     flip_filters=False, **kwargs):
            if pad == "same":
                pad = tuple((k - 1) // 2 for k in as_tuple(filter_size, 2))
            super(Conv2DDNNLayer, self).__init__(
                incoming, num_filters, filter_size, stride, pad, untie_biases,
                W, b, nonlinearity, **kwargs)
            self.flip_filters = flip_filters

        def get_output_for(self, input, **kwargs):
            return _correlate(self, input, self.pad, self.stride)

    class Pool2DDNNLayer(DNNLayer, Pool2DLayer):
        """``Pool2DDNNLayer`` of Lasagne 0.1 on the CPU: modes 'max',
        'average_inc_pad', 'average_exc_pad'; partial windows are dropped
        (``ignore_border=True`` only)."""

        def __init__(self, incoming, pool_size, stride=None, pad=(0, 0),
                     ignore_border=True, mode="max", **kwargs):
            if not ignore_border:
                raise NotImplementedError(
                    "Pool2DDNNLayer drops partial windows: it needs "
                    "ignore_border=True, got ignore_border={!r}".format(
                        ignore_border))
            super(Pool2DDNNLayer, self).__init__(
                incoming, pool_size, stride, pad, True, mode, **kwargs)

    class MaxPool2DDNNLayer(Pool2DDNNLayer):
        """``MaxPool2DDNNLayer`` of Lasagne 0.1 on the CPU."""

        def __init__(self, incoming, pool_size, stride=None, pad=(0, 0),
                     ignore_border=True, **kwargs):
            super(MaxPool2DDNNLayer, self).__init__(
                incoming, pool_size, stride, pad, ignore_border, mode="max",
                **kwargs)

    _publish(module, [DNNLayer, Conv2DDNNLayer, Pool2DDNNLayer,
                      MaxPool2DDNNLayer])


def _build_cuda_convnet(module):
    from lasagne import init, nonlinearities
    from lasagne.layers import Conv2DLayer, Layer, MaxPool2DLayer
    from lasagne.layers.conv import conv_output_length
    from lasagne.layers.pool import pool_output_length
    from theano.tensor.signal import pool

    def spatial(shape, bc01):
        return tuple(shape[2:4]) if bc01 else tuple(shape[1:3])

    def with_spatial(shape, bc01, first, sizes):
        """(batch, first, rows, cols) in bc01, (first, rows, cols, batch)
        in c01b, with the batch size and rows, cols of `shape`."""
        batch = shape[0] if bc01 else shape[3]
        return ((batch, first) + sizes) if bc01 else (
            (first,) + sizes + (batch,))

    class CCLayer(Layer):
        """Base of the cuda-convnet layers (CPU stand-in)."""

    class Conv2DCCLayer(CCLayer, Conv2DLayer):
        """``Conv2DCCLayer`` of Lasagne 0.1 on the CPU.  As the original it
        needs square filters, strides and pads and stores them as plain
        ints; ``dimshuffle=False`` takes c01b input and weights."""

        def __init__(self, incoming, num_filters, filter_size, stride=(1, 1),
                     pad=0, untie_biases=False, W=None, b=init.Constant(0.),
                     nonlinearity=nonlinearities.rectify, dimshuffle=True,
                     flip_filters=False, partial_sum=1, **kwargs):
            size = _square(filter_size, "filter_size")
            step = _square(stride, "stride")
            if num_filters % 16:
                raise RuntimeError(
                    "Conv2DCCLayer needs num_filters to be a multiple of 16, "
                    "got {}".format(num_filters))
            if pad in ("valid", "full", "same"):
                pad = {"valid": 0, "full": size - 1,
                       "same": (size - 1) // 2}[pad]
            else:
                pad = _square(pad, "pad")
            if W is None:
                W = init.GlorotUniform(c01b=not dimshuffle)
            # read by get_W_shape / get_output_shape_for during __init__
            self.dimshuffle = dimshuffle
            super(Conv2DCCLayer, self).__init__(
                incoming, num_filters, size, step, pad, untie_biases, W,
                None, nonlinearity, **kwargs)
            self.filter_size, self.stride, self.pad = size, step, pad
            self.flip_filters, self.partial_sum = flip_filters, partial_sum
            channels = self.num_input_channels
            if not (channels < 4 or channels % 4 == 0):
                raise RuntimeError(
                    "Conv2DCCLayer needs 1, 2, 3 or a multiple of 4 input "
                    "channels, got {}".format(channels))
            if b is not None:
                shape = (num_filters,) + (
                    spatial(self.output_shape, dimshuffle)
                    if untie_biases else ())
                self.b = self.add_param(b, shape, name="b",
                                        regularizable=False)

        @property
        def num_input_channels(self):
            return self.input_shape[1 if self.dimshuffle else 0]

        def get_W_shape(self):
            k = _square(self.filter_size, "filter_size")
            c, f = self.num_input_channels, self.num_filters
            return (f, c, k, k) if self.dimshuffle else (c, k, k, f)

        def get_output_shape_for(self, input_shape):
            k = _square(self.filter_size, "filter_size")
            s = _square(self.stride, "stride")
            p = _square(self.pad, "pad")
            sizes = tuple(conv_output_length(n, k, s, p)
                          for n in spatial(input_shape, self.dimshuffle))
            return with_spatial(input_shape, self.dimshuffle,
                                self.num_filters, sizes)

        def get_output_for(self, input, **kwargs):
            return _correlate(self, input, (self.pad,) * 2,
                              (self.stride,) * 2, bc01=self.dimshuffle)

    class MaxPool2DCCLayer(CCLayer, MaxPool2DLayer):
        """``MaxPool2DCCLayer`` of Lasagne 0.1 on the CPU: square windows,
        no padding, partial windows kept; ``pool_size`` and ``stride`` are
        plain ints."""

        def __init__(self, incoming, pool_size, stride=None,
                     ignore_border=False, dimshuffle=True, **kwargs):
            pad = kwargs.pop("pad", 0)
            if _square(pad, "pad") != 0:
                raise NotImplementedError(
                    "MaxPool2DCCLayer does not pad, got pad={!r}".format(pad))
            if ignore_border:
                raise NotImplementedError(
                    "MaxPool2DCCLayer keeps partial windows: it needs "
                    "ignore_border=False, got {!r}".format(ignore_border))
            size = _square(pool_size, "pool_size")
            step = size if stride is None else _square(stride, "stride")
            if step > size:
                raise NotImplementedError(
                    "MaxPool2DCCLayer needs stride <= pool_size, got stride "
                    "{} and pool_size {}".format(step, size))
            super(MaxPool2DCCLayer, self).__init__(
                incoming, size, step, 0, False, **kwargs)
            self.pool_size, self.stride = size, step
            self.dimshuffle = dimshuffle

        def get_output_shape_for(self, input_shape):
            sizes = tuple(pool_output_length(n, self.pool_size, self.stride,
                                             0, False)
                          for n in spatial(input_shape, self.dimshuffle))
            channels = input_shape[1 if self.dimshuffle else 0]
            return with_spatial(input_shape, self.dimshuffle, channels,
                                sizes)

        def get_output_for(self, input, **kwargs):
            if not self.dimshuffle:
                input = input.dimshuffle(3, 0, 1, 2)
            out = pool.pool_2d(input, ws=(self.pool_size,) * 2,
                               stride=(self.stride,) * 2,
                               ignore_border=False, mode="max")
            return out if self.dimshuffle else out.dimshuffle(1, 2, 3, 0)

    class ShuffleBC01ToC01BLayer(Layer):
        """bc01 (batch first) -> c01b (batch last)."""

        def get_output_shape_for(self, input_shape):
            return tuple(input_shape[1:4]) + (input_shape[0],)

        def get_output_for(self, input, **kwargs):
            return input.dimshuffle(1, 2, 3, 0)

    class ShuffleC01BToBC01Layer(Layer):
        """c01b (batch last) -> bc01 (batch first)."""

        def get_output_shape_for(self, input_shape):
            return (input_shape[3],) + tuple(input_shape[0:3])

        def get_output_for(self, input, **kwargs):
            return input.dimshuffle(3, 0, 1, 2)

    _publish(module, [CCLayer, Conv2DCCLayer, MaxPool2DCCLayer,
                      ShuffleBC01ToC01BLayer, ShuffleC01BToBC01Layer],
             {"bc01_to_c01b": ShuffleBC01ToC01BLayer,
              "c01b_to_bc01": ShuffleC01BToBC01Layer})


def _build_corrmm(module):
    from lasagne import init, nonlinearities
    from lasagne.layers import Conv2DLayer, Layer
    from lasagne.utils import as_tuple

    class MMLayer(Layer):
        """Base of the corrmm layers (CPU stand-in)."""

    class Conv2DMMLayer(MMLayer, Conv2DLayer):
        """``Conv2DMMLayer`` of Lasagne 0.1 on the CPU: a correlation unless
        ``flip_filters=True``; ``'full'`` and ``'same'`` padding are stored
        as ints (``k - 1``, ``(k - 1) // 2``)."""

        def __init__(self, incoming, num_filters, filter_size, stride=(1, 1),
                     pad=0, untie_biases=False, W=init.GlorotUniform(),
                     b=init.Constant(0.), nonlinearity=nonlinearities.rectify,
                     flip_filters=False, **kwargs):
            if pad in ("full", "same"):
                pad = tuple(k - 1 if pad == "full" else (k - 1) // 2
                            for k in as_tuple(filter_size, 2))
            super(Conv2DMMLayer, self).__init__(
                incoming, num_filters, filter_size, stride, pad, untie_biases,
                W, b, nonlinearity, **kwargs)
            self.flip_filters = flip_filters

        def get_output_for(self, input, **kwargs):
            return _correlate(self, input, self.pad, self.stride)

    _publish(module, [MMLayer, Conv2DMMLayer])


GPU_LAYER_MODULES = {
    "lasagne.layers.dnn": _build_dnn,
    "lasagne.layers.cuda_convnet": _build_cuda_convnet,
    "lasagne.layers.corrmm": _build_corrmm,
}


# --- the import hooks -----------------------------------------------------

class _BridgeFinder:
    """Finder and loader for the modules in `builders` (name -> function
    that fills the new module in)."""

    def __init__(self, builders):
        self.builders = builders

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.builders:
            return None
        return importlib.machinery.ModuleSpec(fullname, self,
                                              origin=__name__)

    def create_module(self, spec):
        return None  # the default module object is fine

    def exec_module(self, module):
        self.builders[module.__name__](module)


class _FallbackFinder(_BridgeFinder):
    """Finder for modules that exist but may fail to import (the GPU
    layers on a CPU machine).  Placed first in ``sys.meta_path``, it finds
    the real module with the other finders and wraps its loader: the real
    code runs, and only if it raises is the module filled by the builder
    instead."""

    def __init__(self, builders):
        super().__init__(builders)
        self._searching = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.builders or fullname in self._searching:
            return None   # or a finder we asked asks the meta path again
        self._searching.add(fullname)
        try:
            real = self._real_spec(fullname, path, target)
        finally:
            self._searching.discard(fullname)
        if real is None or real.loader is None:
            return importlib.machinery.ModuleSpec(fullname, self,
                                                  origin=__name__)
        real.loader = _FallbackLoader(real.loader, self.builders[fullname])
        return real

    def _real_spec(self, fullname, path, target):
        for finder in sys.meta_path:
            if isinstance(finder, _BridgeFinder) or not hasattr(
                    finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None


class _FallbackLoader:
    """Runs the real loader; on any exception fills the module with the
    stand-in (``SkipTest`` is what Theano's removed CUDA back-end raises
    when nose is installed, ``ImportError`` otherwise)."""

    def __init__(self, loader, build):
        self.loader, self.build = loader, build

    def __getattr__(self, name):   # get_source, is_package, ...
        if name == "loader":           # not set yet (copy, pickle)
            raise AttributeError(name)
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        try:
            self.loader.exec_module(module)
            return
        except Exception as error:
            reason = "{}: {}".format(type(error).__name__, error)
        for name in list(vars(module)):
            if not (name.startswith("__") and name.endswith("__")):
                delattr(module, name)
        for name in ("__file__", "__cached__"):
            module.__dict__.pop(name, None)
        self.build(module)
        module.__doc__ = (
            "CPU stand-in for {}, made by nolearn_capacity.compat because the "
            "real module failed to import ({}).".format(module.__name__,
                                                       reason))


_enabled = None  # the LegacyStack returned by the first successful enable()


def enable():
    """Make Theano 1.0.5, Lasagne 0.1 and nolearn 0.6.1 importable.

    Checks the installed versions first (reading package metadata, importing
    nothing), then bridges what the installed stack needs, in import order
    (see the module docstring).  nolearn is optional: without it only the
    Theano and Lasagne bridges are installed.  With Lasagne 0.1 the GPU
    layer modules (cuDNN, cuda-convnet, corrmm) fall back to CPU stand-ins
    when they fail to import.  Call it before the first ``import theano``
    (and before ``lasagne.layers.dnn`` is first imported).  A second call
    does nothing and returns the same object.

    Returns
    -------
    LegacyStack
        Installed versions and what was bridged; ``gpu_layer_fallbacks``
        names the GPU layer modules that get CPU stand-ins.

    Raises
    ------
    UnsupportedLegacyStack
        If numpy, Theano or Lasagne (or nolearn, when installed, or the
        scikit-learn it needs) is missing or of an unsupported version;
        the message names the package, both versions and the fix.
    """
    global _enabled
    if _enabled is not None:
        return _enabled
    versions = _read_versions()
    _check_versions(versions)

    flag_added = _add_blas_flag()
    builders = {"theano.tensor.signal.downsample": _build_downsample}
    aliases = ()
    if versions["nolearn"] is not None:
        # ByteString is deprecated in collections.abc and nolearn never used it
        aliases = tuple(name for name in collections.abc.__all__
                        if name != "ByteString"
                        and not hasattr(collections, name))
        for name in aliases:
            setattr(collections, name, getattr(collections.abc, name))
        builders["sklearn.cross_validation"] = _build_cross_validation
    sys.meta_path.append(_BridgeFinder(builders))
    fallbacks = {}
    if _release(versions["Lasagne"])[:2] == (0, 1):
        # the stand-ins mirror 0.1's classes (0.2 stores 'same' padding and
        # flip_filters differently and could not be tested here)
        fallbacks = dict(GPU_LAYER_MODULES)
        sys.meta_path.insert(0, _FallbackFinder(fallbacks))

    _enabled = LegacyStack(versions=versions, theano_flag_added=flag_added,
                           collections_aliases=aliases,
                           module_bridges=tuple(builders),
                           gpu_layer_fallbacks=tuple(fallbacks))
    return _enabled


# --- nolearn's layer table, printed by nolearn_capacity -------------------

_NOLEARN_LAYER_INFO_HOMES = (
    "nolearn.lasagne.handlers", "nolearn.lasagne.base", "nolearn.lasagne")
_nolearn_layer_info = None  # nolearn's own PrintLayerInfo, once replaced


def use_nolearn_capacity_layer_info():
    """Make nolearn's ``NeuralNet(verbose>=1)`` print its layer table with
    :class:`nolearn_capacity.handlers.PrintLayerInfo`.

    ``NeuralNet.__init__`` appends ``PrintLayerInfo()`` from its module's
    globals, so the name is replaced in ``nolearn.lasagne.base`` (and in
    ``nolearn.lasagne`` and ``nolearn.lasagne.handlers`` so all agree).
    Only nets created afterwards are affected.  Calls :func:`enable` first;
    calling it again changes nothing.  :func:`restore_nolearn_layer_info`
    undoes it.

    Returns
    -------
    type
        The handler class now in use.

    Raises
    ------
    UnsupportedLegacyStack
        As :func:`enable`, or if nolearn is not installed.
    """
    global _nolearn_layer_info
    if enable().versions["nolearn"] is None:
        raise UnsupportedLegacyStack(
            "nolearn is not installed (supported: 0.6.x). Fix: "
            + LEGACY_EXTRA_FIX)
    import nolearn.lasagne
    from nolearn_capacity.handlers import PrintLayerInfo
    if _nolearn_layer_info is None:
        _nolearn_layer_info = nolearn.lasagne.handlers.PrintLayerInfo
    for name in _NOLEARN_LAYER_INFO_HOMES:
        sys.modules[name].PrintLayerInfo = PrintLayerInfo
    return PrintLayerInfo


def restore_nolearn_layer_info():
    """Put nolearn's own ``PrintLayerInfo`` back (no-op if never replaced).

    Returns
    -------
    type or None
        nolearn's handler class, or ``None`` if
        :func:`use_nolearn_capacity_layer_info` was never called.
    """
    if _nolearn_layer_info is None:
        return None
    for name in _NOLEARN_LAYER_INFO_HOMES:
        sys.modules[name].PrintLayerInfo = _nolearn_layer_info
    return _nolearn_layer_info
