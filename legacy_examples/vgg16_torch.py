"""PyTorch port of VGG-16 as Lasagne's model zoo builds it.

Layer for layer the net of legacy_examples/vgg16.py (138357544
parameters).  Check it:

    nolearn-capacity compare legacy_examples/vgg16.json \\
        legacy_examples/vgg16_torch.py:model --input-shape 1,3,224,224
"""
import torch.nn as nn

INPUT_SHAPE = (1, 3, 224, 224)

#: filters per conv, 'pool' for a 2x2 max-pooling layer
CONFIG = [64, 64, 'pool', 128, 128, 'pool', 256, 256, 256, 'pool',
          512, 512, 512, 'pool', 512, 512, 512, 'pool']


def features(config, channels=3):
    layers = []
    for item in config:
        if item == 'pool':
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU()]
            channels = item
    return layers


model = nn.Sequential(
    *features(CONFIG),
    nn.Flatten(),
    nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),      # fc6
    nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),             # fc7
    nn.Linear(4096, 1000),                                         # fc8
    nn.Softmax(dim=1),                                             # prob
)
