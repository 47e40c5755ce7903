"""The numbers the README quotes about the sharpness experiment are a fresh run's."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from experiments import sharpness

README = Path(__file__).parents[2] / "README.md"


def g3(x: float) -> str:
    """Three significant digits, as the README writes them."""
    return f"{x:.3g}"


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = tmp_path_factory.mktemp("sharpness") / "results"
    sharpness.run(sharpness.Config(), out, jobs=2)
    return json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="module")
def readme() -> str:
    return " ".join(README.read_text().split())


def test_the_readmes_reference_sharpness_numbers_are_a_fresh_runs(summary, readme):
    rows = {row["lr"]: row for row in summary["reference"]["lrs"]}
    initial = rows[0.5]["initial_sharpness"]
    assert (
        f"The ten seeds start at sharpness {g3(initial['min'])} to {g3(initial['max'])} "
        f"(median {g3(initial['median'])})" in readme
    )
    for lr in (0.1, 0.2):
        runs = rows[lr]["runs"]
        assert all(run["steps_above_threshold"] for run in runs)
        assert all(run["outcome"] == "converged" for run in runs)
    assert "At lr 0.1 and 0.2 every run rises above 2/lr at some step" in readme
    assert "all 20 converge" in readme

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
    for seed in (2, 8):
        assert by_seed[seed]["largest_at_step"] == 0
    late = [by_seed[4], by_seed[9]]
    assert (
        f"(sharpness {g3(late[0]['largest_sharpness'])} at step {late[0]['largest_at_step']}, "
        f"{g3(late[1]['largest_sharpness'])} at step {late[1]['largest_at_step']})" in readme
    )
    plateaus = sorted({round(run["final_loss"]) for run in stalled}, reverse=True)
    assert plateaus == [8, 4] and "at loss 8 or 4" in readme

    ends = [
        run["final_sharpness"] / row["threshold"]
        for row in rows.values()
        for run in row["runs"]
        if run["final_sharpness"] is not None
    ]
    assert f"every run ends at most {max(ends):.0%} of it" in readme


def test_the_readmes_moons_sharpness_numbers_are_a_fresh_runs(summary, readme):
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
