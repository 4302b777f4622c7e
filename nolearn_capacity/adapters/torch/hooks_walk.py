"""The fallback walk for modules the main walk cannot follow (their
``forward`` branches on tensor values): forward hooks on the leaf modules,
which are assumed to form a chain."""
import torch

from ...records import LayerRecord
from .calls import Call, first_tensor, flat, summary
from .copies import dtype_of, run_on_zeros, zeros
from .pads import PadWatch, own_forward
from .records import (input_names, input_record, make_record, module_path,
                      owned_parameters, unique_name)
from .table import module_rule


def _leaf_modules(work):
    """(name, module) of the modules hooks watch: those with a rule (not
    their children), and childless ones."""
    leaves, stack = [], [("", work)]
    while stack:
        name, module = stack.pop()
        children = list(module.named_children())
        if (module_rule(module) is not None or not children) and \
                module is not work:
            leaves.append((name, module))
            continue
        for child_name, child in reversed(children):
            stack.append(((name + "." if name else "") + child_name, child))
    return leaves


def hook_records(work, shapes, meta):
    """Forward hooks on leaf modules, in call order.  A module's input is
    the record whose output tensor it receives, else the previous record
    (the chain assumption: functional calls in between are invisible)."""
    args = zeros(shapes, dtype_of(work), meta)
    records = [input_record(name, s, a.dtype) for name, s, a in
               zip(input_names(work, len(shapes)), shapes, args)]
    produced = {id(a): i for i, a in enumerate(args)}
    keep = list(args)    # ids stay unique while the tensors live
    watches = []
    taken = {r.name: 0 for r in records}

    def watch(module, inputs):
        # as on the main walk: pads a ruled subclass applies in its forward
        watches.append(PadWatch().__enter__() if own_forward(module)
                       else None)

    def hook(module, inputs, output, name):
        pads = watches.pop() if watches else None
        if pads is not None:
            pads.__exit__(None, None, None)
        summaries = summary(tuple(inputs))
        out = first_tensor(summary(output))
        first = first_tensor(summaries)
        if out is None:
            return
        parents = sorted({produced[id(t)] for t in flat(list(inputs))
                          if isinstance(t, torch.Tensor) and
                          id(t) in produced})
        label = unique_name(name, taken)
        call = Call(module, summaries, {},
                    first.shape if first is not None else (), out.shape,
                    pads=tuple(pads.widths) if pads is not None else (),
                    out_dtype=out.dtype)
        if not parents and first is not None:
            unseen = _unseen_call(records, first.shape, label)
            if unseen is not None:
                records.append(unseen)
        record = make_record(call, label, parents or [len(records) - 1],
                             records, owned_parameters(module),
                             module_path(work, name.rpartition(".")[0]))
        for t in flat([output]):
            if isinstance(t, torch.Tensor):
                produced[id(t)] = len(records)
                keep.append(t)
        records.append(record)

    leaves = _leaf_modules(work)
    handles = [m.register_forward_pre_hook(watch) for _, m in leaves] + [
        m.register_forward_hook(
            lambda mod, i, o, name=name: hook(mod, i, o, name))
        for name, m in leaves]
    try:
        with torch.no_grad():
            run_on_zeros(work, args, shapes)
    finally:
        for h in handles:
            h.remove()
        while watches:      # a forward that raised left its watch on
            pads = watches.pop()
            if pads is not None:
                pads.__exit__(None, None, None)
    return records


def _unseen_call(records, shape, label):
    """A record for what changed the map between the last of ``records``
    and a module that hooks saw receive a tensor of ``shape`` (an
    ``F.pad``, a crop, a resize in a parent's forward): unknown, so that
    the start, which it may move, is flagged; None when the spatial size
    did not change."""
    previous = records[-1]
    if len(shape) != len(previous.output_shape) or \
            tuple(shape[2:]) == tuple(previous.output_shape[2:]):
        return None
    return LayerRecord(
        name=None, label="(before {})".format(label),
        class_name="unseen call", op="unknown",
        inputs=(len(records) - 1,), output_shape=tuple(shape),
        note="a call forward hooks cannot see (F.pad, a crop, a resize) "
             "changes the map from {} to {}: the start is unknown".format(
                 "x".join(map(str, previous.output_shape[2:])),
                 "x".join(map(str, shape[2:]))))
