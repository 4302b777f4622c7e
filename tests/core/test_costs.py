"""Cost columns (issue 9 item 5): mult-adds, parameter bytes and output
bytes per layer and in total, in both modes and every report format, by
hand on the seed's net; nolearn's layout shows none of them."""
import csv
import io
import json

import pytest

import nolearn_capacity as nc
from nolearn_capacity import errors
from nolearn_capacity.adapters import to_network
from nolearn_capacity.examples import MNIST_TUTORIAL
from nolearn_capacity.render import amount
from nolearn_capacity.report import COST_FIELDS, Report

#: The seed net by hand, float32 (4 bytes), per example:
#: (name, mult-adds, parameter bytes, output bytes).  A conv applies its
#: weights and bias (filters * (channels * 3 * 3 + 1)) at every output
#: position; a dense layer its weights and bias once.
SEED = [
    ("input0", 0, 0, 1 * 28 * 28 * 4),
    ("conv2d1", 32 * (1 * 9 + 1) * 26 * 26, 320 * 4, 32 * 26 * 26 * 4),
    ("maxpool2d2", 0, 0, 32 * 13 * 13 * 4),
    ("conv2d3", 64 * (32 * 9 + 1) * 11 * 11, 18496 * 4, 64 * 11 * 11 * 4),
    ("conv2d4", 64 * (64 * 9 + 1) * 9 * 9, 36928 * 4, 64 * 9 * 9 * 4),
    ("maxpool2d5", 0, 0, 64 * 4 * 4 * 4),
    ("conv2d6", 96 * (64 * 9 + 1) * 2 * 2, 55392 * 4, 96 * 2 * 2 * 4),
    ("maxpool2d7", 0, 0, 96 * 4),
    ("dense8", 96 * 64 + 64, 6208 * 4, 64 * 4),
    ("dropout9", 0, 0, 64 * 4),
    ("dense10", 64 * 64 + 64, 4160 * 4, 64 * 4),
    ("dense11", 64 * 10 + 10, 650 * 4, 10 * 4),
]


@pytest.mark.parametrize("mode", ["exact", "legacy"])
def test_seed_costs_by_hand(mode):
    report = nc.analyze(MNIST_TUTORIAL, mode)
    assert [(r.name, r.mult_adds, r.param_bytes, r.activation_bytes)
            for r in report.rows] == SEED
    assert SEED[1][1] == 216320      # 32 filters of 3x3 on 26x26 outputs
    assert report.totals() == (5678090, 122154 * 4, 169832)
    assert report.total_param_bytes == 122154 * 4


def test_every_format_but_nolearns_shows_the_costs():
    report = nc.analyze(MNIST_TUTORIAL)
    summary = ("5.68M mult-adds, 489K bytes of parameters, 170K bytes of "
               "layer outputs per example")
    text = report.to_text()
    assert text.splitlines()[1] == "# " + summary
    assert "Totals: " + summary in report.to_markdown()
    assert '<p class="totals">{}</p>'.format(summary) in report.to_html()
    line = next(l for l in text.splitlines() if l.startswith("3 "))
    assert "2.24M" in line.split() and "74K" in line.split()
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert [int(rows[3][f]) for f in COST_FIELDS] == list(SEED[3][1:])
    data = json.loads(report.to_json())
    assert data["total_param_bytes"] == 488616
    assert [data["rows"][3][f] for f in COST_FIELDS] == list(SEED[3][1:])
    for verbose in (1, 2, 3):
        layout = report.render("nolearn", verbose=verbose, color=False)
        assert "mult" not in layout and "bytes" not in layout


def test_amounts_for_people():
    assert [amount(v) for v in (None, 0, 9999, 10000, 216320, 999960,
                                2238016, 123456789012)] == \
        ["", "0", "9999", "10K", "216K", "1M", "2.24M", "123G"]


def test_reports_saved_before_costs_still_read():
    """Cost keys came within schema version 2: a file without them reads,
    its costs unknown; the formats then show no totals line."""
    data = nc.analyze(MNIST_TUTORIAL).to_dict()
    del data["total_param_bytes"]
    for row in data["rows"]:
        for key in COST_FIELDS:
            del row[key]
    old = Report.from_dict(data)
    assert old.rows[1].mult_adds is None and old.total_param_bytes is None
    assert old.totals() == (None, None, None)
    assert "mult-adds" not in old.to_text().splitlines()[1]
    assert "Totals" not in old.to_markdown()
    assert "totals" not in old.to_html()
    assert Report.from_json(old.to_json()) == old


def test_bad_cost_values_are_refused():
    data = nc.analyze(MNIST_TUTORIAL).to_dict()
    data["rows"][2]["mult_adds"] = "many"
    with pytest.raises(errors.BadReportError,
                       match=r"row #2: 'mult_adds' should be an int or null"):
        Report.from_dict(data)


def test_unknown_sizes_leave_costs_unknown():
    specs = [("InputLayer", {"shape": (None, 3, None, 16)}),
             ("Conv2DLayer", {"num_filters": 2, "filter_size": 3}),
             ("GlobalPoolLayer", {})]
    records = to_network(specs).layers
    assert records[1].mult_adds is None and records[1].param_bytes == 56 * 4
    assert records[1].activation_bytes is None
    assert records[2].mult_adds == 0 and records[2].activation_bytes == 8
