"""The sharpness experiment, run small: exact and Lanczos eigenvalues against independent
ones, steps aligned, runs classified, the same bytes with one job or two."""

from __future__ import annotations

import json
import math
import random
from functools import partial

import pytest
from click.testing import CliRunner

from experiments import moons, sharpness
from experiments.curvature import (
    MoonsRun,
    lanczos_top,
    largest_eigenvalue,
    measure,
    measured_steps,
    moons_trajectory,
)
from experiments.reference import ReferenceRun
from experiments.stats import OUTCOMES, outcome
from micrograd import hessian
from micrograd.demo import demo_loss, demo_model, reference_run
from micrograd.gradients import compile_curvature
from micrograd.train import train
from tests.experiments.helpers import assert_nontrivial_png, read_csv, read_json
from tests.torch_losses import torch_moons_loss, torch_reference_loss
from toolkit.cli import main
from toolkit.datasets import moons as moons_data

SMALL = sharpness.Config(
    seeds=(0, 2), lrs=(0.1, 0.5), steps=8, moons_lrs=(1.0,), moons_steps=3, moons_every=5
)


def model_after(seed: int, lr: float, steps: int):
    """The reference model from ``seed`` after ``steps`` steps of ``micrograd.train``."""
    model = demo_model(seed)
    if steps:
        train(model, lambda: demo_loss(model), steps=steps, lr=lr, compiled=True)
    return model


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sharpness")
    return out, sharpness.run(SMALL, out, jobs=2)


def test_exact_sharpness_is_torchs_largest_hessian_eigenvalue_at_that_steps_parameters(torch):
    trajectory = measure(ReferenceRun(seed=4, lr=0.5, steps=5))
    for step in (0, 2, 4):
        flat = torch.tensor([p.data for p in model_after(4, 0.5, step).parameters()])
        expected = torch.linalg.eigvalsh(
            torch.autograd.functional.hessian(partial(torch_reference_loss, torch), flat)
        )[-1].item()
        assert trajectory.sharpness[step] == pytest.approx(expected, rel=1e-10, abs=1e-12)
        assert trajectory.losses[step] == pytest.approx(
            torch_reference_loss(torch, flat).item(), rel=1e-12
        )


def test_loss_and_sharpness_of_a_step_belong_to_the_same_parameters():
    # Step k's parameters are the model after k steps of micrograd.train: its loss is
    # losses[k] bit for bit, and the eager Hessian there has sharpness[k] as its top.
    trajectory = measure(ReferenceRun(seed=1, lr=0.2, steps=6))
    for step in range(6):
        model = model_after(1, 0.2, step)
        loss = demo_loss(model)
        assert loss.data == trajectory.losses[step]
        top = largest_eigenvalue(hessian(loss, model.parameters()))
        assert top == pytest.approx(trajectory.sharpness[step], rel=1e-12)


def test_runs_are_lr_sweeps_runs_bit_for_bit():
    for seed, lr in ((0, 0.05), (2, 0.5)):
        assert measure(ReferenceRun(seed, lr, 12)).losses == reference_run(seed, 12, lr)


def test_lanczos_finds_the_exact_largest_eigenvalue_of_the_reference_hessian():
    rng = random.Random(0)
    for seed, lr, steps in ((0, 0.05, 0), (2, 0.5, 3), (5, 0.2, 10), (9, 0.5, 30)):
        model = model_after(seed, lr, steps)
        parameters = model.parameters()
        tape = compile_curvature(demo_loss(model), parameters)
        values = [p.data for p in parameters]
        start = [rng.gauss(0.0, 1.0) for _ in values]
        top = lanczos_top(partial(tape.hvp, values), start)
        exact = largest_eigenvalue(tape.hessian(values))
        assert top.value == pytest.approx(exact, rel=1e-9, abs=1e-12)
        assert top.products < len(values)
        product = tape.hvp(values, top.vector)  # and the vector is its eigenvector
        assert max(abs(a - top.value * b) for a, b in zip(product, top.vector)) < 1e-4 * exact


def test_lanczos_finds_the_largest_eigenvalue_when_a_negative_one_is_as_large():
    # Power iteration swings between +-3 here; the largest is 3 - 1e-3.
    diagonal = [-3.0, 3.0 - 1e-3, 1.0, 0.5, -0.25, 0.0]
    top = lanczos_top(lambda v: [d * x for d, x in zip(diagonal, v)], [1.0] * 6)
    assert top.value == pytest.approx(3.0 - 1e-3, rel=1e-12)


def test_moons_sharpness_is_torchs_largest_hessian_eigenvalue(torch):
    config = moons.Config()
    trajectory = moons_trajectory(MoonsRun(lr=2.0, steps=4, measure_at=(0, 3)))
    assert [value is None for value in trajectory.sharpness] == [False, True, True, False]
    model = moons.make_model(config)
    xs, ys = moons_data(config.samples, noise=config.noise, seed=config.data_seed)
    train(model, lambda: moons.objective(model, xs, ys, config.alpha), steps=3, lr=2.0)
    for step, parameters in ((0, moons.make_model(config)), (3, model)):
        flat = torch.tensor([p.data for p in parameters.parameters()])
        loss = partial(torch_moons_loss, torch, config=config)
        expected = torch.linalg.eigvalsh(
            torch.autograd.functional.hessian(loss, flat, vectorize=True)
        )[-1]
        assert trajectory.sharpness[step] == pytest.approx(expected.item(), rel=1e-8)
        assert trajectory.losses[step] == pytest.approx(loss(flat).item(), rel=1e-12)


