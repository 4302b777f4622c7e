"""Spec files: a net in Lasagne's vocabulary as JSON or YAML.

A file holds either a list of ``[class name, {arguments}]`` items, or an
object ``{"layers": [...], "<layer>_<argument>": value, ...}`` (nolearn's
keyword style).  YAML needs PyYAML (``pip install nolearn_capacity[yaml]``)
and is read with a safe loader that refuses documents whose aliases expand
beyond :data:`MAX_YAML_NODES` values.
"""
import json
import os

from .errors import (BadSpecError, clipped, missing_dependency, printable,
                     shown)
from .report import Report, is_report_data

#: The most values a YAML document may hold once its aliases are expanded:
#: a few hundred bytes of nested aliases ("billion laughs") would otherwise
#: stand for gigabytes.  A thousand-layer spec holds some tens of thousands.
MAX_YAML_NODES = 10 ** 6

YAML_SUFFIXES = (".yaml", ".yml")


def load(path):
    """Read a spec file; return what :func:`nolearn_capacity.analyze`
    takes (a :class:`SpecNet`: specs plus nolearn-style keywords, or a
    saved :class:`~nolearn_capacity.report.Report`).

    The format follows the extension, in any case (``.YML`` is YAML);
    anything else is read as JSON.
    """
    where = clipped(printable(path), 200)    # a path, not a value
    if not os.path.exists(path):
        raise BadSpecError("{}: no such file (expected a spec file .json / "
                           ".yaml or a built-in net name)".format(where))
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if path.lower().endswith(YAML_SUFFIXES):
            data = _yaml(where, text)
        else:
            data = _json(where, text)
    except (OSError, UnicodeDecodeError) as error:
        raise BadSpecError("{}: cannot read the spec file: {}".format(
            where, printable(getattr(error, "strerror", None) or error))) \
            from None
    except RecursionError:
        # Both parsers recurse once per level of brackets.
        raise BadSpecError("{}: nested too deeply to read (a spec needs a "
                           "few levels of lists and objects)".format(where)) \
            from None
    except MemoryError:
        raise BadSpecError("{}: too large to read into memory".format(
            where)) from None
    if is_report_data(data):
        # a report saved with --format json: rendered or compared as it is
        return Report.from_dict(data, where)
    return specs_of(data, where)


def _json(where, text):
    try:
        return json.loads(text)
    except ValueError as error:
        raise BadSpecError("{}: invalid JSON at line {}: {}".format(
            where, getattr(error, "lineno", "?"),
            printable(getattr(error, "msg", error)))) from None


def _yaml(where, text):
    try:
        import yaml
    except ImportError:
        raise missing_dependency("yaml", "{}: reading YAML".format(where)) \
            from None
    loader = _bounded_loader(yaml)(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise BadSpecError("{}: invalid YAML at line {}: {}".format(
            where, line, printable(getattr(error, "problem", None) or error)))\
            from None
    except _TooLarge as error:
        raise BadSpecError("{}: {}".format(where, error)) from None
    finally:
        loader.dispose()


class _TooLarge(Exception):
    pass


def _bounded_loader(yaml):
    """PyYAML's SafeLoader, checking the expanded size of the composed
    document before building any Python object."""
    class BoundedLoader(yaml.SafeLoader):
        def construct_document(self, node):
            _check_expanded_size(node, yaml)
            return super().construct_document(node)
    return BoundedLoader


def _check_expanded_size(root, yaml):
    """Count the values ``root`` stands for with every alias expanded,
    without expanding it: each distinct node is sized once, from its
    children's sizes (an explicit stack: documents can be deep)."""
    size, stack = {}, [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            size[key] = 1 + sum(size[id(c)] for c in _children(node, yaml))
            if size[key] > MAX_YAML_NODES:
                raise _TooLarge(
                    "its aliases expand to more than {} values (refused: "
                    "a spec needs far fewer)".format(MAX_YAML_NODES))
            continue
        if key in size:
            if size[key] is None:    # expanded, not yet sized: an ancestor
                raise _TooLarge("an alias refers to a value that contains "
                                "it (a recursive structure is not a spec)")
            continue
        size[key] = None
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node, yaml))


def _children(node, yaml):
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return ()


class SpecNet(object):
    """Specs plus nolearn-style keywords, as read from ``source`` (a file
    name, shown in front of the errors its specs raise)."""

    def __init__(self, layers, keywords, source=None):
        self.layers, self.keywords, self.source = layers, keywords, source

    def __repr__(self):
        return "<SpecNet: {} layers, {} keywords>".format(
            len(self.layers), len(self.keywords))


def specs_of(data, path=None):
    """A file's data -> :class:`SpecNet`; entries are checked when they
    are built (:func:`nolearn_capacity.adapters.spec.build`)."""
    source, path = path, path or "<spec>"
    if isinstance(data, dict):
        keywords = dict(data)
        if "layers" not in keywords:
            raise BadSpecError(
                "{}: the object has no 'layers' key (expected {{\"layers\": "
                "[...], \"<layer>_<argument>\": value, ...}}), it has {}"
                .format(path, shown(sorted(map(str, keywords)))))
        layers = keywords.pop("layers")
        strange = [k for k in keywords if not isinstance(k, str)]
        if strange:
            raise BadSpecError("{}: keyword {} should be a string "
                               "(<layer>_<argument>)".format(
                                   path, shown(strange[0])))
    else:
        layers, keywords = data, {}
    if not isinstance(layers, list) or not layers:
        raise BadSpecError("{}: expected a non-empty list of layers, got {}"
                           .format(path, shown(layers)))
    items = [tuple(item) if isinstance(item, list) and len(item) == 2
             else item for item in layers]
    return SpecNet(items, keywords, source)
