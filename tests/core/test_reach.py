"""What a collapsing unit sees: the pixels the units of its map read.

The core follows, unit by unit, the first and last image pixel each unit
of a map reads (``core._Reach``), in closed form over slices.  Here the
direct definition, set by set: a window unit ``u`` reads the pixels of
input units ``u * stride + dilation * m - pad`` (padding reads none, or
with torch's non-constant modes the unit it mirrors, repeats or wraps
to); a transposed unit ``o`` the pixels of ``(o + crop - dilation * m) /
stride`` when that divides.  A dense layer after the map sees their union,
padding left out, and so must its row.  The torch and Lasagne gradient
tests check the same against autograd and Theano.
"""
from hypothesis import given, settings, strategies as st
from hypothesis_profiles import examples

from nolearn_capacity import core
from nolearn_capacity.core import LayerRecord, Network


def rec(name, op, inputs=(), length=18, **geometry):
    for key in ("kernel", "stride", "dilation"):
        geometry.setdefault(key, (1,))
    geometry.setdefault("pad", (0,))
    return LayerRecord(name=name, label=name, class_name=op.title(), op=op,
                       inputs=tuple(inputs), output_shape=(None, 1, length),
                       **geometry)


def window(name, inputs, length, k, stride=1, pad=0, dilation=1,
           op="window", pad_mode="constant"):
    return rec(name, op, inputs, length, kernel=(k,), stride=(stride,),
               pad=(pad,), dilation=(dilation,), pad_mode=pad_mode)


def dense(inputs):
    return LayerRecord(name="dense", label="dense", class_name="Dense",
                       op="collapse", inputs=tuple(inputs),
                       output_shape=(None, 2))


def rows(*records):
    return core.report(Network(tuple(records), 0), "exact").rows


def test_a_stride_that_cuts_off_the_last_pixel():
    # pixels 0-16 of 18 reach the stride-2 map; its 'same' conv's last
    # unit reaches pixel 17 only through its padding
    net = rows(rec("in", "input"), window("a", [0], 8, 3, stride=2),
               window("b", [1], 8, 3, pad=1), dense([2]))
    assert net[2].field == (7,) and net[2].start == (1.5,)   # padding kept
    assert net[3].field == (17,) and net[3].start == (8.5,)
    assert net[3].coverage == (100. * 17 / 18,)


def test_holes_filled_by_padding_at_the_border():
    # unit 0 of the dilated conv reads pixel 2 only (-2 is padding), unit
    # 3 pixels 1 and 5, unit 6 pixels 4 and 8, unit 9 pixel 7: the stride
    # 3 keeps those, so pixels 1-8 of 10
    net = rows(rec("in", "input", length=10),
               window("a", [0], 10, 2, pad=2, dilation=4),
               window("b", [1], 4, 1, stride=3), dense([2]))
    assert net[3].field == (8,) and net[3].start == (5,)


def test_circular_padding_reads_the_other_end():
    # the stride-3 conv reads pixels 0-8 of 10; a 'same' conv after it
    # reads them all, whatever its padding reads
    plain = [rec("in", "input", length=10), window("a", [0], 3, 3,
                                                   stride=3)]
    for mode, pixels in (("constant", 9), ("circular", 9), ("reflect", 9)):
        net = rows(*plain, window("b", [1], 3, 3, pad=1, pad_mode=mode),
                   dense([2]))
        assert net[3].field == (pixels,), mode
    # a 1-tap conv, stride 3, pad 1 over 4 units of 3 pixels each: its
    # unit 1 reads unit 2 (pixels 6-8); its unit 0 reads the padding in
    # front, which is no pixel (constant), unit 3 (circular: 9-11), unit 1
    # (reflect: 3-5) or unit 0 (replicate: 0-2)
    plain = [rec("in", "input", length=12), window("a", [0], 4, 3,
                                                   stride=3)]
    for mode, pixels in (("constant", 3), ("circular", 6), ("reflect", 6),
                         ("replicate", 9)):
        net = rows(*plain, window("b", [1], 2, 1, stride=3, pad=1,
                                  pad_mode=mode), dense([2]))
        assert net[3].field == (pixels,), mode


def test_a_map_that_reads_nothing():
    net = rows(rec("in", "input", length=8),
               window("pad", [0], 12, 1, pad=-20), dense([1]))
    assert net[2].field == (0,)


# --------------------------------------------------------------------------
# Against the direct definition
# --------------------------------------------------------------------------

MODES = ["constant", "constant", "reflect", "replicate", "circular"]


def folded(position, n, mode):
    """The input unit a padded position reads, by repeated mirroring."""
    if mode == "replicate":
        return min(max(position, 0), n - 1)
    if mode == "circular":
        return position % n
    while not 0 <= position < n:
        position = -position if position < 0 else 2 * (n - 1) - position
        if n == 1:
            return 0
    return position


