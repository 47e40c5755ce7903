"""The numbers the README quotes about the sharpness experiment are a fresh run's."""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest

from experiments import sharpness

README = Path(__file__).parents[2] / "README.md"


def g3(x: float) -> str:
    """Three significant digits, as the README writes them."""
    return f"{x:.3g}"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sharpness") / "results"
    sharpness.run(sharpness.Config(), out, jobs=2)
    return out


@pytest.fixture(scope="module")
def summary(results):
    return json.loads((results / "summary.json").read_text())


def read_steps(path: Path) -> dict[tuple[float, int], list[tuple[float, float | None]]]:
    """(lr, seed) -> [(loss, sharpness or None)] by step, from a steps CSV."""
    runs = defaultdict(list)
    with path.open(newline="") as file:
        for row in csv.DictReader(file):
            sharp = float(row["sharpness"]) if row["sharpness"] else None
            runs[float(row["lr"]), int(row["seed"])].append((float(row["loss"]), sharp))
    return runs


@pytest.fixture(scope="module")
def reference_steps(results):
    return read_steps(results / "reference_steps.csv")


@pytest.fixture(scope="module")
def moons_steps(results):
    return {lr: steps for (lr, _), steps in read_steps(results / "moons_steps.csv").items()}


@pytest.fixture(scope="module")
def readme() -> str:
    return " ".join(README.read_text().split())


def test_the_readmes_reference_sharpness_numbers_are_a_fresh_runs(summary, reference_steps, readme):
    rows = {row["lr"]: row for row in summary["reference"]["lrs"]}
    initial = rows[0.5]["initial_sharpness"]
    assert (
        f"The ten seeds start at sharpness {g3(initial['min'])} to {g3(initial['max'])} "
        f"(median {g3(initial['median'])})" in readme
    )
    moderate = [run | {"lr": lr} for lr in (0.1, 0.2) for run in rows[lr]["runs"]]
    assert all(run["steps_above_threshold"] for run in moderate)
    assert all(run["outcome"] == "converged" for run in moderate)
    from_start = [run for run in moderate if run["steps_above_threshold"][0] == 0]
    crossing = max(run["steps_above_threshold"][0] for run in moderate)
    longest = max(len(run["steps_above_threshold"]) for run in moderate)
    last = max(run["steps_above_threshold"][-1] for run in moderate)
    rising = [run for run in moderate if run["loss_rose_at_steps"]]
    assert (
        f"At lr 0.1 and 0.2 every run is above 2/lr at some step: {len(from_start)} of the "
        f"{len(moderate)} from the start, the other {len(moderate) - len(from_start)} once their "
        f"sharpness has risen past it, by step {crossing}. None stays there: each run is above "
        f"it for at most {longest} steps, the last time by step {last}, and all "
        f"{len(moderate)} converge. The loss rises at some step in {len(rising)} of them; in "
        f"the other {len(moderate) - len(rising)} it only slows." in readme
    )
    assert f"the runs that sharpen past 2/lr fall back below it within {longest} steps" in readme

    runs = rows[0.5]["runs"]
    assert all(0 in run["steps_above_threshold"] for run in runs)
    stalled = [run for run in runs if run["outcome"] == "stalled"]
    converged = [run for run in runs if run["outcome"] == "converged"]
    seeds = ", ".join(str(run["seed"]) for run in stalled)
    assert (
        f"{len(stalled)} of {len(runs)} stall (seeds {seeds}) and {len(converged)} converge"
        in readme
    )
    median_stalled = statistics.median(run["initial_sharpness"] for run in stalled)
    median_converged = statistics.median(run["initial_sharpness"] for run in converged)
    assert (
        f"(median {g3(median_stalled)}, against {g3(median_converged)} for the converged)" in readme
    )
    by_seed = {run["seed"]: run for run in runs}
    assert by_seed[9]["outcome"] == "stalled" and by_seed[1]["outcome"] == "converged"
    assert (
        f"seed 9 ({g3(by_seed[9]['initial_sharpness'])}) stalls beside seed 1 "
        f"({g3(by_seed[1]['initial_sharpness'])}), and seed 6 "
        f"({g3(by_seed[6]['initial_sharpness'])}) converges" in readme
    )
    plateaus = sorted({round(run["final_loss"]) for run in stalled}, reverse=True)
    assert plateaus == [8, 4] and "at loss 8 or 4" in readme
    flattest = max(run["final_sharpness"] for run in stalled)
    assert flattest < 0.02 and "where the sharpness is below 0.02" in readme
    steps = {seed: reference_steps[0.5, seed] for seed in by_seed}
    assert all(loss > 7.9 for loss, _ in steps[2][1:]) and steps[2][0][0] < 7.9
    assert "Seed 2 lands on its plateau at step 1 and stays" in readme
    thrown = {
        seed: [k for k in by_seed[seed]["loss_rose_at_steps"] if steps[seed][k][0] > 7.9]
        for seed in (4, 8, 9)
    }
    assert (
        f"(the loss rises to 8 at steps {thrown[4][0]} and {thrown[4][1]}, {thrown[8][0]} and "
        f"{thrown[8][1]}, and {thrown[9][0]})" in readme
    )
    assert [len(found) for found in thrown.values()] == [2, 2, 1]
    onto_four = next(k for k, (loss, _) in enumerate(steps[9]) if loss < 4.05)
    assert all(round(loss, 1) == 4.0 for loss, _ in steps[9][onto_four:])
    assert steps[9][onto_four - 1][1] < 4 and by_seed[9]["largest_at_step"] == onto_four
    assert (
        f"seed 9 ends on the loss-4 plateau, reached at step {onto_four} by a step taken below "
        f"2/lr (sharpness {g3(steps[9][onto_four - 1][1])}), whereupon its sharpness peaks at "
        f"{g3(by_seed[9]['largest_sharpness'])}." in readme
    )

    rises = summary["reference"]["loss_rises"]
    assert (
        f"Over all 70 runs the loss rose at {rises['steps']} steps, "
        f"{rises['after_a_step_above_threshold']} of them steps taken where the sharpness was "
        f"above 2/lr, as the stability bound says. Being above it is not enough: of the "
        f"{rises['steps_taken_above_threshold']} steps taken above 2/lr, "
        f"{rises['after_a_step_above_threshold']} raised the loss." in readme
    )

    ends = [
        run["final_sharpness"] / row["threshold"]
        for row in rows.values()
        for run in row["runs"]
        if run["final_sharpness"] is not None
    ]
    assert f"every run ends at most {max(ends):.1%} of it" in readme


