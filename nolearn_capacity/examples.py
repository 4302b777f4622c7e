"""Nets that ship with the package (no Theano needed)."""

#: nolearn's MNIST tutorial convnet, as quoted in the seed post: 122154
#: learnable parameters, 12 rows (names conv2d1, maxpool2d2, ... by
#: nolearn's rule for unnamed layers).
MNIST_TUTORIAL = [
    ("InputLayer", {"shape": (None, 1, 28, 28)}),
    ("Conv2DLayer", {"num_filters": 32, "filter_size": (3, 3)}),
    ("MaxPool2DLayer", {"pool_size": (2, 2)}),
    ("Conv2DLayer", {"num_filters": 64, "filter_size": (3, 3)}),
    ("Conv2DLayer", {"num_filters": 64, "filter_size": (3, 3)}),
    ("MaxPool2DLayer", {"pool_size": (2, 2)}),
    ("Conv2DLayer", {"num_filters": 96, "filter_size": (3, 3)}),
    ("MaxPool2DLayer", {"pool_size": (2, 2)}),
    ("DenseLayer", {"num_units": 64}),
    ("DropoutLayer", {}),
    ("DenseLayer", {"num_units": 64}),
    ("DenseLayer", {"num_units": 10}),
]

BUILTIN = {"mnist": MNIST_TUTORIAL}
