"""Fitting an MLP to a data set and reading its outputs: the library behind ``micrograd
train`` and ``micrograd predict``.

>>> from toolkit.datasets import demo
>>> model, record = fit(*demo(), layers=[4, 4, 1], steps=5, lr=0.05)
>>> record["steps"], len(outputs(model, [2.0, 3.0, -1.0]))
(5, 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from micrograd.engine import Value, topological_order
from micrograd.losses import criterion, dataset_loss
from micrograd.nn import MLP
from micrograd.train import NonFiniteLossError, train

__all__ = ["fit", "loss_graph", "outputs"]


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
    compiled: bool = True,
    backend: str = "python",
) -> tuple[MLP, dict[str, Any]]:
    """A fresh ``MLP(len(xs[0]), layers, ...)`` trained with sum-of-squares loss and plain
    SGD, and the training record to keep with it (seed, learning rate, steps, the loss at
    every step, and ``final_loss``, the loss of the returned parameters). The graph is traced
    once and replayed (``compiled=False`` rebuilds it at every step, with the same result bit
    for bit; ``backend="numpy"`` replays it with NumPy arrays, see ``micrograd.train``).
    Raises ``NonFiniteLossError`` naming the step if the loss stops being finite.
    ``on_status(text)`` hears what takes time before the first step and after the last
    (building the graph, compiling it, the final loss), for a progress display.

    >>> from toolkit.datasets import demo
    >>> model, record = fit(*demo(), layers=[4, 4, 1], steps=50, lr=0.05, seed=0)
    >>> len(record["loss_history"]), record["final_loss"] < record["loss_history"][0] / 10
    (50, True)
    """
    model = MLP(len(xs[0]), list(layers), activation, output_activation, seed=seed)
    status = on_status or (lambda text: None)
    built = []

    def loss() -> Value:
        if not built:
            status(f"building the loss graph over {len(xs):,} points")
        root = dataset_loss(model, xs, ys)
        if not built and compiled and on_status is not None:
            status(f"compiling the loss graph: {len(topological_order(root)):,} nodes")
        built.append(True)
        return root

    history = train(
        model, loss, steps=steps, lr=lr, on_step=on_step, compiled=compiled, backend=backend
    )
    status("computing the trained model's loss")
    final_loss = loss().data
    if not math.isfinite(final_loss):
        raise NonFiniteLossError(f"loss became {final_loss} after the last step ({steps - 1})")
    record = {
        "samples": len(xs),
        "seed": seed,
        "loss": "sum_of_squares",
        "lr": lr,
        "steps": steps,
        "final_loss": final_loss,
        "loss_history": history,
    }
    return model, record


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
