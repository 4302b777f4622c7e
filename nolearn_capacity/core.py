"""The neutral core: the arithmetic over layer records.

Nothing here knows any framework.  Adapters (``nolearn_capacity.adapters``)
turn Lasagne layers, nolearn nets, plain specs and torch modules into
:class:`~nolearn_capacity.records.LayerRecord` lists; the rules here turn
them into a :class:`~nolearn_capacity.report.Report`, which renderers turn
into text.

Two sets of rules walk the same records:

* ``legacy``: nolearn 0.6.1's arithmetic, quirks included (a list walk that
  stops at the first layer that is neither a conv nor a max-pool);
* ``exact``: per-axis receptive fields over the layer graph, with stride,
  padding, dilation, pooling windows, transposed convs and merges
  (Araujo, Norris & Sim, Distill 2019; Dumoulin & Visin 2016).
"""
from __future__ import annotations

import math
import numbers

from .errors import (BadArgumentError, BadShapeError, GraphError, shown)
from . import plain

# Records and reports live in their own modules; their names stay
# reachable here, where the rules that use them are.
from .records import (LayerRecord, LegacyRole, Network, Op,  # noqa: F401
                      PadMode, layer_id, spatial_shape)
from .report import DEFAULT_MIN_CAPACITY, FLAGS, Flag, Report, Row  # noqa

# --------------------------------------------------------------------------
# Legacy rules: nolearn 0.6.1, byte for byte
# --------------------------------------------------------------------------

def legacy_walk(layers, img_size):
    """nolearn's ``get_real_filter`` and ``get_receptive_field`` in one
    walk: two lists of ``(y, x)`` floats.

    Plain Python floats, so that legacy reports need no numpy; the float
    operations are the original's numpy ones, in the original's order, so
    every value is equal.  Quirks kept on purpose: row 0 is only filled in
    at the end (a pool right after the input copies zeros), stride /
    padding / pooling windows are ignored, and the first layer that is
    neither conv nor max-pool ends the walk for good.
    """
    image = tuple(map(float, _pair(img_size, "image size", None, 0)))
    real_filter, field = [(0., 0.)], [(0., 0.)]
    walking = True
    first_conv = True
    factor = (1., 1.)
    for j in range(1, len(layers)):
        record = layers[j]
        role = record.legacy_role if walking else None
        if role == "conv":
            size = _pair(record.legacy_size, "filter_size", record, j)
            real_filter.append((float(size[0]) * factor[0],
                                float(size[1]) * factor[1]))
            if first_conv:
                field.append((float(size[0]), float(size[1])))
                first_conv = False
            else:
                last = field[j - 1]
                field.append((last[0] + factor[0] * float(size[0] - 1),
                              last[1] + factor[1] * float(size[1] - 1)))
        elif role == "maxpool":
            size = _pair(record.legacy_size, "pool_size", record, j)
            real_filter.append(real_filter[j - 1])
            field.append(field[j - 1])
            factor = (factor[0] * float(size[0]),
                      factor[1] * float(size[1]))
        elif role == "fused":
            # A port's separate activation: Lasagne fuses it into the conv
            # or dense layer before it, so nolearn never saw a row for it.
            real_filter.append(real_filter[j - 1])
            field.append(field[j - 1])
        else:
            walking = False
            real_filter.append(image)
            field.append(image)
    real_filter[0] = field[0] = image
    return real_filter, field


def _pair(value, what, record, index):
    """A size as nolearn's numpy arithmetic reads it: one number for both
    axes, or one per axis."""
    try:
        values = tuple(value)
    except TypeError:
        values = (value,)
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or not all(
            isinstance(v, numbers.Real) for v in values):
        where = "legacy mode" if record is None else layer_id(record, index)
        raise BadShapeError("{}: {} should be one number or two, got {}"
                            .format(where, what, shown(value)))
    return values


def legacy_filters_and_fields(layers, img_size):
    """:func:`legacy_walk` as nolearn's two ``(n, 2)`` float arrays."""
    import numpy as np   # lazily: `import nolearn_capacity` stays light
    real_filter, field = legacy_walk(layers, img_size)
    return np.array(real_filter), np.array(field)


def legacy_capacity_coverage(real_filter, field, img_size):
    """Capacity and coverage in percent per row, as nolearn computes them
    (a capacity that is not finite, e.g. of a zero field, becomes 1)."""
    capacity = [tuple(_legacy_capacity(r, f) for r, f in zip(reals, fields))
                for reals, fields in zip(real_filter, field)]
    coverage = [tuple(100. * f / size for f, size in zip(fields, img_size))
                for fields in field]
    return capacity, coverage


def _legacy_capacity(real, field):
    try:
        value = 100. * real / field
    except ZeroDivisionError:
        return 1.
    return value if math.isfinite(value) else 1.


# --------------------------------------------------------------------------
# Exact rules: per axis, over the graph
# --------------------------------------------------------------------------

_TOL = 1e-9


@plain.record
class AxisState:
    """What one unit of a layer sees along one axis, in input pixels."""
    jump: float = 1.0         # distance between neighbouring units
    field_min: float = 1.0    # smallest receptive field over output phases
    field_max: float = 1.0    # largest receptive field over output phases
    start: float = 0.5        # centre of the first unit
    real_filter: float = 1.0  # Cao's real filter size
    # The exact fields, unit by unit, over one period of units: unit u sees
    # input pixels spans[u % P] moved by (u // P) * shift (None: nothing).
    # None when they are not tracked (fields then follow the formulas).
    spans: tuple | None = ((0, 0),)
    shift: int = 1