def read_sets(layers):
    """Per record of a 1D chain, per unit, the set of pixels it reads."""
    sets = []
    for record in layers:
        n_out = record.output_shape[2]
        if record.op == "input":
            sets.append([{u} for u in range(n_out)])
            continue
        below = sets[-1]
        n = len(below)
        (k,), (s,), (p,), (d,) = (record.kernel, record.stride, record.pad,
                                  record.dilation)
        out = [set() for _ in range(n_out)]
        if record.op == "window":
            for u in range(n_out):
                for m in range(k):
                    i = u * s + d * m - p
                    if not 0 <= i < n:
                        if record.pad_mode == "constant":
                            continue
                        i = folded(i, n, record.pad_mode)
                    out[u] |= below[i]
        else:
            for i in range(n):
                for m in range(k):
                    o = i * s + d * m - p
                    if 0 <= o < n_out:
                        out[o] |= below[i]
        sets.append(out)
    return sets


@st.composite
def chains(draw):
    layers = [rec("in", "input", length=draw(st.integers(1, 30)))]
    for index in range(1, draw(st.integers(2, 5))):
        op = draw(st.sampled_from(["window", "window", "transposed"]))
        k, s, d = (draw(st.integers(1, 5)), draw(st.integers(1, 4)),
                   draw(st.integers(1, 3)))
        mode = draw(st.sampled_from(MODES)) if op == "window" else \
            "constant"
        n = layers[-1].output_shape[2]
        pad = draw(st.integers(-2, 6)) if mode == "constant" else \
            draw(st.integers(0, n - 1))
        # any length: past the geometric one, units read padding only
        length = draw(st.integers(1, 40))
        layers.append(window("l{}".format(index), [index - 1], length, k,
                             s, pad, d, op, mode))
    return layers


@settings(max_examples=examples(400))
@given(chains())
def test_reads_match_the_direct_definition(layers):
    network = Network(tuple(layers) + (dense([len(layers) - 1]),), 0)
    states, _ = core.exact_states(network)
    reach = core._Reach(network.layers, states)
    for index, units in enumerate(read_sets(layers)):
        firsts, lasts = reach._reads(index)[1][0]
        assert firsts == [min(u) if u else core._NO_FIRST for u in units]
        assert lasts == [max(u) if u else core._NO_LAST for u in units]
    # both ways of reading a window: tap by tap and unit by unit
    sets = read_sets(layers)
    for record, below, units in zip(layers[1:], sets, sets[1:]):
        if record.op != "window":
            continue
        reads = ([min(u) if u else core._NO_FIRST for u in below],
                 [max(u) if u else core._NO_LAST for u in below])
        args = (reads, len(units), record.kernel[0], record.stride[0],
                record.pad[0], record.dilation[0], record.pad_mode)
        assert core._reads_by_tap(*args) == core._reads_by_unit(*args)
    pixels = set().union(*sets[-1])
    row = core.report(network, "exact").rows[-1]
    if pixels:
        assert row.field == (max(pixels) - min(pixels) + 1,)
        assert row.start == ((max(pixels) + min(pixels) + 1) / 2,)
    else:
        assert row.field == (0,)


def test_a_merge_reads_what_its_branches_read():
    # the cropped branch's units are shifted by the crop; the sum reads
    # the union per unit
    layers = (rec("in", "input", length=10),
              window("a", [0], 4, 1, stride=3),
              window("b", [0], 6, 1, stride=2, pad=-1),
              LayerRecord(name="sum", label="sum", class_name="Merge",
                          op="merge", inputs=(1, 2),
                          output_shape=(None, 1, 4),
                          cropping=(None, None, "upper")))
    net = Network(layers + (dense([3]),), 0)
    states, _ = core.exact_states(net)
    firsts, lasts = core._Reach(net.layers, states)._reads(3)[1][0]
    # a: pixels 0 3 6 9; b: 1 3 5 7 9 11(none), cropped by 2 in front
    assert firsts == [0, 3, 6, 9] and lasts == [5, 7, 9, 9]
    assert core.report(net, "exact").rows[4].field == (10,)


def test_huge_kernels_strides_and_dilations_read_in_few_steps():
    # a unit of the 10**12-tap window reads every pixel; the huge stride
    # leaves unit 0, which reads pixels 0 and 1, and a unit that reads
    # padding only; past its first tap the huge dilation reaches nothing,
    # so unit u reads pixel u - 1 alone: pixel 31 is read by none
    image = rec("in", "input", length=32)
    for layer, pixels in (
            (window("k", [0], 32, 10 ** 12 + 1, pad=5 * 10 ** 11), 32),
            (window("s", [0], 3, 2, stride=10 ** 8 + 1), 2),
            (window("d", [0], 32, 3, dilation=10 ** 9, pad=1), 31),
            (window("t", [0], 64, 10 ** 6, stride=2, op="transposed"), 32)):
        assert rows(image, layer, dense([1]))[2].field == (pixels,), \
            layer.name
