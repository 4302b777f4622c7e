"""``nolearn-capacity port TARGET --to torch -o model.py``: the subcommand.

Writes the module (and, with ``--weights``, ``model.pt`` beside it), each
whole or not at all; prints what it wrote and, with ``--check``, the
Theano-vs-torch differences and the geometry comparison.  Exit status 0,
1 when the check fails or on an error, 2 on a usage error.
"""
import argparse
import os
import time

from ..errors import BadArgumentError


def parser(prog="nolearn-capacity", parser_class=argparse.ArgumentParser):
    """The ``port`` subcommand's options; ``parser_class`` lets the CLI
    give its own (one-line usage errors)."""
    p = parser_class(
        prog=prog + " port",
        description="Write a standalone PyTorch module for a Lasagne / "
                    "nolearn net, optionally with its trained weights, and "
                    "check it against Theano.")
    p.add_argument("target", help="spec file (.json, .yaml) or "
                                  "script.py:NAME")
    p.add_argument("--to", choices=["torch"], default="torch",
                   help="the framework to port to (torch)")
    p.add_argument("-o", dest="module_path", metavar="MODEL.py",
                   required=True, help="the module to write")
    p.add_argument("--weights", metavar="FILE",
                   help="trained parameters: nolearn save_params_to pickle, "
                        "np.savez of get_all_param_values, or a model-zoo "
                        "pickle; written as a state_dict to MODEL.pt")
    p.add_argument("--check", action="store_true",
                   help="run the original (Theano) and the port on the same "
                        "random batch and compare; needs the legacy stack "
                        "and torch")
    p.add_argument("--debug", action="store_true",
                   help="show the traceback of an error")
    p.set_defaults(output=None)    # cli.main writes only what we return
    return p


def weights_path(module_path):
    """``model.py`` -> ``model.pt``."""
    root, _ = os.path.splitext(module_path)
    return root + ".pt"


def run(args, stdout):
    """Port, write, optionally check; return (text to print, status)."""
    from .. import targets
    from . import to_torch
    if not args.module_path.endswith(".py"):
        raise BadArgumentError("-o {!r}: the module's name should end in "
                               ".py".format(args.module_path))
    for path in (args.module_path, weights_path(args.module_path)):
        for source in _files_read(args.target) + [args.weights]:
            if source and _same_file(path, source):
                raise BadArgumentError(
                    "-o {!r} would overwrite {!r}, which is being read; "
                    "choose another name".format(args.module_path, source))
    start = time.perf_counter()
    obj = targets.load(args.target)
    port = to_torch(obj, weights=args.weights, title=args.target)
    written = []
    if args.weights:
        save_state_dict(port, weights_path(args.module_path))
        written.append(weights_path(args.module_path))
    write_whole(args.module_path,
                lambda f: f.write(port.source.encode("utf-8")))
    written.insert(0, args.module_path)
    lines = ["wrote {} ({} layers{}) in {:.2f} s".format(
        " and ".join(written), len(port.steps),
        ", {} parameters".format(sum(v.size for v in port.params.values()))
        if args.weights else "", time.perf_counter() - start)]
    status = 0
    if args.check:
        from .check import run_check, run_compare
        start = time.perf_counter()
        text, passed = run_check(obj, port, weights_given=bool(args.weights))
        comparison = run_compare(obj, port)
        lines += ["", text.rstrip("\n"), "", comparison.render().rstrip("\n"),
                  "", "check {} in {:.2f} s".format(
                      "passed" if passed and comparison.equivalent
                      else "FAILED", time.perf_counter() - start)]
        status = 0 if passed and comparison.equivalent else 1
    return "\n".join(lines) + "\n", status


def save_state_dict(port, path):
    """``torch.save`` the weights, whole or not at all."""
    import torch
    write_whole(path, lambda f: torch.save(port.state_dict(), f))


def write_whole(path, write):
    """``write(binary file)`` into a temporary file beside ``path``, then
    rename: never half a file."""
    tmp = "{}.tmp{}".format(path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _files_read(target):
    path, sep, _ = target.rpartition(":")
    return [path] if sep and path.endswith(".py") else [target]


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)
