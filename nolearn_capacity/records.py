"""The vocabulary every part shares: one framework-free record per layer.

Adapters make :class:`LayerRecord` objects; the rules (:mod:`.core`) read
them; nothing here knows a framework.  Ops, legacy roles and flags are
string-valued enums, so a record built with ``op="window"`` compares equal
to ``Op.WINDOW`` and JSON shows the plain string, while a misspelt op is
refused when the record is made instead of silently taking another rule.
"""
from __future__ import annotations

import enum
from .errors import (EmptyNetworkError, UnsupportedLayerError,
                     describe_layer, shown)
from .plain import record


class Words(str, enum.Enum):
    """A string enum that prints and formats as its value."""
    value: str

    def __str__(self):
        return self.value

    def __format__(self, spec):
        return format(self.value, spec)

    @classmethod
    def of(cls, value, what, record):
        """``value`` as a member, or an error naming the record."""
        try:
            return cls(value)
        except (ValueError, TypeError):
            raise UnsupportedLayerError("{}: {} {} is not one of {}".format(
                describe_layer(record.name, None, record.class_name), what,
                shown(value), ", ".join(m.value for m in cls))) from None


class Op(Words):
    """The geometry rule a record asks for."""
    #: the image; field 1, jump 1
    INPUT = "input"
    #: conv / pool / pad / slice: kernel, stride, leading pad, dilation
    WINDOW = "window"
    #: transposed conv / upscaling: output stride is 1 / stride
    TRANSPOSED = "transposed"
    #: acts per position (nonlinearity, dropout, norms, bias, scale)
    POINTWISE = "pointwise"
    #: per position, with statistics over the whole map (group, instance
    #: or layer norm over the spatial axes): the local field of a
    #: pointwise op, plus the whole map as global context
    NORMALISE = "normalise"
    #: sees its whole input map (dense, global pool; after a flatten, every
    #: position the flatten carried)
    COLLAPSE = "collapse"
    #: each unit carries one position of its input map (flatten, a reshape
    #: that folds the spatial axes into features): it sees what that
    #: position's unit sees
    FLATTEN = "flatten"
    #: several inputs of equal spatial size (concat, sum)
    MERGE = "merge"
    #: a class we have no rule for; treated as pointwise, flagged
    UNKNOWN = "unknown"


class PadMode(Words):
    """What a window's padding reads (exact mode's reach of a map)."""
    #: a constant (zeros, or -inf for max pooling): no pixel
    CONSTANT = "constant"
    #: the input mirrored at its end units, which are not repeated
    REFLECT = "reflect"
    #: the input's end unit
    REPLICATE = "replicate"
    #: the input's other end, wrapped around
    CIRCULAR = "circular"


class LegacyRole(Words):
    """What nolearn 0.6.1's walk makes of a layer (None: it stops)."""
    #: one of nolearn's conv classes: widens the field
    CONV = "conv"
    #: one of nolearn's max-pool classes: multiplies the running factor
    MAXPOOL = "maxpool"
    #: a port's separate activation, fused into the layer before in Lasagne
    FUSED = "fused"


@record(frozen=True)
class LayerRecord:
    """One layer, framework-free.

    Per-axis tuples (``kernel``, ``stride``, ``pad``, ``dilation``) have one
    entry per spatial axis of the layer's input; ``pad`` is the leading pad.
    ``pad_mode`` (:class:`PadMode`) says what a window's padding reads.
    ``legacy_role`` (:class:`LegacyRole`) is ``'conv'`` or ``'maxpool'`` for
    the classes nolearn 0.6.1 recognises, and ``legacy_size`` the raw
    ``filter_size`` or ``pool_size`` it multiplies with; ``'fused'`` marks a
    port's separate activation, which copies the row before it.  ``note``
    says why an adapter chose the op (e.g. why a layer is ``'unknown'``).
    ``module_path`` is the chain of modules that hold the layer, outermost
    first, as ``(name, class_name)`` pairs (the layer itself not included;
    empty for a layer of the root); ``minor`` marks a layer a reader can
    skip (activation, dropout, flatten), which tables fold into the row
    before.
    Plain strings are accepted for ``op``, ``pad_mode`` and
    ``legacy_role``.

    The costs are per example (batch 1): ``mult_adds`` (:func:`mult_adds`),
    ``param_bytes`` (the bytes of the ``n_params`` parameters) and
    ``activation_bytes`` (of the output); None where a size is unknown.
    """
    name: str | None
    label: str
    class_name: str
    op: Op
    inputs: tuple[int, ...] = ()
    output_shape: tuple = ()
    n_params: int = 0
    kernel: tuple = ()
    stride: tuple = ()
    pad: tuple = ()
    dilation: tuple = ()
    learns: bool = False
    pad_mode: PadMode = PadMode.CONSTANT
    legacy_role: LegacyRole | None = None
    legacy_size: object = None
    cropping: tuple | None = None
    note: str = ""
    mult_adds: int | None = 0
    param_bytes: int = 0
    activation_bytes: int | None = None
    module_path: tuple = ()
    minor: bool = False

    def __post_init__(self):
        # Adapters' rule tables give plain strings; a misspelt one is an
        # error here, not a different rule later.
        if type(self.op) is not Op:
            object.__setattr__(self, "op", Op.of(self.op, "op", self))
        if type(self.pad_mode) is not PadMode:
            object.__setattr__(self, "pad_mode", PadMode.of(
                self.pad_mode, "pad_mode", self))
        if self.legacy_role is not None and \
                type(self.legacy_role) is not LegacyRole:
            object.__setattr__(self, "legacy_role", LegacyRole.of(
                self.legacy_role, "legacy_role", self))


@record(frozen=True)
class Network:
    """Records in topological order plus the net's learnable parameters."""
    layers: tuple[LayerRecord, ...]
    total_params: int
    #: the bytes of the ``total_params`` parameters (each counted once)
    total_param_bytes: int | None = None

    def __post_init__(self):
        if not self.layers:
            raise EmptyNetworkError("the network has no layers")


#: Bytes per value where the framework does not say: Lasagne layers and
#: specs are costed in float32, the dtype of the Kaggle-era GPU nets they
#: ran as (Theano's own default floatX is float64; real Lasagne layers and
#: specs must give the same figures, and a spec has no dtype).
FLOAT32_BYTES = 4


def product(sizes):
    """The product of ``sizes``, or None when one is unknown (None)."""
    count = 1
    for size in sizes:
        if size is None:
            return None
        count *= size
    return count


def values_in(shape):
    """The number of values per example of a ``(batch, ...)`` shape, or
    None when a size after the batch axis is unknown."""
    return product(shape[1:])


def output_bytes(shape, itemsize=FLOAT32_BYTES):
    """The bytes of one example of an output of ``shape`` (None: unknown)."""
    count = values_in(shape)
    return None if count is None else count * itemsize


def mult_adds(n_weights, reuse):
    """Mult-adds per example as torchinfo counts them: every weight and
    bias value once per place it is applied at (``reuse``: the output
    positions of a convolution, the time steps of a recurrence, 1 for a
    dense layer and for per-channel parameters such as a norm's); None
    when ``reuse`` is unknown."""
    return None if reuse is None else n_weights * reuse


def spatial_shape(record):
    """The spatial part of a record's output shape (after batch, channels)."""
    return tuple(record.output_shape[2:])


def layer_id(record, index):
    return describe_layer(record.name, index, record.class_name)
