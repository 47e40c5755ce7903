"""`micrograd graph export | analyze | draw` through click's runner and as a real process."""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import pytest
from click.testing import CliRunner

from micrograd import MLP, Parameter, topological_order
from micrograd.demo import demo_loss, demo_model
from toolkit.analysis import analyze
from toolkit.cli import main
from toolkit.fingerprint import graph_fingerprint
from toolkit.graph import from_networkx, load_graph, save_graph


def invoke(*args: str):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def export(tmp_path, *args, name="g.json"):
    path = tmp_path / name
    result = invoke("graph", "export", *args, "-o", path)
    assert result.exit_code == 0, result.output
    return path, result


def parameter_grads(root):
    return {v.label: v.grad for v in topological_order(root) if type(v) is Parameter}


def test_export_loss_demo_writes_the_reference_loss_graph_with_its_gradients(tmp_path):
    path, result = export(tmp_path, "--data", "demo", "--seed", "3")
    G = load_graph(path)
    assert result.output == (
        f"wrote {path}: 366 nodes, 572 edges "
        "(loss graph of the demo MLP (seed 3) over demo; loss: sum_of_squares)\n"
    )
    model = demo_model(3)
    loss = demo_loss(model)
    loss.backward()
    stored = {G.nodes[n]["label"]: G.nodes[n]["grad"] for n in G}
    assert {name: stored[name] for name, _ in model.named_parameters()} == {
        name: p.grad for name, p in model.named_parameters()
    }
    rebuilt = from_networkx(G)
    assert bits(rebuilt.data) == bits(loss.data)
    rebuilt.backward()
    assert parameter_grads(rebuilt) == parameter_grads(loss)


def test_export_input_writes_the_forward_graph_of_one_input(tmp_path):
    path, _ = export(tmp_path, "--input", "2,3,-1", "--format", "graphml", name="g.graphml")
    assert path.read_text().startswith("<?xml")
    G = load_graph(path)
    root = from_networkx(G)
    assert root.data == demo_model(0)([2.0, 3.0, -1.0]).data
    labels = sorted(G.nodes[n]["label"] for n in G if G.nodes[n]["kind"] == "input")
    assert labels == ["x.0", "x.1", "x.2"]
    assert G.nodes[G.graph["root"]]["grad"] == 1.0


def test_export_without_grads_leaves_them_out(tmp_path):
    path, _ = export(tmp_path, "--input", "1,1,1", "--no-grads")
    assert all("grad" not in attributes for _, attributes in load_graph(path).nodes(data=True))


def test_export_of_a_model_file_uses_its_parameters(tmp_path):
    from toolkit.model_io import save_model

    model = MLP(2, [3, 1], seed=7)
    model_path = tmp_path / "model.json"
    save_model(model, model_path)
    path, result = export(tmp_path, model_path, "--input", "0.5,-2")
    assert f"(forward graph of {model_path} on (0.5,-2.0))" in result.output
    assert from_networkx(load_graph(path)).data == model([0.5, -2.0]).data
    moons_path, _ = export(tmp_path, model_path, "--loss", "moons", name="moons.json")
    assert analyze(load_graph(moons_path)).leaves_by_kind["input"] == 200


def test_analyze_prints_a_table_and_json_with_the_same_numbers(tmp_path):
    path, _ = export(tmp_path, "--loss", "demo")
    table = invoke("graph", "analyze", path)
    assert table.exit_code == 0
    assert table.output.splitlines()[0] == "nodes               366 (572 edges, root 365)"
    as_json = invoke("graph", "analyze", path, "--json", "--top", "2")
    document = json.loads(as_json.output)
    G = load_graph(path)
    expected = {**analyze(G, top=2).to_dict(), "fingerprint": graph_fingerprint(G)}
    assert document == json.loads(json.dumps(expected))
    assert len(document["top_fan_out"]) == 2


