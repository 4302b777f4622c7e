"""PyTorch modules -> core records.

This package is the only part of nolearn_capacity that imports torch; it
is loaded when a torch module arrives
(:func:`nolearn_capacity.adapters.to_network`).

The walk is separate from the rules.  The walk runs the module on zeros
of ``input_shape`` under a torch function mode (:mod:`.walk`), so that
``torch.cat``, ``+``, ``F.max_pool2d``, ``F.interpolate``, ``view`` ... are
seen as calls with their real arguments and every output shape.  Modules
whose ``forward`` branches on tensor values are walked with forward hooks
on their leaf modules instead, with a warning: functional calls are then
invisible and modules are assumed to form a chain.  The analysed module is
never changed: both walks run on a copy in eval mode, on the meta device
(no weights copied, no data computed, so any input size is cheap); the
copy holds the module's own parameters and buffers, each replaced by a
meta twin before any code runs on it (most calls need only their shapes).
Only a module that cannot run there runs on a real deep copy, on zeros of
a bounded size.

Each rule is ``rule(call, n_axes) -> dict`` of
:class:`~nolearn_capacity.core.LayerRecord` fields (at least ``op``), where
``call`` is a :class:`Call`.  Module rules are looked up by class (a
subclass uses its base's rule unless it has its own), function rules by
target (a function, or a method name for ``x.view(...)``).  Types without
a rule become op ``'unknown'``, which the core flags.  Users add rules with
:func:`register_module_rule` and :func:`register_function_rule`.

Modules, each with one job (imports go down this list, never up):
``calls`` what a rule sees of a call; ``table`` the rule tables;
``rules/`` the rules by family of ops; ``layout`` which dimensions are
spatial; ``records`` calls to records (dispatch, costs, names);
``copies`` the working copy and its inputs; ``pads`` pads applied in a
ruled subclass's ``forward``; ``meta_shapes`` output shapes without meta
kernels; ``walk`` and ``hooks_walk`` the two walks; this file the
entry point and the choice between the walks.
"""
import warnings

import torch

from ...errors import BadShapeError, UnsupportedLayerError, clipped, printable
from ...records import Network
from .calls import (Call, FUNCTION_NAMES, TensorInfo, conv_leading_pad,
                    function_name, leading_pads, per_axis, transposed, window)
from .table import (FUNCTION_RULES, MODULE_RULES,
                    function_rule, module_rule, module_rule_of_class,
                    register_function_rule, register_module_rule)
from . import rules
from .rules import *  # noqa: F401,F403
from .layout import (SHAPE_ONLY, Part, by_layout, layout_after,
                     standard_layout)
from .records import input_record, make_record, module_path, unique_name
from .copies import (MAX_REAL_BYTES, counted_parameters, dtype_of, to_meta,
                     working_copy, zeros)
from .pads import own_forward
from .meta_shapes import FUNCTION_VALUES, MODULE_VALUES
from .walk import LOCK, Unfollowable, run
from .hooks_walk import hook_records

__all__ = [
    "Call", "FUNCTION_NAMES", "FUNCTION_RULES", "FUNCTION_VALUES",
    "MAX_REAL_BYTES", "MODULE_RULES", "MODULE_VALUES", "Part",
    "SHAPE_ONLY", "TensorInfo",
    "by_layout", "conv_leading_pad", "function_name", "function_rule",
    "input_record", "layout_after", "leading_pads", "make_record",
    "module_path", "module_rule", "module_rule_of_class", "network_of",
    "own_forward", "per_axis", "register_function_rule",
    "register_module_rule", "row_values", "standard_layout", "transposed",
    "unique_name", "window"] + list(rules.__all__)


