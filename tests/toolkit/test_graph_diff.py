"""`micrograd graph diff` and ``toolkit.graph_diff``: structure, counts and the largest changes."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from micrograd import Parameter, Value, scope
from micrograd.demo import demo_loss, demo_model
from micrograd.train import train
from toolkit.cli import main
from toolkit.graph import save_graph, to_networkx
from toolkit.graph_diff import change, diff_graphs, format_graph_diff

NAN, INF = math.nan, math.inf


def invoke(*args):
    return CliRunner().invoke(main, ["graph", "diff", *map(str, args)])


def strict_json(text: str):
    """Parse ``text``, refusing the NaN and Infinity tokens that strict JSON does not have."""

    def refuse(token: str):
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def loss_graph_file(model, path, file_format="node-link"):
    loss = demo_loss(model)
    loss.backward()
    save_graph(loss, path, format=file_format)
    return path


@pytest.fixture(scope="module")
def before_and_after_training(tmp_path_factory):
    folder = tmp_path_factory.mktemp("training")
    model = demo_model(0)
    initial = model.state_dict()
    before = loss_graph_file(model, folder / "before.json")
    train(model, lambda: demo_loss(model), steps=20, lr=0.05)
    after = loss_graph_file(model, folder / "after.graphml", file_format="graphml")
    trained = model.state_dict()
    moved = {name: abs(trained[name] - initial[name]) for name in initial}
    return before, after, moved


def test_training_changes_no_structure_and_the_largest_parameter_change_is_found(
    before_and_after_training,
):
    before, after, moved = before_and_after_training
    result = invoke(before, after, "--kind", "parameter", "--json")
    assert result.exit_code == 0, result.output
    document = strict_json(result.output)
    assert document["same_structure"] is True
    assert document["fingerprint_a"] == document["fingerprint_b"]
    assert document["count_differences"] == []
    changes = {entry["scope"]: entry for entry in document["changes"]}
    neuron_scopes = {".".join(name.split(".")[:4]) for name in moved}  # layers.I.neurons.J
    assert len(neuron_scopes) == 4 + 4 + 1
    for neuron in neuron_scopes:
        largest = max((name for name in moved if name.startswith(neuron + ".")), key=moved.get)
        found = changes[neuron]["data"]
        assert (found["label"], found["kind"], found["change"]) == (
            largest,
            "parameter",
            moved[largest],
        )
    overall = max(moved, key=moved.get)
    assert changes["layers"]["data"]["label"] == overall
    assert changes["layers"]["data"]["change"] == moved[overall]
    # no parameter outside the layers: nothing of that kind changed there
    assert changes["data"]["data"] is None and changes["loss"]["data"] is None


def test_every_node_is_compared_unless_kinds_are_chosen(before_and_after_training):
    before, after, moved = before_and_after_training
    document = strict_json(invoke(before, after, "--json").output)
    assert document["kinds"] == ["parameter", "input", "constant", "operation"]
    assert document["grads_compared"] is True
    layers = next(entry for entry in document["changes"] if entry["scope"] == "layers")
    assert layers["data"]["change"] >= max(moved.values())
    data_scope = next(entry for entry in document["changes"] if entry["scope"] == "data")
    assert data_scope["data"] is None  # the inputs are the same data set
    assert data_scope["grad"] is not None  # but their gradients follow the parameters


def test_two_architectures_differ_with_exit_code_1_and_the_counts_that_differ(tmp_path):
    a = loss_graph_file(demo_model(0, (4, 4, 1)), tmp_path / "a.json")
    b = loss_graph_file(demo_model(0, (4, 1)), tmp_path / "b.json")
    result = invoke(a, b, "--json")
    assert result.exit_code == 1
    document = strict_json(result.output)
    assert document["same_structure"] is False
    assert document["fingerprint_a"] != document["fingerprint_b"]
    assert document["changes"] == []
    differences = {entry["scope"]: entry for entry in document["count_differences"]}
    rows, nin = 4, 4  # both second layers read the first layer's 4 outputs
    neuron = (nin + 1) + rows * (2 * nin + 1)
    assert differences["layers.1"]["nodes"] == [4 * neuron, neuron]
    assert differences["layers.1"]["counts"]["parameter"] == [4 * (nin + 1), nin + 1]
    assert differences["layers.2"]["nodes"] == [neuron, 0]
    assert "layers.0" not in differences and "loss" not in differences
    table = invoke(a, b)
    assert table.exit_code == 1
    assert f"layers.2: nodes {neuron} -> 0" in table.output
    assert "structure           different: A has " in table.output


def test_a_broken_file_exits_2_with_one_line_naming_it(tmp_path):
    good = loss_graph_file(demo_model(0), tmp_path / "good.json")
    broken = tmp_path / "broken.json"
    broken.write_text(good.read_text()[:100])
    for args in ((good, broken), (broken, good)):
        result = invoke(*args)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"Error: {broken}: not valid JSON")
        assert len(result.stderr.splitlines()) == 1
        assert "Traceback" not in result.output
    missing = invoke(good, tmp_path / "missing.json")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_non_finite_numbers_do_not_break_the_diff():
    assert change(NAN, NAN) == 0.0
    assert change(INF, INF) == 0.0 and change(-INF, -INF) == 0.0
    assert change(INF, -INF) == INF and change(NAN, 1.0) == INF and change(1.0, -INF) == INF
    assert change(1e308, -1e308) == INF
    assert change(0.25, 1.0) == 0.75

    def graph(w_value: float, x_value: float):
        with scope("net"):
            w = Parameter(w_value, label="w")
            y = w * Value(x_value, label="x")
        return to_networkx(y, grads=False)

    diff = diff_graphs(graph(NAN, INF), graph(NAN, INF))
    assert diff.same_structure and all(entry.data is None for entry in diff.changes)
    diff = diff_graphs(graph(NAN, 2.0), graph(1.0, INF))
    net = next(entry for entry in diff.changes if entry.scope == "net")
    assert net.data.change == INF and net.grad is None and not diff.grads_compared
    document = strict_json(json.dumps(diff.to_dict()))
    net_json = next(entry for entry in document["changes"] if entry["scope"] == "net")
    assert net_json["data"]["change"] == "inf"
    assert {net_json["data"]["a"], net_json["data"]["b"]} <= {"nan", "inf", 1.0, 2.0}
    assert "change inf" in format_graph_diff(diff)


def test_the_first_structural_difference_is_named():
    x = Value(2.0, label="x")
    diff = diff_graphs(to_networkx(x - 1.0), to_networkx(1.0 - x))
    assert not diff.same_structure
    assert diff.structure_difference.startswith("node ")
    with scope("a"):
        in_a = Value(1.0).exp()
    with scope("b"):
        in_b = Value(1.0).exp()
    diff = diff_graphs(to_networkx(in_a), to_networkx(in_b))
    assert diff.structure_difference == "node 1: scope 'a' in A, 'b' in B"  # from the root
    assert [(d.scope, d.nodes) for d in diff.count_differences] == [("a", (2, 0)), ("b", (0, 2))]


def test_unknown_kinds_are_refused():
    G = to_networkx(Value(1.0).exp())
    with pytest.raises(ValueError, match="unknown node kind 'weight'"):
        diff_graphs(G, G, kinds=["weight"])
    assert invoke("a.json", "b.json", "--kind", "weight").exit_code == 2


def test_diff_and_analyze_by_scope_have_help_with_an_example():
    runner = CliRunner()
    for args in (["graph", "diff", "--help"], ["graph", "analyze", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0
        assert "Example:" in result.output
    assert "--by-scope" in runner.invoke(main, ["graph", "analyze", "--help"]).output


def renumbered(G, seed: int):
    """``G`` with its node ids shuffled and its nodes stored in another order."""
    import random

    import networkx as nx

    ids = list(G.nodes)
    shuffled = ids[:]
    random.Random(seed).shuffle(shuffled)
    new_id = dict(zip(ids, shuffled, strict=True))
    H = nx.MultiDiGraph(**{**G.graph, "root": new_id[G.graph["root"]]})
    for node in reversed(shuffled):
        original = next(old for old, new in new_id.items() if new == node)
        H.add_node(node, **G.nodes[original])
    for u, v, attributes in G.edges(data=True):
        H.add_edge(new_id[u], new_id[v], **attributes)
    return H, new_id


def test_node_ids_do_not_matter_only_the_structure():
    model = demo_model(0)
    loss = demo_loss(model)
    loss.backward()
    G = to_networkx(loss)
    H, new_id = renumbered(G, seed=1)
    assert any(new != old for old, new in new_id.items())
    diff = diff_graphs(G, H)
    assert diff.same_structure, diff.structure_difference
    assert all(entry.data is None and entry.grad is None for entry in diff.changes)

    w = model.layers[0].neurons[0].w[0]
    w.data += 0.5
    moved = to_networkx(demo_loss(model), grads=False)
    H, new_id = renumbered(moved, seed=2)
    diff = diff_graphs(G, H, kinds=["parameter"])
    assert diff.same_structure
    largest = max((e.data for e in diff.changes if e.data), key=lambda found: found.change)
    assert (largest.label, largest.a, largest.b) == (w.label, w.data - 0.5, w.data)
    assert largest.node == next(n for n, a in G.nodes(data=True) if a["label"] == w.label)


def test_shared_nodes_must_be_shared_the_same_way():
    def leaves():
        return Value(2.0, label="x"), Value(3.0, label="y")

    x, y = leaves()
    squared = to_networkx(x * x + y)  # x used twice, y once: 4 nodes
    x, y = leaves()
    mixed = to_networkx(x * y + x)  # the same 4 nodes, kinds and ops, shared otherwise
    diff = diff_graphs(squared, mixed)
    assert not diff.same_structure
    # B's x stands both where A has y (node 2) and where A has x (node 0).
    assert diff.structure_difference == "node 0 of B stands where A has two nodes, 2 and 0"
    assert diff.changes == []


def test_labels_in_the_table_are_one_escaped_line():
    def graph(value: float):
        w = Parameter(value, label="w\x1b]0;title\x07" + "x" * 500)
        return to_networkx(w * 2.0, grads=False)

    text = format_graph_diff(diff_graphs(graph(1.0), graph(2.0), kinds=["parameter"]))
    assert "\x1b" not in text and "\x07" not in text
    assert "w\\x1b]0;title\\x07" in text
    assert max(len(line) for line in text.splitlines()) < 200
