"""Renderers: :class:`~nolearn_capacity.core.Report` -> text.

Formats live in one registry (:data:`FORMATS`); :func:`render` looks them
up.  The nolearn layouts (:func:`conv_table`, :func:`plain_table`,
:func:`greeting`, :func:`LEGEND`) reproduce nolearn 0.6.1's printout byte
for byte, so they build the same numpy string table it built.

Names, class names and warnings come from the user's network: every
human-readable format shows them through :func:`~nolearn_capacity.errors.
printable` (control characters escaped, so a name cannot move the cursor,
clear the screen or start a new row); markdown also escapes ``|`` and
``\\``, HTML its own special characters.  JSON keeps them exactly.
"""
import math
from collections import OrderedDict
from functools import lru_cache, reduce
from itertools import chain
from operator import mul

from .errors import BadArgumentError, BadShapeError, describe_layer, \
    printable, shown
from .plain import replace
from .records import LegacyRole
# names of the report module that this module's users have always found
# here (render.FORMATS, render.from_json, ...)
from .report import (AXIS_FIELDS, AXIS_NAMES, COST_FIELDS,  # noqa
                     DEFAULT_MIN_CAPACITY, FLAGS, FORMATS, SCHEMA_VERSION,
                     Report, axis_names, register_format)

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


#: Without colour, flagged names get a plain-text marker instead.
MARKERS = {ansi.MAGENTA: " *", ansi.CYAN: " +", ansi.RED: " *+"}


_LEGEND = (
    "\nExplanation"
    "\n    X, Y:    image dimensions"
    "\n    cap.:    learning capacity"
    "\n    cov.:    coverage of image"
    "\n    {}capacity too low (<{})"
    "\n    {}image coverage too high (>100%)"
    "\n    {}capacity too low and coverage too high\n")


def legend(color=True, min_capacity=DEFAULT_MIN_CAPACITY):
    """nolearn's colour legend; without colour, the markers' legend.  The
    capacity line states ``min_capacity``: nolearn's ``1/6`` for its
    default, else the percentage (``<60%``)."""
    if min_capacity == DEFAULT_MIN_CAPACITY:
        threshold = "1/6"
    else:
        threshold = "{:.4g}%".format(min_capacity)
    if color:
        keys = ("{}{}{}{}".format(c, word, ansi.ENDC, gap) for c, word, gap in
                ((ansi.MAGENTA, "magenta", ": "), (ansi.CYAN, "cyan", ":    "),
                 (ansi.RED, "red", ":     ")))
    else:
        keys = ("{:<9}".format("name{}:".format(MARKERS[c]))
                for c in (ansi.MAGENTA, ansi.CYAN, ansi.RED))
    first, second, third = keys
    return _LEGEND.format(first, threshold, second, third)


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


def _marked(text, colour, color):
    """A flagged name: painted, or with its plain-text marker."""
    if colour is None:
        return text
    return _painted(text, colour) if color else text + MARKERS[colour]


def _column(values):
    import numpy as np
    return np.array(values).reshape(-1, 1)


def conv_table(report, detailed=False, color=True):
    """nolearn's capacity/coverage table (its exact bytes for 2D nets)."""
    rows = report.rows
    n_axes = max([len(row.capacity) for row in rows] + [1])
    axes = AXIS_NAMES[n_axes]
    header = ['name', 'size', 'total'] + ['cap.' + a for a in axes] + \
        ['cov.' + a for a in axes]
    if detailed:
        header += ['filter ' + a for a in axes] + ['field ' + a for a in axes]

    def per_axis(values):
        return values if len(values) == n_axes else (float("nan"),) * n_axes
    shapes = [row.output_shape[1:] for row in rows]
    totals = [_total(row) for row in rows]
    names = [_marked(printable(row.name), colour_for(
        row.capacity, row.coverage, report.min_capacity), color)
        for row in rows]
    sizes = ['x'.join(map(str, s)) for s in shapes]
    ratios = [[per_axis(row.capacity) for row in rows],
              [per_axis(row.coverage) for row in rows]]
    whole = [[per_axis(row.real_filter) for row in rows],
             [per_axis(row.field) for row in rows]] if detailed else []
    text = _tabulated(header, names, sizes, totals, ratios, whole)
    if text is not None:
        return text
    import numpy as np
    from tabulate import tabulate
    table = np.hstack([_column(names), _column(sizes), _column(totals)] +
                      [np.array(block) for block in ratios] +
                      [np.array(block).astype(int) for block in whole])
    return tabulate(table, header, floatfmt='.2f')


