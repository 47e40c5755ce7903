"""``micrograd experiment ...`` and ``python -m experiments.<name>``: one command each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from experiments import runner
from tests.experiments.helpers import data_files, read_json
from toolkit import cli_experiment
from toolkit.cli import main

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str):
    return CliRunner().invoke(main, ["experiment", *args])


def test_loss_curve_command_prints_the_summary_it_writes(tmp_path):
    out = tmp_path / "lc"
    result = invoke("loss-curve", "--seeds", "0-2", "--steps", "11", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == read_json(out / "summary.json")
    config = read_json(out / "config.json")
    assert (config["seeds"], config["steps"]) == ([0, 1, 2], 11)


def test_text_summary_shows_median_and_published_values(tmp_path):
    result = invoke("loss-curve", "--seeds", "0,4", "--steps", "11", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    summary = read_json(tmp_path / "summary.json")
    lines = result.stdout.splitlines()
    step_10 = next(line for line in lines if line.split()[0] == "10")
    assert f"{summary['steps'][1]['median']:.6g}" in step_10
    assert step_10.endswith("0.22114")
    assert lines[-2] == f"{summary['seeds_below']['count']} of 2 seeds end below 0.05"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["loss-curve", "--seeds", "5-2"], "range '5-2' runs backwards"),
        (["loss-curve", "--seeds", "1,x"], "'x' is not a seed or a range like 0-19"),
        (["loss-curve", "--seeds", "1,0-3"], "seed 1 is given twice"),
        (["loss-curve", "--seeds", "0-100000"], "more than 10,000 seeds"),
        (["loss-curve", "--lr", "0"], "must be a finite number greater than 0"),
        (["loss-curve", "--steps", "0"], "--steps"),
        (["loss-curve", "--layers", "4,2"], "'4,2' must end with 1 (one output per target)"),
        (["loss-curve", "--layers", "4,,1"], "'4,,1': '' is not a whole number"),
        (["loss-curve", "--layers", "²,1"], "'²,1': '²' is not a whole number"),
        (["loss-curve", "--jobs", "0"], "--jobs"),
        (["lr-sweep", "--lrs", "0.1,abc"], "'abc' is not a number"),
        (["lr-sweep", "--lrs", "0.1,0.1"], "a learning rate is given twice"),
        (["lr-sweep", "--scheduler", "http://h:1"], "is not an address like tcp://127.0.0.1:8786"),
        (["lr-sweep", "--scheduler", "tcp://h"], "is not an address like tcp://127.0.0.1:8786"),
        (["moons", "--noise", "nan"], "must be a finite number of at least 0"),
        (["moons", "--alpha", "-1"], "must be a finite number of at least 0"),
        (["moons", "--samples", "1"], "--samples"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
)
def test_bad_options_exit_2_with_one_line_naming_the_problem(args, message, tmp_path):
    result = invoke(*args, "--out", str(tmp_path)) if args != ["nonsense"] else invoke(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_diverging_run_exits_1_naming_seed_learning_rate_and_step(tmp_path):
    result = invoke(
        "lr-sweep", "--lrs", "1e308", "--seeds", "2", "--steps", "3", "--out", str(tmp_path)
    )
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: run with seed 2, lr 1e+308: loss became nan at step 1; "
        "stopped before updating the parameters"
    )


def test_unusable_scheduler_is_a_bad_option(tmp_path, monkeypatch):
    pytest.importorskip("distributed", reason="the unreachable case needs Dask installed")
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", "1s")
    result = invoke(
        "loss-curve", "--seeds", "0", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path)
    )
    assert result.exit_code == 2
    assert "Invalid value for '--scheduler': cannot reach a Dask scheduler" in result.output
    assert "Traceback" not in result.output


def test_missing_dask_is_a_bad_option_naming_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    result = invoke("lr-sweep", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "Invalid value for '--scheduler': needs Dask" in result.output


def test_without_a_source_checkout_the_experiments_say_so(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_experiment, "repository_root", lambda: tmp_path)
    result = invoke("moons")
    assert result.exit_code == 2
    assert "the experiments are scripts of the source checkout" in result.output


def test_every_experiment_command_has_help_with_an_example():
    for args in (["--help"], *([name, "--help"] for name in cli_experiment.EXPERIMENTS)):
        result = invoke(*args)
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_console_script_elsewhere_and_python_m_in_the_repo_write_the_same_bytes(tmp_path):
    # The console script runs from any folder, with worker processes; python -m runs from
    # the repository root. Both are the same command and write the same data.
    options = ["--seeds", "0-2", "--lrs", "0.05,0.2", "--steps", "5", "--jobs", "2"]
    script = [sys.executable, "-c", "from toolkit.cli import main; main()", "experiment"]
    subprocess.run(
        [*script, "lr-sweep", *options, "--out", "here"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "experiments.lr_sweep", *options, "--out", str(tmp_path / "m")],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert data_files(tmp_path / "here") == data_files(tmp_path / "m")
    assert len(data_files(tmp_path / "m")) == 3


def test_an_unwritable_results_folder_fails_at_once_with_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(
        main,
        ["experiment", "loss-curve", "--seeds", "0", "--steps", "2", "--out", str(blocker / "x")],
    )
    assert result.exit_code == 2
    assert "cannot write the results" in result.output
    assert "training" not in result.output  # no run started
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]
