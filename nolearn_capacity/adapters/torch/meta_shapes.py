"""Output shapes without meta kernels.

Several meta kernels (convolution, adaptive pooling, broadcasting
arithmetic, cat, linear) are Python code that costs 0.1-0.6 ms a call,
most of the analysis of a mobile net.  For the plain calls below the
output is an empty meta tensor of the shape torch computes; anything
unusual (hooks, other devices or dtypes, padding modes, shapes torch
would reject) returns None and the op runs, raising what it raises."""
import torch
import torch.nn as nn

from .calls import named


def _plain_meta(tensor):
    return type(tensor) is torch.Tensor and tensor.is_meta


def _plain_weight(tensor, dtype):
    """A plain tensor of ``dtype``: its shape is all an output shape needs
    (the working copy may hold the module's own tensors, not meta ones:
    see :func:`~.copies.working_copy`)."""
    return type(tensor) in (torch.Tensor, nn.Parameter) and \
        tensor.dtype == dtype


def _contiguous(tensor):
    """Contiguous, and not also channels-last (as an ``N x C x 1 x 1`` map
    is), so that torch's output is contiguous too."""
    if not tensor.is_contiguous():
        return False
    rank = tensor.dim()
    return not (rank == 4 and tensor.is_contiguous(
        memory_format=torch.channels_last)) and not (
        rank == 5 and tensor.is_contiguous(
            memory_format=torch.channels_last_3d))


#: (shape, dtype) -> an empty meta tensor; a new alias of it (a quarter
#: of the cost of making one) is each call's output, a distinct tensor
_MADE = {}


def _empty(shape, dtype):
    if min(shape, default=1) < 1:
        return None
    key = (tuple(shape), dtype)
    made = _MADE.get(key)
    if made is None:
        if len(_MADE) > 4096:
            _MADE.clear()
        made = _MADE[key] = torch.empty(key[0], dtype=dtype, device="meta")
    return made.detach()


def hookless(module):
    m = nn.modules.module
    return not (module._forward_hooks or module._forward_pre_hooks or
                module._backward_hooks or module._backward_pre_hooks or
                m._global_forward_hooks or m._global_forward_pre_hooks or
                m._global_backward_hooks or m._global_backward_pre_hooks)


def _conv_value(module, x):
    w, b = module.weight, module.bias
    rank = w.dim()
    if not (_plain_meta(x) and x.dim() == rank and _plain_weight(w, x.dtype)
            and module.padding_mode == "zeros" and
            x.shape[1] == w.shape[1] * module.groups and
            w.shape[0] % module.groups == 0 and
            (b is None or (_plain_weight(b, x.dtype) and
                           tuple(b.shape) == (w.shape[0],)))):
        return None
    shape = [x.shape[0], w.shape[0]]
    padding = module.padding
    for axis in range(rank - 2):
        n, k = x.shape[axis + 2], w.shape[axis + 2]
        if padding == "same":
            shape.append(n)
            continue
        p = 0 if padding == "valid" else padding[axis]
        d, s = module.dilation[axis], module.stride[axis]
        shape.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return _empty(shape, x.dtype)


def _adaptive_value(module, x):
    size = module.output_size
    n_axes = int(type(module).__name__[-2])
    size = (size,) * n_axes if isinstance(size, int) else tuple(size)
    if not (_plain_meta(x) and x.dim() == n_axes + 2 and _contiguous(x) and
            x.is_floating_point() and len(size) == n_axes):
        return None
    return _empty(tuple(x.shape[:2]) + tuple(
        n if o is None else o for n, o in zip(x.shape[2:], size)), x.dtype)


def _linear_value(module, x):
    w, b = module.weight, module.bias
    if not (_plain_meta(x) and x.dim() >= 1 and _contiguous(x) and
            _plain_weight(w, x.dtype) and w.dim() == 2 and
            x.shape[-1] == w.shape[1] and
            (b is None or (_plain_weight(b, x.dtype) and
                           tuple(b.shape) == (w.shape[0],)))):
        return None
    return _empty(tuple(x.shape[:-1]) + (w.shape[0],), x.dtype)


