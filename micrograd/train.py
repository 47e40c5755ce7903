"""Training: plain SGD, and a loop that refuses to go on from a non-finite loss.

With ``compiled=True`` the loop traces the loss graph once and replays it as a tape
(``micrograd.tape``) at every step, with results bit-identical to the eager loop.

>>> from micrograd.losses import sum_of_squares
>>> from micrograd.nn import MLP
>>> model = MLP(1, [1], activation="linear", seed=0)
>>> history = train(model, lambda: sum_of_squares([model([1.0])], [2.0]), steps=30, lr=0.1)
>>> history[-1] < history[0] / 100
True
>>> twin = MLP(1, [1], activation="linear", seed=0)
>>> loss_fn = lambda: sum_of_squares([twin([1.0])], [2.0])
>>> train(twin, loss_fn, steps=30, lr=0.1, compiled=True) == history
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from micrograd.engine import Value
from micrograd.nn import Module
from micrograd.tape import check_backend, compile_graph

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
    compiled: bool = False,
    backend: str = "python",
) -> list[float]:
    """Run ``steps`` steps of forward, zero_grad, backward and SGD; return each step's loss.

    ``loss_fn()`` builds the loss from the model's current parameters. ``lr`` is a number or
    a function of the step index. ``on_step(step, loss)`` is called after each update. A
    non-finite loss raises ``NonFiniteLossError`` naming the step, with the parameters left
    as they were before that step.

    ``compiled=True`` calls ``loss_fn()`` once, traces its graph and replays that graph at
    every step: the same losses, gradients and parameters bit for bit, several times faster.
    Use it only when the graph is static, that is when ``loss_fn`` builds the same operations
    over the same data whatever the parameters are (true of an MLP over a fixed data set, not
    of a loss that samples a new minibatch at each call).

    ``backend`` says what the compiled replay runs on: ``"python"`` (bit-identical to eager)
    or ``"numpy"`` (array operations: faster on wide graphs such as an MLP over many points,
    slower on chains, equal to eager up to rounding, see ``micrograd.array_tape``). The eager
    loop ignores it.
    """
    check_backend(backend)
    parameters = model.parameters()
    if compiled:
        forward, backward = _replayed(loss_fn, parameters, backend)
    else:
        forward, backward = _eager(loss_fn, model)
    history: list[float] = []
    for step in range(steps):
        loss = forward()
        if not math.isfinite(loss):
            raise NonFiniteLossError(
                f"loss became {loss} at step {step}; stopped before updating the parameters"
            )
        backward()
        sgd_step(parameters, lr(step) if callable(lr) else lr)
        history.append(loss)
        if on_step is not None:
            on_step(step, loss)
    return history


# A training loop's two halves: forward returns the loss; backward sets every parameter's
# .grad to d loss / d parameter, as zero_grad() then loss.backward() do.
Halves = tuple[Callable[[], float], Callable[[], None]]


def _eager(loss_fn: Callable[[], Value], model: Module) -> Halves:
    """Forward builds a fresh graph; backward sets every parameter's gradient from it."""
    graph: Value | None = None

    def forward() -> float:
        nonlocal graph
        graph = loss_fn()
        return graph.data

    def backward() -> None:
        model.zero_grad()
        graph.backward()

    return forward, backward


def _replayed(loss_fn: Callable[[], Value], parameters: Sequence[Value], backend: str) -> Halves:
    """Forward replays the graph traced at the first step; backward sets the gradients."""
    tape = None

    def forward() -> float:
        nonlocal tape
        if tape is None:
            tape = compile_graph(loss_fn(), parameters, backend)
        return tape.forward([parameter.data for parameter in parameters])

    def backward() -> None:
        for parameter, grad in zip(parameters, tape.backward()):
            parameter.grad = grad

    return forward, backward
