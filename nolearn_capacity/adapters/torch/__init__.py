"""PyTorch modules -> core records.

This package is the only part of nolearn_capacity that imports torch; it
is loaded when a torch module arrives
(:func:`nolearn_capacity.adapters.to_network`).

The walk is separate from the rules.  The walk traces the module with
``torch.fx`` (so ``torch.cat``, ``+``, ``F.max_pool2d``, ``F.interpolate``,
``view`` ... are seen as nodes), computing each node's value on zeros of
``input_shape`` as the node is made, which gives every output shape.  Modules that fx cannot
trace (data-dependent control flow, ...) are walked with forward hooks on
their leaf modules instead, with a warning: functional calls are then
invisible and modules are assumed to form a chain.  The analysed module is
never changed: both walks run on a copy in eval mode whose parameters and
buffers live on the meta device (no weights copied, no data computed, so
any input size is cheap); only a module that cannot run there runs on a
real deep copy, on zeros of a bounded size.

Each rule is ``rule(call, n_axes) -> dict`` of
:class:`~nolearn_capacity.core.LayerRecord` fields (at least ``op``), where
``call`` is a :class:`Call`.  Module rules are looked up by class (a
subclass uses its base's rule unless it has its own), function rules by the
fx target (a function, or a method name for ``x.view(...)``).  Types without
a rule become op ``'unknown'``, which the core flags.  Users add rules with
:func:`register_module_rule` and :func:`register_function_rule`.

Modules, each with one job (imports go down this list, never up):
``calls`` what a rule sees of a call; ``table`` the rule tables;
``rules/`` the rules by family of ops; ``layout`` which dimensions are
spatial; ``records`` calls to records (dispatch, costs, names);
``copies`` the working copy and its inputs; ``pads`` pads applied in a
ruled subclass's ``forward``; ``meta_shapes`` output shapes without meta
kernels; ``fx_walk`` and ``hooks_walk`` the two walks; this file the
entry point and the choice between the walks.
"""
import inspect
import threading
import warnings

import torch

from ...errors import BadShapeError, UnsupportedLayerError, clipped, printable
from ...records import Network
from .calls import (Call, FUNCTION_NAMES, TensorInfo, conv_leading_pad,
                    function_name, leading_pads, per_axis, transposed, window)
from .table import (FUNCTION_RULES, MODULE_RULES, PER_SAMPLE_FUNCTIONS,
                    function_rule, module_rule, module_rule_of_class,
                    register_function_rule, register_module_rule)
from . import rules
from .rules import *  # noqa: F401,F403
from .layout import (SHAPE_ONLY, Part, by_layout, layout_after,
                     standard_layout)
from .records import (input_record, make_record, module_path, node_name,
                      unique_name)
from .copies import MAX_REAL_BYTES, working_copy
from .pads import own_forward
from .meta_shapes import FUNCTION_VALUES, MODULE_VALUES
from .fx_walk import Tracer, Untraceable, fx_records
from .hooks_walk import hook_records

__all__ = [
    "Call", "FUNCTION_NAMES", "FUNCTION_RULES", "FUNCTION_VALUES",
    "MAX_REAL_BYTES", "MODULE_RULES", "MODULE_VALUES", "Part",
    "PER_SAMPLE_FUNCTIONS", "SHAPE_ONLY", "TensorInfo", "Tracer",
    "by_layout", "conv_leading_pad", "function_name", "function_rule",
    "input_record", "layout_after", "leading_pads", "make_record",
    "module_path", "module_rule", "module_rule_of_class", "network_of",
    "node_name", "own_forward", "per_axis", "register_function_rule",
    "register_module_rule", "standard_layout", "transposed", "unique_name",
    "window"] + list(rules.__all__)


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


#: torch.fx patches ``nn.Module.__call__`` and friends while it traces, and
#: lazy modules and hooks change shared state while the module runs: one
#: analysis at a time, so that concurrent calls cannot see each other's
#: patches (issue 8).
_LOCK = threading.RLock()


def _defaults(module, n_inputs):
    """The arguments of ``forward`` after the first ``n_inputs`` that have
    defaults: traced with those values fixed (``mask=None`` and the like
    often choose a branch)."""
    try:
        parameters = list(
            inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    fixed = {p.name: p.default for p in parameters[n_inputs:]
             if p.default is not p.empty and p.kind in (
                 p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return fixed or None


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
        "torch.fx cannot trace {} ({}: {}); falling back to forward hooks "
        "on its leaf modules: functional calls (torch.cat, +, F.*) are "
        "invisible there, and modules are assumed to form a chain".format(
            printable(cls.__name__), type(error).__name__,
            clipped(printable(reason), 200)),
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
    with _LOCK:
        return _network(module, shapes)


def _network(module, shapes):
    """Trace the meta copy, computing every node's shape as the graph is
    built; modules that do not run there (data-dependent control flow,
    tensors built on the CPU inside ``forward``) run on a real deep copy."""
    warned = False
    for meta in (True, False):
        try:
            work = working_copy(module, meta)
        except UnsupportedLayerError:
            if not meta:
                raise
            continue
        try:
            try:
                records = fx_records(work, shapes, meta, _defaults(
                    work, len(shapes)))
            except Untraceable as untraceable:
                if not warned:
                    _warn_fallback(module, untraceable.error)
                    warned = True
                # a fresh copy: tracing may have run code on this one
                work = working_copy(module, meta)
                records = hook_records(work, shapes, meta)
            break
        except BadShapeError:
            if not meta:
                raise
    # after the run, so that lazy modules have their parameters
    trainable = [p for p in work.parameters() if p.requires_grad]
    return Network(tuple(records), sum(p.numel() for p in trainable),
                   sum(p.numel() * p.element_size() for p in trainable))
