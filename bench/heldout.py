"""Exact mode on held-out models: the zoo test's gradient check, run on
torchvision and timm models that are not in ``tests/torch/zoo.py`` nor in
the zoo test (issue 10: "checked again afterwards on models and nets not
in your tests").

    python bench/heldout.py [--rows picked|windows|maps] [--only NAME ...]

Needs the ``zoo`` tox env (torch 2.13.0, torchvision, timm).  Each model
is built with random weights (weights=None), made float64 with positive
weights and checked by ``tests/torch/gradient_truth.py``, the zoo test's
oracle: per checked row, the centre unit and its diagonal neighbour, per
axis the input pixels our field / jump / start give against those with a
non-zero gradient.  Rows checked (``--rows``):

* ``picked`` (default): the zoo test's choice (windows at a quarter,
  half, three quarters, and the last map);
* ``windows``: every window row (conv, pool) and the last map (a few
  minutes per model: a float64 backward pass per unit);
* ``maps``: every row with a 2D map.

Channels-first and channels-last maps are checked; token sequences
(ViT-style, 3D) are not.  Prints a table per model (verdict per checked
row that is not exact), then a summary; exits 1 if a row's numbers do not
match the gradient without an ``approximate`` flag, or match it with one.
A row flagged ``approximate`` whose numbers are off is counted, not failed,
and so is one whose global context is right (the gradient then reaches the
whole image, and the local field the flag is about cannot be seen), or
whose units' fields fill every pixel the map reads (a wider field would
look the same: the check cannot judge the flag).
"""
import argparse
import os
import sys
import time
import traceback
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "torch"))

import torch.nn as nn  # noqa: E402

import gradient_truth as truth  # noqa: E402
import nolearn_capacity  # noqa: E402
import zoo  # noqa: E402

_NO_BACKBONE = {"weights_backbone": None}


def all_conv():
    """All-CNN-C (Springenberg et al. 2015): stride-2 convs instead of
    pooling, a 1x1 head and global average pooling."""
    layers, c_in = [], 3
    for c_out, k, s, p in [(96, 3, 1, 1), (96, 3, 1, 1), (96, 3, 2, 1),
                           (192, 3, 1, 1), (192, 3, 1, 1), (192, 3, 2, 1),
                           (192, 3, 1, 0), (192, 1, 1, 0), (10, 1, 1, 0)]:
        layers += [nn.Conv2d(c_in, c_out, k, s, p), nn.ReLU()]
        c_in = c_out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())


def context_net():
    """Yu & Koltun's context module (2016): 3x3 convs dilated 1, 1, 2, 4,
    8, 16, 1 with 'same' padding, after a stride-2 even-kernel stem."""
    layers = [nn.Conv2d(3, 16, 4, 2, 1), nn.ReLU()]
    for d in (1, 1, 2, 4, 8, 16, 1):
        layers += [nn.Conv2d(16, 16, 3, padding="same", dilation=d),
                   nn.ReLU()]
    return nn.Sequential(*layers, nn.Conv2d(16, 8, 1))

#: (name, builder as in zoo.py, options, input side).  None of these is in
#: zoo.ZOO or in the zoo test; sides are small where the model allows.
HELD_OUT = [
    # torchvision
    ("ResNeXt-50 32x4d", "torchvision:resnext50_32x4d", {}, 64),
    ("Wide ResNet-50-2", "torchvision:wide_resnet50_2", {}, 64),
    ("VGG-11-BN", "torchvision:vgg11_bn", {}, 64),
    ("DenseNet-169", "torchvision:densenet169", {}, 64),
    ("ShuffleNetV2-1.5", "torchvision:shufflenet_v2_x1_5", {}, 64),
    ("MNASNet-1.3", "torchvision:mnasnet1_3", {}, 64),
    ("EfficientNetV2-S", "torchvision:efficientnet_v2_s", {}, 64),
    ("RegNetX-400MF", "torchvision:regnet_x_400mf", {}, 64),
    ("ConvNeXt-S", "torchvision:convnext_small", {}, 64),
    ("FCN-ResNet50", "torchvision:segmentation.fcn_resnet50",
     dict(_NO_BACKBONE, aux_loss=False), 64),
    ("LRASPP-MobileNetV3", "torchvision:segmentation."
     "lraspp_mobilenet_v3_large", _NO_BACKBONE, 64),
    ("Swin-T", "torchvision:swin_t", {}, 64),
    ("MaxViT-T", "torchvision:maxvit_t", {"input_size": (224, 224)}, 224),
    # timm
    ("Xception-41", "timm:xception41", {}, 64),
    ("DLA-34", "timm:dla34", {}, 64),
    ("CSPDarkNet-53", "timm:cspdarknet53", {}, 64),
    ("CSPResNet-50", "timm:cspresnet50", {}, 64),
    ("GhostNet-1.0", "timm:ghostnet_100", {}, 64),
    ("HRNet-W18-small", "timm:hrnet_w18_small", {}, 64),
    ("Res2Net-50", "timm:res2net50_26w_4s", {}, 64),
    ("ResNeSt-14d", "timm:resnest14d", {}, 64),
    ("MixNet-S", "timm:mixnet_s", {}, 64),
    ("ReXNet-1.0", "timm:rexnet_100", {}, 64),
    ("RegNetY-002", "timm:regnety_002", {}, 64),
    ("EfficientNet-Lite0", "timm:efficientnet_lite0", {}, 64),
    ("tf_MobileNetV3-S", "timm:tf_mobilenetv3_small_100", {}, 64),
    ("MobileViT-XXS", "timm:mobilevit_xxs", {}, 64),
    ("PoolFormer-S12", "timm:poolformer_s12", {}, 64),
    ("DPN-68", "timm:dpn68", {}, 64),
    ("TResNet-M", "timm:tresnet_m", {}, 64),
    ("PiT-Ti", "timm:pit_ti_224", {"img_size": 64}, 64),
    ("LeViT-128", "timm:levit_128", {"img_size": 64}, 64),
    ("DeiT-Ti", "timm:deit_tiny_patch16_224", {"img_size": 64}, 64),
    # hand-built, Lasagne-era designs
    ("All-CNN-C", all_conv, {}, 32),
    ("Context module", context_net, {}, 96),
]


