"""Builder for Lasagne 0.2's ``local`` module: ``LocallyConnected2DLayer``."""
from ...errors import shown
from .arguments import as_ints, bias_count, drop, prod, require_fixed
from .base import builder
from .conv import conv_filters, odd_for_same


@builder("LocallyConnected2DLayer")
def _locally_connected(cls, kw, shapes):
    (shape,) = shapes
    filters, size, untie = conv_filters(kw, 2, shape)
    stride = as_ints(kw.pop("stride", 1), 2, "stride", 1)
    pad = kw.pop("pad", "same")
    if stride != (1, 1) or pad != "same":
        raise ValueError("LocallyConnected2DLayer needs stride=1 and "
                         "pad='same', got stride={}, pad={}".format(
                             stride, shown(pad)))
    odd_for_same(pad, size)
    require_fixed(shape[1:], "LocallyConnected2DLayer's input (after the "
                             "batch axis)")
    channelwise = bool(kw.pop("channelwise", False))
    if channelwise and filters != shape[1]:
        raise ValueError("channelwise=True needs num_filters equal to the "
                         "{} input channels, got {}".format(shape[1], filters))
    drop(kw, "flip_filters")
    out = shape[2:]
    # one filter per output position: W is (out, [in,] rows, cols, *out)
    weights = filters * (1 if channelwise else shape[1]) * prod(size) * \
        prod(out)
    attrs = {"num_filters": filters, "filter_size": size, "stride": stride,
             "pad": pad, "untie_biases": untie, "channelwise": channelwise}
    return (attrs, (shape[0], filters) + out,
            weights + bias_count(kw, filters, out, untie))
