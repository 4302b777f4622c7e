"""Exact-mode rules on graphs, built from core records directly."""
import pytest

from nolearn_capacity import core
from nolearn_capacity.core import LayerRecord, Network


def rec(name, op, inputs=(), shape=(None, 1, 32, 32), **geometry):
    for key in ("kernel", "stride", "pad", "dilation"):
        default = 1 if key in ("stride", "dilation") else 0
        geometry.setdefault(key, (default, default) if key != "kernel"
                            else (1, 1))
    return LayerRecord(name=name, label=name, class_name=op.title(), op=op,
                       inputs=tuple(inputs), output_shape=shape, **geometry)


def conv(name, inputs, k, stride=1, pad=0, dilation=1, learns=True,
         op="window", shape=(None, 1, 32, 32)):
    return rec(name, op, inputs, shape, kernel=(k, k),
               stride=(stride, stride), pad=(pad, pad),
               dilation=(dilation, dilation), learns=learns)


def analyse(*records):
    return core.report(Network(tuple(records), 0), "exact")


def test_residual_sum_is_aligned():
    report = analyse(rec("in", "input"), conv("a", [0], 3, pad=1),
                     conv("b", [1], 3, pad=1),
                     rec("sum", "merge", [0, 2]))
    assert report.rows[3].field == (5, 5)
    assert report.warnings == [] and "misaligned" not in report.rows[3].flags


def test_misaligned_branches_are_named():
    report = analyse(rec("in", "input"), conv("valid", [0], 3),
                     conv("same", [0], 3, pad=1),
                     rec("cat", "merge", [1, 2]))
    assert "misaligned" in report.rows[3].flags
    (warning,) = report.warnings
    assert "'cat' (#3, Merge)" in warning and "centres [1.5, 0.5]" in warning


def test_dilation():
    row = analyse(rec("in", "input"), conv("d", [0], 3, dilation=2),
                  conv("e", [1], 3, dilation=4)).rows[-1]
    assert row.field == (13, 13) and row.real_filter == (9, 9)


def test_transposed_phases():
    # kernel 3, stride 2: even phases get taps 0 and 2 (two input units),
    # odd phases tap 1 only.
    row = analyse(rec("in", "input"),
                  conv("up", [0], 3, stride=2, op="transposed")).rows[-1]
    assert row.jump == (0.5, 0.5)
    assert row.field_min == (1, 1) and row.field == (2, 2)
    assert "shift-variant" in row.flags


def test_transposed_with_empty_phase_and_chain():
    rows = analyse(rec("in", "input"),
                   conv("dilate", [0], 1, stride=2, op="transposed",
                        learns=False),
                   conv("up2", [1], 2, stride=2, op="transposed")).rows
    assert rows[1].field_min == (0, 0) and rows[1].field == (1, 1)
    # tracked unit by unit: exact, though its units differ
    assert rows[2].field_min == (0, 0) and rows[2].field == (1, 1)
    assert "shift-variant" in rows[2].flags
    assert "approximate" not in rows[2].flags


def test_unknown_layer_warns_and_marks_rows():
    report = analyse(rec("in", "input"), rec("odd", "unknown", [0]),
                     conv("c", [1], 3))
    assert "approximate" in report.rows[2].flags
    assert "no geometry rule for class Unknown" in report.warnings[0]


def test_several_inputs_name_their_source():
    report = analyse(rec("small", "input", shape=(None, 1, 8, 8)),
                     rec("big", "input"), conv("c", [1], 5),
                     rec("cat", "merge", [0, 2]))
    assert [r.source for r in report.rows] == ["small", "big", "big", "big"]
    assert report.rows[2].coverage == (5 / 32 * 100,) * 2


def test_collapse_needs_fixed_size():
    with pytest.raises(core.BadShapeError, match="fixed size"):
        analyse(rec("in", "input", shape=(None, 1, None, 32)),
                rec("dense", "collapse", [0], shape=(None, 10)))


def test_input_must_come_first():
    with pytest.raises(core.GraphError, match="does not come before"):
        analyse(rec("in", "input"), conv("c", [2], 3), conv("d", [0], 3))


def squeeze_excitation():
    """in -> conv 3 -> (global pool -> 1x1 conv) * map -> conv 3 -> dense."""
    return (rec("in", "input"),
            conv("a", [0], 3, pad=1, shape=(None, 4, 32, 32)),
            rec("pool", "collapse", [1], shape=(None, 4, 1, 1)),
            conv("fc", [2], 1, shape=(None, 4, 1, 1)),
            rec("gate", "merge", [1, 3], shape=(None, 4, 32, 32)),
            conv("b", [4], 3, pad=1, shape=(None, 4, 32, 32)),
            rec("dense", "collapse", [5], shape=(None, 10)))


