"""Record classes without :mod:`dataclasses`.

``import dataclasses`` imports :mod:`inspect` (with ast, dis, tokenize and
re): more time than the rest of ``import nolearn_capacity`` together.  The
classes made at import (:mod:`.records`, :mod:`.report`, :mod:`.core`)
use :func:`record` instead: the same class body as a dataclass, and what
this package uses of one (positional or keyword construction with
defaults, ``__post_init__``, comparison and repr by value, ``frozen``,
slots, :func:`replace`).
"""

TYPE_CHECKING = False
if TYPE_CHECKING:    # mypy then types the classes as dataclasses
    from typing import dataclass_transform
else:
    def dataclass_transform(**options):
        return lambda decorator: decorator

_REQUIRED = object()


class Factory:
    """A default made anew for each instance; see :func:`field`."""
    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


def field(*, default_factory):
    """A field whose default is ``default_factory()`` (e.g. ``list``)."""
    return Factory(default_factory)


@dataclass_transform(field_specifiers=(field,))
def record(cls=None, *, frozen=False):
    """Class decorator: the annotated class attributes become the fields.

    Parameters
    ----------
    cls : type
        A class whose annotated attributes, in order, are the fields; a
        value is the field's default.
    frozen : bool
        Refuse assignments after ``__init__`` (and make instances
        hashable, by value).

    Returns
    -------
    type
        A new class with ``__slots__``, ``__init__``, ``__repr__``,
        ``__eq__`` and pickling (through ``__init__``); ``__post_init__``
        is called after ``__init__``.
    """
    if cls is None:
        return lambda cls: record(cls, frozen=frozen)
    names = tuple(cls.__dict__.get("__annotations__", {}))
    fields = tuple((name, cls.__dict__.get(name, _REQUIRED))
                   for name in names)
    body = {key: value for key, value in cls.__dict__.items()
            if key not in names and key not in ("__dict__", "__weakref__")}
    body.update(__slots__=names, __repr__=_repr, __eq__=_eq,
                __hash__=_hash if frozen else None, __reduce__=_reduce,
                _fields=fields)
    if frozen:
        body.update(__setattr__=_refuse, __delattr__=_refuse)
    new = type(cls)(cls.__name__, cls.__bases__, body)
    new.__qualname__ = cls.__qualname__
    new.__init__ = _init(new, fields, frozen)
    return new


def replace(obj, **changes):
    """A copy of record ``obj`` with ``changes`` (made by ``__init__``)."""
    values = {name: getattr(obj, name) for name, _ in obj._fields}
    values.update(changes)
    return type(obj)(**values)


def _init(cls, fields, frozen):
    """``__init__`` written out for ``fields``, as :mod:`dataclasses` does:
    a loop over the fields would make rows several times slower to make."""
    scope = {"_put": object.__setattr__}
    params, lines = [], []
    for at, (name, default) in enumerate(fields):
        if default is _REQUIRED:
            params.append(name)
        else:
            scope["_default{}".format(at)] = default
            params.append("{}=_default{}".format(name, at))
            if type(default) is Factory:
                lines.append("    if {0} is _default{1}: {0} = "
                             "_default{1}.make()".format(name, at))
        lines.append("    _put(self, {0!r}, {0})".format(name) if frozen
                     else "    self.{0} = {0}".format(name))
    if hasattr(cls, "__post_init__"):
        lines.append("    self.__post_init__()")
    exec("def __init__(self, {}):\n{}\n".format(
        ", ".join(params), "\n".join(lines) or "    pass"), scope)
    init = scope["__init__"]
    init.__qualname__ = "{}.__init__".format(cls.__qualname__)
    return init


def _values(obj):
    return tuple(getattr(obj, name) for name, _ in obj._fields)


def _repr(self):
    return "{}({})".format(type(self).__qualname__, ", ".join(
        "{}={!r}".format(name, getattr(self, name))
        for name, _ in self._fields))


def _eq(self, other):
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _reduce(self):
    return type(self), _values(self)


def _hash(self):
    return hash(_values(self))


def _refuse(self, name, *value):
    raise AttributeError("cannot assign to field {!r}".format(name))
