"""What the command line can analyse, by name.

* a built-in net (``mnist``);
* a spec file (``net.json``, ``net.yaml``);
* ``script.py:NAME``: a name defined by a Python script: a NeuralNet, a
  Lasagne layer, a list of layers or specs, or a torch module.  A script
  that imports lasagne, nolearn or theano runs under
  :func:`nolearn_capacity.compat.enable`; it runs with ``__name__`` set to
  ``"__nolearn_capacity__"``, so its ``if __name__ == "__main__"`` block
  (training, usually) does not run.
"""
import os
import re
import runpy

from .errors import (EXTRAS, BadSpecError, clipped, missing_dependency,
                     printable, shown)
from .examples import BUILTIN

_LEGACY_IMPORT = re.compile(r"^\s*(import|from)\s+(lasagne|nolearn|theano)\b",
                            re.MULTILINE)


def load(target):
    if target in BUILTIN:
        return BUILTIN[target]
    path, sep, name = target.rpartition(":")
    if sep and path.lower().endswith(".py"):
        return load_script(path, name)
    from . import specfile
    return specfile.load(target)


def load_script(path, name):
    where = clipped(printable(path), 200)    # a path, not a value
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except (OSError, UnicodeDecodeError) as error:
        raise BadSpecError("{}: cannot read the script: {}".format(
            where, printable(getattr(error, "strerror", None) or error))) \
            from None
    if _LEGACY_IMPORT.search(source):
        from . import compat
        compat.enable()
    try:
        namespace = runpy.run_path(os.path.abspath(path),
                                   run_name="__nolearn_capacity__")
    except SystemExit as stop:
        # sys.exit() at import time would end the CLI silently, status 0
        raise BadSpecError(
            "{}: the script exited with status {} while being loaded; put "
            "what runs it under `if __name__ == \"__main__\":`".format(
                where, shown(stop.code if stop.code is not None else 0))) \
            from None
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] in EXTRAS:
            raise missing_dependency(error.name, where) from None
        raise
    if name not in namespace:
        found = sorted(k for k in namespace if not k.startswith("_"))
        raise BadSpecError("{}: defines no name {} (it defines: {})".format(
            where, shown(name), clipped(printable(", ".join(found[:20]))
                                        or "nothing", 200)))
    return namespace[name]


def parse_shape(text):
    """``"1,3,224,224"`` -> ``(1, 3, 224, 224)``; ``;`` separates inputs."""
    if text is None:
        return None
    try:
        shapes = [tuple(int(v) for v in part.split(",") if v.strip())
                  for part in text.split(";")]
    except ValueError:
        raise BadSpecError("--input-shape {}: expected integers separated "
                           "by commas, e.g. 1,3,224,224".format(shown(text))) \
            from None
    return shapes[0] if len(shapes) == 1 else shapes
