"""The reference model over seeds x learning rates: how fast, and how far, it trains.

Method: as ``loss_curve`` (``MLP(3, [4, 4, 1])``, tanh, four points, sum of squares, 50
steps of plain SGD), once per seed (0..9) and learning rate (0.005 to 0.5).

A run ends converged (final loss below ``converged_below``, 0.05), improving (not below, but
its loss fell by more than 1% over the last 10 steps), stalled (not) or diverged, as
``experiments.stats.outcome`` says; each learning rate counts its seeds' outcomes. The
best learning rate is the one with the lowest median final loss among those at which every
seed converged (``BEST_LR_RULE``): a lower median bought with seeds that stall is not
better. When no learning rate qualifies there is none (``best_lr: null``).

Writes ``results/lr_sweep/``: ``config.json``, ``curves.csv`` (experiment, seed, lr, step,
loss: every run's full curve), ``summary.json`` (per learning rate: the final loss's spread,
every seed's, the outcome counts; the best learning rate and its rule) and three figures:
``curves_by_lr`` (per learning rate the median curve with its interquartile band, or every
seed's curve where the seeds' outcomes differ), ``final_loss_vs_lr`` (log-log, every seed a
point) and ``final_loss_heatmap`` (seeds x learning rates).

    python -m experiments.lr_sweep [--lrs 0.01,0.1] [--seeds 0-9] [-o results/lr_sweep]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from experiments import options, outputs, runner
from experiments.reference import CURVE_COLUMNS, curve_rows, describe, sweep
from experiments.stats import (
    OUTCOME_COLORS,
    OUTCOMES,
    outcome,
    outcome_legend,
    outcome_text,
    quartiles,
)
from micrograd.demo import LAYERS, STEPS
from toolkit.cli_types import number_text

NAME = "lr_sweep"


@dataclass(frozen=True)
class Config:
    seeds: tuple[int, ...] = tuple(range(10))
    lrs: tuple[float, ...] = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
    steps: int = STEPS
    layers: tuple[int, ...] = LAYERS
    converged_below: float = 0.05


Grid = dict[float, list[list[float]]]
"""Each learning rate's curves, one per seed in the config's order."""

BEST_LR_RULE = (
    "the lowest median final loss among the learning rates at which every seed converged "
    "(final loss below {threshold:g})"
)


def run(config: Config, out: Path, *, jobs: int | None = 1, scheduler: str | None = None) -> dict:
    """Train every (seed, learning rate) pair, write the config, the curves, the summary and
    the figures to ``out``, and return the summary."""
    folder = outputs.results_folder(out)  # an unusable folder fails before the runs
    results = sweep(
        config.seeds,
        config.lrs,
        steps=config.steps,
        layers=config.layers,
        jobs=jobs,
        scheduler=scheduler,
    )
    grid: Grid = {lr: [] for lr in config.lrs}
    for run_config, losses in results:
        grid[run_config.lr].append(losses)
    summary = summarize(config, grid)
    outputs.write_json(folder / "config.json", describe(NAME, config))
    outputs.write_csv(folder / "curves.csv", CURVE_COLUMNS, curve_rows(NAME, results))
    outputs.write_json(folder / "summary.json", summary)
    runner.announce("drawing the figures")
    draw(config, grid, folder)
    return summary


def summarize(config: Config, grid: Grid) -> dict[str, Any]:
    """Per learning rate: the final loss's quartiles and extremes, how many seeds converged,
    stalled or diverged, and every seed's final loss; and the best learning rate by
    ``BEST_LR_RULE`` (``None``, with the reason, when no learning rate qualifies).

    >>> grid = {0.1: [[1.0, 0.04], [1.0, 0.03]], 0.2: [[1.0, 0.001], [1.0, 7.9]]}
    >>> summary = summarize(Config(seeds=(0, 1), lrs=(0.1, 0.2), steps=2), grid)
    >>> summary["best_lr"], [row["outcomes"]["stalled"] for row in summary["lrs"]]
    (0.1, [0, 1])
    """
    rows = []
    for lr, curves in grid.items():
        finals = [curve[-1] for curve in curves]
        first, median, third = quartiles(finals)
        ends = [outcome(curve, converged_below=config.converged_below) for curve in curves]
        rows.append(
            {
                "lr": lr,
                "median": median,
                "q1": first,
                "q3": third,
                "min": min(finals),
                "max": max(finals),
                "outcomes": {name: ends.count(name) for name in OUTCOMES},
                "final_losses": [
                    {"seed": s, "loss": loss} for s, loss in zip(config.seeds, finals)
                ],
            }
        )
    qualified = [row for row in rows if row["outcomes"]["converged"] == len(config.seeds)]
    seeds, rates = len(config.seeds), len(rows)
    every_seed = f"all {seeds} seeds" if seeds != 1 else "the one seed"
    if qualified:
        best = min(qualified, key=lambda row: row["median"])
        best_lr = best["lr"]
        where = f"{len(qualified)} of the {rates} learning rates" if rates != 1 else "the one rate"
        median = number_text(best["median"])
        reason = f"{every_seed} converged at {where}" + (
            f"; of those, {best_lr:g} has the lowest median final loss ({median})"
            if len(qualified) > 1
            else f": {best_lr:g}, median final loss {median}"
        )
    else:
        best_lr = None
        reason = (
            f"no learning rate qualifies: at none of the {rates} did {every_seed} converge"
            if rates != 1
            else f"no learning rate qualifies: {every_seed} did not converge at the one rate"
        )
    return {
        "experiment": NAME,
        "final_step": config.steps - 1,
        "converged_below": config.converged_below,
        "best_lr_rule": BEST_LR_RULE.format(threshold=config.converged_below),
        "best_lr": best_lr,
        "best_lr_reason": reason,
        "lrs": rows,
    }


def split(row: dict[str, Any]) -> bool:
    """Whether the seeds of a summary row ended in different ways (a split population,
    whose median is a path no seed took)."""
    return sum(count > 0 for count in row["outcomes"].values()) > 1


def draw(config: Config, grid: Grid, folder: Path) -> list[Path]:
    """The three figures: curves by learning rate, final loss against learning rate, and the
    seeds x learning rates heatmap."""
    summary = summarize(config, grid)
    return [
        *_draw_curves(config, grid, summary, folder),
        *_draw_final_vs_lr(config, grid, summary, folder),
        *_draw_heatmap(config, grid, folder),
    ]


def _lr_colors(count: int) -> list[Any]:
    """One colour per learning rate, told apart at a glance: the qualitative tab10 palette
    for up to 10 rates, a spread-out cyclic one beyond."""
    # Imported here, not at the top: worker processes import this module (as __mp_main__
    # under python -m) and need no matplotlib.
    from matplotlib import colormaps

    if count <= 10:
        return [colormaps["tab10"](i) for i in range(count)]
    return [colormaps["hsv"](i / count) for i in range(count)]


def _model_text(config: Config) -> str:
    return f"MLP(3, {list(config.layers)}), {len(config.seeds)} seeds"


def _draw_curves(config: Config, grid: Grid, summary: dict, folder: Path) -> list[Path]:
    from matplotlib.patches import Patch

    from experiments.figures import new_figure, plot_band, save_figure

    figure, ax = new_figure(size=(9.5, 5.0))
    for color, (lr, curves), row in zip(_lr_colors(len(grid)), grid.items(), summary["lrs"]):
        if split(row):  # a median of two groups is a path no seed took: show every seed
            for i, curve in enumerate(curves):
                label = f"lr {lr:g}: each seed ({outcome_text(row['outcomes'])})"
                ax.plot(
                    curve, color=color, linewidth=0.9, alpha=0.85, label=label if i == 0 else None
                )
        else:
            plot_band(
                ax,
                curves,
                color=color,
                label=f"lr {lr:g}: median ({outcome_text(row['outcomes'])})",
            )
    threshold = config.converged_below
    threshold_line = ax.axhline(threshold, color="k", linestyle=":", linewidth=1.0)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(color="0.5", alpha=0.25, linewidth=0), threshold_line]
    labels += ["interquartile band over seeds", f"converged below {threshold:g}"]
    ax.set_yscale("log")
    ax.set_xlim(0, max(config.steps - 1, 1))
    ax.set_xlabel("SGD step")
    ax.set_ylabel("loss: sum of squares over 4 points (log scale)")
    ax.set_title(
        f"{_model_text(config)}: loss per learning rate\n"
        "median and interquartile band where all seeds end alike; each seed where they differ",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return save_figure(figure, folder, "curves_by_lr")


def jitter(count: int, width: float = 0.12) -> list[float]:
    """Factors that spread ``count`` points of one learning rate across ``width`` decades,
    by seed index, so that seeds with the same final loss do not hide each other.

    >>> [round(factor, 4) for factor in jitter(3)]
    [0.871, 1.0, 1.1482]
    """
    if count == 1:
        return [1.0]
    return [10 ** (width * (i / (count - 1) - 0.5)) for i in range(count)]


def _draw_final_vs_lr(config: Config, grid: Grid, summary: dict, folder: Path) -> list[Path]:
    from experiments.figures import new_figure, save_figure

    figure, ax = new_figure(size=(8.5, 5.0))
    lrs = list(grid)
    threshold = config.converged_below
    shown: set[str] = set()
    for lr, curves in grid.items():
        for factor, curve in zip(jitter(len(curves)), curves):
            loss = curve[-1]
            end = outcome(curve, converged_below=threshold)
            ax.scatter(
                [lr * factor],
                [loss],
                s=22,
                color=OUTCOME_COLORS[end],
                edgecolors="white",
                linewidths=0.4,
                zorder=3,
                label=f"a seed, {end}" if end not in shown else None,
            )
            shown.add(end)
    medians = [row["median"] for row in summary["lrs"]]
    ax.errorbar(
        lrs,
        medians,
        yerr=[
            [row["median"] - row["q1"] for row in summary["lrs"]],
            [row["q3"] - row["median"] for row in summary["lrs"]],
        ],
        color="0.3",
        marker="_",
        markersize=14,
        linewidth=1.2,
        capsize=4,
        zorder=2,
        label="median, interquartile range",
    )
    ax.axhline(
        threshold, color="k", linestyle=":", linewidth=1.0, label=f"converged below {threshold:g}"
    )
    if summary["best_lr"] is not None:
        ax.axvline(
            summary["best_lr"],
            color="0.5",
            linewidth=6,
            alpha=0.2,
            zorder=1,
            label=f"best learning rate ({summary['best_lr']:g})",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(lrs, [f"{lr:g}" for lr in lrs])
    ax.minorticks_off()
    ax.set_xlabel("learning rate (log scale; the seeds of a rate spread sideways, by seed)")
    ax.set_ylabel(f"final loss at step {config.steps - 1} (log scale)")
    ax.set_title(
        f"{_model_text(config)}: final loss against learning rate\n"
        f"{outcome_legend('improving', threshold)}; {outcome_legend('stalled', threshold)}",
        fontsize=9,
    )
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    order = [f"a seed, {name}" for name in OUTCOMES]  # seeds first, in outcome order
    ranked = sorted(
        zip(handles, labels),
        key=lambda pair: order.index(pair[1]) if pair[1] in order else len(order),
    )
    ax.legend(*zip(*ranked), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return save_figure(figure, folder, "final_loss_vs_lr")


def _draw_heatmap(config: Config, grid: Grid, folder: Path) -> list[Path]:
    from matplotlib.colors import LogNorm

    from experiments.figures import new_figure, save_figure

    finals = [[grid[lr][i][-1] for lr in grid] for i in range(len(config.seeds))]
    # One cell per run; past a few dozen rows or columns the cells shrink to fit the page
    # and lose their numbers.
    width = min(max(0.9 * len(grid) + 2.5, 6.5), 16.0)
    height = min(0.4 * len(config.seeds) + 1.8, 12.0)
    figure, ax = new_figure(size=(width, height))
    image = ax.imshow(finals, cmap="viridis", norm=LogNorm(), aspect="auto")
    if len(config.seeds) <= 25 and len(grid) <= 15:
        threshold = image.norm.vmin * (image.norm.vmax / image.norm.vmin) ** 0.5
        for row, values in enumerate(finals):
            for column, value in enumerate(values):
                color = "white" if value < threshold else "black"
                ax.text(
                    column, row, f"{value:.3g}", ha="center", va="center", fontsize=7, color=color
                )
    if len(grid) <= 30:
        ax.set_xticks(range(len(grid)), [f"{lr:g}" for lr in grid])
    if len(config.seeds) <= 40:
        ax.set_yticks(range(len(config.seeds)), [str(seed) for seed in config.seeds])
    else:
        ax.set_yticks([])
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"seed ({len(config.seeds)})")
    ax.set_title(f"Final loss at step {config.steps - 1}, seeds x learning rates")
    figure.colorbar(image, ax=ax, label="final loss (log scale)")
    return save_figure(figure, folder, "final_loss_heatmap")


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a small table for the terminal, then the best learning rate and its
    rule."""
    step = summary["final_step"]
    head = f"{'lr':>8}  {'median loss at step ' + str(step):>24}  {'interquartile range':>25}"
    lines = [head + "".join(f"  {name:>9}" for name in OUTCOMES)]
    for row in summary["lrs"]:
        spread = f"{number_text(row['q1'])} - {number_text(row['q3'])}"
        counts = "".join(f"  {row['outcomes'][name]:>9}" for name in OUTCOMES)
        lines.append(f"{row['lr']:>8g}  {number_text(row['median']):>24}  {spread:>25}{counts}")
    best = summary["best_lr"]
    lines.append(f"best learning rate: {'none' if best is None else f'{best:g}'}")
    lines.append(f"  rule: {summary['best_lr_rule']}")
    lines.append(f"  {summary['best_lr_reason']}")
    return "\n".join(lines)


