"""The reference model over seeds x learning rates: how fast, and how far, it trains.

Method: as ``loss_curve`` (``MLP(3, [4, 4, 1])``, tanh, four points, sum of squares, 50
steps of plain SGD), once per seed (0..9) and learning rate (0.005 to 0.5).

Writes ``results/lr_sweep/``: ``config.json``, ``curves.csv`` (experiment, seed, lr, step,
loss: every run's full curve), ``summary.json`` (final loss per learning rate) and three
figures: ``curves_by_lr`` (median curve per learning rate with its interquartile band),
``final_loss_vs_lr`` (log-log, with the spread over seeds) and ``final_loss_heatmap``
(seeds x learning rates).

    python -m experiments.lr_sweep [--lrs 0.01,0.1] [--seeds 0-9] [--jobs 2]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from experiments import options, outputs
from experiments.reference import CURVE_COLUMNS, curve_rows, describe, sweep
from experiments.stats import quartiles
from micrograd.demo import LAYERS, STEPS

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


def run(config: Config, out: Path, *, jobs: int = 1, scheduler: str | None = None) -> dict:
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
    draw(config, grid, folder)
    return summary


def summarize(config: Config, grid: Grid) -> dict[str, Any]:
    """Per learning rate: the final loss's quartiles, extremes, how many seeds end below
    ``converged_below`` and every seed's value; and the learning rate with the lowest
    median final loss.

    >>> grid = {0.1: [[1.0, 0.5], [1.0, 0.3]], 0.2: [[1.0, 0.2], [1.0, 0.1]]}
    >>> summary = summarize(Config(seeds=(0, 1), lrs=(0.1, 0.2), steps=2), grid)
    >>> summary["best_lr"], [(row["lr"], row["max"]) for row in summary["lrs"]]
    (0.2, [(0.1, 0.5), (0.2, 0.2)])
    """
    rows = []
    for lr, curves in grid.items():
        finals = [curve[-1] for curve in curves]
        first, median, third = quartiles(finals)
        rows.append(
            {
                "lr": lr,
                "median": median,
                "q1": first,
                "q3": third,
                "min": min(finals),
                "max": max(finals),
                "seeds_below": sum(loss < config.converged_below for loss in finals),
                "final_losses": [
                    {"seed": s, "loss": loss} for s, loss in zip(config.seeds, finals)
                ],
            }
        )
    best = min(rows, key=lambda row: row["median"])
    return {
        "experiment": NAME,
        "final_step": config.steps - 1,
        "converged_below": config.converged_below,
        "best_lr": best["lr"],
        "lrs": rows,
    }


def draw(config: Config, grid: Grid, folder: Path) -> list[Path]:
    """The three figures: curves by learning rate, final loss against learning rate, and the
    seeds x learning rates heatmap."""
    return [
        *_draw_curves(config, grid, folder),
        *_draw_final_vs_lr(config, grid, folder),
        *_draw_heatmap(config, grid, folder),
    ]


def _lr_colors(count: int) -> list[Any]:
    # Imported here, not at the top: worker processes import this module (as __mp_main__
    # under python -m) and need no matplotlib.
    from matplotlib import colormaps

    palette = colormaps["viridis"]
    return [palette(0.9 * i / max(count - 1, 1)) for i in range(count)]


def _model_text(config: Config) -> str:
    return f"MLP(3, {list(config.layers)}), {len(config.seeds)} seeds"


def _draw_curves(config: Config, grid: Grid, folder: Path) -> list[Path]:
    from experiments.figures import new_figure, plot_band, save_figure

    figure, ax = new_figure()
    for color, (lr, curves) in zip(_lr_colors(len(grid)), grid.items()):
        plot_band(ax, curves, color=color, label=f"lr {lr:g}")
    ax.set_yscale("log")
    ax.set_xlim(0, max(config.steps - 1, 1))
    ax.set_xlabel("SGD step")
    ax.set_ylabel("loss: sum of squares over 4 points (log scale)")
    ax.set_title(f"{_model_text(config)}: median loss per learning rate, interquartile bands")
    ax.grid(True, alpha=0.3)
    ax.legend(title="learning rate", loc="lower left", ncols=2, fontsize=8)
    return save_figure(figure, folder, "curves_by_lr")


def _draw_final_vs_lr(config: Config, grid: Grid, folder: Path) -> list[Path]:
    from experiments.figures import new_figure, save_figure

    figure, ax = new_figure()
    lrs = list(grid)
    finals = [[curve[-1] for curve in curves] for curves in grid.values()]
    spreads = [quartiles(values) for values in finals]
    for lr, values in zip(lrs, finals):
        ax.scatter([lr] * len(values), values, s=12, color="0.55", alpha=0.7, zorder=2)
    medians = [spread[1] for spread in spreads]
    ax.errorbar(
        lrs,
        medians,
        yerr=[
            [median - spread[0] for median, spread in zip(medians, spreads)],
            [spread[2] - median for median, spread in zip(medians, spreads)],
        ],
        color="C0",
        marker="o",
        linewidth=2,
        capsize=4,
        zorder=3,
        label="median, interquartile range",
    )
    ax.scatter([], [], s=12, color="0.55", label="each seed")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(f"final loss at step {config.steps - 1} (log scale)")
    ax.set_title(f"{_model_text(config)}: final loss against learning rate")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
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
    """The summary as a small table for the terminal."""
    step = summary["final_step"]
    below = f"seeds below {summary['converged_below']}"
    lines = [
        f"{'lr':>8}  {'median loss at step ' + str(step):>24}  {'interquartile range':>23}  "
        + below
    ]
    for row in summary["lrs"]:
        spread = f"{row['q1']:.6f} - {row['q3']:.6f}"
        count = f"{row['seeds_below']} of {len(row['final_losses'])}"
        lines.append(
            f"{row['lr']:>8g}  {row['median']:>24.6f}  {spread:>23}  {count:>{len(below)}}"
        )
    lines.append(f"best learning rate by median final loss: {summary['best_lr']:g}")
    return "\n".join(lines)


@click.command(name="lr-sweep", context_settings=options.COMMAND_SETTINGS)
@options.seeds_option(Config.seeds)
@click.option(
    "--lrs",
    type=options.LearningRates(),
    default=",".join(f"{lr:g}" for lr in Config.lrs),
    show_default=True,
    help="Learning rates, comma-separated.",
)
@options.steps_option(STEPS)
@options.layers_option(LAYERS)
@options.parallel_options
@options.output_options(NAME)
def main(
    seeds: tuple[int, ...],
    lrs: tuple[float, ...],
    steps: int,
    layers: tuple[int, ...],
    jobs: int,
    scheduler: str | None,
    out: Path,
    as_json: bool,
) -> None:
    """Train the reference MLP once per seed and learning rate; write every curve (CSV),
    the summary and three figures: curves by learning rate, final loss against learning
    rate, and a seeds x learning rates heatmap.

    \b
    Example:
      micrograd experiment lr-sweep --lrs 0.01,0.05,0.2 --seeds 0-9 --jobs 2
      python -m experiments.lr_sweep --layers 8,8,1 --out results/lr_sweep_8x8
    """
    config = Config(seeds=seeds, lrs=lrs, steps=steps, layers=layers)
    with options.one_line_errors():
        summary = run(config, out, jobs=jobs, scheduler=scheduler)
    options.report(summary, format_summary(summary), out, as_json)


if __name__ == "__main__":
    main()
