"""Renderers: every format from one report, golden output for the seed."""
import csv
import io
import json
import os

import pytest

import nolearn_capacity as nc
from nolearn_capacity import render
from nolearn_capacity.examples import MNIST_TUTORIAL

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")


def seed(mode="exact"):
    return nc.analyze(MNIST_TUTORIAL, mode=mode)


def flagged():
    # 'full' padding on a small image: coverage over 100 %, low capacity.
    return nc.analyze([
        ("InputLayer", {"shape": (None, 1, 6, 6)}),
        ("Conv2DLayer", {"num_filters": 1, "filter_size": 5, "pad": "full"}),
        ("MaxPool2DLayer", {"pool_size": 2}),
        ("MaxPool2DLayer", {"pool_size": 2}),
        ("Conv2DLayer", {"num_filters": 1, "filter_size": 1}),
    ], min_capacity=60)


@pytest.mark.parametrize("mode", ["exact", "legacy"])
@pytest.mark.parametrize("fmt", list(render.FORMATS))
def test_golden_files(fmt, mode, request):
    """Output of every format for the seed net, compared with a file in
    tests/core/golden; regenerate with --regenerate-golden after checking."""
    text = seed(mode).render(fmt)
    path = os.path.join(GOLDEN, "mnist_{}.{}".format(mode, fmt))
    if request.config.getoption("--regenerate-golden"):
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    with open(path, encoding="utf-8") as f:
        assert text == f.read()


@pytest.mark.parametrize("make", [seed, flagged, lambda: seed("legacy")])
def test_json_round_trips(make):
    report = make()
    data = json.loads(report.to_json())
    assert data["schema_version"] == render.SCHEMA_VERSION
    assert render.from_json(report.to_json()) == report


def test_json_refuses_other_schema_versions():
    data = json.loads(seed().to_json())
    data["schema_version"] = 99
    with pytest.raises(ValueError, match="schema_version 99"):
        render.from_json(json.dumps(data))


def test_csv_columns_per_axis():
    rows = list(csv.DictReader(io.StringIO(seed().to_csv())))
    assert len(rows) == 12
    assert rows[6]["name"] == "conv2d6"
    assert (rows[6]["field_y"], rows[6]["field_x"]) == ("22.0", "22.0")
    assert rows[6]["flags"] == ""


def test_flags_without_colour():
    report = flagged()
    flags = [r.flags for r in report.rows]
    assert flags[3] == ("over-coverage",)
    assert flags[4] == ("low-capacity", "over-coverage")
    for text in (report.to_markdown(), report.to_text(), report.to_csv()):
        assert "over-coverage" in text and "low-capacity" in text
        assert "\033[" not in text


def test_nolearn_layout_markers_without_colour():
    from nolearn_capacity.handlers import layer_info_text
    network = nc.to_network(flagged_spec())
    plain = layer_info_text(network, 2, "exact", 50, color=False)
    assert "\033[" not in plain and "\nmaxpool2d3 +  " in plain
    assert "name +:  image coverage too high" in plain
    painted = layer_info_text(network, 2, "exact", 50, color=True)
    assert "\033[36mmaxpool2d3\033[0m" in painted


def flagged_spec():
    return [("InputLayer", {"shape": (None, 1, 6, 6)}),
            ("Conv2DLayer", {"num_filters": 1, "filter_size": 5,
                             "pad": "full"}),
            ("MaxPool2DLayer", {"pool_size": 2}),
            ("MaxPool2DLayer", {"pool_size": 2})]


def test_html_is_standalone_and_highlighted():
    page = flagged().to_html()
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert 'class="over-coverage"' in page and "color: #" in page
    assert "color: #" not in flagged().to_html(color=False)
    report = nc.analyze([("InputLayer", {"shape": (None, 1, 8, 8),
                                         "name": "<b>&"})])
    assert "&lt;b&gt;&amp;" in report.to_html()


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_files(tmp_path, suffix):
    pytest.importorskip("matplotlib")
    path = str(tmp_path / "capacity.{}".format(suffix))
    assert flagged().plot(path) == path
    with open(path, "rb") as f:
        head = f.read(200)
    assert head.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in \
        open(path, "rb").read()
    if suffix == "svg":
        text = open(path, encoding="utf-8").read()
        # Both thresholds are drawn with their labels.
        assert "min capacity 60 %" in text and "100 %" in text
    assert os.listdir(str(tmp_path)) == [os.path.basename(path)]


def test_cli_formats_and_plot(tmp_path):
    from nolearn_capacity import cli
    out = io.StringIO()
    assert cli.main(["--format", "json", "--mode", "exact"], out) == 0
    assert render.from_json(out.getvalue()) == seed()
    pytest.importorskip("matplotlib")
    plot = str(tmp_path / "p.png")
    assert cli.main(["--plot", plot], io.StringIO()) == 0
    assert os.path.getsize(plot) > 1000


def test_plotting_leaves_matplotlib_alone(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    import sys
    backend = matplotlib.get_backend()
    flagged().plot(str(tmp_path / "p.png"))
    assert matplotlib.get_backend() == backend
    assert "matplotlib.pyplot" not in sys.modules or \
        not sys.modules["matplotlib.pyplot"].get_fignums()
