"""The moons experiment: per-step loss and accuracy, the summary, the model file, figures."""

from __future__ import annotations

import pytest

from experiments import moons
from micrograd.losses import l2_penalty, max_margin
from tests.experiments.helpers import assert_nontrivial_png, data_files, read_csv, read_json
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


def test_running_twice_gives_byte_identical_data(small_run, tmp_path):
    out, _ = small_run
    moons.run(SMALL, tmp_path)
    again, first = data_files(tmp_path), data_files(out)
    # The model file records when it was written; everything else is identical.
    assert again.pop("model.json") != b""
    first.pop("model.json")
    assert again == first


def test_classifier_learns_the_moons(tmp_path):
    summary = moons.run(moons.Config(samples=40, layers=(8, 8, 1), steps=30), tmp_path)
    rows = read_csv(tmp_path / "training.csv")
    assert summary["final_loss"] < float(rows[0]["loss"]) / 2
    assert summary["final_accuracy"] >= 0.85
