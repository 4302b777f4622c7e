"""Every error nolearn_capacity raises on bad input, in one place.

Messages name the layer (name, index, class), the value received and the
value expected, so that one line is enough to fix the network.
"""


class CapacityError(Exception):
    """Base class: bad input that prevents an analysis."""


class NotANetworkError(CapacityError, TypeError):
    """The object given is neither a network, a layer, nor a layer spec."""


class EmptyNetworkError(CapacityError, ValueError):
    """The network has no layers at all."""


class BadShapeError(CapacityError, ValueError):
    """An output shape is unknown (None), zero, negative or inconsistent."""


class BadSpecError(CapacityError, ValueError):
    """A plain layer spec cannot be understood."""


class UnsupportedLayerError(CapacityError, ValueError):
    """A layer's attributes cannot be turned into geometry."""


class BadArgumentError(CapacityError, ValueError):
    """An option (mode, format, threshold, file name) is not valid."""


class GraphError(CapacityError, ValueError):
    """The layers do not form an acyclic graph with an input."""


def describe_layer(name, index, class_name):
    """``layer 'conv1' (#2, Conv2DLayer)``: how every message names a layer."""
    label = repr(name) if name else "<unnamed>"
    return "layer {} (#{}, {})".format(label, index, class_name)
