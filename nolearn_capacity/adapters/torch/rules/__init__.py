"""The rules, one module per family of ops (as torch.nn groups its
modules).  Importing this package registers them all, in this order."""
# (the order the rules were written in; a later registration of a key wins)
from . import convolution, pooling, resampling, padding  # noqa: F401
from . import merges, shape, reductions, pointwise  # noqa: F401
# after pointwise: replaces its per-position rule for the norms
from . import normalization  # noqa: F401
from .convolution import conv, conv_transpose
from .merges import concatenate, elementwise
from .normalization import normalisation
from .padding import pad
from .pointwise import (ACTIVATION_FUNCTIONS, ACTIVATION_MODULES,
                        MINOR_FUNCTIONS, MINOR_MODULES, POINTWISE_FUNCTIONS,
                        POINTWISE_MODULES, SHAPE_KEEPING_MODULES, glu,
                        is_activation, is_minor, keeps_shape, softmax)
from .pooling import adaptive_pool, avg_pool, lp_pool, max_pool
from .reductions import dense, reduction
from .resampling import (INTERPOLATION_WIDTH, depth_to_space, interpolate,
                         pixel_shuffle, pixel_unshuffle, resample,
                         space_to_depth)
from .shape import same_spatial

__all__ = [
    "ACTIVATION_FUNCTIONS", "ACTIVATION_MODULES", "INTERPOLATION_WIDTH",
    "MINOR_FUNCTIONS", "MINOR_MODULES", "POINTWISE_FUNCTIONS",
    "POINTWISE_MODULES", "SHAPE_KEEPING_MODULES", "adaptive_pool",
    "avg_pool", "concatenate", "conv", "conv_transpose", "dense",
    "depth_to_space", "elementwise", "glu", "interpolate", "is_activation",
    "is_minor", "keeps_shape", "lp_pool", "max_pool", "normalisation", "pad",
    "pixel_shuffle", "pixel_unshuffle", "reduction", "resample",
    "same_spatial", "softmax", "space_to_depth"]
