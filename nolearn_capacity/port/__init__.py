"""Port a Lasagne / nolearn net and its weights to a standalone PyTorch file.

:func:`to_torch` takes anything the command line analyses (a NeuralNet,
Lasagne layers, layer specs, a spec file) and returns a :class:`Port`:
the source of a module that imports only torch (an ``nn.Module`` whose
submodules carry the Lasagne names, a ``forward`` that follows the layer
graph) and, given weights, a ``state_dict``.  The per-class rules are in
:mod:`.rules` (:func:`register_port_rule` adds one), weight files are read
by :mod:`.weights` (pickles through a restricted unpickler), and
:mod:`.check` runs Theano and torch on the same batch.

Importing this package imports no framework; torch is imported only to
save or run a port.

Examples
--------
>>> from nolearn_capacity.examples import MNIST_TUTORIAL
>>> port = to_torch(MNIST_TUTORIAL)
>>> "self.conv2d1 = nn.Conv2d(1, 32" in port.source
True
"""
import keyword
import re

from ..adapters import lasagne as lasagne_adapter
from ..adapters import spec as spec_adapter
from ..adapters import is_torch_module
from ..errors import NotANetworkError, UnsupportedLayerError
from .rules import HELPERS, PORT_RULES, Piece, View, register_port_rule

__all__ = ["to_torch", "Port", "Piece", "register_port_rule"]

#: Names the generated forward uses for itself.
RESERVED = {"self", "torch", "nn", "F", "Net", "model", "INPUT_SHAPE",
            "INPUT_SHAPES"}

#: nn.Module's public attributes (torch 2.13): a submodule named
#: ``forward`` or ``training`` would replace them.  Names starting with an
#: underscore are prefixed too (the private ones).
MODULE_ATTRIBUTES = frozenset("""
T_destination add_module apply bfloat16 buffers call_super_init children
compile cpu cuda double dump_patches eval extra_repr float forward
get_buffer get_extra_state get_parameter get_submodule half ipu
load_state_dict modules mtia named_buffers named_children named_modules
named_parameters parameters register_backward_hook register_buffer
register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
set_extra_state set_submodule share_memory state_dict to to_empty train
training type xpu zero_grad""".split())


def _parents(layer):
    many = getattr(layer, "input_layers", None)
    if many is not None:
        return [p for p in many if p is not None]
    one = getattr(layer, "input_layer", None)
    return [] if one is None else [one]


def _spec_options(specs, keywords):
    """Per spec item: (options as given, the class when a class was
    given) -- what spec layers do not keep (nonlinearity, W, b, ...)."""
    result = []
    for index, item in enumerate(specs):
        _, kw = spec_adapter.normalise(item, index, keywords)
        factory = item[0] if isinstance(item[1], dict) else item[1]
        result.append((kw, factory if isinstance(factory, type) else None))
    return result


def layers_of(obj):
    """``obj`` -> (layers in topological order, per-layer (options, class))."""
    if is_torch_module(obj):
        raise NotANetworkError("this is already a torch module; port a "
                               "NeuralNet, Lasagne layers or layer specs")
    specs, keywords = None, {}
    if hasattr(obj, "keywords") and spec_adapter.is_spec_list(
            getattr(obj, "layers", None)):
        specs, keywords = obj.layers, dict(obj.keywords)
    elif getattr(obj, "layers_", None) is None and hasattr(
            obj, "initialize_layers") and spec_adapter.is_spec_list(
            getattr(obj, "layers", None)):
        specs = obj.layers
        keywords = {k: getattr(obj, k)
                    for k in getattr(obj, "_kwarg_keys", ())}
    elif spec_adapter.is_spec_list(obj):
        specs = obj
    if specs is not None:
        layers = spec_adapter.build(specs, **keywords)
        return layers, _spec_options(specs, keywords)
    if obj is None or isinstance(obj, (str, bytes, int, float)):
        raise NotANetworkError(
            "expected a NeuralNet, a Lasagne layer, a list of layers or "
            "layer specs, got {}".format(type(obj).__name__))
    layers = lasagne_adapter.layers_of(obj)
    if lasagne_adapter.needs_graph_completion(layers):
        layers = lasagne_adapter.all_layers(layers)
    return layers, [({}, type(layer)) for layer in layers]


