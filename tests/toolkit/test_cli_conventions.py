"""Every ``micrograd`` command behaves the same way: one-line errors and one rule for exit
codes, the same option names and ranges, formats that follow file names, progress on a
terminal only, CSV files as spreadsheets write them, and files recognised for what they are."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys

import matplotlib
import pytest
from click.testing import CliRunner

from micrograd import MLP
from micrograd.demo import demo_loss, demo_model, reference_run
from toolkit import cli_types
from toolkit.cli import main
from toolkit.datasets import demo, moons
from toolkit.graph import from_networkx, load_graph, save_graph
from toolkit.model_io import load_model, save_model

MOONS_LOSS = "mean(relu(1 - y * score)) + alpha * sum(p * p)"


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(arg) for arg in args], env=env)


def assert_one_line_error(result, message, exit_code=2):
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr, result.stderr


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.json"
    save_model(demo_model(0), path, metadata={"training": {"loss": "sum_of_squares"}})
    return path


@pytest.fixture
def graph_file(tmp_path):
    path = tmp_path / "loss.json"
    save_graph(demo_loss(demo_model(0)), path)
    return path


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train"], "Missing option '-o' / '--output'."),
        (["train", "-o", "m.json", "--activation", "softmax"], "'softmax' is not one of"),
        (["demo", "--steps", "x"], "Invalid value for '--steps': 'x' is not a valid integer"),
        (["graph", "analyze"], "Missing argument 'GRAPH_FILE'."),
        (["graph", "draw", "g.json", "--max-nodes", "0"], "'--max-nodes': 0 is not in the range"),
        (["graph", "export", "--data", "demo", "--format", "dot", "-o", "x.json"], "'dot' is not"),
        (["model", "show", "--colour"], "No such option"),
        (["nonsense"], "No such command 'nonsense'."),
        (["experiment", "moons", "--samples", "1"], "'--samples': 1 is not in the range"),
    ],
)
def test_click_usage_errors_are_one_line_with_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    save_graph(demo_loss(demo_model(0)), "g.json")
    result = invoke(*args)
    assert_one_line_error(result, message)
    assert "Usage:" not in result.output and "Try " not in result.output


def test_a_real_process_prints_exactly_one_error_line_on_stderr(tmp_path):
    script = [sys.executable, "-c", "from toolkit.cli import main; main()"]
    failed = subprocess.run(
        [*script, "train", "--activation", "softmax", "-o", tmp_path / "m.json"],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr == (
        "Error: Invalid value for '--activation': 'softmax' is not one of "
        "'tanh', 'relu', 'sigmoid', 'linear'.\n"
    )


@pytest.mark.parametrize("error", [RuntimeError("the disk caught fire"), MemoryError()])
def test_an_unexpected_exception_is_one_line_and_exit_1_unless_debugging(
    monkeypatch, graph_file, error
):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("toolkit.cli_graph.analyze", broken)
    result = invoke("graph", "analyze", graph_file)
    expected = (
        "out of memory"
        if isinstance(error, MemoryError)
        else "unexpected RuntimeError: the disk caught fire (run again with MICROGRAD_DEBUG=1"
    )
    assert_one_line_error(result, expected, exit_code=1)
    assert "Traceback" not in result.output
    debugging = invoke("graph", "analyze", graph_file, env={"MICROGRAD_DEBUG": "1"})
    assert debugging.exception is error  # let through, with its traceback


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc, where nobody can write")
def test_an_unwritable_output_folder_is_refused_before_training():
    result = invoke("train", "--data", "demo", "-o", "/proc/m.json")
    assert_one_line_error(result, "/proc/m.json: cannot write in folder /proc")
    assert "step" not in result.output


def test_a_write_that_fails_while_running_exits_1(tmp_path, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("toolkit.cli_graph.save_graph", disk_full)
    result = invoke("graph", "export", "--data", "demo", "-o", tmp_path / "g.json")
    assert_one_line_error(result, "cannot write", exit_code=1)
    assert "No space left on device" in result.stderr
    monkeypatch.setattr("toolkit.cli_model.save_model", disk_full)
    result = invoke("train", "--steps", 1, "-o", tmp_path / "m.json")
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write {tmp_path / 'm.json'}: No space left on device\n"


# -- names --------------------------------------------------------------------------------


def test_the_data_set_is_data_in_every_command(tmp_path, model_file):
    exported = invoke("graph", "export", "--data", "demo", "-o", tmp_path / "g.json")
    assert exported.exit_code == 0, exported.output
    assert load_graph(tmp_path / "g.json").number_of_nodes() == 366
    predicted = invoke("predict", model_file, "--data", "demo")
    assert predicted.exit_code == 0, predicted.output
    model = load_model(model_file).model
    assert predicted.output.splitlines() == [repr(model(x).data) for x in demo()[0]]
    # The old spelling still works and is no longer shown.
    old = invoke("graph", "export", "--loss", "demo", "-o", tmp_path / "old.json")
    assert old.exit_code == 0, old.output
    assert "--loss" not in invoke("graph", "export", "--help").output


def test_input_is_one_row_of_comma_separated_numbers_in_every_command(tmp_path, model_file):
    model = load_model(model_file).model
    predicted = invoke("predict", model_file, "--input", "2,3,-1")
    assert predicted.exit_code == 0, predicted.output
    assert predicted.output == f"{model([2.0, 3.0, -1.0]).data!r}\n"
    rows = tmp_path / "rows.csv"
    rows.write_text("2,3,-1\n")
    old = invoke("predict", model_file, "--input", rows)  # the old spelling of --data FILE
    assert old.exit_code == 0 and old.stdout == predicted.output
    assert old.stderr == f"note: use --data {rows} for a file of input rows\n"


@pytest.mark.parametrize(
    "command",
    [
        ["demo"],
        ["train", "-o", "m.json"],
        ["graph", "export", "--data", "demo", "-o", "g.json"],
        ["experiment", "moons"],
    ],
)
def test_a_negative_seed_is_refused_by_every_command(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = invoke(*command, "--seed", "-1")
    assert_one_line_error(result, "Invalid value for '--seed': -1 is not in the range x>=0.")


@pytest.mark.parametrize(
    "command",
    [["demo"], ["train", "-o", "m.json"], ["experiment", "loss-curve"], ["experiment", "moons"]],
)
def test_steps_have_the_same_cap_in_every_command(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = invoke(*command, "--steps", "1000001")
    assert_one_line_error(result, "'--steps': 1000001 is not in the range 1<=x<=1000000.")


def test_experiments_write_to_output_and_still_read_out(tmp_path):
    options = ["loss-curve", "--seeds", "0", "--steps", "2", "--jobs", "1", "--json"]
    new = invoke("experiment", *options, "-o", tmp_path / "new")
    old = invoke("experiment", *options, "--out", tmp_path / "old")
    assert new.exit_code == old.exit_code == 0, new.output + old.output
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert (tmp_path / "new" / "summary.json").is_file()
    help_text = invoke("experiment", "loss-curve", "--help").output
    options_section = help_text[help_text.index("Options:") :]
    assert "-o, --output DIRECTORY" in options_section and "--out " not in options_section


# -- formats follow file names ------------------------------------------------------------


def test_graph_export_writes_the_format_its_file_name_says(tmp_path):
    graphml = tmp_path / "loss.graphml"
    result = invoke("graph", "export", "--input", "2,3,-1", "-o", graphml)
    assert result.exit_code == 0, result.output
    assert graphml.read_text().startswith("<?xml")
    assert load_graph(graphml).number_of_nodes() == 117
    xml = tmp_path / "loss.xml"  # no known suffix: --format says which
    chosen = invoke("graph", "export", "--input", "2,3,-1", "--format", "graphml", "-o", xml)
    assert chosen.exit_code == 0, chosen.output
    assert xml.read_text().startswith("<?xml")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["graph", "export", "--input", "2,3,-1", "-o", "loss.dot"],
            "cannot tell the format of loss.dot from its name: end it in .json or .graphml, "
            "or pass --format",
        ),
        (
            ["graph", "export", "--input", "2,3,-1", "--format", "graphml", "-o", "loss.json"],
            "--format graphml contradicts the file name loss.json (.json is node-link)",
        ),
        (["graph", "view", "g.json", "-o", "g.json.out"], "its name ends in .html or .htm"),
        (["train", "-o", "model.txt"], "a model file is JSON, so its name must end in .json"),
    ],
)
def test_a_format_the_file_name_does_not_say_is_refused(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    save_graph(demo_loss(demo_model(0)), "g.json")
    result = invoke(*args)
    assert_one_line_error(result, message)
    assert sorted(os.listdir(tmp_path)) == ["g.json"]


# -- the loss a model was trained with ----------------------------------------------------


def test_export_builds_the_loss_the_model_file_records(tmp_path):
    from experiments.moons import objective

    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    path = tmp_path / "model.json"
    save_model(model, path, metadata={"config": {"loss": MOONS_LOSS, "alpha": 1e-4}})
    graph = tmp_path / "loss.json"
    result = invoke("graph", "export", path, "--data", "moons", "-o", graph)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"wrote {graph}: 65,818 nodes, 126,854 edges (loss graph of {path} over moons "
        "(100 points, noise 0.1, data seed 0: the built-in set; the file records no moons "
        "settings); loss: max_margin_l2, alpha 0.0001, as the file records)\n"
    )
    expected = objective(model, *moons(), 1e-4)
    assert from_networkx(load_graph(graph)).data == expected.data


def test_export_says_which_loss_when_the_file_records_none(tmp_path):
    path = tmp_path / "bare.json"
    save_model(MLP(2, [1], seed=0), path)
    result = invoke("graph", "export", path, "--data", "moons", "-o", tmp_path / "g.json")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("; loss: sum_of_squares (the file records none))\n")


# -- progress -----------------------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch):
    """Standard output and standard error are a terminal."""
    monkeypatch.setattr(cli_types, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(cli_types, "stderr_is_terminal", lambda: True)


def test_train_on_a_terminal_says_what_it_does_before_and_during_the_steps(
    tmp_path, terminal, monkeypatch
):
    monkeypatch.setattr(cli_types.Progress, "UPDATE_EVERY", 0.0)  # show every step
    path = tmp_path / "m.json"
    result = invoke("train", "--steps", 101, "-o", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {path}: ")  # results only
    statuses = [part.strip("\x1b[K") for part in result.stderr.split("\r")]
    assert "building the loss graph over 4 points" in statuses
    assert "compiling the loss graph: 366 nodes" in statuses
    assert statuses[statuses.index("compiling the loss graph: 366 nodes") + 1].startswith(
        "training: step 1 of 101, loss "
    )
    steps = [status for status in statuses if status.startswith("training: step ")]
    assert len(steps) == 101
    assert re.fullmatch(r"training: step 2 of 101, loss [0-9.e+-]+, about \d+ s left", steps[1])
    assert "left" not in steps[-1] and steps[-1].startswith("training: step 101 of 101, loss ")
    assert result.stderr.endswith("\r")  # the status line is cleared at the end (the escape
    # that erases the line is removed by click where stderr is not a real terminal)


def test_graph_commands_on_a_terminal_say_what_they_do(tmp_path, terminal):
    graph = tmp_path / "g.json"
    exported = invoke("graph", "export", "--data", "demo", "-o", graph)
    assert "building the loss graph of the demo MLP (seed 0) over demo" in exported.stderr
    assert "running backward" in exported.stderr
    assert f"writing {graph}: 366 nodes" in exported.stderr
    analysed = invoke("graph", "analyze", graph)
    assert f"reading {graph}" in analysed.stderr and "analysing 366 nodes" in analysed.stderr
    assert analysed.stdout.startswith("nodes ")
    drawn = invoke("graph", "draw", graph, "-o", tmp_path / "g.png")
    assert "drawing 366 nodes" in drawn.stderr


def test_piped_output_keeps_every_result_line_and_no_progress(tmp_path):
    result = invoke("demo", "--steps", 150)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"step {step:3d}  loss {loss:.6g}" for step, loss in enumerate(reference_run(0, 150))
    ]
    assert result.stderr == ""


# -- CSV files as people have them --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("excel.csv", "\ufeff2,3,-1,1\n3,-1,0.5,-1\n".encode()),
        ("semicolons.csv", b"x1;x2;x3;y\r\n2;3;-1;1\r\n3;-1;0.5;-1\r\n"),
        ("tabs.tsv", b"2\t3\t-1\t1\n3\t-1\t0.5\t-1\n"),
        ("sep-line.txt", b"sep=;\n2;3;-1;1\n3;-1;0.5;-1\n"),
        ("data.txt", b"2,3,-1,1\n3,-1,0.5,-1\n"),
    ],
)
def test_csv_files_as_spreadsheets_write_them_are_read(tmp_path, name, content):
    data = tmp_path / name
    data.write_bytes(content)
    path = tmp_path / "m.json"
    result = invoke("train", "--data", data, "--steps", 2, "-o", path)
    assert result.exit_code == 0, result.output
    assert load_model(path).metadata["training"]["samples"] == 2
    assert load_model(path).model.nin == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "x;y\n1,5;2,5\n",
            "line 2, column 1: expected a number, got '1,5' (fields separated by ';'",
        ),
        ('{"format": "micrograd-model"}', "is a JSON file, not a CSV file of numbers"),
    ],
)
def test_a_csv_that_cannot_be_read_says_what_was_found(tmp_path, content, message):
    data = tmp_path / "data.txt"
    data.write_text(content)
    assert_one_line_error(invoke("train", "--data", data, "-o", tmp_path / "m.json"), message)


def test_a_folder_as_data_is_named_a_folder(tmp_path):
    result = invoke("train", "--data", tmp_path, "-o", tmp_path / "m.json")
    assert_one_line_error(result, f"{tmp_path} is a folder, not a data set")


# -- files recognised for what they are ---------------------------------------------------


@pytest.mark.parametrize("name", ["loss.json", "loss.graphml"])
@pytest.mark.parametrize("command", ["predict", "model show"])
def test_a_graph_file_given_for_a_model_says_so(tmp_path, name, command):
    graph = tmp_path / name
    file_format = "graphml" if name.endswith(".graphml") else "node-link"
    save_graph(demo_loss(demo_model(0)), graph, format=file_format)
    extra = ["--input", "1,2,3"] if command == "predict" else []
    result = invoke(*command.split(), graph, *extra)
    assert_one_line_error(result, f"{graph} is a graph file, not a model file")


@pytest.mark.parametrize(
    "command", [["analyze"], ["draw", "-o", "out.png"], ["view", "-o", "out.html"], ["diff", "X"]]
)
def test_a_model_file_given_for_a_graph_says_so(tmp_path, monkeypatch, model_file, command):
    monkeypatch.chdir(tmp_path)
    args = [model_file if arg == "X" else arg for arg in command[1:]]
    result = invoke("graph", command[0], model_file, *args)
    assert_one_line_error(result, f"{model_file} is a model file, not a graph file")


# -- smaller things -----------------------------------------------------------------------


def test_pow_sub_and_div_operands_are_labelled_by_role_not_by_letter(tmp_path):
    from micrograd import Value

    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    graph, svg = tmp_path / "g.json", tmp_path / "g.svg"
    save_graph((a**b - a) / b, graph)
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        result = invoke("graph", "draw", graph, "-o", svg)
    assert result.exit_code == 0, result.output
    text = svg.read_text()
    for role in ("base", "exp", "left", "right"):
        assert f">{role}<" in text, role
    assert text.count(">a<") == 1 and text.count(">b<") == 1  # only the two variables


def test_model_show_draws_only_the_loss_history_as_a_sparkline(tmp_path):
    path = tmp_path / "m.json"
    metadata = {"config": {"layers": [16, 16, 1]}, "training": {"loss_history": [4.0, 2.0, 1.0]}}
    save_model(MLP(2, [1], seed=0), path, metadata=metadata)
    shown = dict(line.split(None, 1) for line in invoke("model", "show", path).output.splitlines())
    assert shown["config.layers"] == "[16, 16, 1]"
    assert shown["training.loss_history"].endswith("(3 values, 4 -> 1, log scale)")


def test_a_diverging_run_prints_short_numbers(tmp_path):
    result = invoke(
        "train", "--activation", "linear", "--lr", "1e20", "--steps", 3, "-o", tmp_path / "m.json"
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1] == "step   1  loss 2.52064e+129"


def test_an_error_about_a_number_echoes_what_was_typed(model_file):
    result = invoke("predict", model_file, "1e400", "2", "3")
    assert_one_line_error(result, "'1e400' must be a finite number")
    assert "inf" not in result.stderr


@pytest.mark.parametrize("group", [[], ["graph"], ["model"], ["experiment"]])
def test_a_group_called_with_no_command_prints_its_help(group):
    result = CliRunner().invoke(main, group, prog_name="micrograd")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: micrograd {' '.join(group)}".rstrip() + " [OPTIONS]")
    assert "\\n" not in result.output and "Commands:" in result.output


# -- interruption, option names ------------------------------------------------------------


def test_an_interruption_is_one_line_with_the_exit_code_of_sigint(monkeypatch, graph_file):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("toolkit.cli_graph.analyze", interrupted)
    result = invoke("graph", "analyze", graph_file)
    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr == "Error: interrupted\n"


def test_ctrl_c_in_a_real_process_prints_one_line_and_exits_130():
    script = [sys.executable, "-c", "from toolkit.cli import main; main()"]
    process = subprocess.Popen(
        [*script, "demo", "--steps", "1000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().startswith("step   0  loss ")  # training has started
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == "Error: interrupted\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["graph", "export", "--los", "demo"], "Error: No such option '--los'.\n"),
        (["experiment", "moons", "--bogus"], "Error: No such option '--bogus'.\n"),
        (
            ["experiment", "moons", "--outpt", "x"],
            "Error: No such option '--outpt'. Did you mean '--output'?\n",
        ),
        (
            ["graph", "export", "--inpt", "1,2,3"],
            "Error: No such option '--inpt'. Did you mean '--input'?\n",
        ),
    ],
)
def test_a_mistyped_option_is_told_only_the_visible_names(tmp_path, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr == expected


def test_an_experiment_script_suggests_only_visible_names_too():
    result = subprocess.run(
        [sys.executable, "-m", "experiments.moons", "--bogus"],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert (result.returncode, result.stderr) == (2, "Error: No such option '--bogus'.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["graph", "export", "--loss", "moons", "--data", "demo", "-o", "g.json"],
            "--data and --loss are one option (--data): give it once",
        ),
        (
            ["experiment", "moons", "--out", "a", "--output", "b"],
            "--output and --out are one option (-o / --output): give it once",
        ),
        (
            ["experiment", "moons", "-o", "a", "--output", "b"],
            "-o and --output are one option (-o / --output): give it once",
        ),
    ],
)
def test_one_option_under_two_spellings_is_refused(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(invoke(*args), message)
    assert os.listdir(tmp_path) == []


def test_drawing_deeper_than_the_scopes_says_the_level_drawn(tmp_path, graph_file):
    result = invoke("graph", "draw", graph_file, "-o", tmp_path / "g.png", "--level", 9)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"wrote {tmp_path / 'g.png'}: 366 nodes collapsed by scope at level 4 (the deepest of "
        "its scopes; level 9 was asked for): 11 boxes, 25 arrows\n"
    )
