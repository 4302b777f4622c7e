"""Capacity and coverage against depth, per axis (matplotlib, optional)."""
import io
import os

from . import output
from .errors import BadArgumentError, missing_dependency, printable, shown
from .report import WRITERS, Flag, axis_names, register_format

#: File types the plot can be written as.
PLOT_TYPES = ("png", "svg")


@register_format("plot", WRITERS)
def plot(report, path):
    """Draw capacity and coverage per layer, one line per axis, with Cao's
    capacity threshold and the 100 % coverage line; flagged layers are
    marked.  The file type follows the extension of ``path``; the file is
    written as :func:`nolearn_capacity.output.write` writes (whole or not
    at all; links and special files kept).  Layer names are drawn as plain
    text (no mathtext), control characters escaped."""
    path = output.file_name(path, "plot file")
    kind = os.path.splitext(path)[1].lstrip(".").lower()
    if kind not in PLOT_TYPES:
        raise BadArgumentError("plot file {}: expected a .png or .svg name"
                               .format(shown(path)))
    try:
        # A bare Figure, not pyplot: no backend switch, no global figure
        # list, nothing left behind in the caller's matplotlib.
        from matplotlib.figure import Figure
    except ImportError:
        raise missing_dependency("matplotlib", "plotting") from None

    rows = [r for r in report.rows if r.capacity]
    depth = [r.index for r in rows]
    fig = Figure(figsize=(max(6, len(rows) * .5), 6))
    cap_ax, cov_ax = fig.subplots(2, 1, sharex=True)
    for i, axis in enumerate(axis_names(report)):
        cap_ax.plot(depth, [r.capacity[i] for r in rows], marker="o",
                    label="capacity " + axis)
        cov_ax.plot(depth, [r.coverage[i] for r in rows], marker="o",
                    label="coverage " + axis)
    cap_ax.axhline(report.min_capacity, color="#a0309a", linestyle="--",
                   label="min capacity {:.3g} %".format(report.min_capacity))
    cov_ax.axhline(100, color="#008b8b", linestyle="--", label="100 %")
    for r in rows:
        if Flag.LOW_CAPACITY in r.flags:
            cap_ax.plot(r.index, min(r.capacity), "x", color="#c0392b",
                        markersize=10)
        if Flag.OVER_COVERAGE in r.flags:
            cov_ax.plot(r.index, max(r.coverage), "x", color="#c0392b",
                        markersize=10)
    cap_ax.set_ylabel("learning capacity (%)")
    cov_ax.set_ylabel("image coverage (%)")
    cov_ax.set_xticks(depth)
    cov_ax.set_xticklabels([printable(r.name) for r in rows], rotation=60,
                           ha="right", parse_math=False)
    cap_ax.set_title("{} mode; x: flagged layer".format(report.mode))
    cap_ax.legend(fontsize="small")
    cov_ax.legend(fontsize="small")
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format=kind)
    output.write(path, image.getvalue(), "plot file")
    return path
