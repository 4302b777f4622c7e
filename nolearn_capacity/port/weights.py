"""Trained Lasagne parameters -> a torch ``state_dict`` (numpy arrays).

Weight files are untrusted input.  Pickles are read by
:class:`SafeUnpickler`, which admits numpy arrays, dtypes and scalars and
plain containers, and refuses every other global by name before anything
is called; ``.npz`` files are read with ``allow_pickle=False``.

Three layouts are understood:

* nolearn's ``save_params_to``: a dict {layer name: [arrays]}, matched by
  layer name;
* ``np.savez(path, *get_all_param_values(output))``: ``arr_0``, ``arr_1``
  ... in Lasagne's order (layers depth-first from the outputs, each
  layer's ``get_params()``);
* Lasagne Recipes model-zoo pickles ``{'param values': [arrays], ...}``,
  and a plain list of arrays, in the same order.
"""
import io
import os
import pickle
import warnings
import zipfile

import numpy as np

from ..errors import (BadArgumentError, UnsafePickleError, WeightsError,
                      clipped, printable, shown)


#: (module, name) a weight pickle may load.  numpy moved its internals
#: from numpy.core to numpy._core in 2.0; Python 2 pickles name
#: __builtin__ / copy_reg, mapped by the unpickler's fix_imports.
ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("collections", "OrderedDict"),
    ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "bytearray"), ("builtins", "complex"),
    # bytes of numpy arrays pickled by Python 3 with protocol 2
    ("_codecs", "encode"),
}


class SafeUnpickler(pickle.Unpickler):
    """Loads only the globals in :data:`ALLOWED`; never runs other code."""

    def find_class(self, module, name):
        if (module, name) not in ALLOWED:
            hint = ""
            if module.split(".")[0] in ("nolearn", "lasagne", "theano"):
                # a pickled net or GPU array, as many 2015 scripts saved
                hint = ("; a pickled net: load it in the legacy runtime "
                        "(compat.enable()) if you trust it, then port it or "
                        "its save_params_to file")
            raise UnsafePickleError(
                "refused to load global {}: a weight file may hold only "
                "numpy arrays and plain containers{}".format(
                    clipped(printable("{}.{}".format(module, name))), hint))
        if module.startswith("numpy"):
            import importlib
            numpy_module = module
            if module.startswith("numpy._core") and not hasattr(np, "_core"):
                numpy_module = module.replace("numpy._core", "numpy.core")
            elif module.startswith("numpy.core") and hasattr(np, "_core"):
                numpy_module = module.replace("numpy.core", "numpy._core")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return getattr(importlib.import_module(numpy_module), name)
        return super().find_class(module, name)


def safe_load(data):
    """Unpickle ``data`` (bytes) with :class:`SafeUnpickler`.  Python 2
    pickles of numpy arrays need ``encoding='latin1'``."""
    try:
        return SafeUnpickler(io.BytesIO(data), encoding="latin1").load()
    except UnsafePickleError:
        raise
    except Exception as error:   # truncated, garbage, wrong protocol
        raise WeightsError("cannot read the pickle ({}: {}); truncated or "
                           "not a pickle".format(type(error).__name__,
                                                 shown(str(error)))) \
            from None


def read(source):
    """A weight file (path) or arrays -> a list of arrays or a dict
    {layer name: [arrays]}."""
    if not isinstance(source, (str, os.PathLike)):
        return _values(source, "the weights given")
    try:
        with open(source, "rb") as f:
            data = f.read()
    except OSError as error:
        raise BadArgumentError("--weights {}: cannot read: {}".format(
            shown(source), error.strerror or error)) from None
    if data[:4] == b"PK\x03\x04":
        return _values(_read_npz(data, source), source)
    return _values(safe_load(data), source)


def _read_npz(data, source):
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            keys = list(archive.files)
            if all(k.startswith("arr_") and k[4:].isdigit() for k in keys):
                keys.sort(key=lambda k: int(k[4:]))
            return [archive[k] for k in keys]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise WeightsError("{}: cannot read the .npz archive ({}); truncated "
                           "or holding pickled objects".format(
                               shown(source), shown(str(error)))) from None


