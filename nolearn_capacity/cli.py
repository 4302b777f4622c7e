"""``nolearn-capacity``: print a net's capacity / coverage table.

Without a target it prints nolearn's MNIST tutorial net (the table nolearn
users know).  Exit status: 0 success, 1 analysis error, 2 usage error.
"""
import argparse
import os
import sys
import traceback
import warnings

from . import core, output, render
from .analysis import analyze, analyze_for_nolearn, network_of
from .errors import CapacityError, printable, shown
from . import targets
from .examples import BUILTIN
from .report import Report

PROG = "nolearn-capacity"


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like
    every other error of the CLI; ``--help`` shows the usage."""

    def error(self, message):
        sys.stderr.write("{}: error: {} (see {} --help)\n".format(
            self.prog, printable(message), self.prog))
        sys.exit(2)


#: The formats that fold and group rows (--no-fold, --depth).
TABLE_FORMATS = ("text", "markdown", "html")


def parser():
    p = ArgumentParser(
        prog=PROG,
        description="Learning capacity and image coverage of each layer of "
                    "a convnet (nolearn's table; --mode exact for exact "
                    "receptive fields).")
    p.add_argument("target", nargs="?", default="mnist",
                   help="a built-in net ({}), a spec file (.json, .yaml) or "
                        "script.py:NAME; default: mnist, nolearn's MNIST "
                        "tutorial net.  `{} compare A B` compares two nets"
                   .format(", ".join(BUILTIN), PROG))
    p.add_argument("--input-shape", metavar="N,C,H,W",
                   help="input shape for torch modules (';' between inputs)")
    p.add_argument("--mode", choices=sorted(core.MODES), default=None,
                   help="legacy: nolearn 0.6.1's numbers (default; a saved "
                        "report keeps its own); exact: receptive fields "
                        "with stride, padding, dilation")
    p.add_argument("--verbose", type=int, choices=(1, 2, 3), default=2,
                   help="as NeuralNet's verbose: 1 plain table, 2 capacity "
                        "and coverage, 3 with filter and field columns")
    p.add_argument("--format", dest="fmt", default="nolearn",
                   choices=list(render.FORMATS),
                   help="nolearn: the NeuralNet printout (default); text: "
                        "every column of the report")
    p.add_argument("--depth", type=int, metavar="N",
                   help="text, markdown, html: summarise the rows deeper "
                        "than N in a torch module tree by their ancestor")
    p.add_argument("--no-fold", dest="fold", action="store_false",
                   help="text, markdown, html: show activations, dropout "
                        "and flatten as rows of their own (default: folded "
                        "into the row before)")
    p.add_argument("--min-capacity", type=float,
                   default=core.DEFAULT_MIN_CAPACITY,
                   help="capacity in %% under which a layer is flagged "
                        "(default 100/6)")
    p.add_argument("--output", metavar="FILE",
                   help="write to FILE (whole or not at all)")
    p.add_argument("--plot", metavar="FILE",
                   help="also draw capacity and coverage to FILE (.png or "
                        ".svg; needs matplotlib)")
    colour = p.add_mutually_exclusive_group()
    colour.add_argument("--color", dest="color", action="store_true",
                        default=None, help="force ANSI colours")
    colour.add_argument("--no-color", dest="color", action="store_false",
                        help="no ANSI colours")
    p.add_argument("--debug", action="store_true",
                   help="show the traceback of an error")
    return p


def use_colour(flag, stream):
    """--color / --no-color win; then NO_COLOR, FORCE_COLOR, TERM=dumb;
    else colour only on a terminal."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _difference_note(network, legacy):
    """One line when exact mode would print other numbers than the
    ``legacy`` report of ``network``."""
    try:
        exact = analyze(network, "exact")
    except CapacityError:
        return ""
    differ = sum(1 for a, b in zip(legacy.rows, exact.rows)
                 if _rounded(a) != _rounded(b))
    if not differ:
        return ""
    return ("note: exact receptive fields differ from nolearn's on {} of {} "
            "rows; see them with --mode exact\n".format(differ,
                                                       len(legacy.rows)))


def _rounded(row):
    return tuple(round(v, 2) for v in row.capacity + row.coverage)


def run(args, stdout):
    """The text to print, or raise; nothing is written here."""
    target = targets.load(args.target)
    if isinstance(target, Report):     # a saved report: its own mode
        mode = args.mode or target.mode
    else:
        mode = args.mode or "legacy"
        # once, for the report and the closing note alike
        target = network_of(target, mode,
                            targets.parse_shape(args.input_shape))
    stream = stdout if args.output is None else None
    color = use_colour(args.color, stream) if stream else bool(args.color)
    if args.fmt == "nolearn":
        report = analyze_for_nolearn(target, mode, args.min_capacity,
                                     args.verbose)
        text = report.render("nolearn", verbose=args.verbose, color=color)
        if mode == "legacy" and _has_numbers(report) and \
                not isinstance(target, Report):
            text += _difference_note(target, report)
    else:
        report = analyze(target, mode, args.min_capacity)
        options = dict(fold=args.fold, depth=args.depth) \
            if args.fmt in TABLE_FORMATS else {}
        text = report.render(args.fmt, color=color, **options)
    if args.plot:
        if not _has_numbers(report):   # nolearn's plain table has none
            report = analyze(target, mode, args.min_capacity)
        report.plot(args.plot)
    return text, 0