#: The letters of the number spellings Python reads ('1e5', 'inf',
#: 'Infinity', 'nan'): a cell with any other letter is not a number.
_NUMBER_LETTERS = frozenset("eEiInNfFtTyYaA")


def _is_text(cell):
    """True if tabulate surely types ``cell`` as text, not as a number or
    a bool ('True', 'False'); a painted name is judged without its codes,
    as tabulate judges it."""
    if not isinstance(cell, str):
        return False
    for colour in MARKERS:
        if cell.startswith(colour) and cell.endswith(ansi.ENDC):
            cell = cell[len(colour):-len(ansi.ENDC)]
            break
    return "\x1b" not in cell and cell not in ("True", "False") and any(
        c.isalpha() and c not in _NUMBER_LETTERS for c in cell)


def _is_int_text(cell):
    """True for an int as ``str`` writes it, which tabulate types int."""
    digits = cell[1:] if cell[:1] == "-" else cell
    return digits.isascii() and digits.isdigit()


def _tabulated(header, names, sizes, totals, ratios, whole):
    """nolearn's table with the cells tabulate would parse formatted here
    (``ratios``: blocks of float columns, ``whole``: blocks that nolearn
    casts to int); None when the bytes might differ, and the caller builds
    nolearn's numpy string table instead.

    nolearn hands tabulate a numpy string array: tabulate parses every
    number back from its string, formats floats with ``'.2f'`` and aligns
    number columns on the decimal point, which is most of the table's time.
    numpy's string of a float64 reads back as the same float, so formatting
    the float itself gives tabulate's cell; tabulate then gets every cell
    with number parsing off and the alignment it would have chosen: right
    (each cell of a column has the same digits after the point, or none),
    'decimal' where 'nan' or 'inf' stand among numbers.  Name and size
    cells go through as they are once one of them proves the column is
    text.  Not here: a name tabulate lays out on several lines, or one with
    a NUL (numpy cuts trailing NULs), and values that are not plain floats
    and ints.
    """
    from tabulate import tabulate
    if not names or not any(map(_is_text, names)) or \
            not any(map(_is_text, sizes)):
        return None
    joined = "".join(names) + "".join(sizes)
    if "\x00" in joined or "\n" in joined or "\r" in joined:
        return None
    if not all(map(_is_int_text, totals)) or not all(
            type(v) is float for block in ratios for row in block
            for v in row):
        return None
    columns = [names, sizes, totals]
    aligns = ["left", "left", "right"]
    for block in ratios:
        for values in zip(*block):
            columns.append([format(v, '.2f') for v in values])
            aligns.append("right" if all(map(math.isfinite, values))
                          else "decimal")
    for block in whole:
        cells = _int_cells(block)
        columns += cells
        aligns += ["right"] * len(cells)
    return tabulate(list(zip(*columns)), header, disable_numparse=True,
                    colalign=aligns)


def _int_cells(block):
    """The columns of ``np.array(block).astype(int)`` as strings: Python
    truncates floats in int64's range as numpy does; numpy casts the rest
    (nan and inf have no int)."""
    values = [v for row in block for v in row]
    if all(type(v) is float and -2. ** 63 < v < 2. ** 63 for v in values) \
            or all(type(v) is int and -2 ** 63 <= v < 2 ** 63
                   for v in values):
        return [[str(int(v)) for v in column] for column in zip(*block)]
    import numpy as np
    return [list(map(str, column))
            for column in zip(*np.array(block).astype(int).tolist())]


