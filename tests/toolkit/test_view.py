"""The viewer page from the Python side: its data, its layout, its offline HTML, the CLI."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from micrograd import Value
from tests.toolkit.view_helpers import non_finite_graph, reference_graph
from toolkit.cli_view import view_command
from toolkit.graph import load_graph, save_graph
from toolkit.view import SCOPE_HEIGHT, SCOPE_WIDTH, view, view_data, view_html


def embedded(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html)
    assert match, "no embedded graph data"

    def refuse(token):
        raise AssertionError(f"non-strict JSON token {token}")

    return json.loads(match.group(1), parse_constant=refuse)


def test_the_same_graph_gives_a_byte_identical_page(tmp_path):
    G = reference_graph()
    save_graph(G, tmp_path / "g.graphml", format="graphml")
    first, again = view_html(G, "g"), view_html(reference_graph(), "g")
    assert first == again
    assert view_html(load_graph(tmp_path / "g.graphml"), "g") == first


def test_the_page_holds_no_web_address_even_when_a_label_does():
    root = Value(1.0, label="see https://example.org/a") * Value(2.0, label="HTTP://x")
    html = view_html(root, "links")
    assert not re.search(r"https?:", html, flags=re.IGNORECASE)
    assert "<script src" not in html and "<link" not in html
    assert embedded(html)["label"][:2] == ["see https://example.org/a", "HTTP://x"]


def test_a_label_cannot_close_the_script_that_embeds_it():
    html = view_html(Value(1.0, label="</script><b>x") + 1, "t")
    assert html.count("</script>") == 2
    assert embedded(html)["label"][0] == "</script><b>x"


def test_non_finite_numbers_are_strict_json_strings():
    G = non_finite_graph()
    data = embedded(view_html(G, "nf"))
    by_label = dict(zip(data["label"], data["ids"]))
    values = {node: data["data"][data["ids"].index(node)] for node in G}
    grads = {node: data["grad"][data["ids"].index(node)] for node in G}
    zero_log = next(result for _, result in G.out_edges(by_label["zero"]))
    minus_log = next(result for _, result in G.out_edges(by_label["minus"]))
    big_exp = next(result for _, result in G.out_edges(by_label["big"]))
    assert (values[zero_log], values[minus_log], values[big_exp]) == ("-inf", "nan", "inf")
    assert grads[by_label["zero"]] == "inf" and grads[G.graph["root"]] == 1.0


def test_the_data_has_one_entry_per_node_and_edges_by_result_and_position():
    G = reference_graph()
    data = view_data(G)
    n = G.number_of_nodes()
    for name in ("ids", "kind", "op", "label", "scope", "box", "column", "row", "data", "grad"):
        assert len(data[name]) == n, name
    assert (data["nodes"], data["edges"], data["depth"]) == (366, 572, 23)
    assert len(data["edgeEnds"]) == 2 * G.number_of_edges()
    ends = data["edgeEnds"]
    for result in G:
        operands = [ends[k] for k in range(0, len(ends), 2) if ends[k + 1] == result]
        expected = [
            u for u, _, p in sorted(G.in_edges(result, data="position"), key=lambda e: e[2])
        ]
        assert operands == expected
    assert data["boxes"][0] == ""
    for name in ("boxParent", "boxAliases", "boxColumn", "boxRow", "boxSize"):
        assert len(data[name]) == len(data["boxes"]), name


def test_a_scope_holding_only_one_scope_is_one_box_with_it():
    data = view_data(reference_graph())
    boxes = dict(zip(data["boxes"], data["boxAliases"]))
    assert boxes["layers.0"] == ["layers.0.neurons"]
    assert boxes["layers.2"] == ["layers.2.neurons", "layers.2.neurons.0"]
    assert "layers.1.neurons.3" in boxes and "layers.2.neurons.0" not in boxes


def items_by_box(data) -> dict[int, list[tuple[int, int]]]:
    """Every box's items (its own nodes and its child boxes) as (column, row) places."""
    items: dict[int, list[tuple[int, int]]] = {b: [] for b in range(len(data["boxes"]))}
    for b, parent in enumerate(data["boxParent"]):
        if parent >= 0:
            items[parent].append((data["boxColumn"][b], data["boxRow"][b]))
    for i, b in enumerate(data["box"]):
        items[b].append((data["column"][i], data["row"][i]))
    return items


def test_every_item_of_a_scope_has_its_own_place_in_columns_without_gaps():
    data = view_data(reference_graph())
    for b, places in items_by_box(data).items():
        assert len(set(places)) == len(places), data["boxes"][b]
        columns: dict[int, list[int]] = {}
        for column, row in places:
            columns.setdefault(column, []).append(row)
        assert sorted(columns) == list(range(len(columns)))
        assert all(sorted(rows) == list(range(len(rows))) for rows in columns.values())


def test_results_lie_in_later_columns_than_their_operands_within_a_box():
    data = view_data(reference_graph())
    ends = data["edgeEnds"]
    for k in range(0, len(ends), 2):
        operand, result = ends[k], ends[k + 1]
        if data["box"][operand] == data["box"][result]:
            assert data["column"][operand] < data["column"][result]


def test_a_closed_scope_has_one_size_whatever_it_holds():
    geometry = view_data(reference_graph())["geometry"]
    assert (geometry["scopeWidth"], geometry["scopeHeight"]) == (SCOPE_WIDTH, SCOPE_HEIGHT)
    assert geometry["header"] + geometry["padding"] < SCOPE_HEIGHT


def test_view_writes_a_page_for_a_value(tmp_path):
    path = tmp_path / "v.html"
    view(Value(2.0, label="x").tanh(), path)
    assert embedded(path.read_text())["label"] == ["x", ""]
    assert "<title>v.html</title>" in path.read_text()


@pytest.fixture
def graph_file(tmp_path):
    path = tmp_path / "g.json"
    save_graph(non_finite_graph(), path)
    return path


def test_the_view_command_writes_the_page_and_refuses_to_overwrite(tmp_path, graph_file):
    output = tmp_path / "g.html"
    result = CliRunner().invoke(view_command, [str(graph_file), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and output.read_text().startswith("<!DOCTYPE html>")
    again = CliRunner().invoke(view_command, [str(graph_file), "-o", str(output)])
    assert again.exit_code == 2 and "already exists; pass --force" in again.output
    forced = CliRunner().invoke(view_command, [str(graph_file), "-o", str(output), "--force"])
    assert forced.exit_code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("", "empty file"),
        ('{"directed": true, "multigraph": true, "graph": {}, "nodes": [], "edges": 3}', "lists"),
    ],
)
def test_a_bad_graph_file_is_one_line_and_exit_code_2(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    output = tmp_path / "out.html"
    result = CliRunner().invoke(view_command, [str(bad), "-o", str(output)])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output and not output.exists()


def test_an_output_in_a_missing_folder_is_refused_before_reading(tmp_path, graph_file):
    result = CliRunner().invoke(view_command, [str(graph_file), "-o", str(tmp_path / "no/g.html")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_parallel_scopes_keep_the_order_of_their_names():
    """The neurons of a layer are joined alike to what is around them: ordering for few
    crossings leaves them one under the other in the order of their names."""
    data = view_data(reference_graph())
    for layer in ("layers.0", "layers.1"):
        b = data["boxes"].index(layer)
        inner = [c for c, parent in enumerate(data["boxParent"]) if parent == b]
        assert {data["boxColumn"][c] for c in inner} == {0}
        by_row = sorted(inner, key=lambda c: data["boxRow"][c])
        assert [data["boxes"][c] for c in by_row] == [f"{layer}.neurons.{j}" for j in range(4)]