def _has_numbers(report):
    return any(row.capacity for row in report.rows)


def compare_parser():
    p = ArgumentParser(
        prog=PROG + " compare",
        description="Line up two nets layer by layer (e.g. a PyTorch port "
                    "and its Lasagne original); exit 0 when equivalent, 1 "
                    "otherwise.")
    p.add_argument("a", help="built-in net, spec file or script.py:NAME")
    p.add_argument("b", help="built-in net, spec file or script.py:NAME")
    p.add_argument("--mode", choices=sorted(core.MODES), default="exact")
    p.add_argument("--input-shape", metavar="N,C,H,W",
                   help="input shape for torch modules")
    p.add_argument("--output", metavar="FILE",
                   help="write to FILE (whole or not at all)")
    p.add_argument("--debug", action="store_true",
                   help="show the traceback of an error")
    return p


def run_compare(args, stdout):
    from .compare import compare
    shape = targets.parse_shape(args.input_shape)
    result = compare(targets.load(args.a), targets.load(args.b), args.mode,
                     shape, shape)
    return result.render(), 0 if result.equivalent else 1


def files_read(target):
    """The file a target names (as :func:`targets.load` reads it), if any."""
    if target in BUILTIN:
        return []
    path, sep, _ = target.rpartition(":")
    return [path] if sep and path.endswith(".py") else [target]


def check_outputs(p, args, inputs):
    """Refuse (usage error, exit 2) to write over a file being read, or
    the plot and the text over each other."""
    written = [(option, path) for option, path in (
        ("--output", args.output), ("--plot", getattr(args, "plot", None)))
        if path]
    for option, path in written:
        for source in inputs:
            if output.same_file(path, source):
                p.error("{} {} would overwrite {}, the net being read; "
                        "choose another file".format(option, shown(path),
                                                     shown(source)))
    if len(written) == 2 and (args.output == args.plot or
                              output.same_file(args.output, args.plot)):
        p.error("--output and --plot name the same file {}".format(
            shown(args.output)))


def one_line(error):
    """An error as one printable line: the lines of a multi-line message
    (e.g. one problem per line) joined with '; '."""
    message = _joined(str(error))
    if not isinstance(error, CapacityError):
        message = "{}: {}".format(type(error).__name__, message)
    return printable(message)


def _joined(text):
    message = ""
    for line in filter(None, (part.strip() for part in text.split("\n"))):
        if message:
            message += " " if message.endswith(":") else "; "
        message += line
    return message


def show_warning(message, category, filename, lineno, file=None,
                 line=None):
    """Warnings (ours, a script's, a framework's) as the CLI's errors are
    shown: one printable line on stderr, no source line."""
    sys.stderr.write("{}: warning: {}\n".format(
        PROG, printable(_joined(str(message)))))


def main(argv=None, stdout=None):
    stdout = stdout or sys.stdout
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["compare"]:
        p, job = compare_parser(), run_compare
        args = p.parse_args(argv[1:])
        inputs = files_read(args.a) + files_read(args.b)
    elif argv[:1] == ["port"]:
        from .port import command
        p, job = command.parser(PROG, ArgumentParser), command.run
        args = p.parse_args(argv[1:])
        inputs = files_read(args.target)
    else:
        p, job = parser(), run
        args = p.parse_args(argv)
        inputs = files_read(args.target)
    check_outputs(p, args, inputs)
    if job is run and (args.depth is not None or not args.fold) and \
            args.fmt not in TABLE_FORMATS:
        p.error("--depth and --no-fold apply to the formats {}, not {}"
                .format(", ".join(TABLE_FORMATS), args.fmt))
    if job is run and args.depth is not None and args.depth < 1:
        p.error("--depth should be at least 1, got {}".format(args.depth))
    with warnings.catch_warnings():
        if not args.debug:
            warnings.showwarning = show_warning
        return _run(job, args, stdout)


def _run(job, args, stdout):
    try:
        text, status = job(args, stdout)
        if args.output:
            output.write(args.output, text, "--output")
        else:
            stdout.write(text)
            stdout.flush()
    except Exception as error:   # one line for anything, traceback on demand
        if args.debug:
            traceback.print_exc()
        sys.stderr.write("{}: error: {}\n".format(PROG, one_line(error)))
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