def test_the_readmes_moons_sharpness_numbers_are_a_fresh_runs(summary, moons_steps, readme):
    rows = {row["lr"]: row for row in summary["moons"]["lrs"]}
    assert f"the sharpness starts at {g3(rows[0.1]['initial_sharpness'])}" in readme
    above = [lr for lr, row in rows.items() if row["steps_above_threshold"]]
    assert above == [1.0, 2.0] and "only lr 1 and 2 take it above 2/lr" in readme
    assert (
        f"(largest {g3(rows[1.0]['largest_sharpness'])} at step {rows[1.0]['largest_at_step']}, "
        f"and {g3(rows[2.0]['largest_sharpness'])} at step {rows[2.0]['largest_at_step']})"
        in readme
    )
    below = [row["threshold"] / row["final_sharpness"] for row in rows.values()]
    assert f"ends {min(below):.2g} to {max(below):.2g} times below 2/lr" in readme
    for lr in (1.0, 2.0):
        losses = [loss for loss, _ in moons_steps[lr]]
        ratios = {k: losses[k] / losses[k - 1] for k in range(1, len(losses))}
        spike = max(ratios, key=ratios.get)
        assert spike == rows[lr]["largest_at_step"]
        taken_at = moons_steps[lr][spike - 1][1]
        assert taken_at < 2 / lr
    before = [g3(moons_steps[lr][rows[lr]["largest_at_step"] - 1][1]) for lr in (1.0, 2.0)]
    assert (
        f"both at the step where the loss spiked highest, by a step taken below 2/lr "
        f"({before[0]} and {before[1]})" in readme
    )
    rose = [len(row["loss_rose_at_steps"]) for row in rows.values()]
    assert f"the loss rose at {min(rose)} to {max(rose)} of the 99 steps of every run" in readme
    assert len(moons_steps[0.1]) == 100 and all(rose)
    assert f"(largest {g3(rows[0.1]['largest_sharpness'])}, against {2 / 0.1:g})" in readme
    half = moons_steps[0.5]
    assert (
        f"at lr 0.5 it rose {half[4][0] / half[3][0]:.2g} times at step 4 by a step taken at "
        f"sharpness {g3(half[3][1])} (against 4)" in readme
    )