def _values(obj, source):
    """Check the layout: a list of arrays, {'param values': list}, or
    {layer name: list of arrays}."""
    if isinstance(obj, dict) and "param values" in obj:
        obj = obj["param values"]
    if isinstance(obj, dict):
        return {str(k): [_array(v, source) for v in _list(vs, source)]
                for k, vs in obj.items()}
    return [_array(v, source) for v in _list(obj, source)]


def _list(obj, source):
    if not isinstance(obj, (list, tuple)):
        raise WeightsError("{}: expected a list of arrays, a dict of lists "
                           "by layer name or {{'param values': [...]}}, got "
                           "{}".format(shown(source), type(obj).__name__))
    return obj


def _array(value, source):
    value = np.asarray(value)
    if value.dtype.kind not in "fiub":
        raise WeightsError("{}: expected numeric arrays, got one of dtype "
                           "{}".format(shown(source), value.dtype))
    return value


def lasagne_order(steps):
    """Step indices in the order of Lasagne's ``get_all_layers`` from the
    outputs (depth first, inputs in order): the order of
    ``get_all_param_values``."""
    used = {i for s in steps for i in s.inputs}
    outputs = [i for i in range(len(steps)) if i not in used]
    result, done, seen = [], set(), set()
    stack = list(reversed(outputs))
    while stack:
        i = stack[-1]
        if i not in seen:
            seen.add(i)
            stack.extend(reversed(steps[i].inputs))
        else:
            stack.pop()
            if i not in done:
                done.add(i)
                result.append(i)
    return result


def live_values(steps):
    """{layer name: [arrays]} of a net whose layers hold parameters, or
    None (a spec)."""
    if not steps or not hasattr(steps[0].view.layer, "get_params"):
        return None
    return [[p.get_value() for p in s.view.layer.get_params()]
            for s in steps]


def convert(steps, values):
    """Arrays in one of :func:`read`'s layouts (or one list per step) ->
    {state_dict key: float32 array}, checked against each rule's shapes."""
    per_step = per_step_values(steps, values)
    result = {}
    for step, arrays in zip(steps, per_step):
        wanted = step.piece.params
        if len(arrays) != len(wanted):
            raise WeightsError(
                "{}: expects {} parameter array(s) ({}), got {}".format(
                    step.view.where(), len(wanted),
                    ", ".join(name for name, _ in wanted) or "none",
                    len(arrays)))
        for (name, shape), array in zip(wanted, arrays):
            if tuple(array.shape) != tuple(shape):
                raise WeightsError(
                    "{}: parameter {} has shape {} in the net, {} in the "
                    "weights".format(step.view.where(), name, tuple(shape),
                                     tuple(array.shape)))
            suffix, change = step.piece.convert[name]
            key = "{}.{}".format(step.ident, suffix)
            result[key] = np.ascontiguousarray(
                change(array), dtype=np.float32)
    return result


def per_step_values(steps, values):
    """Any layout -> one list of arrays per step."""
    if isinstance(values, dict):
        names = {s.view.name: i for i, s in enumerate(steps)}
        unknown = [k for k in values if k not in names]
        if unknown:
            raise WeightsError("the weights name layer(s) the net does not "
                               "have: {}".format(shown(unknown)))
        missing = [s.view.name for s in steps if s.piece.params and
                   s.view.name not in values]
        if missing:
            raise WeightsError("the weights have no entry for layer(s) "
                               "{}".format(shown(missing)))
        return [values.get(s.view.name, []) for s in steps]
    if values and isinstance(values[0], list):
        return values
    order = lasagne_order(steps)
    wanted = sum(len(steps[i].piece.params) for i in order)
    if len(values) != wanted:
        raise WeightsError(
            "the weights hold {} array(s), the net has {} parameter(s) ({})"
            .format(len(values), wanted, ", ".join(
                "{}.{}".format(steps[i].view.name, name) for i in order
                for name, _ in steps[i].piece.params)[:300]))
    per_step, position = [[] for _ in steps], 0
    for i in order:
        count = len(steps[i].piece.params)
        per_step[i] = list(values[position:position + count])
        position += count
    return per_step
