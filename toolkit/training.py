"""Fitting an MLP to a data set and reading its outputs: the library behind ``micrograd
train`` and ``micrograd predict``.

>>> from toolkit.datasets import demo
>>> model, record = fit(*demo(), layers=[4, 4, 1], steps=5, lr=0.05)
>>> record["steps"], len(outputs(model, [2.0, 3.0, -1.0]))
(5, 1)

Training is planned before any work (``plan_training``): a data set of up to
``FULL_BATCH_ROWS`` rows is one full batch, a larger one is dealt into mini-batches of
``DEFAULT_BATCH_ROWS`` rows (``micrograd.train.batch_order``); the memory of a step is
estimated from the size of its graph, the compiled tape is built only when it fits in
``MEMORY_LIMIT`` (else the eager engine runs, with the same numbers), and a step that
would not fit even eagerly is refused with the estimate (``TrainingTooLarge``).

>>> plan = plan_training(100_000, 2, [4, 4, 1])
>>> plan.batch_size, plan.nodes, plan.replay, f"{plan.memory / 1e6:.0f} MB"
(1000, 72038, 'python', '288 MB')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from micrograd.engine import Value, scope, topological_order
from micrograd.losses import LOSSES, criterion, dataset_loss, sum_of_squares
from micrograd.nn import ACTIVATIONS, MLP
from micrograd.tape import check_backend, replay_bytes
from micrograd.train import (
    BYTES_PER_PARAMETER,
    EAGER_BYTES_PER_NODE,
    NonFiniteLossError,
    batch_order,
    train,
)

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "FULL_BATCH_ROWS",
    "MEMORY_LIMIT",
    "TrainingPlan",
    "TrainingTooLarge",
    "bytes_text",
    "fit",
    "loss_graph",
    "loss_graph_nodes",
    "outputs",
    "plan_training",
]

FULL_BATCH_ROWS = 1_000
"""Data sets of up to this many rows train on full batches by default: every row, in order,
at every step (the reference run, moons and every figure of the project)."""

DEFAULT_BATCH_ROWS = 1_000
"""Larger data sets train on mini-batches of this many rows by default: a graph of about
72,000 nodes for ``MLP(2, [4, 4, 1])``, compiled in a second or two into a tape of about
300 MB."""

MEMORY_LIMIT = 1_000_000_000
"""The most memory (bytes) a training run's model and step are estimated to take: a
compiled tape that would take more is not built (the eager engine runs instead), and a
step that takes more even eagerly is refused."""


class TrainingTooLarge(ValueError):
    """A training step that would not fit in the memory limit even on the eager engine.
    ``estimate`` is its estimated memory in bytes; ``largest_batch`` the largest batch size
    that would fit (0 if not even one row does)."""

    def __init__(self, message: str, estimate: int, largest_batch: int) -> None:
        super().__init__(message)
        self.estimate = estimate
        self.largest_batch = largest_batch


@dataclass(frozen=True)
class TrainingPlan:
    """How ``fit`` trains, decided before any work by ``plan_training``: ``batch_size``
    rows a step (all ``rows``: full batch), a graph of ``nodes`` nodes a step and a model
    of ``parameters`` parameters, replayed on ``replay`` (``"python"``, ``"numpy"``, or
    ``"eager"``: rebuilt at every step), ``memory`` bytes estimated at the peak, and
    ``notes``: one line each about a choice the caller did not make (a default batch size,
    the eager engine instead of a tape), for the terminal."""

    rows: int
    batch_size: int
    parameters: int
    nodes: int
    replay: str
    memory: int
    notes: tuple[str, ...]

    @property
    def full_batch(self) -> bool:
        """Whether every step trains on every row, in order."""
        return self.batch_size == self.rows


_LOSS_NODES: dict[str | None, tuple[int, int, int]] = {
    None: (0, 0, 0),
    # per row: the target, the difference, the exponent 2, the square, the sum's addition;
    # once: the 0 the sum starts from
    "sum_of_squares": (5, 1, 0),
    # per row: the target, its product with the score, the 1, the difference, the relu, the
    # sum's addition; once: the 0 the sum starts from, the count and the quotient
    "max_margin": (6, 3, 0),
    # max_margin, and alpha * sum(p * p): per parameter a square and an addition; once the
    # 0 the sum starts from, alpha, the product and the addition of the two terms
    "max_margin_l2": (6, 7, 2),
}
"""The nodes each loss of ``micrograd.losses.LOSSES`` adds to a model's graph: ``(per row,
once, per parameter)``; ``None`` for no loss (a model's output on one row)."""


def loss_graph_nodes(
    nin: int,
    layers: Sequence[int],
    activation: str = "tanh",
    output_activation: str | None = None,
    rows: int = 1,
    loss: str | None = "sum_of_squares",
) -> int:
    """The number of nodes of the graph of the loss ``loss`` (a name in
    ``micrograd.losses.LOSSES``) of ``MLP(nin, layers, ...)`` over ``rows`` rows, as
    ``loss_graph`` builds it, counted from the architecture without building anything.
    ``loss=None`` counts the model's own graph on ``rows`` rows, its outputs the roots (a
    forward graph). Per row: the ``nin`` inputs, and per neuron of ``k`` inputs ``k``
    products and ``k`` sums (``weighted_sum``) and its activation (none for ``linear``);
    once: the parameters; and what the loss adds (``_LOSS_NODES``).

    >>> loss_graph_nodes(3, [4, 4, 1], rows=4)      # the reference run's graph
    366
    >>> loss_graph_nodes(2, [16, 16, 1], "relu", "linear", rows=100, loss="max_margin_l2")
    65818
    """
    if loss not in _LOSS_NODES:
        raise ValueError(f"unknown loss {loss!r}: choose one of {', '.join(LOSSES)}")
    output_activation = activation if output_activation is None else output_activation
    activations = [activation] * (len(layers) - 1) + [output_activation]
    fan_ins = [nin, *layers[:-1]]
    per_row, once, per_parameter = _LOSS_NODES[loss]
    per_row += nin
    parameters = 0
    for size, fan_in, name in zip(layers, fan_ins, activations):
        per_row += size * (2 * fan_in + (ACTIVATIONS[name] is not None))
        parameters += size * (fan_in + 1)
    return rows * per_row + parameters * (1 + per_parameter) + once


def plan_training(
    rows: int,
    nin: int,
    layers: Sequence[int],
    activation: str = "tanh",
    output_activation: str | None = None,
    *,
    batch_size: int | None = None,
    compiled: bool = True,
    backend: str = "python",
    memory_limit: int = MEMORY_LIMIT,
) -> TrainingPlan:
    """How ``fit`` will train ``MLP(nin, layers, ...)`` on ``rows`` rows, or
    ``TrainingTooLarge`` if a step cannot fit in ``memory_limit`` bytes even eagerly.

    ``batch_size=None`` means full batch up to ``FULL_BATCH_ROWS`` rows, else batches of
    ``DEFAULT_BATCH_ROWS``; a batch size of at least ``rows`` is full batch. The memory of
    a step is estimated as ``parameters * BYTES_PER_PARAMETER`` plus the graph's other nodes
    times ``EAGER_BYTES_PER_NODE`` (``micrograd.train``) or, for a compiled tape,
    ``REPLAY_BYTES_PER_NODE[backend]`` (``micrograd.tape``). A tape that does not fit is
    replaced by the eager engine, and a note says so.

    >>> plan = plan_training(10_000, 2, [4, 4, 1], batch_size=10_000)
    >>> plan.replay, plan.notes[0][:56]
    ('eager', 'compiling the graph of a step, 720,038 nodes, would take')
    >>> try:
    ...     plan_training(4, 3, [1000, 1000, 1])
    ... except TrainingTooLarge as error:
    ...     print(f"{error.estimate / 1e9:.2f} GB; largest batch: {error.largest_batch}")
    2.11 GB; largest batch: 1
    """
    check_backend(backend)
    if not isinstance(rows, int) or rows < 1:
        raise ValueError(f"training needs at least one row, got {rows!r}")
    notes: list[str] = []
    if batch_size is None:
        batch = rows if rows <= FULL_BATCH_ROWS else DEFAULT_BATCH_ROWS
        if batch < rows:
            notes.append(
                f"{rows:,} rows, more than {FULL_BATCH_ROWS:,}: training on mini-batches of "
                f"{batch:,} rows, one a step, the rows shuffled afresh each epoch from the seed "
                "(--batch-size to choose)"
            )
    elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number of at least 1, got {batch_size!r}")
    else:
        batch = min(batch_size, rows)
    nodes = loss_graph_nodes(nin, layers, activation, output_activation, rows=batch)
    parameters = sum(size * (fan_in + 1) for size, fan_in in zip(layers, [nin, *layers[:-1]]))
    model_bytes = parameters * BYTES_PER_PARAMETER
    eager = _eager_bytes(parameters, nodes)
    if eager > memory_limit:
        raise _too_large(nin, layers, activation, output_activation, batch, memory_limit)
    replay, memory = "eager", eager
    if compiled:
        tape = model_bytes + replay_bytes(nodes, backend)
        if tape <= memory_limit:
            replay, memory = backend, tape
        else:
            same = "bit for bit" if backend == "python" else "up to rounding"
            note = (
                f"compiling the graph of a step, {nodes:,} nodes, would take about "
                f"{bytes_text(tape)}, more than the {bytes_text(memory_limit)} limit: "
                f"training eagerly instead (the same numbers {same}, more time a step)"
            )
            numpy = model_bytes + replay_bytes(nodes, "numpy")
            if backend == "python" and numpy <= memory_limit:
                note += f"; the NumPy tape (--numpy) fits, about {bytes_text(numpy)}"
            notes.append(note)
    return TrainingPlan(rows, batch, parameters, nodes, replay, memory, tuple(notes))


def _too_large(
    nin: int,
    layers: Sequence[int],
    activation: str,
    output_activation: str | None,
    batch: int,
    memory_limit: int,
) -> TrainingTooLarge:
    """The refusal of a step of ``batch`` rows that does not fit, with the estimate."""

    def eager(rows: int) -> int:
        nodes = loss_graph_nodes(nin, layers, activation, output_activation, rows=rows)
        return _eager_bytes(parameters, nodes)

    parameters = sum(size * (fan_in + 1) for size, fan_in in zip(layers, [nin, *layers[:-1]]))
    nodes = loss_graph_nodes(nin, layers, activation, output_activation, rows=batch)
    per_row = loss_graph_nodes(nin, layers, activation, output_activation, rows=2) - (
        loss_graph_nodes(nin, layers, activation, output_activation, rows=1)
    )
    room = memory_limit - eager(0)
    largest = max(0, min(batch - 1, room // (per_row * EAGER_BYTES_PER_NODE)))
    shape = " -> ".join(map(str, [nin, *layers]))
    rows = f"{batch:,} row" + ("s" if batch != 1 else "")
    message = (
        f"a step of MLP({shape}) on {rows} would take about {bytes_text(eager(batch))} "
        f"even on the eager engine ({parameters:,} parameters, a graph of {nodes:,} nodes), "
        f"more than the {bytes_text(memory_limit)} limit; "
    )
    if largest:
        fits = f"batches of up to {largest:,} rows fit" if largest > 1 else "a batch of 1 row fits"
        message += f"{fits}, taking about {bytes_text(eager(largest))}"
    else:
        message += "not even one row fits: use fewer or smaller layers"
    return TrainingTooLarge(message, eager(batch), largest)


def _eager_bytes(parameters: int, nodes: int) -> int:
    """The estimated peak memory of a model of ``parameters`` parameters and an eager step
    over a graph of ``nodes`` nodes (the parameters among them, counted once). Checked
    against ``MLP(2, [1000, 1000, 1])`` on one row: 784 MB estimated, 776 MB measured (the
    growth of the peak resident memory from an empty interpreter)."""
    return parameters * BYTES_PER_PARAMETER + (nodes - parameters) * EAGER_BYTES_PER_NODE


def bytes_text(size: int) -> str:
    """``size`` bytes for a person: ``288 MB``, ``2.88 GB``.

    >>> bytes_text(288_152_000), bytes_text(2_880_152_000)
    ('288 MB', '2.88 GB')
    """
    return f"{size / 1e9:.2f} GB" if size >= 999_500_000 else f"{size / 1e6:.0f} MB"


def fit(
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
    *,
    layers: Sequence[int],
    activation: str = "tanh",
    output_activation: str | None = None,
    steps: int,
    lr: float,
    seed: int = 0,
    on_step: Callable[[int, float], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    compiled: bool = True,
    backend: str = "python",
    batch_size: int | None = None,
    memory_limit: int = MEMORY_LIMIT,
) -> tuple[MLP, dict[str, Any]]:
    """A fresh ``MLP(len(xs[0]), layers, ...)`` trained with sum-of-squares loss and plain
    SGD, and the training record to keep with it (seed, learning rate, steps, the loss at
    every step, and ``final_loss``, the loss of the returned parameters over every row).
    The graph is traced once and replayed (``compiled=False`` rebuilds it at every step,
    with the same result bit for bit; ``backend="numpy"`` replays it with NumPy arrays, see
    ``micrograd.train``). Raises ``NonFiniteLossError`` naming the step if the loss stops
    being finite. ``on_status(text)`` hears what takes time before the first step and after
    the last (building the graph, compiling it, the final loss), for a progress display.

    How it trains is planned first (``plan_training``, which raises ``TrainingTooLarge``
    before any work if a step cannot fit in ``memory_limit``): ``batch_size`` rows a step
    (by default every row up to ``FULL_BATCH_ROWS`` rows, else ``DEFAULT_BATCH_ROWS``), and
    the eager engine instead of a tape that would not fit. ``on_note(text)`` hears those
    choices when the caller did not make them, one line each.

    On full batches every step is one SGD step on the loss over every row, in order. On
    mini-batches (``batch_size`` under the number of rows) a step is one SGD step on the
    loss over one batch, the batches dealt by ``micrograd.train.batch_order`` from the same
    ``seed`` as the initial parameters: each epoch a fresh shuffle of the rows, cut into
    batches of ``batch_size``, the remainder skipped that epoch. Then ``loss_history``
    holds each step's batch loss, the record gains ``batch_size``, and ``final_loss`` is
    still over every row (computed a row at a time: the same number as the whole graph's).

    >>> from toolkit.datasets import demo
    >>> model, record = fit(*demo(), layers=[4, 4, 1], steps=50, lr=0.05, seed=0)
    >>> len(record["loss_history"]), record["final_loss"] < record["loss_history"][0] / 10
    (50, True)
    >>> from toolkit.datasets import moons
    >>> model, record = fit(*moons(), layers=[4, 1], steps=3, lr=0.01, batch_size=30)
    >>> record["batch_size"], len(record["loss_history"])
    (30, 3)
    """
    plan = plan_training(
        len(xs),
        len(xs[0]),
        layers,
        activation,
        output_activation,
        batch_size=batch_size,
        compiled=compiled,
        backend=backend,
        memory_limit=memory_limit,
    )
    for note in plan.notes:
        if on_note is not None:
            on_note(note)
    model = MLP(len(xs[0]), list(layers), activation, output_activation, seed=seed)
    status = on_status or (lambda text: None)
    replay = {"compiled": plan.replay != "eager", "backend": backend}
    if plan.full_batch:
        history = _full_batch(model, xs, ys, steps, lr, on_step, on_status, replay)
        status("computing the trained model's loss")
        final_loss = dataset_loss(model, xs, ys).data
    else:
        history = _mini_batches(
            model, xs, ys, plan.batch_size, seed, steps, lr, on_step, on_status, replay
        )
        final_loss = _loss_row_by_row(model, xs, ys, status)
    if not math.isfinite(final_loss):
        raise NonFiniteLossError(f"loss became {final_loss} after the last step ({steps - 1})")
    record = {
        "samples": len(xs),
        "seed": seed,
        "loss": "sum_of_squares",
        "lr": lr,
        "steps": steps,
        **({} if plan.full_batch else {"batch_size": plan.batch_size}),
        "final_loss": final_loss,
        "loss_history": history,
    }
    return model, record


def _full_batch(
    model: MLP,
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
    steps: int,
    lr: float,
    on_step: Callable[[int, float], None] | None,
    on_status: Callable[[str], None] | None,
    replay: dict[str, Any],
) -> list[float]:
    """Every step on the loss over every row, in order."""
    status = on_status or (lambda text: None)
    built = []

    def loss() -> Value:
        if not built:
            status(f"building the loss graph over {len(xs):,} points")
        root = dataset_loss(model, xs, ys)
        if not built and replay["compiled"] and on_status is not None:
            status(f"compiling the loss graph: {len(topological_order(root)):,} nodes")
        built.append(True)
        return root

    return train(model, loss, steps=steps, lr=lr, on_step=on_step, **replay)


def _mini_batches(
    model: MLP,
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
    batch_size: int,
    seed: int,
    steps: int,
    lr: float,
    on_step: Callable[[int, float], None] | None,
    on_status: Callable[[str], None] | None,
    replay: dict[str, Any],
) -> list[float]:
    """Each step on the loss over the next batch of ``batch_order(len(xs), batch_size,
    seed)``: one graph over leaves that take each batch's inputs and targets."""
    status = on_status or (lambda text: None)
    nin = len(xs[0])
    with scope("data"):
        batch_xs = [
            [Value(0.0, label=f"x.{row}.{i}") for i in range(nin)] for row in range(batch_size)
        ]
        batch_ys = [Value(0.0, label=f"y.{row}") for row in range(batch_size)]
    inputs = [leaf for row in batch_xs for leaf in row] + batch_ys
    batches = batch_order(len(xs), batch_size, seed)

    def feed(step: int) -> list[float]:
        rows = next(batches)
        return [float(x) for row in rows for x in xs[row]] + [float(ys[row]) for row in rows]

    built = []

    def loss() -> Value:
        if not built:
            status(f"building the loss graph of a batch of {batch_size:,} points")
        predictions = [model(x) for x in batch_xs]
        with scope("loss"):
            root = sum_of_squares(predictions, batch_ys)
        if not built and replay["compiled"] and on_status is not None:
            status(f"compiling the loss graph: {len(topological_order(root)):,} nodes")
        built.append(True)
        return root

    return train(
        model, loss, steps=steps, lr=lr, on_step=on_step, inputs=inputs, feed=feed, **replay
    )


def _loss_row_by_row(
    model: MLP,
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
    status: Callable[[str], None],
    every: int = 10_000,
) -> float:
    """The sum-of-squares loss of ``model`` over every row, one row's graph at a time: the
    same additions in the same order as ``dataset_loss``'s sum, so the same number, in the
    memory of one row.

    >>> from toolkit.datasets import demo
    >>> model = MLP(3, [4, 4, 1], seed=0)
    >>> _loss_row_by_row(model, *demo(), print) == dataset_loss(model, *demo()).data
    computing the trained model's loss: row 1 of 4
    True
    """
    total: float = 0  # sum() starts from the int 0, as dataset_loss's does
    for row, (x, y) in enumerate(zip(xs, ys)):
        if row % every == 0:
            status(f"computing the trained model's loss: row {row + 1:,} of {len(xs):,}")
        total = total + ((model(list(x)) - y) ** 2).data
    return float(total)


def loss_graph(
    model: MLP,
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
    loss: str = "sum_of_squares",
    **settings: float,
) -> Value:
    """The graph of the loss called ``loss`` (a name in ``micrograd.losses.LOSSES``, with its
    settings) of ``model`` over the data set, built as every loss of the project is (see
    ``micrograd.losses.dataset_loss``).

    >>> from toolkit.datasets import demo
    >>> model = MLP(3, [4, 4, 1], seed=0)
    >>> loss_graph(model, *demo()).data == dataset_loss(model, *demo()).data
    True
    >>> loss_graph(model, *demo(), "max_margin_l2", alpha=1e-4).scope
    'loss'
    """
    return dataset_loss(model, xs, ys, criterion(loss, model.parameters(), **settings))


def outputs(model: MLP, x: Sequence[float]) -> list[float]:
    """The model's outputs for one input row, as floats (one per neuron of the last layer).

    >>> model = MLP(2, [2], activation="linear", seed=0)
    >>> outputs(model, [0.0, 0.0]) == [neuron.b.data for neuron in model.layers[0].neurons]
    True
    """
    out = model(x)
    return [value.data for value in out] if isinstance(out, list) else [out.data]
