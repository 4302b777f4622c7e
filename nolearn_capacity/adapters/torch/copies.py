"""The working copy the walks run: a structure copy for the meta device
(no weights copied), or a real deep copy, in eval mode; its inputs."""
import copy
import functools
import itertools
import math
import types
from collections import OrderedDict

import torch
import torch.nn as nn

from ...errors import BadShapeError, UnsupportedLayerError, printable, shown
from .table import module_rule


def dtype_of(module):
    for p in itertools.chain(module.parameters(), module.buffers()):
        if p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()


#: The most bytes of zeros the real-data fallback allocates: the meta
#: device needs none, real tensors of a 1x3x100000x100000 input need 120 GB.
MAX_REAL_BYTES = 10 ** 9


def meta_twin(tensor):
    """A tensor of the same class, shape and dtype with no storage."""
    twin = torch.empty_like(tensor, device="meta")
    # (isinstance on Parameter runs Python code: its metaclass's)
    if type(tensor) is nn.Parameter or isinstance(tensor, nn.Parameter):
        twin = nn.Parameter(twin, requires_grad=tensor.requires_grad)
    return twin


#: Containers a module keeps in its ``__dict__`` (hook tables, caches):
#: the structure copy gets its own, so nothing it runs reaches the caller's.
_CONTAINERS = frozenset((dict, OrderedDict, list, set))


#: What the structure copy replaces rather than copies.
_TENSORS_AND_CHILDREN = frozenset(("_parameters", "_buffers", "_modules"))


class _Lazy(Exception):
    """A lazy module's uninitialised tensor: the structure copy cannot
    hold it."""


def _tensor_table(table):
    """A copy of a ``_parameters`` or ``_buffers`` table (the same
    tensors)."""
    for value in table.values():
        if isinstance(value, nn.parameter.UninitializedTensorMixin):
            raise _Lazy()
    return dict(table)


def _rebound(value, memo):
    """``value``, or where it is a method or ``functools.partial`` bound to
    a module (an instance ``forward`` patched by a library, a hook), the
    same bound to the module's copy."""
    if type(value) is types.MethodType and isinstance(value.__self__,
                                                      nn.Module):
        return types.MethodType(value.__func__,
                                _structure_copy(value.__self__, memo))
    if type(value) is functools.partial and any(
            isinstance(a, nn.Module) for a in value.args):
        return functools.partial(value.func, *[
            _structure_copy(a, memo) if isinstance(a, nn.Module) else a
            for a in value.args], **value.keywords)
    return value


def _structure_copy(module, memo):
    """``module`` and its children as new module objects sharing nothing
    mutable at the top of their ``__dict__`` with the originals, but
    holding the originals' parameters and buffers (see
    :func:`to_meta`).  Unlike a deep copy it walks no attribute values,
    which costs a deep copy most of its time on small mobile nets."""
    twin = memo.get(id(module))
    if twin is not None:
        return twin
    twin = object.__new__(type(module))
    memo[id(module)] = twin
    state = {}
    for key, value in module.__dict__.items():
        if key in _TENSORS_AND_CHILDREN:
            continue                # made below
        kind = type(value)
        if kind in _CONTAINERS:
            value = value.copy()
            if value and kind in (dict, OrderedDict):
                # hooks that are methods of a module act on its copy
                for name, item in value.items():
                    value[name] = _rebound(item, memo)
        elif kind is types.MethodType or kind is functools.partial:
            value = _rebound(value, memo)
        state[key] = value
    state["_parameters"] = _tensor_table(module._parameters)
    state["_buffers"] = _tensor_table(module._buffers)
    state["_modules"] = {k: None if v is None else _structure_copy(v, memo)
                         for k, v in module._modules.items()}
    twin.__dict__.update(state)
    return twin


def twin_of(tensor, memo):
    """``tensor``'s meta twin, made once per tensor: ``memo`` maps
    id(tensor) -> twin (for tensors that live as long as the memo)."""
    twin = memo.get(id(tensor))
    if twin is None:
        twin = memo[id(tensor)] = meta_twin(tensor)
    return twin


def to_meta(module, memo):
    """Give ``module`` and its submodules (parts of a structure copy, whose
    ``__dict__`` and tensor tables are their own) meta twins of the
    parameters, buffers and plain tensor attributes they hold, in place,
    before code of theirs runs on them; ``memo`` maps id(tensor) -> twin,
    so that a tensor two modules share stays shared."""
    for part in module.modules():
        for table in (part._parameters, part._buffers, part.__dict__):
            for key, tensor in list(table.items()):
                if isinstance(tensor, torch.Tensor) and not tensor.is_meta:
                    table[key] = twin_of(tensor, memo)