def test_a_pooled_input_broadcast_back_gives_global_context():
    rows = analyse(*squeeze_excitation()).rows
    assert [r.global_context for r in rows] == [False] * 4 + [True] * 3
    gate, after = rows[4], rows[5]
    # the local field stays; the context is the image, coverage 100 %
    assert gate.field == (3, 3) and gate.context == (32, 32)
    assert after.field == (5, 5) and after.context == (32, 32)
    assert after.coverage == (100., 100.)
    assert "global-context" in after.flags
    assert "global-context" not in rows[3].flags
    assert "whole image (local 5x5)" in core.Report(
        "exact", [after]).render("text")
    # the pooled input sees the image, not the padding around it
    assert rows[2].field == (32, 32) and rows[2].start == (16, 16)


def test_global_context_is_what_the_pool_saw():
    # a stride-2 kernel-2 conv on 27 pixels never reads the last one
    rows = analyse(rec("in", "input", shape=(None, 1, 27, 27)),
                   conv("s", [0], 2, stride=2, shape=(None, 4, 13, 13)),
                   rec("pool", "collapse", [1], shape=(None, 4, 1, 1)),
                   rec("gate", "merge", [1, 2],
                       shape=(None, 4, 13, 13))).rows
    assert rows[3].context == (26, 26)
    assert rows[3].coverage == (100. * 26 / 27,) * 2
    assert "global 26x26 (local 2x2)" in core.Report(
        "exact", [rows[3]]).render("text")


def test_a_second_input_without_axes_is_no_global_context():
    rows = analyse(rec("in", "input"),
                   rec("code", "input", shape=(None, 4)),
                   rec("cond", "merge", [0, 1])).rows
    assert not rows[2].global_context and rows[2].field == (1, 1)


def test_collapse_rows_count_only_image_pixels():
    # 'same' convs: the map with its padding is 2 + 32 + 2 wide
    rows = analyse(rec("in", "input"), conv("a", [0], 3, pad=1),
                   conv("b", [1], 3, pad=1),
                   rec("dense", "collapse", [2], shape=(None, 10))).rows
    assert rows[2].field == (5, 5)                     # conv: with padding
    assert rows[3].field == (32, 32) and rows[3].start == (16, 16)
    assert rows[3].coverage == (100., 100.)
    assert "over-coverage" not in rows[3].flags


def test_global_context_round_trips_through_json():
    report = analyse(*squeeze_excitation())
    assert core.Report.from_json(report.to_json()) == report
    assert "context" not in report.to_dict()["rows"][3]
    assert report.to_dict()["rows"][4]["context"] == [32, 32]
    assert "context_y" in report.render("csv").splitlines()[0]
    plain = analyse(rec("in", "input"), conv("a", [0], 3))
    assert "context" not in plain.render("csv")


def test_axes_lost_to_an_unknown_op_are_no_global_context():
    rows = analyse(rec("in", "input"), conv("a", [0], 3, pad=1),
                   rec("odd", "unknown", [1], shape=(None, 1, 32, 32, 1)),
                   rec("mix", "merge", [1, 2])).rows
    assert not rows[3].global_context and rows[3].field == (3, 3)


def padded_flatten(*after):
    """in 32 -> two 'same' 3x3 convs (5x5 fields, with padding) -> flatten,
    then ``after`` (records reading the flatten, #3)."""
    return analyse(rec("in", "input"),
                   conv("a", [0], 3, pad=1, shape=(None, 2, 32, 32)),
                   conv("b", [1], 3, pad=1, shape=(None, 2, 32, 32)),
                   rec("flat", "flatten", [2], shape=(None, 2048)),
                   *after)


def test_a_flatten_unit_sees_the_position_it_carries():
    rows = padded_flatten(
        rec("drop", "pointwise", [3], shape=(None, 2048)),
        rec("dense", "collapse", [4], shape=(None, 10)),
        rec("out", "collapse", [5], shape=(None, 10))).rows
    flat, drop, dense, out = rows[3:]
    # the map's unit: field, jump and start as the conv row, padding
    # included (a unit at the border reads two pixels of padding)
    for row in (flat, drop):
        assert (row.field, row.jump, row.start, row.real_filter) == (
            rows[2].field, rows[2].jump, rows[2].start, rows[2].real_filter)
        assert row.op in ("flatten", "pointwise") and not row.flags
    # a dense unit reads every carried position: the image, clipped
    assert dense.field == dense.field_min == (32, 32)
    assert dense.start == (16, 16) and dense.coverage == (100., 100.)
    assert out.field == (32, 32) and not dense.flags and not out.flags
    saved = padded_flatten().to_dict()
    assert saved["rows"][3]["op"] == "flatten"
    assert core.Report.from_dict(saved) == padded_flatten()


