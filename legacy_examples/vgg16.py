"""VGG-16 from Lasagne's model zoo, as a nolearn net.

Simonyan and Zisserman's 16-layer ImageNet net as Lasagne/Recipes
(modelzoo/vgg16.py) builds it: 224x224 RGB in, thirteen 3x3 convs with
pad=1 in five blocks (64, 128, 256, 512, 512 filters), each block closed
by a 2x2 pooling layer, then fc6 and fc7 (4096 units, dropout 0.5) and
fc8 (1000 units) with a softmax.  As in the zoo, the convs are cuDNN's
``Conv2DDNNLayer`` with ``flip_filters=False`` (on this CPU:
nolearn_capacity.compat's stand-in), the pools Lasagne's plain
``Pool2DLayer`` (max), and the layers carry the zoo's names.

nolearn 0.6.1 counts only max-pool *classes* as pooling, so its table
stops the capacity walk at ``pool1`` (a ``Pool2DLayer``): every later row
shows 100 / 100.  ``nolearn-capacity legacy_examples/vgg16.json --mode
exact`` gives the real fields.

The only change to a 2015 script is the two lines at the top.  Run, it
builds the layers and prints nolearn's table (138357544 learnable
parameters); it does not train (see the main block).

    python legacy_examples/vgg16.py          # nolearn's table
    python legacy_examples/vgg16.py --ours   # ours
"""
from nolearn_capacity import compat
compat.enable()

from lasagne.layers import DenseLayer
from lasagne.layers import DropoutLayer
from lasagne.layers import InputLayer
from lasagne.layers import NonlinearityLayer
from lasagne.layers import Pool2DLayer as PoolLayer
from lasagne.layers.dnn import Conv2DDNNLayer as ConvLayer
from lasagne.nonlinearities import softmax
from lasagne.updates import nesterov_momentum
from nolearn.lasagne import NeuralNet


def conv(name, num_filters):
    return (ConvLayer, {'name': name, 'num_filters': num_filters,
                        'filter_size': 3, 'pad': 1, 'flip_filters': False})


def pool(name):
    return (PoolLayer, {'name': name, 'pool_size': 2})


layers = [
    (InputLayer, {'name': 'input', 'shape': (None, 3, 224, 224)}),
    conv('conv1_1', 64), conv('conv1_2', 64), pool('pool1'),
    conv('conv2_1', 128), conv('conv2_2', 128), pool('pool2'),
    conv('conv3_1', 256), conv('conv3_2', 256), conv('conv3_3', 256),
    pool('pool3'),
    conv('conv4_1', 512), conv('conv4_2', 512), conv('conv4_3', 512),
    pool('pool4'),
    conv('conv5_1', 512), conv('conv5_2', 512), conv('conv5_3', 512),
    pool('pool5'),
    (DenseLayer, {'name': 'fc6', 'num_units': 4096}),
    (DropoutLayer, {'name': 'fc6_dropout', 'p': 0.5}),
    (DenseLayer, {'name': 'fc7', 'num_units': 4096}),
    (DropoutLayer, {'name': 'fc7_dropout', 'p': 0.5}),
    (DenseLayer, {'name': 'fc8', 'num_units': 1000, 'nonlinearity': None}),
    (NonlinearityLayer, {'name': 'prob', 'nonlinearity': softmax}),
]

net = NeuralNet(
    layers=layers,
    update=nesterov_momentum,
    update_learning_rate=0.01,
    update_momentum=0.9,
    max_epochs=1,
    verbose=2,
)


if __name__ == '__main__':
    from _common import command_line, print_layer_info
    command_line(__doc__, net)
    # No training: 138 million weights (550 MB as float32) would take
    # minutes to compile and to run one batch of 224x224 images on a CPU,
    # and the table is all this example is about.  initialize_layers()
    # builds the layers without compiling; the table is what fit() would
    # print first.
    print_layer_info(net)
