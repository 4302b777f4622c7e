"""Plain layer specs: Lasagne's vocabulary without Theano.

A spec is nolearn's ``layers=[(Conv2DLayer, {...}), ...]`` with class
*names* (classes are accepted too), or nolearn's older
``[('conv1', 'Conv2DLayer'), ...]`` with ``conv1_filter_size=...`` keywords.
Each item becomes a :class:`SpecLayer` carrying the attributes the real
Lasagne layer would have, so :mod:`..lasagne`'s rules read both alike.
Output shapes and trainable-parameter counts are computed here, with
Lasagne's defaults and :mod:`nolearn_capacity.geometry`; they equal real
Lasagne's ``output_shape`` and ``count_params(layer, trainable=True)``.

Every class of Lasagne 0.1 and 0.2 that a spec can describe has one
builder, registered with :func:`builder`; :func:`supported_classes` lists
them.  Where the two versions differ, the spec follows the one that
accepts more (Lasagne 0.1's ``pad='same'`` with an even filter, 0.2's
``None`` sizes in pad / slice / flatten / concat) and otherwise Lasagne
0.1 (a ``GRULayer`` learns its initial state by default; the cuDNN,
corrmm and cuda-convnet classes store padding as 0.1 does).

The modules: :mod:`.base` (``SpecLayer``, the builder registry),
:mod:`.reading` (one list item -> class and keywords), :mod:`.graph`
(:func:`build`: names resolved to inputs, every layer checked),
:mod:`.arguments` (reading a builder's arguments), and one builder module
per module of Lasagne's ``lasagne/layers/``: :mod:`.input`, :mod:`.dense`,
:mod:`.conv`, :mod:`.local`, :mod:`.cuda_convnet`, :mod:`.pool`,
:mod:`.shape`, :mod:`.merge`, :mod:`.normalization`, :mod:`.noise`,
:mod:`.special`, :mod:`.embedding`, :mod:`.recurrent`.

Examples
--------
>>> layers = build([("InputLayer", {"shape": (None, 1, 28, 28)}),
...                 ("Conv2DLayer", {"num_filters": 8, "filter_size": 3}),
...                 ("MaxPool2DLayer", {"pool_size": 2})])
>>> [(l.name, l.output_shape, l.n_params) for l in layers]
... # doctest: +NORMALIZE_WHITESPACE
[('input0', (None, 1, 28, 28), 0), ('conv2d1', (None, 8, 26, 26), 80),
 ('maxpool2d2', (None, 8, 13, 13), 0)]
"""
from .base import (BUILDERS, LAYER_ARGUMENTS, MERGE_CLASSES, SpecLayer,
                   builder, supported_classes)
from .graph import build
from ..kinds import is_spec_list, looks_like_specs
from .reading import (NEURALNET_OPTIONS, NEURALNET_PREFIXES, RENAMED,
                      input_names, normalise, with_input_shape)
# Importing a builder module registers its classes.
from . import (conv, dense, embedding, input, local, merge, noise,  # noqa: F401
               normalization, pool, recurrent, shape, special)
from .conv import CONV_CLASSES, STORED_AS_INTS, TRANSPOSED_CLASSES
from .pool import POOL_CLASSES
from .recurrent import GATES
from .special import SHARED_PARAM_CLASSES

__all__ = [
    "BUILDERS", "CONV_CLASSES", "GATES", "LAYER_ARGUMENTS", "MERGE_CLASSES",
    "NEURALNET_OPTIONS", "NEURALNET_PREFIXES", "POOL_CLASSES", "RENAMED",
    "SHARED_PARAM_CLASSES", "STORED_AS_INTS", "SpecLayer",
    "TRANSPOSED_CLASSES", "build", "builder", "input_names", "is_spec_list",
    "looks_like_specs", "normalise", "supported_classes", "with_input_shape",
]
