"""The classic micrograd demo as a harder benchmark: a two-moons classifier.

Method: 100 two-moons points (noise 0.1, from a seeded generator, labels +-1), an
``MLP(2, [16, 16, 1])`` with relu hidden layers and a linear output, the max-margin loss
``mean(relu(1 - y * score))`` plus an L2 penalty of 1e-4, and 100 full-batch SGD steps with
the learning rate falling linearly from 1.0 towards 0.1 (``1.0 - 0.9 * step / 100``). The
classic run ended at loss 0.011 and 100% accuracy, first reached at step 40. Accuracy can
reach 100% and drop back: the summary gives both the first step at 100% and the step from
which it holds to the end.

Writes ``results/moons/``: ``config.json``, ``training.csv`` (step, lr, loss, accuracy: the
loss and the accuracy of the same parameters, before that step's update), ``summary.json``,
the trained model ``model.json`` (``toolkit.model_io``; its ``written_at`` is
``SOURCE_DATE_EPOCH``, or 1970-01-01 when that is not set, never the clock, so reruns write
the same bytes), and the figures ``training`` (loss and accuracy per step) and
``decision_boundary`` (the trained model's score over the plane, with the data).

    python -m experiments.moons [--seed 0] [--steps 100] [-o results/moons]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

import micrograd
from experiments import options, outputs, runner
from experiments.runner import progress
from micrograd import MLP, Value
from micrograd.losses import dataset_loss, max_margin_l2
from micrograd.train import train
from toolkit.cli_types import FiniteNonNegativeFloat, FinitePositiveFloat, Seed, number_text
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
    return dataset_loss(model, xs, ys, max_margin_l2(model.parameters(), alpha))


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
    with progress(config.steps, "training") as bar:

        def on_step(step: int, loss: float) -> None:
            accuracies.append(accuracy(model, xs, ys))
            bar.advance(step)

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
    save_model(
        model,
        folder / "model.json",
        metadata={"config": describe(config), **summary},
        written_at=outputs.source_date(),
    )
    runner.announce("drawing the figures")
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
    """The last step's loss and accuracy; the first step at 100% accuracy and the step from
    which it holds to the last (each ``None`` if never); and the trained model's own loss
    and accuracy (after the last update).

    >>> rows = [(step, 1.0, 0.5, acc) for step, acc in enumerate([0.9, 1.0, 0.99, 1.0, 1.0])]
    >>> summary = summarize(rows, {"loss": 0.1, "accuracy": 1.0})
    >>> summary["full_accuracy_first_reached"], summary["full_accuracy_held_from"]
    (1, 3)
    """
    step, _, loss, last_accuracy = rows[-1]
    first, held = full_accuracy_steps([row[3] for row in rows])
    return {
        "experiment": NAME,
        "final_step": step,
        "final_loss": loss,
        "final_accuracy": last_accuracy,
        "full_accuracy_first_reached": first,
        "full_accuracy_held_from": held,
        "trained_model": trained,
    }


def full_accuracy_steps(accuracies: Sequence[float]) -> tuple[int | None, int | None]:
    """The first step at 100% accuracy, and the first step from which every later step is
    at 100% too (``None`` for either that never happens).

    >>> full_accuracy_steps([0.5, 1.0, 0.9, 1.0, 1.0]), full_accuracy_steps([1.0, 0.5])
    ((1, 3), (0, None))
    """
    first = next((step for step, value in enumerate(accuracies) if value == 1.0), None)
    held = None
    for step in range(len(accuracies) - 1, -1, -1):
        if accuracies[step] != 1.0:
            break
        held = step
    return first, held


def full_accuracy_text(first: int | None, held: int | None) -> str:
    """What the accuracy did, in words.

    >>> full_accuracy_text(47, 79)
    '100% accuracy first reached at step 47, held from step 79'
    >>> full_accuracy_text(12, 12), full_accuracy_text(None, None)
    ('100% accuracy from step 12 on', '100% accuracy never reached')
    >>> full_accuracy_text(5, None)
    '100% accuracy first reached at step 5, not held to the end'
    """
    if first is None:
        return "100% accuracy never reached"
    if held == first:
        return f"100% accuracy from step {first} on"
    if held is None:
        return f"100% accuracy first reached at step {first}, not held to the end"
    return f"100% accuracy first reached at step {first}, held from step {held}"


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
    first, held = full_accuracy_steps([row[3] for row in rows])
    marks = [(first, "first 100%", ":")]
    if held is not None and held != first:
        marks.append((held, "100% held from here", "--"))
    for step, text, style in marks:
        if step is None:
            continue
        for ax in (loss_ax, accuracy_ax):
            ax.axvline(step, color="0.4", linestyle=style, linewidth=1)
        accuracy_ax.annotate(
            f"{text}\n(step {step})",
            (step, accuracy_ax_floor(rows)),
            xytext=(4, 6),
            textcoords="offset points",
            fontsize=8,
            va="bottom",
        )
    accuracy_ax.set_ylim(accuracy_ax_floor(rows), 102)
    accuracy_ax.set_ylabel("training accuracy (%)")
    accuracy_ax.set_xlabel("SGD step (accuracy of the same parameters as the loss)")
    accuracy_ax.grid(True, alpha=0.3)
    loss_ax.set_title(
        f"MLP(2, {list(config.layers)}) on {config.samples} two-moons points\n"
        f"lr {config.lr_start:g} at step 0, falling linearly to "
        f"{config.lr(config.steps - 1):.3g} at step {config.steps - 1}",
        fontsize=10,
    )
    return save_figure(figure, folder, "training")


def accuracy_ax_floor(rows: Sequence[tuple[int, float, float, float]]) -> float:
    """The bottom of the accuracy axis (%): 40, or lower if the accuracy goes lower."""
    return min(40.0, 100 * min(row[3] for row in rows) - 5)


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
    trained = summary["trained_model"]
    return "\n".join(
        [
            f"step {summary['final_step']}: loss {number_text(summary['final_loss'])}, "
            f"accuracy {100 * summary['final_accuracy']:.0f}%",
            full_accuracy_text(
                summary["full_accuracy_first_reached"], summary["full_accuracy_held_from"]
            ),
            f"trained model: loss {number_text(trained['loss'])}, "
            f"accuracy {100 * trained['accuracy']:.0f}%",
        ]
    )


@click.command(name="moons", cls=options.Command, context_settings=options.COMMAND_SETTINGS)
@click.option(
    "--seed",
    type=Seed(),
    default=Config.seed,
    show_default=True,
    help="Seed of the model's initial weights.",
)
@click.option(
    "--data-seed",
    type=Seed(),
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
      python -m experiments.moons --seed 3 --data-seed 1 -o results/moons_3 --json
    """
    config = Config(**settings)
    with options.one_line_errors():
        summary = run(config, out)
    options.report(summary, format_summary(summary), out, as_json)


if __name__ == "__main__":
    main()
