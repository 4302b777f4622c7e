"""Exact value tables for the legacy and exact rules, per rule."""
import pytest

from nolearn_capacity import analyze, get_real_filter, get_receptive_field
from nolearn_capacity.errors import CapacityError
from nolearn_capacity.examples import MNIST_TUTORIAL

IN = ("InputLayer", {"shape": (None, 1, 32, 32)})


def conv(k, **kw):
    return ("Conv2DLayer", dict({"num_filters": 1, "filter_size": k}, **kw))


def pool(k, **kw):
    return ("MaxPool2DLayer", dict({"pool_size": k}, **kw))


def column(report, attr, axis=0):
    return [getattr(row, attr)[axis] if getattr(row, attr) else None
            for row in report.rows]


def test_legacy_seed_arrays():
    field = get_receptive_field(MNIST_TUTORIAL, (28, 28))[:, 0].tolist()
    real = get_real_filter(MNIST_TUTORIAL, (28, 28))[:, 0].tolist()
    assert field == [28, 3, 3, 7, 11, 11, 19, 19, 28, 28, 28, 28]
    assert real == [28, 3, 3, 6, 6, 6, 12, 12, 28, 28, 28, 28]


def test_legacy_quirks():
    # A pool right after the input copies the still-empty row 0 (field 0,
    # capacity 1, not 100); dropout ends the walk for good.
    net = [IN, pool(2), conv(3), ("DropoutLayer", {}), conv(3)]
    report = analyze(net, mode="legacy")
    assert column(report, "field") == [32, 0, 3, 32, 32]
    assert column(report, "capacity") == [100, 1, 200, 100, 100]
    assert "low-capacity" in report.rows[1].flags


@pytest.mark.parametrize("layers,field,jump,start", [
    ([conv(3)], 3, 1, 1.5),
    ([conv(3, stride=2)], 3, 2, 1.5),
    ([conv(3, pad="same")], 3, 1, 0.5),
    ([conv(3, pad="full")], 3, 1, -0.5),
    ([conv(4, pad="same")], 4, 1, 0.0),
    ([conv(3), conv(3)], 5, 1, 2.5),
    ([conv(3, stride=2), conv(3)], 7, 2, 3.5),
    ([pool(2), conv(3)], 6, 2, 3.0),
    ([pool(3, stride=2), pool(3, stride=2)], 7, 4, 3.5),
    ([("Pool2DLayer", {"pool_size": 2, "mode": "average_inc_pad"}),
      ("DropoutLayer", {}), conv(3)], 6, 2, 3.0),
    ([conv(1), ("DenseLayer", {"num_units": 3})], 32, 32, 16.0),
])
def test_exact_window_rules(layers, field, jump, start):
    row = analyze([IN] + layers).rows[-1]
    assert row.field == (field, field)
    assert row.jump == (jump, jump)
    assert row.start == (start, start)


def test_exact_seed_fields():
    report = analyze(MNIST_TUTORIAL)
    assert column(report, "field") == [1, 3, 4, 8, 12, 14, 22, 26, 26, 26,
                                       26, 26]
    assert column(report, "real_filter") == [1, 3, 3, 6, 6, 6, 12, 12, 26,
                                             26, 26, 26]
    assert report.rows[6].capacity[0] == pytest.approx(100 * 12 / 22)


def test_exact_non_square():
    row = analyze([("InputLayer", {"shape": (None, 1, 20, 30)}),
                   conv((3, 5), stride=(1, 2))] + [conv(3)]).rows[-1]
    assert row.field == (5, 9) and row.jump == (1, 2)
    assert row.coverage == (25.0, 30.0)


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="legacy"):
        analyze(MNIST_TUTORIAL, mode="approximate")


def test_empty_and_non_networks():
    with pytest.raises(CapacityError):
        analyze([])
    with pytest.raises(CapacityError, match="int"):
        analyze(3)


def test_legacy_fused_activation_is_transparent():
    # A port's separate ReLU after a conv must not end nolearn's walk.
    from nolearn_capacity import core
    from nolearn_capacity.core import LayerRecord, Network

    def rec(role, size=None, shape=(None, 1, 32, 32)):
        return LayerRecord(name=None, label=role, class_name=role,
                           op="pointwise", output_shape=shape,
                           legacy_role=None if role == "input" else role,
                           legacy_size=size)
    with_relu = [rec("input"), rec("conv", (3, 3)), rec("fused"),
                 rec("maxpool", (2, 2)), rec("conv", (3, 3))]
    without = [r for r in with_relu if r.legacy_role != "fused"]
    fields = [core.report(Network(tuple(layers), 0), "legacy").rows
              for layers in (with_relu, without)]
    assert [r.field for r in fields[0] if r.name != "fused"] == \
        [r.field for r in fields[1]] == [(32, 32), (3, 3), (3, 3), (7, 7)]


def vgg16(flatten):
    """VGG-16's layers as specs on 224x224: 13 'same' 3x3 convs in five
    blocks, each block ending in a 2x2 max-pool, then ``flatten`` (or
    none: Lasagne's DenseLayer flattens by itself) and three dense layers."""
    net = [("InputLayer", {"shape": (None, 3, 224, 224)})]
    for convs in (2, 2, 3, 3, 3):
        net += [conv(3, pad=1)] * convs + [pool(2)]
    return net + flatten + [("DenseLayer", {"num_units": 8}),
                            ("DropoutLayer", {}),
                            ("DenseLayer", {"num_units": 8})]


@pytest.mark.parametrize("flatten", [
    [("FlattenLayer", {})], [("ReshapeLayer", {"shape": ([0], -1)})],
    [("FlattenLayer", {"outdim": 3})]])
def test_exact_flatten_carries_a_position_and_dense_sees_the_image(flatten):
    rows = analyze(vgg16(flatten)).rows
    pool5, flat, fc6, drop, fc7 = rows[18:]
    assert flat.op == "flatten" and fc6.op == "collapse"
    # a flattened unit is pool5's unit: 212 px with padding, as conv rows
    assert (flat.field, flat.jump, flat.start, flat.coverage) == (
        pool5.field, pool5.jump, pool5.start, pool5.coverage)
    assert flat.field == (212., 212.) and flat.jump == (32., 32.)
    # fc6 reads every position: the image, not the 404 px of padding
    for row in (fc6, drop, fc7):
        assert row.field == (224., 224.) and row.coverage == (100., 100.)
        assert row.start == (112., 112.) and not row.flags


def test_exact_dense_without_flatten_is_the_same_union():
    with_flatten = analyze(vgg16([("FlattenLayer", {})])).rows
    rows = analyze(vgg16([])).rows
    assert [(r.field, r.start) for r in rows[19:]] == [
        (r.field, r.start) for r in with_flatten[20:]]
