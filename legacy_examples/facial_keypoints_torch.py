"""PyTorch port of Daniel Nouri's facial-keypoints convnet ("net3").

Layer for layer the net of legacy_examples/facial_keypoints.py: 96x96 grey
image in, 30 keypoint coordinates out (linear, a regression).  Check it:

    nolearn-capacity compare legacy_examples/facial_keypoints.yaml \\
        legacy_examples/facial_keypoints_torch.py:model --input-shape 1,1,96,96
"""
import torch.nn as nn

INPUT_SHAPE = (1, 1, 96, 96)

model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),      # conv1, pool1
    nn.Conv2d(32, 64, 2), nn.ReLU(), nn.MaxPool2d(2),     # conv2, pool2
    nn.Conv2d(64, 128, 2), nn.ReLU(), nn.MaxPool2d(2),    # conv3, pool3
    nn.Flatten(),
    nn.Linear(128 * 11 * 11, 500), nn.ReLU(),             # hidden4
    nn.Linear(500, 500), nn.ReLU(),                       # hidden5
    nn.Linear(500, 30),                                   # output
)
