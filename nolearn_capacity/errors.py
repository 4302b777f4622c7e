"""Every error nolearn_capacity raises on bad input, in one place.

Messages name the layer (name, index, class), the value received and the
value expected, so that one line is enough to fix the network.
"""


class CapacityError(Exception):
    """Base class: bad input that prevents an analysis."""


class NotANetworkError(CapacityError, TypeError):
    """The object given is neither a network, a layer, nor a layer spec."""


class EmptyNetworkError(CapacityError, ValueError):
    """The network has no layers at all."""


class BadShapeError(CapacityError, ValueError):
    """An output shape is unknown (None), zero, negative or inconsistent."""


class BadSpecError(CapacityError, ValueError):
    """A plain layer spec cannot be understood."""


class UnsupportedLayerError(CapacityError, ValueError):
    """A layer's attributes cannot be turned into geometry."""


class BadArgumentError(CapacityError, ValueError):
    """An option (mode, format, threshold, file name) is not valid."""


class OutputError(CapacityError, OSError):
    """An output file (``--output``, ``--plot``) cannot be written."""


class GraphError(CapacityError, ValueError):
    """The layers do not form an acyclic graph with an input."""


class BadReportError(CapacityError, ValueError):
    """A saved report (JSON) cannot be read back."""


class MissingDependencyError(CapacityError, ImportError):
    """An optional package (torch, PyYAML, matplotlib, the legacy stack)
    is needed and not installed."""


#: Top-level module -> the extra of nolearn_capacity that installs it.
EXTRAS = {"torch": "torch", "yaml": "yaml", "matplotlib": "plot",
          "theano": "legacy", "lasagne": "legacy", "nolearn": "legacy",
          "sklearn": "legacy"}


def missing_dependency(module, purpose):
    """The error for ``purpose`` needing ``module``, with the install hint
    of its extra (``module`` may be dotted: ``torch.nn`` is torch's)."""
    top = str(module).split(".")[0]
    extra = EXTRAS.get(top)
    hint = ": pip install 'nolearn_capacity[{}]'".format(extra) if extra \
        else ""
    return MissingDependencyError("{} needs {}, which is not installed{}"
                                  .format(purpose, shown(top), hint))


class WeightsError(CapacityError, ValueError):
    """A weight file cannot be read or does not fit the net."""


class UnsafePickleError(WeightsError):
    """A weight pickle asks for a global other than numpy arrays, dtypes
    and plain containers."""


#: At most this many characters of a value received are echoed in a
#: message: a 10**6-element list or a megabyte name stays one short line.
MAX_SHOWN = 80


def printable(text):
    """``text`` safe for a terminal or a table cell: control characters
    (ESC, BEL, CR, newlines, DEL, C1) are escaped the way ``repr`` escapes
    them; everything printable, non-ASCII included, is kept as it is."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def clipped(text, limit=MAX_SHOWN):
    """``text`` cut to ``limit`` characters, the cut marked with '...'."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def shown(value, limit=MAX_SHOWN):
    """A value received, for a message: its repr (so control characters
    are escaped), shortened without building a huge string first."""
    import reprlib
    shortener = reprlib.Repr()
    shortener.maxstring = shortener.maxother = shortener.maxlong = limit
    # at most 6 items a level are shown: three levels fill the line, and
    # reprlib's six would visit 6**6 items of a huge nested value
    shortener.maxlevel = 3
    try:
        text = shortener.repr(value)
    except Exception:    # a repr that fails is not worth a second error
        text = "<{} object>".format(type(value).__name__)
    return clipped(printable(text), limit)


def describe_layer(name, index, class_name):
    """``layer 'conv1' (#2, Conv2DLayer)``: how every message names a layer
    (the name shown as a repr, so a hostile name cannot forge a line)."""
    label = shown(name) if name else "<unnamed>"
    where = "" if index is None else "#{}, ".format(index)
    return "layer {} ({}{})".format(label, where,
                                    clipped(printable(class_name)))