def spatial_dims(row):
    """The tensor dimensions of a 2D map's spatial axes, or None: square
    inputs make a map's spatial lengths agree, and its channel count
    differ from them."""
    shape = row.output_shape
    if row.index == 0 or len(shape) != 4:
        return None
    if shape[2] == shape[3] > 1 and shape[1] != shape[2]:
        return (2, 3)
    if shape[1] == shape[2] > 1 and shape[3] != shape[1]:
        return (1, 2)
    return None


def rows_to_check(report, how):
    if how == "picked":
        return truth.checked_rows(report, spatial_dims)
    maps = [r for r in report.rows if spatial_dims(r)]
    if how == "maps":
        return maps
    chosen = [r for r in maps if r.kernel]
    if maps and (not chosen or maps[-1].index > chosen[-1].index):
        chosen.append(maps[-1])
    return chosen


def gradient_numbers(pair):
    """Field, jump and start along one axis as the gradient shows them,
    from the axis checks of two neighbouring units; strings, with '>=' for
    a field the border clips and '?' where the border hides a value."""
    a, b = pair
    lo, hi = a.bounds
    m0, m1 = a.measured, b.measured if b is not None else None
    if m0 is None:
        return "nothing", "?", "?"
    free = m0[0] > lo and m0[1] < hi
    width = m0[1] - m0[0] + 1
    field = str(width) if free else ">={}".format(width)
    jump = None
    if m1 is not None and b.unit[b.axis] != a.unit[a.axis]:
        steps = b.unit[b.axis] - a.unit[a.axis]
        if m0[0] > lo and m1[0] > lo:
            jump = (m1[0] - m0[0]) / steps
        elif m0[1] < hi and m1[1] < hi:
            jump = (m1[1] - m0[1]) / steps
    start = "?"
    if jump is not None:
        unit = a.unit[a.axis]
        if free:
            start = _num((m0[0] + m0[1] + 1) / 2. - unit * jump)
        # a field clipped on one side only: its centre is the free edge
        # plus half our field, so say where the free edge is
        elif m0[0] > lo:
            start = "first px {}".format(m0[0] - unit * jump)
        elif m0[1] < hi:
            start = "last px {}".format(m0[1] - unit * jump)
    return field, "?" if jump is None else _num(jump), start


def _num(value):
    value = float(value)
    return str(int(value)) if value.is_integer() else "{:g}".format(value)


def verdict(check):
    approximate = "approximate" in check.row.flags
    if check.exact and approximate and check.row.context:
        # the check sees the whole-image context only, not the local
        # field the flag is about
        return "approx-context-exact"
    if check.exact and approximate and all(
            a.measured == a.bounds for a in check.axes):
        # every checked unit's field fills all the pixels the map reads:
        # a field as wide and a wider one look alike, so the check
        # cannot judge the flag
        return "approx-indeterminate"
    if check.exact:
        return "approx-but-exact" if approximate else "exact"
    return "approx-wrong" if approximate else "MISMATCH"


