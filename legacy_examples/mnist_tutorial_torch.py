"""PyTorch port of nolearn's MNIST tutorial convnet (122154 parameters).

Layer for layer the net of legacy_examples/train_mnist_tutorial.py.
Check it:

    nolearn-capacity compare legacy_examples/mnist_tutorial.json \\
        legacy_examples/mnist_tutorial_torch.py:model --input-shape 1,1,28,28
"""
import torch.nn as nn

INPUT_SHAPE = (1, 1, 28, 28)

model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(),
    nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(64, 96, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(96, 64), nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(64, 64), nn.ReLU(),
    nn.Linear(64, 10), nn.Softmax(dim=1),
)
