"""The rules, one module per family of ops (as torch.nn groups its
modules).  Importing this package registers them all, in this order."""
from . import convolution, pooling, resampling, padding, merges, shape  # noqa: F401
from . import reductions, pointwise  # noqa: F401
from .convolution import conv, conv_function, conv_transpose, conv_transpose_function
from .merges import concatenate, elementwise
from .padding import pad_function, pad_module
from .pointwise import (ACTIVATION_FUNCTIONS, ACTIVATION_MODULES,
                        MINOR_FUNCTIONS, MINOR_MODULES, POINTWISE_FUNCTIONS,
                        POINTWISE_MODULES, SHAPE_KEEPING_MODULES, glu,
                        is_activation, is_minor, keeps_shape, softmax)
from .pooling import (adaptive_pool, avg_pool, avg_pool_function, lp_pool,
                      lp_pool_function, max_pool, max_pool_function)
from .reductions import dense, reduction
from .resampling import (INTERPOLATION_WIDTH, interpolate, pixel_shuffle,
                         pixel_shuffle_function, pixel_unshuffle,
                         pixel_unshuffle_function, resample, upsample,
                         upsample_bilinear, upsample_nearest)
from .shape import same_spatial

__all__ = ['ACTIVATION_FUNCTIONS', 'ACTIVATION_MODULES', 'INTERPOLATION_WIDTH', 'MINOR_FUNCTIONS', 'MINOR_MODULES', 'POINTWISE_FUNCTIONS', 'POINTWISE_MODULES', 'SHAPE_KEEPING_MODULES', 'adaptive_pool', 'avg_pool', 'avg_pool_function', 'concatenate', 'conv', 'conv_function', 'conv_transpose', 'conv_transpose_function', 'dense', 'elementwise', 'glu', 'interpolate', 'is_activation', 'is_minor', 'keeps_shape', 'lp_pool', 'lp_pool_function', 'max_pool', 'max_pool_function', 'pad_function', 'pad_module', 'pixel_shuffle', 'pixel_shuffle_function', 'pixel_unshuffle', 'pixel_unshuffle_function', 'reduction', 'resample', 'same_spatial', 'softmax', 'upsample', 'upsample_bilinear', 'upsample_nearest']
