"""The micrograd command line, through click's runner and once as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import micrograd
from micrograd.demo import reference_run
from toolkit.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_version_prints_the_package_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert micrograd.__version__ in result.output


def test_demo_prints_the_loss_of_every_step_of_the_reference_run():
    result = invoke("demo", "--seed", "2")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    expected = reference_run(2)
    assert len(lines) == 50
    assert lines[0] == f"step   0  loss {expected[0]:.6g}"
    assert lines[-1] == f"step  49  loss {expected[-1]:.6g}"


def test_demo_json_gives_the_exact_losses():
    result = invoke("demo", "--seed", "1", "--steps", "7", "--json")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["losses"] == reference_run(1, steps=7)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--lr", "abc"], "'abc' is not a number"),
        (["demo", "--lr", "-1"], "must be a finite number greater than 0"),
        (["demo", "--lr", "nan"], "must be a finite number greater than 0"),
        (["demo", "--steps", "0"], "--steps"),
        (["demo", "--seed", "x"], "--seed"),
    ],
)
def test_bad_options_exit_2_with_one_line_naming_the_problem(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_diverging_demo_stops_with_one_line_naming_the_step():
    # A learning rate near the float limit sends weights to inf after one step.
    result = invoke("demo", "--seed", "2", "--lr", "1.7e308")
    assert result.exit_code == 1
    assert result.output.startswith("step   0  loss ")
    assert result.output.splitlines()[-1] == (
        "Error: loss became nan at step 1; stopped before updating the parameters"
    )
    assert "Traceback" not in result.output


def test_every_command_has_help_with_an_example():
    for args in (["--help"], ["demo", "--help"]):
        result = invoke(*args)
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_installed_console_script_runs_the_demo():
    script = [sys.executable, "-c", "from toolkit.cli import main; main()"]
    completed = subprocess.run(
        [*script, "demo", "--steps", "3"], capture_output=True, text=True, check=True
    )
    assert completed.stdout.splitlines()[0].startswith("step   0  loss ")
    failed = subprocess.run([*script, "demo", "--lr", "x"], capture_output=True, text=True)
    assert failed.returncode == 2
    assert (
        failed.stderr.strip().splitlines()[-1]
        == "Error: Invalid value for '--lr': 'x' is not a number"
    )


def test_demo_eager_and_compiled_print_the_same_losses():
    compiled = invoke("demo", "--seed", "4", "--json")
    eager = invoke("demo", "--seed", "4", "--json", "--eager")
    assert compiled.exit_code == eager.exit_code == 0
    assert json.loads(compiled.output)["losses"] == json.loads(eager.output)["losses"]
    assert json.loads(eager.output)["losses"] == reference_run(4, compiled=False)


def test_demo_with_numpy_prints_the_losses_within_1e_12_and_refuses_eager_too():
    numpy = invoke("demo", "--seed", "4", "--json", "--numpy")
    assert numpy.exit_code == 0, numpy.output
    losses, expected = json.loads(numpy.output)["losses"], reference_run(4)
    assert len(losses) == len(expected) == 50
    assert all(abs(ours - theirs) <= 1e-12 * theirs for ours, theirs in zip(losses, expected))
    both = invoke("demo", "--numpy", "--eager")
    assert both.exit_code == 2
    assert both.output.strip().splitlines()[-1] == (
        "Error: --eager and --numpy exclude each other: choose one"
    )
