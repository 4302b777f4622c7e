"""Lasagne 0.1's ``cuda_convnet`` module: the constraints of
``Conv2DCCLayer`` and ``MaxPool2DCCLayer`` and the plain ints they store.
The conv and pool builders call these."""
from .arguments import drop


def cuda_convnet_conv(kw, attrs, channels):
    """Lasagne 0.1's Conv2DCCLayer: square filters, strides and pads,
    stored as plain ints."""
    if not kw.pop("dimshuffle", True):
        raise ValueError("only dimshuffle=True (the bc01 layout) is "
                         "supported")
    drop(kw, "partial_sum")
    for key in ("filter_size", "stride", "pad"):
        rows, columns = attrs[key]
        if rows != columns:
            raise ValueError("Conv2DCCLayer needs a square {}, got {}".format(
                key, attrs[key]))
        attrs[key] = rows
    attrs["dimshuffle"] = True
    if attrs["num_filters"] % 16:
        raise ValueError("Conv2DCCLayer needs num_filters to be a multiple "
                         "of 16, got {}".format(attrs["num_filters"]))
    if not (channels < 4 or channels % 4 == 0):
        raise ValueError("Conv2DCCLayer needs 1, 2, 3 or a multiple of 4 "
                         "input channels, got {}".format(channels))

def cuda_convnet_pool(kw, attrs):
    """Lasagne 0.1's MaxPool2DCCLayer: square windows, no padding, partial
    windows kept; ``pool_size`` and ``stride`` stored as plain ints."""
    if not kw.pop("dimshuffle", True):
        raise ValueError("only dimshuffle=True (the bc01 layout) is "
                         "supported")
    if attrs["ignore_border"]:
        raise ValueError("MaxPool2DCCLayer needs ignore_border=False")
    for key in ("pool_size", "stride"):
        if attrs[key][0] != attrs[key][1]:
            raise ValueError("MaxPool2DCCLayer needs a square {}, got "
                             "{}".format(key, attrs[key]))
    size, stride = attrs["pool_size"][0], attrs["stride"][0]
    if stride > size:
        raise ValueError("MaxPool2DCCLayer needs stride <= pool_size, got "
                         "stride {} and pool_size {}".format(stride, size))
    return {"pool_size": size, "stride": stride, "dimshuffle": True}
