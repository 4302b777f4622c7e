"""Builders for Lasagne's ``conv`` module and the GPU variants of its
layers (cuDNN, corrmm, cuda-convnet): convolutions, dilated and
transposed convolutions."""
from ... import geometry
from ...errors import shown
from .arguments import (as_int, as_ints, bias_count, check_rank, drop, need,
                        prod, require_fixed)
from .base import builder
from .cuda_convnet import cuda_convnet_conv


#: conv class -> (spatial axes, how it stores ``pad='same'`` / ``'full'``):
#: 'keep' the string (Lasagne's own layers), 'ints' per-axis ints (0.1's
#: corrmm and cuda-convnet), 'dnn' ints for 'same' only (0.1's cuDNN).
CONV_CLASSES = {
    "Conv1DLayer": (1, "keep"), "Conv2DLayer": (2, "keep"),
    "Conv3DLayer": (3, "keep"), "Conv3DDNNLayer": (3, "keep"),
    "Conv2DDNNLayer": (2, "dnn"), "Conv2DMMLayer": (2, "ints"),
    "Conv2DCCLayer": (2, "ints"),
}


#: conv style -> the pad modes it stores as ints (see CONV_CLASSES).
STORED_AS_INTS = {"keep": (), "dnn": ("same",), "ints": ("full", "same")}


def _conv_pad(pad, filter_size, style="keep", what="pad"):
    """Lasagne's conv padding argument -> what the layer stores."""
    n = len(filter_size)
    if pad == "valid":
        return (0,) * n
    if pad in ("full", "same"):
        return geometry.legacy_gpu_pad(pad, filter_size, STORED_AS_INTS[style])
    if isinstance(pad, str):
        raise ValueError("{} should be an int, a tuple of ints or one of "
                         "{}, got {}".format(what,
                                             ", ".join(geometry.PAD_MODES),
                                             shown(pad)))
    return as_ints(pad, n, what, 0)


def conv_filters(kw, n_axes, shape):
    """Arguments all conv variants share -> (num_filters, filter_size,
    untie_biases)."""
    check_rank(shape, n_axes)
    require_fixed(shape[1:2], "the number of input channels")
    filters = as_int(need(kw, "num_filters"), "num_filters", 1)
    size = as_ints(need(kw, "filter_size"), n_axes, "filter_size", 1)
    untie = bool(kw.pop("untie_biases", False))
    drop(kw, "W", "nonlinearity")
    return filters, size, untie


def odd_for_same(pad, filter_size, what="pad"):
    if pad == "same" and any(k % 2 == 0 for k in filter_size):
        raise ValueError("{}='same' needs odd filter sizes, got {}".format(
            what, filter_size))


@builder(*CONV_CLASSES)
def _conv(cls, kw, shapes):
    (shape,) = shapes
    n, style = CONV_CLASSES[cls]
    filters, size, untie = conv_filters(kw, n, shape)
    stride = as_ints(kw.pop("stride", 1), n, "stride", 1)
    pad = _conv_pad(kw.pop("pad", 0), size, style)
    pads = pad if isinstance(pad, tuple) else (pad,) * n
    out = tuple(geometry.conv_output_length(length, k, s, p) for
                length, k, s, p in zip(shape[2:], size, stride, pads))
    attrs = {"num_filters": filters, "filter_size": size, "stride": stride,
             "pad": pad, "untie_biases": untie}
    drop(kw, "convolution", "flip_filters")
    if cls == "Conv2DCCLayer":
        groups = 1
        cuda_convnet_conv(kw, attrs, shape[1])
    else:
        groups = attrs["num_groups"] = as_int(kw.pop("num_groups", 1),
                                              "num_groups", 1)
        if filters % groups or shape[1] % groups:
            raise ValueError(
                "num_groups={} should divide the {} input and {} output "
                "channels".format(groups, shape[1], filters))
    weights = filters * (shape[1] // groups) * prod(size)
    return (attrs, (shape[0], filters) + out,
            weights + bias_count(kw, filters, out, untie))


@builder("DilatedConv2DLayer")
def _dilated_conv(cls, kw, shapes):
    (shape,) = shapes
    if kw.pop("flip_filters", False):
        raise ValueError("DilatedConv2DLayer needs flip_filters=False")
    filters, size, untie = conv_filters(kw, 2, shape)
    dilation = as_ints(kw.pop("dilation", 1), 2, "dilation", 1)
    pad = kw.pop("pad", 0)
    if pad != "valid" and (isinstance(pad, str) or
                           as_ints(pad, 2, "pad") != (0, 0)):
        raise ValueError("DilatedConv2DLayer needs pad=0, got {}; put a "
                         "PadLayer in front to pad".format(shown(pad)))
    out = tuple(geometry.conv_output_length(length, k, 1, 0, d)
                for length, k, d in zip(shape[2:], size, dilation))
    attrs = {"num_filters": filters, "filter_size": size,
             "dilation": dilation, "pad": (0, 0), "untie_biases": untie}
    weights = shape[1] * filters * prod(size)   # W is (in, out, rows, cols)
    return (attrs, (shape[0], filters) + out,
            weights + bias_count(kw, filters, out, untie))


TRANSPOSED_CLASSES = {"TransposedConv2DLayer": 2, "Deconv2DLayer": 2,
                      "TransposedConv3DLayer": 3, "Deconv3DLayer": 3}


@builder(*TRANSPOSED_CLASSES)
def _transposed_conv(cls, kw, shapes):
    (shape,) = shapes
    n = TRANSPOSED_CLASSES[cls]
    filters, size, untie = conv_filters(kw, n, shape)
    stride = as_ints(kw.pop("stride", 1), n, "stride", 1)
    crop = _conv_pad(kw.pop("crop", 0), size, what="crop")
    odd_for_same(crop, size, "crop")
    output_size = kw.pop("output_size", None)
    drop(kw, "flip_filters")
    if output_size is None:
        crops = crop if isinstance(crop, tuple) else (crop,) * n
        out = tuple(geometry.transposed_output_length(length, k, s, c) for
                    length, k, s, c in zip(shape[2:], size, stride, crops))
    else:
        out = output_size = as_ints(output_size, n, "output_size", 1)
    attrs = {"num_filters": filters, "filter_size": size, "stride": stride,
             "crop": crop, "output_size": output_size, "untie_biases": untie}
    weights = shape[1] * filters * prod(size)   # W is (in, out, ...)
    return (attrs, (shape[0], filters) + out,
            weights + bias_count(kw, filters, out, untie))
