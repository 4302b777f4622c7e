"""The working copy the walks trace and run: a structure copy on the meta
device (no weights), or a real deep copy, in eval mode; its inputs."""
import copy
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


def _structure_copy(module, memo):
    """``module`` and its children as new module objects sharing nothing
    mutable at the top of their ``__dict__`` with the originals, their
    parameters and buffers replaced by ``memo[id(tensor)]``.  Unlike a deep
    copy it walks no attribute values, which costs a deep copy most of its
    time on small mobile nets."""
    twin = memo.get(id(module))
    if twin is not None:
        return twin
    twin = object.__new__(type(module))
    memo[id(module)] = twin
    state = {}
    for key, value in module.__dict__.items():
        kind = type(value)
        if kind in _CONTAINERS:
            value = value.copy()
            if value and kind in (dict, OrderedDict) and \
                    key not in _TENSORS_AND_CHILDREN:
                # hooks that are methods of a module act on its copy
                for name, item in value.items():
                    if type(item) is types.MethodType and isinstance(
                            item.__self__, nn.Module):
                        value[name] = types.MethodType(
                            item.__func__,
                            _structure_copy(item.__self__, memo))
        state[key] = value
    state["_parameters"] = {k: None if v is None else memo[id(v)]
                            for k, v in module._parameters.items()}
    state["_buffers"] = {k: None if v is None else memo[id(v)]
                         for k, v in module._buffers.items()}
    state["_modules"] = {k: None if v is None else _structure_copy(v, memo)
                         for k, v in module._modules.items()}
    twin.__dict__.update(state)
    return twin


def _eval(module, root=True):
    """``module.eval()``: the flag is written directly where ``eval`` and
    ``train`` are torch's own (``Module.__setattr__`` costs a Python call
    per module), else they run."""
    cls = type(module)
    if root and cls.eval is not nn.Module.eval:
        return module.eval()
    if cls.train is not nn.Module.train or \
            cls.__setattr__ is not nn.Module.__setattr__:
        return module.train(False)
    module.__dict__["training"] = False
    for child in module.children():
        _eval(child, False)
    return module


def working_copy(module, meta):
    """A copy in eval mode to trace and run, so that the caller's module
    stays as it was (no running statistics, lazy parameters, flags or
    attributes change).  With ``meta`` its parameters and buffers are
    storage-less twins on the meta device in a copy of the module
    structure: copying costs no weights and running it costs no data; else
    it is a full deep copy."""
    memo = {}
    tensors = [t for _, m in module.named_modules(remove_duplicate=False)
               for t in list(m._parameters.values()) +
               list(m._buffers.values()) if t is not None]
    for tensor in tensors:
        if id(tensor) in memo:
            continue
        if isinstance(tensor, nn.parameter.UninitializedTensorMixin):
            # lazy modules' uninitialised tensors refuse deepcopy: give the
            # copy fresh ones (running it then initialises the copy only)
            memo[id(tensor)] = type(tensor)(
                requires_grad=tensor.requires_grad,
                device="meta" if meta else None)
        elif meta:
            memo[id(tensor)] = meta_twin(tensor)
    try:
        if meta and not any(isinstance(t, nn.parameter.UninitializedTensorMixin)
                            for t in tensors):
            # (lazy modules' hooks are methods bound to the original: they
            # need the deep copy, which rebinds them)
            work = _structure_copy(module, memo)
        else:
            work = copy.deepcopy(module, memo)
    except Exception as error:   # a module that refuses to be copied
        raise UnsupportedLayerError(
            "cannot analyse {}: copying it failed ({}: {}); the analysis "
            "runs on a copy so that the module is never changed".format(
                printable(type(module).__name__), type(error).__name__,
                shown(str(error)))) from error
    work = _eval(work)
    if module_rule(work) is not None:
        # a lone conv, pool, ...: one record, not the functions inside it
        work = nn.Sequential(OrderedDict([(type(module).__name__, work)]))
    return work


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