@click.command(name="lr-sweep", cls=options.Command, context_settings=options.COMMAND_SETTINGS)
@options.seeds_option(Config.seeds)
@options.lrs_option(Config.lrs)
@options.steps_option(STEPS)
@options.layers_option(LAYERS)
@options.parallel_options
@options.output_options(NAME)
def main(
    seeds: tuple[int, ...],
    lrs: tuple[float, ...],
    steps: int,
    layers: tuple[int, ...],
    jobs: int | None,
    scheduler: str | None,
    out: Path,
    as_json: bool,
) -> None:
    """Train the reference MLP once per seed and learning rate; write every curve (CSV),
    the summary (outcomes per learning rate, the best rate and its rule) and three figures:
    curves by learning rate, final loss against learning rate, and a seeds x learning
    rates heatmap.

    \b
    Example:
      micrograd experiment lr-sweep --lrs 0.01,0.05,0.2 --seeds 0-9
      python -m experiments.lr_sweep --layers 8,8,1 -o results/lr_sweep_8x8
    """
    config = Config(seeds=seeds, lrs=lrs, steps=steps, layers=layers)
    with options.one_line_errors():
        summary = run(config, out, jobs=jobs, scheduler=scheduler)
    options.report(summary, format_summary(summary), out, as_json)


if __name__ == "__main__":
    main()