@plain.record
class UnitState:
    """Per-axis states of a layer, plus where they came from."""
    axes: tuple[AxisState, ...]
    source: int               # index of the input layer coverage refers to
    spatial: bool = True      # False once the map has been collapsed
    approximate: bool = False
    shift_variant: bool = False
    misaligned: bool = False
    # Per axis, how many image pixels a unit also sees through an input
    # pooled to one position and broadcast back (a squeeze-and-excitation
    # gate, ASPP image pooling); () when it has no such input.
    context: tuple = ()
    # True once a collapse pooled the map (not when an unknown op lost
    # the axes): only then is what a unit sees the whole map's union.
    pooled: bool = False
    # After a flatten: per map whose positions the units carry, the map's
    # axes and spatial lengths, so that a later collapse takes the union
    # over its positions; () when the units carry no position.
    carried: tuple = ()


#: Longest period of unit patterns tracked exactly (transposed strides
#: multiply it); past it, fields follow the uniform formulas.
MAX_PERIOD = 4096
#: Most span look-ups one layer may spend on tracking (a unit looks up at
#: most two per phase of its input, whatever its kernel); past it, the
#: uniform formulas, so that no layer takes more than about a second.
MAX_LOOKUPS = 2 ** 18


def _span_of(state, unit):
    """The (first, last) input pixel a unit sees, or None."""
    turns, phase = divmod(unit, len(state.spans))
    return _moved(state.spans[phase], turns * state.shift)


def _moved(span, step):
    return None if span is None else (span[0] + step, span[1] + step)


def _union(spans):
    spans = [s for s in spans if s is not None]
    return (min(s[0] for s in spans), max(s[1] for s in spans)) \
        if spans else None


def _shortest_period(spans, shift):
    n = len(spans)
    for p in range(1, n):
        if n % p or (shift * p) % n:
            continue
        step = shift * p // n
        if all(_moved(spans[u], step) == spans[u + p] for u in range(n - p)):
            return spans[:p], step
    return spans, shift


def _exact(state, spans, shift):
    """``state`` with its fields taken from the exact ``spans`` of one
    period of units (None: not tracked)."""
    if spans is None:
        state.spans = None
        return state
    spans, shift = _shortest_period(tuple(spans), shift)
    sizes = [0 if s is None else s[1] - s[0] + 1 for s in spans]
    state.spans, state.shift = spans, shift
    state.field_min, state.field_max = float(min(sizes)), float(max(sizes))
    if len(spans) == 1 and spans[0] is not None:
        state.start = (spans[0][0] + spans[0][1] + 1) / 2.
    return state


def _integral(value):
    """True for an int of any kind (numpy's too).  Plain ints are asked
    first: the ABC check takes ten times as long, and the walk asks for
    every kernel, stride, pad and map length."""
    return type(value) is int or isinstance(value, numbers.Integral)


def _in_place(kernel, stride, pad):
    """Whether unit u of a window reads its input's unit u alone (a 1x1
    window with stride 1 and no padding: most layers of a mobile net), so
    that its units see what its input's see."""
    return kernel == 1 and stride == 1 and pad == 0


def _tracked(prev, *values):
    return prev.spans is not None and all(map(_integral, values))


def _progression_union(prev, first, step, count):
    """The union of the spans of input units ``first + step * k``, ``k`` in
    ``range(count)``, in at most ``2 * len(prev.spans)`` look-ups.

    Units ``L = P / gcd(P, step)`` apart share their phase (``P`` the
    period) and their spans only move forward with the unit, so of each
    residue class of ``k`` modulo ``L`` only the first and last unit
    matter, whatever ``count`` is.
    """
    cycle = len(prev.spans) // math.gcd(len(prev.spans), step)
    ends = []
    for k in range(min(count, cycle)):
        last = k + (count - 1 - k) // cycle * cycle
        ends += [_span_of(prev, first + step * k),
                 _span_of(prev, first + step * last)]
    return _union(ends)