def test_draw_writes_the_image_and_says_what_it_drew(tmp_path):
    path, _ = export(tmp_path, "--input", "2,3,-1")
    png = tmp_path / "g.png"
    result = invoke("graph", "draw", path, "-o", png)
    assert result.exit_code == 0
    assert result.output == f"wrote {png}: all 117 nodes\n"
    assert png.read_bytes()[:4] == b"\x89PNG"
    # Per neuron a box: data feeds the 4 neurons of layer 0, each of which feeds the 4 of
    # layer 1, each of which feeds the output neuron: 10 boxes and 4 + 16 + 4 arrows.
    collapsed = invoke("graph", "draw", path, "-o", tmp_path / "c.svg", "--max-nodes", "50")
    assert collapsed.output == (
        f"wrote {tmp_path / 'c.svg'}: 117 nodes collapsed by scope at level 4: "
        "10 boxes, 24 arrows\n"
    )
    # At the top of the hierarchy: data -> layers, 3 elements.
    summary = invoke("graph", "draw", path, "-o", tmp_path / "s.svg", "--max-nodes", "2")
    assert summary.output.endswith(
        "a summary, since 117 nodes are more than --max-nodes 2 and even the outermost scopes "
        "are too many to draw\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "-o", "out.json"], "give either --input X1,X2,... (the forward graph"),
        (["export", "--input", "1,2,3", "--loss", "demo", "-o", "out.json"], "give either"),
        (["export", "--input", "1,2", "-o", "out.json"], "the model takes 3 inputs, got 2"),
        (["export", "--input", "1,x,2", "-o", "out.json"], "'--input': 'x' is not a number"),
        (["export", "--loss", "iris", "-o", "out.json"], "unknown data set 'iris'"),
        (["export", "--loss", "moons", "-o", "out.json"], "moons has 2 inputs per row but"),
        (["export", "--input", "1,2,3", "--format", "dot", "-o", "out.json"], "'dot' is not one"),
        (["export", "--input", "1,2,3"], "Missing option '-o' / '--output'"),
        (["export", "--input", "1,2,3", "-o", "no/such/dir/g.json"], "folder no/such/dir does not"),
        (["export", "missing.json", "--input", "1,2,3", "-o", "out.json"], "does not exist"),
        (["export", "--input", "1,2,3", "-o", "g.json"], "g.json already exists; pass --force"),
        (["export", "--input", "1,2,3", "-o", ""], "'' is not a file name"),
        (["export", "--input", "1,2,3", "-o", "g.json/out.json"], "g.json is not a folder"),
        (["analyze", "missing.json"], "'missing.json' does not exist"),
        (["analyze", "g.json", "--top", "0"], "--top"),
        (["draw", "g.json", "-o", "g.pdf"], "must end in .png or .svg"),
    ],
)
def test_bad_usage_exits_2_with_one_line_naming_the_problem(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    save_graph(demo_loss(demo_model(0)), "g.json")
    result = invoke("graph", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.output


def test_seed_with_a_model_file_is_a_usage_error(tmp_path):
    from toolkit.model_io import save_model

    model_path = tmp_path / "m.json"
    save_model(MLP(3, [1], seed=0), model_path)
    output = tmp_path / "g.json"
    result = invoke("graph", "export", model_path, "--seed", "2", "--input", "1,2,3", "-o", output)
    assert result.exit_code == 2
    assert "--seed applies only to the built-in demo MLP" in result.stderr


def test_a_bad_model_file_exits_2_with_one_line(tmp_path):
    model_path = tmp_path / "m.json"
    model_path.write_text('{"format": "micrograd-model"')
    result = invoke("graph", "export", model_path, "--input", "1,2,3", "-o", tmp_path / "g.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {model_path}: ")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "g.json").exists()


def corrupt(text: str, kind: str) -> str:
    document = json.loads(text)
    nodes = {node["id"]: node for node in document["nodes"]}
    root = document["graph"]["root"]
    if kind == "unknown op":
        nodes[root]["op"] = "sqrt"
    elif kind == "wrong arity":
        nodes[root]["op"] = "neg"
    elif kind == "non-numeric":
        nodes[0]["data"] = "abc"
    elif kind == "missing attribute":
        del nodes[0]["label"]
    elif kind == "dangling edge":
        document["edges"][0]["target"] = 10_000
    elif kind == "cycle":
        edge = next(e for e in document["edges"] if e["target"] == root and e["position"] == 0)
        edge["source"] = root
    return json.dumps(document)


def test_export_and_draw_keep_an_existing_file_unless_force_is_given(tmp_path):
    graph_path, image = tmp_path / "g.json", tmp_path / "g.png"
    image.write_bytes(b"an image kept from before")
    loss = demo_loss(demo_model(0))
    save_graph(loss, graph_path)
    before = graph_path.read_text()
    refused = invoke("graph", "export", "--input", "1,2,3", "-o", graph_path)
    assert refused.exit_code == 2 and graph_path.read_text() == before
    refused = invoke("graph", "draw", graph_path, "-o", image)
    assert refused.exit_code == 2 and image.read_bytes() == b"an image kept from before"
    forced = invoke("graph", "export", "--input", "1,2,3", "-o", graph_path, "--force")
    assert forced.exit_code == 0, forced.output
    forward_nodes = len(topological_order(demo_model(0)([1.0, 2.0, 3.0])))
    assert load_graph(graph_path).number_of_nodes() == forward_nodes < len(topological_order(loss))
    forced = invoke("graph", "draw", graph_path, "-o", image, "--force")
    assert forced.exit_code == 0 and image.read_bytes().startswith(b"\x89PNG")
    dangling = tmp_path / "link.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    refused = invoke("graph", "export", "--input", "1,2,3", "-o", dangling)
    assert refused.exit_code == 2 and dangling.is_symlink()
    assert "link.json already exists" in refused.stderr


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("truncated", "not valid JSON"),
        ("unknown op", "node 365: unknown op 'sqrt'"),
        ("wrong arity", "'position' must be an integer from 0 to 0, got 1"),
        ("non-numeric", "node 0: 'data' must be a number, got 'abc'"),
        ("missing attribute", "node 0: missing attribute 'label'"),
        ("dangling edge", "target 10000 is not a node (a dangling edge)"),
        ("cycle", "the graph has a cycle: 365 -> 365"),
    ],
)
def test_a_bad_graph_file_exits_2_with_one_line_naming_the_node(tmp_path, kind, message):
    path = tmp_path / "g.json"
    save_graph(demo_loss(demo_model(0)), path)
    text = path.read_text()
    path.write_text(text[: len(text) // 3] if kind == "truncated" else corrupt(text, kind))
    for command in (["analyze", path], ["draw", path, "-o", tmp_path / "out.png"]):
        result = invoke("graph", *command)
        assert result.exit_code == 2
        assert result.stderr == f"Error: {path}: {result.stderr.split(': ', 2)[2]}"
        assert message in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "out.png").exists()


def test_every_graph_command_has_help_with_an_example():
    for args in (["graph"], ["graph", "export"], ["graph", "analyze"], ["graph", "draw"]):
        result = invoke(*args, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_graph_commands_run_as_a_real_process(tmp_path):
    script = [sys.executable, "-c", "from toolkit.cli import main; main()"]
    path = tmp_path / "g.json"
    subprocess.run([*script, "graph", "export", "--loss", "demo", "-o", path], check=True)
    analysed = subprocess.run(
        [*script, "graph", "analyze", path, "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(analysed.stdout)["nodes"] == 366
    path.write_text("{")
    failed = subprocess.run([*script, "graph", "analyze", path], capture_output=True, text=True)
    assert failed.returncode == 2
    assert failed.stderr.startswith(f"Error: {path}: not valid JSON")
    assert len(failed.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("1,2,nan", "'nan' must be a finite number"),
        ("1,2,1e999", "'1e999' must be a finite number"),
        ("1,x,3", "'x' is not a number"),
    ],
)
def test_export_refuses_an_input_that_is_not_finite_numbers(tmp_path, bad, message):
    result = CliRunner().invoke(
        main, ["graph", "export", "--input", bad, "-o", str(tmp_path / "g.json")]
    )
    assert result.exit_code == 2
    assert f"Error: Invalid value for '--input': {message}\n" == result.output
    assert not (tmp_path / "g.json").exists()


# -- the data a model was trained on, and graphs too large to export -----------------------


def moons_model_file(tmp_path, config):
    from toolkit.model_io import save_model

    path = tmp_path / "moons.json"
    model = MLP(2, [4, 1], activation="relu", output_activation="linear", seed=0)
    loss = "mean(relu(1 - y * score)) + alpha * sum(p * p)"
    save_model(model, path, metadata={"config": {"loss": loss, "alpha": 1e-4, **config}})
    return path, model


def test_export_over_moons_uses_the_data_settings_the_model_file_records(tmp_path):
    from toolkit.datasets import moons
    from toolkit.training import loss_graph

    path, model = moons_model_file(tmp_path, {"samples": 50, "noise": 0.3, "data_seed": 5})
    graph, result = export(tmp_path, path, "--data", "moons")
    assert "over moons (50 points, noise 0.3, data seed 5, as the file records)" in result.output
    expected = loss_graph(model, *moons(50, noise=0.3, seed=5), "max_margin_l2", alpha=1e-4)
    rebuilt = from_networkx(load_graph(graph))
    assert bits(rebuilt.data) == bits(expected.data)
    assert len(topological_order(rebuilt)) == len(topological_order(expected))


def test_export_over_moons_says_which_settings_the_file_does_not_record(tmp_path):
    path, _ = moons_model_file(tmp_path, {"samples": 50})
    _, result = export(tmp_path, path, "--data", "moons")
    assert (
        "over moons (50 points, noise 0.1, data seed 0; the file records no noise, data_seed: "
        "the built-in set's)" in result.output
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"samples": 1}, "metadata.config.samples: expected a whole number of at least 2, got 1"),
        ({"noise": "x"}, 'metadata.config.noise: expected a finite number of at least 0, got "x"'),
        (
            {"data_seed": -1},
            "metadata.config.data_seed: expected a whole number of at least 0, got -1",
        ),
    ],
)
def test_export_refuses_moons_settings_it_cannot_use(tmp_path, config, message):
    path, _ = moons_model_file(tmp_path, config)
    result = invoke("graph", "export", path, "--data", "moons", "-o", tmp_path / "g.json")
    assert result.exit_code == 2
    assert result.output == f"Error: {path}: {message}\n"


