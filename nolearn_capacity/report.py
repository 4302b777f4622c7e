"""The hand-off: a :class:`Report` of one :class:`Row` per layer.

The rules (:mod:`.core`) make reports; renderers (:mod:`.render`,
:mod:`.plot`), :mod:`.compare`, the drop-in and the CLI read them.  A
report holds everything they need (geometry per layer as well as the
numbers), so it can be saved as JSON, read back with :meth:`Report.from_json`
and rendered or compared later without any framework.

Renderers register themselves here (:func:`register_format`); this module
imports none of them, so imports go one way.
"""
from __future__ import annotations

import functools
import numbers
from collections.abc import Callable

from .errors import BadArgumentError, BadReportError, clipped, printable, \
    shown
from .plain import field as fresh, record
from .records import LegacyRole, Op, Words

#: Cao's rule of thumb (and nolearn's default): capacity below 1/6 is low.
DEFAULT_MIN_CAPACITY = 100. / 6

#: The analyses a report can come from.
MODES = ("exact", "legacy")

#: A result per spatial axis, first axis first (Y, X for 2D).
PerAxis = tuple[float, ...]

#: Axis letters of per-axis values, by number of spatial axes.
AXIS_NAMES = {1: ("X",), 2: ("Y", "X"), 3: ("Z", "Y", "X")}


class Flag(Words):
    """What a row is flagged for, in the order flags are shown."""
    #: a unit of this layer depends on no input pixel at all
    SEES_NOTHING = "sees-nothing"
    #: capacity under ``min_capacity`` on some axis
    LOW_CAPACITY = "low-capacity"
    #: the field is wider than the image on some axis
    OVER_COVERAGE = "over-coverage"
    #: merged branches whose grids disagree
    MISALIGNED = "misaligned"
    #: a layer without a geometry rule upstream
    APPROXIMATE = "approximate"
    #: neighbouring units see fields of different sizes
    SHIFT_VARIANT = "shift-variant"
    #: a unit also depends on an input pooled to one position and broadcast
    #: back (squeeze-and-excitation, ASPP image pooling): see ``context``
    GLOBAL_CONTEXT = "global-context"


#: Flag names, in the order they are shown.
FLAGS = tuple(Flag)


@record
class Row:
    """One table row.  Per-axis values are tuples (Y, X for 2D).

    ``op``, ``inputs`` (indices of the rows feeding this one), ``kernel``,
    ``stride``, ``pad`` (leading), ``dilation``, ``legacy_role`` and
    ``note`` are the layer's geometry, as its adapter read it; the rest is
    what the analysis found.  ``name`` is the layer's name, or nolearn's
    label for an unnamed layer (``named`` False).  The costs
    (:data:`COST_FIELDS`) are per example; None where unknown.  ``context``
    is, per axis, the image pixels a unit sees through an input pooled to
    one position (empty without one); ``field`` then stays the local
    field.  ``module_path`` (the ``(name, class_name)`` pairs of the
    modules holding the layer) and ``minor`` (a row a reader can skip) let
    tables fold and group rows.
    """
    index: int
    name: str
    class_name: str
    output_shape: tuple
    n_params: int
    op: Op | None = None
    inputs: tuple[int, ...] = ()
    kernel: tuple[int, ...] = ()
    stride: tuple[int, ...] = ()
    pad: tuple[int, ...] = ()
    dilation: tuple[int, ...] = ()
    #: input pixels between neighbouring units
    jump: PerAxis = ()
    #: the receptive field, in input pixels (the widest over unit phases)
    field: PerAxis = ()
    #: the narrowest receptive field over unit phases
    field_min: PerAxis = ()
    #: where the first unit's field is centred, in input pixels
    start: PerAxis = ()
    #: Cao's real filter size: the kernel times the downsampling before it
    real_filter: PerAxis = ()
    #: real filter / field, in %
    capacity: PerAxis = ()
    #: field / input size, in %
    coverage: PerAxis = ()
    source: str = ""
    flags: tuple = ()
    legacy_role: LegacyRole | None = None
    note: str = ""
    named: bool = True
    mult_adds: int | None = None
    param_bytes: int | None = None
    activation_bytes: int | None = None
    context: tuple = ()
    module_path: tuple = ()
    minor: bool = False

    @property
    def size(self):
        return "x".join(map(str, self.output_shape[1:]))

    @property
    def global_context(self):
        """True when a unit depends on a pooled input broadcast back."""
        return bool(self.context)


#: Per-axis row attributes, in CSV / JSON order.
AXIS_FIELDS = ("kernel", "stride", "pad", "dilation", "jump", "field_min",
               "field", "start", "real_filter", "capacity", "coverage")

