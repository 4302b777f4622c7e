"""The main walk: run the working copy on its inputs while watching every
torch function, tensor method and module call, one record per call that
reads a record's output.

Torch's own hook for this is a :class:`~torch.overrides.TorchFunctionMode`:
while it is active every ``torch.*`` and ``F.*`` function and every tensor
method and operator passes through it, with its real arguments.  Each
module's ``forward`` passes through the walk too (an instance attribute
while it runs), so that a module with a rule is one record (its inside is
not watched) and a function call is named by the module whose ``forward``
made it.

The model's code runs as written, on real values (meta tensors when
``meta``): shapes are numbers, Python containers and control flow on
shapes just work, and nothing is built but the records.  What cannot be
followed is control flow on tensor *values* (``if x.sum() > 0``): the
first read of a value computed from the input raises :class:`Unfollowable`
and the caller falls back to forward hooks.  On the meta device calls
whose output shape is known are not run (:mod:`.meta_shapes`; many meta
kernels are Python decompositions that would cost more than the rest of
the analysis)."""
import copy
import functools
import itertools
import operator
import threading

import torch
import torch.nn as nn

from ...errors import BadShapeError, CapacityError
from .calls import PLAIN, Call, TensorInfo, function_name, summary
from .copies import meta_twin, run_failed, to_meta, twin_of
from .layout import layout_after, standard_layout
from .meta_shapes import FUNCTION_VALUES, MODULE_VALUES, hookless
from .pads import own_forward, pad_widths
from .records import (forward_parameters, input_names, input_record,
                      make_record, module_path, owned_parameters,
                      unique_name)
from .rules import SHAPE_KEEPING_MODULES, keeps_shape
from .table import module_rule_of_class

#: Lazy modules and hooks may change shared state while the module runs,
#: and :func:`row_values` watches the caller's own module: one walk at a
#: time (issue 8).
LOCK = threading.RLock()

#: Torch functions pass through no mode or ``__torch_function__`` inside.
_NO_TORCH_FUNCTION = torch._C.DisableTorchFunction


class Unfollowable(Exception):
    """The walk cannot follow the module (``error`` says why)."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class _OwnError(Exception):
    """An error of the walk's own work (a rule's, say) while the model's
    code runs: raised as it is by :func:`run`, not as the model failing."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


#: Tensor methods that read values, as ``if``, ``int(x)`` or ``x.item()``
#: do: a branch on data, which one run on zeros cannot stand for.
_VALUE_READS = frozenset((
    "__bool__", "__int__", "__float__", "__complex__", "__index__",
    "item", "tolist", "numpy", "__array__", "__contains__"))
_VALUE_READ_FUNCTIONS = frozenset((torch.equal, torch.allclose,
                                   torch.is_nonzero))


#: Calls that read a tensor's shape, dtype and device only: their output
#: is a constant, not a record (an attention mask made with
#: ``x.new_zeros`` depends on no unit of ``x``).
_METADATA_READS = frozenset((
    "new_zeros", "new_ones", "new_empty", "new_full", "new_tensor",
    torch.zeros_like, torch.ones_like, torch.empty_like, torch.full_like,
    torch.rand_like, torch.randn_like, torch.randint_like))


def _target_of(func):
    """The rule-table target of what the mode was handed: the function
    itself, or for a tensor method its name (``'view'``; ``x[i]`` is
    ``operator.getitem``, ``x.T`` is ``'T'``)."""
    qualname = getattr(func, "__qualname__", "")
    if qualname.startswith(("TensorBase.", "Tensor.")):
        name = func.__name__
        return operator.getitem if name == "__getitem__" else name
    if qualname == "getset_descriptor.__get__":
        return func.__self__.__name__
    return func


def _leaf_class(cls):
    """Whether calls of a module class are one record: it has a rule, or it
    is one of torch's own layers without one (an unknown record, as
    torch.fx would keep it) rather than a container."""
    return module_rule_of_class(cls) is not None or (
        cls.__module__.startswith(("torch.nn.", "torch.ao.nn.")) and
        not issubclass(cls, nn.Sequential))


