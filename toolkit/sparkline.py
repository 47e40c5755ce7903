"""Text sparklines: a series of numbers as one line of bars, for terminals.

>>> sparkline([8.0, 4.0, 2.0, 1.0])
'█▆▃▁'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["sparkline"]

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 40) -> str:
    """``values`` as a line of at most ``width`` bars, low to high, on a log scale when every
    value is positive (a loss that falls steeply, then slowly, stays readable). Longer
    series are averaged over equal stretches.

    >>> sparkline([8.0, 4.0, 2.0, 1.0])
    '█▆▃▁'
    >>> sparkline([1.0, -1.0, 0.0]), sparkline([5.0] * 100, width=10)
    ('█▁▅', '▁▁▁▁▁▁▁▁▁▁')
    >>> sparkline([1e308, -1e308, 0.0])  # the span of finite values may exceed the float range
    '█▁▅'
    """
    points = [math.log(v) for v in values] if all(v > 0 for v in values) else list(values)
    if len(points) > width:
        points = [
            math.fsum(p / len(stretch) for p in stretch)
            for stretch in (
                points[i * len(points) // width : (i + 1) * len(points) // width]
                for i in range(width)
            )
        ]
    # Halved, so that high - low stays finite whatever the finite values are.
    low, high = min(points, default=0.0) / 2, max(points, default=0.0) / 2
    span = (high - low) or 1.0
    return "".join(_BARS[round((p / 2 - low) / span * (len(_BARS) - 1))] for p in points)