def _total(row):
    """The ``total`` column: units per example (nolearn multiplies the
    sizes after the batch axis, and fails on an unknown one)."""
    shape = row.output_shape[1:]
    if not shape:
        return '0'
    if any(size is None for size in shape):
        raise BadShapeError(
            "{}: nolearn's layout counts the units of every output, so it "
            "needs fixed sizes after the batch axis, got output shape {} (the "
            "report formats, e.g. text, show such sizes)".format(
                describe_layer(row.name, row.index, row.class_name),
                shown(tuple(row.output_shape))))
    return str(reduce(mul, shape))


def plain_table(names, shapes):
    """nolearn's table for nets without convs or at ``verbose < 2``."""
    from tabulate import tabulate
    table = OrderedDict([
        ('#', list(range(len(names)))),
        # Non-strings (None for unnamed Lasagne layers) go to tabulate as
        # nolearn gave them, so they print as nolearn printed them.
        ('name', [printable(name) if isinstance(name, str) else name
                  for name in names]),
        ('size', ['x'.join(map(str, shape[1:])) for shape in shapes]),
    ])
    # Columns that are text anyway need not be parsed cell by cell.
    text = [i for i, key in ((1, 'name'), (2, 'size'))
            if any(map(_is_text, table[key]))]
    return tabulate(table, 'keys', disable_numparse=text)


def layer_list(report):
    """nolearn's plain table of a report's rows."""
    # nolearn shows a layer's own name here: None if it has none
    return plain_table([r.name if r.named else None for r in report.rows],
                       [r.output_shape for r in report.rows])


@register_format("nolearn")
def nolearn(report, verbose=2, color=True):
    """nolearn's printout, byte for byte: the greeting, then its plain
    table (``verbose < 2`` or no conv layer) or the capacity / coverage
    table (``verbose >= 3`` adds the filter and field columns) and its
    legend; in exact mode the warnings follow.

    A port's separate activations (legacy role ``'fused'``) have no row:
    Lasagne builds the nonlinearity into the layer before, so the port's
    table lists the layers of its original's.  Lasagne's own layers are
    never ``'fused'``: their printout is nolearn's."""
    report = replace(report, rows=[r for r in report.rows
                                   if r.legacy_role != LegacyRole.FUSED])
    parts = [greeting(report.total_params), "## Layer information", ""]
    if verbose < 2 or not any(r.legacy_role == LegacyRole.CONV
                              for r in report.rows):
        parts.append(layer_list(report))
        return "\n".join(parts) + "\n\n"
    parts += [conv_table(report, detailed=verbose > 2, color=color),
              legend(color, report.min_capacity)]
    text = "\n".join(parts) + "\n\n"
    if report.mode == "exact":
        text += "".join("warning: {}\n".format(w)
                        for w in warning_lines(report))
    return text


# --------------------------------------------------------------------------
# The report formats
# --------------------------------------------------------------------------

def _axes_text(values, spec=None):
    """Per-axis ``values`` as ``8x8`` (:func:`_number`), or with a format
    ``spec`` as ``12.5/12.5``."""
    if not values:
        return ""
    if spec is None:
        return "x".join(map(_number, values))
    return "/".join([format(v, spec) for v in values])


# A table shows few distinct numbers, each in many rows.  The text is the
# value's alone: values that compare equal print alike (0 and -0.0 as 0).
@lru_cache(maxsize=1024)
def _number(value):
    value = float(value)
    return str(int(value)) if value.is_integer() else "{:.3g}".format(value)


def _field_text(row):
    if not row.field:
        return ""
    local = "x".join(_number(hi) if lo == hi else "{}-{}".format(
        _number(lo), _number(hi)) for lo, hi in zip(row.field_min, row.field))
    if not row.context:
        return local
    # the unit sees all the image its pooled input saw; the local field
    # stays, since it is what the layers around it shape
    seen = "whole image" if all(c >= 100 for c in row.coverage) else \
        "global " + _axes_text(row.context)
    return "{} (local {})".format(seen, local)


