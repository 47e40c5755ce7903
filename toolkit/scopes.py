"""The scope hierarchy of a graph: which module built each node, at every level.

A node's ``scope`` attribute is the dotted name of the ``micrograd.scope`` it was made in
(``layers.1.neurons.3``; ``""`` outside any). Its scope *at level k* is the first ``k``
parts of that name, so the hierarchy of an MLP's loss is ``layers`` (level 1), ``layers.1``
(level 2), ``layers.1.neurons.3`` (level 4), with ``loss`` and ``data`` beside ``layers``.
Analysis, drawings and the viewer group nodes with these functions.

>>> ancestors("layers.1.neurons.3")
['layers', 'layers.1', 'layers.1.neurons', 'layers.1.neurons.3']
>>> at_level("layers.1.neurons.3", 2), at_level("loss", 2), at_level("", 2)
('layers.1', 'loss', '')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping

__all__ = [
    "ancestors",
    "at_level",
    "depth",
    "is_inside",
    "nodes_by_scope",
    "scope_sizes",
    "scope_sort_key",
]


def depth(scope: str) -> int:
    """How many dotted parts ``scope`` has: 0 for ``""`` (outside every scope).

    >>> depth(""), depth("loss"), depth("layers.0.neurons.2")
    (0, 1, 4)
    """
    return scope.count(".") + 1 if scope else 0


def at_level(scope: str, level: int) -> str:
    """``scope`` cut to its first ``level`` parts (the whole of it if it has fewer).

    >>> at_level("layers.0.neurons.2", 1), at_level("layers.0.neurons.2", 9)
    ('layers', 'layers.0.neurons.2')
    """
    if level <= 0:
        return ""
    parts = scope.split(".")
    return scope if len(parts) <= level else ".".join(parts[:level])


def ancestors(scope: str) -> list[str]:
    """Every scope that holds ``scope``, from the outermost to ``scope`` itself.

    >>> ancestors("loss"), ancestors("")
    (['loss'], [])
    """
    if not scope:
        return []
    parts = scope.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def is_inside(scope: str, outer: str) -> bool:
    """Whether ``scope`` is ``outer`` or nested in it (every scope is inside ``""``).

    >>> is_inside("layers.1.neurons.3", "layers.1"), is_inside("layers.10", "layers.1")
    (True, False)
    """
    return not outer or scope == outer or scope.startswith(outer + ".")


def nodes_by_scope(scopes: Mapping[Hashable, str]) -> dict[str, list[Hashable]]:
    """The nodes of each scope at every level of the hierarchy (a node of
    ``layers.1.neurons.3`` counts in ``layers``, ``layers.1``, ... and in itself), in the
    order of ``scopes``; ``""`` holds the nodes outside every scope.

    >>> nodes_by_scope({0: "a.b", 1: "a", 2: ""})
    {'a': [0, 1], 'a.b': [0], '': [2]}
    """
    groups: dict[str, list[Hashable]] = {}
    for node, scope in scopes.items():
        if not scope:
            groups.setdefault("", []).append(node)
        for outer in ancestors(scope):
            groups.setdefault(outer, []).append(node)
    return groups


def scope_sizes(scopes: Iterable[str]) -> Counter[str]:
    """How many nodes each scope holds at every level of the hierarchy (see
    ``nodes_by_scope``), from the nodes' own scopes.

    >>> sorted(scope_sizes(["a.b", "a.b", "a", ""]).items())
    [('', 1), ('a', 3), ('a.b', 2)]
    """
    own = Counter(scopes)
    sizes: Counter[str] = Counter()
    for scope, n in own.items():
        if not scope:
            sizes[""] += n
        for outer in ancestors(scope):
            sizes[outer] += n
    return sizes


def scope_sort_key(scope: str) -> tuple:
    """Hierarchy order: ``""`` first, a scope before those inside it, numbers as numbers.

    >>> sorted(["loss", "layers.10", "layers.2", "", "layers"], key=scope_sort_key)
    ['', 'layers', 'layers.2', 'layers.10', 'loss']
    """
    if not scope:
        return ()
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in scope.split(".")
    )
