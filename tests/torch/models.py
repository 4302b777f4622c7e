"""Small torch models for the adapter tests (torchvision is not used)."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


class Lambda(nn.Module):
    """Wraps a function of the input, so functional calls can be traced."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


# --- VGG-style --------------------------------------------------------------

def vgg_ish():
    """conv3 conv3 pool2 conv3 pool2 -> adaptive pool 2x2 -> dense.

    On 32x32 inputs every geometry value is known by hand (see the tests).
    """
    features = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2))
    return nn.Sequential(OrderedDict([
        ("features", features),
        ("avgpool", nn.AdaptiveAvgPool2d((2, 2))),
        ("flatten", nn.Flatten()),
        ("classifier", nn.Sequential(nn.Linear(64, 32), nn.ReLU(),
                                     nn.Dropout(0.5), nn.Linear(32, 10))),
    ]))


# --- ResNet-style -----------------------------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + identity)


class ResNetIsh(nn.Module):
    """stem conv3 -> block(8) -> block(16, stride 2) -> global pool -> fc."""

    def __init__(self, n_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.layer1 = BasicBlock(8, 8)
        self.layer2 = BasicBlock(8, 16, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, n_classes)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


# --- nolearn's MNIST tutorial net -------------------------------------------

class Conv2dReLU(nn.Conv2d):
    """Lasagne's Conv2DLayer: a conv with its rectifier built in."""

    def forward(self, x):
        return F.relu(super().forward(x))


class DenseReLU(nn.Linear):
    """Lasagne's DenseLayer: flattens its input, rectifier built in."""

    def __init__(self, n_in, n_out, nonlinearity=True):
        super().__init__(n_in, n_out)
        self.nonlinearity = nonlinearity

    def forward(self, x):
        out = super().forward(x.flatten(1))
        return F.relu(out) if self.nonlinearity else out


def mnist_tutorial():
    """A faithful port of nolearn's MNIST tutorial convnet (122154 params),
    one module per Lasagne layer, named as nolearn names them."""
    return nn.Sequential(OrderedDict([
        ("conv2d1", Conv2dReLU(1, 32, 3)),
        ("maxpool2d2", nn.MaxPool2d(2)),
        ("conv2d3", Conv2dReLU(32, 64, 3)),
        ("conv2d4", Conv2dReLU(64, 64, 3)),
        ("maxpool2d5", nn.MaxPool2d(2)),
        ("conv2d6", Conv2dReLU(64, 96, 3)),
        ("maxpool2d7", nn.MaxPool2d(2)),
        ("dense8", DenseReLU(96, 64)),
        ("dropout9", nn.Dropout(0.5)),
        ("dense10", DenseReLU(64, 64)),
        ("dense11", DenseReLU(64, 10, nonlinearity=False)),
    ]))


# --- models fx cannot trace -------------------------------------------------

class DataDependent(nn.Module):
    """Branches on the data: torch.fx cannot trace it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        x = self.pool(self.conv1(x))
        if x.sum() > 0:     # data-dependent control flow
            x = x * 2
        return self.bn(self.conv2(x))


class Counting(nn.Module):
    """Changes its own attributes when run (and when traced)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.conv(x)


class TwoInputs(nn.Module):
    """Two images of different sizes, fused after pooling the larger."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 4, 3, padding=1)
        self.b = nn.Conv2d(2, 4, 5, padding=2)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x, y):
        return torch.cat([self.pool(self.a(x)), self.b(y)], dim=1)


class Shared(nn.Module):
    """One conv used twice: its parameters count once."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(self.conv(x))


# --- a map regrouped with view / permute ------------------------------------

class Regroup(nn.Module):
    """A (N, C, H, W) map regrouped by ``view`` / ``permute`` / ``reshape``
    with blocks of ``factor = (bh, bw)``, as nets write pixel (un)shuffle
    by hand.

    Space to depth (``nn.PixelUnshuffle``'s geometry): ``'s2d'`` timm's
    SpaceToDepth (TResNet's stem: the block offsets before the channels),
    ``'s2d-channels-first'`` the channels before them (pixel_unshuffle's
    order), ``'s2d-reshape'`` timm's form with ``reshape`` and no
    ``contiguous``.  Depth to space (``nn.PixelShuffle``'s): ``'d2s'``
    timm's DepthToSpace, ``'d2s-channels-first'`` pixel_shuffle's order.

    Not a shuffle: ``'interleave'`` puts the coarse factor of each axis
    into the channels (each output reads pixels ``H // bh`` apart),
    ``'swapped'`` merges the factors of H back fine before coarse (a
    permutation of the rows), ``'grid'`` is MaxViT's grid partition (the
    fine factors go to the batch)."""

    def __init__(self, kind, factor=(2, 2)):
        super().__init__()
        self.kind = kind
        self.bh, self.bw = factor

    def forward(self, x):
        n, c, h, w = x.shape
        bh, bw = self.bh, self.bw
        if self.kind == "s2d":
            x = x.view(n, c, h // bh, bh, w // bw, bw)
            x = x.permute(0, 3, 5, 1, 2, 4).contiguous()
            return x.view(n, c * bh * bw, h // bh, w // bw)
        if self.kind == "s2d-channels-first":
            x = x.view(n, c, h // bh, bh, w // bw, bw)
            x = x.permute(0, 1, 3, 5, 2, 4).contiguous()
            return x.view(n, c * bh * bw, h // bh, w // bw)
        if self.kind == "s2d-reshape":
            return x.reshape(n, c, h // bh, bh, w // bw, bw).permute(
                0, 3, 5, 1, 2, 4).reshape(n, c * bh * bw, h // bh, w // bw)
        if self.kind == "d2s":
            x = x.view(n, bh, bw, c // (bh * bw), h, w)
            x = x.permute(0, 3, 4, 1, 5, 2).contiguous()
            return x.view(n, c // (bh * bw), h * bh, w * bw)
        if self.kind == "d2s-channels-first":
            return x.reshape(n, c // (bh * bw), bh, bw, h, w).permute(
                0, 1, 4, 2, 5, 3).reshape(n, c // (bh * bw), h * bh, w * bw)
        if self.kind == "interleave":
            x = x.view(n, c, bh, h // bh, bw, w // bw)
            return x.permute(0, 2, 4, 1, 3, 5).reshape(
                n, c * bh * bw, h // bh, w // bw)
        if self.kind == "swapped":
            return x.view(n, c, h // bh, bh, w).transpose(2, 3).reshape(
                n, c, h, w)
        if self.kind == "grid":
            x = x.view(n, c, bh, h // bh, bw, w // bw)
            return x.permute(0, 3, 5, 1, 2, 4).reshape(-1, c, bh, bw)
        raise ValueError(self.kind)


def regrouped_net(regroup, channels=16):
    """conv 3x3 to ``channels``, the regrouping (or a pixel (un)shuffle
    module), then two 3x3 convs, the second with stride 2."""
    with torch.no_grad():
        after = regroup(torch.zeros(1, channels, 16, 16)).shape[1]
    return nn.Sequential(
        nn.Conv2d(3, channels, 3, padding=1), nn.ReLU(), regroup,
        nn.Conv2d(after, 4, 3, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2, padding=1))
