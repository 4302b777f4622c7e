"""Reading spec items: the forms a list item may take, nolearn's layer
names and ``<name>_<argument>`` keywords, old argument names, and the
NeuralNet options a spec may carry."""
import warnings

from ...errors import BadArgumentError, BadSpecError, describe_layer, shown

#: Old argument names that Kaggle-era scripts use -> Lasagne's names.
RENAMED = {"ds": "pool_size", "strides": "stride", "st": "stride",
           "border_mode": "pad"}

#: NeuralNet's own options (nolearn 0.6.1's ``NeuralNet.__init__``
#: arguments and the old ones it still reads): a spec file or ``analyze``
#: may carry them; they change no geometry.
NEURALNET_OPTIONS = frozenset([
    "update", "loss", "objective", "objective_loss_function",
    "batch_iterator_train", "batch_iterator_test", "regression",
    "max_epochs", "train_split", "custom_scores", "scores_train",
    "scores_valid", "X_tensor_type", "y_tensor_type", "use_label_encoder",
    "on_batch_finished", "on_epoch_finished", "on_training_started",
    "on_training_finished", "more_params", "check_input", "verbose",
    "eval_size", "custom_score", "batch_iterator"])

#: Keyword prefixes nolearn hands to the update and objective functions.
NEURALNET_PREFIXES = ("update_", "objective_")


def _lineage(factory, where):
    """Class names of a spec item's class, most specific first: the name
    itself, or a class and its bases."""
    if isinstance(factory, type):
        return tuple(c.__name__ for c in factory.__mro__
                     if c is not object)
    if not isinstance(factory, str):
        raise BadSpecError("{}: layer class should be a class or a class "
                           "name, got {}".format(where, shown(factory)))
    return (factory.rsplit(".", 1)[-1],)


def auto_name(class_name, index):
    # nolearn's rule: 'Conv2DLayer' as layer 1 is called 'conv2d1'.
    return "{}{}".format(class_name.lower().replace("layer", ""), index)


def _pair(item, index):
    """A spec item -> (class or class name, kwargs or None, name or None),
    checking its form only."""
    where = "spec #{}".format(index)
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        what = "{} of {} item{}".format(type(item).__name__, len(item),
                                        "" if len(item) == 1 else "s") \
            if isinstance(item, (tuple, list)) else type(item).__name__
        raise BadSpecError("{}: expected a pair (class, kwargs) or (name, "
                           "class), got {} (a {})".format(
                               where, shown(item), what))
    first, second = item
    if isinstance(second, dict):
        return first, second, None
    if isinstance(first, dict):
        raise BadSpecError("{}: got (kwargs, class) {}; the class comes "
                           "first: (class, kwargs)".format(
                               where, shown(item)))
    if not isinstance(first, str):
        raise BadSpecError("{}: expected (class, kwargs) or (name, class) "
                           "with a string name, got {}".format(
                               where, shown(item)))
    return second, None, first


def normalise(item, index, keywords):
    """One list item -> (class lineage, kwargs) with nolearn's naming and
    the ``<name>_<argument>`` keywords merged in."""
    factory, arguments, name = _pair(item, index)
    lineage = _lineage(factory, "spec #{}".format(index))
    cls = lineage[0]
    if arguments is None:
        kw = {"name": name}
    else:
        kw = dict(arguments)
        kw.setdefault("name", auto_name(cls, index))
    strange = [k for k in kw if not isinstance(k, str)]
    if strange:
        raise BadSpecError("{}: argument names should be strings, got {}"
                           .format(describe_layer(kw.get("name"), index, cls),
                                   shown(strange[0])))
    if kw["name"] is not None and not isinstance(kw["name"], str):
        raise BadSpecError("{}: name should be a string, got {}".format(
            describe_layer(None, index, cls), shown(kw["name"])))
    prefix = "{}_".format(kw["name"])
    kw.update({k[len(prefix):]: v for k, v in keywords.items()
               if k.startswith(prefix)})
    for old, new in RENAMED.items():
        if old in kw:
            warnings.warn("{}: argument {!r} is deprecated, use {!r}".format(
                describe_layer(kw["name"], index, cls), old, new),
                DeprecationWarning, stacklevel=4)
            kw.setdefault(new, kw.pop(old))
    if kw.get("pad") == "half":
        kw["pad"] = "same"
    return lineage, kw


def input_names(specs):
    """The names of the spec's InputLayers, in order, as :func:`build`
    will name them; items it will refuse are skipped here."""
    names = []
    for index, item in enumerate(specs):
        try:
            factory, arguments, name = _pair(item, index)
            lineage = _lineage(factory, "")
        except BadSpecError:
            continue
        if "InputLayer" in lineage:
            names.append(name if arguments is None else
                         arguments.get("name", auto_name(lineage[0], index)))
    return names


def with_input_shape(specs, keywords, input_shape):
    """``keywords`` plus ``<input>_shape=input_shape`` for the spec's input
    layer: the one named 'input' (so this is nolearn's own ``input_shape``
    keyword) or else the only InputLayer."""
    names = input_names(specs)
    if "input" in names:
        target = "input"
    elif len(names) == 1:
        target = names[0]
    elif not names:
        return keywords    # build() says an InputLayer is missing
    else:
        raise BadArgumentError(
            "input_shape={} is ambiguous: the spec has {} input layers ({});"
            " give each its shape with <name>_shape keywords".format(
                shown(input_shape), len(names),
                shown(", ".join(map(str, names)))))
    return dict(keywords, **{"{}_shape".format(target): input_shape})
