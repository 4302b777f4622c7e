"""Daniel Nouri's facial-keypoints convnet ("net3"), as a 2014 script.

From his tutorial "Using convolutional neural nets to detect facial
keypoints" (Kaggle Facial Keypoint Detection, December 2014): 96x96
grey images in, the x and y of 15 keypoints (30 numbers) out, a
regression.  Three conv / max-pool pairs, two hidden layers of 500 units,
a linear output.  Layers are named in the list and configured with
nolearn's ``<name>_<argument>`` keywords; the convs are cuda-convnet's when
they import, as in the tutorial (on this CPU they are
nolearn_capacity.compat's stand-ins).

The only change to the 2014 code is the two lines at the top.  It trains
one epoch on 40 random images (fixed seed): nolearn prints its layer table
(8051502 learnable parameters) and one epoch line.

    python legacy_examples/facial_keypoints.py          # nolearn's table
    python legacy_examples/facial_keypoints.py --ours   # ours
"""
from nolearn_capacity import compat
compat.enable()

import lasagne
import numpy as np
from lasagne import layers
from nolearn.lasagne import NeuralNet

try:
    from lasagne.layers.cuda_convnet import Conv2DCCLayer as Conv2DLayer
    from lasagne.layers.cuda_convnet import MaxPool2DCCLayer as MaxPool2DLayer
except ImportError:
    Conv2DLayer = layers.Conv2DLayer
    MaxPool2DLayer = layers.MaxPool2DLayer


net = NeuralNet(
    layers=[
        ('input', layers.InputLayer),
        ('conv1', Conv2DLayer),
        ('pool1', MaxPool2DLayer),
        ('conv2', Conv2DLayer),
        ('pool2', MaxPool2DLayer),
        ('conv3', Conv2DLayer),
        ('pool3', MaxPool2DLayer),
        ('hidden4', layers.DenseLayer),
        ('hidden5', layers.DenseLayer),
        ('output', layers.DenseLayer),
    ],
    input_shape=(None, 1, 96, 96),
    conv1_num_filters=32, conv1_filter_size=(3, 3), pool1_pool_size=(2, 2),
    conv2_num_filters=64, conv2_filter_size=(2, 2), pool2_pool_size=(2, 2),
    conv3_num_filters=128, conv3_filter_size=(2, 2), pool3_pool_size=(2, 2),
    hidden4_num_units=500, hidden5_num_units=500,
    output_num_units=30, output_nonlinearity=None,

    update_learning_rate=0.01,
    update_momentum=0.9,

    regression=True,
    max_epochs=1,
    verbose=2,
)


if __name__ == '__main__':
    from _common import command_line, random_images, random_targets
    command_line(__doc__, net)
    lasagne.random.set_rng(np.random.RandomState(42))
    X = random_images(40, (1, 96, 96))   # stands in for the Kaggle faces
    y = random_targets(40, 30)           # keypoints scaled to [-1, 1]
    net.fit(X, y)
