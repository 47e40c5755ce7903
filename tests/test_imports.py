"""The import graph of the project's packages: dependencies point one way.

Each module's imports are read with ``ast`` (every ``import`` statement anywhere in the file,
inside functions and ``if TYPE_CHECKING:`` blocks too), never by importing it. Packages
depend in one direction only (experiments -> toolkit -> micrograd), no modules import each
other in a circle, and the engine uses the standard library alone (NumPy in its NumPy tape).
"""

from __future__ import annotations

import ast
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("micrograd", "toolkit", "experiments")
"""The project's packages, lowest layer first: each may import only those before it."""
NUMPY_MODULES = {"micrograd.array_tape"}
"""The engine's modules allowed to import NumPy."""


def module_files() -> dict[str, Path]:
    """Every module of the project's packages by dotted name (``micrograd.tape``; a
    package's ``__init__.py`` under the package's own name)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def imported_names(module: str, path: Path) -> set[str]:
    """The dotted names that ``module`` (read from ``path``) imports, relative imports
    resolved: for ``from a import b``, ``a.b`` when that is one of ``MODULES``, else ``a``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")
                keep = len(parent) - node.level + (1 if is_package else 0)
                base = ".".join([*parent[:keep], *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                names.add(submodule if submodule in MODULES else base)
    return names


def project_module(name: str) -> str | None:
    """The project module that importing ``name`` names (its longest dotted prefix among
    ``MODULES``), or None for a module from outside the project."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def import_graph() -> dict[str, set[str]]:
    """Each project module and the project modules it imports (itself excluded)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {project_module(name) for name in imported_names(module, path)}
        graph[module] = {target for target in targets if target and target != module}
    return graph


GRAPH = import_graph()


def test_the_modules_and_their_imports_are_found():
    assert {"micrograd", "micrograd.tape", "micrograd.layout", "toolkit.graph"} <= set(GRAPH)
    assert GRAPH["micrograd"] >= {"micrograd.engine", "micrograd.tape"}
    # An import inside a function counts: compile_graph imports NumPy's tape when asked.
    assert GRAPH["micrograd.tape"] >= {"micrograd.layout", "micrograd.array_tape"}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_modules_of_a_package_import_each_other_in_a_circle(package):
    inside = {
        module: {target for target in targets if target.split(".")[0] == package}
        for module, targets in GRAPH.items()
        if module.split(".")[0] == package
    }
    try:
        tuple(TopologicalSorter(inside).static_order())
    except CycleError as error:
        cycle = error.args[1]
        pytest.fail(f"{package} modules import each other: {' -> '.join(reversed(cycle))}")


def test_the_whole_project_has_no_import_cycle():
    try:
        tuple(TopologicalSorter(GRAPH).static_order())
    except CycleError as error:
        pytest.fail(f"an import cycle: {' -> '.join(reversed(error.args[1]))}")


@pytest.mark.parametrize("layer", range(len(PACKAGES)))
def test_a_package_imports_only_the_packages_below_it(layer):
    allowed = set(PACKAGES[: layer + 1])
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.split(".")[0] == PACKAGES[layer]
        for target in targets
        if target.split(".")[0] not in allowed
    )
    assert wrong == []


def test_the_engine_needs_only_the_standard_library_and_numpy_in_its_numpy_tape():
    outside = sorted(
        f"{module} imports {name}"
        for module, path in MODULES.items()
        if module.split(".")[0] == "micrograd"
        for name in imported_names(module, path)
        if project_module(name) is None
        and name.split(".")[0] not in sys.stdlib_module_names
        and not (name.split(".")[0] == "numpy" and module in NUMPY_MODULES)
    )
    assert outside == []
