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

Mini-batches: ``batch_order`` deals the rows of a data set into batches, a fresh shuffle of
the rows each epoch; ``train(..., inputs=..., feed=...)`` sets the leaves ``inputs`` to the
numbers of the next batch before each step, so that one graph, traced once, serves every
batch (see ``toolkit.training.fit``).

>>> from micrograd import Value
>>> x, y = Value(0.0), Value(0.0)                 # one row per batch: input and target
>>> rows = [[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]   # y = 2 x
>>> model = MLP(1, [1], activation="linear", seed=0)
>>> batches = batch_order(len(rows), 1, seed=0)
>>> feed = lambda step: rows[next(batches)[0]]
>>> losses = train(model, lambda: sum_of_squares([model([x])], [y]), steps=300, lr=0.05,
...                inputs=[x, y], feed=feed, compiled=True)
>>> round(model.layers[0].neurons[0].w[0].data, 2)
1.99
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence

from micrograd.engine import Value
from micrograd.nn import Module
from micrograd.tape import check_backend, compile_graph

__all__ = [
    "BYTES_PER_PARAMETER",
    "EAGER_BYTES_PER_NODE",
    "NonFiniteLossError",
    "batch_order",
    "sgd_step",
    "train",
]

LearningRate = float | Callable[[int], float]

EAGER_BYTES_PER_NODE = 220
"""Peak memory of an eager training step, per node of its graph (the graph built, sorted
and run backward). Measured as the growth of the peak resident memory (``ru_maxrss``) of
a process over two eager steps of ``MLP(2, [4, 4, 1])`` on 10,000 and 100,000 rows and
``MLP(2, [16, 16, 1])`` on 200 rows, each with a sum-of-squares loss: 179 to 205 bytes a
node; rounded up. The compiled tapes' figures are ``micrograd.tape.REPLAY_BYTES_PER_NODE``."""

BYTES_PER_PARAMETER = 340
"""Memory a model takes per parameter (a ``Parameter`` with its name as label, in its
neuron's list): the resident memory ``MLP(2, [1000, 1000, 1])`` adds, 337 bytes a
parameter for its 1,005,001, rounded up."""


class NonFiniteLossError(ArithmeticError):
    """The loss became ``inf`` or ``nan``; training stopped before touching the parameters."""


def sgd_step(parameters: Sequence[Value], lr: float) -> None:
    """One step of plain gradient descent: ``p.data -= lr * p.grad`` for every parameter."""
    for parameter in parameters:
        parameter.data -= lr * parameter.grad


def batch_order(n_rows: int, batch_size: int, seed: int) -> Iterator[list[int]]:
    """Endless mini-batches of ``batch_size`` row indices out of ``range(n_rows)``.

    Each epoch shuffles the rows afresh (``random.Random(seed).shuffle``, one generator for
    the whole run) and cuts them into ``n_rows // batch_size`` batches; the ``n_rows %
    batch_size`` rows left over at the end of an epoch's order are skipped that epoch (they
    land elsewhere in the next one), so that every batch has the same size and one traced
    graph fits them all. The same arguments give the same batches.

    >>> batches = batch_order(5, 2, seed=0)
    >>> [next(batches) for _ in range(4)]
    [[2, 1], [0, 4], [2, 0], [1, 4]]
    """
    if not 1 <= batch_size <= n_rows:
        raise ValueError(f"batch_size must be 1 to {n_rows} (the rows), got {batch_size}")
    rng = random.Random(seed)
    rows = list(range(n_rows))
    while True:
        rng.shuffle(rows)
        for start in range(0, n_rows - batch_size + 1, batch_size):
            yield rows[start : start + batch_size]


def train(
    model: Module,
    loss_fn: Callable[[], Value],
    *,
    steps: int,
    lr: LearningRate,
    on_step: Callable[[int, float], None] | None = None,
    compiled: bool = False,
    backend: str = "python",
    inputs: Sequence[Value] = (),
    feed: Callable[[int], Sequence[float]] | None = None,
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

    ``inputs`` and ``feed`` train on mini-batches: before step ``k``, the leaves ``inputs``
    (the graph's data: a batch's inputs and targets) take the numbers ``feed(k)``, called
    once per step, in order. ``loss_fn`` builds its graph over those leaves, so a compiled
    replay traces it once and replays it for every batch with the batch's numbers, with
    the same results as eager, bit for bit.
    """
    check_backend(backend)
    parameters = model.parameters()
    inputs = list(inputs)
    if inputs and feed is None:
        raise ValueError("inputs need a feed: the numbers they take at each step")
    if compiled:
        forward, backward = _replayed(loss_fn, parameters, backend, inputs)
    else:
        forward, backward = _eager(loss_fn, model, inputs)
    history: list[float] = []
    for step in range(steps):
        loss = forward(feed(step) if inputs else ())
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


# A training loop's two halves: forward takes the numbers of the inputs (none without
# mini-batches) and returns the loss; backward sets every parameter's .grad to
# d loss / d parameter, as zero_grad() then loss.backward() do.
Halves = tuple[Callable[[Sequence[float]], float], Callable[[], None]]


def _eager(loss_fn: Callable[[], Value], model: Module, inputs: list[Value]) -> Halves:
    """Forward builds a fresh graph; backward sets every parameter's gradient from it."""
    graph: Value | None = None

    def forward(numbers: Sequence[float]) -> float:
        nonlocal graph
        for leaf, number in zip(inputs, numbers, strict=True):
            leaf.data = number
        graph = None  # the last step's graph is freed before the next one is built
        graph = loss_fn()
        return graph.data

    def backward() -> None:
        model.zero_grad()
        graph.backward()

    return forward, backward


def _replayed(
    loss_fn: Callable[[], Value], parameters: Sequence[Value], backend: str, inputs: list[Value]
) -> Halves:
    """Forward replays the graph traced at the first step; backward sets the gradients."""
    tape = None

    def forward(numbers: Sequence[float]) -> float:
        nonlocal tape
        if tape is None:
            tape = compile_graph(loss_fn(), [*parameters, *inputs], backend)
        return tape.forward([*(parameter.data for parameter in parameters), *numbers])

    def backward() -> None:
        # The tape gives the inputs' gradients after the parameters': zip stops before them.
        for parameter, grad in zip(parameters, tape.backward()):
            parameter.grad = grad

    return forward, backward