#: Module classes (exactly these: a subclass may have its own ``forward``)
#: whose output shape the walk (:mod:`.walk`) computes.
MODULE_VALUES = {
    nn.Conv1d: _conv_value, nn.Conv2d: _conv_value, nn.Conv3d: _conv_value,
    nn.AdaptiveAvgPool1d: _adaptive_value,
    nn.AdaptiveAvgPool2d: _adaptive_value,
    nn.AdaptiveAvgPool3d: _adaptive_value, nn.Linear: _linear_value}


def _arithmetic_value(args, kwargs):
    """``a + b``, ``a * b`` ... of meta tensors of one floating dtype (or
    one with a Python number): the broadcast shape, when an operand has it."""
    if kwargs or len(args) != 2:
        return None
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if not all(_plain_weight(t, t.dtype) and t.is_meta and t.is_contiguous() and
               t.is_floating_point() for t in tensors) or \
            len({t.dtype for t in tensors}) != 1 or not all(
                type(a) in (int, float) for a in args
                if not isinstance(a, torch.Tensor)):
        return None
    try:
        shape = torch.broadcast_shapes(*[t.shape for t in tensors])
    except RuntimeError:
        return None
    if not any(t.shape == shape and _contiguous(t) for t in tensors):
        return None
    return _empty(tuple(shape), tensors[0].dtype)


def _cat_value(args, kwargs):
    tensors = args[0] if args else kwargs.get("tensors")
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    if len(args) > 2 or set(kwargs) - {"tensors", "dim"} or \
            not isinstance(tensors, (list, tuple)) or not tensors or \
            type(dim) is not int:
        return None
    first = tensors[0]
    if not all(_plain_meta(t) and _contiguous(t) for t in tensors):
        return None
    rank = first.dim()
    if rank == 0 or not -rank <= dim < rank or any(
            t.dim() != rank or t.dtype != first.dtype for t in tensors):
        return None
    dim %= rank
    rest = [tuple(t.shape[:dim]) + tuple(t.shape[dim + 1:]) for t in tensors]
    if len(set(rest)) != 1:
        return None
    shape = list(first.shape)
    shape[dim] = sum(t.shape[dim] for t in tensors)
    return _empty(shape, first.dtype)


def _contiguous_value(args, kwargs):
    """``x.contiguous()`` of a meta tensor: a contiguous one of its shape
    (meta's own is a Python reference implementation)."""
    if len(args) != 1 or kwargs or not _plain_meta(args[0]):
        return None
    return _empty(tuple(args[0].shape), args[0].dtype)


def _mean_value(args, kwargs):
    """``x.mean(dims, keepdim)`` of a floating meta tensor."""
    if len(args) < 2 or len(args) > 3 or set(kwargs) - {"keepdim"}:
        return None
    x, dims = args[0], args[1]
    keep = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    dims = (dims,) if type(dims) is int else dims
    if not (_plain_meta(x) and _contiguous(x) and x.is_floating_point() and
            type(keep) is bool and isinstance(dims, (list, tuple)) and dims and
            all(type(d) is int and -x.dim() <= d < x.dim() for d in dims)):
        return None
    if len({d % x.dim() for d in dims}) != len(dims):
        return None
    dims = {d % x.dim() for d in dims}
    return _empty([1 if d in dims else n for d, n in enumerate(x.shape)
                   if keep or d not in dims], x.dtype)


#: Functions and methods whose output shape the walk (:mod:`.walk`) computes.
FUNCTION_VALUES = dict.fromkeys(
    named("torch.add", "torch.mul", "torch.sub", "torch.div") +
    ["add", "mul", "sub", "div"], _arithmetic_value)


FUNCTION_VALUES.update(dict.fromkeys(
    named("torch.cat", "torch.concat", "torch.concatenate"), _cat_value))


FUNCTION_VALUES.update(dict.fromkeys(
    named("torch.mean") + ["mean"], _mean_value))


FUNCTION_VALUES["contiguous"] = _contiguous_value
