"""The classic micrograd demo as a harder benchmark: a two-moons classifier.

Method: 100 two-moons points (noise 0.1, from a seeded generator, labels +-1), an
``MLP(2, [16, 16, 1])`` with relu hidden layers and a linear output, the max-margin loss
``mean(relu(1 - y * score))`` plus an L2 penalty of 1e-4, and 100 full-batch SGD steps with
the learning rate falling linearly from 1.0 towards 0.1 (``1.0 - 0.9 * step / 100``). The
classic run ended at loss 0.011 and 100% accuracy, first reached at step 40.

Writes ``results/moons/``: ``config.json``, ``training.csv`` (step, lr, loss, accuracy: the
loss and the accuracy of the same parameters, before that step's update), ``summary.json``,
the trained model ``model.json`` (``toolkit.model_io``; it records when it was written, so
it is the one file that differs between runs), and the figures ``training`` (loss and
accuracy per step) and ``decision_boundary`` (the trained model's score over the plane,
with the data).

    python -m experiments.moons [--seed 0] [--steps 100]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

import micrograd
from experiments import options, outputs
from micrograd import MLP, Value
from micrograd.losses import dataset_loss, l2_penalty, max_margin
from micrograd.train import train
from toolkit.cli_types import FiniteNonNegativeFloat, FinitePositiveFloat
from toolkit.datasets import moons
from toolkit.model_io import save_model

NAME = "moons"
TRAINING_COLUMNS = ("step", "lr", "loss", "accuracy")
GRID_POINTS = 60  # per side of the decision-boundary figure's grid


@dataclass(frozen=True)
class Config:
    seed: int = 0  # the model's initial weights
    data_seed: int = 0  # the points' noise and order
    samples: int = 100
    noise: float = 0.1
    layers: tuple[int, ...] = (16, 16, 1)
    steps: int = 100
    lr_start: float = 1.0
    lr_end: float = 0.1
    alpha: float = 1e-4

    def lr(self, step: int) -> float:
        """The learning rate at ``step``: linear from ``lr_start`` (step 0) towards
        ``lr_end`` (reached at step ``steps``, one past the last), as in the classic demo.

        >>> config = Config(steps=100)
        >>> config.lr(0), config.lr(50), round(config.lr(99), 12)
        (1.0, 0.55, 0.109)
        """
        return self.lr_start + (self.lr_end - self.lr_start) * step / self.steps


def make_model(config: Config) -> MLP:
    """``MLP(2, layers)``, relu hidden layers and a linear output, from ``config.seed``."""
    return MLP(
        2, list(config.layers), activation="relu", output_activation="linear", seed=config.seed
    )


def objective(model: MLP, xs: Sequence[Sequence[float]], ys: Sequence[float], alpha: float):
    """The training loss: the max-margin loss over the points plus ``alpha`` times L2."""

    def criterion(scores, targets):
        return max_margin(scores, targets) + l2_penalty(model.parameters(), alpha)

    return dataset_loss(model, xs, ys, criterion)


def accuracy(model: MLP, xs: Sequence[Sequence[float]], ys: Sequence[float]) -> float:
    """The fraction of points whose score has the sign of their label (+-1).

    >>> model = MLP(2, [1], activation="linear", seed=0)
    >>> for parameter, value in zip(model.parameters(), [1.0, 0.0, 0.0]):
    ...     parameter.data = value            # score = first input
    >>> accuracy(model, [[2.0, 0.0], [-1.0, 5.0], [3.0, 0.0]], [1.0, -1.0, -1.0])
    0.6666666666666666
    """
    right = sum((_score(model, x) > 0) == (y > 0) for x, y in zip(xs, ys))
    return right / len(ys)


def _score(model: MLP, x: Sequence[float]) -> float:
    out = model(x)
    assert isinstance(out, Value), "the moons model has one output"
    return out.data


def run(config: Config, out: Path) -> dict[str, Any]:
    """Train the classifier, write the config, the per-step data, the summary and the
    figures to ``out``, and return the summary."""
    folder = outputs.results_folder(out)  # an unusable folder fails before training
    xs, ys = moons(config.samples, noise=config.noise, seed=config.data_seed)
    model = make_model(config)
    # train() reports after each update; the accuracy that goes with step k's loss is the
    # one of the parameters before that update, so start with the initial model's.
    accuracies = [accuracy(model, xs, ys)]
    with click.progressbar(length=config.steps, label="training", file=sys.stderr) as bar:

        def on_step(step: int, loss: float) -> None:
            accuracies.append(accuracy(model, xs, ys))
            bar.update(1)

        losses = train(
            model,
            lambda: objective(model, xs, ys, config.alpha),
            steps=config.steps,
            lr=config.lr,
            on_step=on_step,
            compiled=True,
        )
    rows = [(step, config.lr(step), loss, accuracies[step]) for step, loss in enumerate(losses)]
    trained = {"loss": objective(model, xs, ys, config.alpha).data, "accuracy": accuracies[-1]}
    summary = summarize(rows, trained)
    outputs.write_json(folder / "config.json", describe(config))
    outputs.write_csv(folder / "training.csv", TRAINING_COLUMNS, rows)
    outputs.write_json(folder / "summary.json", summary)
    save_model(model, folder / "model.json", metadata={"config": describe(config), **summary})
    draw(config, model, (xs, ys), rows, folder)
    return summary


def describe(config: Config) -> dict[str, Any]:
    """The config as written to ``config.json``."""
    return {
        "experiment": NAME,
        "micrograd": micrograd.__version__,
        "data": "toolkit.datasets.moons(samples, noise=noise, seed=data_seed), labels +-1",
        "model": f"MLP(2, {list(config.layers)}), relu hidden layers, linear output",
        "loss": "mean(relu(1 - y * score)) + alpha * sum(p * p)",
        "optimizer": "full-batch SGD, lr = lr_start + (lr_end - lr_start) * step / steps",
        **asdict(config),
        "layers": list(config.layers),
    }


def summarize(rows: Sequence[tuple[int, float, float, float]], trained: dict) -> dict[str, Any]:
    """The last step's loss and accuracy, the first step at 100% accuracy (``None`` if
    never), and the trained model's own loss and accuracy (after the last update)."""
    step, _, loss, last_accuracy = rows[-1]
    perfect = next((row[0] for row in rows if row[3] == 1.0), None)
    return {
        "experiment": NAME,
        "final_step": step,
        "final_loss": loss,
        "final_accuracy": last_accuracy,
        "first_step_at_full_accuracy": perfect,
        "trained_model": trained,
    }