#: The decimal suffixes of :func:`amount`, largest first.
_SUFFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))


def amount(value):
    """A count for people: exact below 10000, else three significant
    digits and a decimal suffix (``216K``, ``2.24M``); '' when unknown."""
    if value is None:
        return ""
    if value < 10000:
        return str(value)
    value = float(format(value, ".3g"))
    if value >= 1e15:              # no suffix past T: all the digits
        return "{:.0f}T".format(value / 1e12)
    for scale, suffix in _SUFFIXES:
        if value >= scale:
            return format(value / scale, ".3g") + suffix
    return str(int(value))


def cost_summary(report):
    """The report's totals per example as one line, or None for a report
    that knows no costs (one saved before they were counted)."""
    totals = report.totals()
    if all(t is None for t in totals):
        return None
    mult_adds, param_bytes, activation_bytes = (
        "?" if t is None else amount(t) for t in totals)
    return ("{} mult-adds, {} bytes of parameters, {} bytes of layer "
            "outputs per example".format(mult_adds, param_bytes,
                                         activation_bytes))


#: Columns of the report table: (header, function of a row).
COLUMNS = (
    ("#", lambda r: r.index),
    ("name", lambda r: r.name),
    ("class", lambda r: r.class_name),
    ("size", lambda r: r.size),
    ("params", lambda r: r.n_params),
    ("mult-adds", lambda r: amount(r.mult_adds)),
    ("param bytes", lambda r: amount(r.param_bytes)),
    ("out bytes", lambda r: amount(r.activation_bytes)),
    ("kernel", lambda r: _axes_text(r.kernel)),
    ("stride", lambda r: _axes_text(r.stride)),
    ("jump", lambda r: _axes_text(r.jump)),
    ("field", _field_text),
    ("real filter", lambda r: _axes_text(r.real_filter)),
    ("cap. %", lambda r: _axes_text(r.capacity, ".1f")),
    ("cov. %", lambda r: _axes_text(r.coverage, ".1f")),
    ("flags", lambda r: " ".join(r.flags)),
)


def _merged_flags(*rows):
    flags = {f for row in rows for f in row.flags}
    return tuple(f for f in FLAGS if f in flags)


def folded(report):
    """``report`` with each minor row (activation, dropout, flatten; see
    :class:`~nolearn_capacity.report.Row`) folded into the row before when
    it reads that row alone and adds no flag: the row before keeps its
    numbers, its class gains ``+ReLU`` and its params the folded row's, as
    nolearn's layout shows a Lasagne conv with its nonlinearity."""
    rows = []
    for row in report.rows:
        before = rows[-1] if rows else None
        # rows from before's index on are before's (folded or grouped)
        if row.minor and before is not None and len(row.inputs) == 1 and \
                before.index <= row.inputs[0] < row.index and \
                set(row.flags) <= set(before.flags):
            rows[-1] = replace(
                before, class_name=before.class_name + "+" + row.class_name,
                n_params=before.n_params + row.n_params)
        else:
            rows.append(row)
    return replace(report, rows=rows)


def grouped(report, depth):
    """``report`` with the rows deeper than ``depth`` in the module tree
    summarised by their ancestor at ``depth`` (one row per run of rows in
    it): the ancestor's name and class, the last row's size and geometry,
    the summed params and every flag of the run (as torchinfo's depth)."""
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise BadArgumentError("depth should be an int >= 1, got {}".format(
            shown(depth)))
    rows, keys = [], []
    for row in report.rows:
        key = row.module_path[:depth] \
            if len(row.module_path) >= depth else None
        if key is not None and keys and keys[-1] == key:
            first = rows[-1]
            rows[-1] = replace(
                row, index=first.index, name=first.name,
                class_name=first.class_name, inputs=first.inputs,
                module_path=first.module_path, minor=False,
                n_params=first.n_params + row.n_params,
                flags=_merged_flags(first, row),
                # a block of layers has no one window
                kernel=(), stride=(), pad=(), dilation=())
        else:
            if key is not None:
                row = replace(row, name=".".join(n for n, _ in key),
                              class_name=key[-1][1], module_path=key[:-1],
                              minor=False)
            rows.append(row)
            keys.append(key)
    return replace(report, rows=rows)


