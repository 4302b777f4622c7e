"""Padding a ruled module's subclass applies in its own ``forward``."""
import torch

from .table import MODULE_RULES


def own_forward(module):
    """Whether a module with a rule runs a ``forward`` of its own, not the
    one of the class its rule was written for."""
    cls = type(module)
    for base in cls.__mro__:
        if base in MODULE_RULES:
            return base is not cls and getattr(cls, "forward", None) is not \
                getattr(base, "forward", None)
    return False


class PadWatch(torch.overrides.TorchFunctionMode):
    """Collects the widths of the ``F.pad`` calls made while active."""

    def __init__(self):
        super().__init__()
        self.widths = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__name__", None) == "pad" and len(args) > 1:
            self.widths.append(tuple(int(w) for w in args[1]))
        elif getattr(func, "__name__", None) == "pad" and "pad" in kwargs:
            self.widths.append(tuple(int(w) for w in kwargs["pad"]))
        return func(*args, **kwargs)
