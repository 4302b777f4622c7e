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
    ["versions", "theano_flag_added", "collections_aliases", "module_bridges"])
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


# --- the import hook for 2. and 4. ----------------------------------------

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


_enabled = None  # the LegacyStack returned by the first successful enable()


def enable():
    """Make Theano 1.0.5, Lasagne 0.1 and nolearn 0.6.1 importable.

    Checks the installed versions first (reading package metadata, importing
    nothing), then bridges what the installed stack needs, in import order
    (see the module docstring).  nolearn is optional: without it only the
    Theano and Lasagne bridges are installed.  Call it before the first
    ``import theano``.  A second call does nothing and returns the same
    object.

    Returns
    -------
    LegacyStack
        Installed versions and what was bridged.

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

    _enabled = LegacyStack(versions=versions, theano_flag_added=flag_added,
                           collections_aliases=aliases,
                           module_bridges=tuple(builders))
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
