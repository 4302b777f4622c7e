"""Spec files: a net in Lasagne's vocabulary as JSON or YAML.

A file holds either a list of ``[class name, {arguments}]`` items, or an
object ``{"layers": [...], "<layer>_<argument>": value, ...}`` (nolearn's
keyword style).  YAML needs PyYAML (``pip install nolearn_capacity[yaml]``)
and is read with ``safe_load``.
"""
import json
import os

from .errors import BadSpecError


def load(path):
    """Read a spec file; return what :func:`nolearn_capacity.analyze`
    takes (a list of specs, or ``(specs, keywords)`` as a dict)."""
    if not os.path.exists(path):
        raise BadSpecError("{}: no such file (expected a spec file .json / "
                           ".yaml or a built-in net name)".format(path))
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as error:
        raise BadSpecError("{}: cannot read the spec file: {}".format(
            path, getattr(error, "strerror", None) or error)) from None
    if path.endswith((".yaml", ".yml")):
        data = _yaml(path, text)
    else:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise BadSpecError("{}: invalid JSON at line {}: {}".format(
                path, getattr(error, "lineno", "?"),
                getattr(error, "msg", error))) from None
    return specs_of(data, path)


def _yaml(path, text):
    try:
        import yaml
    except ImportError:
        raise BadSpecError("{}: reading YAML needs PyYAML: pip install "
                           "'nolearn_capacity[yaml]'".format(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise BadSpecError("{}: invalid YAML at line {}: {}".format(
            path, line, getattr(error, "problem", error))) from None


class SpecNet(object):
    """Specs plus nolearn-style keywords, as read from a file."""

    def __init__(self, layers, keywords):
        self.layers, self.keywords = layers, keywords


def specs_of(data, path="<spec>"):
    if isinstance(data, dict):
        keywords = dict(data)
        layers = keywords.pop("layers", None)
    else:
        layers, keywords = data, {}
    if not isinstance(layers, list) or not layers:
        raise BadSpecError("{}: expected a non-empty list of layers, got {}"
                           .format(path, type(layers).__name__))
    items = []
    for index, item in enumerate(layers):
        if isinstance(item, list) and len(item) == 2:
            item = tuple(item)
        items.append(item)
    return SpecNet(items, keywords)
