"""The lr_sweep experiment, run small: tidy curves, summary per learning rate, figures."""

from __future__ import annotations

import statistics

import pytest

from experiments import lr_sweep
from micrograd.demo import reference_run
from tests.experiments.helpers import assert_nontrivial_png, data_files, read_csv, read_json

SMALL = lr_sweep.Config(seeds=(0, 1, 3), lrs=(0.05, 0.2), steps=6)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("lr_sweep")
    return out, lr_sweep.run(SMALL, out, jobs=2)


def test_every_run_is_in_one_tidy_csv(small_run):
    out, _ = small_run
    rows = read_csv(out / "curves.csv")
    assert len(rows) == 3 * 2 * 6
    assert {row["experiment"] for row in rows} == {"lr_sweep"}
    for lr in SMALL.lrs:
        for seed in SMALL.seeds:
            losses = [
                float(row["loss"])
                for row in rows
                if row["lr"] == repr(lr) and row["seed"] == str(seed)
            ]
            assert losses == reference_run(seed, steps=6, lr=lr)


def test_summary_gives_each_learning_rates_final_loss_spread(small_run):
    out, returned = small_run
    summary = read_json(out / "summary.json")
    assert summary == returned
    rows = read_csv(out / "curves.csv")
    assert [row["lr"] for row in summary["lrs"]] == [0.05, 0.2]
    for entry in summary["lrs"]:
        finals = [
            float(row["loss"])
            for row in rows
            if row["lr"] == repr(entry["lr"]) and row["step"] == "5"
        ]
        assert entry["median"] == statistics.median(finals)
        assert (entry["min"], entry["max"]) == (min(finals), max(finals))
        assert entry["seeds_below"] == sum(loss < 0.05 for loss in finals)
        assert [item["loss"] for item in entry["final_losses"]] == finals
    best = min(summary["lrs"], key=lambda entry: entry["median"])
    assert summary["best_lr"] == best["lr"]


def test_draws_three_figures(small_run):
    out, _ = small_run
    for name in ("curves_by_lr", "final_loss_vs_lr", "final_loss_heatmap"):
        assert_nontrivial_png(out / f"{name}.png")
        assert (out / f"{name}.svg").stat().st_size > 10_000


def test_running_twice_gives_byte_identical_data_with_one_job_or_two(small_run, tmp_path):
    out, _ = small_run
    lr_sweep.run(SMALL, tmp_path / "one", jobs=1)
    assert data_files(tmp_path / "one") == data_files(out)
    assert set(data_files(out)) == {"config.json", "curves.csv", "summary.json"}
