"""``nolearn-capacity``: print a net's capacity / coverage table.

Without a target it prints nolearn's MNIST tutorial net (the table nolearn
users know).  Exit status: 0 success, 1 analysis error, 2 usage error.
"""
import argparse
import os
import sys
import traceback

from . import core, render
from .adapters import to_network
from .errors import CapacityError
from . import targets
from .examples import BUILTIN
from .handlers import layer_info_text

PROG = "nolearn-capacity"


def parser():
    p = argparse.ArgumentParser(
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
    p.add_argument("--mode", choices=sorted(core.MODES), default="legacy",
                   help="legacy: nolearn 0.6.1's numbers (default); exact: "
                        "receptive fields with stride, padding, dilation")
    p.add_argument("--verbose", type=int, choices=(1, 2, 3), default=2,
                   help="as NeuralNet's verbose: 1 plain table, 2 capacity "
                        "and coverage, 3 with filter and field columns")
    p.add_argument("--format", dest="fmt", default="nolearn",
                   choices=["nolearn"] + list(render.FORMATS),
                   help="nolearn: the NeuralNet printout (default); text: "
                        "every column of the report")
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


def nolearn_text(network, mode, verbose, min_capacity, color):
    text = layer_info_text(network, verbose, mode, min_capacity, color)
    if mode == "legacy" and verbose >= 2:
        text += _difference_note(network)
    return text


def _difference_note(network):
    """One line when exact mode would print other numbers."""
    try:
        exact = core.report(network, "exact")
    except CapacityError:
        return ""
    legacy = core.report(network, "legacy")
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
    network = to_network(targets.load(args.target),
                         complete=(args.mode == "exact"),
                         input_shape=targets.parse_shape(args.input_shape))
    stream = stdout if args.output is None else None
    color = use_colour(args.color, stream) if stream else bool(args.color)
    if args.plot:
        core.report(network, args.mode, args.min_capacity).plot(args.plot)
    if args.fmt == "nolearn":
        return nolearn_text(network, args.mode, args.verbose,
                            args.min_capacity, color), 0
    report = core.report(network, args.mode, args.min_capacity)
    return render.render(report, args.fmt, color=color), 0


def compare_parser():
    p = argparse.ArgumentParser(
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


def write_whole(path, text):
    """Write to a temporary file, then rename: never half a file."""
    tmp = "{}.tmp{}".format(path, os.getpid())
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv=None, stdout=None):
    stdout = stdout or sys.stdout
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["compare"]:
        args, job = compare_parser().parse_args(argv[1:]), run_compare
    elif argv[:1] == ["port"]:
        from .port import command
        args, job = command.parser(PROG).parse_args(argv[1:]), command.run
    else:
        args, job = parser().parse_args(argv), run
    try:
        text, status = job(args, stdout)
        if args.output:
            write_whole(args.output, text)
        else:
            stdout.write(text)
            stdout.flush()
    except Exception as error:   # one line for anything, traceback on demand
        if args.debug:
            traceback.print_exc()
        message = " ".join(str(error).split())
        if not isinstance(error, CapacityError):
            message = "{}: {}".format(type(error).__name__, message)
        sys.stderr.write("{}: error: {}\n".format(PROG, message))
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
