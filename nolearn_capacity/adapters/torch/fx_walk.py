"""The main walk: trace with ``torch.fx`` while computing every node's
value on the working copy, one record per node.

Values are computed as the graph is built, not by running it afterwards:
the model's own code then sees concrete shapes (``x.size()``, ``x.shape``,
``len(x)``, ``a, b = x.chunk(2)``), so shape arithmetic leaves no nodes
(a quarter of a ShuffleNet's graph) and the graph is walked once."""
import inspect
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.fx

from ...errors import BadShapeError
from .calls import Call, first_tensor, flat, summary
from .copies import dtype_of, meta_twin, run_failed, zeros
from .layout import layout_after, standard_layout
from .meta_shapes import FUNCTION_VALUES, MODULE_VALUES, hookless
from .pads import PadWatch, own_forward
from .records import (input_record, make_record, node_name, owned_parameters,
                      trainable, unique_name)
from .rules import SHAPE_KEEPING_MODULES, keeps_shape
from .table import module_rule_of_class


class RunFailed(Exception):
    """Computing a node's value failed (as opposed to tracing it): the
    module does not run on these inputs, or not on the meta device."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class _Proxy(torch.fx.Proxy):
    """fx's proxy with its node's value (``value``, set by the
    :class:`Tracer`): sizes are answered with numbers, and unpacking
    (``a, b = x.chunk(2)``) knows its length."""

    def _tensor(self):
        value = getattr(self, "value", None)
        return value if isinstance(value, torch.Tensor) else None

    def size(self, dim=None):
        value = self._tensor()
        if value is None:
            return self.__getattr__("size")(*(() if dim is None else (dim,)))
        return value.size() if dim is None else value.size(dim)

    def dim(self):
        value = self._tensor()
        return self.__getattr__("dim")() if value is None else value.dim()

    @property
    def shape(self):
        value = self._tensor()
        return self.__getattr__("shape") if value is None else value.shape

    @property
    def ndim(self):
        value = self._tensor()
        return self.__getattr__("ndim") if value is None else value.dim()

    def __len__(self):
        value = getattr(self, "value", None)
        if isinstance(value, (torch.Tensor, tuple, list)):
            return len(value)
        return super().__len__()

    def __iter__(self):
        value = getattr(self, "value", None)
        if isinstance(value, (torch.Tensor, tuple, list)):
            return (self[i] for i in range(len(value)))
        return super().__iter__()


#: Arguments fx keeps as they are (torch.Tensor is not one: fx turns it
#: into an attribute).
_PLAIN_ARGUMENTS = frozenset((int, float, bool, str, type(None), torch.dtype,
                              torch.device, torch.memory_format,
                              torch.layout))


def _positional_inputs(module):
    """How many positional inputs ``forward`` takes (None: any number)."""
    try:
        parameters = inspect.signature(module.forward).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in parameters)


class Tracer(torch.fx.Tracer):
    """fx's tracer, computing each node's value as it creates the node
    (``seen``: node -> :func:`~.calls.summary` of its value), with every
    module we have a rule for kept whole (so a user's subclass of
    ``nn.Conv2d`` stays one conv record).

    ``inputs`` are the values of the traced module's inputs; with ``meta``
    they and the module live on the meta device, where per-position
    modules and functions are not run (their input stands for their
    output; many meta kernels are Python decompositions that would cost
    more than the rest of the analysis) and the shapes of plain convs,
    linear layers, ... are computed (:mod:`.meta_shapes`).

    Three costs of fx's own per node are cut (a third of tracing a mobile
    net): the generic handling of plain arguments, the copy of the module
    stack (``copy.copy`` of an OrderedDict), and the scan of the arguments
    for symbolic sizes, which tracing a module never produces."""

    def __init__(self, inputs, meta=False):
        # no autowrap of `math`: sizes reach model code as numbers, and
        # looking for math functions in every module's globals costs more
        super().__init__(autowrap_modules=())
        self._leaves = {}
        self.inputs = list(inputs)
        self.meta = meta
        self.seen = {}
        #: module path -> widths of the F.pad calls its own forward made
        self.pads = {}
        #: module path -> module, of every module called
        self.modules = {}
        self._placeholders = 0
        # while a value is computed: modules run and attributes are read
        # as they are, not traced
        self._concrete = False

    def _ruled(self, cls):
        ruled = self._leaves.get(cls)
        if ruled is None:
            ruled = self._leaves[cls] = module_rule_of_class(cls) is not None
        return ruled

    def is_leaf_module(self, m, qualname):
        return self._ruled(type(m)) or super().is_leaf_module(m, qualname)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        if self._concrete:
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)

    def call_module(self, m, forward, args, kwargs):
        if self._concrete:
            return forward(*args, **kwargs)
        if not self._ruled(type(m)):
            return super().call_module(m, forward, args, kwargs)
        # fx's own steps for a leaf (scope, module stack, call count),
        # without its copy of the scope object and context manager
        path, cls, scope = self.path_of_module(m), type(m), self.scope
        self.modules[path] = m
        before = scope.module_path, scope.module_type
        scope.module_path, scope.module_type = path, cls
        calls = self.num_calls.get(path, 0)
        self.module_stack["{}@{}".format(path, calls) if calls else path] = \
            (path, cls)
        self.num_calls[path] = calls + 1
        try:
            return self.create_proxy("call_module", path, args, kwargs)
        finally:
            self.module_stack.popitem(last=True)
            scope.module_path, scope.module_type = before

    def proxy(self, node):
        return _Proxy(node, self)

    def create_arg(self, a):
        kind = type(a)
        if kind is _Proxy:
            return a.node
        if kind in _PLAIN_ARGUMENTS:
            return a
        if kind is tuple:
            return tuple([self.create_arg(v) for v in a])
        if kind is list:
            return [self.create_arg(v) for v in a]
        if kind is dict and all(type(k) is str for k in a):
            return {k: self.create_arg(v) for k, v in a.items()}
        node = super().create_arg(a)
        if isinstance(a, torch.Tensor) and isinstance(node, torch.fx.Node):
            # a tensor built in forward, kept by fx as an attribute
            self.seen.setdefault(node, summary(a))
        return node

    def create_node(self, kind, target, args, kwargs, name=None,
                    type_expr=None):
        # the graph's own call, without fx's tracer-level bookkeeping (scope
        # table, preserved-meta and stack-trace checks) and with a plain
        # name: rows are named from targets and module paths, never from
        # fx's names, and making one from the target costs two regexes
        node = self.graph.create_node(kind, target, (), {}, name or "_",
                                      type_expr)
        if self.module_stack:
            node.meta["nn_module_stack"] = OrderedDict(self.module_stack)
        if args or kwargs:
            # what the `args` setter runs, without re-filing the node in the
            # graph's (op, target) lookup table, which args do not change
            node._update_args_kwargs(args, kwargs)
        return node

    def create_proxy(self, kind, target, args, kwargs, name=None,
                     type_expr=None, proxy_factory_fn=None):
        proxy = super().create_proxy(kind, target, args, kwargs, name,
                                     type_expr, proxy_factory_fn)
        proxy.value = self._value(kind, target, args, kwargs)
        self.seen[proxy.node] = summary(proxy.value)
        return proxy

    # ----------------------------------------------------------------------
    # values

    def _value(self, kind, target, args, kwargs):
        if kind == "placeholder":
            return self._input(target, args)
        args, kwargs = self._resolved(args), self._resolved(kwargs)
        before, self._concrete = self._concrete, True
        try:
            if kind == "call_module":
                return self._module_value(target, args, kwargs)
            if kind == "call_function":
                return self._function_value(target, args, kwargs)
            if kind == "call_method":
                return self._method_value(target, args, kwargs)
            if kind == "get_attr":
                value = self.root
                for atom in target.split("."):
                    value = getattr(value, atom)
                return value
            return None
        except RunFailed:
            raise
        except Exception as error:
            raise RunFailed(error) from error
        finally:
            self._concrete = before

    def _input(self, name, defaults):
        at = self._placeholders
        self._placeholders += 1
        if at < len(self.inputs):
            return self.inputs[at]
        if defaults:
            return defaults[0]
        raise BadShapeError(
            "input_shape gives {} shapes, but the module takes {} inputs "
            "({} has no default)".format(
                len(self.inputs), _positional_inputs(self.root) or "more",
                name))

    def _resolved(self, a):
        """``a`` with every proxy replaced by its value (and, on the meta
        device, every real tensor built in forward by its meta twin)."""
        kind = type(a)
        if kind is _Proxy:
            return a.value
        if kind in _PLAIN_ARGUMENTS:
            return a
        if kind is tuple or kind is list:
            return kind([v.value if type(v) is _Proxy else self._resolved(v)
                         for v in a])
        if kind is dict:
            return {k: self._resolved(v) for k, v in a.items()}
        if isinstance(a, torch.fx.proxy.Attribute):     # x.dtype, x.T ...
            return getattr(self._resolved(a.root), a.attr)
        if isinstance(a, torch.fx.Proxy):
            return getattr(a, "value", None)
        if kind is slice:
            return slice(self._resolved(a.start), self._resolved(a.stop),
                         self._resolved(a.step))
        if self.meta and isinstance(a, torch.Tensor) and not a.is_meta:
            return meta_twin(a)
        return a

    def _module_value(self, path, args, kwargs):
        module = self.modules.get(path)
        if module is None:
            module = self.modules[path] = self.root.get_submodule(path)
        # lazy modules must run: that creates their parameters
        if self.meta and len(args) == 1 and not kwargs and isinstance(
                args[0], torch.Tensor) and isinstance(
                module, SHAPE_KEEPING_MODULES) and not isinstance(
                module, nn.modules.lazy.LazyModuleMixin):
            return args[0]
        shape_of = MODULE_VALUES.get(type(module)) if self.meta else None
        if shape_of is not None and len(args) == 1 and not kwargs and \
                hookless(module):
            value = shape_of(module, args[0])
            if value is not None:
                return value
        if own_forward(module):
            # a subclass of a ruled class (timm's Conv2dSame) may pad in
            # its forward: note the pads it applies, for its record
            watch = PadWatch()
            with watch:
                value = module(*args, **kwargs)
            self.pads[path] = watch.widths
            return value
        return module(*args, **kwargs)

    def _function_value(self, target, args, kwargs):
        if self.meta and args and isinstance(args[0], torch.Tensor) and \
                keeps_shape(target) and not any(
                    isinstance(a, torch.Tensor) for a in
                    flat(list(args[1:]) + list(kwargs.values()))):
            return args[0]
        value = self._computed(target, args, kwargs)
        return target(*args, **kwargs) if value is None else value

    def _method_value(self, name, args, kwargs):
        value = self._computed(name, args, kwargs)
        if value is not None:
            return value
        owner, *rest = args
        return getattr(owner, name)(*rest, **kwargs)

    def _computed(self, target, args, kwargs):
        """The output of a call whose shape we know, else None."""
        if not self.meta:
            return None
        try:
            shape_of = FUNCTION_VALUES.get(target)
        except TypeError:       # an unhashable target
            return None
        return shape_of(args, kwargs) if shape_of is not None else None


class Untraceable(Exception):
    """torch.fx cannot trace the module (``error`` says why)."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