#: Per-example costs of a row (ints or None), in CSV / JSON order:
#: mult-adds, bytes of its parameters, bytes of its output.
COST_FIELDS = ("mult_adds", "param_bytes", "activation_bytes")

#: Bump when the JSON layout changes incompatibly.  Version 1 had no
#: geometry (op, inputs, pad, dilation, legacy_role, note); it still reads.
SCHEMA_VERSION = 2

#: name -> renderer(report, **options) -> str; filled by :mod:`.render`.
FORMATS: dict[str, Callable[..., str]] = {}

#: name -> writer(report, path) -> path; filled by :mod:`.plot`.
WRITERS: dict[str, Callable[..., str]] = {}


def register_format(name, registry=FORMATS):
    """Decorator: ``renderer(report, **options)`` renders format ``name``."""
    def add(renderer):
        registry[name] = renderer
        return renderer
    return add


def axis_names(report):
    """The axis letters of a report's per-axis columns (Y, X for 2D)."""
    n = max([len(r.capacity) for r in report.rows] + [0])
    return AXIS_NAMES.get(n, ())


@record
class Report:
    """The result of an analysis: rows, warnings and what produced them."""
    mode: str
    rows: list
    warnings: list = fresh(default_factory=list)
    total_params: int = 0
    min_capacity: float = DEFAULT_MIN_CAPACITY
    #: the bytes of the ``total_params`` parameters (None: unknown)
    total_param_bytes: int | None = None

    def totals(self):
        """``(mult_adds, param_bytes, activation_bytes)`` of the whole net
        per example (activations: every row's output, input included);
        None where no row knows it.  Rows with unknown costs are left out
        of the sums."""
        sums = []
        for name in COST_FIELDS:
            known = [getattr(r, name) for r in self.rows
                     if getattr(r, name) is not None]
            sums.append(sum(known) if known else None)
        if self.total_param_bytes is not None:
            sums[1] = self.total_param_bytes   # shared parameters once
        return tuple(sums)

    def render(self, fmt="text", **options):
        """The report as text in format ``fmt`` (see :data:`FORMATS`)."""
        try:
            renderer = FORMATS[fmt]
        except (KeyError, TypeError):
            raise BadArgumentError("unknown format {}; valid formats: {}"
                                   .format(shown(fmt), ", ".join(FORMATS))
                                   ) from None
        return renderer(self, **options)

    def __str__(self):
        return self.render("text", color=False)

    def to_text(self, color=False):
        return self.render("text", color=color)

    def to_markdown(self):
        return self.render("markdown")

    def to_csv(self):
        return self.render("csv")

    def to_json(self):
        return self.render("json")

    def to_html(self, color=True):
        return self.render("html", color=color)

    def plot(self, path):
        """Capacity and coverage against depth, to a PNG or SVG file
        (needs matplotlib: ``pip install nolearn_capacity[plot]``)."""
        return WRITERS["plot"](self, path)

    def to_dict(self):
        """The report as plain JSON-able data (docs/json-schema.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "mode": self.mode,
            "total_params": self.total_params,
            "total_param_bytes": self.total_param_bytes,
            "min_capacity": self.min_capacity,
            "warnings": list(self.warnings),
            "rows": [{
                "index": row.index, "name": row.name,
                "class": row.class_name,
                "op": None if row.op is None else str(row.op),
                "inputs": list(row.inputs),
                "output_shape": list(row.output_shape),
                "params": row.n_params,
                **{name: getattr(row, name) for name in COST_FIELDS},
                "input": row.source,
                **{name: list(getattr(row, name)) for name in AXIS_FIELDS},
                # only where there is one, so that other reports read as
                # they always did
                **({"context": list(row.context)} if row.context else {}),
                "flags": [str(f) for f in row.flags],
                "legacy_role": None if row.legacy_role is None
                else str(row.legacy_role),
                "note": row.note, "named": row.named,
                # only where set: reports of Lasagne nets and specs keep
                # their layout
                **({"module_path": [list(pair) for pair in row.module_path]}
                   if row.module_path else {}),
                **({"minor": True} if row.minor else {}),
            } for row in self.rows],
        }

    @classmethod
    def from_dict(cls, data, where="the report"):
        """A report from :meth:`to_dict`'s data; anything else raises
        :class:`~nolearn_capacity.errors.BadReportError` naming the key,
        the row and the value found."""
        return _read(data, where)

    @classmethod
    def from_json(cls, text, where="the report"):
        """A report from JSON text (the ``json`` format's output)."""
        import json
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise BadReportError("{} is not a JSON report: {}".format(
                where, clipped(printable(error), 120))) from None
        except RecursionError:
            raise BadReportError("{} is not a JSON report: nested too "
                                 "deeply".format(where)) from None
        return cls.from_dict(data, where)


def is_report_data(data):
    """True for what :meth:`Report.to_dict` makes (a saved report)."""
    return isinstance(data, dict) and "schema_version" in data


# --------------------------------------------------------------------------
# Reading saved reports back, checked
# --------------------------------------------------------------------------

def _integer(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _optional_integer(v):
    return v is None or (_integer(v) and v >= 0)


def _number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _string(v):
    return isinstance(v, str)


def _list_of(test):
    return lambda v: isinstance(v, list) and all(test(x) for x in v)


def _member(kind, optional=True):
    values = {m.value for m in kind}
    return lambda v: (v is None and optional) or (_string(v) and v in values)


_MISSING = object()


def _get(obj, key, test, expected, where, default=_MISSING):
    if key not in obj:
        if default is not _MISSING:
            return default
        raise BadReportError("{} has no {!r} (expected {})".format(
            where, key, expected))
    if not test(obj[key]):
        raise BadReportError("{}: {!r} should be {}, got {}".format(
            where, key, expected, shown(obj[key])))
    return obj[key]


def _get_in(obj, where, key, test, expected, **default):
    return _get(obj, key, test, expected, where, **default)


def _enum(kind, value):
    return None if value is None else kind(value)


def _read(data, where):
    if not isinstance(data, dict):
        raise BadReportError("{}: a JSON report is an object with "
                             "schema_version and rows, got {}".format(
                                 where, shown(data)))
    version = data.get("schema_version")
    if version not in (1, SCHEMA_VERSION):
        raise BadReportError("{}: unsupported schema_version {}, expected "
                             "1 or {}".format(where, shown(version),
                                              SCHEMA_VERSION))
    # version 1 lacks the geometry: absent keys take empty values
    old = {} if version == SCHEMA_VERSION else {"default": None}
    old_tuple = {} if version == SCHEMA_VERSION else {"default": []}
    mode = _get(data, "mode", lambda v: _string(v) and v in MODES,
                " or ".join(map(repr, MODES)), where)
    sizes = _list_of(lambda v: v is None or _integer(v))
    rows = []
    for i, r in enumerate(_get(data, "rows", _list_of(lambda v: isinstance(
            v, dict)), "a list of row objects", where)):
        get = functools.partial(_get_in, r, "{}, row #{}".format(where, i))
        # checked in the order to_dict writes them
        values = dict(
            index=get("index", _integer, "an int"),
            name=get("name", _string, "a string"),
            class_name=get("class", _string, "a string"),
            op=_enum(Op, get("op", _member(Op), "an op or null", **old)),
            inputs=tuple(get("inputs", _list_of(_integer), "a list of ints",
                             **old_tuple)),
            output_shape=tuple(get("output_shape", sizes,
                                   "a list of ints or nulls")),
            n_params=get("params", _integer, "an int"))
        for name in COST_FIELDS:
            # added within version 2: absent in older files, unknown
            values[name] = get(name, _optional_integer, "an int or null",
                               default=None)
        values["source"] = get("input", _string, "a string")
        for name in AXIS_FIELDS:
            values[name] = tuple(get(
                name, _list_of(_number), "a list of numbers",
                **(old_tuple if name in ("pad", "dilation") else {})))
        values.update(
            context=tuple(get("context", _list_of(_number),
                              "a list of numbers", default=[])),
            flags=tuple(Flag(f) for f in get(
                "flags", _list_of(_member(Flag, optional=False)),
                "a list of flag names")),
            legacy_role=_enum(LegacyRole, get(
                "legacy_role", _member(LegacyRole),
                "a legacy role or null", **old)),
            note=get("note", _string, "a string",
                     **({} if version == SCHEMA_VERSION
                        else {"default": ""})),
            named=get("named", lambda v: isinstance(v, bool), "a bool",
                      **({} if version == SCHEMA_VERSION
                         else {"default": True})),
            # added to version 2 later: optional in every version
            module_path=tuple(tuple(pair) for pair in get(
                "module_path", _list_of(lambda v: _list_of(_string)(v) and
                                        len(v) == 2),
                "a list of [name, class] pairs", default=[])),
            minor=get("minor", lambda v: isinstance(v, bool), "a bool",
                      default=False))
        rows.append(Row(**values))
    return Report(mode, rows,
                  list(_get(data, "warnings", _list_of(_string),
                            "a list of strings", where)),
                  _get(data, "total_params", _integer, "an int", where),
                  _get(data, "min_capacity", _number, "a number", where),
                  _get(data, "total_param_bytes", _optional_integer,
                       "an int or null", where, default=None))