@pytest.mark.parametrize(
    ("losses", "expected"),
    [
        ([8.0, 0.01], "converged"),
        ([8.0, 0.05], "improving"),  # not below the bar, still falling
        ([0.05] * 11, "stalled"),
        ([7.9] * 3, "stalled"),
        ([8.0] + [7.99] * 10, "stalled"),  # the last 10 steps decide
        ([8.0] * 5 + [7.9], "improving"),  # more than 1% down
        ([7.9, float("nan")], "diverged"),
        ([float("inf")], "diverged"),
        ([1.0, float("-inf")], "diverged"),
    ],
)
def test_a_run_is_converged_improving_stalled_or_diverged_by_its_last_losses(losses, expected):
    assert outcome(losses, converged_below=0.05) == expected


def test_a_diverging_run_is_recorded_not_raised():
    trajectory = measure(ReferenceRun(seed=2, lr=1e308, steps=4))
    assert (trajectory.diverged_at, len(trajectory.losses), len(trajectory.sharpness)) == (1, 1, 1)
    assert math.isnan(trajectory.nonfinite_loss)
    summary = sharpness.run_summary(1e308, trajectory, converged_below=0.05)
    assert (summary["outcome"], summary["final_loss"], summary["diverged_at_step"]) == (
        "diverged",
        "nan",
        1,
    )
    json.dumps(summary, allow_nan=False)


def test_per_step_csv_holds_every_step_with_its_loss_and_sharpness(small_run):
    out, summary = small_run
    rows = read_csv(out / "reference_steps.csv")
    assert list(rows[0]) == ["experiment", "seed", "lr", "step", "loss", "sharpness"]
    assert len(rows) == 2 * 2 * 8
    for entry in summary["reference"]["lrs"]:
        for run in entry["runs"]:
            mine = [
                row
                for row in rows
                if row["lr"] == repr(entry["lr"]) and row["seed"] == str(run["seed"])
            ]
            trajectory = measure(ReferenceRun(run["seed"], entry["lr"], 8))
            assert [float(row["loss"]) for row in mine] == trajectory.losses
            assert [float(row["sharpness"]) for row in mine] == trajectory.sharpness
            assert run["initial_sharpness"] == trajectory.sharpness[0]
            assert run["final_sharpness"] == trajectory.sharpness[-1]
            assert run["largest_sharpness"] == max(trajectory.sharpness)
            above = [k for k, s in enumerate(trajectory.sharpness) if s > 2 / entry["lr"]]
            assert run["steps_above_threshold"] == above
        counts = [entry[name] for name in OUTCOMES]
        assert sum(counts) == 2
    moons_rows = read_csv(out / "moons_steps.csv")
    assert [row["sharpness"] != "" for row in moons_rows] == [True, True, True]
    assert measured_steps(3, every=5, first=10) == (0, 1, 2)


def test_summary_json_is_what_run_returns_and_figures_are_drawn(small_run):
    out, summary = small_run
    assert read_json(out / "summary.json") == summary
    for name in ("sharpness_by_lr", "edge_vs_final_loss", "moons_sharpness"):
        assert_nontrivial_png(out / f"{name}.png")
        assert (out / f"{name}.svg").stat().st_size > 10_000


def test_command_with_one_job_writes_the_same_bytes_as_two_jobs_figures_included(
    small_run, tmp_path
):
    out, summary = small_run
    result = CliRunner().invoke(
        main,
        [
            "experiment",
            "sharpness",
            *("--seeds", "0,2", "--lrs", "0.1,0.5", "--steps", "8"),
            *("--moons-lrs", "1", "--moons-steps", "3", "--moons-every", "5"),
            *("--jobs", "1", "--out", str(tmp_path), "--json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == summary
    written = sorted(path.name for path in out.iterdir())
    assert written == sorted(path.name for path in tmp_path.iterdir())
    assert len(written) == 10
    for name in written:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_each_model_has_a_bar_of_its_own_and_the_figures_are_announced(tmp_path, monkeypatch):
    shown = []
    real_run_all = sharpness.run_all

    def recording_run_all(task, items, **options):
        shown.append(options["label"])
        return real_run_all(task, items, **options)

    monkeypatch.setattr(sharpness, "run_all", recording_run_all)
    monkeypatch.setattr(sharpness.runner, "announce", shown.append)
    sharpness.run(SMALL, tmp_path / "out", jobs=1)
    assert shown == [
        "measuring 4 reference runs",
        "measuring 1 moons run",
        "drawing the figures",
    ]
