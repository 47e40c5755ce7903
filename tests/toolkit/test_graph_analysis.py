"""Graph analysis on hand-built graphs whose numbers are known by construction."""

from __future__ import annotations

import json

from micrograd import Parameter, Value
from micrograd.demo import XS, demo_loss, demo_model
from toolkit.analysis import analyze, format_analysis
from toolkit.graph import to_networkx


def analysis_of(root: Value, **kwargs):
    return analyze(to_networkx(root), **kwargs)


def test_x_times_y_plus_y_times_x_has_one_duplicate_pair():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    report = analysis_of((x * y) + (y * x))
    assert (report.duplicate_groups, report.duplicate_nodes, report.cse_saves) == (1, 2, 1)
    (group,) = report.largest_duplicate_groups
    assert (group.op, group.size, group.data) == ("mul", 2, 6.0)


def test_a_times_a_feeds_one_result_through_two_edges():
    a = Value(3.0, label="a")
    report = analysis_of(a * a)
    (top, _) = report.top_fan_out
    assert (top.label, top.results, top.edges) == ("a", 1, 2)
    assert (report.shared_nodes, report.repeated_operand_nodes) == (0, 1)
    assert (report.nodes, report.edges) == (2, 2)


def test_duplicates_are_found_recursively_through_commutative_operands():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    # (x*y + 1) and (1 + y*x): the products, the constants and the sums are all duplicates.
    report = analysis_of((x * y + 1) * (1 + y * x))
    sizes = sorted((group.kind, group.op, group.size) for group in report.largest_duplicate_groups)
    assert sizes == [("constant", "", 2), ("operation", "add", 2), ("operation", "mul", 2)]
    assert report.cse_saves == 3
    assert report.nodes == 9


def test_operand_order_matters_for_non_commutative_ops():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    assert analysis_of((x - y) * (y - x)).duplicate_groups == 0
    assert analysis_of((x - y) * (x - y)).duplicate_groups == 1


def test_constants_match_by_value_and_inputs_by_identity():
    x = Value(2.0, label="x")
    twin = Value(2.0, label="x")
    assert analysis_of(2 * x + 2 * x).cse_saves == 2  # the second 2 and the second product
    assert analysis_of(2 * x + 2 * twin).cse_saves == 1  # only the constant 2
    assert analysis_of(x * 0.0 + x * -0.0).duplicate_groups == 0  # 0.0 and -0.0 differ


def test_depth_and_level_widths_of_a_known_shape():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    # level 1: a*b, level 2: (a*b)+c, level 3: tanh; c and the leaves sit on level 0.
    report = analysis_of(((a * b) + c).tanh())
    assert report.depth == 3
    assert report.level_widths == [3, 1, 1, 1]
    assert report.widest_level == 0
    assert report.leaves_by_kind == {"input": 3}
    assert report.ops_by_name == {"add": 1, "mul": 1, "tanh": 1}


def test_fan_out_distribution_counts_distinct_results():
    w = Parameter(0.5, label="w")
    x = Value(1.0, label="x")
    # w feeds three products, each product feeds the sum once; the sum is the root.
    root = (w * x) + (w * 2) + (w * w)
    report = analysis_of(root)
    assert report.top_fan_out[0].label == "w"
    assert (report.top_fan_out[0].results, report.top_fan_out[0].edges) == (3, 4)
    assert dict(report.fan_out_histogram) == {0: 1, 1: 6, 3: 1}
    assert report.shared_nodes == 1


def test_reference_loss_graph_numbers_follow_from_the_model_and_data():
    model = demo_model(0)
    loss = demo_loss(model)
    report = analysis_of(loss)
    rows, inputs = len(XS), len(XS[0])
    parameters = len(model.parameters())
    assert report.leaves_by_kind == {
        "parameter": parameters,
        "input": rows * inputs,
        # one 0 that sum() starts from, and per row the target and the exponent 2
        "constant": 1 + 2 * rows,
    }
    # every parameter is used once per row; every input by each of the first layer's neurons
    assert all(entry.results == rows for entry in report.top_fan_out)
    # ...and each first-layer output feeds every neuron of the second layer (4 of them)
    first_layer_outputs = rows * model.nouts[0]
    assert model.nouts[1] == rows == 4
    assert dict(report.fan_out_histogram)[4] == parameters + rows * inputs + first_layer_outputs
    # 2.0 four times, and the targets 1.0 and -1.0 twice each
    assert report.duplicate_groups == 3 and report.cse_saves == 3 + 1 + 1
    assert report.nodes == sum(report.level_widths)
    assert report.edges == to_networkx(loss).number_of_edges()


def test_analysis_is_plain_json_data():
    x = Value(2.0, label="x")
    report = analysis_of(x * x + x * x)
    document = json.loads(json.dumps(report.to_dict()))
    assert document["duplicate_groups"] == 1
    assert document["top_fan_out"][0] == {
        "node": 0,
        "kind": "input",
        "op": "",
        "label": "x",
        "results": 2,
        "edges": 4,
    }
    assert document["fan_out_histogram"] == [[0, 1], [1, 2], [2, 1]]


def test_top_bounds_the_listed_nodes_and_groups():
    x = Value(1.0)
    terms = [x * float(i % 3) for i in range(12)]
    root = sum(terms[1:], terms[0])
    report = analysis_of(root, top=2)
    assert len(report.top_fan_out) == 2 and len(report.largest_duplicate_groups) == 2
    assert [group.size for group in report.largest_duplicate_groups] == [4, 4]
    assert report.duplicate_groups == 6  # three constants and three products, 4 of each


def test_table_lists_the_measures_for_a_person():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    table = format_analysis(analysis_of((x * y) + (y * x)))
    lines = table.splitlines()
    assert lines[0] == "nodes               5 (6 edges, root 4)"
    assert "depth               2" in lines
    assert lines[-2] == (
        "duplicates          1 group, 2 nodes; common-subexpression elimination would save 1 node"
    )
    assert lines[-1].strip() == "mul x2: nodes 2, 3"


def test_a_long_chain_is_analysed_level_by_level_without_recursion():
    x = Value(0.5, label="x")
    w = Parameter(0.9, label="w")
    y = x
    for _ in range(30_000):
        y = (y * w).tanh()
    report = analysis_of(y)
    assert report.depth == 60_000
    assert report.nodes == 60_002
    assert report.level_widths[:3] == [2, 1, 1] and len(report.level_widths) == 60_001
    assert report.top_fan_out[0].label == "w" and report.top_fan_out[0].results == 30_000
    assert report.duplicate_groups == 0


def test_the_table_shortens_and_escapes_a_long_label_and_the_json_keeps_it(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main
    from toolkit.graph import save_graph

    label = "L" * 200_000 + "\x1b[2J"
    x = Value(2.0, label=label)
    report = analysis_of(x * x + 1)
    table = format_analysis(report)
    assert max(map(len, table.splitlines())) < 160
    assert "LLL...'" in table and "\x1b" not in table
    assert report.to_dict()["top_fan_out"][0]["label"] == label
    graph = tmp_path / "g.json"
    save_graph(to_networkx(Value(2.0, label="L" * 200_000) * 3), graph)
    shown = CliRunner().invoke(main, ["graph", "analyze", str(graph)])
    assert shown.exit_code == 0, shown.output
    assert max(map(len, shown.stdout.splitlines())) < 160
    as_json = CliRunner().invoke(main, ["graph", "analyze", str(graph), "--json"])
    assert json.loads(as_json.stdout)["top_fan_out"][0]["label"] == "L" * 200_000