def test_a_flatten_of_a_map_that_misses_pixels_gives_their_union():
    # stride 2, kernel 2 on 27 pixels never reads the last one
    rows = analyse(rec("in", "input", shape=(None, 1, 27, 27)),
                   conv("s", [0], 2, stride=2, shape=(None, 4, 13, 13)),
                   rec("flat", "flatten", [1], shape=(None, 676)),
                   rec("dense", "collapse", [2], shape=(None, 10))).rows
    assert rows[2].field == (2, 2) and rows[2].jump == (2, 2)
    assert rows[3].field == (26, 26) and rows[3].start == (13, 13)


def test_a_flatten_after_a_global_pool_changes_nothing():
    rows = analyse(rec("in", "input"), conv("a", [0], 3, pad=1),
                   rec("pool", "collapse", [1], shape=(None, 1, 1, 1)),
                   rec("flat", "flatten", [2], shape=(None, 1)),
                   rec("dense", "collapse", [3], shape=(None, 10))).rows
    assert rows[2].field == rows[3].field == rows[4].field == (32, 32)


def test_a_flatten_needs_the_size_it_carries():
    with pytest.raises(core.BadShapeError, match="fixed size"):
        analyse(rec("in", "input", shape=(None, 1, None, 32)),
                rec("flat", "flatten", [0], shape=(None, None)))


def test_a_concat_of_flattened_maps_shows_the_widest_then_the_union():
    # a 3x3 'valid' conv (field 3, misses no pixel) and a 1x1 one
    rows = analyse(rec("in", "input"),
                   conv("c3", [0], 3, shape=(None, 1, 30, 30)),
                   conv("c1", [0], 1, shape=(None, 1, 32, 32)),
                   rec("f3", "flatten", [1], shape=(None, 900)),
                   rec("f1", "flatten", [2], shape=(None, 1024)),
                   rec("cat", "merge", [3, 4], shape=(None, 1924)),
                   rec("dense", "collapse", [5], shape=(None, 10))).rows
    cat, dense = rows[5], rows[6]
    assert cat.field == (3, 3) and cat.field_min == (1, 1)
    assert dense.field == dense.field_min == (32, 32)
    assert dense.start == (16, 16) and not dense.flags


def test_a_flatten_concatenated_with_a_dense_output():
    # the dense branch saw the whole image; the flatten one a 3x3 field
    rows = analyse(rec("in", "input"),
                   conv("c3", [0], 3, pad=1, shape=(None, 1, 32, 32)),
                   rec("f3", "flatten", [1], shape=(None, 1024)),
                   rec("fc", "collapse", [0], shape=(None, 10)),
                   rec("cat", "merge", [2, 3], shape=(None, 1034)),
                   rec("dense", "collapse", [4], shape=(None, 10))).rows
    assert rows[4].field == (32, 32) and rows[4].field_min == (3, 3)
    assert rows[5].field == (32, 32) and rows[5].start == (16, 16)


def test_an_op_that_may_mix_carried_positions_is_approximate():
    # a reshape back to a map and a conv on it: which positions a unit
    # mixes is not in the records; the whole map's field is a bound
    report = padded_flatten(
        rec("back", "unknown", [3], shape=(None, 2, 32, 32)),
        conv("c", [4], 3, pad=1, shape=(None, 2, 32, 32)))
    back, after = report.rows[4:]
    assert back.field == after.field == (32, 32)
    assert "approximate" in back.flags and "approximate" in after.flags
    (warning,) = report.warnings
    assert "'back' (#4, Unknown)" in warning and "flattened" in warning


def test_a_norm_over_the_map_gives_global_context():
    """Group / instance norm: the affine part is per position (the local
    field stays), the statistics come from the whole map (the context)."""
    rows = analyse(rec("in", "input", shape=(None, 1, 27, 27)),
                   conv("s", [0], 2, stride=2, shape=(None, 4, 13, 13)),
                   rec("norm", "normalise", [1], shape=(None, 4, 13, 13)),
                   conv("b", [2], 3, pad=1, shape=(None, 4, 13, 13))).rows
    assert [r.global_context for r in rows] == [False, False, True, True]
    norm, after = rows[2], rows[3]
    assert norm.field == (2, 2) and after.field == (6, 6)
    # what a global pool of the map would see: the stride never reads
    # pixel 26
    assert norm.context == after.context == (26, 26)
    assert "global-context" in after.flags and "approximate" not in \
        after.flags


def test_a_norm_after_a_flatten_sees_every_carried_position():
    rows = analyse(rec("in", "input"), conv("a", [0], 3, pad=1),
                   rec("flat", "flatten", [1], shape=(None, 1024)),
                   rec("norm", "normalise", [2], shape=(None, 1024))).rows
    assert rows[3].field == rows[2].field == (3, 3)
    assert rows[3].context == (32, 32)
