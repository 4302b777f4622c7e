"""Team o_O's 448x448 convnet for the Kaggle Diabetic Retinopathy
Detection competition (2015, 2nd place), as a nolearn net.

Reconstructed from the team's published solution summary (Mathis Antony
and Stephan Brueggemann, "Team o_O Solution Summary", the table "Network
Configurations", net A) and the layer conventions of their code
(github.com/sveitser/kaggle_diabetic), not copied from it:

* 3x448x448 input; conv 5x5 stride 2 and 3x3 convs, 'same' padding (the
  summary's sizes: 224, 111, 56, 27, 13, 6), 32 doubling to 512 filters;
  3x3 stride-2 max pooling after each block;
* RMS pooling 3x3 stride 3 (square root of the mean of squares), dropout,
  two dense layers of 1024 units each followed by maxout over pairs
  (``FeaturePoolLayer``, 512 units), and one output unit (the grade, a
  regression trained on mean squared error);
* leaky rectifiers (0.01), untied biases in the convs, orthogonal
  weights, biases 0.05;
* cuDNN's ``Conv2DDNNLayer`` and ``MaxPool2DDNNLayer``, which their code
  used when cuDNN was there (on this CPU: nolearn_capacity.compat's
  stand-ins).

The only change to a 2015 script is the two lines at the top.  Run, it
trains one epoch on 10 random images (fixed seed; about a minute on a CPU,
most of it compiling): nolearn prints its table and one epoch line.

    python legacy_examples/diabetic_retinopathy.py          # nolearn's table
    python legacy_examples/diabetic_retinopathy.py --ours   # ours
"""
from nolearn_capacity import compat
compat.enable()

import lasagne
import numpy as np
import theano.tensor as T
from lasagne import init
from lasagne.layers import DenseLayer
from lasagne.layers import DropoutLayer
from lasagne.layers import FeaturePoolLayer
from lasagne.layers import InputLayer
from lasagne.layers import Pool2DLayer
from lasagne.layers.dnn import Conv2DDNNLayer
from lasagne.layers.dnn import MaxPool2DDNNLayer
from lasagne.nonlinearities import leaky_rectify
from nolearn.lasagne import NeuralNet


class RMSPoolLayer(Pool2DLayer):
    """Root-mean-square pooling: the square root of each window's mean
    square (Sander Dieleman's NDSB layer, which team o_O used)."""

    def __init__(self, incoming, pool_size, stride=None, epsilon=1e-12,
                 **kwargs):
        super(RMSPoolLayer, self).__init__(
            incoming, pool_size, stride, mode='average_inc_pad', **kwargs)
        self.epsilon = epsilon

    def get_output_for(self, input, **kwargs):
        mean_square = super(RMSPoolLayer, self).get_output_for(T.sqr(input))
        return T.sqrt(mean_square + self.epsilon)


def conv(num_filters, filter_size=3, stride=1):
    return (Conv2DDNNLayer, {
        'num_filters': num_filters, 'filter_size': filter_size,
        'stride': stride, 'pad': 'same', 'untie_biases': True,
        'nonlinearity': leaky_rectify, 'W': init.Orthogonal(1.0),
        'b': init.Constant(0.05)})


def pool():
    return (MaxPool2DDNNLayer, {'pool_size': 3, 'stride': 2})


def dense(num_units):
    return (DenseLayer, {'num_units': num_units,
                         'nonlinearity': leaky_rectify,
                         'W': init.Orthogonal(1.0),
                         'b': init.Constant(0.05)})


layers = [
    (InputLayer, {'shape': (None, 3, 448, 448)}),
    conv(32, 5, stride=2), conv(32), pool(),
    conv(64, 5, stride=2), conv(64), conv(64), pool(),
    conv(128), conv(128), conv(128), pool(),
    conv(256), conv(256), conv(256), pool(),
    conv(512), conv(512),
    (RMSPoolLayer, {'pool_size': 3, 'stride': 3}),
    (DropoutLayer, {'p': 0.5}),
    dense(1024),
    (FeaturePoolLayer, {'pool_size': 2}),
    (DropoutLayer, {'p': 0.5}),
    dense(1024),
    (FeaturePoolLayer, {'pool_size': 2}),
    (DenseLayer, {'num_units': 1}),
]

net = NeuralNet(
    layers=layers,
    update_learning_rate=0.003,
    update_momentum=0.9,
    regression=True,
    max_epochs=1,
    verbose=3,
)


if __name__ == '__main__':
    from _common import command_line, random_images, random_targets
    command_line(__doc__, net)
    lasagne.random.set_rng(np.random.RandomState(42))
    X = random_images(10, (3, 448, 448))   # stands in for the fundus photos
    y = random_targets(10, 1) * 2 + 2     # grades 0 to 4, as a regression
    net.fit(X, y)
