"""Loss functions: each takes predictions and targets and returns one ``Value``.

>>> from micrograd import Value
>>> sum_of_squares([Value(1.0), Value(3.0)], [0.0, 1.0]).data
5.0
"""

from __future__ import annotations

from collections.abc import Sequence

from micrograd.engine import Number, Value

__all__ = ["sum_of_squares"]


def sum_of_squares(predictions: Sequence[Value], targets: Sequence[Value | Number]) -> Value:
    """``sum((prediction - target) ** 2)`` over the pairs, as in the classic lecture."""
    _check_pairs(predictions, targets)
    return sum((prediction - target) ** 2 for prediction, target in zip(predictions, targets))


def _check_pairs(predictions: Sequence[Value], targets: Sequence[Value | Number]) -> None:
    if len(predictions) != len(targets):
        raise ValueError(f"got {len(predictions)} predictions for {len(targets)} targets")
