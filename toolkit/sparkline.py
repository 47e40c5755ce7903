"""Text sparklines: a series of numbers as one line of bars, for terminals.

>>> sparkline([8.0, 4.0, 2.0, 1.0])
'█▆▃▁'
"""

from __future__ import annotations

import math
import sys
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
    >>> sparkline([10**400, 1]), sparkline([-(10**400), 0, 1])  # whole numbers of any size
    ('█▁', '▁██')
    """
    if all(v > 0 for v in values):
        points = [math.log(v) for v in values]  # exact for a whole number of any size
    else:
        points = [_float(v) for v in values]
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


def _float(value: float) -> float:
    """``value`` as a float; a whole number beyond the float range as the largest float of
    its sign, where its bar is drawn.

    >>> _float(3), _float(-(10**400))
    (3.0, -1.7976931348623157e+308)
    """
    try:
        return float(value)
    except OverflowError:
        return sys.float_info.max if value > 0 else -sys.float_info.max
