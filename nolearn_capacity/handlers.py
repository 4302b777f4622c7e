"""Drop-in for ``nolearn.lasagne.handlers.PrintLayerInfo``."""
import sys

from . import render
from .analysis import analyze, analyze_for_nolearn
from .core import MODES
from .errors import BadArgumentError, shown
from .report import DEFAULT_MIN_CAPACITY


def layer_info_text(net, verbose=2, mode="legacy",
                    min_capacity=DEFAULT_MIN_CAPACITY, color=True):
    """nolearn's printout for ``net`` (anything :func:`analyze` takes, or
    a :class:`~nolearn_capacity.records.Network`): the ``'nolearn'`` format
    of :func:`~nolearn_capacity.analysis.analyze_for_nolearn`'s report."""
    report = analyze_for_nolearn(net, mode, min_capacity, verbose)
    return report.render("nolearn", verbose=verbose, color=color)


class PrintLayerInfo:
    """Print a net's parameter count and layer table when training starts.

    Use as nolearn's: ``NeuralNet(..., on_training_started=[PrintLayerInfo()])``
    or let :func:`nolearn_capacity.compat.use_nolearn_capacity_layer_info`
    put it where nolearn puts its own.  ``verbose < 2`` (or a net without
    conv layers) prints the plain table; ``verbose >= 3`` adds the filter
    and field columns.  The whole text is printed with one write, so an
    error never leaves half a table behind.
    """

    def __init__(self, mode="legacy", min_capacity=DEFAULT_MIN_CAPACITY):
        # Checked here, not when training starts: a typo fails at once.
        if not isinstance(mode, str) or mode not in MODES:
            raise BadArgumentError("mode must be one of {}, got {}".format(
                ", ".join(sorted(MODES)), shown(mode)))
        self.mode = mode
        self.min_capacity = min_capacity

    def __call__(self, nn, train_history=None):
        if train_history:
            return
        print(self.text(nn), end="")
        sys.stdout.flush()

    def text(self, nn, color=True):
        """Everything ``__call__`` prints, as one string."""
        return layer_info_text(nn, getattr(nn, "verbose", 2), self.mode,
                               self.min_capacity, color)

    # nolearn's own helpers, for code that calls them directly

    @staticmethod
    def _get_greeting(nn):
        return render.greeting(analyze_for_nolearn(nn, verbose=1)
                               .total_params)

    @staticmethod
    def _get_layer_info_plain(nn):
        return render.layer_list(analyze_for_nolearn(nn, verbose=1))

    @staticmethod
    def _get_layer_info_conv(nn):
        report = analyze(nn, "legacy")
        return (render.conv_table(report, detailed=nn.verbose > 2),
                render.legend())
