"""Drop-in for ``nolearn.lasagne.handlers.PrintLayerInfo``."""
import sys

from . import core
from .adapters import to_network
from .errors import BadArgumentError, shown
from .render import (conv_table, greeting, legend, plain_table,
                     warning_lines)


def has_conv(network):
    """True if nolearn would print the capacity table for ``network``."""
    return any(r.legacy_role == "conv" for r in network.layers)


def layer_info_text(network, verbose=2, mode="legacy",
                    min_capacity=core.DEFAULT_MIN_CAPACITY, color=True,
                    report=None):
    """nolearn's printout for a :class:`~nolearn_capacity.core.Network`:
    greeting, then the plain table (``verbose < 2`` or no conv layer) or the
    capacity / coverage table and its legend.  ``report``: the network's
    report in ``mode``, when the caller has it already."""
    if not has_conv(network) or verbose < 2:
        info = plain_table([r.name for r in network.layers],
                           [r.output_shape for r in network.layers])
        explanation = None
    else:
        if report is None:
            report = core.report(network, mode, min_capacity)
        info = conv_table(report, detailed=verbose > 2, color=color)
        explanation = legend(color, min_capacity)
    parts = [greeting(network.total_params), "## Layer information", "", info]
    if explanation is not None:
        parts.append(explanation)
    text = "\n".join(parts) + "\n\n"
    if mode == "exact" and explanation is not None:
        text += "".join("warning: {}\n".format(w)
                        for w in warning_lines(report))
    return text


class PrintLayerInfo:
    """Print a net's parameter count and layer table when training starts.

    Use as nolearn's: ``NeuralNet(..., on_training_started=[PrintLayerInfo()])``
    or let :func:`nolearn_capacity.compat.use_nolearn_capacity_layer_info`
    put it where nolearn puts its own.  ``verbose < 2`` (or a net without
    conv layers) prints the plain table; ``verbose >= 3`` adds the filter
    and field columns.  The whole text is printed with one write, so an
    error never leaves half a table behind.
    """

    def __init__(self, mode="legacy", min_capacity=core.DEFAULT_MIN_CAPACITY):
        # Checked here, not when training starts: a typo fails at once.
        if not isinstance(mode, str) or mode not in core.MODES:
            raise BadArgumentError("mode must be one of {}, got {}".format(
                ", ".join(sorted(core.MODES)), shown(mode)))
        self.mode = mode
        self.min_capacity = min_capacity

    def __call__(self, nn, train_history=None):
        if train_history:
            return
        print(self.text(nn), end="")
        sys.stdout.flush()

    def text(self, nn, color=True):
        """Everything ``__call__`` prints, as one string."""
        network = to_network(nn, complete=(self.mode == "exact"))
        return layer_info_text(network, getattr(nn, "verbose", 2), self.mode,
                               self.min_capacity, color)

    @staticmethod
    def _get_greeting(nn):
        return greeting(to_network(nn, complete=False).total_params)

    @staticmethod
    def _get_layer_info_plain(nn):
        network = to_network(nn, complete=False)
        return plain_table([r.name for r in network.layers],
                           [r.output_shape for r in network.layers])

    @staticmethod
    def _get_layer_info_conv(nn):
        report = core.report(to_network(nn, complete=False), "legacy")
        return conv_table(report, detailed=nn.verbose > 2), legend()