@pytest.fixture
def nothing_is_built(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the graph was built")

    monkeypatch.setattr("toolkit.cli_graph.loss_graph", refuse)
    monkeypatch.setattr("toolkit.cli_graph.moons", refuse)


def test_export_refuses_a_graph_the_readers_could_not_read_back_before_building_it(
    tmp_path, nothing_is_built
):
    rows = tmp_path / "rows.csv"
    rows.write_text("0,0,0,0\n" * 18_600)
    result = invoke("graph", "export", "--data", rows, "-o", tmp_path / "g.json")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: the loss graph of the demo MLP (seed 0) over 18,600 rows of {rows} would have "
        "1,506,642 nodes, more than the 1,500,000 the graph readers accept, and exporting it "
        "as node-link would take about 4.67 GB, more than the 1.00 GB limit; use at most 3,981 "
        "rows\n"
    )
    assert not (tmp_path / "g.json").exists()


def test_export_refuses_a_graph_whose_export_would_not_fit_in_memory(tmp_path, nothing_is_built):
    rows = tmp_path / "rows.csv"
    rows.write_text("0,0,0,0\n" * 2_000)
    result = invoke("graph", "export", "--data", rows, "-o", tmp_path / "g.graphml")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: the loss graph of the demo MLP (seed 0) over 2,000 rows of {rows} would have "
        "162,042 nodes, and exporting it as graphml would take about 1.65 GB, more than the "
        "1.00 GB limit; use at most 1,209 rows\n"
    )


