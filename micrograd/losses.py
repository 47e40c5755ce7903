"""Loss functions: each takes predictions and targets and returns one ``Value``.

>>> from micrograd import Value
>>> sum_of_squares([Value(1.0), Value(3.0)], [0.0, 1.0]).data
5.0
>>> max_margin([Value(2.0), Value(0.5)], [1.0, -1.0]).data  # (0 + 1.5) / 2
0.75

The losses a model file can name (``LOSSES``) are also found by that name, with their
settings: ``criterion("max_margin_l2", model.parameters(), alpha=1e-4)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from micrograd.engine import Number, Value, as_float, scope

__all__ = [
    "LOSSES",
    "criterion",
    "dataset_loss",
    "l2_penalty",
    "max_margin",
    "max_margin_l2",
    "sum_of_squares",
]

Criterion = Callable[[list[Value], Sequence[Number]], Value]


def dataset_loss(
    model: Callable[[list[Value]], Value],
    xs: Sequence[Sequence[Number]],
    ys: Sequence[Number],
    criterion: Criterion | None = None,
) -> Value:
    """``criterion(predictions, ys)`` (by default ``sum_of_squares``) of ``model`` over a data
    set, built the way every loss of this project is: each input a leaf labelled ``x.ROW.I``
    in scope ``data``, the predictions in the model's own scopes, the loss in scope ``loss``.

    >>> from micrograd.nn import MLP
    >>> model = MLP(2, [1], activation="linear", seed=0)
    >>> loss = dataset_loss(model, [[1.0, 2.0], [0.0, 1.0]], [1.0, -1.0])
    >>> loss.scope, loss._op
    ('loss', 'add')
    """
    with scope("data"):
        inputs = [
            [Value(x, label=f"x.{row}.{i}") for i, x in enumerate(xs[row])]
            for row in range(len(xs))
        ]
    predictions = [model(x) for x in inputs]
    with scope("loss"):
        return (criterion or sum_of_squares)(predictions, ys)


def sum_of_squares(predictions: Sequence[Value], targets: Sequence[Value | Number]) -> Value:
    """``sum((prediction - target) ** 2)`` over the pairs, as in the classic lecture."""
    _check_pairs(predictions, targets)
    return sum((prediction - target) ** 2 for prediction, target in zip(predictions, targets))


def max_margin(scores: Sequence[Value], targets: Sequence[Value | Number]) -> Value:
    """The hinge (max-margin, SVM) loss ``mean(relu(1 - target * score))`` for targets +-1.

    A point scores no loss once it is on the right side of the boundary by a margin of 1;
    inside the margin or on the wrong side it pays linearly.

    >>> from micrograd import Value
    >>> score = Value(0.25)
    >>> loss = max_margin([score, Value(-3.0)], [1.0, -1.0])
    >>> loss.data                 # (relu(0.75) + relu(-2.0)) / 2
    0.375
    >>> loss.backward(); score.grad
    -0.5
    """
    _check_pairs(scores, targets)
    if not scores:
        raise ValueError("max_margin needs at least one score")
    hinges = [(1 - target * score).relu() for score, target in zip(scores, targets)]
    return sum(hinges) / len(hinges)


def l2_penalty(parameters: Sequence[Value], alpha: Number) -> Value:
    """Weight decay as a loss term: ``alpha * sum(p * p)`` over ``parameters``.

    >>> from micrograd import Value
    >>> w = Value(3.0)
    >>> penalty = l2_penalty([w, Value(-1.0)], 1e-4)
    >>> round(penalty.data, 12)
    0.001
    >>> penalty.backward(); round(w.grad, 12)   # 2 * alpha * w
    0.0006
    """
    weight = as_float(alpha, "l2_penalty alpha")
    if not parameters:
        raise ValueError("l2_penalty needs at least one parameter")
    return weight * sum(parameter * parameter for parameter in parameters)


def max_margin_l2(parameters: Sequence[Value], alpha: Number) -> Criterion:
    """The criterion ``max_margin(scores, targets) + l2_penalty(parameters, alpha)``: the
    max-margin loss plus weight decay, as the two-moons classifier is trained.

    >>> from micrograd import Value
    >>> w = Value(2.0)
    >>> loss = max_margin_l2([w], alpha=0.25)([w * 0.25], [1.0])
    >>> loss.data                 # relu(1 - 0.5) + 0.25 * 2 * 2
    1.5
    """

    def max_margin_l2(scores: list[Value], targets: Sequence[Number]) -> Value:
        return max_margin(scores, targets) + l2_penalty(parameters, alpha)

    return max_margin_l2


LOSSES = {
    "sum_of_squares": "sum((prediction - y) ** 2)",
    "max_margin": "mean(relu(1 - y * score))",
    "max_margin_l2": "mean(relu(1 - y * score)) + alpha * sum(p * p)",
}
"""The project's losses by the name a model file records, each with its formula (which
a file may record instead of the name)."""


def criterion(name: str, parameters: Sequence[Value] = (), **settings: Number) -> Criterion:
    """The criterion (for ``dataset_loss``) of the loss called ``name`` in ``LOSSES``, with
    its settings: ``max_margin_l2`` needs the model's ``parameters`` and ``alpha``.

    >>> from micrograd import Value
    >>> criterion("sum_of_squares")([Value(1.0)], [3.0]).data
    4.0
    >>> criterion("cross_entropy")
    Traceback (most recent call last):
    ...
    ValueError: unknown loss 'cross_entropy': choose sum_of_squares, max_margin or max_margin_l2
    """
    expected = {"max_margin_l2": {"alpha"}}.get(name, set())
    if name not in LOSSES:
        known = ", ".join(LOSSES)
        known = known[: known.rindex(", ")] + " or " + known[known.rindex(", ") + 2 :]
        raise ValueError(f"unknown loss {name!r}: choose {known}")
    if set(settings) != expected:
        wanted = ", ".join(sorted(expected)) or "no settings"
        got = ", ".join(sorted(settings)) or "none"
        raise ValueError(f"the loss {name} takes {wanted}, got {got}")
    if name == "max_margin_l2":
        return max_margin_l2(parameters, settings["alpha"])
    return sum_of_squares if name == "sum_of_squares" else max_margin


def _check_pairs(predictions: Sequence[Value], targets: Sequence[Value | Number]) -> None:
    if len(predictions) != len(targets):
        raise ValueError(f"got {len(predictions)} predictions for {len(targets)} targets")
