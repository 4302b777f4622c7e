"""Drop-in for ``nolearn.lasagne.util``: same names, signatures, output.

Change ``from nolearn.lasagne.util import get_conv_infos`` to
``from nolearn_capacity.util import get_conv_infos``.  Legacy mode (the
default) reproduces nolearn 0.6.1 exactly; ``mode="exact"`` gives the
per-axis receptive fields of :mod:`nolearn_capacity.core`.
"""
from . import core
from .adapters import to_network
from .adapters.lasagne import is_layer
from .analysis import analyze
from .records import LegacyRole
from .render import ansi, conv_table

__all__ = ["ansi", "is_conv2d", "is_maxpool2d", "get_real_filter",
           "get_receptive_field", "get_conv_infos"]


def _has_role(layers, role):
    if is_layer(layers):
        layers = [layers]
    network = to_network(list(layers), complete=False)
    return any(r.legacy_role == role for r in network.layers)


def is_conv2d(layers):
    """True if ``layers`` (one layer or a list) is or contains one of
    nolearn's conv classes (Conv2DLayer and its cuDNN / cuda-convnet /
    corrmm variants, recognised by class name)."""
    return _has_role(layers, LegacyRole.CONV)


def is_maxpool2d(layers):
    """True if ``layers`` (one layer or a list) is or contains a
    MaxPool2DLayer or one of its GPU variants."""
    return _has_role(layers, LegacyRole.MAXPOOL)


def get_real_filter(layers, img_size):
    """Cao's real filter size per layer, nolearn's way: an ``(n, 2)``
    float array (stride, padding and pooling windows ignored)."""
    records = to_network(layers, complete=False).layers
    return core.legacy_filters_and_fields(records, img_size)[0]


def get_receptive_field(layers, img_size):
    """nolearn's receptive field per layer: an ``(n, 2)`` float array."""
    records = to_network(layers, complete=False).layers
    return core.legacy_filters_and_fields(records, img_size)[1]


def get_conv_infos(net, min_capacity=100. / 6, detailed=False,
                   mode="legacy"):
    """nolearn's capacity / coverage table as a string.

    Parameters
    ----------
    net : NeuralNet, layers_, list of layers or list of layer specs
    min_capacity : float
        Capacity (in %) under which a layer name is highlighted.
    detailed : bool
        Add the real filter and receptive field columns.
    mode : {'legacy', 'exact'}
        'legacy' is nolearn 0.6.1's arithmetic, byte for byte.
    """
    return conv_table(analyze(net, mode, min_capacity), detailed)
