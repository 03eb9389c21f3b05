"""The import graph and private imports of a package, read with ``ast`` (nothing is imported).

- Modules: every ``.py`` file under ROOT, named after its path (``ROOT/a/__init__.py`` is the
  package ``forecast.a``). Lines: every line, docstrings and blanks included (``wc -l``).
- Import graph: every ``import`` and ``from ... import`` anywhere in a module is an edge (module
  level, class body, function, ``try``, ``if TYPE_CHECKING``; the report says which). Relative
  imports are resolved; ``from p import x`` points at the submodule ``p.x`` if that file
  exists, else at ``p``. ``import p.q.r`` points at ``p.q.r`` only, not at the parents Python
  initialises first: else every package re-exporting its submodules would be a cycle.
- Lazy packages: a dict literal in a package ``__init__`` whose values all name modules of the
  tree is a PEP 562 name -> module map (``forecast/__init__.py``). Its strings are not
  imports; the package imports nothing at import time. But ``from forecast import compare``
  and ``forecast.compare`` run the mapped module, so they point at it.
- Private imports: a name with one leading underscore is private (dunders are not). A module
  with a private part (``forecast.models._contract``) is private to the package holding that
  part (``forecast.models``, subpackages included). An import counts when it takes a private
  module, or any name from it, from outside that package; or a private name from another
  module (``from m import _x`` or ``m._x`` on an imported module), unless one of the two is a
  package ``__init__`` and the other a module directly in that package. Only this package's
  modules are measured; each name of each import statement counts once.
- Private attributes (listed, not in the status): ``obj._x``, ``getattr(obj, "_x")`` or
  ``vars(obj).get("_x")``, ``obj`` not ``self``/``cls``, where ``_x`` is defined (``def``,
  assignment, ``self._x = ...``) in other modules and not in this one: a heuristic for uses
  like ``model._forecast()`` outside the model's module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_ATTRIBUTE_READERS = {"getattr", "hasattr", "setattr", "delattr"}


def is_private(name: str) -> bool:
    """True for ``_x``, False for ``x`` and for dunder names such as ``__version__``."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclass(frozen=True)
class Module:
    """One ``.py`` file: its dotted name, path, whether it is a package ``__init__``, its AST."""

    name: str
    path: Path
    is_package: bool
    tree: ast.Module
    lines: int

    @property
    def package(self) -> str:
        """The package that relative imports in this module start from."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``line``; ``where`` is module level, function, ..."""

    source: str
    target: str
    line: int
    where: str


@dataclass(frozen=True, order=True)
class Finding:
    """A private import (or private attribute use) in ``module`` at ``line``."""

    module: str
    line: int
    target: str
    name: str
    kind: str