def trace(work, shapes, meta, concrete_args=None):
    """The graph of ``work`` run on zeros of ``shapes``, and the tracer
    that holds its values; raises :class:`Untraceable` where fx cannot
    trace it, :class:`BadShapeError` where it does not run."""
    tracer = Tracer(zeros(shapes, dtype_of(work), meta), meta)
    try:
        with torch.no_grad():
            graph = tracer.trace(work, concrete_args=concrete_args)
    except BadShapeError:
        raise
    except RunFailed as failed:
        raise run_failed(failed.error, shapes) from failed.error
    except Exception as error:
        raise Untraceable(error) from error
    if len(shapes) > tracer._placeholders:
        raise BadShapeError("input_shape gives {} shapes, but the module "
                            "takes {} inputs".format(len(shapes),
                                                     tracer._placeholders))
    return graph, tracer


def fx_records(work, shapes, meta, concrete_args=None):
    """One record per node of the graph traced on ``work`` (no GraphModule,
    whose code generation would cost more than the walk)."""
    graph, recorder = trace(work, shapes, meta, concrete_args)
    modules = recorder.modules
    params = None
    records, position, taken, layouts = [], {}, {}, {}
    for node in graph.nodes:
        value = recorder.seen.get(node)
        out = first_tensor(value)
        if node.op == "placeholder":
            if out is not None:
                position[node] = len(records)
                layouts[node] = standard_layout(len(out.shape))
                records.append(input_record(unique_name(
                    str(node.target), taken), out.shape, out.dtype))
            continue
        if node.op in ("get_attr", "output") or out is None:
            continue
        sources = [p for p in node.all_input_nodes if p in position]
        if not sources:       # a constant built inside forward
            continue
        parents = [position[p] for p in sources]
        call_args = torch.fx.node.map_arg(node.args, recorder.seen.get)
        call_kwargs = torch.fx.node.map_arg(node.kwargs, recorder.seen.get)
        # the first tensor that is a record's output (inputs come in the
        # order of the arguments), so that `param * x` is judged by x
        source = sources[0]
        first = first_tensor(recorder.seen.get(source))
        name, path = node_name(node, work, taken)
        if node.op == "call_module":
            target = modules[node.target]
            owned = trainable(owned_parameters(target))
        else:
            target = node.target
            attributes = [p.target for p in node.all_input_nodes
                          if p.op == "get_attr"]
            if attributes and params is None:
                params = dict(work.named_parameters(remove_duplicate=False))
            owned = trainable(params[a] for a in attributes if a in params)
        call = Call(target, tuple(call_args), dict(call_kwargs),
                    first.shape if first is not None else (), out.shape,
                    layouts.get(source), out_dtype=out.dtype)
        call.pads = tuple(recorder.pads.get(node.target, ())) if \
            node.op == "call_module" else ()
        call.out_layout = layout_after(call)
        layouts[node] = call.out_layout
        position[node] = len(records)
        records.append(make_record(call, name, parents, records, owned,
                                   path))
    return records
