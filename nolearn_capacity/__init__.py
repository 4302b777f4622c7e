"""nolearn_capacity: what each layer of a convnet can see and learn.

The drop-in names of ``nolearn.lasagne.util`` and ``PrintLayerInfo`` are
re-exported here; :func:`analyze` is the result API.  Importing this
package imports no framework (Theano, Lasagne, torch, matplotlib).
"""
from . import core
from .adapters import to_network
from .adapters.lasagne import register_rule
from .core import Report, Row
from .errors import CapacityError
from .handlers import PrintLayerInfo
from .util import (ansi, get_conv_infos, get_real_filter, get_receptive_field,
                   is_conv2d, is_maxpool2d)

__version__ = "0.1.0"

__all__ = ["analyze", "Report", "Row", "PrintLayerInfo", "ansi",
           "get_conv_infos", "get_real_filter", "get_receptive_field",
           "is_conv2d", "is_maxpool2d", "register_rule", "CapacityError",
           "to_network"]


def analyze(obj, mode="exact", min_capacity=core.DEFAULT_MIN_CAPACITY,
            input_shape=None, **spec_keywords):
    """Analyse a network; return a :class:`Report`.

    Parameters
    ----------
    obj : NeuralNet, Lasagne layer(s), layer specs or torch module
    mode : {'exact', 'legacy'}
    min_capacity : float
        Capacity (in %) below which a row is flagged ``low-capacity``.
    input_shape : tuple, optional
        The input's shape, batch axis included.  A torch module needs it;
        specs take it as their input layer's shape (the layer named
        ``input``, where it is nolearn's own ``input_shape`` keyword, or
        else the only InputLayer); a built Lasagne net must agree with it.
    **spec_keywords
        For specs and unbuilt NeuralNets: nolearn's
        ``<layer>_<argument>=value`` keywords and NeuralNet's own options
        (``max_epochs``, ``update_learning_rate``, ...), which change
        nothing here.  Like nolearn, a keyword that names no layer is
        refused.

    Raises
    ------
    CapacityError
        A subclass from :mod:`nolearn_capacity.errors` naming the layer,
        the value received and what was expected.

    Examples
    --------
    >>> from nolearn_capacity.examples import MNIST_TUTORIAL
    >>> report = analyze(MNIST_TUTORIAL)
    >>> report.rows[6].name, report.rows[6].field
    ('conv2d6', (22.0, 22.0))
    """
    network = to_network(obj, complete=(mode == "exact"),
                         input_shape=input_shape, **spec_keywords)
    return core.report(network, mode, min_capacity)
