"""Measure the package layout: import cycles, private imports, long modules and total lines.

``python -m forecast._devtools.layout [ROOT] [--max-lines 450]`` (ROOT: the package directory,
by default the ``forecast`` package) parses every module, imports none, prints a short report
and ends with one line in a fixed format (a hook reads it)::

    layout: 2 cycles, 12 private imports, 4 modules over 450 lines, 14,789 lines

Exit status 0 when there are no cycles, no private imports and no long modules, 1 otherwise.

A cycle is a group of modules that import each other (a strongly connected component of the
import graph, or a module importing itself), shown with chains ``a -> b -> a`` that cover its
edges, each import with its file and line. How modules, imports (inside functions included)
and private imports are counted is in :mod:`forecast._devtools.imports`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from forecast._devtools.imports import Edge, Finding, Module, read_modules, scan

#: a module longer than this many lines is reported
MAX_LINES = 450


@dataclass(frozen=True)
class Cycle:
    """A group of modules that import each other, with chains covering every edge."""

    modules: tuple[str, ...]
    chains: tuple[tuple[str, ...], ...]


@dataclass
class Layout:
    """What :func:`analyse` measured over one package."""

    root: Path
    modules: dict[str, Module]
    edges: list[Edge]
    cycles: list[Cycle]
    private_imports: list[Finding]
    private_attributes: list[Finding]
    max_lines: int = MAX_LINES
    long_modules: list[str] = field(init=False)

    def __post_init__(self) -> None:
        long = [m for m in self.modules.values() if m.lines > self.max_lines]
        self.long_modules = [m.name for m in sorted(long, key=lambda m: (-m.lines, m.name))]

    @property
    def total_lines(self) -> int:
        """All lines of all modules, docstrings and blank lines included."""
        return sum(m.lines for m in self.modules.values())

    @property
    def clean(self) -> bool:
        """No cycle, no private import and no long module."""
        return not (self.cycles or self.private_imports or self.long_modules)

    def summary(self) -> str:
        """The one-line summary; its format is fixed (a hook reads it)."""
        return (
            f"layout: {len(self.cycles)} cycles, {len(self.private_imports)} private imports, "
            f"{len(self.long_modules)} modules over {self.max_lines} lines, "
            f"{self.total_lines:,} lines"
        )

    def path(self, module: str) -> Path:
        """``forecast/cli.py`` for ``forecast.cli``."""
        return self.modules[module].path.relative_to(self.root.parent)

    def where(self, module: str, line: int) -> str:
        """``forecast/cli.py:12`` for a module and line."""
        return f"{self.path(module)}:{line}"

    def report(self) -> str:
        """The full report, ending with :meth:`summary`."""
        out = [f"{self.root}: {len(self.modules)} modules, {self.total_lines:,} lines", ""]
        first = {}
        for edge in sorted(self.edges, key=lambda e: e.line, reverse=True):
            first[edge.source, edge.target] = edge
        out.append(f"import cycles ({len(self.cycles)}), imports inside functions included:")
        for cycle in self.cycles:
            out.append("  " + ", ".join(cycle.modules))
            for chain in cycle.chains:
                hops = [first[a, b] for a, b in pairwise(chain)]
                out.append("    " + " -> ".join(chain))
                out.extend(f"      {self.where(e.source, e.line)} ({e.where})" for e in hops)
        out.append(f"private imports across modules ({len(self.private_imports)}):")
        out.extend(
            f"  {self.where(f.module, f.line)}  {f.target}: {f.name} ({f.kind})"
            for f in self.private_imports
        )
        out.append(f"modules over {self.max_lines} lines ({len(self.long_modules)}):")
        out.extend(
            f"  {self.modules[name].lines:5d}  {self.path(name)}"
            for name in self.long_modules
        )
        out.append(
            f"private attributes of other modules' objects ({len(self.private_attributes)}, "
            "a heuristic, not in the status):"
        )
        out.extend(
            f"  {self.where(f.module, f.line)}  {f.name} (defined in {f.target})"
            for f in self.private_attributes
        )
        out += ["", self.summary()]
        return "\n".join(out)


def _shortest_paths(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Breadth-first from ``start``: {module reached by one or more imports: the one before}."""
    before: dict[str, str] = {}
    frontier = [start]
    while frontier:
        reached = []
        for v in frontier:
            for w in sorted(graph[v] - before.keys()):
                before[w] = v
                reached.append(w)
        frontier = reached
    return before


def import_cycles(graph: dict[str, set[str]]) -> list[Cycle]:
    """Groups of modules that import each other, each with chains covering its edges.

    The groups are the strongly connected components: ``a`` and ``b`` share one when each
    reaches the other. For every edge ``a -> b`` in a group, the chain is that edge and the
    shortest way back from ``b`` to ``a``.
    """
    paths = {v: _shortest_paths(graph, v) for v in sorted(graph)}
    groups = {tuple(sorted(w for w in paths[v] if v in paths[w])) for v in graph if v in paths[v]}
    cycles = []
    for group in sorted(groups):
        chains = set()
        for a in group:
            for b in sorted(graph[a] & set(group)):
                back = [a]  # a, the module before a on the way from b, ..., b
                while back[-1] != b:
                    back.append(paths[b][back[-1]])
                chain = [a, *reversed(back[1:])]
                first = chain.index(min(chain))
                chain = chain[first:] + chain[:first]
                chains.add((*chain, chain[0]))
        cycles.append(Cycle(group, tuple(sorted(chains, key=lambda c: (len(c), c)))))
    return cycles


def analyse(root: Path | str, max_lines: int = MAX_LINES) -> Layout:
    """Measure the package whose directory (the one holding ``__init__.py``) is ``root``."""
    root = Path(root).resolve()
    modules = read_modules(root)
    edges, private_imports, private_attributes = scan(modules)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for edge in edges:
        graph[edge.source].add(edge.target)
    cycles = import_cycles(graph)
    return Layout(root, modules, edges, cycles, private_imports, private_attributes, max_lines)


def main(argv: list[str] | None = None) -> int:
    """Print the report for a package directory; 0 when clean, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m forecast._devtools.layout",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the package directory (default: the forecast package)")
    parser.add_argument("--max-lines", type=int, default=MAX_LINES,
                        help=f"report modules longer than this (default: {MAX_LINES})")
    args = parser.parse_args(argv)
    if not (args.root / "__init__.py").is_file():
        parser.error(f"root={str(args.root)!r} is not a package directory: it has no "
                     "__init__.py; pass the directory that holds the package's __init__.py")
    layout = analyse(args.root, args.max_lines)
    print(layout.report())
    return 0 if layout.clean else 1


if __name__ == "__main__":
    sys.exit(main())
