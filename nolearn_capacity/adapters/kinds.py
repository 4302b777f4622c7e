"""Telling layer specs apart from other objects without loading the spec
builders (:mod:`.spec`), which the analysis of built layers never needs."""


def is_spec_list(obj):
    """True for a list of (class, kwargs) or (name, class) items."""
    if not isinstance(obj, (list, tuple)) or not obj:
        return False
    first = obj[0]
    return (isinstance(first, (tuple, list)) and len(first) == 2 and
            (isinstance(first[1], dict) or isinstance(first[1], str) or
             isinstance(first[0], str)))


def looks_like_specs(obj):
    """True for a list with a tuple or list among its items: never a list
    of Lasagne layers, so :func:`.spec.build` gives the precise complaint."""
    return isinstance(obj, (list, tuple)) and any(
        isinstance(item, (tuple, list)) for item in obj)
