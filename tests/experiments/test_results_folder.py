"""A run replaces its results folder whole, only when complete, and only when asked to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from experiments import loss_curve, lr_sweep, moons, reference
from tests.experiments.helpers import all_files, read_json
from toolkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
SMALL_SWEEP = ["--seeds", "0-1", "--lrs", "0.05,0.2", "--steps", "4", "--jobs", "1"]
SMALL_MOONS = ["--samples", "20", "--layers", "4,1", "--steps", "3"]


def invoke(*args: str):
    return CliRunner().invoke(main, ["experiment", *args])


@pytest.fixture
def earlier(tmp_path):
    """A folder holding the results of an earlier run of lr-sweep, and their bytes."""
    out = tmp_path / "results" / "sweep"
    result = invoke("lr-sweep", *SMALL_SWEEP, "-o", str(out))
    assert result.exit_code == 0, result.output
    return out, all_files(out)


def left_beside(out: Path) -> list[str]:
    return sorted(path.name for path in out.parent.iterdir())


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["--lrs", "1e308", "--seeds", "2", "--steps", "3"], 1, "loss became nan"),
        (["--scheduler", "tcp://127.0.0.1:1"], 2, "Invalid value for '--scheduler'"),
    ],
)
def test_a_failing_run_leaves_the_earlier_results_and_nothing_else(
    earlier, args, exit_code, message, monkeypatch
):
    monkeypatch.setattr("experiments.runner.CONNECT_TIMEOUT", "1s")
    out, before = earlier
    result = invoke("lr-sweep", *args, "--force", "-o", str(out))
    assert result.exit_code == exit_code
    assert message in result.output
    assert all_files(out) == before
    assert left_beside(out) == ["sweep"]


def test_a_failing_first_run_leaves_no_folder(tmp_path):
    out = tmp_path / "new" / "moons"
    result = invoke("moons", *SMALL_MOONS, "--lr-start", "1e300", "-o", str(out))
    assert result.exit_code == 1, result.output
    assert "loss became" in result.output
    assert list(tmp_path.iterdir()) == []  # not even the parent folder made for it


def test_an_interrupted_run_leaves_the_earlier_results_and_nothing_else(earlier, monkeypatch):
    out, before = earlier

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # The data files are written by then; the figures are not.
    monkeypatch.setattr(lr_sweep, "_draw_heatmap", interrupted)
    result = invoke("lr-sweep", *SMALL_SWEEP, "--seeds", "0-2", "--force", "-o", str(out))
    assert result.exit_code == 130  # as shells report an interrupted command
    assert all_files(out) == before
    assert left_beside(out) == ["sweep"]


def test_sigterm_is_an_interruption_that_leaves_the_earlier_results(tmp_path):
    out = tmp_path / "moons"
    command = [sys.executable, "-m", "experiments.moons", "-o", str(out)]
    subprocess.run([*command, *SMALL_MOONS], cwd=ROOT, check=True, capture_output=True)
    before = all_files(out)
    process = subprocess.Popen(
        [*command, "--force"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not any(path.name.endswith(".partial") for path in tmp_path.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    time.sleep(0.5)  # into the training
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.decode().splitlines() == ["Error: interrupted"], stderr.decode()
    assert all_files(out) == before
    assert left_beside(out) == ["moons"]


def test_existing_results_are_refused_without_force_before_any_work(earlier, monkeypatch):
    out, before = earlier

    def no_work(*args, **kwargs):
        raise AssertionError("the runs started")

    monkeypatch.setattr(reference, "run_all", no_work)
    result = invoke("lr-sweep", *SMALL_SWEEP, "-o", str(out))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: Invalid value for '-o' / '--output': {out} holds results already; "
        "pass --force to replace them"
    )
    assert all_files(out) == before


def test_moons_refuses_to_replace_an_earlier_run_and_its_model_without_force(tmp_path):
    out = tmp_path / "moons"
    assert invoke("moons", *SMALL_MOONS, "-o", str(out)).exit_code == 0
    before = all_files(out)
    result = invoke("moons", *SMALL_MOONS, "--seed", "1", "-o", str(out))
    assert result.exit_code == 2
    assert "holds results already; pass --force to replace them" in result.output
    assert all_files(out) == before
    assert "model.json" in before


def test_with_force_the_results_are_replaced_whole(earlier):
    out, before = earlier
    (out / "stale.png").write_bytes(b"from another run")
    result = invoke("lr-sweep", *SMALL_SWEEP, "--lrs", "0.1", "--force", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert read_json(out / "config.json")["lrs"] == [0.1]
    assert "stale.png" not in all_files(out)
    assert set(all_files(out)) == set(before)
    assert left_beside(out) == ["sweep"]
    assert result.output.splitlines()[-1] == f"results in {out}{os.sep}"


def test_a_folder_that_holds_other_things_is_never_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke("loss-curve", "--seeds", "0", "--steps", "2", "--force", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "holds no experiment's results (no config.json)" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_an_empty_folder_is_filled_without_force(tmp_path):
    result = invoke("loss-curve", "--seeds", "0", "--steps", "2", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "summary.json").is_file()


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("loss_curve", ["--seeds", "5-2"]),
        ("lr_sweep", ["--lrs", "abc"]),
        ("moons", ["--seed", "-1"]),
    ],
)
def test_python_m_prints_one_line_errors_like_micrograd_experiment(module, args, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", f"experiments.{module}", *args, "-o", str(tmp_path / "x")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error: Invalid value for")


def test_piped_output_keeps_the_results_and_shows_no_progress(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "experiments.lr_sweep", *SMALL_SWEEP, "-o", str(tmp_path / "s")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == f"results in {tmp_path / 's'}{os.sep}"
    assert len(result.stdout.splitlines()) == 1 + 2 + 3 + 1  # header, rates, best, where


def test_the_loss_curve_figure_names_the_lecture_not_a_seed(tmp_path):
    loss_curve.run(loss_curve.Config(seeds=(0,), steps=3), tmp_path)
    svg = (tmp_path / "loss_curve.svg").read_text()
    assert "published run (the micrograd lecture)" in svg
    assert "(the seed)" not in svg


def test_moons_seeds_are_seeds(tmp_path):
    assert [p.type.__class__.__name__ for p in moons.main.params if "seed" in p.name] == [
        "Seed",
        "Seed",
    ]
