"""nolearn's ``NeuralNet`` printing its layer table with nolearn_capacity."""
import sys

from .stack import LEGACY_EXTRA_FIX, UnsupportedLegacyStack, enable


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