def _shapes(input_shape):
    """``input_shape`` -> list of shapes (one per model input)."""
    if input_shape is None:
        raise BadShapeError(
            "a torch module needs input_shape=(batch, channels, *spatial), "
            "e.g. (1, 3, 224, 224); got None")
    if isinstance(input_shape, (tuple, list, torch.Size)) and input_shape \
            and all(isinstance(s, (tuple, list, torch.Size))
                    for s in input_shape):
        shapes = [tuple(s) for s in input_shape]
    else:
        shapes = [tuple(input_shape)] if isinstance(
            input_shape, (tuple, list, torch.Size)) else None
    for shape in shapes or [input_shape]:
        if shapes is None or not shape or not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0
                for v in shape):
            raise BadShapeError(
                "input_shape should be a tuple of positive ints (batch "
                "included), or a list of such tuples for several inputs; "
                "got {!r}".format(input_shape))
    return shapes


#: Where the fallback warning was shown, as ``warnings.warn`` keeps it per
#: module: the same module analysed twice warns once.
_WARNED = {}


def _warn_fallback(module, error):
    """The hooks fallback's warning, attributed to the analysed module's
    ``forward`` (its file and ``def`` line), not to whichever script, runpy
    frame or CLI wrapper called the analysis."""
    cls = type(module)
    code = getattr(getattr(cls, "forward", None), "__code__", None)
    filename, line = (code.co_filename, code.co_firstlineno) if code else (
        "<{}>".format(cls.__module__), 0)
    reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
    warnings.warn_explicit(
        "cannot follow {}: {}; falling back to forward hooks on its leaf "
        "modules: functional calls (torch.cat, +, F.*) are invisible "
        "there, and modules are assumed to form a chain".format(
            printable(cls.__name__), clipped(printable(reason), 200)),
        UserWarning, filename, line, module=cls.__module__,
        registry=_WARNED)


def network_of(module, input_shape):
    """A torch module as a :class:`~nolearn_capacity.core.Network`.

    Parameters
    ----------
    module : torch.nn.Module
        Never changed: the analysis runs on a copy in eval mode (see the
        module's docstring).  Safe to call from several threads.
    input_shape : tuple of int, or list of tuples
        The input's shape, batch included, e.g. ``(1, 3, 224, 224)``; a list
        of shapes for a module with several inputs (in ``forward``'s order).

    Returns
    -------
    Network
        Records in topological order: one ``'Input'`` record per input,
        then one per module call, function call or method call on tensors.
        ``total_params`` counts each trainable parameter once.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2))
    >>> [r.op for r in network_of(net, (1, 1, 28, 28)).layers]
    ['input', 'window', 'pointwise', 'window']
    """
    shapes = _shapes(input_shape)
    with LOCK:
        return _network(module, shapes)


def _network(module, shapes):
    """Walk the meta copy; modules that do not run there (code that needs
    data, tensors built on the CPU inside ``forward``) run on a real deep
    copy."""
    warned = False
    for meta in (True, False):
        twins = {}
        try:
            work = working_copy(module, meta, twins)
        except UnsupportedLayerError:
            if not meta:
                raise
            continue
        try:
            try:
                with torch.no_grad():
                    records = run(work, zeros(shapes, dtype_of(work), meta),
                                  shapes, meta, twins).records
            except Unfollowable as unfollowable:
                if not warned:
                    _warn_fallback(module, unfollowable.error)
                    warned = True
                # a fresh copy (the walk may have run code on this one)
                # whose every part runs
                twins = {}
                work = working_copy(module, meta, twins)
                if meta:
                    to_meta(work, twins)
                records = hook_records(work, shapes, meta)
            break
        except BadShapeError:
            if not meta:
                raise
    trainable = [p for p in counted_parameters(module, work)
                 if p.requires_grad]
    return Network(tuple(records), sum(p.numel() for p in trainable),
                   sum(p.numel() * p.element_size() for p in trainable))


def row_values(module, inputs):
    """Run ``module`` itself (not a copy: put it in the mode you want) on
    ``inputs`` (a list of tensors) as the analysis walks it, and return
    every row's output tensor by row name, as the exact report of the same
    module names its rows (a call with a tuple output has none; its
    ``getitem`` rows do).  Autograd stays on, so a test can take the
    input gradient of any unit: the ground truth exact mode is checked
    against."""
    with LOCK:
        return run(module, list(inputs), [tuple(x.shape) for x in inputs],
                   meta=False, keep_values=True).values
