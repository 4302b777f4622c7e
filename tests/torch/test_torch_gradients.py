"""The gradient oracle for exact mode.

A unit's gradient with respect to the input is non-zero exactly inside its
receptive field when every weight is positive, nothing saturates and no
unit is clipped by the border (REFERENCE.md section 4).  Hypothesis builds
random 1D and 2D torch nets from a small vocabulary (convs with every
padding mode and 'same', average pools with stride != kernel, transposed
convs, nearest and linear upsampling, residual sums, concatenations), in
float64 with positive constant weights, no biases and no nonlinearities.
For every spatial node of the fx graph and every axis we take two cycles
of phases of interior units (the input is enlarged until they fit) and
measure from d unit / d input:

* the field: extent (last - first + 1) of the non-zero gradient, largest
  and smallest over a cycle (the units of transposed layers differ);
* the jump: ``(first(u + period) - first(u)) / period``;
* the centre of the field, for layers whose units all look alike;

and compare with ``core.report(network)``: see :func:`check` for what must
match where.  Most nets end in a head (a ``Linear`` after ``Flatten``, an
adaptive average pool, a mean over the axes), whose unit depends on every
pixel some unit of the map reads, borders included: its row must give
exactly the first and last pixel with a non-zero gradient
(:func:`check_collapse_rows`).  The nets that once showed the core's
mismatches downstream of transposed layers are pinned at the end, checked
strictly.
"""
import math
from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")

import torch.nn as nn  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis_profiles import examples  # noqa: E402

from gradient_truth import node_values  # noqa: E402

import nolearn_capacity  # noqa: E402
from nolearn_capacity import core  # noqa: E402

# torch's own note on even kernels with padding='same'
pytestmark = pytest.mark.filterwarnings(
    "ignore:Using padding='same':UserWarning")

CHANNELS = 2
#: The relative size below which a gradient entry counts as zero: float
#: noise of interpolation weights like 1 - 3 * (1/3), not a real path.
ZERO = 1e-9
MAX_JUMP = Fraction(9)
MIN_JUMP = Fraction(1, 9)


# --------------------------------------------------------------------------
# Nets from specs
# --------------------------------------------------------------------------

def _cls(name, ndim):
    return getattr(nn, "{}{}d".format(name, ndim))


