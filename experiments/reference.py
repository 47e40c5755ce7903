"""The reference run as a unit of work: train ``MLP(3, layers)`` on the lecture's four
points from one seed at one learning rate, and sweep that over seeds x learning rates.

>>> losses = train_reference(ReferenceRun(seed=0, lr=0.05, steps=3))
>>> len(losses), losses[0] > losses[-1]
(3, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import micrograd
from experiments.runner import run_all
from micrograd.demo import LAYERS, XS, reference_run
from micrograd.train import NonFiniteLossError

__all__ = [
    "CURVE_COLUMNS",
    "PUBLISHED_LOSSES",
    "ReferenceRun",
    "curve_rows",
    "describe",
    "sweep",
    "train_reference",
]

PUBLISHED_LOSSES: tuple[float, ...] = (
    3.764166, 3.514946, 3.152909, 2.638927, 2.02037, 1.407935, 0.914896, 0.591433, 0.401572,
    0.290094, 0.22114, 0.175845, 0.144458, 0.121721, 0.104642, 0.091425, 0.080942, 0.072454,
    0.065461, 0.059612, 0.054657, 0.050411, 0.046738, 0.043532, 0.040712, 0.038214, 0.035988,
    0.033992, 0.032194, 0.030566, 0.029087, 0.027736, 0.026498, 0.025361, 0.024312, 0.023343,
    0.022443, 0.021607, 0.020828, 0.020101, 0.01942, 0.018782, 0.018182, 0.017618, 0.017086,
    0.016584, 0.016109, 0.015659, 0.015233, 0.014828,
)  # fmt: skip
"""The micrograd lecture's published loss at steps 0..49 (its initial weights were never
published)."""

CURVE_COLUMNS = ("experiment", "seed", "lr", "step", "loss")
"""The tidy layout of every curve file: one row per run per step."""


@dataclass(frozen=True)
class ReferenceRun:
    """One training run of the reference model; plain data, so it travels to workers."""

    seed: int
    lr: float
    steps: int
    layers: tuple[int, ...] = LAYERS

    def describe(self) -> str:
        return f"seed {self.seed}, lr {self.lr}"


def train_reference(run: ReferenceRun) -> list[float]:
    """The loss at every step of ``run``: sum of squares over the four points, plain SGD,
    gradients zeroed each step. A diverging run raises ``NonFiniteLossError`` naming it."""
    try:
        return reference_run(run.seed, steps=run.steps, lr=run.lr, layers=run.layers)
    except NonFiniteLossError as error:
        raise NonFiniteLossError(f"run with {run.describe()}: {error}") from None


def sweep(
    seeds: Sequence[int],
    lrs: Sequence[float],
    *,
    steps: int,
    layers: tuple[int, ...] = LAYERS,
    jobs: int | None = 1,
    scheduler: str | None = None,
) -> list[tuple[ReferenceRun, list[float]]]:
    """Every (learning rate, seed) run, learning rates outermost, each with its losses.

    >>> [(run.lr, run.seed) for run, _ in sweep([0, 1], [0.1], steps=2)]
    [(0.1, 0), (0.1, 1)]
    """
    runs = [ReferenceRun(seed, lr, steps, tuple(layers)) for lr in lrs for seed in seeds]
    label = f"training {len(runs)} runs"
    curves = run_all(train_reference, runs, jobs=jobs, scheduler=scheduler, label=label)
    return list(zip(runs, curves))


def describe(experiment: str, config: Any) -> dict[str, Any]:
    """What an experiment on the reference model ran, for its ``config.json``: the setting
    and the fields of its ``config`` dataclass, never how it ran (jobs, scheduler), so
    the file is the same however the runs were spread.

    >>> describe("demo", ReferenceRun(0, 0.05, 3))["model"]
    'MLP(3, [4, 4, 1]), tanh everywhere'
    """
    return {
        "experiment": experiment,
        "micrograd": micrograd.__version__,
        "data": "the lecture's four points, 3 inputs, targets +-1",
        "model": f"MLP({len(XS[0])}, {list(config.layers)}), tanh everywhere",
        "loss": "sum of squares",
        "optimizer": "plain SGD, gradients zeroed each step",
        **asdict(config),
    }


def curve_rows(
    experiment: str, results: Sequence[tuple[ReferenceRun, Sequence[float]]]
) -> list[tuple[str, int, float, int, float]]:
    """The rows of the tidy curve file (``CURVE_COLUMNS``) for ``results``.

    >>> curve_rows("demo", [(ReferenceRun(3, 0.05, 2), [1.5, 0.5])])
    [('demo', 3, 0.05, 0, 1.5), ('demo', 3, 0.05, 1, 0.5)]
    """
    return [
        (experiment, run.seed, run.lr, step, loss)
        for run, losses in results
        for step, loss in enumerate(losses)
    ]
