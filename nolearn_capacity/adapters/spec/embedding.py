"""Builder for Lasagne's ``embedding`` module: ``EmbeddingLayer``."""
from .arguments import as_int, drop, need
from .base import builder


@builder("EmbeddingLayer")
def _embedding(cls, kw, shapes):
    (shape,) = shapes
    size_in = as_int(need(kw, "input_size"), "input_size", 1)
    size_out = as_int(need(kw, "output_size"), "output_size", 1)
    drop(kw, "W")
    return ({"input_size": size_in, "output_size": size_out},
            tuple(shape) + (size_out,), size_in * size_out)
