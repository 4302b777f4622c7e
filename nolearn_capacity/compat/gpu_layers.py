"""CPU stand-ins for Lasagne 0.1's cuDNN, cuda-convnet and corrmm layer
modules, which need Theano's removed CUDA back-end (see the package's
docstring).  Lasagne and Theano are imported inside the builders, which run
while ``lasagne.layers.<module>`` is being imported."""
from ..geometry import legacy_gpu_pad


# --- 5. cuDNN / cuda-convnet / corrmm layers on a CPU machine -------------
#
# The builders run while ``lasagne.layers.<module>`` is being imported, so
# Lasagne is importable by then.  Classes are made per module so that
# their ``__module__`` and ``__qualname__`` are the real ones (nolearn
# names rows after ``str(layer)``; pickled nets find their classes again).

def publish(module, classes, aliases=None):
    for cls in classes:
        cls.__module__ = module.__name__
        cls.__qualname__ = cls.__name__
        setattr(module, cls.__name__, cls)
    for alias, cls in (aliases or {}).items():
        setattr(module, alias, cls)
    module.__all__ = [cls.__name__ for cls in classes] + list(aliases or ())


def correlate(layer, input, pad, stride, bc01=True):
    """What a GPU conv layer computes, on the CPU: ``layer.W`` slid over
    `input` (flipped only with ``flip_filters=True``, as on the GPU), plus
    ``layer.b``, through ``layer.nonlinearity``."""
    from theano.tensor.nnet import conv2d
    weights = layer.W
    if not bc01:   # cuda-convnet's c01b layout: channels first, batch last
        input, weights = input.dimshuffle(3, 0, 1, 2), weights.dimshuffle(
            3, 0, 1, 2)
    out = conv2d(input, weights, border_mode=pad, subsample=stride,
                 filter_flip=bool(layer.flip_filters))
    if layer.b is not None:
        out = out + (layer.b.dimshuffle("x", 0, 1, 2) if layer.untie_biases
                     else layer.b.dimshuffle("x", 0, "x", "x"))
    out = layer.nonlinearity(out)
    return out if bc01 else out.dimshuffle(1, 2, 3, 0)


def square(value, what):
    """cuda-convnet's square sizes: an int or a pair of equal ints -> int."""
    from lasagne.utils import as_tuple
    rows, columns = as_tuple(value, 2)
    if rows != columns:
        raise NotImplementedError(
            "the cuda-convnet layers need a square {}, got ({}, {})".format(
                what, rows, columns))
    return rows


def correlating_conv(name, base, pads_as_ints, doc):
    """A 2D conv class of Lasagne 0.1's GPU modules on the CPU: a
    correlation unless ``flip_filters=True``; the pad modes in
    ``pads_as_ints`` are stored as ints (see :func:`legacy_gpu_pad`)."""
    from lasagne import init, nonlinearities
    from lasagne.layers import Conv2DLayer
    from lasagne.utils import as_tuple

    class Conv(base, Conv2DLayer):
        def __init__(self, incoming, num_filters, filter_size, stride=(1, 1),
                     pad=0, untie_biases=False, W=init.GlorotUniform(),
                     b=init.Constant(0.), nonlinearity=nonlinearities.rectify,
                     flip_filters=False, **kwargs):
            pad = legacy_gpu_pad(pad, as_tuple(filter_size, 2), pads_as_ints)
            super().__init__(
                incoming, num_filters, filter_size, stride, pad, untie_biases,
                W, b, nonlinearity, **kwargs)
            self.flip_filters = flip_filters

        def get_output_for(self, input, **kwargs):
            return correlate(self, input, self.pad, self.stride)

    Conv.__name__, Conv.__doc__ = name, doc
    return Conv