def _eval(module, before_own_code, root=True):
    """``module.eval()``: the flag is written directly where ``eval`` and
    ``train`` are torch's own (``Module.__setattr__`` costs a Python call
    per module), else they run, after ``before_own_code(module)``."""
    cls = type(module)
    if root and cls.eval is not nn.Module.eval:
        before_own_code(module)
        return module.eval()
    if cls.train is not nn.Module.train or \
            cls.__setattr__ is not nn.Module.__setattr__:
        before_own_code(module)
        return module.train(False)
    module.__dict__["training"] = False
    for child in module.children():
        _eval(child, before_own_code, False)
    return module


def working_copy(module, meta, twins=None):
    """A copy in eval mode to walk, so that the caller's module stays as it
    was (no running statistics, lazy parameters, flags or attributes
    change).

    With ``meta`` it is a copy of the module structure, to run on the meta
    device, where running costs no data; copying it costs nothing per
    weight, as it holds the module's own parameters and buffers: whoever
    runs code of a part of the copy first calls :func:`to_meta` on that
    part with the memo ``twins``, so that no torch function ever sees the
    module's own tensors (most calls of an analysis need only their
    shapes).  A lazy module's copy is a deep copy with meta twins.
    Without ``meta`` it is a full deep copy."""
    twins = {} if twins is None else twins
    work = None
    try:
        if meta:
            try:
                work = _structure_copy(module, {})
            except _Lazy:
                # (lazy modules' hooks are methods bound to the original:
                # they need the deep copy, which rebinds them)
                pass
        if work is None:
            work = copy.deepcopy(module, _deep_copy_memo(module, meta))
    except Exception as error:   # a module that refuses to be copied
        raise UnsupportedLayerError(
            "cannot analyse {}: copying it failed ({}: {}); the analysis "
            "runs on a copy so that the module is never changed".format(
                printable(type(module).__name__), type(error).__name__,
                shown(str(error)))) from error
    work = _eval(work, (lambda part: to_meta(part, twins)) if meta else (
        lambda part: None))
    if module_rule(work) is not None:
        # a lone conv, pool, ...: one record, not the functions inside it
        work = nn.Sequential(OrderedDict([(type(module).__name__, work)]))
    return work


def counted_parameters(module, work):
    """The parameters a network counts: the module's own, each once, or,
    for a lazy module, those of its working copy ``work`` after the walk
    (which created them).  (The copy's own may be a mix of the module's
    tensors and their meta twins, so a tied weight would count twice.)"""
    params = list(module.parameters())
    if any(isinstance(p, nn.parameter.UninitializedTensorMixin)
           for p in params):
        params = list(work.parameters())
    return params


def _deep_copy_memo(module, meta):
    """What a deep copy takes instead of copying: a lazy module's
    uninitialised tensors (they refuse deepcopy) become fresh ones, so that
    running the copy initialises the copy only; on the meta device every
    other tensor becomes its meta twin."""
    memo = {}
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        if id(tensor) in memo:
            continue
        if isinstance(tensor, nn.parameter.UninitializedTensorMixin):
            memo[id(tensor)] = type(tensor)(
                requires_grad=tensor.requires_grad,
                device="meta" if meta else None)
        elif meta:
            memo[id(tensor)] = meta_twin(tensor)
    return memo


def zeros(shapes, dtype, meta):
    """The inputs to run: storage-less on the meta device, else real zeros
    within :data:`MAX_REAL_BYTES`."""
    if meta:
        return [torch.zeros(s, dtype=dtype, device="meta") for s in shapes]
    size = torch.tensor([], dtype=dtype).element_size() * sum(
        math.prod(s) for s in shapes)
    if size > MAX_REAL_BYTES:
        raise BadShapeError(
            "input_shape {} is too large to run on real zeros ({:.3g} GB; "
            "at most {:.3g} GB): this module does not run on the meta "
            "device, which needs no data; give a smaller input_shape".format(
                shown(shapes[0] if len(shapes) == 1 else shapes), size / 1e9,
                MAX_REAL_BYTES / 1e9))
    try:
        return [torch.zeros(s, dtype=dtype) for s in shapes]
    except (RuntimeError, MemoryError) as error:
        raise BadShapeError("input_shape {} cannot be allocated ({})".format(
            shown(shapes[0] if len(shapes) == 1 else shapes),
            type(error).__name__)) from error


def run_failed(error, shapes):
    """The error for a module that does not run on zeros of ``shapes``."""
    return BadShapeError("running the module on zeros of shape {} failed "
                         "({}: {})".format(
                             shapes[0] if len(shapes) == 1 else shapes,
                             type(error).__name__, error))


def run_on_zeros(function, args, shapes):
    try:
        return function(*args)
    except Exception as error:
        raise run_failed(error, shapes) from error
