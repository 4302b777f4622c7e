"""Real models for the zoo test and the torch benchmark (weights=None).

torchvision's CPU wheel for torch 2.13.0 is not in the package index; the
wheel that is (0.28.0, built against CUDA) pins torch==2.13.0 exactly and
its model definitions are plain Python, but its compiled operators cannot
load without CUDA, and ``import torchvision`` then fails registering fake
kernels for two of them.  :func:`import_torchvision` declares those two
operator schemas first (no kernels: detection ops stay unusable), which is
all the classification and segmentation models need.  timm imports
torchvision too.
"""
import importlib

import torch

#: (family, builder, input shape (batch, channels, height, width)).
#: Builders are ``"torchvision:name"`` or ``"timm:name"``.
ZOO = [
    ("AlexNet", "torchvision:alexnet", (1, 3, 224, 224)),
    ("VGG-16", "torchvision:vgg16", (1, 3, 224, 224)),
    ("ResNet-50", "torchvision:resnet50", (1, 3, 224, 224)),
    ("GoogLeNet", "torchvision:googlenet", (1, 3, 224, 224)),
    ("Inception-v3", "torchvision:inception_v3", (1, 3, 299, 299)),
    ("DenseNet-121", "torchvision:densenet121", (1, 3, 224, 224)),
    ("MobileNetV2", "torchvision:mobilenet_v2", (1, 3, 224, 224)),
    ("MobileNetV3-L", "torchvision:mobilenet_v3_large", (1, 3, 224, 224)),
    ("SqueezeNet-1.0", "torchvision:squeezenet1_0", (1, 3, 224, 224)),
    ("ShuffleNetV2", "torchvision:shufflenet_v2_x1_0", (1, 3, 224, 224)),
    ("EfficientNet-B0", "torchvision:efficientnet_b0", (1, 3, 224, 224)),
    ("RegNetY-400MF", "torchvision:regnet_y_400mf", (1, 3, 224, 224)),
    ("ConvNeXt-T", "torchvision:convnext_tiny", (1, 3, 224, 224)),
    ("MNASNet-1.0", "torchvision:mnasnet1_0", (1, 3, 224, 224)),
    ("DeepLabV3-R50", "torchvision:segmentation.deeplabv3_resnet50",
     (1, 3, 224, 224)),
    ("ViT-B/16", "torchvision:vit_b_16", (1, 3, 224, 224)),
    ("tf_efficientnet_b0", "timm:tf_efficientnet_b0", (1, 3, 224, 224)),
    ("timm ResNet-18", "timm:resnet18", (1, 3, 224, 224)),
]

_SCHEMAS = None


def import_torchvision():
    """``torchvision``, importable with the CUDA wheel on a CPU torch."""
    global _SCHEMAS
    try:
        return importlib.import_module("torchvision")
    except RuntimeError as error:
        if "torchvision::nms" not in str(error) or _SCHEMAS is not None:
            raise
    _SCHEMAS = torch.library.Library("torchvision", "DEF")
    for name in ("nms", "qnms"):
        _SCHEMAS.define("{}(Tensor dets, Tensor scores, float iou_threshold)"
                        " -> Tensor".format(name))
    return importlib.import_module("torchvision")


def build(spec, **options):
    """A model from its ``ZOO`` builder, random weights, eval mode."""
    source, _, name = spec.partition(":")
    import_torchvision()
    if source == "timm":
        import timm
        return timm.create_model(name, pretrained=False, **options).eval()
    from torchvision import models
    space, _, name = name.rpartition(".")
    space = getattr(models, space) if space else models
    extra = {"aux_logits": False, "init_weights": False} if name in (
        "googlenet", "inception_v3") else {}
    if name.startswith("deeplab"):
        extra = {"weights_backbone": None, "aux_loss": False}
    return getattr(space, name)(weights=None, **extra, **options).eval()
