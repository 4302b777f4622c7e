"""Adapters: framework objects -> :class:`nolearn_capacity.core.Network`.

Dispatch is by duck typing, so a framework is imported only by the adapter
of an object that already comes from it.
"""
from ..errors import NotANetworkError
from . import lasagne, spec


def is_torch_module(obj):
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module"
               for c in type(obj).__mro__)


def _is_unbuilt_neural_net(obj):
    return (getattr(obj, "layers_", None) is None and
            hasattr(obj, "initialize_layers") and
            spec.is_spec_list(getattr(obj, "layers", None)))


def to_network(obj, complete=True, input_shape=None, **spec_keywords):
    """Anything we can analyse -> :class:`~nolearn_capacity.core.Network`.

    Accepts a nolearn ``NeuralNet`` (initialized), its ``layers_``, a Lasagne
    output layer, a list of Lasagne layers, a list of layer specs, a
    :class:`~nolearn_capacity.core.Network`, or a torch module (with
    ``input_shape``).
    """
    from ..core import Network
    if isinstance(obj, Network):
        return obj
    if is_torch_module(obj):
        from . import torch as torch_adapter
        return torch_adapter.network_of(obj, input_shape)
    if hasattr(obj, "keywords") and spec.is_spec_list(getattr(obj, "layers",
                                                              None)):
        # A spec file: specs plus nolearn-style keywords.
        spec_keywords = dict(obj.keywords, **spec_keywords)
        obj = obj.layers
    elif _is_unbuilt_neural_net(obj):
        # nolearn's NeuralNet before initialize_layers(): read its layer
        # list and <layer>_<argument> keywords as specs, build nothing.
        spec_keywords = dict({k: getattr(obj, k) for k in
                              getattr(obj, "_kwarg_keys", ())},
                             **spec_keywords)
        obj = obj.layers
    if spec.is_spec_list(obj):
        return lasagne.network_of(spec.build(obj, **spec_keywords), complete)
    if obj is None or isinstance(obj, (str, bytes, int, float)):
        raise NotANetworkError(
            "expected a NeuralNet, a Lasagne layer, a list of layers or "
            "layer specs, got {}".format(type(obj).__name__))
    try:
        layers = lasagne.layers_of(obj)
    except TypeError:
        raise NotANetworkError(
            "expected a NeuralNet, a Lasagne layer, a list of layers or "
            "layer specs, got {}".format(type(obj).__name__)) from None
    if complete and lasagne.needs_graph_completion(layers):
        layers = lasagne.all_layers(layers)
    return lasagne.network_of(layers, complete)
