"""The moons experiment: per-step loss and accuracy, the summary, the model file, figures."""

from __future__ import annotations

import pytest

from experiments import moons
from micrograd.losses import l2_penalty, max_margin
from tests.experiments.helpers import all_files, assert_nontrivial_png, read_csv, read_json
from toolkit import datasets
from toolkit.model_io import load_model

SMALL = moons.Config(samples=24, layers=(6, 1), steps=6)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("moons")
    return out, moons.run(SMALL, out)


def test_first_row_is_the_untrained_models_loss_and_accuracy(small_run):
    out, _ = small_run
    rows = read_csv(out / "training.csv")
    assert list(rows[0]) == ["step", "lr", "loss", "accuracy"]
    xs, ys = datasets.moons(24, noise=0.1, seed=0)
    model = moons.make_model(SMALL)
    scores = [model(x) for x in xs]
    expected = max_margin(scores, ys) + l2_penalty(model.parameters(), 1e-4)
    assert float(rows[0]["loss"]) == expected.data
    right = sum((score.data > 0) == (y > 0) for score, y in zip(scores, ys))
    assert float(rows[0]["accuracy"]) == right / 24


def test_learning_rate_falls_linearly_from_start_towards_end(small_run):
    out, _ = small_run
    lrs = [float(row["lr"]) for row in read_csv(out / "training.csv")]
    assert lrs[0] == 1.0
    assert lrs == pytest.approx([1.0 - 0.9 * step / 6 for step in range(6)], abs=1e-15)


def test_summary_agrees_with_the_last_row_and_the_saved_model(small_run):
    out, returned = small_run
    summary = read_json(out / "summary.json")
    assert summary == returned
    last = read_csv(out / "training.csv")[-1]
    assert (summary["final_step"], summary["final_loss"], summary["final_accuracy"]) == (
        5,
        float(last["loss"]),
        float(last["accuracy"]),
    )
    loaded = load_model(out / "model.json")
    xs, ys = datasets.moons(24, noise=0.1, seed=0)
    assert moons.accuracy(loaded.model, xs, ys) == summary["trained_model"]["accuracy"]
    assert moons.objective(loaded.model, xs, ys, 1e-4).data == summary["trained_model"]["loss"]
    assert loaded.metadata["config"]["layers"] == [6, 1]
    assert loaded.metadata["final_loss"] == summary["final_loss"]


def test_draws_training_curves_and_decision_boundary(small_run):
    out, _ = small_run
    for name in ("training", "decision_boundary"):
        assert_nontrivial_png(out / f"{name}.png")


def test_running_twice_gives_byte_identical_files_model_and_figures_included(
    small_run, tmp_path, monkeypatch
):
    out, _ = small_run
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    moons.run(SMALL, tmp_path)
    assert all_files(tmp_path) == all_files(out)
    assert len(all_files(out)) == 8
    assert load_model(out / "model.json").metadata["written_at"] == "1970-01-01T00:00:00+00:00"


def test_model_records_source_date_epoch_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    moons.run(SMALL, tmp_path)
    written = load_model(tmp_path / "model.json").metadata["written_at"]
    assert written == "2023-11-14T22:13:20+00:00"


def test_full_accuracy_first_reached_and_held_from_are_told_apart():
    accuracies = [0.9, 1.0, 0.99, 0.99, 1.0, 0.98, 1.0, 1.0, 1.0]
    assert moons.full_accuracy_steps(accuracies) == (1, 6)
    rows = [(step, 1.0, 0.5, value) for step, value in enumerate(accuracies)]
    summary = moons.summarize(rows, {"loss": 0.5, "accuracy": 1.0})
    assert (summary["full_accuracy_first_reached"], summary["full_accuracy_held_from"]) == (1, 6)
    assert "100% accuracy first reached at step 1, held from step 6" in moons.format_summary(
        summary
    )


def test_training_figure_marks_first_reached_and_held_from(tmp_path):
    accuracies = [0.9, 1.0, 0.99, 1.0, 1.0]
    rows = [(step, 1.0, 1.0 / (step + 1), value) for step, value in enumerate(accuracies)]
    moons._draw_training(SMALL, rows, tmp_path)
    svg = (tmp_path / "training.svg").read_text()
    assert "first 100%" in svg and "100% held from here" in svg


def test_classifier_learns_the_moons(tmp_path):
    summary = moons.run(moons.Config(samples=40, layers=(8, 8, 1), steps=30), tmp_path)
    rows = read_csv(tmp_path / "training.csv")
    assert summary["final_loss"] < float(rows[0]["loss"]) / 2
    assert summary["final_accuracy"] >= 0.85
