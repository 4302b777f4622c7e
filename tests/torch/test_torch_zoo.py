"""Exact mode on real models against input-gradient ground truth (issue 10).

Each family of ``ZOO_CASES`` is built with random weights (weights=None),
made float64 with positive weights, and run on a small positive input.
With positive weights a path from a pixel to a unit has a positive
derivative, so the pixels with a non-zero gradient of a unit are exactly
the pixels the unit depends on; the oracle replaces max-pooling by
average-pooling over the same window (max passes gradient to one tap
only), and keeps every gate well inside its non-saturated range (weights
scaled by ``1 / fan_in``, so activations stay near 1).

For the last spatial map and three intermediate ones (at a quarter, half
and three quarters of the spatial rows) we take the unit at the centre of
the map and its diagonal neighbour, and compare per axis the span of input
pixels with a non-zero gradient with the report's field around its start
``start + unit * jump``, both clipped to the image: field, jump and start
at once.  A flatten row is checked the same way at the unit that carries
channel 0 of the map's centre unit (it sees what that unit sees), and the
first dense row after it at two of its units (the union over the map,
clipped to the image; AlexNet and VGG keep their classifier layers, 8
units wide).  A row flagged ``global-context`` (a squeeze-and-excitation
gate or image pooling upstream) must instead reach the whole image, as
its ``context`` says.  Families that do not match today are strict xfails
naming the reason, so this file lists exactly what remains.

Runs in the ``zoo`` tox env (torchvision and timm next to torch 2.13.0).
"""
import copy
import warnings

import pytest

torch = pytest.importorskip("torch")
zoo = pytest.importorskip("zoo")
try:
    zoo.import_torchvision()
    import timm  # noqa: F401
except ImportError as error:
    pytest.skip("the zoo needs torchvision and timm ({})".format(error),
                allow_module_level=True)

import torch.fx  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import nolearn_capacity  # noqa: E402
from nolearn_capacity.adapters import torch as adapter  # noqa: E402

from test_torch_gradients import Capture  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def narrow_head(model):
    """AlexNet and VGG with their classifiers 8 units wide instead of 4096
    (100M parameters): the same layers in the same order, the first Linear
    reading the whole flattened map, and the float64 copy stays small."""
    layers, width = [], None
    for layer in model.classifier:
        if isinstance(layer, nn.Linear):
            layer = nn.Linear(width or layer.in_features, 8)
            width = 8
        layers.append(layer)
    model.classifier = nn.Sequential(*layers)
    return model



#: (family, builder, options, input side, xfail reason or None).
ZOO_CASES = [
    ("AlexNet", "torchvision:alexnet", {}, 127, None),
    ("VGG-11", "torchvision:vgg11", {}, 224, None),
    ("ResNet-18", "torchvision:resnet18", {}, 96, None),
    ("GoogLeNet", "torchvision:googlenet", {}, 96, None),
    ("Inception-v3", "torchvision:inception_v3", {}, 107, None),
    ("DenseNet-121", "torchvision:densenet121", {}, 96, None),
    ("MobileNetV2", "torchvision:mobilenet_v2", {}, 96, None),
    ("MobileNetV3-S", "torchvision:mobilenet_v3_small", {}, 96, None),
    ("SqueezeNet-1.1", "torchvision:squeezenet1_1", {}, 96, None),
    ("ShuffleNetV2", "torchvision:shufflenet_v2_x0_5", {}, 96, None),
    ("EfficientNet-B0", "torchvision:efficientnet_b0", {}, 96, None),
    ("RegNetY-400MF", "torchvision:regnet_y_400mf", {}, 96, None),
    ("ConvNeXt-T", "torchvision:convnext_tiny", {}, 96, None),
    ("MNASNet-0.5", "torchvision:mnasnet0_5", {}, 96, None),
    ("DeepLabV3-MobileNetV3", "torchvision:segmentation."
     "deeplabv3_mobilenet_v3_large", {}, 96, None),
    ("ViT-Ti/16", "timm:vit_tiny_patch16_224", {"img_size": 64}, 64, None),
    ("tf_efficientnet_b0", "timm:tf_efficientnet_b0", {}, 96, None),
]

SCALE = 1e-4
MAX_POOLS = {getattr(F, n) for n in ("max_pool1d", "max_pool2d",
                                     "max_pool3d")}


def _avg_pool(x, kernel_size, stride=None, padding=0, dilation=1,
              ceil_mode=False, return_indices=False):
    assert dilation in (1, (1, 1)) and not return_indices
    return F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, True)


def prepared(spec, options):
    """The model in float64 with positive weights ~ 1 / fan_in and batch
    norms that are identities."""
    model = zoo.build(spec, **options)
    if spec.split(":")[1] in ("alexnet", "vgg11"):
        model = narrow_head(model)
    model = model.double().eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_((torch.rand(p.shape, generator=generator,
                                dtype=p.dtype) + .5) / fan_in)
            if name.endswith("bias"):
                p.zero_()
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.zero_()
            elif name.endswith("running_var"):
                b.fill_(1.)
    return model


def oracle(model):
    """A copy traced as the adapter traces it (so nodes carry the names of
    the report's rows), max-pooling replaced by average-pooling."""
    model = copy.deepcopy(model)
    graph = adapter._Tracer().trace(model)
    for node in graph.nodes:
        if node.op == "call_module":
            module = model.get_submodule(node.target)
            if isinstance(module, nn.MaxPool2d):
                parent, _, leaf = node.target.rpartition(".")
                owner = model.get_submodule(parent) if parent else model
                setattr(owner, leaf, nn.AvgPool2d(
                    module.kernel_size, module.stride, module.padding,
                    module.ceil_mode, count_include_pad=True))
        elif node.op == "call_function" and node.target in MAX_POOLS:
            node.target = _avg_pool
    return torch.fx.GraphModule(model, graph)


