"""nolearn's MNIST tutorial convnet, as a 2015 script, run on today's Python.

The only change to the 2015 code is the two lines at the top that enable
nolearn_capacity's legacy runtime.  It trains one epoch on 200 random
28x28 images (fixed seed), so nolearn prints its layer table
(122154 learnable parameters) and one epoch line.

    python legacy_examples/train_mnist_tutorial.py          # nolearn's table
    python legacy_examples/train_mnist_tutorial.py --ours   # ours
"""
from nolearn_capacity import compat
compat.enable()

import argparse

import numpy as np
import lasagne
from lasagne.layers import Conv2DLayer
from lasagne.layers import DenseLayer
from lasagne.layers import DropoutLayer
from lasagne.layers import InputLayer
from lasagne.layers import MaxPool2DLayer
from lasagne.nonlinearities import softmax
from lasagne.updates import nesterov_momentum
from nolearn.lasagne import NeuralNet


layers0 = [
    (InputLayer, {'shape': (None, 1, 28, 28)}),

    (Conv2DLayer, {'num_filters': 32, 'filter_size': (3, 3)}),
    (MaxPool2DLayer, {'pool_size': (2, 2)}),

    (Conv2DLayer, {'num_filters': 64, 'filter_size': (3, 3)}),
    (Conv2DLayer, {'num_filters': 64, 'filter_size': (3, 3)}),
    (MaxPool2DLayer, {'pool_size': (2, 2)}),

    (Conv2DLayer, {'num_filters': 96, 'filter_size': (3, 3)}),
    (MaxPool2DLayer, {'pool_size': (2, 2)}),

    (DenseLayer, {'num_units': 64}),
    (DropoutLayer, {}),
    (DenseLayer, {'num_units': 64}),

    (DenseLayer, {'num_units': 10, 'nonlinearity': softmax}),
]


def load_data(n=200, seed=42):
    # stands in for MNIST: the point is the table and one epoch, not accuracy
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 1, 28, 28).astype(np.float32)
    y = rng.randint(0, 10, size=n).astype(np.int32)
    return X, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--ours', action='store_true',
        help="print the layer table with nolearn_capacity's PrintLayerInfo")
    args = parser.parse_args()
    if args.ours:
        compat.use_nolearn_capacity_layer_info()

    lasagne.random.set_rng(np.random.RandomState(42))
    X, y = load_data()

    net0 = NeuralNet(
        layers=layers0,
        update=nesterov_momentum,
        update_learning_rate=0.01,
        update_momentum=0.9,
        max_epochs=1,
        verbose=2,
    )
    net0.fit(X, y)


if __name__ == '__main__':
    main()
