"""The package's imports go one way: no module imports, directly or through
others, a module that imports it back (lazy imports inside functions
count too), and no module reaches for another module's private names."""
import ast
import pathlib

import nolearn_capacity

PACKAGE = pathlib.Path(nolearn_capacity.__file__).parent


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module, node):
    """The absolute module an ``import`` / ``from ... import`` names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module.split(".")
    if not module_is_package(module):
        base = base[:-1]
    if node.level:
        base = base[:len(base) - node.level + 1]
        prefix = ".".join(base)
        target = prefix + ("." + node.module if node.module else "")
    else:
        target = node.module
    names = [target]
    # ``from . import render`` imports the submodule render
    names += [target + "." + alias.name for alias in node.names]
    return names


def module_is_package(module):
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").exists()


def _modules():
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def import_graph():
    """module -> set of package modules it imports (anywhere in its body),
    plus every ``from X import _private`` found."""
    modules = _modules()
    graph, private = {}, []
    for module, path in modules.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _resolve(module, node):
                if name in modules and name != module:
                    edges.add(name)
            if isinstance(node, ast.ImportFrom) and node.module != \
                    "__future__":
                private += ["{} imports {} from {}".format(
                    module, alias.name, node.module or ".")
                    for alias in node.names if alias.name.startswith("_")]
        graph[module] = edges
        private += _private_attributes(module, path, modules)
    return graph, private


def _private_attributes(module, path, modules):
    """``spec._normalise``: a private name reached through another package
    module bound by an import."""
    tree = ast.parse(path.read_text(), str(path))
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)[0]
            for alias in node.names:
                if base + "." + alias.name in modules:
                    bound[alias.asname or alias.name] = base + "." + \
                        alias.name
    return ["{} uses {}.{}".format(module, bound[node.value.id], node.attr)
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and
            isinstance(node.value, ast.Name) and node.value.id in bound and
            node.attr.startswith("_") and not node.attr.startswith("__")]


def _without_package_inits(graph):
    """A package's ``__init__`` re-exports its modules; importing a
    submodule runs it first, so edges *into* an ``__init__`` say nothing
    about layering and are dropped."""
    packages = {m for m in graph if module_is_package(m)}
    return {m: {e for e in edges if e not in packages}
            for m, edges in graph.items()}


def find_cycle(graph):
    """One cycle as a list of modules, or None (iterative DFS)."""
    state = {}
    for root in sorted(graph):
        if root in state:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        path = [root]
        state[root] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
                path.pop()
                continue
            if state.get(child) == "open":
                return path[path.index(child):] + [child]
            if child not in state:
                state[child] = "open"
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_the_checker_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == \
        ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_imports_form_no_cycle():
    graph, _ = import_graph()
    assert "nolearn_capacity.core" in graph
    assert find_cycle(_without_package_inits(graph)) is None


def test_no_private_names_across_modules():
    _, private = import_graph()
    assert private == []


def test_every_rule_table_is_a_registry():
    from nolearn_capacity.adapters import lasagne, spec
    from nolearn_capacity.registry import Registry
    table = Registry()

    @table.register("A", "B")
    def rule():
        return 1
    assert table.first(["X", "B"]) is rule and table.first(["X"]) is None
    assert table.get([1, 2]) is None      # unhashable: no rule, no error
    table.unregister("A", "missing")
    assert list(table) == ["B"]
    assert isinstance(lasagne.RULES, Registry)
    assert isinstance(spec.BUILDERS, Registry)
