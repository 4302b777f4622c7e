"""Output-size arithmetic along one axis, on ints and ``None``.

The same small functions serve every layer variant (1D/2D/3D, cuDNN,
cuda-convnet, ...); ``None`` (a variable size) passes through.  Padding
follows Lasagne: an int pads both ends, ``'valid'`` is 0, ``'full'`` pads
``extent - 1`` and ``'same'`` keeps the length (for stride 1).
"""

PAD_MODES = ("valid", "full", "same")


def as_tuple(value, n, what="value", one_for_all=False, convert=None):
    """One value per axis: ``3 -> (3, 3)``.

    Parameters
    ----------
    value : object
        One value for every axis, or a list or tuple of ``n`` values (a
        tuple subclass such as ``torch.Size`` too, with no torch import).
    n : int
        The number of axes.
    what : str
        The argument's name, for the error message.
    one_for_all : bool
        A one-entry sequence stands for every axis (torch's convention;
        Lasagne refuses it).
    convert : callable or None
        Applied to each entry (torch sizes -> ``int``).

    Returns
    -------
    tuple
        ``n`` entries.

    Raises
    ------
    ValueError
        A sequence of another length.
    """
    if isinstance(value, (list, tuple)):
        if one_for_all and len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError("{} {!r} should have {} entries".format(
                what, tuple(value) if isinstance(value, tuple) else value,
                n))
        values = tuple(value)
    else:
        values = (value,) * n
    return values if convert is None else tuple(convert(v) for v in values)


def window(n_axes, kernel=1, stride=1, pad=0, dilation=1, learns=False,
           per_axis=None):
    """The fields of a sliding-window record (conv, pool, pad, slice).

    ``per_axis(value, n_axes, what)`` turns each argument into a tuple; each
    adapter passes its framework's convention (default :func:`as_tuple`).
    """
    per_axis = per_axis or as_tuple
    return dict(op="window",
                kernel=per_axis(kernel, n_axes, "kernel"),
                stride=per_axis(stride, n_axes, "stride"),
                pad=per_axis(pad, n_axes, "pad"),
                dilation=per_axis(dilation, n_axes, "dilation"),
                learns=learns)


def effective_extent(filter_size, dilation=1):
    """Span of a dilated kernel: ``d * (k - 1) + 1``."""
    return dilation * (filter_size - 1) + 1


def leading_pad(pad, filter_size, dilation=1):
    """The pad before the first input element, for Lasagne's pad modes.

    'same' pads ``extent // 2`` in front (one less behind for even
    extents), as Lasagne does; 'full' pads ``extent - 1``.
    """
    extent = effective_extent(filter_size, dilation)
    if pad == "valid":
        return 0
    if pad == "full":
        return extent - 1
    if pad == "same":
        return extent // 2
    if isinstance(pad, str):
        raise ValueError("pad {!r} should be an int or one of {}".format(
            pad, ", ".join(PAD_MODES)))
    return pad


def conv_output_length(length, filter_size, stride=1, pad=0, dilation=1):
    """Lasagne's ``conv_output_length`` with dilation: ``'same'`` keeps
    ``ceil(length / stride)`` whatever the filter size."""
    if length is None:
        return None
    extent = effective_extent(filter_size, dilation)
    if pad == "same":
        padded = length
    else:
        padded = length + 2 * leading_pad(pad, filter_size, dilation) \
            - extent + 1
    return (padded + stride - 1) // stride


def pool_output_length(length, pool_size, stride, pad=0, ignore_border=True):
    """Lasagne's ``pool_output_length``: with ``ignore_border=False`` a
    partial window is kept when input would otherwise be left uncovered."""
    if length is None or pool_size is None:
        return None
    if ignore_border:
        return (length + 2 * pad - pool_size + 1 + stride - 1) // stride
    if pad:
        raise ValueError("padding needs ignore_border=True, got pad {}"
                         .format(pad))
    if stride >= pool_size:
        return (length + stride - 1) // stride
    return max(0, (length - pool_size + stride - 1) // stride) + 1


def transposed_output_length(length, filter_size, stride=1, crop=0):
    """Length of a transposed conv (Lasagne's ``conv_input_length``): the
    smallest input that the matching conv maps to ``length`` elements,
    ``(length - 1) * stride + filter_size - 2 * crop``."""
    if length is None:
        return None
    return (length - 1) * stride + filter_size - 2 * leading_pad(
        crop, filter_size)


def legacy_gpu_pad(pad, filter_size, modes=("full", "same")):
    """How Lasagne 0.1's cuDNN, corrmm and cuda-convnet classes store a pad
    mode: ints, ``k - 1`` for 'full' and ``(k - 1) // 2`` for 'same' per
    axis (one short of 'same' for an even ``k``); 'valid' is 0.  Modes not
    in ``modes`` (cuDNN keeps 'full') and explicit pads are returned as
    given."""
    if pad == "valid" and "valid" in modes:
        return tuple(0 for _ in filter_size)
    if pad in ("full", "same") and pad in modes:
        return tuple(k - 1 if pad == "full" else (k - 1) // 2
                     for k in filter_size)
    return pad
