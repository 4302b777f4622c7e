"""Compare two nets layer by layer: a port against its original.

Both sides are :class:`~nolearn_capacity.report.Report` objects (made here
from whatever :func:`~nolearn_capacity.analysis.analyze` takes, or read
from saved JSON), so a stored report of the original checks a port with
no framework installed.  Only layers that change geometry or learn are
lined up (input, convs, pools, transposed convs, dense / global layers,
merges); per-position layers (nonlinearities, dropout, norms) and pure
reshapes (flatten) are skipped, since ports add or fold those freely.
"""
import math
from dataclasses import dataclass, field

from .analysis import analyze
from .errors import BadReportError, describe_layer, printable
from .records import Op

#: What is compared, in order.
ASPECTS = ("size", "params", "kernel", "stride", "pad", "dilation", "field",
           "capacity", "coverage")


def aspect(row, name):
    """One aspect of a row, as compared: per-axis percentages rounded to
    6 places (two analyses of one net may differ in the last bits)."""
    if name == "size":
        return tuple(row.output_shape[1:])
    if name == "params":
        return row.n_params
    value = getattr(row, name)
    if name in ("capacity", "coverage"):
        return tuple(round(v, 6) for v in value)
    return value


def _is_reshape(row, rows):
    """A flatten, or a parameter-free collapse that keeps every value (as
    reports saved before flatten had an op of its own show one)."""
    if row.op == Op.FLATTEN:
        return True
    if row.op != Op.COLLAPSE or row.n_params or not row.inputs:
        return False
    before = rows[row.inputs[0]].output_shape[1:]
    after = row.output_shape[1:]
    if None in before or None in after:
        return False
    return math.prod(before) == math.prod(after)


def spatial_rows(report):
    """The rows compare lines up."""
    if any(row.op is None for row in report.rows):
        raise BadReportError(
            "a report saved with schema_version 1 has no layer geometry "
            "(op, inputs, pad, dilation), which compare needs; save it again "
            "with this version")
    return [row for row in report.rows
            if row.op not in (Op.POINTWISE, Op.NORMALISE)
            and not _is_reshape(row, report.rows)]


@dataclass
class Difference:
    a: str
    b: str
    aspect: str
    value_a: object
    value_b: object

    def __str__(self):
        return "{} vs {}: {} {} != {}".format(
            self.a, self.b, self.aspect, _show(self.value_a),
            _show(self.value_b))


def _show(value):
    if isinstance(value, tuple):
        return "x".join(_show(v) for v in value) if value else "-"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else "{:.2f}".format(
            value)
    return str(value)


@dataclass
class Comparison:
    """Pairs of lined-up rows and every difference between them."""
    mode: str
    pairs: list
    differences: list = field(default_factory=list)

    @property
    def equivalent(self):
        return not self.differences

    def render(self):
        from tabulate import tabulate
        body = []
        for row_a, row_b in self.pairs:
            cells = [row_a.name if row_a else "-",
                     row_b.name if row_b else "-"]
            for name in ASPECTS:
                va = aspect(row_a, name) if row_a else None
                vb = aspect(row_b, name) if row_b else None
                cells.append(_show(va) if va == vb else "{} | {}".format(
                    _show(va), _show(vb)))
            # Names come from the user's nets: escaped, they cannot
            # forge a row or drive the terminal.
            body.append([printable(c) for c in cells])
        table = tabulate(body, ["A", "B"] + list(ASPECTS),
                         disable_numparse=True)
        if self.equivalent:
            verdict = "equivalent: {} layers line up, no differences".format(
                len(self.pairs))
        else:
            verdict = "{} difference(s):\n".format(len(self.differences)) + \
                "\n".join("  " + printable(d) for d in self.differences)
        return "## Comparison ({} mode)\n\n{}\n\n{}\n".format(
            self.mode, table, verdict)


def compare(a, b, mode="exact", input_shape_a=None, input_shape_b=None):
    """Line up two nets and list their differences.

    Parameters
    ----------
    a, b : anything :func:`nolearn_capacity.analyze` takes, or a saved
        :class:`~nolearn_capacity.report.Report` (made in ``mode``)
    mode : {'exact', 'legacy'}
        Which receptive-field numbers to compare.

    Returns
    -------
    Comparison
        ``.equivalent`` is True when nothing differs; ``.render()`` prints
        the nets side by side with every difference.
    """
    sides = [spatial_rows(analyze(obj, mode, input_shape=shape))
             for obj, shape in ((a, input_shape_a), (b, input_shape_b))]
    pairs, differences = [], []
    for k in range(max(len(s) for s in sides)):
        left = sides[0][k] if k < len(sides[0]) else None
        right = sides[1][k] if k < len(sides[1]) else None
        pairs.append((left, right))
        name_a, name_b = _name(left), _name(right)
        if left is None or right is None:
            differences.append(Difference(name_a, name_b, "layer",
                                          "present" if left else "missing",
                                          "present" if right else "missing"))
            continue
        for name in ASPECTS:
            va, vb = aspect(left, name), aspect(right, name)
            if va != vb:
                differences.append(Difference(name_a, name_b, name, va, vb))
    return Comparison(mode, pairs, differences)


def _name(row):
    if row is None:
        return "(nothing)"
    return describe_layer(row.name, row.index, row.class_name)
