"""The bridges :func:`nolearn_capacity.compat.enable` installs: Theano's
BLAS flag, stand-ins for modules that today's Theano and scikit-learn no
longer ship, and the import hooks that serve them (see the package's
docstring for why each is needed)."""
import configparser
import importlib.machinery
import os
import sys

BLAS_FLAG = "blas.ldflags="


# --- 1. Theano's BLAS flag ------------------------------------------------

def user_set_blas_ldflags(theano_flags):
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


def add_blas_flag():
    """Append blas.ldflags= to THEANO_FLAGS; return whether it was added."""
    if "theano" in sys.modules:
        return False  # too late to matter, and it imported fine without
    flags = os.environ.get("THEANO_FLAGS", "")
    if user_set_blas_ldflags(flags):
        return False
    os.environ["THEANO_FLAGS"] = (
        flags + "," + BLAS_FLAG if flags.strip() else BLAS_FLAG)
    return True


# --- 2. theano.tensor.signal.downsample -----------------------------------

def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0),
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


def build_downsample(module):
    module.__doc__ = ("Stand-in for theano.tensor.signal.downsample "
                      "(Theano < 0.9), made by nolearn_capacity.compat.")
    module.max_pool_2d = max_pool_2d


# --- 4. sklearn.cross_validation ------------------------------------------

class KFold:
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


class StratifiedKFold(KFold):
    """``sklearn.cross_validation.StratifiedKFold(y, n_folds)`` of
    scikit-learn < 0.20: folds that keep the class proportions of `y`."""

    _splitter = "StratifiedKFold"

    def __init__(self, y, n_folds=3, shuffle=False, random_state=None):
        super().__init__(len(y), n_folds, shuffle, random_state)
        self.y = y


def build_cross_validation(module):
    from sklearn import model_selection
    module.__doc__ = ("Stand-in for sklearn.cross_validation (scikit-learn "
                      "< 0.20), made by nolearn_capacity.compat.")
    module.KFold = KFold
    module.StratifiedKFold = StratifiedKFold
    module.train_test_split = model_selection.train_test_split


# --- the import hooks -----------------------------------------------------

class BridgeFinder:
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


class FallbackFinder(BridgeFinder):
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
        real.loader = FallbackLoader(real.loader, self.builders[fullname])
        return real

    def _real_spec(self, fullname, path, target):
        for finder in sys.meta_path:
            if isinstance(finder, BridgeFinder) or not hasattr(
                    finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None


class FallbackLoader:
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
