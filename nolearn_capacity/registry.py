"""One registry type for every rule table (Lasagne rules, spec builders,
torch module and function rules, port rules)."""


class Registry(dict):
    """Rules by key: a class, a class name or any hashable target.

    A dict, so ``key in registry`` and ``registry[key]`` work as usual;
    :meth:`register` adds, :meth:`unregister` removes, :meth:`first`
    looks a layer up through its class hierarchy (most specific first).
    """

    def register(self, *keys):
        """Decorator: use the decorated rule for ``keys``."""
        def add(rule):
            for key in keys:
                self[key] = rule
            return rule
        return add

    def unregister(self, *keys):
        """Remove the rules for ``keys`` (absent keys are fine)."""
        for key in keys:
            self.pop(key, None)

    def first(self, keys):
        """The rule of the first of ``keys`` that has one (pass a class's
        MRO or its names, most specific first); None if none has."""
        for key in keys:
            rule = self.get(key)
            if rule is not None:
                return rule
        return None

    def get(self, key, default=None):
        try:
            return dict.get(self, key, default)
        except TypeError:       # an unhashable target has no rule
            return default
