"""The reference loss curve over many seeds, next to the micrograd lecture's published curve.

Method: ``MLP(3, [4, 4, 1])``, tanh everywhere, trained on the lecture's four points with
sum-of-squares loss and 50 steps of plain SGD at learning rate 0.05, once per seed. The
micrograd lecture published one such curve but not its initial weights, so no seed
reproduces it digit for digit: we compare its shape with the median and spread over seeds.

Writes ``results/loss_curve/``: ``config.json``, ``curves.csv`` (experiment, seed, lr, step,
loss), ``summary.json`` and the figure ``loss_curve.png``/``.svg``.

    python -m experiments.loss_curve [--seeds 0-19] [-o results/loss_curve]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from experiments import options, outputs, runner
from experiments.reference import CURVE_COLUMNS, PUBLISHED_LOSSES, curve_rows, describe, sweep
from experiments.stats import quartiles
from micrograd.demo import LAYERS, LR, STEPS
from toolkit.cli_types import FinitePositiveFloat, number_text

NAME = "loss_curve"


@dataclass(frozen=True)
class Config:
    seeds: tuple[int, ...] = tuple(range(20))
    lr: float = LR
    steps: int = STEPS
    layers: tuple[int, ...] = LAYERS
    summary_steps: tuple[int, ...] = (0, 10, 49)
    converged_below: float = 0.05

    @property
    def is_reference(self) -> bool:
        """Whether the published curve was made with this model and learning rate."""
        return self.lr == LR and self.layers == LAYERS


def run(config: Config, out: Path, *, jobs: int | None = 1, scheduler: str | None = None) -> dict:
    """Train every seed, write the config, the curves, the summary and the figure to
    ``out``, and return the summary."""
    folder = outputs.results_folder(out)  # an unusable folder fails before the runs
    results = sweep(
        config.seeds,
        [config.lr],
        steps=config.steps,
        layers=config.layers,
        jobs=jobs,
        scheduler=scheduler,
    )
    curves = [losses for _, losses in results]
    summary = summarize(config, curves)
    outputs.write_json(folder / "config.json", describe(NAME, config))
    outputs.write_csv(folder / "curves.csv", CURVE_COLUMNS, curve_rows(NAME, results))
    outputs.write_json(folder / "summary.json", summary)
    runner.announce("drawing the figures")
    draw(config, curves, folder)
    return summary


def summarize(config: Config, curves: Sequence[Sequence[float]]) -> dict[str, Any]:
    """Median and quartiles at the summary steps (and the last), next to the published
    values, and how many seeds end below ``converged_below``.

    >>> summary = summarize(Config(seeds=(0, 1), steps=2), [[4.0, 0.04], [6.0, 0.5]])
    >>> [(row["step"], row["median"], row["published"]) for row in summary["steps"]]
    [(0, 5.0, 3.764166), (1, 0.27, 3.514946)]
    >>> summary["seeds_below"]
    {'threshold': 0.05, 'count': 1, 'of': 2}
    """
    last = config.steps - 1
    marks = sorted({step for step in config.summary_steps if step <= last} | {last})
    rows = []
    for step in marks:
        first, median, third = quartiles([curve[step] for curve in curves])
        published = PUBLISHED_LOSSES[step] if config.is_reference and step < 50 else None
        rows.append(
            {"step": step, "median": median, "q1": first, "q3": third, "published": published}
        )
    finals = [curve[-1] for curve in curves]
    return {
        "experiment": NAME,
        "steps": rows,
        "seeds_below": {
            "threshold": config.converged_below,
            "count": sum(loss < config.converged_below for loss in finals),
            "of": len(finals),
        },
        "final_losses": [{"seed": s, "loss": loss} for s, loss in zip(config.seeds, finals)],
    }


def draw(config: Config, curves: Sequence[Sequence[float]], folder: Path) -> list[Path]:
    """Every seed thin, the median bold over its interquartile band, the published curve
    dashed; log-scale loss."""
    # Imported here, not at the top: worker processes import this module (as __mp_main__
    # under python -m) and need no matplotlib.
    from experiments.figures import new_figure, plot_band, save_figure

    figure, ax = new_figure()
    for i, curve in enumerate(curves):
        label = f"each seed ({len(curves)})" if i == 0 else None
        ax.plot(curve, color="0.6", linewidth=0.7, alpha=0.7, label=label)
    plot_band(ax, curves, color="C0", label="median over seeds", band_label="interquartile range")
    if config.is_reference:
        published = PUBLISHED_LOSSES[: config.steps]
        ax.plot(published, "k--", linewidth=1.6, label="published run (the micrograd lecture)")
    ax.axhline(config.converged_below, color="C3", linestyle=":", linewidth=1.0)
    ax.annotate(
        f"loss {config.converged_below}",
        (config.steps - 1, config.converged_below),
        xytext=(0, 3),
        textcoords="offset points",
        ha="right",
        color="C3",
        fontsize=8,
    )
    ax.set_yscale("log")
    ax.set_xlim(0, max(config.steps - 1, 1))
    ax.set_xlabel("SGD step")
    ax.set_ylabel("loss: sum of squares over 4 points (log scale)")
    ax.set_title(
        f"MLP(3, {list(config.layers)}) on the four lecture points: "
        f"{len(curves)} seeds, SGD lr {config.lr}"
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper right")
    return save_figure(figure, folder, NAME)


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a small table for the terminal."""
    lines = [f"{'step':>5}  {'median':>10}  {'interquartile range':>23}  {'published':>9}"]
    for row in summary["steps"]:
        published = "" if row["published"] is None else number_text(row["published"])
        spread = f"{number_text(row['q1'])} - {number_text(row['q3'])}"
        median = number_text(row["median"])
        lines.append(f"{row['step']:>5}  {median:>10}  {spread:>23}  {published:>9}")
    below = summary["seeds_below"]
    lines.append(f"{below['count']} of {below['of']} seeds end below {below['threshold']}")
    return "\n".join(lines)


@click.command(name="loss-curve", cls=options.Command, context_settings=options.COMMAND_SETTINGS)
@options.seeds_option(Config.seeds)
@click.option(
    "--lr", type=FinitePositiveFloat(), default=LR, show_default=True, help="Learning rate."
)
@options.steps_option(STEPS)
@options.layers_option(LAYERS)
@options.parallel_options
@options.output_options(NAME)
def main(
    seeds: tuple[int, ...],
    lr: float,
    steps: int,
    layers: tuple[int, ...],
    jobs: int | None,
    scheduler: str | None,
    out: Path,
    as_json: bool,
) -> None:
    """Train the reference MLP (3 -> 4 -> 4 -> 1, tanh) once per seed and compare the loss
    curves with the one the micrograd lecture published. Writes config, curves (CSV),
    summary and figure.

    \b
    Example:
      micrograd experiment loss-curve --seeds 0-19
      python -m experiments.loss_curve --lr 0.1 -o results/loss_curve_lr0.1
    """
    config = Config(seeds=seeds, lr=lr, steps=steps, layers=layers)
    with options.one_line_errors():
        summary = run(config, out, jobs=jobs, scheduler=scheduler)
    options.report(summary, format_summary(summary), out, as_json)


if __name__ == "__main__":
    main()