def rule_names(layer, cls):
    """The class names whose rule may port ``layer``: its own class and
    bases up to the one that defines ``get_output_for`` (a subclass that
    computes something else must bring its own rule)."""
    if cls is None or getattr(layer, "class_lineage", None) and \
            not isinstance(cls, type):
        return lasagne_adapter.class_names(layer)
    names = []
    for klass in cls.__mro__:
        names.append(klass.__name__)
        if "get_output_for" in vars(klass):
            break
    return tuple(names)


def identifier(name, index, taken):
    """A layer name as a Python identifier, unique among ``taken``."""
    text = re.sub(r"\W", "_", name or "") or "layer{}".format(index)
    if text[0].isdigit() or text[0] == "_" or keyword.iskeyword(text) or \
            text in RESERVED or text in MODULE_ATTRIBUTES:
        text = "layer_" + text
    candidate, n = text, 2
    while candidate in taken:
        candidate, n = "{}_{}".format(text, n), n + 1
    taken.add(candidate)
    return candidate


class Step(object):
    """One layer of the port: its view, rule's piece and identifier."""

    def __init__(self, view, piece, ident, inputs):
        self.view, self.piece, self.ident, self.inputs = \
            view, piece, ident, inputs


def plan(obj):
    """``obj`` -> list of :class:`Step`, topological order."""
    layers, options = layers_of(obj)
    position = {id(layer): i for i, layer in enumerate(layers)}
    steps, taken = [], set()
    for index, (layer, (kw, cls)) in enumerate(zip(layers, options)):
        names = rule_names(layer, cls)
        view = View(layer, index, lasagne_adapter.class_names(layer), kw,
                    cls)
        rule = PORT_RULES.first(names)
        if rule is None:
            raise UnsupportedLayerError(
                "{}: no port rule for this class; add one with "
                "nolearn_capacity.port.register_port_rule({!r})".format(
                    view.where(), names[0]))
        try:
            piece = rule(view)
        except UnsupportedLayerError:
            raise
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise UnsupportedLayerError("{}: cannot port: {}".format(
                view.where(), error)) from error
        inputs = [position[id(p)] for p in _parents(layer)]
        ident = identifier(getattr(layer, "name", None), index, taken)
        steps.append(Step(view, piece, ident, inputs))
    return steps


def _forward_line(step, steps):
    names = [steps[i].ident for i in step.inputs]
    text = step.piece.forward
    text = text.replace("{m}", "self." + step.ident)
    text = text.replace("{inputs}", ", ".join(names))
    for i, name in enumerate(names):
        text = text.replace("{{x{}}}".format(i), name)
    if names:
        text = text.replace("{x}", names[0])
    return text


def render(steps, title):
    """The generated module's source."""
    inputs = [s for s in steps if not s.inputs]
    used = {i for s in steps for i in s.inputs}
    outputs = [s for i, s in enumerate(steps) if i not in used]
    helpers = []
    for step in steps:
        for name in step.piece.helpers:
            if name not in helpers:
                helpers.append(name)
    needs_f = any("F." in s.piece.forward for s in steps) or any(
        "F." in HELPERS[h] for h in helpers)
    shapes = [tuple(1 if n is None else n for n in s.view.out_shape)
              for s in inputs]
    lines = ['"""PyTorch port of a Lasagne net, generated by nolearn-capacity '
             'port.',
             "",
             "Source: {}".format(_docstring_safe(title)),
             "",
             "Submodules carry the Lasagne layer names; load trained weights "
             "with",
             "``model.load_state_dict(torch.load(PATH))``; call "
             "``model.eval()`` before",
             "inference (dropout).",
             '"""',
             "import torch",
             "import torch.nn as nn"]
    if needs_f:
        lines.append("import torch.nn.functional as F")
    lines.append("")
    if len(shapes) == 1:
        lines.append("INPUT_SHAPE = {}".format(shapes[0]))
    else:
        lines.append("INPUT_SHAPES = {}".format(shapes))
    helper_lines = []
    for name in helpers:
        helper_lines += ["", "", HELPERS[name].strip("\n")]
    body = ["", "", "class Net(nn.Module):", "    def __init__(self):",
            "        super().__init__()"]
    for step in steps:
        if step.piece.module:
            body.append("        self.{} = {}".format(step.ident,
                                                      step.piece.module))
    body += ["", "    def forward(self, {}):".format(
        ", ".join(s.ident for s in inputs))]
    for step in steps:
        if not step.inputs:
            continue
        body.append("        {} = {}".format(step.ident,
                                             _forward_line(step, steps)))
    body.append("        return {}".format(
        ", ".join(s.ident for s in outputs)))
    body += ["", "", "model = Net()", ""]
    return "\n".join(lines + helper_lines + [wrap(line) for line in body])


