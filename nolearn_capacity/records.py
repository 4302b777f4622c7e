"""The vocabulary every part shares: one framework-free record per layer.

Adapters make :class:`LayerRecord` objects; the rules (:mod:`.core`) read
them; nothing here knows a framework.  Ops, legacy roles and flags are
string-valued enums, so a record built with ``op="window"`` compares equal
to ``Op.WINDOW`` and JSON shows the plain string, while a misspelt op is
refused when the record is made instead of silently taking another rule.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import (EmptyNetworkError, UnsupportedLayerError,
                     describe_layer, shown)


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
    #: sees its whole input map (dense, global pool, flatten)
    COLLAPSE = "collapse"
    #: several inputs of equal spatial size (concat, sum)
    MERGE = "merge"
    #: a class we have no rule for; treated as pointwise, flagged
    UNKNOWN = "unknown"


class LegacyRole(Words):
    """What nolearn 0.6.1's walk makes of a layer (None: it stops)."""
    #: one of nolearn's conv classes: widens the field
    CONV = "conv"
    #: one of nolearn's max-pool classes: multiplies the running factor
    MAXPOOL = "maxpool"
    #: a port's separate activation, fused into the layer before in Lasagne
    FUSED = "fused"


@dataclass(frozen=True, slots=True)
class LayerRecord:
    """One layer, framework-free.

    Per-axis tuples (``kernel``, ``stride``, ``pad``, ``dilation``) have one
    entry per spatial axis of the layer's input; ``pad`` is the leading pad.
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
    Plain strings are accepted for ``op`` and ``legacy_role``.
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
    legacy_role: LegacyRole | None = None
    legacy_size: object = None
    cropping: tuple | None = None
    note: str = ""
    module_path: tuple = ()
    minor: bool = False

    def __post_init__(self):
        # Adapters' rule tables give plain strings; a misspelt one is an
        # error here, not a different rule later.
        if type(self.op) is not Op:
            object.__setattr__(self, "op", Op.of(self.op, "op", self))
        if self.legacy_role is not None and \
                type(self.legacy_role) is not LegacyRole:
            object.__setattr__(self, "legacy_role", LegacyRole.of(
                self.legacy_role, "legacy_role", self))


@dataclass(frozen=True, slots=True)
class Network:
    """Records in topological order plus the net's learnable parameters."""
    layers: tuple[LayerRecord, ...]
    total_params: int

    def __post_init__(self):
        if not self.layers:
            raise EmptyNetworkError("the network has no layers")


def spatial_shape(record):
    """The spatial part of a record's output shape (after batch, channels)."""
    return tuple(record.output_shape[2:])


def layer_id(record, index):
    return describe_layer(record.name, index, record.class_name)
