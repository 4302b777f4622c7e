"""The rule tables: module rules by class, function rules by target."""
from ...registry import Registry


MODULE_RULES = Registry()


FUNCTION_RULES = Registry()


def fixed_op(name):
    return lambda call, n_axes: dict(op=name)


def register_module_rule(*classes):
    """Decorator: use ``rule(call, n_axes) -> dict`` for these module
    classes (and their subclasses without a rule of their own).

    Examples
    --------
    >>> @register_module_rule(MyBlur)
    ... def blur(call, n_axes):
    ...     return window(n_axes, kernel=3, pad=1)
    """
    return MODULE_RULES.register(*classes)


def register_function_rule(*targets):
    """Decorator: use ``rule(call, n_axes) -> dict`` for these targets:
    torch functions (``torch.cat``, ``F.relu``) or tensor method names
    (``'view'``; ``x + y`` is ``'add'``, ``x[i]`` is ``operator.getitem``):
    what a torch function mode is handed.  A Python function of your own
    is not one: the walk sees the torch calls inside it."""
    return FUNCTION_RULES.register(*targets)


def module_rule(module):
    """The rule for a module, through its class's MRO; None if none."""
    return module_rule_of_class(type(module))


def module_rule_of_class(cls):
    return MODULE_RULES.first(cls.__mro__)


def function_rule(target):
    return FUNCTION_RULES.get(target)