def node_values(graph_module, x):
    capture = Capture(graph_module)
    capture.run(x)
    taken, named = {}, {}
    for node, value in capture.values.items():
        if node.op == "placeholder":
            named[str(node.target)] = value
        elif node.op.startswith("call") and isinstance(value, torch.Tensor):
            named[adapter.node_name(node, graph_module, taken)[0]] = value
    return named


def checked_rows(report):
    """Windows (conv, pool) at a quarter, half and three quarters, and the
    last map.  Inputs are square, so a channels-first map is one whose last
    two lengths agree (a channels-last one ends with its channels)."""
    maps = [r for r in report.rows if r.index > 0 and
            len(r.output_shape) == 4 and r.output_shape[2] ==
            r.output_shape[3] > 1 and r.output_shape[1] != r.output_shape[2]]
    spatial = [r for r in maps if r.kernel]
    if maps[-1].index > spatial[-1].index:
        spatial.append(maps[-1])
    picks = sorted({len(spatial) * q // 4 for q in (1, 2, 3)} |
                   {len(spatial) - 1})
    return [spatial[i] for i in picks]


def flatten_rows(report):
    """The flatten row of a map and the first dense row after it."""
    flat = [r for r in report.rows if r.op == "flatten" and
            len(report.rows[r.inputs[0]].output_shape) == 4]
    return flat[:1] + [r for r in report.rows[flat[0].index:]
                       if r.op == "collapse"][:1] if flat else []


def units(row, report, out, step):
    """The unit to differentiate (an index into ``out``, None: all
    channels) and its position on the map (a dense unit: the first)."""
    if len(out.shape) == 4:
        unit = [min(n // 2 + step, n - 1) for n in out.shape[2:]]
        return (0, slice(None)) + tuple(unit), unit
    if row.op == "flatten":
        # channel 0 at the map's centre unit (and its diagonal neighbour)
        lengths = report.rows[row.inputs[0]].output_shape[2:]
        unit = [min(n // 2 + step, n - 1) for n in lengths]
        return (0, unit[0] * lengths[1] + unit[1]), unit
    return (0, step), [0, 0]


def span(mask):
    hit = torch.nonzero(mask).flatten().tolist()
    return (hit[0], hit[-1]) if hit else None


def problems_of(family, spec, options, side):
    model = prepared(spec, options)
    shape = (1, 3, side, side)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = nolearn_capacity.analyze(model, input_shape=shape,
                                          mode="exact")
    # small, so that residual sums stay below ReLU6's and hard gates' bends
    x = ((torch.rand(shape, generator=torch.Generator().manual_seed(1),
                     dtype=torch.float64) + .5) * SCALE).requires_grad_()
    values = node_values(oracle(model), x)
    weights = torch.Generator().manual_seed(2)
    problems = []
    if family in ("AlexNet", "VGG-11") and [
            r.op for r in flatten_rows(report)] != ["flatten", "collapse"]:
        problems.append("{}: no flatten and dense rows".format(family))
    for row in checked_rows(report) + flatten_rows(report):
        out = values[row.name]
        assert tuple(out.shape) == row.output_shape, row.name
        c = torch.rand(out.shape[1], generator=weights,
                       dtype=torch.float64) + .5
        if len(out.shape) == 2:
            c = 1.
        # pixels no unit of the map reads (cut off by a stride) bound
        # every field as the image's border does
        (grad,) = torch.autograd.grad(out.sum(), x, retain_graph=True)
        used = grad[0].abs().sum(0) != 0
        bounds = [span(used.any(dim=1 - axis)) for axis in (0, 1)]
        for step in (0, 1):
            index, unit = units(row, report, out, step)
            (grad,) = torch.autograd.grad(
                (out[index] * c).sum(), x, retain_graph=True)
            mask = grad[0].abs().sum(0) != 0
            for axis in (0, 1):
                measured = span(mask.any(dim=1 - axis))
                where = "{}: row {} ({}) unit {} axis {}".format(
                    family, row.name, row.class_name, unit, axis)
                if not row.field or row.start[axis] is None:
                    problems.append("{}: no field".format(where))
                    continue
                centre = row.start[axis] + unit[axis] * row.jump[axis]
                half = row.field[axis] / 2.
                expected = (max(bounds[axis][0], int(round(centre - half))),
                            min(bounds[axis][1],
                                int(round(centre + half)) - 1))
                if row.global_context:
                    # every net here pads, so a pooled input saw the whole
                    # image, and so does every unit it gates
                    expected = (0, int(row.context[axis]) - 1)
                    if row.context[axis] != side or \
                            row.coverage[axis] != 100:
                        problems.append("{}: context {} coverage {}, not "
                                        "the whole image".format(
                                            where, row.context[axis],
                                            row.coverage[axis]))
                if measured != expected:
                    problems.append(
                        "{}: field {} jump {} start {} context {} gives "
                        "pixels {}, gradient {}".format(
                            where, row.field[axis], row.jump[axis],
                            row.start[axis], row.context, expected,
                            measured))
        if "approximate" in row.flags and not any(
                p.startswith("{}: row {} ".format(family, row.name))
                for p in problems):
            problems.append("{}: row {} is exact but flagged "
                            "approximate".format(family, row.name))
    return report, problems


@pytest.mark.parametrize("family, spec, options, side", [
    pytest.param(*case[:4], marks=[pytest.mark.xfail(
        reason=case[4], strict=True)] if case[4] else [], id=case[0])
    for case in ZOO_CASES])
def test_zoo_rows_match_gradients(family, spec, options, side):
    report, problems = problems_of(family, spec, options, side)
    assert not problems, "\n".join(problems)
