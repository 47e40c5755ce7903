"""`micrograd train`, `micrograd predict` and `micrograd model show`, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from micrograd.demo import reference_run
from micrograd.losses import sum_of_squares
from micrograd.nn import MLP
from toolkit.cli import main
from toolkit.datasets import demo, moons
from toolkit.model_io import load_model, save_model
from toolkit.sparkline import sparkline
from toolkit.training import outputs


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def assert_one_line_error(result, message, exit_code=2):
    assert result.exit_code == exit_code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: ")


@pytest.fixture
def trained(tmp_path):
    """The reference model trained by the CLI: demo data, 3-4-4-1 tanh, 50 steps."""
    path = tmp_path / "model.json"
    result = invoke("train", "--data", "demo", "--steps", 50, "--seed", 0, "-o", path)
    assert result.exit_code == 0, result.output
    return path, result


def test_train_prints_every_step_and_saves_the_model_of_the_reference_run(trained):
    path, result = trained
    expected = reference_run(0)
    lines = result.output.splitlines()
    assert lines[:50] == [f"step {i:3d}  loss {loss:.6g}" for i, loss in enumerate(expected)]
    assert lines[50].startswith(f"wrote {path}: MLP(3 -> 4 tanh -> 4 tanh -> 1 tanh, 41 ")
    loaded = load_model(path)
    training = loaded.metadata["training"]
    assert training["loss_history"] == expected
    assert training | {"loss_history": None} == {
        "data": "demo",
        "samples": 4,
        "seed": 0,
        "loss": "sum_of_squares",
        "lr": 0.05,
        "steps": 50,
        "final_loss": training["final_loss"],
        "loss_history": None,
    }
    model = loaded.model
    xs, ys = demo()
    assert training["final_loss"] == sum_of_squares([model(x) for x in xs], ys).data
    assert training["final_loss"] < expected[-1]


def test_train_then_show_then_predict_agree_with_the_python_api(trained, tmp_path):
    path, _ = trained
    model = load_model(path).model

    result = invoke("predict", path, 2, 3, -1)
    assert result.exit_code == 0, result.output
    assert result.output == f"{model([2.0, 3.0, -1.0]).data!r}\n"

    rows = tmp_path / "rows.csv"
    rows.write_text("a,b,c\n2,3,-1\n0.5,1,1\n-3,0,2.5\n")
    result = invoke("predict", path, "--data", rows, "--json")
    assert result.exit_code == 0, result.output
    expected = [[model(x).data] for x in ([2, 3, -1], [0.5, 1, 1], [-3, 0, 2.5])]
    assert json.loads(result.output) == {"model": str(path), "outputs": expected}

    result = invoke("model", "show", path, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["parameters"] == 41
    assert shown["architecture"]["layers"] == [4, 4, 1]
    assert shown["metadata"] == load_model(path).metadata


def test_predict_accepts_a_training_csv_and_ignores_its_target_column(trained, tmp_path):
    path, _ = trained
    data = tmp_path / "train.csv"
    data.write_text("".join(",".join(map(str, [*x, y])) + "\n" for x, y in zip(*demo())))
    result = invoke("predict", path, "--data", data)
    assert result.exit_code == 0, result.output
    model = load_model(path).model
    assert result.output.splitlines() == [repr(model(x).data) for x in demo()[0]]


def test_model_show_gives_architecture_training_and_a_loss_sparkline(trained):
    path, _ = trained
    result = invoke("model", "show", path)
    assert result.exit_code == 0, result.output
    shown = dict(line.split(None, 1) for line in result.output.splitlines())
    history = reference_run(0)
    assert shown["architecture"] == "3 -> 4 tanh -> 4 tanh -> 1 tanh"
    assert shown["parameters"] == "41"
    assert shown["format"] == "micrograd-model version 1"
    assert shown["training.data"] == "demo"
    assert shown["training.lr"] == "0.05"
    assert shown["training.loss_history"] == (
        f"{sparkline(history)}  (50 values, {history[0]:.6g} -> {history[-1]:.6g}, log scale)"
    )
    line = sparkline(history)
    assert len(line) == 40 and line[0] == "█" and line[-1] == "▁"


def test_train_on_a_csv_takes_the_input_count_from_the_data(tmp_path):
    data = tmp_path / "xor.csv"
    data.write_text("x1,x2,y\n0,0,-1\n0,1,1\n1,0,1\n1,1,-1\n")
    path = tmp_path / "xor.json"
    result = invoke(
        "train", "--data", data, "--layers", "8,1", "--steps", 5, "-o", path,
        "--activation", "relu", "--output-activation", "linear",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    loaded = load_model(path)
    assert repr(loaded.model) == "MLP(2 -> 8 relu -> 1 linear, 33 parameters)"
    assert loaded.metadata["training"]["data"] == str(data)
    assert loaded.metadata["training"]["samples"] == 4


def test_long_runs_piped_print_every_step_and_no_progress(tmp_path):
    path = tmp_path / "moons.json"
    result = invoke("train", "--data", "moons", "--layers", "1", "--steps", 101, "-o", path)
    assert result.exit_code == 0, result.output
    history = load_model(path).metadata["training"]["loss_history"]
    assert result.stdout.splitlines()[:101] == [
        f"step {step:3d}  loss {loss:.6g}" for step, loss in enumerate(history)
    ]
    assert result.stderr == ""
    assert len(load_model(path).metadata["training"]["loss_history"]) == 101
    assert load_model(path).metadata["training"]["samples"] == len(moons()[0])


def test_existing_model_is_kept_unless_force_is_given(trained):
    path, _ = trained
    before = path.read_text()
    result = invoke("train", "--seed", 5, "--steps", 2, "-o", path)
    assert_one_line_error(result, "already exists; pass --force to overwrite it")
    assert "step" not in result.output  # refused before training
    assert path.read_text() == before
    result = invoke("train", "--seed", 5, "--steps", 2, "-o", path, "--force")
    assert result.exit_code == 0, result.output
    assert load_model(path).metadata["training"]["seed"] == 5


def test_diverging_training_names_the_step_and_writes_nothing(trained, tmp_path):
    path, _ = trained
    before = path.read_text()
    result = invoke("train", "--seed", 2, "--lr", "1.7e308", "-o", path, "--force")
    assert_one_line_error(
        result,
        "Error: loss became nan at step 1; stopped before updating the parameters;"
        " no model written",
        exit_code=1,
    )
    assert path.read_text() == before
    fresh = tmp_path / "fresh.json"
    invoke("train", "--seed", 2, "--lr", "1.7e308", "-o", fresh)
    assert not fresh.exists()
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "iris"], "unknown data set 'iris': choose demo, moons or a CSV file"),
        (["--data", "missing.csv"], "missing.csv: No such file or directory"),
        (["--layers", "4,x,1"], "'x' is not a whole number"),
        (["--layers", "4,0,1"], "'4,0,1': a layer has 1 to 1000 neurons, got 0"),
        (["--layers", "99999999,1"], "a layer has 1 to 1000 neurons, got 99999999"),
        (["--layers", "4,2"], "'4,2' must end with 1 (one output per target)"),
        (["--activation", "softmax"], "'softmax' is not one of"),
        (["--steps", "0"], "--steps"),
        (["--lr", "nan"], "must be a finite number greater than 0"),
        (["-o", "no/such/folder/m.json"], "does not exist"),
        (["--eager", "--numpy"], "--eager and --numpy exclude each other: choose one"),
        (["--batch-size", "0"], "'--batch-size': 0 is not in the range x>=1"),
    ],
)
def test_bad_train_options_exit_2_with_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = invoke("train", *(["-o", "m.json"] if "-o" not in args else []), *args)
    assert_one_line_error(result, message)
    assert not (tmp_path / "m.json").exists()


def test_train_with_numpy_saves_the_reference_model_within_1e_12(trained, tmp_path):
    path = tmp_path / "numpy.json"
    result = invoke("train", "--data", "demo", "--steps", 50, "--seed", 0, "-o", path, "--numpy")
    assert result.exit_code == 0, result.output
    ours, theirs = load_model(path).model.state_dict(), load_model(trained[0]).model.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(abs(ours[k] - theirs[k]) <= 1e-12 * abs(theirs[k]) for k in ours)


def test_bad_csv_data_is_reported_with_its_line_number(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text("x,y\n1,2\n3,four\n")
    result = invoke("train", "--data", data, "-o", tmp_path / "m.json")
    assert_one_line_error(
        result, f"Invalid value for '--data': {data}: line 3, column 2: expected a number"
    )


def test_predict_refuses_bad_input_with_one_line(trained, tmp_path):
    path, _ = trained
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3,4,5\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n1,2\n")
    cases = [
        ([path, 1, 2], "the model takes 3 inputs, got 2"),
        ([path], "give one of INPUTS, --input X1,X2,... or --data DATASET (not several"),
        ([path, 1, 2, 3, "--data", wide], "(not several, not none)"),
        ([path, 1, "nan", 3], "'nan' must be a finite number"),
        ([path, 1, "x", 3], "'x' is not a number"),
        ([path, "--data", wide], "rows have 5 columns; the model takes 3 inputs"),
        ([path, "--data", bad], "line 2: expected 3 columns like the rows before, got 2"),
        ([tmp_path / "absent.json", 1, 2, 3], "does not exist"),
    ]
    for args, message in cases:
        assert_one_line_error(invoke("predict", *args), message)


@pytest.mark.parametrize("command", [["predict"], ["model", "show"]])
def test_bad_model_files_exit_2_naming_the_json_path(tmp_path, command):
    path = tmp_path / "broken.json"
    save_model(MLP(2, [1]), path)
    path.write_text(path.read_text().replace('"b": ', '"b": "abc", "c": ', 1))
    result = invoke(*command, path, *(["1", "2"] if command == ["predict"] else []))
    assert_one_line_error(result, f"{path}: parameters.layers.0.neurons.0.c: unexpected key")
    path.write_text("{")
    result = invoke(*command, path, *(["1", "2"] if command == ["predict"] else []))
    assert_one_line_error(result, f"{path}: not valid JSON: Expecting property name")


def test_predict_prints_every_output_of_a_multi_output_model(tmp_path):
    model = MLP(2, [3, 2], seed=4)
    path = tmp_path / "two.json"
    save_model(model, path)
    result = invoke("predict", path, 0.5, -0.5)
    assert result.exit_code == 0, result.output
    assert result.output == " ".join(map(repr, outputs(model, [0.5, -0.5]))) + "\n"
    result = invoke("predict", path, 0.5, -0.5, "--json")
    assert json.loads(result.output)["outputs"] == [outputs(model, [0.5, -0.5])]


def test_model_commands_have_help_with_an_example():
    for args in (["train"], ["predict"], ["model"], ["model", "show"]):
        result = invoke(*args, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output


def test_errors_from_a_real_process_are_one_line_on_stderr(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "micrograd-model", "version": 9}')
    script = [sys.executable, "-c", "from toolkit.cli import main; main()"]
    failed = subprocess.run([*script, "model", "show", path], capture_output=True, text=True)
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr == (
        f"Error: {path}: version: this micrograd reads version 1, got 9"
        " (written by a newer micrograd)\n"
    )


def _csv(path, n):
    lines = [f"{i % 7 / 7:.3f},{i % 11 / 11:.3f},{1 if i % 2 else -1}" for i in range(n)]
    path.write_text("a,b,y\n" + "\n".join(lines) + "\n")
    return path


def test_a_model_too_large_to_train_even_eagerly_is_refused_at_once_with_the_estimate(tmp_path):
    result = invoke("train", "--layers", "1000,1000,1", "-o", tmp_path / "m.json")
    assert_one_line_error(
        result,
        "a step of MLP(3 -> 1000 -> 1000 -> 1) on 4 rows would take about 2.11 GB even on the "
        "eager engine (1,006,001 parameters, a graph of 9,046,038 nodes), more than the 1.00 GB "
        "limit; a batch of 1 row fits, taking about 784 MB: pass --batch-size 1",
    )
    assert "step" not in result.stdout
    assert os.listdir(tmp_path) == []


def test_large_data_trains_on_mini_batches_and_says_so(tmp_path):
    data, path = _csv(tmp_path / "rows.csv", 1_500), tmp_path / "m.json"
    result = invoke("train", "--data", data, "--steps", 3, "--lr", 0.001, "-o", path)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: 1,500 rows, more than 1,000: training on mini-batches of 1,000 rows, one a step, "
        "the rows shuffled afresh each epoch from the seed (--batch-size to choose)\n"
    )
    training = load_model(path).metadata["training"]
    assert (training["samples"], training["batch_size"], training["steps"]) == (1_500, 1_000, 3)
    again = tmp_path / "again.json"
    result = invoke(
        "train", "--data", data, "--steps", 3, "--lr", 0.001, "-o", again, "--batch-size", 1000
    )
    assert result.stderr == ""
    assert load_model(again).metadata["training"] == training
    assert load_model(again).model.state_dict() == load_model(path).model.state_dict()


def test_a_step_whose_tape_would_not_fit_trains_eagerly_and_says_so(tmp_path):
    data, path = _csv(tmp_path / "rows.csv", 3_500), tmp_path / "m.json"
    result = invoke(
        "train", "--data", data, "--batch-size", 3_500, "--steps", 1, "--lr", 0.001, "-o", path
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "note: compiling the graph of a step, 252,038 nodes, would take about 1.01 GB, more "
        "than the 1.00 GB limit: training eagerly instead (the same numbers bit for bit"
    )
    assert "batch_size" not in load_model(path).metadata["training"]


# -- model show on anything load_model accepts --------------------------------------------


def show_rows(path) -> dict[str, str]:
    result = invoke("model", "show", path)
    assert result.exit_code == 0, result.output
    return dict(line.split("  ", 1) for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    ("history", "shown"),
    [
        ([10**400, 1], "(2 values, 1e+400 -> 1, log scale)"),
        ([10**400] * 50 + [-1], "(51 values, 1e+400 -> -1)"),
        ([-(10**400), 0, 1], "(3 values, -1e+400 -> 1)"),
    ],
)
def test_model_show_draws_a_loss_history_of_whole_numbers_beyond_the_float_range(
    tmp_path, history, shown
):
    path = tmp_path / "m.json"
    metadata = {"training": {"loss_history": history, "final_loss": 10**4000}}
    save_model(MLP(2, [1], seed=0), path, metadata=metadata)
    assert load_model(path).metadata["training"]["loss_history"] == history
    rows = show_rows(path)
    assert rows["training.loss_history"].strip().endswith(shown)
    assert rows["training.final_loss"].strip() == "1e+4000"


def test_model_show_escapes_control_characters_of_keys_and_values(tmp_path):
    path = tmp_path / "m.json"
    metadata = {"note": "\x1b]0;PWNED\x07\x1b[2J", "k\x1b[31m\nX": 1, "bidi": "\u202eevil"}
    save_model(MLP(2, [1], seed=0), path, metadata=metadata)
    result = invoke("model", "show", path)
    assert result.exit_code == 0, result.output
    assert not any(c in result.stdout for c in "\x1b\x07\u202e")
    lines = result.stdout.splitlines()
    assert len(lines) == 4 + 5  # file, format, architecture, parameters, 5 metadata keys
    rows = dict(line.split(None, 1) for line in lines)
    assert rows["note"] == "\\x1b]0;PWNED\\x07\\x1b[2J"
    assert rows["k\\x1b[31m\\nX"] == "1"
    assert rows["bidi"] == "\\u202eevil"
    as_json = json.loads(invoke("model", "show", path, "--json").stdout)
    assert as_json["metadata"]["note"] == metadata["note"]  # the JSON keeps the text whole


def test_model_show_cuts_a_long_key_and_value(tmp_path):
    path = tmp_path / "m.json"
    save_model(MLP(2, [1], seed=0), path, metadata={"k" * 100_000: "v" * 100_000})
    result = invoke("model", "show", path)
    assert result.exit_code == 0, result.output
    assert max(map(len, result.stdout.splitlines())) < 200


def test_model_show_prints_losses_to_six_significant_digits(tmp_path):
    path = tmp_path / "m.json"
    metadata = {
        "training": {"loss": "sum_of_squares", "final_loss": 1.2229825066611168e87},
        "final_loss": 0.020555468810848805,
        "trained_model": {"loss": 0.020403385458788892, "accuracy": 1.0},
    }
    save_model(MLP(2, [1], seed=0), path, metadata=metadata)
    rows = {key: text.strip() for key, text in show_rows(path).items()}
    assert rows["training.final_loss"] == "1.22298e+87"
    assert rows["final_loss"] == "0.0205555"
    assert rows["trained_model.loss"] == "0.0204034"
    assert rows["training.loss"] == "sum_of_squares"  # a loss's name is not a number


def test_model_show_of_json_that_names_no_format_says_it_is_not_a_model_file(tmp_path):
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"experiment": "moons", "final_loss": 0.02}))
    for command, extra in ((["model", "show"], []), (["predict"], ["1", "2"])):
        result = invoke(*command, summary, *extra)
        assert_one_line_error(
            result,
            f"Error: {summary} is not a model file: it has no 'format' field "
            '(a model file\'s is "micrograd-model")',
        )


# -- predict speaks as every command does ---------------------------------------------


def test_predict_tells_a_mistyped_option_as_an_unknown_option(trained):
    path, _ = trained
    result = invoke("predict", path, "--inpt", "1,2,3")
    assert result.exit_code == 2
    assert result.output == "Error: No such option '--inpt'. Did you mean '--input'?\n"
    negative = invoke("predict", path, "1", "-2", "3")  # a negative number is still a number
    assert negative.exit_code == 0, negative.output


def test_predict_says_must_be_a_finite_number_as_every_command_does(trained):
    path, _ = trained
    for args in (["--input", "1,2,inf"], ["1", "2", "inf"]):
        result = invoke("predict", path, *args)
        assert_one_line_error(result, "'inf' must be a finite number")


@pytest.mark.parametrize("data", ["nothere.csv", "iris", "FOLDER", "empty.csv"])
def test_predict_refuses_data_in_the_words_of_train(trained, tmp_path, monkeypatch, data):
    path, _ = trained
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.csv").write_text("\n")
    data = str(tmp_path) if data == "FOLDER" else data
    trained_error = invoke("train", "--data", data, "-o", tmp_path / "new.json")
    predicted = invoke("predict", path, "--data", data)
    assert predicted.exit_code == trained_error.exit_code == 2
    assert predicted.output.startswith("Error: Invalid value for '--data': ")
    assert predicted.output == trained_error.output


def test_train_refuses_a_model_no_file_could_hold_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr("toolkit.model_io.MAX_PARAMETERS", 40)  # the demo MLP has 41
    result = CliRunner().invoke(
        main, ["train", "--data", "demo", "--layers", "4,4,1", "-o", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 2
    assert result.output == (
        "Error: Invalid value for '--layers': 41 parameters, more than the 40 a model file "
        "holds; use fewer or smaller layers\n"
    )
    assert not (tmp_path / "m.json").exists()
