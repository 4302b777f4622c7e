"""What every spec module shares: :class:`SpecLayer`, the builder registry
and the classes whose inputs are not just the previous layer."""
from ...registry import Registry

BUILDERS = Registry()

#: Arguments that may name another layer of the spec: each named layer
#: becomes an extra input, in this order, as in Lasagne (0.2 for
#: ``hid_init`` / ``cell_init``).
LAYER_ARGUMENTS = {
    "CustomRecurrentLayer": ("mask_input", "hid_init"),
    "RecurrentLayer": ("mask_input", "hid_init"),
    "LSTMLayer": ("mask_input", "hid_init", "cell_init"),
    "GRULayer": ("mask_input", "hid_init"),
    "TransformerLayer": ("localization_network",),
    "TPSTransformerLayer": ("localization_network",),
    "InverseLayer": ("layer",),
}

#: Lasagne's ``MergeLayer`` subclasses: they carry ``input_layers`` and
#: ``input_shapes``, even with a single input.
MERGE_CLASSES = frozenset(
    ["ConcatLayer", "ElemwiseSumLayer", "ElemwiseMergeLayer"] +
    list(LAYER_ARGUMENTS))


class SpecLayer(object):
    """A layer described by a spec: Lasagne attributes, no Theano."""

    def __init__(self, lineage, name, inputs, attrs, output_shape,
                 n_params, base=None):
        # The class's name and its bases' (a user's subclass of a Lasagne
        # class is read by its base's rules); ``base`` is the one built.
        self.class_lineage = tuple(lineage)
        self.name = name
        if (base or lineage[0]) in MERGE_CLASSES:
            self.input_layers = list(inputs)
            self.input_shapes = [i.output_shape for i in inputs]
        elif inputs:
            (self.input_layer,) = inputs
            self.input_shape = self.input_layer.output_shape
        self.__dict__.update(attrs)
        self.output_shape = tuple(output_shape)
        self.n_params = n_params

    def __repr__(self):
        return "<SpecLayer {} {!r} {}>".format(self.class_lineage[0],
                                               self.name, self.output_shape)

    def __str__(self):
        # nolearn names unnamed rows after this string's class part.
        return "<lasagne.layers.{} object>".format(self.class_lineage[0])


def builder(*class_names):
    """Decorator: ``build(cls_name, kwargs, input_shapes) -> (attrs,
    output_shape, n_params)`` describes these classes.

    A builder pops the arguments it understands from ``kwargs`` (what is
    left is reported as unexpected) and raises ValueError for bad values.
    """
    return BUILDERS.register(*class_names)


def supported_classes():
    """The Lasagne class names a spec can use, sorted."""
    return sorted(BUILDERS)