def draw(
    config: Config,
    model: MLP,
    data: tuple[list[list[float]], list[float]],
    rows: Sequence[tuple[int, float, float, float]],
    folder: Path,
) -> list[Path]:
    """The training figure (loss and accuracy per step) and the decision boundary."""
    return [*_draw_training(config, rows, folder), *_draw_boundary(config, model, data, folder)]


def _draw_training(
    config: Config, rows: Sequence[tuple[int, float, float, float]], folder: Path
) -> list[Path]:
    from experiments.figures import new_figure, save_figure

    figure, (loss_ax, accuracy_ax) = new_figure(2, 1, size=(7.5, 6.0), sharex=True)
    steps = [row[0] for row in rows]
    loss_ax.plot(steps, [row[2] for row in rows], color="C0", linewidth=2)
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("loss: max-margin + L2 (log scale)")
    loss_ax.grid(True, which="both", alpha=0.3)
    accuracy_ax.plot(steps, [100 * row[3] for row in rows], color="C2", linewidth=2)
    perfect = next((row[0] for row in rows if row[3] == 1.0), None)
    if perfect is not None:
        for ax in (loss_ax, accuracy_ax):
            ax.axvline(perfect, color="0.4", linestyle=":", linewidth=1)
        accuracy_ax.annotate(
            f"100% from step {perfect}",
            (perfect, 100),
            xytext=(5, -14),
            textcoords="offset points",
            fontsize=8,
        )
    accuracy_ax.set_ylim(min(40.0, 100 * min(row[3] for row in rows) - 5), 102)
    accuracy_ax.set_ylabel("training accuracy (%)")
    accuracy_ax.set_xlabel("SGD step (accuracy of the same parameters as the loss)")
    accuracy_ax.grid(True, alpha=0.3)
    loss_ax.set_title(
        f"MLP(2, {list(config.layers)}) on {config.samples} two-moons points: "
        f"lr {config.lr_start:g} -> {config.lr_end:g}"
    )
    return save_figure(figure, folder, "training")