#: Argument types that hold no tensor (most arguments are these): those a
#: summary keeps, and sizes, slices, dtypes and devices.
_PLAIN = PLAIN | {slice, torch.Size, torch.dtype, torch.device}


def _tensors_in(values, found):
    """Append the tensors in ``values`` (nested tuples, lists and dicts,
    named tuples and torch's ``return_types`` too) to ``found``."""
    for value in values:
        kind = type(value)
        if kind in _PLAIN:
            continue
        if kind is torch.Tensor or isinstance(value, torch.Tensor):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            _tensors_in(value, found)
        elif isinstance(value, dict):
            _tensors_in(value.values(), found)
    return found


def _pieces(value, path=()):
    """(index path, tensor) of every tensor in a call's output made of
    nested tuples, lists and dicts."""
    if isinstance(value, torch.Tensor):
        return [(path, value)]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (tuple, list)) and type(value) is not torch.Size:
        items = enumerate(value)
    else:
        return []
    return [found for key, item in items
            for found in _pieces(item, path + (key,))]


def _on_meta(value, twin):
    """``value`` with tensors not on the meta device replaced by
    ``twin(tensor)`` (containers rebuilt as their own type)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, torch.Tensor):
        return value if value.is_meta else twin(value)
    if isinstance(value, (tuple, list)):
        items = [_on_meta(v, twin) for v in value]
        if kind is tuple or kind is list:
            return kind(items)
        # a named tuple, or a structseq such as torch.return_types.max
        return value._make(items) if hasattr(value, "_make") else kind(items)
    if isinstance(value, dict):
        items = {k: _on_meta(v, twin) for k, v in value.items()}
        if kind is dict:
            return items
        rebuilt = copy.copy(value)
        rebuilt.update(items)
        return rebuilt
    return value


class Walk(torch.overrides.TorchFunctionMode):
    """Active while the working copy ``root`` runs; ``records`` grows by
    one record per call that reads a record's output."""

    def __init__(self, root, meta, twins=None, keep_values=False):
        super().__init__()
        self.root = root
        self.meta = meta
        #: id(tensor of the module) -> its meta twin (see
        #: :func:`~.copies.working_copy`)
        self.twins = {} if twins is None else twins
        #: ids of the module's own parameters and buffers, once asked for
        self.module_tensors = None
        self.records = []
        #: id(tensor) -> index of the record whose output it is
        self.made = {}
        #: id(tensor) -> (record, position, the call's outputs): a piece of
        #: a call's tuple output, which gets its ``getitem`` record when it
        #: is first read (as torch.fx makes one on indexing)
        self.pieces = {}
        #: the tensors of ``made`` and ``pieces``, kept so ids stay unique
        self.alive = []
        self.layouts = []
        #: per record, a summary of its output tensor (None: a tuple)
        self.infos = []
        self.values = {} if keep_values else None
        self.taken = {}
        #: paths of the modules whose ``forward`` is running
        self.scope = []
        #: id(module) -> its path below the root
        self.paths = {}
        #: (module, the ``forward`` instance attribute it had, or None)
        self.watched = []
        #: module class -> whether its calls are one record each
        self.leaves = {}
        #: module path -> :func:`~.records.module_path` of it
        self.paths_below = {}
        #: running a call's own code: calls inside it are not records
        self.busy = False
        #: F.pad widths seen while a ruled subclass runs its forward
        self.pads = None

    # ----------------------------------------------------------------------
    # the records

    def add_inputs(self, inputs):
        for name, tensor in zip(input_names(self.root, len(inputs)), inputs):
            self._file(tensor, input_record(unique_name(name, self.taken),
                                            tensor.shape, tensor.dtype),
                       standard_layout(tensor.dim()))

    def _file(self, tensor, record, layout):
        """Add ``record``, whose output is ``tensor`` (None: a tuple)."""
        if tensor is not None:
            self.made[id(tensor)] = len(self.records)
            self.alive.append(tensor)
            if self.values is not None:
                self.values[record.name] = tensor
        self.records.append(record)
        self.layouts.append(layout)
        self.infos.append(None if tensor is None else TensorInfo(
            tuple(tensor.shape), tensor.dtype))

    def _sources(self, tensors):
        """The records the tracked ``tensors`` are outputs of, in order,
        once each (a piece of a tuple output gets its record here)."""
        sources = []
        for tensor in tensors:
            at = self.made.get(id(tensor))
            if at is None:
                piece = self.pieces.pop(id(tensor), None)
                if piece is None:
                    continue
                at = self._piece_record(tensor, *piece)
            if at not in sources:
                sources.append(at)
        return sources

    def _piece_record(self, tensor, parent, path, parts):
        """The ``getitem`` record of the piece at index ``path`` of
        ``parent``'s output ``parts`` (summaries)."""
        self._record(operator.getitem, (parts, path[0] if len(path) == 1
                                        else path), {}, [parent],
                     TensorInfo(tuple(tensor.shape), tensor.dtype), tensor)
        return self.made[id(tensor)]

    def _record(self, *args, **kwargs):
        """:meth:`_file_record`; an error there is the walk's own, not the
        model's."""
        try:
            self._file_record(*args, **kwargs)
        except (CapacityError, Unfollowable):
            raise
        except Exception as error:
            raise _OwnError(error) from error

    def _file_record(self, target, args, kwargs, sources, first, value,
                     owned=(), pads=()):
        """File the record of one call (``first``: a summary of the first
        tracked input) if its output holds a tensor."""
        pieces = None
        if isinstance(value, torch.Tensor):
            out = value
        else:
            pieces = _pieces(value)
            if not pieces:
                return
            out = pieces[0][1]
        is_module = isinstance(target, nn.Module)
        path = self.path_of(target) if is_module else None
        scope = path.rpartition(".")[0] if is_module else (
            self.scope[-1] if self.scope else "")
        name = unique_name(path if is_module else (
            scope + "." if scope else "") + function_name(target),
            self.taken)
        call = Call(target, summary(tuple(args)),
                    summary(kwargs) if kwargs else {}, first.shape,
                    tuple(out.shape), self.layouts[sources[0]],
                    pads=tuple(pads), out_dtype=out.dtype)
        call.out_layout = layout_after(call)
        record = make_record(call, name, sources, self.records, owned,
                             self._module_path(scope))
        if pieces is None:
            self._file(out, record, call.out_layout)
            return
        # several outputs: the call's record, and a record for each piece
        # when it is read
        index = len(self.records)
        self._file(None, record, call.out_layout)
        parts = summary(value)
        for path, piece in pieces:
            if id(piece) not in self.made:
                self.pieces[id(piece)] = (index, path, parts)
                self.alive.append(piece)

    def _module_path(self, scope):
        found = self.paths_below.get(scope)
        if found is None:
            found = self.paths_below[scope] = module_path(self.root, scope)
        return found

    def path_of(self, module):
        return self.paths.get(id(module), type(module).__name__)

    def watch_modules(self):
        """Route every submodule's ``forward`` through :meth:`call_module`
        with an instance attribute (on the working copy: patching
        ``nn.Module.__call__`` instead would empty the method caches of
        every module class, a millisecond per analysis with timm loaded),
        and note each module's path.  Undone by :meth:`unwatch_modules`."""
        for path, module in self.root.named_modules():
            if module is self.root:
                continue
            self.paths[id(module)] = path
            own = module.__dict__.get("forward")
            self.watched.append((module, own))
            module.__dict__["forward"] = functools.partial(
                self.call_module, module, module.forward)

    def unwatch_modules(self):
        for module, own in self.watched:
            if own is None:
                module.__dict__.pop("forward", None)
            else:
                module.__dict__["forward"] = own
        self.watched = []

    def check_output(self, output):
        """Raise :class:`Unfollowable` if no tensor of the module's output
        is a record's: the data flow went through something the walk does
        not see (the records would silently stop short)."""
        tensors = _tensors_in([output], [])
        if tensors and not any(id(t) in self.made or id(t) in self.pieces
                               for t in tensors):
            raise Unfollowable(
                "its output is not computed from its input by calls the "
                "walk can see (the last record is {})".format(
                    self.records[-1].name))

    def _owned(self, tensors):
        """The parameters of the analysed module among a function's
        arguments (``param * x``, ``F.linear(x, self.w)``), each once."""
        # (isinstance on Parameter runs Python code: its metaclass's)
        return list({id(t): t for t in tensors if type(t) is not
                     torch.Tensor and isinstance(t, nn.Parameter)}.values())

    # ----------------------------------------------------------------------
    # functions and methods

    def _tracked(self, args, kwargs):
        """(tensors, sources, summary of the first tracked input) of a
        call's arguments; sources are empty where no record's output is
        among them."""
        tensors = _tensors_in(args, [])
        if kwargs:
            _tensors_in(kwargs.values(), tensors)
        sources = self._sources(tensors) if tensors else ()
        if not sources:
            return tensors, (), None
        return tensors, sources, self.infos[sources[0]]

    def _arguments(self, tensors, args, kwargs):
        """On the meta device, the arguments with tensors that are not meta
        replaced by meta twins: the module's own tensors (which the working
        copy holds: :func:`~.copies.working_copy`) and tensors built on the
        CPU inside ``forward``."""
        if not self.meta or all(t.is_meta for t in tensors):
            return args, kwargs
        if self.module_tensors is None:
            self.module_tensors = {id(t) for t in itertools.chain(
                self.root.parameters(), self.root.buffers())}

        def twin(tensor):
            # (only the module's tensors live as long as the memo)
            return twin_of(tensor, self.twins) if id(tensor) in \
                self.module_tensors else meta_twin(tensor)
        return _on_meta(args, twin), _on_meta(kwargs, twin)

    # ----------------------------------------------------------------------
    # functions and methods (the mode is off while this runs)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if self.busy:
            if self.pads is not None:
                widths = pad_widths(func, args, kwargs)
                if widths is not None:
                    self.pads.append(widths)
            return func(*args, **kwargs)
        tensors, sources, first = self._tracked(args, kwargs)
        if tensors:
            args, kwargs = self._arguments(tensors, args, kwargs)
        if not sources:          # sizes, constants, parameters alone
            return func(*args, **kwargs)
        target = _target_of(func)
        if target in _METADATA_READS:
            return func(*args, **kwargs)
        if (type(target) is str and target in _VALUE_READS) or \
                func in _VALUE_READ_FUNCTIONS:
            raise Unfollowable(
                "its forward reads tensor values ({}() of {}, computed from "
                "the input), as control flow on data does".format(
                    function_name(target).strip("_"),
                    self.records[sources[0]].name))
        value = self._function_value(func, target, args, kwargs,
                                     len(tensors))
        # x[index] = y changes x, which then depends on y
        self._record(target, args, kwargs, sources, first, args[0] if
                     target == "__setitem__" else value,
                     self._owned(tensors))
        return value

    def _function_value(self, func, target, args, kwargs, n_tensors):
        """The call's output (``n_tensors``: how many tensors its arguments
        hold); on the meta device without running it where its shape is
        known.  (Errors are the model's: its own code may catch them.)"""
        if self.meta:
            x = args[0] if args else None
            if type(x) is torch.Tensor and n_tensors == 1 and \
                    keeps_shape(target):
                # in place: the same tensor, changed; else a new one
                return x if kwargs.get("inplace") is True or (
                    type(target) is str and target.endswith("_") and
                    not target.startswith("__")) else x.detach()
            try:
                shape_of = FUNCTION_VALUES.get(target)
            except TypeError:       # an unhashable target
                shape_of = None
            if shape_of is not None:
                value = shape_of(args, kwargs)
                if value is not None:
                    return value
        return func(*args, **kwargs)

    # ----------------------------------------------------------------------
    # modules (the mode is on: it is turned off around the walk's own work)

    def call_module(self, module, forward, *args, **kwargs):
        """``module.forward(*args, **kwargs)`` while the walk runs
        (``forward``: the module's own)."""
        if self.busy:
            return forward(*args, **kwargs)
        cls = type(module)
        leaf = self.leaves.get(cls)
        if leaf is None:
            leaf = self.leaves[cls] = _leaf_class(cls) and (
                "own" if own_forward(module) else "ruled")
        if not leaf:
            self.scope.append(self.path_of(module))
            try:
                return forward(*args, **kwargs)
            finally:
                self.scope.pop()
        with _NO_TORCH_FUNCTION():
            tensors, sources, first = self._tracked(args, kwargs)
            if tensors:
                args, kwargs = self._arguments(tensors, args, kwargs)
            value = self._shape_only(module, args, kwargs, leaf == "own") \
                if sources else None
            if value is None and self.meta:
                to_meta(module, self.twins)     # its code runs
        if not sources:
            return self._run(forward, args, kwargs)
        pads = ()
        if value is None:
            value = self._run(forward, args, kwargs, leaf == "own")
            pads, self.pads = tuple(self.pads or ()), None
        with _NO_TORCH_FUNCTION():
            self._record(module, args, kwargs, sources, first, value,
                         owned_parameters(module), pads)
        return value

    def _shape_only(self, module, args, kwargs, own):
        """On the meta device, the output of a plain call whose shape is
        known without running it; else None.  A per-position module keeps
        its input's shape even where its class has a ``forward`` of its own
        (``own``; timm's BatchNormAct2d): its rule says it acts per
        position, and torch's meta batch norm costs 2 ms a call."""
        if not (self.meta and len(args) == 1 and not kwargs and
                type(args[0]) is torch.Tensor):
            return None
        x = args[0]
        # lazy modules must run: that creates their parameters
        if isinstance(module, SHAPE_KEEPING_MODULES) and not isinstance(
                module, nn.modules.lazy.LazyModuleMixin):
            # in place: the same tensor, changed; else a new one
            return x if getattr(module, "inplace", False) is True else \
                x.detach()
        shape_of = MODULE_VALUES.get(type(module))
        if shape_of is not None and not own and hookless(module):
            return shape_of(module, x)
        return None

    def _run(self, forward, args, kwargs, watch_pads=False):
        """Run a module's ``forward``, its inside unwatched; with
        ``watch_pads`` (a subclass of a ruled class, as timm's Conv2dSame,
        may pad in its forward) ``self.pads`` collects the pads it
        applies."""
        self.busy, self.pads = True, [] if watch_pads else None
        try:
            return forward(*args, **kwargs)
        finally:
            self.busy = False


