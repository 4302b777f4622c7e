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


def pad_widths(func, args, kwargs):
    """The widths of an ``F.pad`` call, as a torch function mode is handed
    it; None for any other call."""
    if getattr(func, "__name__", None) != "pad":
        return None
    widths = args[1] if len(args) > 1 else kwargs.get("pad")
    return None if widths is None else tuple(int(w) for w in widths)


class PadWatch(torch.overrides.TorchFunctionMode):
    """Collects the widths of the ``F.pad`` calls made while active."""

    def __init__(self):
        super().__init__()
        self.widths = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        widths = pad_widths(func, args, kwargs)
        if widths is not None:
            self.widths.append(widths)
        return func(*args, **kwargs)
