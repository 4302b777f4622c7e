"""Adapters: framework objects -> :class:`nolearn_capacity.core.Network`.

Dispatch is by duck typing, so a framework is imported only by the adapter
of an object that already comes from it.
"""
from ..errors import (BadArgumentError, BadSpecError, CapacityError,
                      NotANetworkError, shown)
from . import lasagne
from .kinds import looks_like_specs


def is_torch_module(obj):
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module"
               for c in type(obj).__mro__)


def _is_unbuilt_neural_net(obj):
    return (getattr(obj, "layers_", None) is None and
            hasattr(obj, "initialize_layers") and
            looks_like_specs(getattr(obj, "layers", None)))


def _is_spec_file(obj):
    return hasattr(obj, "keywords") and isinstance(
        getattr(obj, "layers", None), (list, tuple))


def to_network(obj, complete=True, input_shape=None, **spec_keywords):
    """Anything we can analyse -> :class:`~nolearn_capacity.core.Network`.

    Accepts a nolearn ``NeuralNet`` (initialized or not), its ``layers_``,
    a Lasagne output layer, a list of Lasagne layers, a list of layer
    specs, a :class:`~nolearn_capacity.core.Network`, or a torch module.

    ``input_shape`` is the input's shape, batch axis included: a torch
    module needs it; a spec takes it as the shape of its input layer (the
    one named 'input', so it is nolearn's own ``input_shape`` keyword, or
    else its only InputLayer); a built Lasagne net must agree with it.
    """
    from ..records import Network
    if isinstance(obj, Network):
        return obj
    if is_torch_module(obj):
        _no_keywords(spec_keywords, "a torch module")
        from . import torch as torch_adapter
        return torch_adapter.network_of(obj, input_shape)
    source = None
    if _is_spec_file(obj):
        # A spec file: specs plus nolearn-style keywords.
        spec_keywords = dict(obj.keywords, **spec_keywords)
        source = getattr(obj, "source", None)
        obj = list(obj.layers)
    elif _is_unbuilt_neural_net(obj):
        # nolearn's NeuralNet before initialize_layers(): read its layer
        # list and <layer>_<argument> keywords as specs, build nothing.
        spec_keywords = dict({k: getattr(obj, k) for k in
                              getattr(obj, "_kwarg_keys", ())},
                             **spec_keywords)
        obj = obj.layers
    if looks_like_specs(obj):
        from . import spec    # the builders: only when specs arrive
        if input_shape is not None:
            spec_keywords = spec.with_input_shape(obj, spec_keywords,
                                                  input_shape)
        try:
            return lasagne.network_of(spec.build(obj, **spec_keywords),
                                      complete)
        except RecursionError:
            # sub-networks (CustomRecurrentLayer) are built recursively
            raise BadSpecError("{}the specs nest sub-networks too deeply"
                               .format(source + ": " if source else "")) \
                from None
        except CapacityError as error:
            if source is None:
                raise
            # the same error, saying which file it is about
            raise type(error)("{}: {}".format(source, error)) from None
    _no_keywords(spec_keywords, "built layers")
    if obj is None or isinstance(obj, (str, bytes, int, float)):
        raise NotANetworkError("{}, got {}".format(lasagne.EXPECTED,
                                                   type(obj).__name__))
    layers = lasagne.layers_of(obj)
    if complete and lasagne.needs_graph_completion(layers):
        layers = lasagne.all_layers(layers)
    network = lasagne.network_of(layers, complete)
    if input_shape is not None:
        _check_input_shape(network, input_shape)
    return network


def _no_keywords(spec_keywords, what):
    if spec_keywords:
        raise BadArgumentError(
            "keywords {} are for layer specs (nolearn's <layer>_<argument>),"
            " not for {}".format(shown(", ".join(spec_keywords)), what))


def _check_input_shape(network, input_shape):
    """A built net's input shape is fixed: ``input_shape`` may only agree
    with it (the batch axis and sizes left None aside)."""
    inputs = [r for r in network.layers if r.op == "input"]
    given = tuple(input_shape) if isinstance(input_shape, (list, tuple)) \
        else None
    if len(inputs) != 1 or given is None or not all(
            v is None or isinstance(v, int) for v in given):
        return    # several inputs or several shapes: nothing to compare
    fixed = tuple(inputs[0].output_shape)
    if len(given) != len(fixed) or any(
            a is not None and b is not None and a != b
            for a, b in zip(given[1:], fixed[1:])):
        raise BadArgumentError(
            "input_shape {} does not fit the built net, whose input {} has "
            "shape {}; build the net for that shape or give its layer "
            "specs".format(shown(given), shown(inputs[0].label),
                           shown(fixed)))