def _check_inputs(module, n_inputs):
    """A clear error where ``forward`` takes more or fewer positional
    inputs than ``input_shape`` gives shapes."""
    parameters = forward_parameters(module)
    if parameters is None or any(p.kind is p.VAR_POSITIONAL
                                 for p in parameters):
        return
    positional = [p for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if n_inputs > len(positional):
        raise BadShapeError("input_shape gives {} shapes, but the module "
                            "takes {} inputs".format(n_inputs,
                                                     len(positional)))
    if n_inputs < len(required):
        raise BadShapeError(
            "input_shape gives {} shapes, but the module takes {} inputs "
            "({} has no default)".format(n_inputs, len(required),
                                         required[n_inputs].name))


def run(work, inputs, shapes, meta, twins=None, keep_values=False):
    """The :class:`Walk` of the working copy ``work`` run on ``inputs`` (of
    ``shapes``; ``twins``: the copy's memo of meta twins); raises
    :class:`Unfollowable` where it branches on data and
    :class:`BadShapeError` where it does not run."""
    _check_inputs(work, len(inputs))
    walk = Walk(work, meta, twins, keep_values)
    walk.add_inputs(inputs)
    try:
        walk.watch_modules()
        with walk:
            output = work(*inputs)
    except (CapacityError, Unfollowable):
        raise
    except _OwnError as own:
        raise own.error from None
    except Exception as error:      # the model's code, or torch's
        raise run_failed(error, shapes) from error
    finally:
        walk.unwatch_modules()
    walk.check_output(output)
    return walk