def shown_report(report, fold=True, depth=None):
    """The rows a table shows: grouped to ``depth`` (None: every row),
    then minor rows folded (``fold``)."""
    if depth is not None:
        report = grouped(report, depth)
    return folded(report) if fold else report


def table_cells(report):
    """Headers and rows of the report table as printable strings: the one
    place the table formats (text, markdown, html) take their cells from.
    The ``input`` column appears when some layer names its image."""
    columns = list(COLUMNS)
    if any(r.source for r in report.rows):
        columns.insert(4, ("input", lambda r: r.source))
    body = [[str(f(row)) for _, f in columns] for row in report.rows]
    # Text is printable when all of it is: one test of the whole table,
    # and cell by cell only when some name needs escaping.
    if not "".join(chain.from_iterable(body)).isprintable():
        body = [[printable(c) for c in cells] for cells in body]
    return [h for h, _ in columns], body


def warning_lines(report):
    """The report's warnings, printable, one string each."""
    return [printable(w) for w in report.warnings]


def _markdown_cell(text):
    # Both escaped, so that no backslash in a name can unescape a pipe.
    return text.replace("\\", "\\\\").replace("|", "\\|")


def report_table(report, color=False, tablefmt="simple", cell=None):
    """The full report as one table, flags spelled out; ``cell`` (a
    function of a printable string) escapes what else ``tablefmt`` needs."""
    from tabulate import tabulate
    headers, body = table_cells(report)
    for row, cells in zip(report.rows, body):
        if cell is not None:
            cells[:] = [cell(c) for c in cells]
        if color:
            cells[1] = _painted(cells[1], colour_for(
                row.capacity, row.coverage, report.min_capacity))
    if tablefmt == "simple" and not color and body and "".join(
            chain.from_iterable(body)).isascii():
        return _simple_table(headers, body)
    return tabulate(body, headers, tablefmt=tablefmt, disable_numparse=True)


def _simple_table(headers, body):
    """tabulate's ``'simple'`` table of text cells (left-aligned, every
    column at least two wider than its header), for ASCII cells without
    colour codes (``body`` not empty): tabulate's cell typing and width
    measuring take most of a big report's rendering time."""
    # tabulate strips every cell (not the headers)
    body = [list(map(str.strip, cells)) for cells in body]
    widths = [max(len(h) + 2, *map(len, column))
              for h, column in zip(headers, zip(*body))]
    # each cell padded to its column's width: one format per line
    line = "  ".join("{{:<{}}}".format(w) for w in widths).format
    return "\n".join([line(*headers).rstrip(),
                      "  ".join("-" * w for w in widths)] +
                     [line(*cells).rstrip() for cells in body])


@register_format("text")
def text(report, color=False, fold=True, depth=None):
    """Greeting and totals, the full report table and the warnings;
    ``fold`` and ``depth`` choose the rows shown (:func:`shown_report`)."""
    summary = cost_summary(report)     # of every layer, folded or not
    report = shown_report(report, fold, depth)
    lines = [greeting(report.total_params) + (
        "# {}\n".format(summary) if summary else ""),
             "## Layer information ({} mode)".format(report.mode), "",
             report_table(report, color)]
    warnings = warning_lines(report)
    lines += ["", *("warning: " + w for w in warnings)] if warnings else []
    return "\n".join(lines) + "\n"


