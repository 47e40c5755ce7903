"""Graph files: node-link JSON and GraphML round trips, and untrusted files refused clearly."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given

from micrograd import Value, topological_order
from micrograd.demo import demo_loss, demo_model
from tests.micrograd.expressions import EDGES, micrograd_apply, programs, run
from tests.toolkit.test_graph_export import assert_same_dag
from toolkit.graph import FORMATS, GraphFormatError, from_networkx, load_graph, save_graph

SUFFIX = {"node-link": ".json", "graphml": ".graphml"}


def reference_loss() -> Value:
    loss = demo_loss(demo_model(0))
    loss.backward()
    return loss


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_file_read_back_and_saved_again_is_byte_identical(tmp_path, file_format):
    first = tmp_path / f"first{SUFFIX[file_format]}"
    second = tmp_path / f"second{SUFFIX[file_format]}"
    save_graph(reference_loss(), first, format=file_format)
    save_graph(load_graph(first), second, format=file_format)
    assert first.read_bytes() == second.read_bytes()


def test_both_formats_read_back_as_the_same_graph(tmp_path):
    loss = reference_loss()
    graphs = []
    for file_format in FORMATS:
        path = tmp_path / f"g{SUFFIX[file_format]}"
        save_graph(loss, path, format=file_format)
        graphs.append(load_graph(path))
    json_graph, graphml_graph = graphs
    assert json_graph.graph == graphml_graph.graph
    # repr, because some gradients are nan (d/dy of x ** y at x < 0), and nan != nan.
    assert repr(list(json_graph.nodes(data=True))) == repr(list(graphml_graph.nodes(data=True)))
    assert list(json_graph.edges(keys=True, data=True)) == list(
        graphml_graph.edges(keys=True, data=True)
    )


@given(programs(values=EDGES))
def test_random_dags_survive_both_file_formats_bit_for_bit(program):
    root = run(program, lambda x: Value(x), micrograd_apply)[-1]
    root.backward()
    with tempfile.TemporaryDirectory() as folder:
        for file_format in FORMATS:
            path = Path(folder) / f"g{SUFFIX[file_format]}"
            save_graph(root, path, format=file_format)
            rebuilt = from_networkx(load_graph(path))
            for node in topological_order(root):
                node.grad = 0.0
            assert_same_dag(root, rebuilt)


def test_an_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown graph format 'dot'; choose node-link or graphml"):
        save_graph(Value(1.0), tmp_path / "g.dot", format="dot")


def test_an_invalid_graph_is_not_saved_and_the_old_file_is_kept(tmp_path):
    path = tmp_path / "g.json"
    save_graph(Value(1.0).exp(), path)
    before = path.read_bytes()
    G = load_graph(path)
    G.nodes[1]["op"] = "sqrt"
    with pytest.raises(GraphFormatError, match="node 1: unknown op 'sqrt'"):
        save_graph(G, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["g.json"]


# -- untrusted files -----------------------------------------------------------------------


def node_link(tmp_path, edit) -> Path:
    """A valid node-link file of ``x * 2 + x``, edited by ``edit(document)``."""
    x = Value(3.0, label="x")
    path = tmp_path / "g.json"
    save_graph(x * 2 + x, path)
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    return path


def node(document, i):
    return next(n for n in document["nodes"] if n["id"] == i)


def remove_edge(document, source, target):
    document["edges"] = [
        e for e in document["edges"] if (e["source"], e["target"]) != (source, target)
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: node(d, 2).update(op="sqrt"), "node 2: unknown op 'sqrt'"),
        (lambda d: node(d, 2).update(data="abc"), "node 2: 'data' must be a number, got 'abc'"),
        (lambda d: node(d, 2).update(grad=True), "node 2: 'grad' must be a number, got True"),
        (lambda d: node(d, 0).pop("kind"), "node 0: missing attribute 'kind'"),
        (lambda d: node(d, 0).pop("data"), "node 0: missing attribute 'data'"),
        (lambda d: node(d, 0).update(kind="weight"), "node 0: unknown kind 'weight'"),
        (lambda d: node(d, 0).update(op="add"), r"node 0: a leaf \(input\) has op 'add'"),
        (lambda d: node(d, 2).update(label=7), "node 2: 'label' must be text, got 7"),
        (lambda d: node(d, 0).pop("scope"), "node 0: missing attribute 'scope'"),
        (lambda d: node(d, 2).update(scope=["a"]), r"node 2: 'scope' must be dotted text"),
        (lambda d: node(d, 2).update(scope="a..b"), "node 2: 'scope' must be dotted text"),
        (lambda d: node(d, 2).update(scope=".a"), "node 2: 'scope' must be dotted text"),
        (
            lambda d: d["graph"].update(version=1),
            "a version 1 graph has no 'scope' attribute",
        ),
        (lambda d: node(d, 2).update(op="exp"), "edge 1 -> 2: 'position' must be an integer from"),
        (lambda d: node(d, 3).update(op="neg"), "edge 0 -> 3: 'position' must be an integer from"),
        (lambda d: remove_edge(d, 1, 2), r"node 2 \(mul\): needs 2 operand\(s\), position 1 is"),
        (
            lambda d: d["edges"].append({"source": 1, "target": 2, "key": 2, "position": 0}),
            "edge 1 -> 2: node 2 has two operands at 0",
        ),
        (
            lambda d: d["edges"].append({"source": 1, "target": 0, "key": 0, "position": 0}),
            r"edge 1 -> 0: node 0 is a leaf \(input\)",
        ),
        (
            lambda d: d["edges"].append({"source": 0, "target": 9, "key": 0, "position": 0}),
            r"edges\[4\]: target 9 is not a node \(a dangling edge\)",
        ),
        (lambda d: d["nodes"][0].update(id="x"), r"nodes\[0\]: 'id' must be an integer"),
        (lambda d: d["nodes"][1].update(id=0), r"nodes\[1\]: id 0 appears twice"),
        (lambda d: d["graph"].pop("root"), "graph attribute 'root' is missing"),
        (lambda d: d["graph"].update(root=42), "graph attribute 'root' names 42"),
        (lambda d: d["graph"].update(version=3), "graph attribute 'version' is 3"),
        (lambda d: d["graph"].update(format="other"), "graph attribute 'format' is 'other'"),
        (lambda d: d.update(multigraph=False), "expected a directed multigraph"),
        (lambda d: d.update(nodes={}), "'nodes' and 'edges' must be lists"),
        (
            lambda d: d["nodes"].append(dict(node(d, 0), id=4, label="stray")),
            "node 4 does not feed the root 3",
        ),
    ],
)
def test_a_bad_node_link_file_names_the_problem_and_where(tmp_path, edit, message):
    path = node_link(tmp_path, edit)
    with pytest.raises(GraphFormatError, match=message) as caught:
        load_graph(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_a_cycle_is_refused_naming_its_nodes(tmp_path):
    def make_cycle(document):
        # y = x * 2 (node 2) feeds z = y + x (node 3); let z stand in for x in y: y -> z -> y.
        remove_edge(document, 0, 2)
        document["edges"].append({"source": 3, "target": 2, "key": 0, "position": 0})

    with pytest.raises(GraphFormatError, match=r"the graph has a cycle: (2 -> 3 -> 2|3 -> 2 -> 3)"):
        load_graph(node_link(tmp_path, make_cycle))


def test_a_self_loop_is_a_cycle(tmp_path):
    def self_loop(document):
        remove_edge(document, 0, 2)
        document["edges"].append({"source": 2, "target": 2, "key": 0, "position": 0})

    with pytest.raises(GraphFormatError, match="cycle: 2 -> 2"):
        load_graph(node_link(tmp_path, self_loop))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("hello", "not a graph file: expected node-link JSON or GraphML"),
        ('{"nodes": [', "not valid JSON: Expecting value: line 1 column 12"),
        ("[1, 2]", "not a graph file"),
        ('"text"', "not a graph file"),
        ("{" * 100_000, "not valid JSON"),
        ("<graphml><graph>", "not valid GraphML"),
        (
            '<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaa">]><graphml/>',
            "GraphML with a DOCTYPE or ENTITY declaration is refused",
        ),
    ],
)
def test_text_that_is_not_a_graph_file_gives_one_line(tmp_path, text, message):
    path = tmp_path / "g.json"
    path.write_text(text)
    with pytest.raises(GraphFormatError, match=message) as caught:
        load_graph(path)
    assert "\n" not in str(caught.value)


def test_a_truncated_file_is_refused_in_either_format(tmp_path):
    for file_format in FORMATS:
        path = tmp_path / f"g{SUFFIX[file_format]}"
        save_graph(reference_loss(), path, format=file_format)
        text = path.read_text()
        path.write_text(text[: len(text) // 2])
        with pytest.raises(GraphFormatError, match=r"not valid (JSON|GraphML)"):
            load_graph(path)


def test_an_undirected_graphml_file_is_refused(tmp_path):
    path = tmp_path / "g.graphml"
    save_graph(Value(1.0).exp(), path, format="graphml")
    path.write_text(path.read_text().replace('edgedefault="directed"', 'edgedefault="undirected"'))
    with pytest.raises(GraphFormatError, match="expected a directed graph"):
        load_graph(path)


def test_a_graphml_value_of_the_wrong_type_is_refused(tmp_path):
    path = tmp_path / "g.graphml"
    save_graph(Value(1.0, label="x").exp(), path, format="graphml")
    text = path.read_text().replace(">1.0<", ">abc<", 1)
    path.write_text(text)
    with pytest.raises(GraphFormatError, match="not valid GraphML: could not convert"):
        load_graph(path)


def test_a_graphml_edge_to_an_undeclared_node_is_refused(tmp_path):
    path = tmp_path / "g.graphml"
    save_graph(Value(1.0, label="x").exp(), path, format="graphml")
    path.write_text(path.read_text().replace('source="0"', 'source="9"'))
    with pytest.raises(GraphFormatError, match="node 9 has no attributes"):
        load_graph(path)


def test_an_absurdly_large_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "g.json"
    save_graph(reference_loss(), path)
    size = path.stat().st_size
    with pytest.raises(GraphFormatError, match=f"larger than the {size - 1:,}-byte limit"):
        load_graph(path, max_bytes=size - 1)
    with pytest.raises(GraphFormatError, match="366 nodes, more than the 365-node limit"):
        load_graph(path, max_nodes=365)
    graphml = tmp_path / "g.graphml"
    save_graph(reference_loss(), graphml, format="graphml")
    with pytest.raises(GraphFormatError, match="more nodes than the 100-node limit"):
        load_graph(graphml, max_nodes=100)


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "g.json"
    path.write_bytes(b'{"nodes": "\xff"}')
    with pytest.raises(GraphFormatError, match="not UTF-8 text"):
        load_graph(path)


def test_a_missing_file_raises_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_graph(tmp_path / "missing.json")


def test_loading_never_evaluates_text(tmp_path):
    path = node_link(tmp_path, lambda d: node(d, 2).update(op="__import__('os').getcwd()"))
    with pytest.raises(GraphFormatError, match="unknown op"):
        load_graph(path)


def test_non_finite_values_are_written_as_json_extensions_and_read_back(tmp_path):
    x = Value(math.inf, label="x")
    path = tmp_path / "g.json"
    save_graph(x - x, path)
    assert "Infinity" in path.read_text() and "NaN" in path.read_text()
    rebuilt = from_networkx(load_graph(path))
    assert math.isnan(rebuilt.data)
    assert isinstance(load_graph(path), nx.MultiDiGraph)
