"""The main walk: trace with ``torch.fx``, run the graph once on the
working copy, one record per node."""
import bisect
import dis
import inspect
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.fx

from ...errors import BadShapeError
from .calls import Call, first_tensor, flat, summary
from .copies import dtype_of, meta_twin, run_on_zeros, zeros
from .layout import layout_after, standard_layout
from .meta_shapes import FUNCTION_VALUES, MODULE_VALUES, hookless
from .pads import PadWatch, own_forward
from .records import (input_record, make_record, node_name, owned_parameters,
                      trainable, unique_name)
from .rules import SHAPE_KEEPING_MODULES, keeps_shape
from .table import module_rule_of_class


#: Per code object, the offsets of its instructions and the length each
#: ``UNPACK_SEQUENCE`` among them unpacks (None for other instructions).
_UNPACKS = {}


class _Proxy(torch.fx.Proxy):
    """fx's proxy, whose ``a, b = x.chunk(2)`` reads the calling code's
    instructions once per code object: fx disassembles the whole function
    at every unpacking, most of the time of tracing a ShuffleNet."""

    def __iter__(self):
        frame = inspect.currentframe().f_back
        code = frame.f_code
        table = _UNPACKS.get(code)
        if table is None:
            if len(_UNPACKS) > 4096:
                _UNPACKS.clear()
            instructions = list(dis.get_instructions(code))
            table = _UNPACKS[code] = (
                [i.offset for i in instructions],
                [i.argval if i.opname == "UNPACK_SEQUENCE" else None
                 for i in instructions])
        offsets, counts = table
        # as fx finds the instruction: the first at or after f_lasti
        at = bisect.bisect_left(offsets, frame.f_lasti)
        count = counts[at] if at < len(counts) else None
        if count is not None:
            return (self[i] for i in range(count))
        return self.tracer.iter(self)


#: Arguments fx keeps as they are (torch.Tensor is not one: fx turns it
#: into an attribute).
_PLAIN_ARGUMENTS = frozenset((int, float, bool, str, type(None), torch.dtype,
                              torch.device, torch.memory_format,
                              torch.layout))


class Tracer(torch.fx.Tracer):
    """fx's tracer, with every module we have a rule for kept whole (so a
    user's subclass of ``nn.Conv2d`` stays one conv record).

    Three costs of fx's own per node are cut (a third of tracing a mobile
    net): the generic handling of plain arguments, the copy of the module
    stack (``copy.copy`` of an OrderedDict), and the scan of the arguments
    for symbolic sizes, which tracing a module never produces."""

    def __init__(self):
        super().__init__()
        self._leaves = {}

    def _ruled(self, cls):
        ruled = self._leaves.get(cls)
        if ruled is None:
            ruled = self._leaves[cls] = module_rule_of_class(cls) is not None
        return ruled

    def is_leaf_module(self, m, qualname):
        return self._ruled(type(m)) or super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        if not self._ruled(type(m)):
            return super().call_module(m, forward, args, kwargs)
        # fx's own steps for a leaf (scope, module stack, call count),
        # without its copy of the scope object and context manager
        path, cls, scope = self.path_of_module(m), type(m), self.scope
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
        return super().create_arg(a)

    def create_node(self, kind, target, args, kwargs, name=None,
                    type_expr=None):
        stack, self.module_stack = self.module_stack, OrderedDict()
        try:
            node = super().create_node(kind, target, (), {}, name, type_expr)
        finally:
            self.module_stack = stack
        if stack and "nn_module_stack" not in node.meta:
            node.meta["nn_module_stack"] = OrderedDict(stack)
        if args or kwargs:
            # what the `args` setter runs, without re-filing the node in the
            # graph's (op, target) lookup table, which args do not change
            node._update_args_kwargs(args, kwargs)
        return node


class _Recorder(torch.fx.Interpreter):
    """Runs the traced graph once; keeps each node's output shape.

    With ``meta``, modules and functions that act per position (and keep
    shape and dtype) are not run: their input stands for their output.
    Many meta kernels are Python decompositions (batch norm, hardtanh) and
    would cost more than the rest of the analysis."""

    def __init__(self, module, graph, meta=False):
        # on the meta device values cost no memory: keep them all rather
        # than work out when each can go
        super().__init__(module, graph=graph, garbage_collect_values=not meta)
        self.seen = {}
        self.meta = meta
        self.pads = {}

    def call_module(self, target, args, kwargs):
        module = self.submodules.get(target)
        if module is None:
            module = self.fetch_attr(target)
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
                value = super().call_module(target, args, kwargs)
            self.pads[target] = watch.widths
            return value
        return super().call_module(target, args, kwargs)

    def call_function(self, target, args, kwargs):
        if self.meta and args and isinstance(args[0], torch.Tensor) and \
                keeps_shape(target) and not any(
                    isinstance(a, torch.Tensor) for a in
                    flat(list(args[1:]) + list(kwargs.values()))):
            return args[0]
        value = self._computed(target, args, kwargs)
        return super().call_function(target, args, kwargs) if value is None \
            else value

    def call_method(self, target, args, kwargs):
        value = self._computed(target, args, kwargs)
        return super().call_method(target, args, kwargs) if value is None \
            else value

    def _computed(self, target, args, kwargs):
        """The output of a call whose shape we know, else None."""
        if not self.meta:
            return None
        try:
            shape_of = FUNCTION_VALUES.get(target)
        except TypeError:       # an unhashable target
            return None
        return shape_of(args, kwargs) if shape_of is not None else None

    def run_node(self, n):
        # fx's run_node also makes the node's meta current, which only a
        # trace made while running (none here) would read
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        value = getattr(self, n.op)(n.target, args, kwargs)
        self.seen[n] = summary(value)
        return value


def fx_records(work, graph, shapes, meta):
    """Records from the graph traced on ``work`` (interpreted directly: no
    GraphModule, whose code generation would cost more than the run)."""
    if meta:
        # constants fx kept from tracing (tensors built in forward) are
        # real tensors set on the root: their meta twins run with the meta
        # copy's parameters
        for node in graph.nodes:
            if node.op == "get_attr" and "." not in node.target:
                value = getattr(work, node.target, None)
                if isinstance(value, torch.Tensor) and not value.is_meta:
                    setattr(work, node.target, meta_twin(value))
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    if len(shapes) > len(placeholders):
        raise BadShapeError("input_shape gives {} shapes, but the module "
                            "takes {} inputs".format(len(shapes),
                                                     len(placeholders)))
    args = zeros(shapes, dtype_of(work), meta)
    for node in placeholders[len(shapes):]:
        if not node.args:
            raise BadShapeError(
                "input_shape gives {} shapes, but the module takes {} "
                "inputs ({} has no default)".format(
                    len(shapes), len(placeholders), node.name))
        args.append(node.args[0])
    recorder = _Recorder(work, graph, meta)
    with torch.no_grad():
        run_on_zeros(recorder.run, args, shapes)
    modules = recorder.submodules
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