def read_modules(root: Path) -> dict[str, Module]:
    """Every ``.py`` file under the package directory ``root``, by dotted name."""
    root = Path(root)
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join((root.name, *(parts[:-1] if is_package else parts)))
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=str(path))
        modules[name] = Module(name, path, is_package, tree, len(text.splitlines()))
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """Every node with where it runs: "module level", "in a function" or "type-checking"."""
    found, stack = [], [(tree, "module level")]
    while stack:
        node, where = stack.pop()
        found.append((node, where))
        for name, value in ast.iter_fields(node):
            inner = where
            if name == "body" and isinstance(node, _FUNCTIONS):
                inner = "in a function"
            elif name == "body" and isinstance(node, ast.If) and _is_type_checking(node.test):
                inner = "type-checking"
            children = value if isinstance(value, list) else [value]
            stack.extend((child, inner) for child in children if isinstance(child, ast.AST))
    return found


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def lazy_map(module: Module, modules: dict[str, Module]) -> dict[str, str]:
    """The name -> module map of a lazy package ``__init__`` (PEP 562), or {}."""
    lazy = {}
    for node in module.tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if not isinstance(value, ast.Dict) or not value.values:
            continue
        pairs = [
            (k.value, v.value)
            for k, v in zip(value.keys, value.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
        ]
        if len(pairs) == len(value.values) and all(target in modules for _, target in pairs):
            lazy.update(pairs)
    return lazy


def _private_scope(name: str) -> str | None:
    """The package a private module is private to (its innermost private part), or None."""
    parts = name.split(".")
    scopes = [".".join(parts[:i]) for i in range(1, len(parts)) if is_private(parts[i])]
    return scopes[-1] if scopes else None


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


class ModuleScan:
    """Edges, private imports and private attribute uses of one module."""

    def __init__(self, module: Module, modules: dict[str, Module], lazy: dict[str, dict]):
        self.module, self.modules, self.lazy = module, modules, lazy
        self.edges: list[Edge] = []
        self.private: list[Finding] = []
        self.bound: dict[str, str] = {}  # local name -> module it is bound to
        nodes = _nodes(module.tree)
        for node, where in nodes:
            if isinstance(node, ast.Import):
                self._import(node, where)
            elif isinstance(node, ast.ImportFrom):
                self._import_from(node, where)
        for node, where in nodes:
            if isinstance(node, ast.Attribute):
                self._attribute(node, where)

    def _edge(self, target: str, line: int, where: str) -> None:
        self.edges.append(Edge(self.module.name, target, line, where))

    def _check(self, target: str, name: str | None, line: int) -> None:
        """Record a private import of ``target`` (and of ``name`` from it) if the rules say so."""
        me = self.module
        scope = _private_scope(target)
        if scope is not None and not _inside(me.name, scope):
            self.private.append(Finding(me.name, line, target, name or target, "private module"))
        elif name is not None and is_private(name) and target != me.name:
            parent = target.rpartition(".")[0]
            if not (me.is_package and parent == me.name) and not (
                self.modules[target].is_package and me.name.rpartition(".")[0] == target
            ):
                self.private.append(Finding(me.name, line, target, name, "private name"))

    def _import(self, node: ast.Import, where: str) -> None:
        for alias in node.names:
            if alias.name in self.modules:
                self._edge(alias.name, node.lineno, where)
                self._check(alias.name, None, node.lineno)
                if alias.asname:
                    self.bound[alias.asname] = alias.name
            top = alias.name.partition(".")[0]
            if alias.asname is None and top in self.modules:
                self.bound[top] = top

    def _base(self, node: ast.ImportFrom) -> str | None:
        if node.level == 0:
            return node.module
        parts = self.module.package.split(".")
        if node.level - 1 >= len(parts):
            return None
        parts = parts[: len(parts) - (node.level - 1)]
        return ".".join(parts + ([node.module] if node.module else []))

    def _import_from(self, node: ast.ImportFrom, where: str) -> None:
        base = self._base(node)
        if base not in self.modules:
            return
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in self.modules:
                self._edge(submodule, node.lineno, where)
                self._check(submodule, None, node.lineno)
                self.bound[alias.asname or alias.name] = submodule
            else:
                target = self.lazy.get(base, {}).get(alias.name, base)
                self._edge(target, node.lineno, where)
                self._check(target, None if alias.name == "*" else alias.name, node.lineno)

    def _attribute(self, node: ast.Attribute, where: str) -> None:
        """``module.name``: a lazy name is an edge, a private name a private import."""
        value = _dotted(node.value)
        if value is None:
            return
        head, _, rest = value.partition(".")
        if head not in self.bound:
            return
        target = ".".join(filter(None, (self.bound[head], rest)))
        if target not in self.modules or f"{target}.{node.attr}" in self.modules:
            return
        if node.attr in self.lazy.get(target, {}):
            self._edge(self.lazy[target][node.attr], node.lineno, where)
        elif is_private(node.attr):
            self._check(target, node.attr, node.lineno)


def defined_private_names(tree: ast.Module) -> set[str]:
    """Private names a module defines: defs, classes, assignments, ``self._x = ...``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            names.add(node.id if isinstance(node, ast.Name) else node.attr)
    return {name for name in names if is_private(name)}


def private_attribute_uses(module: Module, bound: dict[str, str]) -> Iterator[tuple[int, str]]:
    """(line, name) for ``obj._x``, ``getattr(obj, "_x")`` and ``vars(obj).get("_x")``."""
    def own(obj: ast.expr) -> bool:  # self, cls, super() or a module bound by an import
        return (
            (isinstance(obj, ast.Name) and obj.id in {"self", "cls"})
            or (isinstance(obj, ast.Call) and _dotted(obj.func) == "super")
            or (_dotted(obj) or "").partition(".")[0] in bound
        )

    for node in ast.walk(module.tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr) and not own(node.value):
            yield node.lineno, node.attr
        elif isinstance(node, ast.Call) and node.args:
            func, args = node.func, node.args
            if isinstance(func, ast.Name) and func.id in _ATTRIBUTE_READERS and len(args) >= 2:
                obj, arg = args[:2]
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and isinstance(func.value, ast.Call)
                and _dotted(func.value.func) == "vars"
                and func.value.args
            ):
                obj, arg = func.value.args[0], args[0]
            else:
                continue
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if is_private(arg.value) and not own(obj):
                    yield node.lineno, arg.value


def scan(modules: dict[str, Module]) -> tuple[list[Edge], list[Finding], list[Finding]]:
    """Import edges, private imports and private attribute uses of every module."""
    lazy = {name: lazy_map(m, modules) for name, m in modules.items() if m.is_package}
    scans = {name: ModuleScan(m, modules, lazy) for name, m in modules.items()}
    edges = [edge for one in scans.values() for edge in one.edges]
    private = sorted({f for one in scans.values() for f in one.private})
    defined = {name: defined_private_names(m.tree) for name, m in modules.items()}
    attributes = []
    for name, module in modules.items():
        for line, attr in private_attribute_uses(module, scans[name].bound):
            owners = sorted(other for other, names in defined.items() if attr in names)
            if owners and name not in owners:
                attributes.append(Finding(name, line, ", ".join(owners), attr, "private attribute"))
    return edges, private, attributes