class Residual(nn.Module):
    """``x + conv(x)`` with 'same' padding."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        return x + self.conv(x)


class Concat(nn.Module):
    """Two branches side by side along channels."""

    def __init__(self, left, right):
        super().__init__()
        self.left = left
        self.right = right

    def forward(self, x):
        return torch.cat([self.left(x), self.right(x)], dim=1)


def build_layer(spec, ndim, c_in):
    """One spec item -> (module, channels out)."""
    kind = spec[0]
    if kind == "conv":
        _, k, s, p, d, mode, groups = spec
        groups = groups if c_in % groups == 0 else 1
        return _cls("Conv", ndim)(c_in, CHANNELS, k, s, p, d, groups=groups,
                                  bias=False, padding_mode=mode), CHANNELS
    if kind == "avgpool":
        _, k, s, p = spec
        return _cls("AvgPool", ndim)(k, s, p, count_include_pad=True), c_in
    if kind == "tconv":
        _, k, s, p, d = spec
        return _cls("ConvTranspose", ndim)(c_in, CHANNELS, k, s, p, bias=False,
                                           dilation=d), CHANNELS
    if kind == "upsample":
        _, f, mode = spec
        mode = {"nearest": "nearest", "linear": ("linear", "bilinear")[
            ndim - 1]}[mode]
        return nn.Upsample(scale_factor=tuple(float(v) for v in f),
                           mode=mode), c_in
    if kind == "resample":
        _, mode, scale = spec
        return nn.Upsample(scale_factor=scale, mode=mode), c_in
    if kind == "residual":
        _, k, d = spec
        return Residual(_cls("Conv", ndim)(c_in, c_in, k, 1, "same", d,
                                           bias=False)), c_in
    if kind == "concat":
        left, right = [build_sequence(branch, ndim, c_in)[0]
                       for branch in spec[1:]]
        return Concat(left, right), 2 * CHANNELS
    if kind == "pointwise":
        return {"batchnorm": _cls("BatchNorm", ndim)(c_in),
                "identity": nn.Identity(),
                "dropout": nn.Dropout(0.5)}[spec[1]], c_in
    raise ValueError(spec)


class SpatialMean(nn.Module):
    """The mean over the ``ndim`` spatial axes (torch's ``mean`` method)."""

    def __init__(self, ndim):
        super().__init__()
        self.dims = tuple(range(2, 2 + ndim))

    def forward(self, x):
        return x.mean(dim=self.dims)


def build_sequence(spec, ndim, channels):
    layers = []
    for item in spec:
        if item[0] == "head":
            continue        # added by with_head, once the size is known
        layer, channels = build_layer(item, ndim, channels)
        layers.append(layer)
    return nn.Sequential(*layers), channels


def _positive(net):
    net = net.double().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(0.5)
    return net


def build(spec, ndim):
    """A spec list -> a float64 nn.Sequential with positive weights (its
    head, if any, left out: see :func:`with_head`)."""
    return _positive(build_sequence(spec, ndim, 1)[0])


def with_head(net, spec, ndim, size):
    """``net`` followed by the head its spec ends with (``("head",
    kind)``), for an input of ``size`` per axis: a collapsing layer, whose
    unit depends on every pixel some unit of the map reads."""
    kind = spec[-1][1] if spec and spec[-1][0] == "head" else None
    if kind is None:
        return net
    if kind == "linear":
        with torch.no_grad():
            out = net(torch.zeros((1, 1) + (size,) * ndim,
                                  dtype=torch.float64))
        head = [nn.Flatten(), nn.Linear(out[0].numel(), 2, bias=False)]
    elif kind == "adaptive":
        head = [_cls("AdaptiveAvgPool", ndim)(1)]
    else:
        head = [SpatialMean(ndim)]
    return _positive(nn.Sequential(*net, *head))


# --------------------------------------------------------------------------
# Spec strategies
# --------------------------------------------------------------------------

def _axes(draw, ndim, values):
    return tuple(draw(values) for _ in range(ndim))


@st.composite
def conv_specs(draw, ndim, jump, same=None):
    """A conv whose stride keeps the jump at most MAX_JUMP."""
    k = _axes(draw, ndim, st.integers(1, 5))
    d = _axes(draw, ndim, st.integers(1, 3))
    padding = draw(st.sampled_from(["int", "same", "valid"])) \
        if same is None else "same"
    if padding == "same":
        s = (1,) * ndim
        p = "same"
    else:
        s = tuple(draw(st.integers(1, 3 if j * 3 <= MAX_JUMP else 1))
                  for j in jump)
        p = "valid" if padding == "valid" else tuple(
            draw(st.integers(0, (dd * (kk - 1)) // 2 + 1))
            for kk, dd in zip(k, d))
    mode = draw(st.sampled_from(["zeros", "reflect", "replicate",
                                 "circular"]))
    groups = draw(st.sampled_from([1, 2])) if same is None else 1
    return ("conv", k, s, p, d, mode, groups)


@st.composite
def layer_specs(draw, ndim, jump, first):
    """One layer and the jump after it."""
    kinds = ["conv", "conv", "avgpool", "tconv", "upsample", "residual",
             "concat", "pointwise"]
    kind = draw(st.sampled_from(kinds[:1] if first else kinds))
    if kind == "conv":
        spec = draw(conv_specs(ndim, jump))
        return spec, tuple(j * s for j, s in zip(jump, spec[2]))
    if kind == "avgpool":
        k = _axes(draw, ndim, st.integers(1, 4))
        s = tuple(draw(st.integers(1, 3 if j * 3 <= MAX_JUMP else 1).filter(
            lambda v, kk=kk: v != kk or kk == 1)) for j, kk in zip(jump, k))
        p = tuple(draw(st.integers(0, kk // 2)) for kk in k)
        return ("avgpool", k, s, p), tuple(j * v for j, v in zip(jump, s))
    if kind == "tconv":
        k = _axes(draw, ndim, st.integers(1, 4))
        d = _axes(draw, ndim, st.integers(1, 3))
        s = tuple(draw(st.integers(1, 3 if j / 3 >= MIN_JUMP else 1))
                  for j in jump)
        p = tuple(draw(st.integers(0, dd * (kk - 1))) for kk, dd in zip(k, d))
        return ("tconv", k, s, p, d), tuple(j / v for j, v in zip(jump, s))
    if kind == "upsample":
        mode = draw(st.sampled_from(["nearest", "linear"]))
        f = tuple(draw(st.integers(1, 3 if j / 3 >= MIN_JUMP else 1))
                  for j in jump)
        return ("upsample", f, mode), tuple(j / v for j, v in zip(jump, f))
    if kind == "residual":
        return ("residual", draw(st.integers(1, 5)),
                draw(st.integers(1, 2))), jump
    if kind == "concat":
        branches = [tuple(draw(st.lists(conv_specs(ndim, jump, same=True),
                                        min_size=1, max_size=2)))
                    for _ in range(2)]
        return ("concat",) + tuple(branches), jump
    return ("pointwise", draw(st.sampled_from(
        ["batchnorm", "identity", "dropout"]))), jump


@st.composite
def nets(draw):
    ndim = draw(st.sampled_from([1, 1, 2]))
    jump = (Fraction(1),) * ndim
    spec = []
    for position in range(draw(st.integers(1, 4))):
        item, jump = draw(layer_specs(ndim, jump, first=position == 0))
        spec.append(item)
    head = draw(st.sampled_from([None, "linear", "adaptive", "mean"]))
    if head:
        spec.append(("head", head))
    return ndim, tuple(spec)


# --------------------------------------------------------------------------
# Measuring fields
# --------------------------------------------------------------------------

def _lcm(a, b):
    return a * b // math.gcd(a, b)


def periods(rows):
    """Per row and axis, how many units make one full cycle of phases: an
    input shift by ``T`` (every jump's numerator divides ``T``) moves the
    row by ``T / jump`` units and is a symmetry of everything before it."""
    result, numerators = [], None
    for row in rows:
        if not row.jump:
            result.append(None)
            continue
        jumps = [Fraction(j).limit_denominator(10 ** 4) for j in row.jump]
        numerators = [_lcm(n, j.numerator) for n, j in zip(
            numerators or [1] * len(jumps), jumps)]
        result.append(tuple(int(Fraction(n) / j)
                            for n, j in zip(numerators, jumps)))
    return result


def analysed(net, ndim, size):
    """(network, exact report) of a net on a ``size``-long input."""
    network = nolearn_capacity.to_network(
        net, input_shape=(1, 1) + (size,) * ndim)
    return network, core.report(network, "exact")


def input_size(net, ndim):
    """A size at which every row has a full cycle of interior units."""
    size = 16
    while True:
        try:
            _, report = analysed(net, ndim, size)
            break
        except nolearn_capacity.CapacityError:
            size *= 2
            assert size < 10 ** 4, "the net never runs"
    need = size
    for row, period, margin in zip(report.rows, periods(report.rows),
                                   margins(report.rows)):
        if period:
            need = max([need] + [int(2 * m + f + (2 * p + 4) * j) + 8
                                 for f, j, p, m in zip(row.field, row.jump,
                                                       period, margin)])
    return need


def node_outputs(net, x):
    """Every row's output, by the name the adapter gives the row."""
    return node_values(net, x)


def margins(rows):
    """Per row and axis, how far inside the border sampled fields should
    start: the field, plus every window's span in input pixels, since a
    transposed unit's field can sit anywhere within its taps' span."""
    result, slack = [], None
    for row in rows:
        if row.kernel and row.jump:
            slack = [sl + k * j * s for sl, k, j, s in zip(
                slack or [0] * len(row.kernel), row.kernel, row.jump,
                row.stride)]
        result.append(tuple(max(1., f) + sl for f, sl in zip(
            row.field, slack or [0] * len(row.field))) if row.jump else None)
    return result


def first_unit(row, axis, margin):
    """The first unit whose analytic field starts ``margin`` pixels inside
    the input along ``axis`` (a margin, as the analytic centre of a
    transposed layer's unit is only an average)."""
    lo = row.start[axis] - row.field[axis] / 2.
    return max(0, math.ceil((margin[axis] - lo) / row.jump[axis] - 1e-9))


def measure(net, ndim, size, report):
    """Per row: per axis, the sampled units along that axis and the span
    (first, last input pixel with a non-zero gradient, or None) of each;
    None for rows without spatial units.

    Along axis ``a`` we sample two cycles of units.  Each sample is a whole
    slice of the map (unit ``u`` on axis ``a``, every position on the other
    axes): every layer here acts per axis, so the slice's field along ``a``
    is that of any of its units, and it is empty only when they all are (a
    transposed layer's unit sees nothing when one axis has an empty
    phase).  One backward pass serves all samples of a row: sample ``b``
    reads batch entry ``b`` of identical inputs.
    """
    cycle = periods(report.rows)
    batch = 2 * ndim * max([max(p) for p in cycle if p] + [1])
    x = torch.zeros((batch, 1) + (size,) * ndim, dtype=torch.float64,
                    requires_grad=True)
    outputs = node_outputs(net, x)
    results = []
    for row, period, margin in zip(report.rows, cycle, margins(report.rows)):
        out = outputs[row.name]
        if not period or out.dim() != ndim + 2 or row.index == 0 or \
                row.op == "collapse":      # see check_collapse_rows
            results.append(None)
            continue
        samples = []        # (axis, unit along it)
        for a in range(ndim):
            first = first_unit(row, a, margin)
            samples += [(a, first + i) for i in range(2 * period[a])]
        loss = 0
        for b, (a, u) in enumerate(samples):
            assert u < out.shape[2 + a], \
                "input too small for row {}".format(row.name)
            index = [b, slice(None)] + [slice(None)] * ndim
            index[2 + a] = u
            loss = loss + out[tuple(index)].sum()
        (grad,) = torch.autograd.grad(loss, x, retain_graph=True)
        per_axis = [([], []) for _ in range(ndim)]
        for b, (a, u) in enumerate(samples):
            g = grad[b, 0].abs()
            mask = g > ZERO * max(float(g.max()), 1e-300)
            other = tuple(d for d in range(ndim) if d != a)
            hit = mask.any(dim=other) if other else mask
            idx = torch.nonzero(hit).flatten().tolist()
            per_axis[a][0].append(u)
            per_axis[a][1].append((idx[0], idx[-1]) if idx else None)
        results.append((per_axis, period))
    return results


def field_stats(units, spans, period):
    """Along one axis, from two cycles of units: the (largest, smallest)
    field over a cycle, the jumps over a cycle, and the (unit, centre)
    pairs of non-empty units."""
    fields, centres, jumps = [], [], []
    for b in range(period):
        span, partner = spans[b], spans[b + period]
        fields.append(0 if span is None else span[1] - span[0] + 1)
        if span is not None and partner is not None:
            jumps.append(Fraction(partner[0] - span[0], period))
    for unit, span in zip(units, spans):
        if span is not None:
            centres.append((unit, (span[0] + span[1] + 1) / 2.))
    return max(fields), min(fields), jumps, centres


def touches_border(spans, size):
    return any(s is not None and (s[0] == 0 or s[1] == size - 1)
               for s in spans)


def descendants(network, flagged):
    """Indices of the rows at or after a flagged row, through the graph."""
    tainted = set()
    for index, record in enumerate(network.layers):
        if index in flagged or tainted.intersection(record.inputs):
            tainted.add(index)
    return tainted


def check(ndim, spec, strict=False):
    """Compare analysed and measured geometry; return the mismatches.

    Rows whose units all look alike must match exactly: field, jump and
    centre.  Shift-variant rows (a transposed layer upstream) must match
    in jump; the transposed layer itself (units differ, its input's do not)
    also in its largest and smallest field over phases.  ``strict`` asks
    every row for exact fields, as the property test does: a merge is the
    union of its branches.  Without it, rows from a misaligned merge on
    need only see at least the widest branch's field, which is all the
    core promises where branches have different jumps.
    """
    net = build(spec, ndim)
    size = input_size(net, ndim)
    net = with_head(net, spec, ndim, size)
    network, report = analysed(net, ndim, size)
    if spec and spec[-1][0] == "head":
        assert report.rows[-1].op == "collapse", spec[-1]
    widest_branch = descendants(network, {
        r.index for r in report.rows if "misaligned" in r.flags})
    problems = []
    for row, measured in zip(report.rows, measure(net, ndim, size, report)):
        if measured is None:
            continue
        per_axis, period = measured
        for _, spans in per_axis:
            assert not touches_border(spans, size), \
                "row {}: a sampled unit reaches the border".format(row.name)
        variant = "shift-variant" in row.flags
        first_variant = variant and not any(
            "shift-variant" in report.rows[i].flags
            for i in network.layers[row.index].inputs)
        bound = row.index in widest_branch and not strict
        stats = [field_stats(units, spans, p)
                 for (units, spans), p in zip(per_axis, period)]
        # an empty sample is a slice of units that all see nothing, and a
        # unit that sees nothing has field 0 along every axis
        blind = any(small == 0 for _, small, _, _ in stats)
        for axis in range(ndim):
            big, small, jumps, centres = stats[axis]
            small = 0 if blind else small
            where = "row {} ({}) axis {}".format(row.name, row.class_name,
                                                 axis)
            for j in jumps:
                if abs(float(j) - row.jump[axis]) > 1e-9:
                    problems.append("{}: jump {} measured {}".format(
                        where, row.jump[axis], j))
            if variant and not (first_variant or strict):
                continue
            if bound and not variant:
                if big != small or big < row.field[axis]:
                    problems.append("{}: field {} measured {}-{}, not at "
                                    "least the widest branch's".format(
                                        where, row.field[axis], small, big))
                continue
            if (row.field[axis], row.field_min[axis]) != (big, small):
                problems.append("{}: field {}-{} measured {}-{}".format(
                    where, row.field_min[axis], row.field[axis], small, big))
            if variant:
                continue
            for u, centre in centres:
                expected = row.start[axis] + u * row.jump[axis]
                if abs(expected - centre) > 1e-9:
                    problems.append("{}: centre of unit {} is {}, "
                                    "measured {}".format(where, u, expected,
                                                         centre))
    problems += check_collapse_rows(net, ndim, size, report)
    return report, problems


def check_collapse_rows(net, ndim, size, report):
    """Collapsing rows (a dense layer, a global pool, a mean over the
    axes) against the gradient of their output: per axis, field and start
    are those of the first and last pixel with a non-zero gradient, the
    pixels some unit of the map reads; field 0 when there is none."""
    rows = [r for r in report.rows if r.op == "collapse"]
    if not rows:
        return []
    x = torch.zeros((1, 1) + (size,) * ndim, dtype=torch.float64,
                    requires_grad=True)
    outputs = node_outputs(net, x)
    problems = []
    for row in rows:
        (grad,) = torch.autograd.grad(outputs[row.name].sum(), x,
                                      retain_graph=True)
        g = grad[0, 0].abs()
        mask = g > ZERO * max(float(g.max()), 1e-300)
        for axis in range(ndim):
            other = tuple(d for d in range(ndim) if d != axis)
            idx = torch.nonzero(mask.any(dim=other) if other else mask
                                ).flatten().tolist()
            measured = (idx[0], idx[-1] + 1) if idx else None
            said = (row.start[axis] - row.field[axis] / 2.,
                    row.start[axis] + row.field[axis] / 2.) \
                if row.field[axis] else None
            if said != measured or row.field_min[axis] != row.field[axis]:
                problems.append(
                    "collapse row {} axis {}: pixels {} (field {}-{}), "
                    "measured {}".format(row.name, axis, said,
                                         row.field_min[axis],
                                         row.field[axis], measured))
    return problems


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

#: Largest input side and period (units per cycle of phases) the property
#: test measures, to keep one run within a minute or two.
MAX_SIZE = {1: 4000, 2: 320}
MAX_PERIOD = 27


#: Nets the property test once found wrong, checked on every run.
FOUND = [
    # issue 8: every unit of the pool sits on an empty phase of the
    # transposed conv along axis 0, so it sees nothing along either axis
    (2, (("conv", (1, 1), (1, 1), "same", (1, 1), "zeros", 1),
         ("conv", (1, 1), (1, 1), "same", (1, 1), "zeros", 1),
         ("tconv", (2, 1), (2, 1), (1, 0), (2, 1)),
         ("avgpool", (1, 1), (2, 1), (0, 0)))),
]


@pytest.mark.parametrize("ndim, spec", FOUND)
def test_nets_found_by_the_property_test(ndim, spec):
    report, problems = check(ndim, spec, strict=True)
    assert not problems, "\n".join([repr(spec)] + problems + [str(report)])


def test_a_unit_empty_along_one_axis_sees_nothing():
    report, problems = check(2, FOUND[0][1], strict=True)
    tconv, pool = report.rows[3], report.rows[4]
    assert (tconv.field, tconv.field_min) == ((2., 1.), (0., 0.))
    assert (pool.field, pool.field_min) == ((0., 0.), (0., 0.))
    assert pool.capacity == (0., 0.)
    assert "sees-nothing" in tconv.flags and "sees-nothing" in pool.flags


@settings(max_examples=examples(500),
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(nets())
def test_fields_jumps_and_centres_match_gradients(net_spec):
    ndim, spec = net_spec
    net = build(spec, ndim)
    size = input_size(net, ndim)
    _, report = analysed(net, ndim, size)
    hypothesis.assume(size <= MAX_SIZE[ndim] and max(
        [max(p) for p in periods(report.rows) if p] + [1]) <= MAX_PERIOD)
    report, problems = check(ndim, spec, strict=True)
    assert not problems, "\n".join([repr(spec)] + problems + [str(report)])


@pytest.mark.parametrize("mode, pixels", [
    ("zeros", 3), ("circular", 6), ("reflect", 6), ("replicate", 9)])
def test_a_dense_unit_sees_what_the_padding_reads(mode, pixels):
    # 4 units of 3 pixels each (pixels 0-11), then a 1-tap conv with
    # stride 3 and padding 1: its unit 1 reads unit 2 (pixels 6-8), its
    # unit 0 the padding in front: no pixel, or unit 3, 1 or 0
    spec = (("conv", (3,), (3,), (0,), (1,), "zeros", 1),
            ("conv", (1,), (3,), (1,), (1,), mode, 1), ("head", "linear"))
    net = with_head(build(spec, 1), spec, 1, 12)
    _, report = analysed(net, 1, 12)
    assert report.rows[-1].op == "collapse"
    assert report.rows[-1].field == (pixels,)
    assert not check_collapse_rows(net, 1, 12, report)


class Pad(nn.Module):
    """``F.pad`` with a mode."""

    def __init__(self, widths, mode):
        super().__init__()
        self.widths, self.mode = widths, mode

    def forward(self, x):
        return nn.functional.pad(x, self.widths, mode=self.mode)


@pytest.mark.parametrize("pad, pixels", [
    (nn.ZeroPad1d((1, 0)), 3), (nn.CircularPad1d((1, 0)), 6),
    (nn.ReflectionPad1d((1, 0)), 6), (nn.ReplicationPad1d((1, 0)), 9),
    (Pad((1, 0), "constant"), 3), (Pad((1, 0), "circular"), 6),
    (Pad((1, 0), "reflect"), 6), (Pad((1, 0), "replicate"), 9)],
    ids=lambda v: type(v).__name__ + getattr(v, "mode", "")
    if isinstance(v, nn.Module) else str(v))
def test_pad_layers_read_what_their_mode_reads(pad, pixels):
    # as above, with the padding a layer of its own
    net = _positive(nn.Sequential(
        nn.Conv1d(1, 2, 3, stride=3, bias=False), pad,
        nn.Conv1d(2, 2, 1, stride=3, bias=False), nn.Flatten(),
        nn.Linear(4, 2, bias=False)))
    _, report = analysed(net, 1, 12)
    assert report.rows[-1].op == "collapse"
    assert report.rows[-1].field == (pixels,)
    assert not check_collapse_rows(net, 1, 12, report)


# 'area' is adaptive pooling: downsampling is a window only when the
# length divides, which the sizes chosen here do not promise
RESAMPLING = [(mode, ndim, scale) for mode, ndim in (
    ("nearest", 1), ("nearest-exact", 1), ("linear", 1), ("area", 1),
    ("bilinear", 2), ("bicubic", 2)) for scale in (2., 3., 4., 1 / 2., 1 / 3.,
                                                   1 / 4.)
    if mode != "area" or scale > 1]


@pytest.mark.parametrize("mode, ndim, scale", [
    case for case in RESAMPLING if case[:3:2] != ("bicubic", 3.)])
def test_resampling_rules_match_gradients(mode, ndim, scale):
    spec = (("conv", (3,) * ndim, (1,) * ndim, (1,) * ndim, (1,) * ndim,
             "zeros", 1), ("resample", mode, scale))
    report, problems = check(ndim, spec)
    assert not problems, "\n".join([repr(spec)] + problems + [str(report)])


def test_bicubic_odd_factor_gives_a_bound_on_the_smallest_field():
    # one phase in three sits on an input pixel and reads it alone (cubic
    # weights vanish at distance 1); the transposed rule counts 3 taps
    spec = (("conv", (3, 3), (1, 1), (1, 1), (1, 1), "zeros", 1),
            ("resample", "bicubic", 3.))
    report, problems = check(2, spec)
    assert report.rows[2].field_min == (5., 5.)
    assert report.rows[2].field == (6., 6.)
    assert problems == ["row 1 (Upsample) axis {}: field 5.0-6.0 "
                        "measured 3-6".format(a) for a in (0, 1)]


# Rows downstream of a transposed / upsampling layer: units of different
# phases gather different numbers of distinct input units.  A core that
# added a window's growth to the largest and smallest field alike got
# neither right (nor bounds, after a second phase-dependent layer); the
# exact core follows each phase's units, and these nets, which showed
# it, must match strictly.
CORE_DOWNSTREAM = [
    # U-Net decoder: nearest x2, then a 2-tap conv: fields 1 and 2
    (1, (("upsample", (2,), "nearest"),
         ("conv", (2,), (1,), (0,), (1,), "zeros", 1))),
    # back on the integer grid: every unit sees 6 pixels, analytic 5
    (1, (("conv", (2,), (2,), "valid", (1,), "zeros", 1),
         ("upsample", (2,), "linear"),
         ("conv", (2,), (2,), "valid", (1,), "zeros", 1))),
    # two transposed convs: fields 7 to 9, analytic "bounds" 7 to 10
    (1, (("conv", (3,), (2,), (2,), (3,), "zeros", 1),
         ("tconv", (3,), (2,), (2,), (1,)),
         ("tconv", (3,), (2,), (2,), (1,)))),
]


@pytest.mark.parametrize("ndim, spec", CORE_DOWNSTREAM)
def test_fields_downstream_of_transposed_layers(ndim, spec):
    report, problems = check(ndim, spec, strict=True)
    assert not problems, "\n".join([repr(spec)] + problems + [str(report)])


def test_misaligned_branches_see_the_union():
    # [i, i + 2] (two 2-taps, torch pads 'same' behind) and [i - 1, i + 1]
    spec = (("concat",
             (("conv", (2,), (1,), "same", (1,), "zeros", 1),
              ("conv", (2,), (1,), "same", (1,), "zeros", 1)),
             (("conv", (3,), (1,), "same", (1,), "zeros", 1),)),
            ("conv", (3,), (1,), (1,), (1,), "zeros", 1))
    report, problems = check(1, spec, strict=True)
    assert "misaligned" in report.rows[4].flags
    assert not problems, "\n".join([repr(spec)] + problems + [str(report)])


def test_misaligned_branches_see_at_least_the_widest():
    spec = (("concat",
             (("conv", (2,), (1,), "same", (1,), "zeros", 1),
              ("conv", (2,), (1,), "same", (1,), "zeros", 1)),
             (("conv", (3,), (1,), "same", (1,), "zeros", 1),)),
            ("conv", (3,), (1,), (1,), (1,), "zeros", 1))
    report, problems = check(1, spec)
    assert not problems


# --------------------------------------------------------------------------
# Flatten and the dense layer after it
# --------------------------------------------------------------------------

class FlattenHead(nn.Module):
    """A padded body (5x5 map of 2 channels on a 20x20 input), the map
    flattened ``how``, two Linear layers."""

    def __init__(self, how):
        super().__init__()
        self.how = how
        self.body = nn.Sequential(
            nn.Conv2d(1, 2, 3, padding=1, bias=False), nn.AvgPool2d(2),
            nn.Conv2d(2, 2, 3, stride=2, padding=1, bias=False))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(50, 4, bias=False)
        self.out = nn.Linear(4, 3, bias=False)

    def forward(self, x):
        x = self.body(x)
        if self.how == "nn.Flatten":
            x = self.flatten(x)
        elif self.how == "torch.flatten":
            x = torch.flatten(x, 1)
        elif self.how == "view":
            x = x.view(x.size(0), -1)
        else:
            x = x.reshape(x.shape[0], 50)
        return self.out(torch.relu(self.fc(x)))


def _span_of_gradient(output, x, axis):
    (grad,) = torch.autograd.grad(output, x, retain_graph=True)
    return torch.nonzero(grad[0, 0].abs().sum(dim=1 - axis) > 0).flatten()


@pytest.mark.parametrize("how", ["nn.Flatten", "torch.flatten", "view",
                                 "reshape"])
def test_a_flattened_unit_sees_its_position_and_a_dense_unit_the_image(how):
    net = FlattenHead(how).double()
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(1.)
    network, report = analysed(net, 2, 20)
    rows = {r.name: r for r in report.rows}
    (flat,) = [r for r in report.rows if r.op == "flatten"]
    conv, fc = rows["body.2"], rows["fc"]
    assert (flat.field, flat.jump, flat.start) == (
        conv.field, conv.jump, conv.start) == ((8., 8.), (4., 4.), (1., 1.))
    assert fc.op == "collapse" and not fc.flags and not flat.flags
    x = torch.ones((1, 1, 20, 20), dtype=torch.float64, requires_grad=True)
    outputs = node_outputs(net, x)
    for unit in ((2, 2), (2, 3), (3, 2)):      # channel 1, clear of borders
        value = outputs[flat.name][0, 25 + 5 * unit[0] + unit[1]]
        same = outputs[conv.name][0, 1, unit[0], unit[1]]
        for axis in (0, 1):
            hit = _span_of_gradient(value, x, axis)
            assert hit.tolist() == _span_of_gradient(same, x, axis).tolist()
            centre = flat.start[axis] + unit[axis] * flat.jump[axis]
            assert (int(hit[0]), int(hit[-1]) + 1) == (
                centre - flat.field[axis] / 2, centre + flat.field[axis] / 2)
    # a dense unit: every carried position, padding cut off by the image
    for row in (fc, rows["relu"], rows["out"]):
        assert row.field == row.field_min == (20., 20.)
        assert row.start == (10., 10.) and row.coverage == (100., 100.)
        for axis in (0, 1):
            hit = _span_of_gradient(outputs[row.name][0, 0], x, axis)
            assert (int(hit[0]), int(hit[-1]) + 1) == (0, 20)