def _draw_boundary(
    config: Config, model: MLP, data: tuple[list[list[float]], list[float]], folder: Path
) -> list[Path]:
    from matplotlib.colors import TwoSlopeNorm

    from experiments.figures import new_figure, save_figure

    xs, ys = data
    low = [min(x[i] for x in xs) - 0.5 for i in (0, 1)]
    high = [max(x[i] for x in xs) + 0.5 for i in (0, 1)]
    grid = [
        [low[i] + (high[i] - low[i]) * k / (GRID_POINTS - 1) for k in range(GRID_POINTS)]
        for i in (0, 1)
    ]
    scores = [[_score(model, [x0, x1]) for x0 in grid[0]] for x1 in grid[1]]
    bound = max(abs(score) for line in scores for score in line) or 1.0
    figure, ax = new_figure(size=(7.5, 5.6))
    shading = ax.contourf(
        grid[0], grid[1], scores, levels=20, cmap="RdBu", norm=TwoSlopeNorm(0.0, -bound, bound)
    )
    ax.contour(grid[0], grid[1], scores, levels=[0.0], colors="k", linewidths=1.5)
    for label, color, marker in ((1.0, "C0", "o"), (-1.0, "C3", "s")):
        points = [x for x, y in zip(xs, ys) if y == label]
        ax.scatter(
            [p[0] for p in points],
            [p[1] for p in points],
            c=color,
            marker=marker,
            edgecolors="white",
            linewidths=0.6,
            s=28,
            label=f"label {label:+g}",
        )
    ax.plot([], [], color="k", linewidth=1.5, label="decision boundary (score 0)")
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(
        f"Decision boundary after {config.steps} steps: "
        f"training accuracy {100 * accuracy(model, xs, ys):.0f}% on {len(xs)} points"
    )
    ax.legend(loc="lower left", fontsize=8)
    figure.colorbar(shading, ax=ax, label="model score (linear output)")
    return save_figure(figure, folder, "decision_boundary")


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a few lines for the terminal."""
    perfect = summary["first_step_at_full_accuracy"]
    trained = summary["trained_model"]
    return "\n".join(
        [
            f"step {summary['final_step']}: loss {summary['final_loss']:.6f}, "
            f"accuracy {100 * summary['final_accuracy']:.0f}%",
            "100% accuracy " + ("never reached" if perfect is None else f"from step {perfect}"),
            f"trained model: loss {trained['loss']:.6f}, accuracy {100 * trained['accuracy']:.0f}%",
        ]
    )


@click.command(name="moons", context_settings=options.COMMAND_SETTINGS)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=Config.seed,
    show_default=True,
    help="Seed of the model's initial weights.",
)
@click.option(
    "--data-seed",
    type=click.IntRange(min=0),
    default=Config.data_seed,
    show_default=True,
    help="Seed of the points' noise and order.",
)
@click.option(
    "--samples",
    type=click.IntRange(2, 10_000),
    default=Config.samples,
    show_default=True,
    help="Number of points.",
)
@click.option(
    "--noise",
    type=FiniteNonNegativeFloat(),
    default=Config.noise,
    show_default=True,
    help="Standard deviation of the points' Gaussian noise.",
)
@options.layers_option(Config.layers)
@options.steps_option(Config.steps)
@click.option(
    "--lr-start",
    type=FinitePositiveFloat(),
    default=Config.lr_start,
    show_default=True,
    help="Learning rate at step 0.",
)
@click.option(
    "--lr-end",
    type=FinitePositiveFloat(),
    default=Config.lr_end,
    show_default=True,
    help="Learning rate the linear decay heads for, reached at step --steps.",
)
@click.option(
    "--alpha",
    type=FiniteNonNegativeFloat(),
    default=Config.alpha,
    show_default=True,
    help="Weight of the L2 penalty.",
)
@options.output_options(NAME)
def main(out: Path, as_json: bool, **settings: Any) -> None:
    """Train a two-moons classifier (MLP 2 -> 16 relu -> 16 relu -> 1, max-margin loss, L2)
    as in the classic micrograd demo; write the per-step loss and accuracy (CSV), the
    summary and two figures: training curves and the decision boundary.

    \b
    Example:
      micrograd experiment moons --seed 0 --steps 100
      python -m experiments.moons --seed 3 --data-seed 1 --json
    """
    config = Config(**settings)
    with options.one_line_errors():
        summary = run(config, out)
    options.report(summary, format_summary(summary), out, as_json)


if __name__ == "__main__":
    main()
