"""The Report is the one hand-off: checked records in, a report that holds
every layer's geometry out, saved and read back, rendered and compared
without any framework."""
import json
import os
import subprocess
import sys

import pytest

import nolearn_capacity as nc
from nolearn_capacity import core, errors, specfile
from nolearn_capacity.compare import compare
from nolearn_capacity.examples import MNIST_TUTORIAL
from nolearn_capacity.records import LayerRecord, LegacyRole, Network, Op
from nolearn_capacity.report import Flag, Report

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
VGG = os.path.join(ROOT, "legacy_examples", "vgg16.json")


def cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(ROOT))
    return subprocess.run([sys.executable, "-m", "nolearn_capacity"] +
                          [str(a) for a in args], capture_output=True,
                          text=True, env=env, cwd=cwd)


def test_a_misspelt_op_is_refused_not_taken_for_another_rule():
    with pytest.raises(errors.UnsupportedLayerError) as caught:
        LayerRecord(name="blur", label="blur", class_name="Blur",
                    op="windw", kernel=(3,), stride=(2,), pad=(0,),
                    dilation=(1,))
    message = str(caught.value)
    assert "layer 'blur' (Blur): op 'windw' is not one of input, window" \
        in message
    with pytest.raises(errors.UnsupportedLayerError, match="legacy_role"):
        LayerRecord(name=None, label="c", class_name="C", op="window",
                    legacy_role="convolution")


def test_ops_roles_and_flags_are_their_strings():
    record = LayerRecord(name="c", label="c", class_name="C", op="window",
                         legacy_role="conv")
    assert record.op is Op.WINDOW and record.op == "window"
    assert record.legacy_role is LegacyRole.CONV
    assert "{}/{}".format(record.op, Flag.LOW_CAPACITY) == \
        "window/low-capacity"
    assert json.dumps([Op.MERGE, Flag.SEES_NOTHING]) == \
        '["merge", "sees-nothing"]'


def test_the_adapters_note_reaches_the_warning():
    records = (
        LayerRecord(name="x", label="x", class_name="Input", op="input",
                    output_shape=(1, 3, 8, 8)),
        LayerRecord(name="soft", label="soft", class_name="softmax",
                    op="unknown", inputs=(0,), output_shape=(1, 3, 8, 8),
                    note="softmax along spatial axis 2"))
    report = nc.analyze(Network(records, 0))
    assert report.warnings == [
        "layer 'soft' (#1, softmax): softmax along spatial axis 2; treated "
        "as acting per position, rows from here on are approximate"]
    assert report.rows[1].note == "softmax along spatial axis 2"
    assert report.rows[1].flags == (Flag.APPROXIMATE,)


def test_rows_carry_the_geometry_compare_needs():
    rows = nc.analyze(MNIST_TUTORIAL).rows
    conv = rows[3]
    assert (conv.op, conv.inputs, conv.kernel, conv.stride, conv.pad,
            conv.dilation, conv.legacy_role) == (
        Op.WINDOW, (2,), (3, 3), (1, 1), (0, 0), (1, 1), LegacyRole.CONV)
    assert rows[9].op == Op.POINTWISE and rows[8].op == Op.COLLAPSE


@pytest.mark.parametrize("mode", ["exact", "legacy"])
def test_json_round_trip_keeps_everything(mode):
    report = nc.analyze(MNIST_TUTORIAL, mode)
    again = Report.from_json(report.to_json())
    assert again == report
    assert again.render("nolearn") == report.render("nolearn")


def test_schema_1_reads_but_cannot_be_compared():
    data = nc.analyze(MNIST_TUTORIAL).to_dict()
    data["schema_version"] = 1
    for row in data["rows"]:
        for key in ("op", "inputs", "pad", "dilation", "legacy_role",
                    "note", "named"):
            del row[key]
    old = Report.from_dict(data)
    assert old.rows[3].field == (8.0, 8.0) and old.rows[3].op is None
    with pytest.raises(errors.BadReportError, match="schema_version 1"):
        compare(old, MNIST_TUTORIAL)


def test_compare_takes_reports_and_nets_alike():
    saved = Report.from_json(nc.analyze(MNIST_TUTORIAL).to_json())
    assert compare(saved, MNIST_TUTORIAL).equivalent
    legacy = nc.analyze(MNIST_TUTORIAL, "legacy")
    with pytest.raises(errors.BadArgumentError,
                       match="made in 'legacy' mode, not 'exact'"):
        compare(legacy, MNIST_TUTORIAL)
    assert compare(legacy, MNIST_TUTORIAL, "legacy").equivalent


def test_saved_reports_compare_and_render_in_a_bare_cli(tmp_path):
    # the core env has no Theano, Lasagne or torch: this is a bare install
    vgg, mnist = tmp_path / "vgg.json", tmp_path / "mnist.json"
    for target, out in ((VGG, vgg), ("mnist", mnist)):
        done = cli(target, "--mode", "exact", "--format", "json",
                   "--output", out)
        assert done.returncode == 0 and done.stderr == ""
    same = cli("compare", vgg, VGG)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "equivalent:" in same.stdout
    other = cli("compare", vgg, mnist)
    assert other.returncode == 1 and "difference(s)" in other.stdout
    # a saved report renders as the net itself does, in its own mode
    assert cli(vgg, "--format", "text").stdout == \
        cli(VGG, "--mode", "exact", "--format", "text").stdout
    wrong = cli(vgg, "--mode", "legacy")
    assert wrong.returncode == 1 and wrong.stdout == ""
    assert "made in 'exact' mode, not 'legacy'" in wrong.stderr


def test_nolearns_plain_table_needs_no_analysis():
    # an MLP on a vector input: no receptive field, nolearn prints the
    # plain table, and so do we (no error from either mode's rules)
    mlp = [("InputLayer", {"shape": (None, 100)}),
           ("DenseLayer", {"num_units": 10})]
    for mode in ("legacy", "exact"):
        text = nc.handlers.layer_info_text(mlp, 2, mode, color=False)
        assert text.splitlines()[4:8] == [
            "  #  name      size", "---  ------  ------",
            "  0  input0     100", "  1  dense1      10"]
    with pytest.raises(errors.BadShapeError):
        core.report(nc.to_network(mlp), "legacy")


def test_an_analysis_leaves_the_garbage_collector_as_it_found_it():
    # analyze pauses the cyclic collector while it works (its objects
    # would make the collector sweep the whole heap): on, off, or after
    # an error, the caller's setting is the one left
    import gc
    collections = []

    def seen(phase, info):
        if phase == "start":
            collections.append(info["generation"])
    net = specfile.load(VGG)
    gc.callbacks.append(seen)
    try:
        report = nc.analyze(net)
    finally:
        gc.callbacks.remove(seen)
    assert report.rows[-1].field == (224., 224.)
    # none while it worked; then the youngest generation, its own objects
    assert collections == [0]
    assert gc.isenabled()
    with pytest.raises(errors.CapacityError):
        nc.analyze([("InputLayer", {"shape": (None, 1, 8, 8)}),
                    ("Conv2DLayer", {"num_filters": 2, "filter_size": 9})])
    assert gc.isenabled()
    gc.disable()
    try:
        nc.analyze(MNIST_TUTORIAL, mode="legacy")
        assert not gc.isenabled()
    finally:
        gc.enable()
