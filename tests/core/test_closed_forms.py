"""The closed forms of the exact rules against a walk over every tap.

The core never loops over kernel taps or transposed phases (their count
can be 10**12); here small layers are checked against the direct
definition: a window unit ``u`` reads input units ``u * stride +
dilation * m - pad``, a transposed unit ``o`` reads ``(o + crop -
dilation * m) / stride`` when that divides, for every tap ``m``.
"""
from hypothesis import given, settings, strategies as st
from hypothesis_profiles import examples

from nolearn_capacity import core

small = st.integers(1, 6)
layers = st.tuples(st.sampled_from(["window", "transposed"]), small, small,
                   st.integers(0, 6), st.integers(1, 4))


def apply(state, layer):
    op, kernel, stride, pad, dilation = layer
    rule = core._window if op == "window" else core._transposed
    return rule(state, kernel, stride, pad, dilation, True)


def walked(prev, layer, unit):
    op, kernel, stride, pad, dilation = layer
    if op == "window":
        reads = [unit * stride + dilation * m - pad for m in range(kernel)]
    else:
        reads = [(unit + pad - dilation * m) // stride for m in range(kernel)
                 if (unit + pad - dilation * m) % stride == 0]
    return core._union([core._span_of(prev, r) for r in reads])


def phase_fields(kernel, stride, dilation):
    """Per transposed phase, the spread of its taps in input units."""
    spreads = []
    for phase in range(stride):
        taps = [m for m in range(kernel)
                if (phase - dilation * m) % stride == 0]
        spreads.append(dilation * (max(taps) - min(taps)) / stride
                       if taps else None)
    return spreads


@settings(max_examples=examples(300))
@given(st.lists(layers, min_size=1, max_size=4))
def test_spans_match_the_walk_over_taps(chain):
    state = core.AxisState()
    for layer in chain:
        prev, state = state, apply(state, layer)
        if state.spans is None:
            return
        for unit in range(-3, 3 * len(state.spans) + 3):
            assert core._span_of(state, unit) == walked(prev, layer, unit)


@settings(max_examples=examples(300))
@given(small, st.integers(1, 12), st.integers(1, 5))
def test_transposed_formulas_match_the_walk_over_phases(kernel, stride,
                                                        dilation):
    state = core._transposed(core.AxisState(spans=None), kernel, stride, 0,
                             dilation, True)
    spreads = phase_fields(kernel, stride, dilation)
    seen = [s for s in spreads if s is not None]
    assert state.field_max == 1 + max(seen)
    assert state.field_min == (0 if None in spreads else 1 + min(seen))
    assert state.real_filter == 1 + max(seen)   # prev.jump + growth