def _docstring_safe(text):
    from ..errors import clipped, printable
    return clipped(printable(text).replace("\\", "/").replace('"', "'"),
                   70)


def wrap(line, width=79):
    """Break a long generated statement after the commas of its first
    call, continuation lines aligned with its open parenthesis."""
    if len(line) <= width or "(" not in line:
        return line
    start = line.index("(")
    cuts, depth = [], 0
    for i, char in enumerate(line):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 1 and i > start:
            cuts.append(i + 1)
    pieces, begin, current_end = [], 0, 0
    indent = " " * (start + 1)
    for cut in cuts + [len(line)]:
        prefix = indent if pieces else ""
        if len(prefix) + cut - begin > width and current_end > begin:
            piece = line[begin:current_end]
            pieces.append(indent + piece.strip() if pieces else
                          piece.rstrip())
            begin = current_end
        current_end = cut
    pieces.append((indent if pieces else "") + line[begin:].strip())
    return "\n".join(pieces)


class Port(object):
    """A generated port: ``source`` (the module's text), ``steps`` and,
    when weights were given or the net is live, ``params`` (numpy arrays
    by ``state_dict`` key).

    ``save(path)`` writes the module, and ``path`` with ``.pt`` for the
    weights (needs torch).
    """

    def __init__(self, steps, source, params=None, raw=None):
        self.steps, self.source, self.params = steps, source, params
        #: Lasagne's arrays, one list per step (what ``params`` came from)
        self.raw = raw

    @property
    def input_shapes(self):
        return [tuple(1 if n is None else n for n in s.view.out_shape)
                for s in self.steps if not s.inputs]

    def state_dict(self):
        """The weights as a torch ``state_dict`` (needs torch)."""
        if self.params is None:
            return None
        import torch
        return {key: torch.from_numpy(value.copy())
                for key, value in self.params.items()}

    def module(self):
        """Run the source and return a fresh ``Net`` (weights loaded when
        there are any), in eval mode."""
        namespace = {"__name__": "nolearn_capacity_port"}
        exec(compile(self.source, "<port>", "exec"), namespace)
        net = namespace["Net"]()
        if self.params is not None:
            net.load_state_dict(self.state_dict())
        return net.eval()


def to_torch(net, weights=None, title=None):
    """Port ``net`` to PyTorch.

    Parameters
    ----------
    net : NeuralNet, Lasagne layer(s), layer specs or a spec file object
    weights : str, list or dict, optional
        A weight file (nolearn ``save_params_to`` pickle, ``np.savez`` of
        ``get_all_param_values``, a model-zoo pickle), or the arrays
        themselves.  Without it, a net whose layers hold parameters (a
        live net) gives its own values.
    title : str, optional
        What the generated docstring calls the net.

    Returns
    -------
    Port
    """
    from . import weights as weight_files
    title = title or getattr(net, "path", None) or type(net).__name__
    steps = plan(net)
    source = render(steps, title)
    raw = weight_files.live_values(steps) if weights is None else \
        weight_files.per_step_values(steps, weight_files.read(weights))
    port = Port(steps, source)
    if raw is not None:
        port.params = weight_files.convert(steps, raw)
        port.raw = raw
    return port
