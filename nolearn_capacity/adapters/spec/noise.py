"""Builders for Lasagne's ``noise`` module: dropout and Gaussian noise,
which change neither shapes nor counts."""
from .base import builder


#: noise class -> its arguments and their defaults
NOISE_CLASSES = {
    "DropoutLayer": {"p": 0.5, "rescale": True, "shared_axes": ()},
    "GaussianNoiseLayer": {"sigma": 0.1},
}


@builder(*NOISE_CLASSES)
def _noise(cls, kw, shapes):
    (shape,) = shapes
    attrs = {key: kw.pop(key, default)
             for key, default in NOISE_CLASSES[cls].items()}
    return attrs, shape, 0
