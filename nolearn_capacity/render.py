"""Renderers: :class:`~nolearn_capacity.core.Report` -> text.

Formats live in one registry (:data:`FORMATS`); :func:`render` looks them
up.  The nolearn layouts (:func:`conv_table`, :func:`plain_table`,
:func:`greeting`, :func:`LEGEND`) reproduce nolearn 0.6.1's printout byte
for byte, so they build the same numpy string table it built.
"""
from collections import OrderedDict
from functools import reduce
from operator import mul

# numpy and tabulate are imported where a table is made, so that
# `import nolearn_capacity` costs milliseconds, not numpy's import time.


class ansi:
    """nolearn's ANSI colour codes."""
    BLUE = '\033[94m'
    CYAN = '\033[36m'
    GREEN = '\033[32m'
    MAGENTA = '\033[35m'
    RED = '\033[31m'
    ENDC = '\033[0m'


AXIS_NAMES = {1: ("X",), 2: ("Y", "X"), 3: ("Z", "Y", "X")}

def legend(color=True):
    """nolearn's colour legend (plain words when ``color`` is off)."""
    paint = _painted if color else (lambda text, colour: text)
    return (
        "\nExplanation"
        "\n    X, Y:    image dimensions"
        "\n    cap.:    learning capacity"
        "\n    cov.:    coverage of image"
        "\n    {}: capacity too low (<1/6)"
        "\n    {}:    image coverage too high (>100%)"
        "\n    {}:     capacity too low and coverage too high\n"
        "".format(paint("magenta", ansi.MAGENTA), paint("cyan", ansi.CYAN),
                  paint("red", ansi.RED)))


def greeting(total_params):
    return "# Neural Network with {} learnable parameters\n".format(
        total_params)


def colour_for(capacity, coverage, min_capacity):
    """nolearn's highlight: red for both problems, cyan for coverage over
    100 %, magenta for capacity under ``min_capacity``; None otherwise."""
    too_wide = any(c > 100 for c in coverage)
    too_weak = any(c < min_capacity for c in capacity)
    if too_wide and too_weak:
        return ansi.RED
    if too_wide:
        return ansi.CYAN
    if too_weak:
        return ansi.MAGENTA
    return None


def _painted(text, colour):
    return text if colour is None else "{}{}{}".format(colour, text,
                                                       ansi.ENDC)


def _column(values):
    import numpy as np
    return np.array(values).reshape(-1, 1)


def conv_table(report, detailed=False, color=True):
    """nolearn's capacity/coverage table (its exact bytes for 2D nets)."""
    import numpy as np
    from tabulate import tabulate
    rows = report.rows
    n_axes = max([len(row.capacity) for row in rows] + [1])
    axes = AXIS_NAMES[n_axes]
    header = ['name', 'size', 'total'] + ['cap.' + a for a in axes] + \
        ['cov.' + a for a in axes]
    if detailed:
        header += ['filter ' + a for a in axes] + ['field ' + a for a in axes]
    per_axis = lambda values: values if len(values) == n_axes else \
        (np.nan,) * n_axes
    shapes = [row.output_shape[1:] for row in rows]
    totals = [str(reduce(mul, shape)) if shape else '0' for shape in shapes]
    names = [_painted(row.name, colour_for(row.capacity, row.coverage,
                                           report.min_capacity)
                      if color else None) for row in rows]
    capacity = np.array([per_axis(row.capacity) for row in rows])
    coverage = np.array([per_axis(row.coverage) for row in rows])
    table = np.hstack((_column(names), _column(['x'.join(map(str, s))
                                                for s in shapes]),
                       _column(totals), capacity, coverage))
    if detailed:
        table = np.hstack((
            table,
            np.array([per_axis(row.real_filter) for row in rows]).astype(int),
            np.array([per_axis(row.field) for row in rows]).astype(int)))
    return tabulate(table, header, floatfmt='.2f')


def plain_table(names, shapes):
    """nolearn's table for nets without convs or at ``verbose < 2``."""
    from tabulate import tabulate
    table = OrderedDict([
        ('#', list(range(len(names)))),
        ('name', list(names)),
        ('size', ['x'.join(map(str, shape[1:])) for shape in shapes]),
    ])
    return tabulate(table, 'keys')


# --------------------------------------------------------------------------
# The report formats
# --------------------------------------------------------------------------

def _axes_text(values, digits=None):
    if not values:
        return ""
    if digits is None:
        return "x".join(_number(v) for v in values)
    return "/".join("{:.{}f}".format(v, digits) for v in values)


def _number(value):
    value = float(value)
    return str(int(value)) if value.is_integer() else "{:.3g}".format(value)


def _field_text(row):
    if not row.field:
        return ""
    return "x".join(_number(hi) if lo == hi else "{}-{}".format(
        _number(lo), _number(hi)) for lo, hi in zip(row.field_min, row.field))


#: Columns of the report table: (header, function of a row).
COLUMNS = (
    ("#", lambda r: r.index),
    ("name", lambda r: r.name),
    ("class", lambda r: r.class_name),
    ("size", lambda r: r.size),
    ("params", lambda r: r.n_params),
    ("kernel", lambda r: _axes_text(r.kernel)),
    ("stride", lambda r: _axes_text(r.stride)),
    ("jump", lambda r: _axes_text(r.jump)),
    ("field", _field_text),
    ("real filter", lambda r: _axes_text(r.real_filter)),
    ("cap. %", lambda r: _axes_text(r.capacity, 1)),
    ("cov. %", lambda r: _axes_text(r.coverage, 1)),
    ("flags", lambda r: " ".join(r.flags)),
)


def report_table(report, color=False, tablefmt="simple"):
    """The full report as one table, flags spelled out."""
    from tabulate import tabulate
    headers = [h for h, _ in COLUMNS]
    if any(r.source for r in report.rows):
        headers.insert(4, "input")
    body = []
    for row in report.rows:
        cells = [f(row) for _, f in COLUMNS]
        if len(headers) > len(COLUMNS):
            cells.insert(4, row.source)
        if color:
            cells[1] = _painted(cells[1], colour_for(
                row.capacity, row.coverage, report.min_capacity))
        body.append(cells)
    return tabulate(body, headers, tablefmt=tablefmt, disable_numparse=True)


def text(report, color=False):
    lines = [greeting(report.total_params),
             "## Layer information ({} mode)".format(report.mode), "",
             report_table(report, color)]
    lines += ["", *("warning: " + w for w in report.warnings)] \
        if report.warnings else []
    return "\n".join(lines) + "\n"


FORMATS = OrderedDict([("text", text)])


def render(report, fmt="text", **options):
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise ValueError("unknown format {!r}; valid formats: {}".format(
            fmt, ", ".join(FORMATS))) from None
    return renderer(report, **options)
