"""Builders for Lasagne's ``recurrent`` module.  A ``CustomRecurrentLayer``'s
sub-networks are specs themselves, built with :func:`.graph.build`."""
from ...errors import shown
from .arguments import as_int, bias_count, drop, need, prod, require_fixed
from ..kinds import is_spec_list
from .base import SpecLayer, builder
from .graph import build


def _compatible(shape1, shape2):
    return len(shape1) == len(shape2) and all(
        a is None or b is None or a == b for a, b in zip(shape1, shape2))


def _recurrent_options(kw, shape, learn_init):
    """Arguments all recurrent layers share -> their attributes."""
    if len(shape) < 3:
        raise ValueError("expects a (batch, time, features...) input, got "
                         "shape {}".format(shape))
    attrs = {"learn_init": bool(kw.pop("learn_init", learn_init)),
             "backwards": kw.pop("backwards", False),
             "gradient_steps": kw.pop("gradient_steps", -1),
             "grad_clipping": kw.pop("grad_clipping", 0),
             "unroll_scan": kw.pop("unroll_scan", False),
             "precompute_input": kw.pop("precompute_input", True),
             "only_return_final": kw.pop("only_return_final", False)}
    drop(kw, "nonlinearity", "mask_input")
    if attrs["unroll_scan"] and attrs["gradient_steps"] != -1:
        raise ValueError("unroll_scan=True needs gradient_steps=-1")
    if attrs["unroll_scan"] and shape[1] is None:
        raise ValueError("unroll_scan=True needs a fixed sequence length")
    return attrs


def _initial_state(kw, name, size, learn):
    """``hid_init`` / ``cell_init``: a (1, size) parameter, trainable with
    ``learn_init``; none when it is another layer (Lasagne 0.2)."""
    value = kw.pop(name, None)
    return size if learn and not isinstance(value, SpecLayer) else 0


def _recurrent_shape(shape, units, only_final):
    return (shape[0],) + (() if only_final else (shape[1],)) + tuple(units)


#: gated recurrent classes -> their gates (each W_in, W_hid and b)
GATES = {"LSTMLayer": ("ingate", "forgetgate", "cell", "outgate"),
         "GRULayer": ("resetgate", "updategate", "hidden_update")}


@builder("RecurrentLayer", "LSTMLayer", "GRULayer")
def _recurrent(cls, kw, shapes):
    shape = shapes[0]
    units = as_int(need(kw, "num_units"), "num_units", 1)
    # Lasagne 0.1's defaults: only the GRU learns its initial state
    attrs = _recurrent_options(kw, shape, learn_init=cls == "GRULayer")
    attrs["num_units"] = units
    learn = attrs["learn_init"]
    require_fixed(shape[2:], "{}'s input features".format(cls))
    per_gate = prod(shape[2:]) * units + units * units
    if cls == "RecurrentLayer":
        drop(kw, "W_in_to_hid", "W_hid_to_hid")
        n_params = per_gate + bias_count(kw, units, (), False)
    else:
        drop(kw, *GATES[cls])
        n_params = len(GATES[cls]) * (per_gate + units)
    if cls == "LSTMLayer":
        attrs["peepholes"] = bool(kw.pop("peepholes", True))
        n_params += 3 * units if attrs["peepholes"] else 0
        n_params += _initial_state(kw, "cell_init", units, learn)
    n_params += _initial_state(kw, "hid_init", units, learn)
    return (attrs, _recurrent_shape(shape, (units,),
                                    attrs["only_return_final"]), n_params)


def _subnet(value, what):
    """A recurrence's sub-network, given as a spec list from its own
    InputLayer -> its SpecLayers."""
    if not is_spec_list(value):
        raise ValueError("{} should be a list of layer specs starting with "
                         "an InputLayer, got {}".format(what, shown(value)))
    return build(value)


@builder("CustomRecurrentLayer")
def _custom_recurrent(cls, kw, shapes):
    shape = shapes[0]
    attrs = _recurrent_options(kw, shape, learn_init=False)
    to_hidden = _subnet(need(kw, "input_to_hidden"), "input_to_hidden")
    recurrence = _subnet(need(kw, "hidden_to_hidden"), "hidden_to_hidden")
    out_in = to_hidden[-1].output_shape
    out_hid = recurrence[-1].output_shape
    if not (_compatible(out_in[1:], out_hid[1:]) and
            _compatible(out_in[1:], recurrence[0].output_shape[1:])):
        raise ValueError(
            "input_to_hidden's output {} should match hidden_to_hidden's "
            "input {} and output {} after the first axis".format(
                out_in, recurrence[0].output_shape, out_hid))
    steps = None if None in shape[:2] else shape[0] * shape[1]
    if attrs["precompute_input"] and None not in (out_in[0], steps) and \
            out_in[0] != steps:
        raise ValueError("with precompute_input, input_to_hidden's first "
                         "axis should be batch * time = {} or None, got "
                         "{}".format(steps, out_in[0]))
    require_fixed(out_hid[1:], "hidden_to_hidden's output")
    n_params = sum(layer.n_params for layer in to_hidden + recurrence)
    n_params += _initial_state(kw, "hid_init", prod(out_hid[1:]),
                               attrs["learn_init"])
    attrs.update(input_to_hidden=to_hidden[-1],
                 hidden_to_hidden=recurrence[-1])
    return (attrs, _recurrent_shape(shape, out_hid[1:],
                                    attrs["only_return_final"]), n_params)


# --------------------------------------------------------------------------
