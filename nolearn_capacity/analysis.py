"""The one way in: anything we can analyse -> a :class:`Report`.

:func:`analyze` serves the API, the drop-in, the CLI and :mod:`.compare`
alike; :func:`analyze_for_nolearn` is the same for nolearn's printout,
which shows only the layer list where nolearn computed no numbers.
"""
import contextlib
import gc

from . import core
from .adapters import to_network
from .errors import BadArgumentError, shown
from .records import LegacyRole, Network
from .report import DEFAULT_MIN_CAPACITY, Report


def analyze(obj, mode="exact", min_capacity=DEFAULT_MIN_CAPACITY,
            input_shape=None, **spec_keywords):
    """Analyse a network; return a :class:`Report`.

    Parameters
    ----------
    obj : NeuralNet, Lasagne layer(s), layer specs, torch module, Network
        or a saved Report (returned as it is, if made in ``mode``)
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
    if isinstance(obj, Report):
        return _saved(obj, mode)
    with _collections_paused():
        return core.report(network_of(obj, mode, input_shape,
                                      spec_keywords), mode, min_capacity)


def analyze_for_nolearn(obj, mode="legacy",
                        min_capacity=DEFAULT_MIN_CAPACITY, verbose=2,
                        input_shape=None):
    """The report nolearn's printout (format ``'nolearn'``) needs: the
    analysis when it prints capacities (``verbose >= 2`` and a conv layer),
    else the layer list alone, which nolearn prints for any net."""
    if isinstance(obj, Report):
        return _saved(obj, mode)
    with _collections_paused():
        network = network_of(obj, mode, input_shape, {})
        if verbose >= 2 and has_conv(network):
            return core.report(network, mode, min_capacity)
        return core.outline(network, mode, min_capacity)


@contextlib.contextmanager
def _collections_paused():
    """Python's cyclic garbage collector off while a net is analysed, and
    the young objects collected after.  An analysis makes a few hundred
    thousand short-lived objects (graph nodes, records, states), most of
    them alive until it ends: left on, the collector would count them as
    long-lived and sweep the whole heap every few analyses (300,000
    objects once torch, torchvision and timm are imported: a sweep costs
    more than a small net's analysis).  The analysis pays for its own
    garbage (the collection of the youngest generation), not the heap's."""
    if not gc.isenabled():      # the caller's choice, or a nested call
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def has_conv(network):
    """True if nolearn prints the capacity table for ``network`` (it has
    one of nolearn's conv classes)."""
    return any(r.legacy_role == LegacyRole.CONV for r in network.layers)


def network_of(obj, mode, input_shape=None, spec_keywords=None):
    """``obj`` as a :class:`Network`; exact mode needs the whole graph,
    nolearn's list walk only the order."""
    if isinstance(obj, Network):
        return obj
    return to_network(obj, complete=(mode == "exact"),
                      input_shape=input_shape, **(spec_keywords or {}))


def _saved(report, mode):
    if report.mode != mode:
        raise BadArgumentError(
            "the saved report was made in {} mode, not {}; analyse the net "
            "itself to get {} numbers".format(shown(report.mode), shown(mode),
                                              shown(mode)))
    return report