def build_dnn(module):
    from lasagne.layers import Layer, Pool2DLayer

    class DNNLayer(Layer):
        """Base of the cuDNN layers (CPU stand-in)."""

    Conv2DDNNLayer = correlating_conv(
        "Conv2DDNNLayer", DNNLayer, ("same",),
        """``Conv2DDNNLayer`` of Lasagne 0.1 on the CPU: a correlation
        (``flip_filters=False``, the default) or a convolution; ``'same'``
        padding is stored as ints, ``(k - 1) // 2`` per axis.""")

    class Pool2DDNNLayer(DNNLayer, Pool2DLayer):
        """``Pool2DDNNLayer`` of Lasagne 0.1 on the CPU: modes 'max',
        'average_inc_pad', 'average_exc_pad'; partial windows are dropped
        (``ignore_border=True`` only)."""

        def __init__(self, incoming, pool_size, stride=None, pad=(0, 0),
                     ignore_border=True, mode="max", **kwargs):
            if not ignore_border:
                raise NotImplementedError(
                    "Pool2DDNNLayer drops partial windows: it needs "
                    "ignore_border=True, got ignore_border={!r}".format(
                        ignore_border))
            super(Pool2DDNNLayer, self).__init__(
                incoming, pool_size, stride, pad, True, mode, **kwargs)

    class MaxPool2DDNNLayer(Pool2DDNNLayer):
        """``MaxPool2DDNNLayer`` of Lasagne 0.1 on the CPU."""

        def __init__(self, incoming, pool_size, stride=None, pad=(0, 0),
                     ignore_border=True, **kwargs):
            super(MaxPool2DDNNLayer, self).__init__(
                incoming, pool_size, stride, pad, ignore_border, mode="max",
                **kwargs)

    publish(module, [DNNLayer, Conv2DDNNLayer, Pool2DDNNLayer,
                      MaxPool2DDNNLayer])


