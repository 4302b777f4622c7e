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

from .layer_info import (restore_nolearn_layer_info,
                         use_nolearn_capacity_layer_info)
from .stack import LegacyStack, UnsupportedLegacyStack, enable

__all__ = [
    "LegacyStack",
    "UnsupportedLegacyStack",
    "enable",
    "restore_nolearn_layer_info",
    "use_nolearn_capacity_layer_info",
]
