"""Summary statistics of a set of curves: quartiles across runs, step by step, and how
each run ended (``outcome``).

Quartiles interpolate linearly between order statistics (``statistics.quantiles`` with
``method="inclusive"``, numpy's default), so the middle one is the median.

>>> quartiles([4.0, 1.0, 3.0, 2.0])
(1.75, 2.5, 3.25)
>>> per_step_quartiles([[1.0, 0.5], [3.0, 0.1], [2.0, 0.3]])
[(1.5, 2.0, 2.5), (0.2, 0.3, 0.4)]
>>> [outcome(loss, converged_below=0.05) for loss in (0.01, 4.0, float("nan"))]
['converged', 'stalled', 'diverged']
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["OUTCOMES", "Quartiles", "outcome", "per_step_quartiles", "quartiles"]

Quartiles = tuple[float, float, float]


def quartiles(values: Sequence[float]) -> Quartiles:
    """(first quartile, median, third quartile) of ``values``; one value is all three."""
    if not values:
        raise ValueError("quartiles of no values")
    if len(values) == 1:
        return (values[0], values[0], values[0])
    first, median, third = statistics.quantiles(values, n=4, method="inclusive")
    return (first, median, third)


def per_step_quartiles(curves: Sequence[Sequence[float]]) -> list[Quartiles]:
    """The quartiles across ``curves`` at every step (all curves have the same length)."""
    return [quartiles(at_step) for at_step in zip(*curves)]


OUTCOMES = ("converged", "stalled", "diverged")
"""How a training run can end, in the order summaries count them."""


def outcome(final_loss: float, *, converged_below: float) -> str:
    """How a run ended, from its last loss: ``"diverged"`` if that loss is not finite (the
    loss that stopped training), ``"converged"`` if it is below ``converged_below``, and
    ``"stalled"`` otherwise (finite, but never got there).

    >>> outcome(0.05, converged_below=0.05), outcome(float("inf"), converged_below=0.05)
    ('stalled', 'diverged')
    """
    if not math.isfinite(final_loss):
        return "diverged"
    return "converged" if final_loss < converged_below else "stalled"
