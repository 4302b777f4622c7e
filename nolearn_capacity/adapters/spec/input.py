"""Builder for Lasagne's ``input`` module: ``InputLayer``."""
from ...errors import shown
from .arguments import as_int, drop, need
from .base import builder


@builder("InputLayer")
def _input(cls, kw, shapes):
    shape = need(kw, "shape")
    if not isinstance(shape, (list, tuple)):
        raise ValueError("shape should be a list of sizes (ints or None, "
                         "batch first), got {}".format(shown(shape)))
    shape = tuple(None if size is None else as_int(size, "shape", 1)
                  for size in shape)
    drop(kw, "input_var")
    return {"shape": shape}, shape, 0