def build_cuda_convnet(module):
    from lasagne import init, nonlinearities
    from lasagne.layers import Conv2DLayer, Layer, MaxPool2DLayer
    from lasagne.layers.conv import conv_output_length
    from lasagne.layers.pool import pool_output_length
    from theano.tensor.signal import pool

    def spatial(shape, bc01):
        return tuple(shape[2:4]) if bc01 else tuple(shape[1:3])

    def with_spatial(shape, bc01, first, sizes):
        """(batch, first, rows, cols) in bc01, (first, rows, cols, batch)
        in c01b, with the batch size and rows, cols of `shape`."""
        batch = shape[0] if bc01 else shape[3]
        return ((batch, first) + sizes) if bc01 else (
            (first,) + sizes + (batch,))

    class CCLayer(Layer):
        """Base of the cuda-convnet layers (CPU stand-in)."""

    class Conv2DCCLayer(CCLayer, Conv2DLayer):
        """``Conv2DCCLayer`` of Lasagne 0.1 on the CPU.  As the original it
        needs square filters, strides and pads and stores them as plain
        ints; ``dimshuffle=False`` takes c01b input and weights."""

        def __init__(self, incoming, num_filters, filter_size, stride=(1, 1),
                     pad=0, untie_biases=False, W=None, b=init.Constant(0.),
                     nonlinearity=nonlinearities.rectify, dimshuffle=True,
                     flip_filters=False, partial_sum=1, **kwargs):
            size = square(filter_size, "filter_size")
            step = square(stride, "stride")
            if num_filters % 16:
                raise RuntimeError(
                    "Conv2DCCLayer needs num_filters to be a multiple of 16, "
                    "got {}".format(num_filters))
            pad = square(legacy_gpu_pad(pad, (size, size),
                                        ("valid", "full", "same")), "pad")
            if W is None:
                W = init.GlorotUniform(c01b=not dimshuffle)
            # read by get_W_shape / get_output_shape_for during __init__
            self.dimshuffle = dimshuffle
            super(Conv2DCCLayer, self).__init__(
                incoming, num_filters, size, step, pad, untie_biases, W,
                None, nonlinearity, **kwargs)
            self.filter_size, self.stride, self.pad = size, step, pad
            self.flip_filters, self.partial_sum = flip_filters, partial_sum
            channels = self.num_input_channels
            if not (channels < 4 or channels % 4 == 0):
                raise RuntimeError(
                    "Conv2DCCLayer needs 1, 2, 3 or a multiple of 4 input "
                    "channels, got {}".format(channels))
            if b is not None:
                shape = (num_filters,) + (
                    spatial(self.output_shape, dimshuffle)
                    if untie_biases else ())
                self.b = self.add_param(b, shape, name="b",
                                        regularizable=False)

        @property
        def num_input_channels(self):
            return self.input_shape[1 if self.dimshuffle else 0]

        def get_W_shape(self):
            k = square(self.filter_size, "filter_size")
            c, f = self.num_input_channels, self.num_filters
            return (f, c, k, k) if self.dimshuffle else (c, k, k, f)

        def get_output_shape_for(self, input_shape):
            k = square(self.filter_size, "filter_size")
            s = square(self.stride, "stride")
            p = square(self.pad, "pad")
            sizes = tuple(conv_output_length(n, k, s, p)
                          for n in spatial(input_shape, self.dimshuffle))
            return with_spatial(input_shape, self.dimshuffle,
                                self.num_filters, sizes)

        def get_output_for(self, input, **kwargs):
            return correlate(self, input, (self.pad,) * 2,
                              (self.stride,) * 2, bc01=self.dimshuffle)

    class MaxPool2DCCLayer(CCLayer, MaxPool2DLayer):
        """``MaxPool2DCCLayer`` of Lasagne 0.1 on the CPU: square windows,
        no padding, partial windows kept; ``pool_size`` and ``stride`` are
        plain ints."""

        def __init__(self, incoming, pool_size, stride=None,
                     ignore_border=False, dimshuffle=True, **kwargs):
            pad = kwargs.pop("pad", 0)
            if square(pad, "pad") != 0:
                raise NotImplementedError(
                    "MaxPool2DCCLayer does not pad, got pad={!r}".format(pad))
            if ignore_border:
                raise NotImplementedError(
                    "MaxPool2DCCLayer keeps partial windows: it needs "
                    "ignore_border=False, got {!r}".format(ignore_border))
            size = square(pool_size, "pool_size")
            step = size if stride is None else square(stride, "stride")
            if step > size:
                raise NotImplementedError(
                    "MaxPool2DCCLayer needs stride <= pool_size, got stride "
                    "{} and pool_size {}".format(step, size))
            super(MaxPool2DCCLayer, self).__init__(
                incoming, size, step, 0, False, **kwargs)
            self.pool_size, self.stride = size, step
            self.dimshuffle = dimshuffle

        def get_output_shape_for(self, input_shape):
            sizes = tuple(pool_output_length(n, self.pool_size, self.stride,
                                             0, False)
                          for n in spatial(input_shape, self.dimshuffle))
            channels = input_shape[1 if self.dimshuffle else 0]
            return with_spatial(input_shape, self.dimshuffle, channels,
                                sizes)

        def get_output_for(self, input, **kwargs):
            if not self.dimshuffle:
                input = input.dimshuffle(3, 0, 1, 2)
            out = pool.pool_2d(input, ws=(self.pool_size,) * 2,
                               stride=(self.stride,) * 2,
                               ignore_border=False, mode="max")
            return out if self.dimshuffle else out.dimshuffle(1, 2, 3, 0)

    class ShuffleBC01ToC01BLayer(Layer):
        """bc01 (batch first) -> c01b (batch last)."""

        def get_output_shape_for(self, input_shape):
            return tuple(input_shape[1:4]) + (input_shape[0],)

        def get_output_for(self, input, **kwargs):
            return input.dimshuffle(1, 2, 3, 0)

    class ShuffleC01BToBC01Layer(Layer):
        """c01b (batch last) -> bc01 (batch first)."""

        def get_output_shape_for(self, input_shape):
            return (input_shape[3],) + tuple(input_shape[0:3])

        def get_output_for(self, input, **kwargs):
            return input.dimshuffle(3, 0, 1, 2)

    publish(module, [CCLayer, Conv2DCCLayer, MaxPool2DCCLayer,
                      ShuffleBC01ToC01BLayer, ShuffleC01BToBC01Layer],
             {"bc01_to_c01b": ShuffleBC01ToC01BLayer,
              "c01b_to_bc01": ShuffleC01BToBC01Layer})


def build_corrmm(module):
    from lasagne.layers import Layer

    class MMLayer(Layer):
        """Base of the corrmm layers (CPU stand-in)."""

    Conv2DMMLayer = correlating_conv(
        "Conv2DMMLayer", MMLayer, ("full", "same"),
        """``Conv2DMMLayer`` of Lasagne 0.1 on the CPU: a correlation unless
        ``flip_filters=True``; ``'full'`` and ``'same'`` padding are stored
        as ints (``k - 1``, ``(k - 1) // 2``).""")
    publish(module, [MMLayer, Conv2DMMLayer])


GPU_LAYER_MODULES = {
    "lasagne.layers.dnn": build_dnn,
    "lasagne.layers.cuda_convnet": build_cuda_convnet,
    "lasagne.layers.corrmm": build_corrmm,
}
