"""Compare two nets layer by layer: a port against its original.

Only layers that change geometry or learn are lined up (input, convs,
pools, transposed convs, dense / global layers, merges); per-position
layers (nonlinearities, dropout, norms) and pure reshapes (flatten) are
skipped, since ports add or fold those freely.
"""
import math
from dataclasses import dataclass, field

from . import core
from .adapters import to_network
from .errors import describe_layer, printable

#: What is compared, in order: (label, function of (record, row)).
ASPECTS = (
    ("size", lambda rec, row: tuple(rec.output_shape[1:])),
    ("params", lambda rec, row: rec.n_params),
    ("kernel", lambda rec, row: rec.kernel),
    ("stride", lambda rec, row: rec.stride),
    ("pad", lambda rec, row: rec.pad),
    ("dilation", lambda rec, row: rec.dilation),
    ("field", lambda rec, row: row.field),
    ("capacity", lambda rec, row: _rounded(row.capacity)),
    ("coverage", lambda rec, row: _rounded(row.coverage)),
)


def _rounded(values):
    return tuple(round(v, 6) for v in values)


def _is_reshape(record, layers):
    """A parameter-free collapse that keeps every value (flatten)."""
    if record.op != "collapse" or record.n_params or not record.inputs:
        return False
    before = layers[record.inputs[0]].output_shape[1:]
    after = record.output_shape[1:]
    if None in before or None in after:
        return False
    return math.prod(before) == math.prod(after)


def spatial_layers(network):
    """Indices of the layers compare lines up."""
    layers = network.layers
    return [i for i, r in enumerate(layers)
            if r.op not in ("pointwise",) and not _is_reshape(r, layers)]


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
        for (ra, rowa), (rb, rowb) in self.pairs:
            cells = [rowa.name if rowa else "-", rowb.name if rowb else "-"]
            for label, get in ASPECTS:
                va = get(ra, rowa) if ra else None
                vb = get(rb, rowb) if rb else None
                cells.append(_show(va) if va == vb else "{} | {}".format(
                    _show(va), _show(vb)))
            # Names come from the user's nets: escaped, they cannot
            # forge a row or drive the terminal.
            body.append([printable(c) for c in cells])
        table = tabulate(body, ["A", "B"] + [a for a, _ in ASPECTS],
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
    a, b : anything :func:`nolearn_capacity.analyze` takes
    mode : {'exact', 'legacy'}
        Which receptive-field numbers to compare.

    Returns
    -------
    Comparison
        ``.equivalent`` is True when nothing differs; ``.render()`` prints
        the nets side by side with every difference.
    """
    sides = []
    for obj, shape in ((a, input_shape_a), (b, input_shape_b)):
        network = to_network(obj, complete=(mode == "exact"),
                             input_shape=shape)
        report = core.report(network, mode)
        sides.append([(network.layers[i], report.rows[i], i)
                      for i in spatial_layers(network)])
    pairs, differences = [], []
    longest = max(len(s) for s in sides)
    for k in range(longest):
        left = sides[0][k] if k < len(sides[0]) else None
        right = sides[1][k] if k < len(sides[1]) else None
        pairs.append(((left[0], left[1]) if left else (None, None),
                      (right[0], right[1]) if right else (None, None)))
        name_a = _name(left)
        name_b = _name(right)
        if left is None or right is None:
            differences.append(Difference(name_a, name_b, "layer",
                                          "present" if left else "missing",
                                          "present" if right else "missing"))
            continue
        for label, get in ASPECTS:
            va, vb = get(left[0], left[1]), get(right[0], right[1])
            if va != vb:
                differences.append(Difference(name_a, name_b, label, va, vb))
    return Comparison(mode, pairs, differences)


def _name(side):
    if side is None:
        return "(nothing)"
    record, _, index = side
    return describe_layer(record.label, index, record.class_name)
