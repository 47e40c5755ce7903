"""Training: plain SGD, and a loop that refuses to go on from a non-finite loss.

>>> from micrograd.losses import sum_of_squares
>>> from micrograd.nn import MLP
>>> model = MLP(1, [1], activation="linear", seed=0)
>>> history = train(model, lambda: sum_of_squares([model([1.0])], [2.0]), steps=30, lr=0.1)
>>> history[-1] < history[0] / 100
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from micrograd.engine import Value
from micrograd.nn import Module

__all__ = ["NonFiniteLossError", "sgd_step", "train"]

LearningRate = float | Callable[[int], float]


class NonFiniteLossError(ArithmeticError):
    """The loss became ``inf`` or ``nan``; training stopped before touching the parameters."""


def sgd_step(parameters: Sequence[Value], lr: float) -> None:
    """One step of plain gradient descent: ``p.data -= lr * p.grad`` for every parameter."""
    for parameter in parameters:
        parameter.data -= lr * parameter.grad


def train(
    model: Module,
    loss_fn: Callable[[], Value],
    *,
    steps: int,
    lr: LearningRate,
    on_step: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Run ``steps`` steps of forward, zero_grad, backward and SGD; return each step's loss.

    ``loss_fn()`` builds the loss from the model's current parameters. ``lr`` is a number or
    a function of the step index. ``on_step(step, loss)`` is called after each update. A
    non-finite loss raises ``NonFiniteLossError`` naming the step, with the parameters left
    as they were before that step.
    """
    parameters = model.parameters()
    history: list[float] = []
    for step in range(steps):
        loss = loss_fn()
        if not math.isfinite(loss.data):
            raise NonFiniteLossError(
                f"loss became {loss.data} at step {step}; stopped before updating the parameters"
            )
        model.zero_grad()
        loss.backward()
        sgd_step(parameters, lr(step) if callable(lr) else lr)
        history.append(loss.data)
        if on_step is not None:
            on_step(step, loss.data)
    return history
