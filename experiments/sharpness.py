"""Sharpness along the learning-rate sweep: does gradient descent sit at the edge of stability?

Background: near a minimum, gradient descent with step size ``lr`` is stable only while the
sharpness, the largest eigenvalue of the loss Hessian, stays below ``2 / lr``. Above it the
loss spikes and the run either "catapults" into a flatter region and converges or lands on
a plateau (Lewkowycz et al. 2020, "The large learning rate phase of deep learning: the
catapult mechanism"); over longer training the sharpness often rises until it reaches
``2 / lr`` and hovers there (Cohen et al. 2021, "Gradient Descent on Neural Networks
Typically Occurs at the Edge of Stability").

Method: (1) the runs of ``lr_sweep`` (its config: the reference ``MLP(3, [4, 4, 1])``, tanh,
four points, sum of squares, 50 steps of plain gradient descent, seeds 0..9 x learning rates
0.005 to 0.5), and at every step the exact 41 x 41 Hessian at the parameters whose loss is
that step's loss, and its largest eigenvalue (``numpy.linalg.eigvalsh``). A run is
converged, improving, stalled or diverged as ``experiments.stats.outcome`` says, with
lr_sweep's ``converged_below``. (2) The two-moons classifier of ``experiments.moons`` (``MLP(2, [16,
16, 1])``, relu, max-margin loss + L2, 337 parameters), full-batch gradient descent at a
constant learning rate for 100 steps, the sharpness by Lanczos over Hessian-vector products
at each of the first 10 steps and every 5th after (``experiments.curvature``).

Writes ``results/sharpness/``: ``config.json``; ``reference_steps.csv`` (experiment, seed,
lr, step, loss, sharpness: every step of every run) and ``moons_steps.csv`` (the same, the
sharpness empty where not measured, and the Hessian-vector products Lanczos took);
``summary.json`` (per run: outcome, initial, largest and final sharpness, the steps above
``2 / lr``, the steps where the loss rose; per learning rate: the counts; for the reference
model, how many rises of the loss followed a step taken above ``2 / lr``); and three
figures: ``sharpness_by_lr`` (sharpness and loss per step, one row per learning rate, each
seed a line), ``edge_vs_final_loss`` (initial sharpness x lr / 2 against final loss, one
point per run) and ``moons_sharpness``.

    python -m experiments.sharpness [--seeds 0-9] [--lrs 0.05,0.5] [--jobs 2]
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from experiments import lr_sweep, moons, options, outputs, runner
from experiments.curvature import MoonsRun, Trajectory, measure, measured_steps
from experiments.reference import ReferenceRun, describe
from experiments.runner import run_all
from experiments.stats import OUTCOME_COLORS, OUTCOMES, outcome, outcome_legend, outcome_text
from toolkit.cli_types import Steps
from toolkit.graph import json_number

NAME = "sharpness"
REFERENCE_COLUMNS = ("experiment", "seed", "lr", "step", "loss", "sharpness")
MOONS_COLUMNS = (*REFERENCE_COLUMNS, "lanczos_products")
FLOOR = 1e-4
"""Figures draw a sharpness below this (a flat plateau's, or a negative one) at it."""


@dataclass(frozen=True)
class Config:
    # The reference model: lr_sweep's runs.
    seeds: tuple[int, ...] = lr_sweep.Config.seeds
    lrs: tuple[float, ...] = lr_sweep.Config.lrs
    steps: int = lr_sweep.Config.steps
    layers: tuple[int, ...] = lr_sweep.Config.layers
    converged_below: float = lr_sweep.Config.converged_below
    # The moons classifier (experiments.moons.Config's model, data and loss).
    moons_lrs: tuple[float, ...] = (0.1, 0.5, 1.0, 2.0)
    moons_steps: int = moons.Config.steps
    moons_every: int = 5  # measure every 5th step ...
    moons_first: int = 10  # ... and each of the first 10


Results = list[tuple[Any, Trajectory]]
"""Each run (``ReferenceRun`` or ``MoonsRun``) with its trajectory, in the config's order."""


def run(config: Config, out: Path, *, jobs: int = 1, scheduler: str | None = None) -> dict:
    """Run both models' trajectories, write the config, the per-step data, the summary and
    the figures to ``out``, and return the summary."""
    folder = outputs.results_folder(out)  # an unusable folder fails before the runs

    def measure_all(runs: list, model: str) -> list[Trajectory]:
        label = f"measuring {len(runs)} {model} run" + ("" if len(runs) == 1 else "s")
        return run_all(measure, runs, jobs=jobs, scheduler=scheduler, label=label)

    at = measured_steps(config.moons_steps, config.moons_every, config.moons_first)
    moons_runs = [MoonsRun(lr, config.moons_steps, at) for lr in config.moons_lrs]
    reference_runs = [
        ReferenceRun(seed, lr, config.steps, config.layers)
        for lr in config.lrs
        for seed in config.seeds
    ]
    # One bar per model: a moons run takes a hundred times a reference run, so a bar over
    # both would estimate the time left from runs of the other kind.
    reference_results = list(zip(reference_runs, measure_all(reference_runs, "reference")))
    moons_results = list(zip(moons_runs, measure_all(moons_runs, "moons")))
    summary = summarize(config, reference_results, moons_results)
    outputs.write_json(folder / "config.json", describe_config(config))
    outputs.write_csv(
        folder / "reference_steps.csv", REFERENCE_COLUMNS, step_rows(reference_results)
    )
    outputs.write_csv(folder / "moons_steps.csv", MOONS_COLUMNS, step_rows(moons_results, True))
    outputs.write_json(folder / "summary.json", summary)
    runner.announce("drawing the figures")
    draw(config, reference_results, moons_results, folder)
    return summary


def describe_config(config: Config) -> dict[str, Any]:
    """What ran, for ``config.json``: the reference setting, the moons setting, the config."""
    model = moons.Config()
    return {
        **describe(NAME, config),
        "sharpness": "largest eigenvalue of the loss Hessian at the parameters of each step: "
        "exact (numpy.linalg.eigvalsh) for the reference model, Lanczos over Hessian-vector "
        "products for moons",
        "moons": {
            "data": "toolkit.datasets.moons(samples, noise=noise, seed=data_seed), labels +-1",
            "model": f"MLP(2, {list(model.layers)}), relu hidden layers, linear output",
            "loss": "mean(relu(1 - y * score)) + alpha * sum(p * p)",
            "optimizer": "full-batch gradient descent at a constant learning rate",
            "measured_steps": list(
                measured_steps(config.moons_steps, config.moons_every, config.moons_first)
            ),
            **{key: asdict(model)[key] for key in ("seed", "data_seed", "samples", "noise")},
            "layers": list(model.layers),
            "alpha": model.alpha,
        },
    }


def step_rows(results: Results, products: bool = False) -> list[tuple]:
    """The rows of a per-step file: one per run per step (a diverged run's end at its last
    finite loss); with ``products``, the Hessian-vector products of each measurement."""
    rows = []
    for run, trajectory in results:
        seed = getattr(run, "seed", moons.Config.seed)
        for step, loss in enumerate(trajectory.losses):
            sharpness = trajectory.sharpness[step]
            row = (NAME, seed, run.lr, step, loss, "" if sharpness is None else sharpness)
            if products:
                count = trajectory.products[step]
                row = (*row, "" if count is None else count)
            rows.append(row)
    return rows


def summarize(config: Config, reference: Results, moons_results: Results) -> dict[str, Any]:
    """Per learning rate of each model: the threshold ``2 / lr``, every run's
    ``run_summary``; for the reference model also how many seeds ended in each outcome
    (``experiments.stats.OUTCOMES``), and the initial sharpness's spread, over all seeds
    and by outcome.

    >>> config = Config(seeds=(0,), lrs=(0.5,), moons_lrs=(1.0,))
    >>> curve = Trajectory(losses=[8.0, 7.99], sharpness=[9.0, 0.5], products=[None, None])
    >>> runs = [(ReferenceRun(0, 0.5, 2), curve)]
    >>> row = summarize(config, runs, [])["reference"]["lrs"][0]
    >>> row["threshold"], row["stalled"], row["runs"][0]["steps_above_threshold"]
    (4.0, 1, [0])
    """
    rows = []
    for lr in config.lrs:
        runs = [
            {"seed": run.seed, **run_summary(run.lr, trajectory, config.converged_below)}
            for run, trajectory in reference
            if run.lr == lr
        ]
        initial = [entry["initial_sharpness"] for entry in runs]
        initial = [value for value in initial if value is not None]
        rows.append(
            {
                "lr": lr,
                "threshold": 2 / lr,
                **{name: sum(entry["outcome"] == name for entry in runs) for name in OUTCOMES},
                "seeds_starting_above_threshold": sum(value > 2 / lr for value in initial),
                "initial_sharpness": _spread(initial),
                "initial_sharpness_by_outcome": _initial_by_outcome(runs),
                "runs": runs,
            }
        )
    moons_rows = [
        {"lr": run.lr, "threshold": 2 / run.lr, **run_summary(run.lr, trajectory, None)}
        for run, trajectory in moons_results
    ]
    return {
        "experiment": NAME,
        "reference": {
            "final_step": config.steps - 1,
            "converged_below": config.converged_below,
            "loss_rises": loss_rises(reference),
            "lrs": rows,
        },
        "moons": {"final_step": config.moons_steps - 1, "lrs": moons_rows},
    }


def run_summary(lr: float, trajectory: Trajectory, converged_below: float | None) -> dict[str, Any]:
    """One run: how it ended (when ``converged_below`` is given), its final loss (the
    non-finite loss that stopped it as ``"nan"``, ``"inf"`` or ``"-inf"``), the sharpness
    at the first and the last measured step and its largest, and the measured steps where
    it was above ``2 / lr``, and the steps whose loss is higher than the step's before."""
    measured = [(k, value) for k, value in enumerate(trajectory.sharpness) if value is not None]
    final_loss = (
        trajectory.losses[-1] if trajectory.diverged_at is None else trajectory.nonfinite_loss
    )
    largest = max(measured, key=lambda pair: pair[1], default=(None, None))
    summary: dict[str, Any] = {}
    if converged_below is not None:
        curve = [*trajectory.losses, *([] if trajectory.diverged_at is None else [final_loss])]
        summary["outcome"] = outcome(curve, converged_below=converged_below)
    counts = [count for count in trajectory.products if count is not None]
    summary.update(
        {
            "final_loss": json_number(final_loss),
            "diverged_at_step": trajectory.diverged_at,
            "initial_sharpness": measured[0][1] if measured else None,
            "largest_sharpness": largest[1],
            "largest_at_step": largest[0],
            "final_sharpness": measured[-1][1] if measured else None,
            "final_sharpness_step": measured[-1][0] if measured else None,
            "steps_above_threshold": [k for k, value in measured if value > 2 / lr],
            "loss_rose_at_steps": [
                k
                for k in range(1, len(trajectory.losses))
                if trajectory.losses[k] > trajectory.losses[k - 1]
            ],
        }
    )
    if counts:
        summary["lanczos_products"] = {"min": min(counts), "max": max(counts)}
    return summary


def loss_rises(runs: Results) -> dict[str, int]:
    """Over all ``runs`` (each measured at every step): how many steps raised the loss,
    how many of those were taken where the sharpness was above ``2 / lr``, and how many
    steps were taken there (the last step measured takes none).

    >>> up = Trajectory(losses=[1.0, 3.0, 2.0], sharpness=[5.0, 1.0, 5.0], products=[None] * 3)
    >>> loss_rises([(ReferenceRun(0, 1.0, 3), up)])
    {'steps': 1, 'after_a_step_above_threshold': 1, 'steps_taken_above_threshold': 1}
    """
    rises = after_above = above = 0
    for run, trajectory in runs:
        losses, sharpness = trajectory.losses, trajectory.sharpness
        for k in range(len(losses) - 1):
            unstable = sharpness[k] is not None and sharpness[k] > 2 / run.lr
            rose = losses[k + 1] > losses[k]
            above += unstable
            rises += rose
            after_above += unstable and rose
    return {
        "steps": rises,
        "after_a_step_above_threshold": after_above,
        "steps_taken_above_threshold": above,
    }


def _initial_by_outcome(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The spread of the initial sharpness of the runs of each outcome that occurred."""
    groups: dict[str, list[float]] = {name: [] for name in OUTCOMES}
    for entry in runs:
        if entry["initial_sharpness"] is not None:
            groups[entry["outcome"]].append(entry["initial_sharpness"])
    return {name: _spread(values) for name, values in groups.items() if values}


def _spread(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"min": None, "median": None, "max": None}
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


# Figures --------------------------------------------------------------------------------


def draw(config: Config, reference: Results, moons_results: Results, folder: Path) -> list[Path]:
    """The three figures: sharpness and loss by learning rate, the stability edge against
    the final loss, and the moons runs' sharpness and loss."""
    return [
        *_draw_reference(config, reference, folder),
        *_draw_edge(config, reference, folder),
        *_draw_moons(config, moons_results, folder),
    ]


def _floored(values: Sequence[float | None]) -> list[float | None]:
    return [None if value is None else max(value, FLOOR) for value in values]


def _threshold_line(ax: Any, lr: float) -> None:
    ax.axhline(2 / lr, color="k", linestyle="--", linewidth=1.2, zorder=3)
    ax.annotate(
        f"2/lr = {2 / lr:g}",
        (1.0, 2 / lr),
        xycoords=("axes fraction", "data"),
        xytext=(-4, -3),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
    )


def _draw_reference(config: Config, reference: Results, folder: Path) -> list[Path]:
    from matplotlib.lines import Line2D

    from experiments.figures import new_figure, save_figure

    rows = len(config.lrs)
    figure, axes = new_figure(
        rows, 2, size=(11.0, 1.7 * rows + 1.3), sharex=True, sharey="col", squeeze=False
    )
    for (sharp_ax, loss_ax), lr in zip(axes, config.lrs):
        runs = [(run, trajectory) for run, trajectory in reference if run.lr == lr]
        counts = {name: 0 for name in OUTCOMES}
        stuck: dict[float, list[int]] = {}  # the stalled seeds by final loss, to name them
        for run, trajectory in runs:
            entry = run_summary(lr, trajectory, config.converged_below)
            counts[entry["outcome"]] += 1
            color = OUTCOME_COLORS[entry["outcome"]]
            steps = range(len(trajectory.losses))
            sharp_ax.plot(steps, _floored(trajectory.sharpness), color=color, lw=0.9, alpha=0.8)
            loss_ax.plot(steps, trajectory.losses, color=color, lw=0.9, alpha=0.8)
            if entry["outcome"] == "stalled" and trajectory.losses[-1] > 0:
                level = float(f"{trajectory.losses[-1]:.2g}")
                stuck.setdefault(level, []).append(run.seed)
        for rank, (level, seeds) in enumerate(sorted(stuck.items(), reverse=True)):
            above = rank == 0  # the highest plateau's names above it, the others below
            loss_ax.annotate(
                ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(map(str, sorted(seeds))),
                (0.6, level),
                xycoords=("axes fraction", "data"),
                xytext=(0, 2 if above else -2),
                textcoords="offset points",
                va="bottom" if above else "top",
                ha="center",
                fontsize=7,
                color=OUTCOME_COLORS["stalled"],
            )
        _threshold_line(sharp_ax, lr)
        sharp_ax.set_ylabel(f"lr {lr:g}\nsharpness")
        loss_ax.set_ylabel("loss")
        loss_ax.annotate(
            outcome_text(counts),
            (0.99, 0.95),
            xycoords="axes fraction",
            ha="right",
            va="top",
            fontsize=8,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.8", "alpha": 0.8},
        )
        for ax in (sharp_ax, loss_ax):
            ax.set_yscale("log")
            ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_title(
        f"sharpness: largest eigenvalue of the 41 x 41 Hessian (log; < {FLOOR:g} drawn at it)",
        fontsize=10,
    )
    axes[0][1].set_title("loss: sum of squares over 4 points (log)", fontsize=10)
    # Room above the highest loss for the counts, so that they hide no curve.
    finite = [x for _, t in reference for x in t.losses if math.isfinite(x) and x > 0]
    if finite:
        axes[0][1].set_ylim(top=10 ** (math.ceil(math.log10(max(finite))) + 2))
    for ax in axes[-1]:
        ax.set_xlabel("gradient-descent step")
        ax.set_xlim(0, max(config.steps - 1, 1))
    handles = [Line2D([], [], color=OUTCOME_COLORS[name], lw=1.5) for name in OUTCOMES]
    handles.append(Line2D([], [], color="k", linestyle="--", lw=1.2))
    labels = [outcome_legend(name, config.converged_below) for name in OUTCOMES]
    labels.append("stability edge 2/lr")
    figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=9)
    figure.suptitle(
        f"MLP(3, {list(config.layers)}), {len(config.seeds)} seeds (one line each): "
        "sharpness and loss at every step, one row per learning rate",
        fontsize=11,
    )
    return save_figure(figure, folder, "sharpness_by_lr")


def _draw_edge(config: Config, reference: Results, folder: Path) -> list[Path]:
    from matplotlib import colormaps
    from matplotlib.lines import Line2D

    from experiments.figures import new_figure, save_figure

    figure, ax = new_figure(size=(8.0, 5.4))
    palette = colormaps["viridis"]
    colors = [palette(0.9 * i / max(len(config.lrs) - 1, 1)) for i in range(len(config.lrs))]
    markers = {"converged": "o", "improving": "^", "stalled": "s", "diverged": "X"}
    points = []
    for run, trajectory in reference:
        entry = run_summary(run.lr, trajectory, config.converged_below)
        if entry["initial_sharpness"] is None:
            continue
        x = max(entry["initial_sharpness"], FLOOR) * run.lr / 2
        points.append((run.lr, x, entry))
    finite = [e["final_loss"] for _, _, e in points if e["outcome"] != "diverged"]
    ceiling = 10 * max(finite) if finite else 1.0  # where diverged runs are drawn
    for color, lr in zip(colors, config.lrs):
        for name in OUTCOMES:
            chosen = [(x, e) for r, x, e in points if r == lr and e["outcome"] == name]
            if not chosen:
                continue
            ax.scatter(
                [x for x, _ in chosen],
                [ceiling if name == "diverged" else e["final_loss"] for _, e in chosen],
                color=color,
                marker=markers[name],
                s=36,
                edgecolors="k",
                linewidths=0.4,
                alpha=0.9,
                zorder=3,
            )
    ax.axvline(1.0, color="k", linestyle="--", linewidth=1.2)
    ax.annotate(
        "stability edge:\ninitial sharpness = 2/lr",
        (1.0, 0.02),
        xycoords=("data", "axes fraction"),
        xytext=(5, 0),
        textcoords="offset points",
        fontsize=8,
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("initial sharpness x lr / 2 (log scale; above 1: unstable from the start)")
    ax.set_ylabel(f"final loss at step {config.steps - 1} (log scale)")
    ax.set_title(
        f"MLP(3, {list(config.layers)}): initial curvature against final loss, one point per "
        f"run ({len(config.seeds)} seeds x {len(config.lrs)} learning rates)",
        fontsize=10,
    )
    ax.grid(True, which="major", alpha=0.3)
    rates = [Line2D([], [], marker="o", linestyle="", color=color) for color in colors]
    first = ax.legend(
        rates, [f"{lr:g}" for lr in config.lrs], title="learning rate", loc="lower left", fontsize=8
    )
    ax.add_artist(first)
    shapes = [
        Line2D([], [], marker=markers[name], linestyle="", color="0.5", markeredgecolor="k")
        for name in OUTCOMES
    ]
    ax.legend(
        shapes,
        [*OUTCOMES[:-1], "diverged (drawn at the top)"],
        title="outcome",
        loc="lower left",
        bbox_to_anchor=(0.2, 0.0),  # beside the rates, clear of the points and the edge
        fontsize=8,
    )
    return save_figure(figure, folder, "edge_vs_final_loss")


def _draw_moons(config: Config, moons_results: Results, folder: Path) -> list[Path]:
    from experiments.figures import new_figure, save_figure

    rows = len(moons_results)
    figure, axes = new_figure(
        rows, 2, size=(11.0, 1.8 * rows + 1.2), sharex=True, sharey="col", squeeze=False
    )
    for (sharp_ax, loss_ax), (run, trajectory) in zip(axes, moons_results):
        measured = [(k, v) for k, v in enumerate(trajectory.sharpness) if v is not None]
        sharp_ax.plot(
            [k for k, _ in measured],
            _floored([v for _, v in measured]),
            color="C2",
            marker="o",
            markersize=3,
            lw=0.8,
            linestyle=":",  # only the dots are measured
        )
        _threshold_line(sharp_ax, run.lr)
        loss_ax.plot(range(len(trajectory.losses)), trajectory.losses, color="C0", lw=1.2)
        if trajectory.diverged_at is not None:
            loss_ax.axvline(trajectory.diverged_at, color="C3", linestyle=":")
        sharp_ax.set_ylabel(f"lr {run.lr:g}\nsharpness")
        loss_ax.set_ylabel("loss")
        for ax in (sharp_ax, loss_ax):
            ax.set_yscale("log")
            ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_title(
        "sharpness: largest Hessian eigenvalue, Lanczos (log; dots: measured steps)", fontsize=10
    )
    model = moons.Config()
    axes[0][1].set_title(f"loss: max-margin + L2 over {model.samples} points (log)", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("gradient-descent step (full batch, constant learning rate)")
        ax.set_xlim(0, max(config.moons_steps - 1, 1))
    size = len(moons.make_model(model).parameters())
    figure.suptitle(
        f"Two moons, MLP(2, {list(model.layers)}) relu, {size} parameters: sharpness and loss, "
        "one row per learning rate (dashed: 2/lr)",
        fontsize=11,
    )
    return save_figure(figure, folder, "moons_sharpness")


def _short(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.4g}"


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as two small tables for the terminal."""
    reference = summary["reference"]
    lines = [
        "reference model: sharpness at step 0 against 2/lr, and how the runs ended",
        f"{'lr':>7} {'2/lr':>7} {'initial sharpness (median, range)':>34} "
        f"{'above 2/lr':>10}"
        + "".join(f" {name:>9}" for name in OUTCOMES)
        + "  median initial sharpness by outcome",
    ]
    for row in reference["lrs"]:
        spread = row["initial_sharpness"]
        text = (
            "-"
            if spread["median"] is None
            else f"{spread['median']:.2f} ({spread['min']:.2f}-{spread['max']:.2f})"
        )
        lines.append(
            f"{row['lr']:>7g} {row['threshold']:>7g} {text:>34} "
            f"{row['seeds_starting_above_threshold']:>10}"
            + "".join(f" {row[name]:>9}" for name in OUTCOMES)
            + "  "
            + ", ".join(
                f"{name} {spread['median']:.2f}"
                for name, spread in row["initial_sharpness_by_outcome"].items()
            )
        )
    rises = reference["loss_rises"]
    lines.append(
        f"the loss rose at {rises['steps']} steps, {rises['after_a_step_above_threshold']} of "
        f"them taken where the sharpness was above 2/lr; of the "
        f"{rises['steps_taken_above_threshold']} steps taken above 2/lr, "
        f"{rises['after_a_step_above_threshold']} raised the loss"
    )
    lines.append("moons: sharpness (initial, largest, final) against 2/lr")
    for row in summary["moons"]["lrs"]:
        values = [row[key] for key in ("initial_sharpness", "largest_sharpness")]
        values.append(row["final_sharpness"])
        shown = ", ".join("-" if value is None else f"{value:.3f}" for value in values)
        above = len(row["steps_above_threshold"])
        lines.append(
            f"{row['lr']:>7g} {row['threshold']:>7g}  {shown}; "
            f"above 2/lr at {above} measured steps; loss rose at "
            f"{len(row['loss_rose_at_steps'])} steps; final loss {_short(row['final_loss'])}"
        )
    return "\n".join(lines)


@click.command(name="sharpness", cls=options.Command, context_settings=options.COMMAND_SETTINGS)
@options.seeds_option(Config.seeds)
@options.lrs_option(Config.lrs, "Learning rates of the reference model, comma-separated.")
@options.steps_option(Config.steps)
@options.layers_option(Config.layers)
@click.option(
    "--moons-lrs",
    type=options.LearningRates(),
    default=",".join(f"{lr:g}" for lr in Config.moons_lrs),
    show_default=True,
    help="Learning rates of the moons classifier, comma-separated.",
)
@click.option(
    "--moons-steps",
    type=Steps(),
    default=Config.moons_steps,
    show_default=True,
    help="Gradient-descent steps of each moons run.",
)
@click.option(
    "--moons-every",
    type=click.IntRange(min=1),
    default=Config.moons_every,
    show_default=True,
    help="Measure the moons sharpness every this many steps (and at each of the first 10).",
)
@options.parallel_options
@options.output_options(NAME)
def main(
    seeds: tuple[int, ...],
    lrs: tuple[float, ...],
    steps: int,
    layers: tuple[int, ...],
    moons_lrs: tuple[float, ...],
    moons_steps: int,
    moons_every: int,
    jobs: int,
    scheduler: str | None,
    out: Path,
    as_json: bool,
) -> None:
    """Measure the sharpness (largest Hessian eigenvalue) at every step of the learning-rate
    sweep's runs, and along gradient descent on the moons classifier; write the per-step
    data (CSV), the summary (how the runs ended against the initial sharpness)
    and three figures.

    \b
    Example:
      micrograd experiment sharpness --jobs 2
      python -m experiments.sharpness --seeds 0-3 --lrs 0.1,0.5 --moons-lrs 1,2
    """
    config = Config(
        seeds=seeds,
        lrs=lrs,
        steps=steps,
        layers=layers,
        moons_lrs=moons_lrs,
        moons_steps=moons_steps,
        moons_every=moons_every,
    )
    with options.one_line_errors():
        summary = run(config, out, jobs=jobs, scheduler=scheduler)
    options.report(summary, format_summary(summary), out, as_json)


if __name__ == "__main__":
    main()
