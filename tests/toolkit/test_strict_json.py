"""Every JSON document the toolkit writes is strict JSON (RFC 8259), non-finite numbers too.

A non-finite float is written as the string ``"nan"``, ``"inf"`` or ``"-inf"``, never as the
``NaN`` and ``Infinity`` tokens that ``jq`` and a browser's ``JSON.parse`` refuse.
"""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from micrograd import MLP, Value, scope
from toolkit.analysis import analyze
from toolkit.cli import main
from toolkit.graph import NON_FINITE_STRINGS, json_number, save_graph, strict_json, to_networkx
from toolkit.graph_diff import diff_graphs
from toolkit.model_io import save_model
from toolkit.scope_analysis import analyze_by_scope


def parse_strict(text: str):
    """``text`` parsed as strict JSON: the NaN and Infinity tokens are refused."""

    def reject(token: str):
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=reject)


def dumps_strict(document) -> str:
    return json.dumps(document, allow_nan=False)


def non_finite_graph():
    """Two duplicated non-finite constants (inf, -inf) and nan data and gradients, in scopes."""
    x = Value(2.0, label="x")
    with scope("up"):
        up = x * math.inf + x * math.inf
    with scope("down"):
        down = x * -math.inf + x * -math.inf
    root = up + down  # inf + -inf = nan
    root.backward()
    return to_networkx(root)


def test_the_encoding_is_three_strings_and_finite_numbers_as_they_are():
    assert {text: json_number(number) for text, number in NON_FINITE_STRINGS.items()} == {
        "nan": "nan",
        "inf": "inf",
        "-inf": "-inf",
    }
    assert [json_number(x) for x in (0.0, -0.0, 5e-324, 1.7976931348623157e308)] == [
        0.0,
        -0.0,
        5e-324,
        1.7976931348623157e308,
    ]
    assert math.copysign(1.0, json_number(-0.0)) == -1.0
    document = {"a": [1.0, math.nan, (math.inf, -math.inf)], "b": {"c": "nan", "d": 3}}
    assert strict_json(document) == {"a": [1.0, "nan", ["inf", "-inf"]], "b": {"c": "nan", "d": 3}}


def test_analysis_json_writes_a_non_finite_duplicated_constant_as_a_string():
    report = analyze(non_finite_graph(), top=10)
    constants = [g.data for g in report.largest_duplicate_groups if g.kind == "constant"]
    assert sorted(constants) == [-math.inf, math.inf]  # the dataclass keeps the floats
    document = parse_strict(dumps_strict(report.to_dict()))
    groups = document["largest_duplicate_groups"]
    assert sorted(g["data"] for g in groups if g["kind"] == "constant") == ["-inf", "inf"]
    assert document["nodes"] == report.nodes


def test_scope_analysis_json_is_strict_for_a_graph_of_non_finite_numbers():
    report = analyze_by_scope(non_finite_graph())
    document = parse_strict(dumps_strict(report.to_dict()))
    assert [entry["scope"] for entry in document["scopes"]] == ["", "down", "up"]


def test_graph_diff_json_is_strict_when_numbers_are_not_finite():
    G = non_finite_graph()
    document = parse_strict(dumps_strict(diff_graphs(G, G).to_dict()))
    assert document["same_structure"] is True


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


@pytest.fixture
def graph_file(tmp_path):
    path = tmp_path / "g.json"
    save_graph(non_finite_graph(), path)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("graph", "analyze", "{path}", "--json"),
        ("graph", "analyze", "{path}", "--json", "--by-scope"),
        ("graph", "diff", "{path}", "{path}", "--json"),
    ],
)
def test_the_graph_commands_print_strict_json(graph_file, args):
    result = invoke(*(arg.format(path=graph_file) for arg in args))
    assert result.exit_code == 0, result.output
    parse_strict(result.output)


def test_analyze_json_names_the_non_finite_constants_as_strings(graph_file):
    result = invoke("graph", "analyze", graph_file, "--json", "--top", "10")
    groups = parse_strict(result.output)["largest_duplicate_groups"]
    assert sorted(g["data"] for g in groups if g["kind"] == "constant") == ["-inf", "inf"]


def test_model_show_prints_strict_json(tmp_path):
    path = tmp_path / "model.json"
    save_model(MLP(2, [2, 1], seed=0), path, metadata={"loss": [0.5, 0.25]})
    parse_strict(path.read_text())
    result = invoke("model", "show", path, "--json")
    assert result.exit_code == 0, result.output
    assert parse_strict(result.output)["metadata"]["loss"] == [0.5, 0.25]


def test_predict_json_of_an_output_that_overflows_is_strict(tmp_path):
    model = MLP(1, [1], activation="linear", seed=0)
    model.layers[0].neurons[0].w[0].data = 1e308
    model.layers[0].neurons[0].b.data = 0.0
    path = tmp_path / "big.json"
    save_model(model, path)
    result = CliRunner().invoke(main, ["predict", str(path), "1e308", "--json"])
    assert result.exit_code == 0, result.output
    assert parse_strict(result.output)["outputs"] == [["inf"]]
