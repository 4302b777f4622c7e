"""What the legacy stack is, whether it is supported, and :func:`enable`."""
import collections
import collections.abc
import importlib.util
import re
import sys
import warnings
from importlib import metadata

from .bridges import (BridgeFinder, FallbackFinder, add_blas_flag,
                      build_cross_validation, build_downsample)
from .gpu_layers import GPU_LAYER_MODULES

LEGACY_EXTRA_FIX = 'pip install "nolearn_capacity[legacy]"'


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

def read_versions():
    """Return {distribution: version or None} without importing any of them."""
    versions = {}
    for distribution in ("numpy", "Theano", "Lasagne", "nolearn",
                         "scikit-learn"):
        try:
            versions[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[distribution] = None
    return versions


def release(version):
    """Leading numeric part of a version string: '0.2.dev1' -> (0, 2)."""
    match = re.match(r"\d+(\.\d+)*", version)
    if match is None:
        return ()
    return tuple(int(part) for part in match.group(0).split("."))


def is_lasagne_supported(version):
    major_minor = release(version)[:2]
    # 0.2.dev* is GitHub master, the only 0.2 there ever was
    return major_minor == (0, 1) or (major_minor == (0, 2) and
                                     "dev" in version)


# distribution: (is supported, supported versions in words, fix when wrong)
SUPPORTED = {
    "numpy": (lambda v: release(v) < (1, 24),
              "< 1.24 (Theano 1.0.5 breaks on later numpy)",
              "pip install numpy==1.23.5"),
    "Theano": (lambda v: release(v)[:2] == (1, 0),
               "1.0.x", "pip install Theano==1.0.5"),
    "Lasagne": (is_lasagne_supported,
                "0.1 or 0.2.dev*", "pip install Lasagne==0.1"),
    "nolearn": (lambda v: release(v)[:2] == (0, 6),
                "0.6.x", "pip install nolearn==0.6.1"),
    # sklearn.model_selection, which the KFold stand-ins use, came in 0.18
    "scikit-learn": (lambda v: release(v) >= (0, 18),
                     ">= 0.18", "pip install -U scikit-learn"),
}


def check_versions(versions):
    """Raise UnsupportedLegacyStack listing every problem in `versions`."""
    required = ["numpy", "Theano", "Lasagne"]
    if versions.get("nolearn") is not None:
        # nolearn is optional (Lasagne-only users); if there, it needs sklearn
        required += ["nolearn", "scikit-learn"]
    problems = []
    for distribution in required:
        version = versions.get(distribution)
        is_supported, supported, fix = SUPPORTED[distribution]
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
    versions = read_versions()
    check_versions(versions)

    flag_added = add_blas_flag()
    # Lasagne 0.1 imports pkg_resources, and setuptools (pinned < 81 for
    # it) warns about that on every run: known, fixed by the pin, not the
    # user's to act on.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated",
                            category=UserWarning)
    builders = {"theano.tensor.signal.downsample": build_downsample}
    aliases = ()
    if versions["nolearn"] is not None:
        # ByteString is deprecated in collections.abc and nolearn never used it
        aliases = tuple(name for name in collections.abc.__all__
                        if name != "ByteString"
                        and not hasattr(collections, name))
        for name in aliases:
            setattr(collections, name, getattr(collections.abc, name))
        builders["sklearn.cross_validation"] = build_cross_validation
    sys.meta_path.append(BridgeFinder(builders))
    fallbacks = {}
    if release(versions["Lasagne"])[:2] == (0, 1):
        # the stand-ins mirror 0.1's classes (0.2 stores 'same' padding and
        # flip_filters differently and could not be tested here)
        fallbacks = dict(GPU_LAYER_MODULES)
        sys.meta_path.insert(0, FallbackFinder(fallbacks))

    _enabled = LegacyStack(versions=versions, theano_flag_added=flag_added,
                           collections_aliases=aliases,
                           module_bridges=tuple(builders),
                           gpu_layer_fallbacks=tuple(fallbacks))
    return _enabled
