"""Spec lists -> connected :class:`~.base.SpecLayer` objects: each item's
builder looked up in the registry, its inputs resolved by name, its
arguments and output checked, unused keywords refused."""
from ...errors import (BadShapeError, BadSpecError, clipped, describe_layer,
                       printable, shown)
from .arguments import Missing
from .base import BUILDERS, LAYER_ARGUMENTS, MERGE_CLASSES, SpecLayer
from .reading import (NEURALNET_OPTIONS, NEURALNET_PREFIXES, auto_name,
                      normalise)


def build(specs, **keywords):
    """Spec items -> list of :class:`SpecLayer`, in the given order.

    ``keywords`` are nolearn's ``<layer name>_<argument>=value`` keywords
    (``more_params`` holds more of them) and NeuralNet's own options
    (:data:`NEURALNET_OPTIONS`, ``update_*``, ``objective_*``), which change
    nothing here.  As nolearn's ``NeuralNet.initialize`` does, a keyword
    that is neither is refused.  A layer's input is the previous item
    unless ``incoming`` (or ``incomings`` for merge layers) names earlier
    layers.
    """
    more = keywords.get("more_params") or {}
    if not isinstance(more, dict) or not all(isinstance(k, str)
                                             for k in more):
        raise BadSpecError("more_params should map <layer>_<argument> "
                           "names to values, got {}".format(shown(more)))
    merged = dict(keywords, **more)    # more_params wins, as in nolearn
    layers, by_name = [], {}
    for index, item in enumerate(specs):
        lineage, kw = normalise(item, index, merged)
        name = kw.pop("name")
        where = describe_layer(name, index, lineage[0])
        if name in by_name:
            raise BadSpecError("{}: two layers are named {}".format(
                where, shown(name)))
        cls = next((c for c in lineage if c in BUILDERS), None)
        if cls is None:
            raise BadSpecError("{}: unknown layer class {}{}".format(
                where, shown(lineage[0]), _suggest(lineage[0])))
        make = BUILDERS[cls]
        inputs = _inputs(kw, cls, layers, by_name, where)
        # as on a real layer: b is None when the layer has no bias
        no_bias = "b" in kw and kw["b"] is None
        try:
            attrs, out, n_params = make(
                cls, kw, [tuple(i.output_shape) for i in inputs])
        except Missing as missing:
            raise BadSpecError("{}: missing argument {!r}".format(
                where, missing.args[0])) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) \
                as error:
            raise BadSpecError("{}: {}".format(where, error)) from None
        if kw:
            raise BadSpecError("{}: unexpected arguments {}".format(
                where, clipped(printable(", ".join(sorted(kw))))))
        _check_shape(out, where)
        layer = SpecLayer(lineage, name, inputs, attrs, out, n_params, cls)
        if no_bias:
            layer.b = None
        layers.append(layer)
        by_name[name] = layer
    _check_keywords_used(keywords, list(by_name))
    return layers


def _check_keywords_used(keywords, names):
    prefixes = tuple("{}_".format(n) for n in names) + NEURALNET_PREFIXES
    for key in keywords:
        if key in NEURALNET_OPTIONS or key.startswith(prefixes):
            continue
        raise BadSpecError(
            "keyword {} matches no layer: expected <layer name>_<argument> "
            "with a layer name from {} or a NeuralNet option (nolearn 0.6.1 "
            "refuses it too: 'Unused kwarg'){}".format(
                shown(key), shown(", ".join(map(str, names))),
                _suggest_keyword(key, names)))


def _suggest_keyword(key, names):
    """'; did you mean ...' for the split of ``key`` into a near layer
    name and an argument that comes closest."""
    import difflib   # only for a misspelt keyword
    if len(key) > 200:
        return ""
    best, score = None, 0.8
    for at in range(1, len(key)):
        if key[at] != "_":
            continue
        prefix, argument = key[:at], key[at + 1:]
        for name in names:
            ratio = difflib.SequenceMatcher(None, prefix, str(name)).ratio()
            if argument and ratio > score:
                best, score = "{}_{}".format(name, argument), ratio
    return "; did you mean {}?".format(shown(best)) if best else ""


def _layer_names(value, what, where):
    """``incoming`` / ``incomings``: layer names, as nolearn looks them
    up in its ``layers_``."""
    if what == "incomings":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise BadSpecError("{}: incomings should be a list of layer "
                               "names, got {}".format(where, shown(value)))
        names = list(value)
    else:
        if isinstance(value, (list, tuple)):
            raise BadSpecError("{}: incoming should be one layer name, got "
                               "{}; several inputs go in 'incomings'".format(
                                   where, shown(value)))
        names = [value]
    for name in names:
        if not isinstance(name, str):
            raise BadSpecError("{}: {} should name layers by string, got {}"
                               .format(where, what, shown(name)))
    return names


def _inputs(kw, cls, layers, by_name, where):
    """The layers feeding ``cls``; arguments that name layers
    (:data:`LAYER_ARGUMENTS`) are replaced by those layers and added."""
    if cls == "InputLayer":
        return []
    if "incomings" in kw:
        names = _layer_names(kw.pop("incomings"), "incomings", where)
    elif "incoming" in kw:
        names = _layer_names(kw.pop("incoming"), "incoming", where)
    elif layers:
        names = [layers[-1].name]
    else:
        raise BadSpecError("{}: the first layer must be an InputLayer".format(
            where))
    arguments = [a for a in LAYER_ARGUMENTS.get(cls, ())
                 if isinstance(kw.get(a), str)]
    names += [kw[a] for a in arguments]
    if cls not in MERGE_CLASSES and len(names) != 1:
        raise BadSpecError("{}: takes one incoming layer, got {}".format(
            where, len(names)))
    missing = [n for n in names if n not in by_name]
    if missing:
        raise BadSpecError("{}: incoming layer {} is not defined before "
                           "it".format(where, shown(missing[0])))
    inputs = [by_name[n] for n in names]
    for argument in arguments:
        kw[argument] = by_name[kw[argument]]
    if "layer" in arguments:    # InverseLayer: Lasagne adds its input too
        inputs.append(getattr(kw["layer"], "input_layer", None))
        if inputs[-1] is None:
            raise BadSpecError("{}: the inverted layer {} should have one "
                               "input".format(where, shown(kw["layer"].name)))
    return inputs


def _check_shape(shape, where):
    for size in shape[1:]:
        if size is not None and (not isinstance(size, int) or size < 1):
            raise BadShapeError("{}: output shape {} has a size below 1"
                                .format(where, shown(shape)))


def _suggest(name):
    """'; did you mean ...' for an unknown class name: the same name in
    another case, a class whose nolearn auto-name it is (``maxpool2d``,
    ``conv2d1``), else the closest spelling."""
    import difflib   # only for a misspelt name
    lowered = name.lower()
    by_lower = {c.lower(): c for c in BUILDERS}
    by_auto = {auto_name(c, ""): c for c in BUILDERS}
    match = (by_lower.get(lowered) or by_auto.get(lowered) or
             by_auto.get(lowered.rstrip("0123456789")))
    if match is None:
        close = difflib.get_close_matches(lowered, list(by_lower), n=1)
        match = by_lower[close[0]] if close else None
    return "; did you mean {!r}?".format(match) if match else ""