def describe(check, side):
    """Lines for a row that is not exact: per axis ours vs the gradient."""
    row = check.row
    lines = ["  {} [{}; {}; op {}; flags {}]".format(
        row.name, verdict(check), row.class_name,
        row.op.value if row.op else "?", ",".join(row.flags) or "-")]
    by_axis = {}
    for a in check.axes:
        by_axis.setdefault(a.axis, []).append(a)
    for axis, pair in sorted(by_axis.items()):
        first = pair[0]
        ours = ("no field" if first.expected is None else
                "field {} jump {} start {}{}".format(
                    _num(row.field[axis]), _num(row.jump[axis]),
                    _num(row.start[axis]),
                    " context {}".format(_num(row.context[axis]))
                    if row.context else ""))
        grad = gradient_numbers(pair + [None] * (2 - len(pair)))
        spans = "; ".join("unit {}: ours px {} grad px {}".format(
            a.unit[axis], a.expected, a.measured) for a in pair)
        whole = [a.measured == (0, side - 1) for a in pair]
        note = ""
        if all(whole) and not row.context and not check.exact:
            note = " (gradient reaches the whole image; no global context)"
        elif row.context and not any(whole):
            note = " (we claim global context; gradient does not)"
        lines.append("    axis {}: ours {} | gradient field {} jump {} "
                     "start {} | {}{}".format(axis, ours, *grad, spans,
                                              note))
    return lines


def label(spec):
    return spec if isinstance(spec, str) else "own:" + spec.__name__


def run(name, spec, options, side, how):
    """(summary dict, detail lines) for one model."""
    began = time.perf_counter()
    summary = {"name": name, "spec": label(spec), "side": side}
    try:
        model = truth.positive(spec(**options) if callable(spec) else
                               zoo.build(spec, **options))
    except Exception as error:  # noqa: BLE001 - reported, not raised
        summary["error"] = "not built: {}: {}".format(
            type(error).__name__, str(error).splitlines()[0][:100])
        return summary, []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = nolearn_capacity.analyze(
                model, input_shape=(1, 3, side, side), mode="exact")
        rows = rows_to_check(report, how)
        checks = truth.check_rows(report, truth.without_groups(model), side,
                                  rows, spatial_dims)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        summary["error"] = "not checked: {}: {}".format(
            type(error).__name__, str(error).splitlines()[0][:100])
        if os.environ.get("HELDOUT_TRACEBACK"):
            traceback.print_exc()
        return summary, []
    counts = {}
    details = []
    for check in checks:
        v = verdict(check)
        counts[v] = counts.get(v, 0) + 1
        if v != "exact":
            details.extend(describe(check, side))
    summary.update(rows=len(report.rows), checked=len(checks),
                   tokens=sum(1 for r in report.rows
                              if len(r.output_shape) == 3),
                   approximate=sum(1 for r in report.rows
                                   if "approximate" in r.flags),
                   seconds=time.perf_counter() - began, **counts)
    return summary, details


COLUMNS = [("model", "name"), ("input", "side"), ("rows", "rows"),
           ("checked", "checked"), ("exact", "exact"),
           ("MISMATCH", "MISMATCH"), ("approx-wrong", "approx-wrong"),
           ("approx-but-exact", "approx-but-exact"),
           ("approx, can't tell", "approx-indeterminate"),
           ("approx, context exact", "approx-context-exact"),
           ("flagged approx", "approximate"), ("token rows", "tokens"),
           ("s", "seconds")]


def table(summaries):
    lines = [" | ".join(c for c, _ in COLUMNS) + " | note",
             "|".join("---" for _ in range(len(COLUMNS) + 1))]
    for s in summaries:
        cells = []
        for _, key in COLUMNS:
            value = s.get(key, "" if "error" in s else 0)
            if key == "side":
                value = "{0}x{0}".format(value)
            elif key == "seconds" and value != "":
                value = "{:.1f}".format(value)
            cells.append(str(value))
        lines.append(" | ".join(cells) + " | " + s.get("error", ""))
    return "\n".join("| " + line + " |" if not line.startswith("|") else
                     line for line in lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", choices=("picked", "windows", "maps"),
                        default="picked")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="models whose name or builder contains NAME")
    args = parser.parse_args(argv)
    zoo.import_torchvision()
    models = [m for m in HELD_OUT if not args.only or any(
        o.lower() in (m[0] + " " + label(m[1])).lower() for o in args.only)]
    summaries = []
    for name, spec, options, side in models:
        summary, details = run(name, spec, options, side, args.rows)
        summaries.append(summary)
        print("{} ({}, {}x{}): {}".format(
            name, summary["spec"], side, side, summary.get("error") or
            "{} of {} rows checked, {} exact".format(
                summary["checked"], summary["rows"],
                summary.get("exact", 0))), flush=True)
        for line in details:
            print(line, flush=True)
    print()
    print(table(summaries))
    failed = sum(s.get("MISMATCH", 0) + s.get("approx-but-exact", 0)
                 for s in summaries)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
