"""Exact arithmetic whose work does not grow with kernel, stride,
dilation or scale factor (issue 8), and units that see nothing."""
import io
import json

import pytest

from budget import budget
from nolearn_capacity import analyze, cli, core
from nolearn_capacity.core import LayerRecord, Network
from nolearn_capacity.errors import BadShapeError

#: Function calls one analysis here may make: 200 to 35000 today (the
#: default CLI run 25000 when it runs first); looping over the taps,
#: strides or phases below, as the core once did (minutes to hours),
#: makes one or more calls per tap: 10**8 to 10**12.
CALLS = 10 ** 6
LOOPING = "looping over kernel taps, strides or phases (10**8 and more)"

IN = ("InputLayer", {"shape": (None, 1, 32, 32)})


def rec(name, op, k=1, stride=1, pad=0, dilation=1, learns=True,
        inputs=None, shape=(None, 1, 32, 32)):
    return LayerRecord(name=name, label=name, class_name=op.title(), op=op,
                       inputs=inputs if inputs is not None else (),
                       output_shape=shape, kernel=(k, k),
                       stride=(stride, stride), pad=(pad, pad),
                       dilation=(dilation, dilation), learns=learns)


def chain(*records):
    """Records, each taking the one before it as input."""
    linked = [r if i == 0 else LayerRecord(**dict(
        {f: getattr(r, f) for f in LayerRecord.__slots__}, inputs=(i - 1,)))
        for i, r in enumerate(records)]
    return Network(tuple(linked), 0)


def bounded(function, *args, **kwargs):
    with budget(CALLS, LOOPING):
        return function(*args, **kwargs)


def fields(report, index):
    row = report.rows[index]
    return row.field[0], row.field_min[0]


# the dilated map: even units see one pixel each, odd units nothing
DILATED = rec("dilate", "transposed", k=1, stride=2, learns=False)


def test_huge_window_over_a_periodic_pattern():
    # 10**12 + 1 taps over the dilated map cover 5 * 10**11 + 1 pixels
    # from an even unit, one less from an odd one
    net = chain(rec("in", "input"), DILATED,
                rec("conv", "window", k=10 ** 12 + 1))
    report = bounded(core.report, net)
    assert fields(report, 2) == (5 * 10 ** 11 + 1, 5 * 10 ** 11)
    assert report.rows[2].real_filter[0] == 5 * 10 ** 11 + .5


def test_huge_dilation_keeps_one_phase():
    # taps 10**9 apart keep the parity of the unit: odd ones see nothing
    net = chain(rec("in", "input"), DILATED,
                rec("conv", "window", k=3, dilation=10 ** 9))
    row = bounded(core.report, net).rows[2]
    assert (row.field, row.field_min) == ((10 ** 9 + 1,) * 2, (0, 0))
    assert "sees-nothing" in row.flags


def test_huge_stride_window():
    net = chain(rec("in", "input"), DILATED,
                rec("conv", "window", k=3, stride=10 ** 8 + 1))
    report = bounded(core.report, net)
    assert fields(report, 2) == (2, 1)
    assert report.rows[2].jump == ((10 ** 8 + 1) / 2,) * 2


def test_huge_transposed_kernel():
    # stride 7: phases get 14285715 or 14285714 of the 10**8 taps
    net = chain(rec("in", "input"),
                rec("up", "transposed", k=10 ** 8, stride=7))
    assert fields(bounded(core.report, net), 1) == (14285715, 14285714)


def test_huge_transposed_stride_is_past_the_tracked_period():
    # one unit in 10**8 sees a pixel: the formulas, as past MAX_PERIOD
    net = chain(rec("in", "input"),
                rec("up", "transposed", k=3, stride=10 ** 8))
    row = bounded(core.report, net).rows[1]
    assert (row.field, row.field_min) == ((1, 1), (0, 0))
    assert row.jump == (1e-8, 1e-8)
    assert "sees-nothing" in row.flags


def test_huge_transposed_kernel_and_dilation_tracked():
    # each pixel repeated 3 times (units of 1/3 pixel), then 5 * 10**7 taps
    # 2 apart with stride 4: odd phases get no tap, even ones every other
    # tap, 2.5 * 10**7 consecutive units of the repeated map, which always
    # cover 8333334 pixels (2.5 * 10**7 = 3 * 8333333 + 1)
    net = chain(rec("in", "input"),
                rec("rep", "transposed", k=3, stride=3, learns=False),
                rec("up", "transposed", k=5 * 10 ** 7, stride=4,
                    dilation=2))
    assert fields(bounded(core.report, net), 2) == (8333334, 0)


