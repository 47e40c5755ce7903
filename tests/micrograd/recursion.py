"""Calling code from deep recursion, a few frames short of Python's recursion limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def near_recursion_limit(work: Callable[[], T], headroom: int) -> T:
    """``work()``, called with only about ``headroom`` levels of recursion left."""

    def depth_left(depth: int = 0) -> int:
        try:
            return depth_left(depth + 1)
        except RecursionError:
            return depth

    def descend(levels: int) -> T:
        return descend(levels - 1) if levels else work()

    return descend(depth_left() - headroom)
