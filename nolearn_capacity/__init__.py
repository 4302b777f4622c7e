"""nolearn_capacity: what each layer of a convnet can see and learn.

The drop-in names of ``nolearn.lasagne.util`` and ``PrintLayerInfo`` are
re-exported here; :func:`analyze` is the result API.  Importing this
package imports no framework (Theano, Lasagne, torch, matplotlib).
"""
from . import plot, render  # noqa: F401  (they fill Report's registries)
from .adapters import to_network
from .adapters.lasagne import register_rule
from .analysis import analyze
from .errors import CapacityError
from .handlers import PrintLayerInfo
from .report import Report, Row
from .util import (ansi, get_conv_infos, get_real_filter, get_receptive_field,
                   is_conv2d, is_maxpool2d)

__version__ = "0.1.0"

__all__ = ["analyze", "Report", "Row", "PrintLayerInfo", "ansi",
           "get_conv_infos", "get_real_filter", "get_receptive_field",
           "is_conv2d", "is_maxpool2d", "register_rule", "CapacityError",
           "to_network"]