def test_export_refuses_moons_settings_too_large_before_drawing_the_points(
    tmp_path, nothing_is_built
):
    path, _ = moons_model_file(tmp_path, {"samples": 10**9, "noise": 0.1, "data_seed": 0})
    result = invoke("graph", "export", path, "--data", "moons", "-o", tmp_path / "g.json")
    assert result.exit_code == 2
    assert result.output.startswith(
        f"Error: the loss graph of {path} over 1,000,000,000 rows of moons would have "
    )


def test_export_refuses_a_forward_graph_too_large_to_read_back(tmp_path):
    from toolkit.model_io import save_model

    path = tmp_path / "wide.json"
    save_model(MLP(800_000, [1], activation="linear", seed=0), path)
    result = invoke("graph", "export", path, "--input", "0", "-o", tmp_path / "g.json")
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: the forward graph of {path} on (0.0) would have ")
    assert result.output.endswith("; use a smaller model\n")


def test_export_refuses_a_graph_of_more_scopes_than_a_file_holds_before_building(
    tmp_path, monkeypatch
):
    monkeypatch.setattr("toolkit.cli_graph.MAX_SCOPES", 12)
    result = invoke("graph", "export", "--data", "demo", "-o", tmp_path / "g.json")
    assert result.exit_code == 2
    assert result.output.startswith("Error: the loss graph of the demo MLP (seed 0)")
    # 9 neurons, layers, 3 layers, their 3 neurons folders; data, loss and no scope
    assert "would have up to 19 scopes, every level counted, more than the 12" in result.output
    assert not (tmp_path / "g.json").exists()
    from micrograd.demo import demo_loss, demo_model
    from toolkit.graph import to_networkx

    scopes = {a["scope"] for _, a in to_networkx(demo_loss(demo_model(0))).nodes(data=True)}
    levels = {".".join(s.split(".")[: k + 1]) for s in scopes for k in range(s.count(".") + 1)}
    assert len(levels) == 18  # the loss graph has no node outside every scope