@pytest.mark.parametrize("mode", ["exact", "legacy"])
def test_huge_specs(mode):
    nets = [
        [IN, ("Conv2DLayer", {"num_filters": 1, "filter_size": 10 ** 12,
                              "pad": "full"})],
        [IN, ("Upscale2DLayer", {"scale_factor": 10 ** 6}),
         ("Conv2DLayer", {"num_filters": 1, "filter_size": 3})],
        [IN, ("TransposedConv2DLayer", {"num_filters": 1, "filter_size": 3,
                                        "stride": 10 ** 8})],
        [IN, ("Upscale2DLayer", {"scale_factor": 2}),
         ("Conv2DLayer", {"num_filters": 1, "filter_size": 10 ** 12,
                          "pad": "full"})],
    ]
    reports = [bounded(analyze, net, mode=mode) for net in nets]
    if mode == "legacy":
        assert reports[0].rows[1].field == (10 ** 12, 10 ** 12)
        assert [r.rows[-1].field for r in reports[1:]] == [(32, 32)] * 3
    else:
        assert fields(reports[0], 1) == (10 ** 12, 10 ** 12)
        assert fields(reports[1], 1) == (1, 1)
        assert reports[1].rows[2].field[0] == pytest.approx(1 + 2e-6)
        assert fields(reports[2], 1) == (1, 0)
        assert fields(reports[3], 2) == (5 * 10 ** 11 + 1, 5 * 10 ** 11)


def test_huge_spec_in_the_default_cli(tmp_path, capsys):
    # the legacy table's closing note runs the exact analysis too; the CLI
    # runs in this process, so that the guard counts its calls
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps([
        ["InputLayer", {"shape": [None, 1, 32, 32]}],
        ["Upscale2DLayer", {"scale_factor": 10 ** 6}],
        ["Conv2DLayer", {"num_filters": 1, "filter_size": 10 ** 12,
                         "pad": "full"}]]))
    out = io.StringIO()
    status = bounded(cli.main, [str(spec)], out)
    assert status == 0, capsys.readouterr().err
    assert "see them with --mode exact" in out.getvalue()


# --------------------------------------------------------------------------
# Units that see nothing
# --------------------------------------------------------------------------

def test_empty_along_one_axis_is_empty_along_every_axis():
    # axis 0: a transposed layer whose taps reach only odd units, then a
    # stride 2 that keeps the even ones; axis 1 untouched
    net = chain(
        rec("in", "input"),
        LayerRecord(name="up", label="up", class_name="Up", op="transposed",
                    output_shape=(None, 1, 64, 32), kernel=(2, 1),
                    stride=(2, 1), pad=(1, 0), dilation=(2, 1),
                    learns=True),
        LayerRecord(name="pool", label="pool", class_name="Pool",
                    op="window", output_shape=(None, 1, 32, 32),
                    kernel=(1, 1), stride=(2, 1), pad=(0, 0),
                    dilation=(1, 1)),
        rec("conv", "window", k=3),
        rec("dense", "collapse", shape=(None, 10)))
    rows = core.report(net).rows
    up, pool, conv, dense = rows[1:]
    # some units of the transposed layer see nothing: field_min 0 on both
    assert (up.field, up.field_min) == ((2, 1), (0, 0))
    assert "sees-nothing" in up.flags and "shift-variant" in up.flags
    # none of the pool's units sees anything
    for row in (pool, conv, dense):
        assert (row.field, row.field_min) == ((0, 0), (0, 0)), row.name
        assert row.capacity == (0, 0) and row.coverage == (0, 0)
        assert "sees-nothing" in row.flags
        assert "shift-variant" not in row.flags


def test_a_branch_that_sees_nothing_adds_nothing_to_a_merge():
    net = Network((
        rec("in", "input"),
        rec("up", "transposed", k=1, stride=2, inputs=(0,),
            shape=(None, 1, 64, 64)),
        rec("even", "window", k=1, stride=2, pad=1, inputs=(1,)),
        rec("conv", "window", k=3, pad=1, inputs=(0,)),
        rec("sum", "merge", inputs=(2, 3))), 0)
    rows = core.report(net).rows
    assert rows[2].field == (0, 0)
    assert (rows[4].field, rows[4].field_min) == ((3, 3), (3, 3))
    assert "sees-nothing" not in rows[4].flags


def test_ordinary_rows_are_not_flagged():
    report = analyze([IN, ("Conv2DLayer", {"num_filters": 1,
                                           "filter_size": 3})])
    assert all("sees-nothing" not in r.flags for r in report.rows)


def test_legacy_on_a_1d_net_points_to_exact_mode():
    net = [("InputLayer", {"shape": (None, 1, 100)}),
           ("Conv1DLayer", {"num_filters": 1, "filter_size": 3})]
    with pytest.raises(BadShapeError, match=r"--mode exact"):
        analyze(net, mode="legacy")
    assert analyze(net).rows[1].field == (3,)


def test_long_periods_with_huge_kernels_stay_bounded():
    # 4096 phases (one pixel, then 4095 empty units) under a window of
    # 10**6 taps and a transposed layer: too many phases to look up per
    # unit, so the formulas, in bounded time
    up = rec("up", "transposed", k=1, stride=4096, learns=False)
    for last, jump, growth in (
            (rec("conv", "window", k=10 ** 6), 1 / 4096, 999999),
            (rec("up2", "transposed", k=10 ** 6, stride=2), 1 / 8192,
             499999)):
        row = bounded(core.report, chain(rec("in", "input"), up,
                                         last)).rows[2]
        assert row.jump == (jump, jump)
        assert row.field == (1 + growth / 4096,) * 2