@register_format("markdown")
def markdown(report, color=False, fold=True, depth=None):
    """A GitHub pipe table (``\\`` and ``|`` in cells escaped with a
    backslash); flags as words (markdown has no colour)."""
    summary = cost_summary(report)     # of every layer, folded or not
    report = shown_report(report, fold, depth)
    table = report_table(report, tablefmt="github", cell=_markdown_cell)
    if summary:
        table += "\n\nTotals: {}".format(summary)
    notes = "".join("\n> warning: {}".format(w)
                    for w in warning_lines(report))
    return "{}\n{}\n".format(table, notes) if notes else table + "\n"


@register_format("csv")
def csv(report, color=False):
    """One line per layer; per-axis values in columns ``field_y``, ...
    Names are printable, as in the other text formats (a CSV is read in
    terminals too, and one line per row keeps line tools working); the
    exact names are in the JSON."""
    import csv as csv_module
    import io
    axes = axis_names(report)
    header = ["index", "name", "class", "size", "params", *COST_FIELDS,
              "input"]
    # the context columns only when some row has a context, so that other
    # reports keep their columns
    fields = AXIS_FIELDS + (("context",) if any(
        r.context for r in report.rows) else ())
    header += ["{}_{}".format(f, a.lower()) for f in fields for a in axes]
    header += ["flags"]
    out = io.StringIO()
    writer = csv_module.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in report.rows:
        cells = [row.index, printable(row.name), printable(row.class_name),
                 row.size, row.n_params,
                 *("" if getattr(row, name) is None else getattr(row, name)
                   for name in COST_FIELDS), printable(row.source)]
        for name in fields:
            values = getattr(row, name)
            cells += [values[i] if i < len(values) else ""
                      for i in range(len(axes))]
        writer.writerow(cells + [" ".join(row.flags)])
    return out.getvalue()


def to_dict(report):
    """The report as plain JSON-able data (docs/json-schema.md)."""
    return report.to_dict()


#: A report from :func:`json` output (see :meth:`Report.from_json`).
from_json = Report.from_json


@register_format("json")
def json(report, color=False):
    """The report as JSON: every row with its geometry and numbers, names
    exactly as given; :meth:`Report.from_json` reads it back."""
    import json as json_module
    return json_module.dumps(to_dict(report), indent=2, allow_nan=False) \
        + "\n"


#: HTML colours for nolearn's highlights.
HTML_COLOURS = {ansi.RED: "#c0392b", ansi.CYAN: "#008b8b",
                ansi.MAGENTA: "#a0309a"}


@register_format("html")
def html(report, color=True, fold=True, depth=None):
    """A standalone HTML page: the report table, highlighted as nolearn
    highlights names, flags also spelled out."""
    from html import escape
    summary = cost_summary(report)     # of every layer, folded or not
    report = shown_report(report, fold, depth)
    headers, table = table_cells(report)
    head = "".join("<th>{}</th>".format(escape(h)) for h in headers)
    body = []
    for row, cells in zip(report.rows, table):
        colour = colour_for(row.capacity, row.coverage, report.min_capacity)
        style = ' style="color: {}"'.format(HTML_COLOURS[colour]) \
            if colour and color else ""
        cells = "".join("<td>{}</td>".format(escape(c)) for c in cells)
        body.append('<tr class="{}"{}>{}</tr>'.format(
            " ".join(row.flags), style, cells))
    warnings = "".join("<p class=\"warning\">warning: {}</p>".format(
        escape(w)) for w in warning_lines(report))
    totals = "<p class=\"totals\">{}</p>\n".format(escape(summary)) \
        if summary else ""
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        "<title>Layer information</title></head><body>\n"
        "<p>{}</p>\n{}<table>\n<thead><tr>{}</tr></thead>\n<tbody>\n{}\n"
        "</tbody>\n</table>\n{}</body></html>\n".format(
            escape(greeting(report.total_params).strip("# \n")), totals,
            head, "\n".join(body), warnings))


def render(report, fmt="text", **options):
    """``report`` in format ``fmt``, one of :data:`FORMATS`."""
    return report.render(fmt, **options)