def _window(prev, kernel, stride, pad, dilation, learns):
    extent = dilation * (kernel - 1) + 1
    growth = (extent - 1) * prev.jump
    state = AxisState(
        jump=prev.jump * stride,
        field_min=prev.field_min + growth,
        field_max=prev.field_max + growth,
        start=prev.start + ((extent - 1) / 2. - pad) * prev.jump,
        real_filter=growth + prev.jump if learns else prev.real_filter)
    if not _tracked(prev, kernel, stride, pad, dilation):
        return _exact(state, None, 0)
    if _in_place(kernel, stride, pad):
        return _exact(state, prev.spans, prev.shift)
    # unit u reads units u * stride + dilation * m - pad of its input
    period = len(prev.spans) // math.gcd(len(prev.spans), stride)
    if period * min(kernel, len(prev.spans)) > MAX_LOOKUPS:
        return _exact(state, None, 0)
    spans = [_progression_union(prev, u * stride - pad, dilation, kernel)
             for u in range(period)]
    return _exact(state, spans,
                  prev.shift * (period * stride // len(prev.spans)))


def _taps(kernel, stride, dilation, phase):
    """The kernel taps ``m`` with ``dilation * m = phase (mod stride)``:
    ``(first, count)``, every ``stride / gcd(stride, dilation)``-th tap
    from ``first`` on, or None when no tap reaches the phase."""
    g = math.gcd(stride, dilation)
    cycle = stride // g
    if phase % g:
        return None
    first = phase // g * pow(int(dilation // g), -1, int(cycle)) % cycle
    if first >= kernel:
        return None
    return first, (kernel - 1 - first) // cycle + 1


def _transposed(prev, kernel, stride, crop, dilation, learns):
    # Output o takes input i through tap m when o = i*stride + dilation*m
    # - crop: which taps reach a unit depends on its phase (o + crop) mod
    # stride, so the field can differ between neighbouring units.  The
    # taps of a phase are every (stride / g)-th, g = gcd(stride, dilation);
    # the phases reached are the multiples of g, where the first tap takes
    # each residue below min(stride / g, kernel) once: the most taps fall
    # on residue 0, the fewest on the last residue.
    g = math.gcd(stride, dilation)
    cycle = stride // g
    most = (kernel - 1) // cycle + 1
    fewest = kernel // cycle if cycle <= kernel else 1
    widest = dilation * ((most - 1) * cycle) / stride
    narrowest = dilation * ((fewest - 1) * cycle) / stride
    empty_phase = g > 1 or cycle > kernel
    extent = dilation * (kernel - 1) + 1
    growth_max = widest * prev.jump
    state = AxisState(
        jump=prev.jump / stride,
        field_min=(0. if empty_phase
                   else prev.field_min + narrowest * prev.jump),
        field_max=prev.field_max + growth_max,
        start=prev.start + (crop - (extent - 1) / 2.) / stride * prev.jump,
        real_filter=growth_max + prev.jump if learns else prev.real_filter)
    if not _tracked(prev, kernel, stride, crop, dilation) or \
            len(prev.spans) * stride > MAX_PERIOD or len(prev.spans) * \
            stride * min(kernel, len(prev.spans)) > MAX_LOOKUPS:
        return _exact(state, None, 0)
    # one period of the input's units makes stride times as many outputs;
    # the taps of a phase read every (dilation / g)-th input unit, backwards
    fields = []
    for o in range(len(prev.spans) * stride):
        taps = _taps(kernel, stride, dilation, (o + crop) % stride)
        fields.append(None if taps is None else _progression_union(
            prev, (o + crop - dilation * taps[0]) // stride, -(dilation // g),
            taps[1]))
    return _exact(state, fields, prev.shift)


#: The per-axis rule of each sliding op (the other ops are handled by
#: the walk itself: input, pointwise, unknown, collapse, merge).
SLIDING_RULES = {Op.WINDOW: _window, Op.TRANSPOSED: _transposed}


def _collapse(prev, length, image=None, reach=None):
    # A unit that sees the whole input map sees every image pixel some
    # unit of the map reads: its ``reach`` along this axis ((first, last),
    # () when it reads none; None: not known, see :class:`_Reach`).
    # Without it, the union of the units' fields clipped to the image
    # (``image`` pixels, None: unknown): padding is no pixel, but the
    # clipped union can pass the last pixel read where a stride cut it off.
    if reach is not None:
        return _whole(reach) if reach else _nothing(prev)
    if prev.spans is not None and _integral(length):
        # the first period holds the first pixel, the last period the last
        period = len(prev.spans)
        whole = _union(_span_of(prev, u) for u in set(range(min(
            period, length))) | set(range(max(0, length - period), length)))
        if whole is not None and image is not None:
            whole = (max(whole[0], 0), min(whole[1], image - 1))
            if whole[0] > whole[1]:
                whole = None
        return _nothing(prev) if whole is None else _whole(whole)
    span = (length - 1) * prev.jump
    centre = prev.start + span / 2.
    low, high = centre - (prev.field_max + span) / 2., \
        centre + (prev.field_max + span) / 2.
    if image is not None:
        low, high = max(low, 0.), min(high, float(image))
    total = max(high - low, 0.)
    return AxisState(jump=total, field_min=min(prev.field_min + span, total),
                     field_max=total, start=(low + high) / 2.,
                     real_filter=total, spans=None)


def _whole(span):
    """The axis of a unit that reads input pixels ``span`` (first, last)."""
    size = span[1] - span[0] + 1.
    return AxisState(jump=size, field_min=size, field_max=size,
                     start=(span[0] + span[1] + 1) / 2., real_filter=size,
                     spans=(tuple(span),), shift=int(size))


def _union_of_carried(carried, image):
    """Per axis, what a unit that depends on every position of the
    ``carried`` maps (``(axes, lengths, reach)`` each, ``reach`` as
    :meth:`_Reach.of` gives it) sees: the union of each map's
    :func:`_collapse`."""
    n = len(carried[0][0])
    if len(image) != n or not all(map(_integral, image)):
        image = (None,) * n
    seen = [_seen_jointly(tuple(
        _collapse(a, length, size,
                  None if reach is None else reach[axis] if reach else ())
        for axis, (a, length, size) in enumerate(zip(axes, lengths, image))))
        for axes, lengths, reach in carried]
    if len(seen) == 1:
        return seen[0]
    seen = [axes for axes in seen if not _sees_nothing(axes[0])] or seen[:1]
    union = []
    for options in zip(*seen):
        low = min(a.start - a.field_max / 2. for a in options)
        high = max(a.start + a.field_max / 2. for a in options)
        size = high - low
        exact = all(a.spans is not None for a in options)
        union.append(AxisState(
            jump=size, field_min=size if exact else max(
                a.field_min for a in options),
            field_max=size, start=(low + high) / 2., real_filter=size,
            spans=((int(low), int(high) - 1),) if exact else None,
            shift=int(size) if exact else 1))
    return tuple(union)


def _nothing(axis):
    """``axis`` of a layer none of whose units depends on any input pixel."""
    return AxisState(jump=axis.jump, field_min=0., field_max=0.,
                     start=axis.start, real_filter=axis.real_filter,
                     spans=(None,), shift=1)


def _sees_nothing(axis):
    # a span is a (first, last) pair, never empty: only None is false
    return axis.field_max == 0 or (
        axis.spans is not None and not any(axis.spans))


def _seen_jointly(axes):
    """A unit's field is the product of its spans over the axes: when no
    unit sees anything along one axis, none sees anything along any."""
    if any(_sees_nothing(a) for a in axes):
        return tuple(_nothing(a) for a in axes)
    return axes


def _crop_offset(mode, length, smallest):
    if mode in (None, "lower"):
        return 0
    if mode == "upper":
        return length - smallest
    return (length - smallest) // 2   # 'center'


def _merge_offsets(record, shapes, n):
    """Per input of a merge (spatial ``shapes``), per axis: how many of its
    units the merge's ``cropping`` drops in front."""
    offsets = []
    for shape in shapes:
        per_axis = []
        for axis in range(n):
            mode = record.cropping[axis + 2] if record.cropping and \
                len(record.cropping) > axis + 2 else None
            lengths = [s[axis] for s in shapes if len(s) > axis and
                       s[axis] is not None]
            length = shape[axis] if len(shape) > axis else None
            per_axis.append(_crop_offset(mode, length, min(lengths))
                            if lengths and length is not None else 0)
        offsets.append(per_axis)
    return offsets


# --------------------------------------------------------------------------
# Reach: the image pixels the units of a map read at all
# --------------------------------------------------------------------------

#: Most steps (a unit, or 64 of the taps it reads: those are read in C)
#: one layer may spend on its reach along one axis, about a second; past
#: it the reach is not known, and a collapsing row after it takes the
#: union of fields clipped to the image.
MAX_REACH_STEPS = 2 ** 20

#: First and last pixel of a unit that reads none (so min / max skip it).
_NO_FIRST, _NO_LAST = math.inf, -math.inf


class _Reach:
    """The image pixels each unit of a map reads, padding left out.

    A conv or pool row's field counts the padding its units read (the
    published convention); a collapsing unit depends on the image pixels
    the units of its input map read, no more.  Those need not be the
    whole image: a stride can leave the last pixels unread, though the
    padded fields of a layer after it reach over them.  Nor does a border
    unit read all of its field that lies on the image: where dilation
    leaves holes in it, padding can take the taps that would have read
    the first pixels.  So, per map and axis, this follows unit by unit
    the first and last image pixel the unit reads, through the chain of
    layers; only for the maps that a collapse or a normalisation over the
    map reads, and their ancestors, when first asked.

    The reads of a map are ``(source, axes)``: the index of the input
    layer whose pixels they count and, per axis, the lists ``(firsts,
    lasts)`` over its units (``_NO_FIRST`` / ``_NO_LAST`` for a unit that
    reads nothing); None when not known (variable sizes, geometry that is
    not integral, an input over :data:`MAX_REACH_STEPS`, branches of
    different inputs).
    """

    def __init__(self, layers, states):
        self.layers, self.states = layers, states
        self.reads = {}

    def of(self, index):
        """Per axis, the (first, last) image pixel some unit of map
        ``index`` reads; () when no unit reads any, None when not known."""
        reads = self._reads(index)
        if reads is None or reads[0] != self.states[index].source:
            return None
        reach = tuple((min(firsts), max(lasts)) for firsts, lasts in reads[1])
        if any(first == _NO_FIRST for first, _ in reach):
            return ()      # a unit is read along every axis, or not at all
        return reach

    def _reads(self, index):
        todo, wanted = [index], set()
        while todo:
            i = todo.pop()
            if i not in self.reads and i not in wanted:
                wanted.add(i)
                todo.extend(self.layers[i].inputs)
        for i in sorted(wanted):          # inputs come before their users
            self.reads[i] = self._reads_of(i)
        return self.reads[index]

    def _reads_of(self, index):
        record, state = self.layers[index], self.states[index]
        lengths = spatial_shape(record)
        if not state.spatial or not lengths or not all(
                _integral(n) and n > 0 for n in lengths):
            return None
        if record.op == Op.INPUT or not record.inputs:
            if max(lengths) > MAX_REACH_STEPS:
                return None
            # pixel u is unit u (the lists are never changed in place)
            return index, tuple((units, units) for units in (
                list(range(n)) for n in lengths))
        if record.op == Op.MERGE:
            return self._merged(record, lengths)
        parent = self.reads[record.inputs[0]]
        if parent is None or len(parent[1]) != len(lengths):
            return None
        if record.op in (Op.WINDOW, Op.TRANSPOSED):
            values = (record.kernel, record.stride, record.pad,
                      record.dilation)
            if not all(len(v) == len(lengths) and all(map(_integral, v))
                    for v in values):
                return None
            if record.op == Op.WINDOW and all(
                    _in_place(k, s, p) and len(firsts) == n
                    for k, s, p, (firsts, _), n in zip(
                        record.kernel, record.stride, record.pad,
                        parent[1], lengths)):
                return parent
            axes = tuple(
                _window_reads(reads, n, k, s, p, d, record.pad_mode)
                if record.op == Op.WINDOW else
                _transposed_reads(reads, n, k, s, p, d)
                for reads, n, k, s, p, d in zip(parent[1], lengths, *values))
            return None if None in axes else (parent[0], axes)
        # per position (pointwise, normalisation, an unknown class kept as
        # per position): a unit reads what its input's unit reads
        if all(len(firsts) == n for (firsts, _), n in zip(parent[1],
                                                           lengths)):
            return parent
        return None

    def _merged(self, record, lengths):
        # a unit reads what its unit in every branch reads; inputs without
        # spatial axes (a gate) are no map here, as in _merge
        inputs = [i for i in record.inputs if self.states[i].spatial]
        branches = [self.reads[i] for i in inputs]
        if not branches or None in branches or len(
                {b[0] for b in branches}) > 1 or any(
                len(b[1]) != len(lengths) for b in branches):
            return None
        offsets = _merge_offsets(
            record, [spatial_shape(self.layers[i]) for i in inputs],
            len(lengths))
        axes = []
        for axis, n in enumerate(lengths):
            firsts, lasts = [_NO_FIRST] * n, [_NO_LAST] * n
            for (_, per_axis), offset in zip(branches, offsets):
                these, those = per_axis[axis]
                if len(these) == 1:       # broadcast along this axis
                    these, those = these * n, those * n
                these = these[offset[axis]:offset[axis] + n]
                those = those[offset[axis]:offset[axis] + n]
                if len(these) < n:
                    return None
                firsts, lasts = _lower(firsts, these), _higher(lasts, those)
            axes.append((firsts, lasts))
        return branches[0][0], tuple(axes)


def _lower(values, others):
    """Elementwise minimum (a comprehension: ``map(min, ...)`` takes three
    times as long)."""
    return [a if a <= b else b for a, b in zip(values, others)]


def _higher(values, others):
    """Elementwise maximum."""
    return [a if a >= b else b for a, b in zip(values, others)]


def _folded(position, n, mode):
    """The input unit a padded ``position`` reads with torch's non-constant
    pad ``mode``s, on an input of ``n`` units."""
    if mode == PadMode.REPLICATE:
        return min(max(position, 0), n - 1)
    if mode == PadMode.CIRCULAR:
        return position % n
    period = 2 * (n - 1)              # reflect: the end units not repeated
    position = position % period if period else 0
    return position if position < n else period - position


#: Kernels of up to this many taps are read tap by tap (a pass over the
#: units per tap, in C); longer ones unit by unit (a slice per unit).
MAX_TAP_PASSES = 64


def _window_reads(reads, n_out, kernel, stride, pad, dilation, mode):
    """Per unit of a window's map, the first and last image pixel it reads
    (:class:`_Reach`): unit ``u`` reads input units ``u * stride - pad +
    dilation * m``, ``m < kernel``; a position outside the input is
    padding, which reads nothing, or for a non-constant ``mode`` the unit
    :func:`_folded` gives.  None past :data:`MAX_REACH_STEPS`."""
    by = _reads_by_tap if kernel <= MAX_TAP_PASSES else _reads_by_unit
    return by(reads, n_out, kernel, stride, pad, dilation, mode)


def _reads_by_tap(reads, n_out, kernel, stride, pad, dilation, mode):
    firsts, lasts = reads
    n = len(firsts)
    out_firsts, out_lasts = [_NO_FIRST] * n_out, [_NO_LAST] * n_out
    steps = 0
    for m in range(kernel):
        offset = dilation * m - pad    # unit u reads u * stride + offset
        # the units whose tap m is on the input: u0 .. u1
        u0 = max(0, -(offset // stride))
        u1 = min(n_out - 1, (n - 1 - offset) // stride)
        if u0 <= u1:
            lo, hi = u0 * stride + offset, u1 * stride + offset
            out_firsts[u0:u1 + 1] = _lower(out_firsts[u0:u1 + 1],
                                           firsts[lo:hi + 1:stride])
            out_lasts[u0:u1 + 1] = _higher(out_lasts[u0:u1 + 1],
                                           lasts[lo:hi + 1:stride])
        steps += 1 + max(0, u1 - u0) // 64
        if mode != PadMode.CONSTANT:
            # the units whose tap m is on the padding in front or behind
            for u in (*range(min(u0, n_out)), *range(max(u1 + 1, 0), n_out)):
                i = _folded(u * stride + offset, n, mode)
                out_firsts[u] = min(out_firsts[u], firsts[i])
                out_lasts[u] = max(out_lasts[u], lasts[i])
                steps += 1
        if steps > MAX_REACH_STEPS:
            return None
    return out_firsts, out_lasts


def _reads_by_unit(reads, n_out, kernel, stride, pad, dilation, mode):
    firsts, lasts = reads
    n = len(firsts)
    out_firsts, out_lasts = [], []
    steps = 0
    for u in range(n_out):
        start = u * stride - pad
        # the taps on the input: m_lo .. m_hi
        m_lo = max(0, -(start // dilation))
        m_hi = min(kernel - 1, (n - 1 - start) // dilation)
        first, last, cost = _strided_reads(
            reads, start + dilation * m_lo, start + dilation * m_hi,
            dilation)
        steps += cost
        if mode != PadMode.CONSTANT:
            # the taps in front of the input and behind it
            outside = [range(min(m_lo, kernel)),
                       range(max(m_hi + 1, 0), kernel)]
            if mode == PadMode.REPLICATE:   # all read the end unit
                outside = [taps[:1] for taps in outside]
            for taps in outside:
                steps += len(taps)
                if steps > MAX_REACH_STEPS:
                    return None
                for m in taps:
                    i = _folded(start + dilation * m, n, mode)
                    first, last = min(first, firsts[i]), max(last, lasts[i])
        steps += 1
        if steps > MAX_REACH_STEPS:
            return None
        out_firsts.append(first)
        out_lasts.append(last)
    return out_firsts, out_lasts


def _strided_reads(reads, lo, hi, step):
    """The first and last image pixel read by input units ``lo, lo + step,
    ..., hi`` of ``reads`` (``(firsts, lasts)``), none when ``lo > hi``,
    and the steps that costs beyond the unit's own (one per 64 units,
    read in C)."""
    if lo > hi:
        return _NO_FIRST, _NO_LAST, 0
    firsts, lasts = reads
    return (min(firsts[lo:hi + 1:step]), max(lasts[lo:hi + 1:step]),
            (hi - lo) // step // 64)


def _transposed_reads(reads, n_out, kernel, stride, crop, dilation):
    """Per unit of a transposed layer's map, the first and last image
    pixel it reads (:class:`_Reach`): output ``o`` reads input unit ``i``
    through tap ``m`` when ``o = i * stride + dilation * m - crop``, and
    the taps of its phase read every ``dilation / gcd``-th input unit
    (see :func:`_taps`); none past the input's ends."""
    firsts, lasts = reads
    n = len(firsts)
    step = dilation // math.gcd(stride, dilation)
    out_firsts, out_lasts = [], []
    steps = 0
    for o in range(n_out):
        taps = _taps(kernel, stride, dilation, (o + crop) % stride)
        first, last = _NO_FIRST, _NO_LAST
        if taps is not None:
            # input units top, top - step, ..., bottom: those on the input
            top = (o + crop - dilation * taps[0]) // stride
            bottom = top - step * (taps[1] - 1)
            hi = top - step * max(0, -(-(top - n + 1) // step))
            lo = bottom + step * max(0, -(bottom // step))
            first, last, cost = _strided_reads(reads, lo, hi, step)
            steps += cost
        steps += 1
        if steps > MAX_REACH_STEPS:
            return None
        out_firsts.append(first)
        out_lasts.append(last)
    return out_firsts, out_lasts


def exact_states(network):
    """Walk the graph once; return a :class:`UnitState` per record and the
    warnings found on the way (misaligned merges, unknown classes)."""
    layers = network.layers
    states = []
    warnings = []
    reach = _Reach(layers, states)
    for index, record in enumerate(layers):
        for i in record.inputs:
            if not 0 <= i < index:
                raise GraphError("{} takes input #{}, which does not come "
                                 "before it".format(layer_id(record, index), i))
        parents = [states[i] for i in record.inputs]
        if record.op == Op.INPUT or not parents:
            n_axes = len(spatial_shape(record))
            states.append(UnitState(tuple(AxisState() for _ in range(n_axes)),
                                    source=index, spatial=n_axes > 0))
            continue
        if record.op == Op.MERGE:
            state = _merge(record, index, parents, layers, warnings)
        else:
            state = _single(record, index, parents[0],
                            layers[record.inputs[0]], warnings,
                            spatial_shape(layers[parents[0].source]), reach)
        if state.spatial or record.op == Op.COLLAPSE:
            state.axes = _seen_jointly(state.axes)
            if state.axes and _sees_nothing(state.axes[0]):
                state.shift_variant = False   # all units alike: blind
        states.append(state)
    return states, warnings


def _single(record, index, parent, parent_record, warnings, image=(),
            reach=None):
    state = UnitState(parent.axes, parent.source, parent.spatial,
                      parent.approximate, parent.shift_variant,
                      context=parent.context, pooled=parent.pooled,
                      carried=parent.carried)
    if record.op == Op.NORMALISE:
        return _with_map_context(state, parent, parent_record, record, index,
                                 image, reach)
    if parent.carried and record.op not in (Op.POINTWISE, Op.FLATTEN):
        if record.op != Op.COLLAPSE:
            # a window over the folded axis, or a reshape back to a map:
            # which carried positions a unit mixes is not in the record
            warnings.append(
                "{}: {} op on a flattened map, whose positions it may mix; "
                "its field is taken as the whole map's, rows from here on "
                "are approximate".format(layer_id(record, index), record.op))
            state.approximate = True
        state.axes = _union_of_carried(parent.carried, image)
        # every unit sees the same union
        state.carried, state.pooled, state.shift_variant = (), True, False
        return state
    if not parent.spatial or record.op == Op.POINTWISE:
        return state
    if record.op == Op.UNKNOWN:
        # the adapter's note says why (e.g. softmax along a spatial axis)
        reason = record.note or "no geometry rule for class {}".format(
            record.class_name)
        warnings.append("{}: {}; treated as acting per position, rows from "
                        "here on are approximate".format(
                            layer_id(record, index), reason))
        state.approximate = True
        # One that changes the number of axes leaves nothing to follow.
        state.spatial = len(spatial_shape(record)) == len(parent.axes)
        return state
    n = len(parent.axes)
    if record.op in (Op.COLLAPSE, Op.FLATTEN):
        lengths = _map_lengths(record, index, parent_record, n)
        state.spatial = False
        carried = ((parent.axes, lengths, _reach_of(reach, record)),)
        if record.op == Op.FLATTEN:
            # a unit is one position's unit: the map's axes, unchanged
            state.carried = carried
            return state
        state.axes = _union_of_carried(carried, image)
        state.pooled, state.shift_variant = True, False
        return state
    _check_axes(record, index, n)
    rule = SLIDING_RULES[record.op]
    state.axes = tuple(
        rule(a, k, s, p, d, record.learns) for a, k, s, p, d in zip(
            parent.axes, record.kernel, record.stride, record.pad,
            record.dilation))
    if all(a.spans is not None for a in state.axes):
        # exact: the units differ iff their pattern has a period over 1
        state.shift_variant = any(len(a.spans) > 1 for a in state.axes)
    elif record.op == Op.TRANSPOSED and any(s > 1 for s in record.stride):
        # A second phase-dependent layer makes min/max bounds, not exact.
        state.approximate = state.approximate or parent.shift_variant
        state.shift_variant = True
    return state


def _reach_of(reach, record):
    """The reach (:meth:`_Reach.of`) of ``record``'s input map; None
    without a :class:`_Reach`."""
    return None if reach is None else reach.of(record.inputs[0])


def _map_lengths(record, index, parent_record, n):
    lengths = spatial_shape(parent_record)
    if len(lengths) != n or any(v is None for v in lengths):
        raise BadShapeError(
            "{}: needs the spatial size of its input, got {}; give the "
            "input layer a fixed size".format(layer_id(record, index),
                                              parent_record.output_shape))
    return lengths


def _with_map_context(state, parent, parent_record, record, index, image,
                      reach=None):
    """A normalisation by statistics over the whole map: each unit keeps
    its input's local field (the affine part is per position) and also
    sees, as global context, what a collapse of the map would see."""
    if parent.carried:
        pieces = parent.carried
    elif parent.spatial:
        pieces = ((parent.axes, _map_lengths(record, index, parent_record,
                                             len(parent.axes)),
                   _reach_of(reach, record)),)
    else:
        return state          # a pooled vector: nothing more to see
    whole = UnitState(_union_of_carried(pieces, image), parent.source,
                      False, pooled=True)
    state.context = _context([state, whole], parent.source, len(whole.axes))
    return state


def _check_axes(record, index, n):
    for what in ("kernel", "stride", "pad", "dilation"):
        values = getattr(record, what)
        if len(values) != n:
            raise BadShapeError(
                "{}: {} {} has {} axes, but its input has {} spatial axes"
                .format(layer_id(record, index), what, values, len(values), n))


def _merge(record, index, parents, layers, warnings):
    pairs = [(p, i) for p, i in zip(parents, record.inputs) if p.spatial]
    if not pairs and any(p.carried for p in parents):
        return _merge_carried(parents)
    if not pairs:
        return UnitState(parents[0].axes, parents[0].source, False,
                         any(p.approximate for p in parents),
                         context=_context([p for p in parents if p.context],
                                          parents[0].source,
                                          len(parents[0].axes)),
                         pooled=all(p.pooled for p in parents))
    spatial = [p for p, _ in pairs]
    n = min(len(p.axes) for p in spatial)
    # per spatial input, per axis: units cropped in front
    offsets = _merge_offsets(record, [spatial_shape(layers[i])
                                      for _, i in pairs], n)
    axes = []
    misaligned = []
    for axis in range(n):
        options = [p.axes[axis] for p in spatial]
        jumps = [a.jump for a in options]
        centres = [a.start + off[axis] * a.jump
                   for a, off in zip(options, offsets)]
        if max(jumps) - min(jumps) > _TOL or max(centres) - min(centres) > _TOL:
            misaligned.append("axis {}: jumps {}, centres {}".format(
                axis, _fmt_list(jumps), _fmt_list(centres)))
        widest = max(range(len(options)), key=lambda k: options[k].field_max)
        state = AxisState(
            jump=options[widest].jump,
            field_min=max(a.field_min for a in options),
            field_max=options[widest].field_max,
            start=centres[widest],
            real_filter=max(a.real_filter for a in options))
        same_image = len({p.source for p in spatial}) == 1
        axes.append(_union_of_branches(
            state, options, [off[axis] for off in offsets])
            if same_image else _exact(state, None, 0))
    if misaligned:
        warnings.append("{}: branches are misaligned ({})".format(
            layer_id(record, index), "; ".join(misaligned)))
    widest_parent = max(spatial, key=lambda p: sum(a.field_max for a in p.axes))
    exact = all(a.spans is not None for a in axes)
    return UnitState(tuple(axes), widest_parent.source, True,
                     any(p.approximate for p in parents),
                     any(len(a.spans) > 1 for a in axes) if exact else
                     any(p.shift_variant for p in parents), bool(misaligned),
                     _context(parents, widest_parent.source, n))


def _merge_carried(parents):
    """A merge of vectors some of which carry positions (flattened maps
    concatenated, perhaps with dense outputs): a unit is a unit of one
    input, so the row shows the largest of their fields (the smallest as
    ``field_min``), and a later collapse takes the union over all of them.
    Inputs of other images, or without axes, take no part."""
    def pieces(p):
        if p.carried:
            return p.carried
        return ((p.axes, (1,) * len(p.axes), None),) \
            if p.pooled and p.axes else ()
    widest = max((p for p in parents if p.carried),
                 key=lambda p: sum(a.field_max for a in p.axes))
    same = [p for p in parents if p.source == widest.source and pieces(p)]
    carried = tuple(c for p in same for c in pieces(p))
    axes = tuple(
        AxisState(jump=a.jump, field_min=min(o.field_min for o in options),
                  field_max=max(o.field_max for o in options), start=a.start,
                  real_filter=max(o.real_filter for o in options),
                  spans=None)
        for a, options in zip(widest.axes, zip(*(c[0] for c in carried))))
    if all(len({(o.field_min, o.field_max, o.start, o.jump) for o in
                options}) == 1 for options in zip(*(c[0] for c in carried))):
        axes = widest.axes      # all alike: the exact spans stay
    return UnitState(axes, widest.source, False,
                     any(p.approximate for p in parents),
                     any(p.shift_variant for p in same),
                     context=_context([p for p in parents if p.context],
                                      widest.source, len(axes)),
                     carried=carried)


def _context(parents, source, n):
    """Per axis, the image pixels a merged unit sees through inputs pooled
    to one position (their clipped field) or that already carry such
    context; () when none of the same image does."""
    seen = [p.context for p in parents if p.source == source and p.context]
    seen += [tuple(a.field_max for a in p.axes) for p in parents
             if p.source == source and p.pooled and len(p.axes) >= n
             and not any(_sees_nothing(a) for a in p.axes)]
    seen = [c for c in seen if len(c) >= n]
    return tuple(max(c[axis] for c in seen) for axis in range(n)) \
        if seen else ()


def _union_of_branches(state, options, offsets):
    """A merged unit sees what its unit in every branch sees: the union
    (branches of equal jump; else the widest branch's formulas)."""
    options_offsets = [(a, off) for a, off in zip(options, offsets)
                       if not _sees_nothing(a)]
    if not options_offsets:
        return _nothing(state)
    options, offsets = zip(*options_offsets)
    first = options[0]
    # the spans move by the same shift per unit (shift / period) in every
    # branch: compared crosswise, in ints
    if any(a.spans is None for a in options) or any(
            a.shift * len(first.spans) != first.shift * len(a.spans)
            for a in options):
        return _exact(state, None, 0)
    period = 1
    for a in options:
        period = period * len(a.spans) // math.gcd(period, len(a.spans))
    if period > MAX_PERIOD:
        return _exact(state, None, 0)
    spans = [_union(_span_of(a, u + off) for a, off in zip(options, offsets))
             for u in range(period)]
    return _exact(state, spans, first.shift * period // len(first.spans))


def _fmt_list(values):
    return "[" + ", ".join(_fmt_number(v) for v in values) + "]"


def _fmt_number(value):
    return str(int(value)) if float(value).is_integer() else "{:g}".format(value)


# --------------------------------------------------------------------------
# Report: one row per layer, both modes
# --------------------------------------------------------------------------

def _flags(capacity, coverage, min_capacity, state=None, field_min=()):
    flags = []
    if 0 in field_min:
        flags.append(Flag.SEES_NOTHING)
    if capacity and min(capacity) < min_capacity:
        flags.append(Flag.LOW_CAPACITY)
    if coverage and max(coverage) > 100:
        flags.append(Flag.OVER_COVERAGE)
    if state is not None:
        if state.misaligned:
            flags.append(Flag.MISALIGNED)
        if state.approximate:
            flags.append(Flag.APPROXIMATE)
        if state.shift_variant:
            flags.append(Flag.SHIFT_VARIANT)
        if state.context and len(state.context) == len(state.axes):
            flags.append(Flag.GLOBAL_CONTEXT)
    return tuple(flags)


def _base_row(record, index):
    """A row with the layer's own geometry, before any analysis."""
    return Row(index=index, name=record.label, class_name=record.class_name,
               output_shape=tuple(record.output_shape),
               n_params=record.n_params, op=record.op, inputs=record.inputs,
               kernel=record.kernel, stride=record.stride, pad=record.pad,
               dilation=record.dilation, legacy_role=record.legacy_role,
               note=record.note, named=bool(record.name),
               mult_adds=record.mult_adds, param_bytes=record.param_bytes,
               activation_bytes=record.activation_bytes,
               module_path=record.module_path, minor=record.minor)


def outline(network, mode="legacy", min_capacity=DEFAULT_MIN_CAPACITY):
    """The rows without any analysis: what nolearn's plain table shows (it
    prints one for any net, also where no receptive field can be had)."""
    return Report(mode, [_base_row(r, i) for i, r in
                         enumerate(network.layers)], [],
                  network.total_params, min_capacity,
                  network.total_param_bytes)


def legacy_report(network, min_capacity=DEFAULT_MIN_CAPACITY):
    """nolearn's numbers, as a :class:`Report`."""
    layers = network.layers
    img = spatial_shape(layers[0])
    if len(img) != 2 or any(v is None or v <= 0 for v in img):
        raise BadShapeError(
            "{}: legacy mode needs a 2D image with a fixed size, got output "
            "shape {}{}".format(
                layer_id(layers[0], 0), layers[0].output_shape,
                "" if len(img) == 2 else "; exact mode (mode='exact', "
                "--mode exact) handles any number of axes"))
    real_filter, field = legacy_walk(layers, img)
    capacity, coverage = legacy_capacity_coverage(real_filter, field, img)
    rows = []
    for i, (record, real, seen, cap, cov) in enumerate(zip(
            layers, real_filter, field, capacity, coverage)):
        row = _base_row(record, i)
        row.real_filter, row.field, row.field_min = real, seen, seen
        row.capacity, row.coverage = cap, cov
        row.flags = _flags(cap, cov, min_capacity)
        rows.append(row)
    return Report("legacy", rows, [], network.total_params, min_capacity,
                  network.total_param_bytes)


def _axis_columns(axes, image):
    """A row's per-axis columns (jump, field, field_min, start,
    real_filter, capacity, coverage) for units with ``axes`` over an
    image of ``image`` pixels."""
    jump = tuple(a.jump for a in axes)
    field = tuple(a.field_max for a in axes)
    field_min = tuple(a.field_min for a in axes)
    real_filter = tuple(a.real_filter for a in axes)
    if 0 in field_min:
        # a unit empty along one axis sees nothing along every axis
        field_min = (0.,) * len(axes)
    # a unit that sees nothing (zeros from a strided transposed conv, then
    # a stride that keeps only those) learns nothing
    capacity = tuple(100. * r / f if f else 0.
                     for r, f in zip(real_filter, field))
    coverage = tuple(100. * f / size for f, size in zip(field, image))
    return (jump, field, field_min, tuple(a.start for a in axes),
            real_filter, capacity, coverage)


def exact_report(network, min_capacity=DEFAULT_MIN_CAPACITY):
    """Per-axis receptive fields over the graph, as a :class:`Report`."""
    states, warnings = exact_states(network)
    layers = network.layers
    several_inputs = sum(1 for r in layers if r.op == Op.INPUT) > 1
    # (id of the axes, source) -> their columns: a pointwise layer's state
    # holds its input's axes, the same tuple, so most rows of a net share
    # them (``states`` keeps every tuple alive, so no id is reused)
    columns = {}
    rows = []
    for i, (record, state) in enumerate(zip(layers, states)):
        row = _base_row(record, i)
        image = spatial_shape(layers[state.source])
        if state.axes and len(image) == len(state.axes):
            key = id(state.axes), state.source
            if key not in columns:
                if any(v is None or v <= 0 for v in image):
                    raise BadShapeError(
                        "{}: coverage needs a fixed image size, got output "
                        "shape {}".format(
                            layer_id(layers[state.source], state.source),
                            layers[state.source].output_shape))
                columns[key] = _axis_columns(state.axes, image)
            (row.jump, row.field, row.field_min, row.start, row.real_filter,
             row.capacity, row.coverage) = columns[key]
            if len(state.context) == len(state.axes):
                # the unit sees every pixel its pooled input saw: that
                # share of the image is its coverage; the field columns
                # keep the local field
                row.context = state.context
                row.coverage = tuple(100. * c / size for c, size in zip(
                    state.context, image))
        if several_inputs:
            row.source = layers[state.source].label
        row.flags = _flags(row.capacity, row.coverage, min_capacity, state,
                           row.field_min)
        rows.append(row)
    return Report("exact", rows, warnings, network.total_params, min_capacity,
                  network.total_param_bytes)


MODES = {"legacy": legacy_report, "exact": exact_report}


def report(network, mode="exact", min_capacity=DEFAULT_MIN_CAPACITY):
    """Analyse a :class:`Network` in ``mode`` ('exact' or 'legacy')."""
    try:
        rules = MODES[mode]
    except (KeyError, TypeError):
        raise BadArgumentError("mode must be one of {}, got {}".format(
            ", ".join(sorted(MODES)), shown(mode))) from None
    if isinstance(min_capacity, bool) or not isinstance(
            min_capacity, numbers.Real) or not math.isfinite(min_capacity):
        raise BadArgumentError("min_capacity must be a finite number (a "
                               "percentage), got {}".format(
                                   shown(min_capacity)))
    return rules(network, min_capacity)
