"""PyTorch port of team o_O's 448x448 Diabetic Retinopathy convnet.

Layer for layer the net of legacy_examples/diabetic_retinopathy.py
(12402657 parameters).  Three of its Lasagne layers have no torch
module and are written out here: convs with untied biases (one bias per
filter and output position), RMS pooling and maxout over pairs of units
(Lasagne's ``FeaturePoolLayer``).  Check it:

    nolearn-capacity compare legacy_examples/diabetic_retinopathy.json \\
        legacy_examples/diabetic_retinopathy_torch.py:model \\
        --input-shape 1,3,448,448
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_SHAPE = (1, 3, 448, 448)


class UntiedConv2d(nn.Conv2d):
    """A 'same'-padded conv whose bias is learnt per output position,
    as Lasagne's ``untie_biases=True``; ``size`` is the output's side."""

    def __init__(self, in_channels, out_channels, kernel_size, size,
                 stride=1):
        super().__init__(in_channels, out_channels, kernel_size,
                         stride=stride, padding=(kernel_size - 1) // 2,
                         bias=False)
        self.untied_bias = nn.Parameter(
            torch.full((out_channels, size, size), 0.05))

    def forward(self, x):
        return super().forward(x) + self.untied_bias


class RMSPool2d(nn.Module):
    """Square root of each window's mean square."""

    def __init__(self, kernel_size, stride):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        mean_square = F.avg_pool2d(x ** 2, self.kernel_size, self.stride)
        return torch.sqrt(mean_square + 1e-12)


class Maxout(nn.Module):
    """The larger of each pair of consecutive units (1024 -> 512)."""

    def __init__(self, pool_size=2):
        super().__init__()
        self.pool_size = pool_size

    def forward(self, x):
        return x.view(x.shape[0], -1, self.pool_size).amax(dim=2)


try:
    # Lasagne's FeaturePoolLayer acts on each group of units alone; say so
    # to nolearn_capacity (it sees a reshape it cannot place otherwise).
    from nolearn_capacity.adapters.torch import register_module_rule
    register_module_rule(Maxout)(lambda call, n_axes: dict(op='pointwise'))
except ImportError:
    pass


def conv(in_channels, out_channels, kernel_size, size, stride=1):
    return [UntiedConv2d(in_channels, out_channels, kernel_size, size,
                         stride), nn.LeakyReLU(0.01)]


model = nn.Sequential(
    *conv(3, 32, 5, 224, stride=2), *conv(32, 32, 3, 224),
    nn.MaxPool2d(3, 2),                                        # 111
    *conv(32, 64, 5, 56, stride=2), *conv(64, 64, 3, 56),
    *conv(64, 64, 3, 56),
    nn.MaxPool2d(3, 2),                                        # 27
    *conv(64, 128, 3, 27), *conv(128, 128, 3, 27), *conv(128, 128, 3, 27),
    nn.MaxPool2d(3, 2),                                        # 13
    *conv(128, 256, 3, 13), *conv(256, 256, 3, 13), *conv(256, 256, 3, 13),
    nn.MaxPool2d(3, 2),                                        # 6
    *conv(256, 512, 3, 6), *conv(512, 512, 3, 6),
    RMSPool2d(3, 3),                                           # 2
    nn.Dropout(0.5), nn.Flatten(),
    nn.Linear(512 * 2 * 2, 1024), nn.LeakyReLU(0.01), Maxout(2),
    nn.Dropout(0.5),
    nn.Linear(512, 1024), nn.LeakyReLU(0.01), Maxout(2),
    nn.Linear(512, 1), nn.ReLU(),        # Lasagne's default nonlinearity
)
