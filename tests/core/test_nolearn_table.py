"""nolearn's capacity / coverage table: formatting its cells ourselves gives
the bytes of nolearn's own recipe (a numpy string array that tabulate parses
back), for any names and values, including the ones legacy mode never
produces (nan and inf cells, 1D and 3D rows, names that read as numbers)."""
import io
import subprocess
import sys
from functools import reduce
from operator import mul

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st
from tabulate import tabulate

from nolearn_capacity import cli, core, render
from nolearn_capacity.core import Report, Row


def nolearn_recipe(report, detailed, color):
    """The table as nolearn 0.6.1 builds it (numpy string array, tabulate
    with floatfmt='.2f'), with nolearn_capacity's headers and names."""
    rows = report.rows
    n = max([len(r.capacity) for r in rows] + [1])
    axes = render.AXIS_NAMES[n]
    header = ['name', 'size', 'total'] + ['cap.' + a for a in axes] + \
        ['cov.' + a for a in axes]
    if detailed:
        header += ['filter ' + a for a in axes] + ['field ' + a for a in axes]
    fill = lambda values: values if len(values) == n else (np.nan,) * n
    shapes = [r.output_shape[1:] for r in rows]
    totals = [str(reduce(mul, s)) if s else '0' for s in shapes]
    names = [render._marked(r.name, render.colour_for(
        r.capacity, r.coverage, report.min_capacity), color) for r in rows]
    column = lambda values: np.array(values).reshape(-1, 1)
    table = np.hstack((column(names),
                       column(['x'.join(map(str, s)) for s in shapes]),
                       column(totals),
                       np.array([fill(r.capacity) for r in rows]),
                       np.array([fill(r.coverage) for r in rows])))
    if detailed:
        table = np.hstack((
            table,
            np.array([fill(r.real_filter) for r in rows]).astype(int),
            np.array([fill(r.field) for r in rows]).astype(int)))
    return tabulate(table, header, floatfmt='.2f')


def report_of(rows, min_capacity=100. / 6):
    return Report("legacy", [Row(index=i, name=name, class_name="Layer",
                                 output_shape=shape, n_params=0,
                                 capacity=cap, coverage=cov,
                                 real_filter=real, field=field)
                             for i, (name, shape, cap, cov, real, field)
                             in enumerate(rows)], [], 0, min_capacity)


def test_seed_rows_take_the_formatted_path(monkeypatch):
    report = report_of([
        ("input0", (None, 1, 28, 28), (100., 100.), (100., 100.),
         (28., 28.), (28., 28.)),
        ("conv2d6", (None, 96, 2, 2), (63.1578947368421,) * 2,
         (67.85714285714286,) * 2, (12., 12.), (19., 19.))])
    want = nolearn_recipe(report, True, True)
    assert render.conv_table(report, detailed=True) == want
    assert "\nconv2d6  96x2x2       384    63.16    63.16    67.86" in want
    # the fast path answered: the numpy recipe is not needed
    monkeypatch.setattr(render, "_column", None)
    assert render.conv_table(report, detailed=True) == want


def test_nan_inf_huge_and_negative_cells():
    nan, inf = float("nan"), float("inf")
    rows = [("input", (None, 1, 8), (100.,), (100.,), (8.,), (8.,)),
            ("wide", (None, 2, 8), (12.5,), (-2.5,), (1e18,), (-3.7,)),
            ("dense", (None, 5), (), (), (), ())]
    odd = [("odd", (None, 3, 8), (1e300,), (-inf,), (nan,), (2.9,))]
    with np.errstate(invalid="ignore"):     # nan cast to int
        for report in (report_of(rows), report_of(rows + odd)):
            for detailed in (False, True):
                assert render.conv_table(report, detailed) == \
                    nolearn_recipe(report, detailed, True)
        table = render.conv_table(report_of(rows), True)
    # 'nan' sits where the point would be, as tabulate's decimal alignment
    # puts it; nolearn's int cast turns it into int64's minimum
    assert "16    12.50    -2.50   1000000000000000000" \
        "                    -3\n" in table
    assert "\ndense   5             5   nan      nan     " \
        "-9223372036854775808" in table


# Names that tabulate reads as numbers, bools, padded or painted text
# (printable: names with control characters are shown escaped).
names = st.one_of(
    st.sampled_from(["input", "conv", "1", "2.5", "-3", "1e5", "inf", "nan",
                     "Infinity", "True", "False", "", " pad ", "x", "1,000",
                     "\u0663", "\uff49nf", "long_" * 9, "\u3042\u3044"]),
    st.text(alphabet="0123456789.eE+-_ infatyxIN,", max_size=6),
    st.text(max_size=8).filter(str.isprintable))
values = st.one_of(st.floats(), st.sampled_from([0., 100., 1e16, 63.125]),
                   st.floats(-1e4, 1e4))
sizes = st.integers(1, 40)


@st.composite
def reports(draw):
    n_axes = draw(st.integers(1, 3))
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        k = n_axes if draw(st.integers(0, 4)) else 0
        per_axis = lambda: tuple(draw(values) for _ in range(k))
        shape = (None,) + tuple(draw(sizes) for _ in range(
            draw(st.integers(0, 4))))
        rows.append((draw(names), shape, per_axis(), per_axis(),
                     per_axis(), per_axis()))
    return report_of(rows, draw(st.sampled_from([100. / 6, 0., 150.])))


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(reports(), st.booleans(), st.booleans())
def test_any_table_matches_nolearns_recipe(report, detailed, color):
    with np.errstate(invalid="ignore"):     # nan and inf cast to int
        want = nolearn_recipe(report, detailed, color)
        assert render.conv_table(report, detailed, color) == want


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.one_of(st.none(), names), st.lists(
    sizes, max_size=4)), min_size=1, max_size=6))
def test_plain_table_matches_nolearns_recipe(layers):
    names = [name for name, _ in layers]
    shapes = [(None,) + tuple(shape) for _, shape in layers]
    want = tabulate({'#': list(range(len(names))), 'name': names,
                     'size': ['x'.join(map(str, s[1:])) for s in shapes]},
                    'keys')
    assert render.plain_table(names, shapes) == want


def test_cli_default_run_makes_each_report_once(monkeypatch):
    made = []
    report = core.report

    def counted(network, mode="exact", *args):
        made.append(mode)
        return report(network, mode, *args)

    monkeypatch.setattr(core, "report", counted)
    out = io.StringIO()
    assert cli.main(["--no-color"], out) == 0
    assert sorted(made) == ["exact", "legacy"]
    assert "\nconv2d6     96x2x2        384    63.16    63.16    67.86" \
        in out.getvalue()
    assert "differ from nolearn's on 11 of 12 rows" in out.getvalue()


def test_legacy_table_needs_no_numpy():
    # numpy's import alone takes longer than the rest of the default run
    code = ("import io, sys; from nolearn_capacity import cli; "
            "cli.main([], io.StringIO()); cli.main(['--verbose', '3'], "
            "io.StringIO()); print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True)
    assert done.stdout == "False\n", done.stderr
