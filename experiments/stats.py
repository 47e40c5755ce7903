"""Summary statistics of a set of curves: quartiles across runs, step by step, and how
each run ended (``outcome``).

Quartiles interpolate linearly between order statistics (``statistics.quantiles`` with
``method="inclusive"``, numpy's default), so the middle one is the median.

>>> quartiles([4.0, 1.0, 3.0, 2.0])
(1.75, 2.5, 3.25)
>>> per_step_quartiles([[1.0, 0.5], [3.0, 0.1], [2.0, 0.3]])
[(1.5, 2.0, 2.5), (0.2, 0.3, 0.4)]
>>> [outcome([8.0, loss], converged_below=0.05) for loss in (0.01, 4.0, 8.0, float("nan"))]
['converged', 'improving', 'stalled', 'diverged']
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = [
    "OUTCOMES",
    "OUTCOME_COLORS",
    "Quartiles",
    "outcome",
    "outcome_legend",
    "outcome_text",
    "per_step_quartiles",
    "quartiles",
]

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


OUTCOMES = ("converged", "improving", "stalled", "diverged")
"""How a training run can end, in the order summaries count them."""

OUTCOME_COLORS = {"converged": "C0", "improving": "C2", "stalled": "C1", "diverged": "C3"}
"""One colour per outcome, the same in every figure."""

STALL_WINDOW = 10
"""A run that has not converged is ``"improving"`` while its loss fell by more than
``STALL_FALL`` of its value over its last ``STALL_WINDOW`` steps, ``"stalled"`` otherwise.
On the learning-rate sweep the slow runs fell by 21% to 57% over their last 10 steps and the
stalled ones by less than 0.01%: the line is far from both."""
STALL_FALL = 0.01


def outcome(losses: Sequence[float], *, converged_below: float) -> str:
    """How a run ended, from its losses step by step (the last one the loss that stopped it,
    if training stopped on a non-finite loss): ``"diverged"`` if the last loss is not
    finite, ``"converged"`` if it is below ``converged_below``, ``"improving"`` if not but
    it fell by more than ``STALL_FALL`` over the last ``STALL_WINDOW`` steps (still on its
    way: more steps may get there), and ``"stalled"`` otherwise.

    >>> outcome([1.0, 0.05], converged_below=0.05), outcome([1.0, 0.99], converged_below=0.05)
    ('improving', 'stalled')
    >>> outcome([0.5, float("inf")], converged_below=0.05)
    'diverged'
    """
    final = losses[-1]
    if not math.isfinite(final):
        return "diverged"
    if final < converged_below:
        return "converged"
    earlier = losses[max(len(losses) - 1 - STALL_WINDOW, 0)]
    return "improving" if final < (1 - STALL_FALL) * earlier else "stalled"


def outcome_legend(name: str, converged_below: float) -> str:
    """What an outcome means, for a figure's legend.

    >>> outcome_legend("improving", 0.05)
    'improving (not converged; fell over 1% in the last 10 steps)'
    """
    fall, window = f"{STALL_FALL:.0%}", f"{STALL_WINDOW} steps"
    return {
        "converged": f"converged (final loss below {converged_below:g})",
        "improving": f"improving (not converged; fell over {fall} in the last {window})",
        "stalled": f"stalled (not converged; fell under {fall} in the last {window})",
        "diverged": "diverged (non-finite loss)",
    }[name]


def outcome_text(counts: dict[str, int]) -> str:
    """``6 converged, 4 stalled``: the outcomes that occurred, in ``OUTCOMES`` order.

    >>> outcome_text({"converged": 6, "improving": 0, "stalled": 4, "diverged": 0})
    '6 converged, 4 stalled'
    """
    return ", ".join(f"{counts[name]} {name}" for name in OUTCOMES if counts[name])
