"""Analysis by scope: every number follows from the model's shape and the data set's size."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from micrograd import MLP, Value, scope
from micrograd.demo import XS, demo_loss, demo_model
from toolkit.cli import main
from toolkit.graph import save_graph, to_networkx
from toolkit.scope_analysis import analyze_by_scope, format_scope_analysis, scope_sort_key

ROWS = len(XS)


def neuron_nodes(nin: int, rows: int = ROWS) -> int:
    """A tanh neuron over ``rows`` data rows: nin weights and a bias, then per row nin
    products, nin additions (the bias plus each product) and one tanh."""
    return (nin + 1) + rows * (nin + nin + 1)


@pytest.fixture(scope="module")
def reference():
    model = demo_model(0)
    loss = demo_loss(model)
    loss.backward()
    G = to_networkx(loss)
    report = analyze_by_scope(G)
    return model, G, report, {entry.scope: entry for entry in report.scopes}


def fan_ins(model: MLP) -> list[int]:
    return [model.nin, *model.nouts[:-1]]


def test_every_scope_at_every_level_holds_the_nodes_the_model_shape_implies(reference):
    model, G, _, by_scope = reference
    layers_total = 0
    for i, (nin, size) in enumerate(zip(fan_ins(model), model.nouts)):
        layer_nodes = size * neuron_nodes(nin)
        assert by_scope[f"layers.{i}"].nodes == layer_nodes
        assert by_scope[f"layers.{i}.neurons"].nodes == layer_nodes
        for j in range(size):
            neuron = by_scope[f"layers.{i}.neurons.{j}"]
            assert neuron.level == 4
            assert neuron.nodes == neuron_nodes(nin)
            assert neuron.leaves_by_kind == {"parameter": nin + 1}
            assert neuron.ops_by_name == {"add": ROWS * nin, "mul": ROWS * nin, "tanh": ROWS}
        layers_total += layer_nodes
    assert by_scope["layers"].nodes == layers_total
    assert by_scope["data"].nodes == ROWS * model.nin
    # per row: prediction - target, ** 2, and the two constants; then one addition per row
    # onto the 0 that sum() starts from
    assert by_scope["loss"].nodes == 4 * ROWS + ROWS + 1
    assert by_scope["loss"].ops_by_name == {"add": ROWS, "sub": ROWS, "pow": ROWS}
    assert "" not in by_scope  # every node of the reference loss is built in some scope
    top_level = [entry for entry in by_scope.values() if entry.level == 1]
    assert sum(entry.nodes for entry in top_level) == G.number_of_nodes()
    assert by_scope["layers"].share == layers_total / G.number_of_nodes()


def test_edges_of_a_neuron_scope_follow_from_its_inputs_and_consumers(reference):
    model, _, _, by_scope = reference
    for i, (nin, size) in enumerate(zip(fan_ins(model), model.nouts)):
        # the next layer's every neuron reads this output; the last layer's feeds the loss once
        consumers = model.nouts[i + 1] if i + 1 < len(model.nouts) else 1
        for j in range(size):
            neuron = by_scope[f"layers.{i}.neurons.{j}"]
            assert neuron.edges_in == ROWS * nin  # each input into its product
            assert neuron.edges_out == ROWS * consumers
            # per row: a weight into each product, two operands into each addition, one tanh
            assert neuron.edges == ROWS * (nin + 2 * nin + 1)
    assert by_scope["data"].edges_out == ROWS * model.nin * model.nouts[0]
    assert by_scope["loss"].edges_in == ROWS * model.nouts[-1]


def test_depth_inside_a_neuron_counts_its_own_chain_only(reference):
    model, _, _, by_scope = reference
    depths = [nin + 2 for nin in fan_ins(model)]  # a product, nin additions, the tanh
    for i, size in enumerate(model.nouts):
        for j in range(size):
            assert by_scope[f"layers.{i}.neurons.{j}"].depth == depths[i]
    assert by_scope["layers"].depth == sum(depths)
    assert by_scope["data"].depth == 0


def test_a_path_that_leaves_the_scope_does_not_count_towards_its_depth():
    x = Value(0.5)
    with scope("f"):
        a = x * 2
    b = a.tanh()  # outside f
    with scope("f"):
        c = b * 3
    report = analyze_by_scope(to_networkx(c))
    by_scope = {entry.scope: entry for entry in report.scopes}
    assert by_scope["f"].depth == 1
    assert (by_scope["f"].edges_in, by_scope["f"].edges_out) == (2, 1)  # x -> a, b -> c; a -> b
    assert (by_scope[""].nodes, by_scope[""].edges_in, by_scope[""].edges_out) == (2, 1, 2)
    assert by_scope[""].depth == 0  # x and the tanh are not joined by an edge of their own


def test_neurons_of_one_shape_form_one_group_and_other_shapes_another(reference):
    model, _, report, by_scope = reference
    layer = {
        i: [f"layers.{i}.neurons.{j}" for j in range(size)] for i, size in enumerate(model.nouts)
    }
    group_of = {scope: group for group in report.repeated for scope in group.scopes}
    first, zeroth = group_of[layer[1][0]], group_of[layer[0][0]]
    assert first is not zeroth and first.fingerprint != zeroth.fingerprint
    assert zeroth.scopes == layer[0]
    assert zeroth.nodes == neuron_nodes(fan_ins(model)[0])
    # The output neuron reads as many inputs as layer 1's neurons, so it has their shape.
    same_shape_as_layer_1 = fan_ins(model)[2] == fan_ins(model)[1]
    assert first.scopes == layer[1] + (layer[2] if same_shape_as_layer_1 else [])
    assert by_scope[layer[1][3]].fingerprint == first.fingerprint
    # layers.2 and layers.2.neurons only wrap layers.2.neurons.0: not listed again
    assert "layers.2" not in group_of and by_scope["layers.2"].fingerprint is None


def test_a_group_needs_the_same_operand_positions_not_just_the_same_counts():
    x, y = Value(1.0), Value(2.0)
    with scope("p"):
        p = Value(3.0, label="p") - x
    with scope("q"):
        q = y - Value(4.0, label="q")
    report = analyze_by_scope(to_networkx(p * q))
    assert report.repeated == []
    with scope("r"):
        r = Value(5.0) - y
    assert [group.scopes for group in analyze_by_scope(to_networkx(p * r)).repeated] == [["p", "r"]]


def test_scopes_come_in_hierarchy_order_with_numbers_as_numbers():
    parts = []
    for i in (10, 2, 1):
        with scope(f"block.{i}"):
            parts.append(Value(float(i)).exp())
    report = analyze_by_scope(to_networkx(parts[0] + parts[1] + parts[2]))
    assert [entry.scope for entry in report.scopes] == [
        "",
        "block",
        "block.1",
        "block.2",
        "block.10",
    ]
    assert sorted(["b.10", "a", "b.9", "b"], key=scope_sort_key) == ["a", "b", "b.9", "b.10"]


def test_json_form_is_plain_data_with_every_scope(reference):
    _, G, report, by_scope = reference
    document = json.loads(json.dumps(report.to_dict()))
    assert set(document) == {
        "nodes",
        "fingerprint",
        "wl_iterations",
        "digest_size",
        "scopes",
        "repeated",
    }
    assert document["nodes"] == G.number_of_nodes()
    neuron = next(entry for entry in document["scopes"] if entry["scope"] == "layers.1.neurons.3")
    assert set(neuron) == {
        "scope",
        "level",
        "nodes",
        "share",
        "leaves_by_kind",
        "ops_by_name",
        "depth",
        "edges",
        "edges_in",
        "edges_out",
        "fingerprint",
    }
    assert neuron["nodes"] == by_scope["layers.1.neurons.3"].nodes
    assert len(document["scopes"]) == len(by_scope)
    assert all(set(group) == {"fingerprint", "nodes", "scopes"} for group in document["repeated"])


def test_table_indents_each_scope_under_the_one_that_holds_it(reference):
    _, G, report, by_scope = reference
    lines = format_scope_analysis(report).splitlines()
    assert lines[0] == f"graph fingerprint {report.fingerprint} ({G.number_of_nodes()} nodes)"
    assert lines[1].split() == [
        "scope",
        "nodes",
        "share",
        "depth",
        "edges",
        "in",
        "out",
        "same",
        "contents",
    ]
    names = [line.split()[0] for line in lines[2 : 2 + len(by_scope)]]
    assert names[:3] == ["data", "layers", "0"]
    # the first neuron 3 is layer 0's, three levels below "layers"
    neuron_row = next(line for line in lines if line.startswith("      3 "))
    entry = by_scope["layers.0.neurons.3"]
    assert neuron_row.split()[1:7] == [
        str(entry.nodes),
        f"{entry.share:.1%}",
        str(entry.depth),
        str(entry.edges),
        str(entry.edges_in),
        str(entry.edges_out),
    ]
    groups = [line for line in lines if line.startswith("repeated structure #")]
    assert len(groups) == len(report.repeated)
    assert "layers.0.neurons.0-3" in groups[1]


def test_cli_by_scope_prints_the_table_and_the_json(tmp_path, reference):
    _, _, report, _ = reference
    path = tmp_path / "loss.json"
    loss = demo_loss(demo_model(0))
    loss.backward()
    save_graph(loss, path)
    runner = CliRunner()
    table = runner.invoke(main, ["graph", "analyze", str(path), "--by-scope"])
    assert table.exit_code == 0, table.output
    assert table.output == format_scope_analysis(report) + "\n"
    as_json = runner.invoke(main, ["graph", "analyze", str(path), "--by-scope", "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.output) == json.loads(json.dumps(report.to_dict()))


def test_scope_names_outside_ascii_are_analysed():
    with scope("couche.0"), scope("ε"):
        y = Value(1.0).exp()
    with scope("couche.1"), scope("ε"):
        z = Value(2.0).exp()
    report = analyze_by_scope(to_networkx(y + z))
    assert {entry.scope for entry in report.scopes} >= {"couche.0.ε", "couche.1.ε"}
    assert [group.scopes for group in report.repeated] == [["couche.0.ε", "couche.1.ε"]]


def test_a_scope_name_with_control_characters_is_escaped_in_the_table():
    with scope("evil\x1b[2J"):
        y = Value(1.0).exp()
    table = format_scope_analysis(analyze_by_scope(to_networkx(y)))
    assert "\x1b" not in table
    assert "evil\\x1b[2J" in table
