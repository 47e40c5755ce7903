"""The lr_sweep experiment, run small: tidy curves, summary per learning rate, figures."""

from __future__ import annotations

import re
import statistics

import pytest

from experiments import lr_sweep
from experiments.reference import sweep
from micrograd.demo import reference_run
from tests.experiments.helpers import all_files, assert_nontrivial_png, read_csv, read_json

FIGURES = ("curves_by_lr", "final_loss_vs_lr", "final_loss_heatmap")

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
        curves = {}
        for row in rows:
            if row["lr"] == repr(entry["lr"]):
                curves.setdefault(row["seed"], []).append(float(row["loss"]))
        converged = sum(loss < 0.05 for loss in finals)
        # Six steps: the last loss is compared with the first; falling by more than 1% is
        # improving, by less stalled.
        falling = sum(c[-1] >= 0.05 and c[-1] < 0.99 * c[0] for c in curves.values())
        assert entry["outcomes"] == {
            "converged": converged,
            "improving": falling,
            "stalled": len(finals) - converged - falling,
            "diverged": 0,
        }
        assert [item["loss"] for item in entry["final_losses"]] == finals


def test_draws_three_figures(small_run):
    out, _ = small_run
    for name in FIGURES:
        assert_nontrivial_png(out / f"{name}.png")
        assert (out / f"{name}.svg").stat().st_size > 10_000


def test_running_twice_gives_byte_identical_files_figures_included_with_one_job_or_two(
    small_run, tmp_path
):
    out, _ = small_run
    lr_sweep.run(SMALL, tmp_path / "one", jobs=1)
    assert all_files(tmp_path / "one") == all_files(out)
    assert set(all_files(out)) == {
        "config.json",
        "curves.csv",
        "summary.json",
        *(f"{name}.{kind}" for name in FIGURES for kind in ("png", "svg")),
    }


# The reference sweep's own numbers (seeds 0-9): at 0.5 the median final loss is the lowest
# of all, yet four seeds stall (three near 8, one at 4).
FULL = lr_sweep.Config()


@pytest.fixture(scope="module")
def full_summary():
    results = sweep(FULL.seeds, FULL.lrs, steps=FULL.steps)
    grid = {lr: [losses for run, losses in results if run.lr == lr] for lr in FULL.lrs}
    return grid, lr_sweep.summarize(FULL, grid)


def test_best_learning_rate_is_the_lowest_median_among_rates_where_every_seed_converged(
    full_summary,
):
    _, summary = full_summary
    by_lr = {row["lr"]: row for row in summary["lrs"]}
    assert min(by_lr.values(), key=lambda row: row["median"])["lr"] == 0.5  # the trap
    assert by_lr[0.5]["outcomes"] == {"converged": 6, "improving": 0, "stalled": 4, "diverged": 0}
    stalled = sorted(item["loss"] for item in by_lr[0.5]["final_losses"] if item["loss"] > 1)
    assert [round(loss) for loss in stalled] == [4, 8, 8, 8]
    assert summary["best_lr"] == 0.2
    assert summary["best_lr_rule"] == (
        "the lowest median final loss among the learning rates at which every seed "
        "converged (final loss below 0.05)"
    )
    assert [lr for lr, row in by_lr.items() if row["outcomes"]["converged"] == 10] == [
        0.05,
        0.1,
        0.2,
    ]
    text = lr_sweep.format_summary(summary)
    assert "best learning rate: 0.2" in text
    assert "rule: the lowest median final loss among" in text


def test_no_best_learning_rate_when_none_converges_on_every_seed():
    grid = {0.1: [[1.0, 0.01], [1.0, 3.0]], 0.2: [[1.0, 7.9], [1.0, 0.02]]}
    summary = lr_sweep.summarize(lr_sweep.Config(seeds=(0, 1), lrs=(0.1, 0.2), steps=2), grid)
    assert summary["best_lr"] is None
    assert summary["best_lr_reason"] == (
        "no learning rate qualifies: at none of the 2 did all 2 seeds converge"
    )
    assert "best learning rate: none" in lr_sweep.format_summary(summary)


def test_the_reason_reads_right_for_one_seed_or_one_rate():
    def reason(grid, seeds):
        config = lr_sweep.Config(seeds=seeds, lrs=tuple(grid), steps=2)
        return lr_sweep.summarize(config, grid)["best_lr_reason"]

    assert reason({0.1: [[1.0, 0.01]]}, (6,)) == (
        "the one seed converged at the one rate: 0.1, median final loss 0.01"
    )
    assert reason({0.1: [[1.0, 0.01]], 0.2: [[1.0, 3.0]]}, (6,)) == (
        "the one seed converged at 1 of the 2 learning rates: 0.1, median final loss 0.01"
    )
    assert reason({0.1: [[1.0, 3.0]]}, (6,)) == (
        "no learning rate qualifies: the one seed did not converge at the one rate"
    )
    both = {0.1: [[1.0, 0.01], [1.0, 0.02]], 0.2: [[1.0, 0.001], [1.0, 0.002]]}
    assert reason(both, (0, 1)) == (
        "all 2 seeds converged at 2 of the 2 learning rates; of those, 0.2 has the lowest "
        "median final loss (0.0015)"
    )


def test_terminal_summary_prints_six_significant_digits_even_for_huge_losses():
    grid = {0.1: [[1.0, 1.2345678e120], [1.0, 3.0]]}
    summary = lr_sweep.summarize(lr_sweep.Config(seeds=(0, 1), lrs=(0.1,), steps=2), grid)
    text = lr_sweep.format_summary(summary)
    assert "6.17284e+119" in text  # the median
    assert max(len(line) for line in text.splitlines()) < 160


def test_curves_figure_shows_every_seed_where_outcomes_split(full_summary, tmp_path):
    grid, summary = full_summary
    split = [row["lr"] for row in summary["lrs"] if lr_sweep.split(row)]
    assert split == [0.02, 0.5]
    figure_labels = _curve_labels(grid, tmp_path)
    assert "lr 0.5: each seed (6 converged, 4 stalled)" in figure_labels
    assert "lr 0.2: median (10 converged)" in figure_labels
    assert "interquartile band over seeds" in figure_labels
    assert not any(label.startswith("lr 0.5: median") for label in figure_labels)


def _curve_labels(grid, folder):
    """The legend entries of the curves figure, from its SVG (matplotlib writes each as
    a text comment)."""
    lr_sweep.draw(FULL, grid, folder)
    svg = (folder / "curves_by_lr.svg").read_text()
    return set(re.findall(r"<!-- (.+?) -->", svg))


def test_jitter_gives_each_seed_its_own_place_in_order():
    factors = lr_sweep.jitter(10)
    assert factors == sorted(factors) and len(set(factors)) == 10
    assert factors[0] < 1 < factors[-1]
    assert factors[4] * factors[5] == pytest.approx(1.0)


def test_learning_rate_colours_are_distinct():
    colors = lr_sweep._lr_colors(7)
    assert len(set(colors)) == 7
    closest = min(
        sum((x - y) ** 2 for x, y in zip(a[:3], b[:3])) ** 0.5
        for i, a in enumerate(colors)
        for b in colors[i + 1 :]
    )
    assert closest > 0.25
