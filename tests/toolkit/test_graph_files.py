"""Graph files: node-link JSON and GraphML round trips, and untrusted files refused clearly."""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given

from micrograd import Value, topological_order
from micrograd.demo import demo_loss, demo_model
from tests.micrograd.expressions import EDGES, micrograd_apply, programs, run
from tests.toolkit.test_graph_export import assert_same_dag
from toolkit.graph import (
    FORMATS,
    GraphFormatError,
    from_networkx,
    load_graph,
    save_graph,
    to_networkx,
)

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
        (
            lambda d: node(d, 2).update(data="abc"),
            """node 2: 'data' must be a number, got 'abc'; a non-finite number is written "nan",""",
        ),
        (lambda d: node(d, 2).update(grad="NaN"), "node 2: 'grad' must be a number, got 'NaN';"),
        (lambda d: node(d, 2).update(data=["nan"]), r"node 2: 'data' must be a number, got \["),
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
        (
            lambda d: d["graph"].update(version=4),
            "graph attribute 'version' is 4; this reader knows 1, 2 and 3",
        ),
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
        ("{" * 100_000, "100,000 JSON objects and lists, more than a graph file of this size"),
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
    with pytest.raises(
        GraphFormatError,
        match=r"not valid GraphML at line \d+: 'data' \(double\) must be a number, got 'abc'",
    ):
        load_graph(path)


def test_a_graphml_edge_to_an_undeclared_node_is_refused(tmp_path):
    path = tmp_path / "g.graphml"
    save_graph(Value(1.0, label="x").exp(), path, format="graphml")
    path.write_text(path.read_text().replace('source="0"', 'source="9"'))
    with pytest.raises(GraphFormatError, match="edge source 9 is not a node declared before it"):
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


# -- non-finite numbers and strict JSON ----------------------------------------------------


def strict_json(text: str):
    """Parse ``text`` as strict JSON (RFC 8259): the NaN and Infinity tokens are refused."""

    def reject(token: str):
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=reject)


def non_finite_root() -> Value:
    """A graph holding nan, inf and -inf, in both ``data`` and ``grad``."""
    big, small = Value(math.inf, label="big"), Value(-math.inf, label="small")
    total = big + small  # nan
    root = total * 2.0
    for node, grad in [(big, -math.inf), (small, math.inf), (total, math.nan), (root, 1.0)]:
        node.grad = grad
    return root


def test_a_node_link_file_is_strict_json_with_non_finite_numbers_as_strings(tmp_path):
    path = tmp_path / "g.json"
    save_graph(non_finite_root(), path)
    document = strict_json(path.read_text())
    nodes = {n["label"] or n["op"] or n["kind"]: n for n in document["nodes"]}
    assert (nodes["big"]["data"], nodes["big"]["grad"]) == ("inf", "-inf")
    assert (nodes["small"]["data"], nodes["small"]["grad"]) == ("-inf", "inf")
    assert (nodes["add"]["data"], nodes["add"]["grad"]) == ("nan", "nan")
    assert (nodes["mul"]["data"], nodes["constant"]["data"]) == ("nan", 2.0)
    assert document["graph"]["version"] == 3


def test_the_reference_loss_with_its_nan_gradients_is_strict_json(tmp_path):
    path = tmp_path / "g.json"
    save_graph(reference_loss(), path)
    grads = [node["grad"] for node in strict_json(path.read_text())["nodes"]]
    assert "nan" in grads  # the constant exponent of x ** 2 at x < 0, as in torch


@pytest.mark.parametrize("file_format", FORMATS)
def test_nan_inf_and_minus_inf_round_trip_through_either_format(tmp_path, file_format):
    root = non_finite_root()
    G = to_networkx(root)
    path = tmp_path / f"g{SUFFIX[file_format]}"
    save_graph(G, path, format=file_format)
    loaded = load_graph(path)
    assert repr(list(loaded.nodes(data=True))) == repr(list(G.nodes(data=True)))
    assert type(loaded.nodes[0]["data"]) is float
    again = tmp_path / f"again{SUFFIX[file_format]}"
    save_graph(loaded, again, format=file_format)
    assert again.read_bytes() == path.read_bytes()
    for node in topological_order(root):
        node.grad = 0.0
    assert_same_dag(root, from_networkx(loaded))


def test_graphml_holds_non_finite_numbers_as_double_values(tmp_path):
    path = tmp_path / "g.graphml"
    save_graph(non_finite_root(), path, format="graphml")
    text = path.read_text()
    assert 'attr.name="data" attr.type="double"' in text
    assert all(f">{value}</data>" in text for value in ("nan", "inf", "-inf"))
    # XML Schema's spellings of the same doubles read back as the same numbers.
    for python, schema in [(">nan<", ">NaN<"), (">-inf<", ">-INF<"), (">inf<", ">INF<")]:
        text = text.replace(python, schema)
    xml_schema = tmp_path / "schema.graphml"
    xml_schema.write_text(text)
    assert repr(list(load_graph(xml_schema).nodes(data=True))) == repr(
        list(load_graph(path).nodes(data=True))
    )


def older_file(tmp_path, root: Value, version: int) -> Path:
    """``root`` saved as versions 1 and 2 wrote it: non-finite numbers as the bare tokens
    ``NaN``, ``Infinity`` and ``-Infinity`` (and, in version 1, no scopes)."""
    path = tmp_path / f"v{version}.json"
    document = nx.node_link_data(to_networkx(root), edges="edges")
    document["graph"]["version"] = version
    if version == 1:
        for entry in document["nodes"]:
            del entry["scope"]
    path.write_text(json.dumps(document, separators=(",", ":")) + "\n")
    return path


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_file_with_bare_nan_and_infinity_tokens_still_loads(tmp_path, version):
    root = non_finite_root()
    path = older_file(tmp_path, root, version)
    assert "NaN" in path.read_text() and "-Infinity" in path.read_text()
    loaded = load_graph(path)
    expected = to_networkx(root)
    assert loaded.graph == expected.graph  # read as a version 3 graph
    if version == 2:
        assert repr(list(loaded.nodes(data=True))) == repr(list(expected.nodes(data=True)))
    assert [loaded.nodes[n]["grad"] for n in loaded][:2] == [-math.inf, math.inf]
    upgraded, current = tmp_path / "upgraded.json", tmp_path / "current.json"
    save_graph(loaded, upgraded)
    save_graph(root, current)
    strict_json(upgraded.read_text())
    if version == 2:
        assert upgraded.read_bytes() == current.read_bytes()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"data":"nan"', '"data":NaN', "node 2: 'data' is the bare token NaN, which is not JSON"),
        ('"grad":"-inf"', '"grad":-Infinity', "node 0: 'grad' is the bare token -Infinity"),
        ('"data":"inf"', '"data":1e999', "node 0: 'data' is a number too large for a float"),
        ('"position":0', '"position":NaN', 'NaN is not JSON; version 3 writes .* as "nan"'),
    ],
)
def test_a_version_3_file_with_a_bare_token_is_refused(tmp_path, old, new, message):
    path = tmp_path / "g.json"
    save_graph(non_finite_root(), path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(GraphFormatError, match=message):
        load_graph(path)


def test_a_non_finite_number_outside_data_and_grad_is_not_written(tmp_path):
    G = to_networkx(Value(1.0).exp())
    G.nodes[0]["weight"] = math.nan
    path = tmp_path / "g.json"
    with pytest.raises(
        GraphFormatError, match="not written: node 0: 'weight' is nan; a graph file"
    ):
        save_graph(G, path)
    assert not path.exists()
    assert math.isnan(G.nodes[0]["weight"])  # the graph itself is left as it was


def test_a_graph_claiming_another_version_is_not_written(tmp_path):
    G = to_networkx(Value(2.0).exp())
    G.graph["version"] = 2
    path = tmp_path / "g.json"
    with pytest.raises(GraphFormatError, match="says format 'micrograd-graph' version 2"):
        save_graph(G, path)
    assert not path.exists()


# -- hostile files: one documented error, bounded memory -----------------------------------


@pytest.mark.parametrize("end", ["source", "target"])
@pytest.mark.parametrize("value", [[0], {"id": 0}, None, 1.0, "0", True])
def test_an_edge_end_of_another_type_is_a_dangling_edge_not_a_type_error(tmp_path, end, value):
    path = node_link(tmp_path, lambda d: d["edges"][0].update({end: value}))
    with pytest.raises(GraphFormatError, match=rf"edges\[0\]: {end} .* is not a node"):
        load_graph(path)


def graphml(tmp_path, old: str, new: str) -> Path:
    """The GraphML file of ``x * 2 + x`` with ``old`` replaced by ``new`` once."""
    path = tmp_path / "g.graphml"
    save_graph(Value(3.0, label="x") * 2 + Value(1.0), path, format="graphml")
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('<node id="0">', '<node id="0" yfiles.foldertype="group">', "a group node"),
        (
            '<node id="0">',
            '<node id="0"><graph edgedefault="directed"><node id="9"/></graph>',
            "unexpected <graph> in <node>",
        ),
        (
            "<graph ",
            '<key id="b" for="node" attr.name="flag" attr.type="boolean"><default/></key><graph ',
            "'flag' \\(boolean\\) must be true or false, got ''",
        ),
        (
            "<graph ",
            '<key id="c" for="node" attr.name="w" attr.type="complex"/><graph ',
            "KeyError: 'complex'",
        ),
        ('<data key="d5">x</data>', '<data key="d5">x</data><data key="d5">y</data>', "two <data"),
        ('<data key="d5">x</data>', '<data key="d99">x</data>', "of undeclared key 'd99'"),
        (">3.0<", ">\u0663.0<", "'data' \\(double\\) must be a number, got '\u0663.0'"),
        (">3.0<", ">3_0.0<", "must be a number, got '3_0.0'"),
        ('<node id="0">', '<node id="1_0">', "node id must be an integer, got '1_0'"),
        ('<node id="0">', '<node id="1">', "node id 1 appears twice"),
        ("<graph ", "<hyperedge/><graph ", "unexpected <hyperedge> in <graphml>"),
        ('<data key="d5">x</data>', '<data key="d5"><y:Shape xmlns:y="urn:y"/></data>', "another"),
    ],
)
def test_graphml_beyond_the_format_is_refused_in_one_line(tmp_path, old, new, message):
    path = graphml(tmp_path, old, new)
    with pytest.raises(GraphFormatError, match=message) as caught:
        load_graph(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_hundreds_of_nested_group_nodes_are_refused_not_a_recursion_error(tmp_path):
    top = '<graph edgedefault="directed">'
    nested = '<node id="{0}" yfiles.foldertype="group"><graph edgedefault="directed">'
    groups = "".join(nested.format(100 + i) for i in range(2000)) + "</graph></node>" * 2000
    path = graphml(tmp_path, top, top + groups)
    assert path.stat().st_size > 100_000
    with pytest.raises(GraphFormatError, match="a group node"):
        load_graph(path)


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("utf-8", "DOCTYPE or ENTITY declaration is refused"),
        ("utf-16-le", "not UTF-8 text"),  # never handed to the XML parser
    ],
)
def test_a_document_type_is_refused_in_any_encoding(tmp_path, encoding, message):
    path = tmp_path / "g.graphml"
    save_graph(Value(1.0, label="x").exp(), path, format="graphml")
    body = path.read_text().split("\n", 1)[1].replace(">x<", ">&b;<", 1)
    declaration = '<?xml version="1.0" encoding="UTF-16"?>' if encoding != "utf-8" else ""
    entities = '<!DOCTYPE graphml [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    path.write_bytes(f"{declaration}{entities}\n{body}".encode(encoding))
    with pytest.raises(GraphFormatError, match=message):
        load_graph(path)


def test_json_objects_and_lists_beyond_what_the_node_limit_needs_are_refused_before_parsing(
    tmp_path,
):
    # Each [] is two bytes of file and about 64 bytes of memory once parsed.
    path = node_link(tmp_path, lambda d: d.update(x=[[] for _ in range(400)]))
    with pytest.raises(GraphFormatError, match="JSON objects and lists, more than a graph file"):
        load_graph(path, max_nodes=100)
    # Brackets inside strings are not objects or lists: such a file still loads.
    path = node_link(tmp_path, lambda d: node(d, 0).update(label="[{" * 400))
    assert load_graph(path, max_nodes=100).nodes[0]["label"] == "[{" * 400


def test_more_json_objects_and_lists_than_a_file_of_its_size_holds_are_refused(tmp_path):
    # Before: under the default node limit, a few megabytes of nested lists cost 49 times
    # their size. A node or an edge takes more than 32 bytes of file.
    nested = json.loads("[" * 30 + "]" * 30)
    path = node_link(tmp_path, lambda d: node(d, 0).update(x=[nested] * 100))
    with pytest.raises(GraphFormatError, match=r"3,0\d\d JSON objects and lists, more than a"):
        load_graph(path)


def test_more_than_two_edges_per_node_is_refused_before_a_graph_is_built(tmp_path):
    extra = [{"source": 0, "target": 2, "key": k, "position": 0} for k in range(2, 12)]
    path = node_link(tmp_path, lambda d: d["edges"].extend(extra))
    with pytest.raises(GraphFormatError, match="14 edges for 4 nodes: a node has at most 2"):
        load_graph(path)


def test_a_lone_surrogate_is_refused_so_that_what_loads_can_be_saved(tmp_path):
    path = tmp_path / "g.json"
    save_graph(Value(1.0, label="x\U0001f600").exp(), path)  # a pair of \u escapes: fine
    save_graph(load_graph(path), tmp_path / "again.json")
    path.write_text(path.read_text().replace("\\ude00", ""))
    with pytest.raises(GraphFormatError, match=r"node 0: 'label': text .* lone surrogate"):
        load_graph(path)


def test_input_quoted_in_an_error_cannot_split_the_line_or_reach_the_terminal(tmp_path):
    path = node_link(tmp_path, lambda d: node(d, 2).update(op="mul\n\x1b[2J" + "x" * 5000))
    with pytest.raises(GraphFormatError) as caught:
        load_graph(path)
    message = str(caught.value)
    assert message.isprintable() and len(message) <= 300
    assert "unknown op 'mul\\n\\x1b[2J" in message


# -- what loads saves again, in either format ----------------------------------------------


def assert_saves_and_loads_in_either_format(G: nx.MultiDiGraph, folder: Path) -> None:
    for file_format in FORMATS:
        path = folder / f"again{SUFFIX[file_format]}"
        save_graph(G, path, format=file_format)
        load_graph(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: node(d, 0).update(x=[1, 2]), r"node 0: 'x' is a list; a graph file holds"),
        (lambda d: node(d, 0).update(x=None), r"node 0: 'x' is a NoneType; a graph file holds"),
        (lambda d: d["edges"][0].update(x={"a": 1}), r"edge 0 -> 2: 'x' is a dict;"),
        (lambda d: d["graph"].update(x=[1]), r"graph: 'x' is a list;"),
        (lambda d: node(d, 0).update(label="a\x01b"), r"node 0: 'label': text 'a\\x01b' holds"),
        (lambda d: node(d, 0).update({"a\x1b": 1}), r"node 0: attribute name 'a\\x1b': text"),
        (
            lambda d: d["nodes"][0].update(id=10**30),
            r"nodes\[0\]: 'id' must be an integer of at most 30 digits, got 1000000",
        ),
        (
            lambda d: d["edges"][0].update(key=-(10**30)),
            r"edges\[0\]: 'key' must be an integer of at most 30 digits, got -1000000",
        ),
    ],
)
def test_a_node_link_file_holding_what_graphml_cannot_is_refused(tmp_path, edit, message):
    path = node_link(tmp_path, edit)
    with pytest.raises(GraphFormatError, match=message):
        load_graph(path)


def test_a_4000_digit_node_id_is_refused_not_saved_as_graphml_that_cannot_be_read(tmp_path):
    big = 10**3999

    def edit(document):
        node(document, 0)["id"] = big
        for edge in document["edges"]:
            edge["source"] = big if edge["source"] == 0 else edge["source"]

    with pytest.raises(GraphFormatError, match=r"nodes\[0\]: 'id' must be an integer of at most"):
        load_graph(node_link(tmp_path, edit))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('target="2" id="0"', 'target="2" id="abc"', "edge id must be an integer, got 'abc'"),
        ('target="2" id="0"', f'target="2" id="{10**30}"', "edge id must be an integer, got"),
        (
            '<node id="0">',
            '<node id="0"><data key="k">5</data>',
            "node 0: an attribute may not be called 'id', a name the file gives the node",
        ),
        (
            '<edge source="0" target="2" id="0">',
            '<edge source="0" target="2" id="0"><data key="k">5</data>',
            "edge 0 -> 2: an attribute may not be called 'key'",
        ),
        ('<node id="0">', '<node id="0"><data key="w">inf</data>', "node 0: 'w' is inf;"),
    ],
)
def test_a_graphml_file_holding_what_node_link_cannot_is_refused(tmp_path, old, new, message):
    path = graphml(tmp_path, old, new)
    name = "key" if "edge" in old else "id"
    keys = (
        f'<key id="k" for="{"edge" if "edge" in old else "node"}" attr.name="{name}" '
        'attr.type="long"/><key id="w" for="node" attr.name="w" attr.type="double"/><graph '
    )
    path.write_text(path.read_text().replace("<graph ", keys, 1))
    with pytest.raises(GraphFormatError, match=message):
        load_graph(path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda G: G.nodes[0].update(x=[1]), "not written: node 0: 'x' is a list"),
        (lambda G: G.nodes[0].update(x=None), "not written: node 0: 'x' is a NoneType"),
        (lambda G: G.nodes[0].update(label="\x00"), r"not written: node 0: 'label': text"),
        (lambda G: G.nodes[0].update(label="a\ufffe"), r"not written: node 0: 'label': text"),
        (lambda G: G.nodes[0].update(id=1), "not written: node 0: an attribute may not be"),
        (lambda G: G.edges[0, 1, 0].update(key=5), "not written: edge 0 -> 1: an attribute may"),
        (
            lambda G: nx.relabel_nodes(G, {0: 10**40}, copy=False),
            "not written: node an integer of 41 digits: a node id must be an integer of at most",
        ),
        (
            lambda G: nx.relabel_nodes(G, {0: "a"}, copy=False),
            "not written: node 'a': a node id must be an integer",
        ),
    ],
)
@pytest.mark.parametrize("file_format", FORMATS)
def test_a_graph_holding_what_a_file_cannot_is_not_written_in_either_format(
    tmp_path, edit, message, file_format
):
    G = to_networkx(Value(1.0, label="x").exp())
    edit(G)
    path = tmp_path / f"g{SUFFIX[file_format]}"
    with pytest.raises(GraphFormatError, match=message):
        save_graph(G, path, format=file_format)
    assert not path.exists()


@pytest.mark.parametrize(
    "label", ["a\rb", "a\r\nb", "\t\n", "x\U0001f600", "]]> & <tag>", "\u00a0\u2028\x85\x7f"]
)
def test_any_text_a_file_holds_survives_either_format_exactly(tmp_path, label):
    G = to_networkx(Value(1.0, label=label).exp())
    for first, second in [("node-link", "graphml"), ("graphml", "node-link")]:
        path = tmp_path / f"g{SUFFIX[first]}"
        save_graph(G, path, format=first)
        again = tmp_path / f"again{SUFFIX[second]}"
        save_graph(load_graph(path), again, format=second)
        assert load_graph(again).nodes[0]["label"] == label


def test_extra_attributes_of_text_numbers_and_booleans_survive_either_format(tmp_path):
    path = node_link(
        tmp_path,
        lambda d: (
            node(d, 0).update(note="x", count=10**40, flag=True, weight=0.5),
            d["edges"][0].update(id=7, note="e"),
            d["graph"].update(note="g"),
        ),
    )
    assert_saves_and_loads_in_either_format(load_graph(path), tmp_path)


# -- bounded work --------------------------------------------------------------------------


def deep_scope(levels: int, part: str = "s") -> str:
    return ".".join([part] * levels)


def unchecked_file(G: nx.MultiDiGraph, folder: Path, file_format: str) -> Path:
    """``G`` written by NetworkX alone, without ``save_graph``'s checks: a hostile file."""
    path = folder / f"unchecked{SUFFIX[file_format]}"
    if file_format == "graphml":
        path.write_text("\n".join(nx.generate_graphml(G)))
    else:
        path.write_text(json.dumps(nx.node_link_data(G, edges="edges")))
    return path


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        (deep_scope(33), "node 1: 'scope' has 33 levels and 65 characters; a graph file"),
        (deep_scope(5000), "node 1: 'scope' has 5,000 levels and 9,999 characters"),
        (deep_scope(2, "x" * 200), "node 1: 'scope' has 2 levels and 401 characters"),
    ],
)
@pytest.mark.parametrize("file_format", FORMATS)
def test_a_scope_deeper_or_longer_than_a_file_holds_is_refused(
    tmp_path, scope, message, file_format
):
    G = to_networkx(Value(1.0).exp())
    G.nodes[1]["scope"] = scope
    with pytest.raises(GraphFormatError, match=message) as caught:
        load_graph(unchecked_file(G, tmp_path, file_format))
    assert len(str(caught.value)) <= 300


def test_scopes_as_deep_and_long_as_a_file_holds_load_and_are_written(tmp_path):
    from toolkit.graph import MAX_SCOPE_CHARS, MAX_SCOPE_LEVELS

    deepest = deep_scope(MAX_SCOPE_LEVELS)
    longest = deep_scope(2, "x" * ((MAX_SCOPE_CHARS - 1) // 2))
    for scope in (deepest, longest):
        path = node_link(tmp_path, lambda d, scope=scope: node(d, 2).update(scope=scope))
        assert load_graph(path).nodes[2]["scope"] == scope
    G = load_graph(path)
    G.nodes[2]["scope"] = deep_scope(MAX_SCOPE_LEVELS + 1)
    with pytest.raises(GraphFormatError, match="not written: node 2: 'scope' has 33 levels"):
        save_graph(G, tmp_path / "deeper.json")


def test_counting_json_objects_outside_strings_takes_linear_time(tmp_path):
    # Before: every quote of an unterminated string of escaped quotes started a scan to the
    # end of the file, 7 s for 20,000 of them (quadratic).
    path = tmp_path / "g.json"
    path.write_text("{" + "[" * 400 + '"' + '\\"' * 20_000)
    started = time.perf_counter()
    with pytest.raises(GraphFormatError, match="401 JSON objects and lists, more than a graph"):
        load_graph(path, max_nodes=100)
    assert time.perf_counter() - started < 1.0


def test_a_graphml_edge_must_join_nodes_declared_before_it(tmp_path):
    # Before: each end that was no node became one, uncounted by max_nodes.
    ghost = '<edge source="100" target="101" id="0"/>'
    path = graphml(tmp_path, "</graph>", ghost * 10 + "</graph>")
    with pytest.raises(GraphFormatError, match="edge source 100 is not a node declared before"):
        load_graph(path)
    path = graphml(tmp_path, '<edge source="0"', f'{ghost}<edge source="0"')
    with pytest.raises(GraphFormatError, match="edge source 100 is not a node declared before"):
        load_graph(path, max_nodes=5)  # the file's own nodes, and none more


def test_node_link_nodes_without_their_attributes_are_refused_before_a_graph_is_built(
    tmp_path, monkeypatch
):
    def bare(document):
        document["nodes"] += [{"id": i} for i in range(10, 20)]

    path = node_link(tmp_path, bare)

    def never(*_, **__):
        raise AssertionError("a graph was built")

    monkeypatch.setattr(nx, "node_link_graph", never)
    with pytest.raises(GraphFormatError, match="node 10: missing attribute 'kind'"):
        load_graph(path)


# -- text read as the format says ---------------------------------------------------------


def test_a_utf16_graphml_file_without_a_byte_order_mark_is_refused_as_not_utf8(tmp_path):
    path = tmp_path / "g.graphml"
    save_graph(Value(1.0, label="x").exp(), path, format="graphml")
    path.write_bytes(path.read_text().encode("utf-16-le"))
    with pytest.raises(GraphFormatError, match=r"not UTF-8 text \(a NUL byte at byte 1"):
        load_graph(path)


@pytest.mark.parametrize("padding", ["\u00a0", "\u2003", "\u3000"])
def test_a_graphml_number_padded_with_other_spaces_is_refused_like_in_csv(tmp_path, padding):
    path = graphml(tmp_path, ">3.0<", f">{padding}3.0{padding}<")
    with pytest.raises(GraphFormatError, match=r"'data' \(double\) must be a number, got"):
        load_graph(path)
    assert load_graph(graphml(tmp_path, ">3.0<", "> \t3.0\n<")).nodes[0]["data"] == 3.0


def test_a_graphml_tag_longer_than_any_the_format_needs_is_refused_as_it_is_read(tmp_path):
    # Before: expat held the whole tag, then built its attributes: 25 times its size.
    attributes = " ".join(f'a{i}=""' for i in range(20_000))
    path = graphml(tmp_path, '<node id="0">', f'<node id="0" {attributes}>')
    with pytest.raises(GraphFormatError, match="no tag ends in the 65,536 bytes from byte"):
        load_graph(path)
    forty = " ".join(f'a{i}=""' for i in range(40))
    path = graphml(tmp_path, '<node id="0">', f'<node id="0" {forty}>')
    with pytest.raises(GraphFormatError, match="<node> has 41 XML attributes; GraphML has"):
        load_graph(path)


def test_text_of_any_length_survives_graphml(tmp_path):
    label = "long label " * 100_000
    path = tmp_path / "g.graphml"
    save_graph(Value(1.0, label=label).exp(), path, format="graphml")
    assert load_graph(path).nodes[0]["label"] == label


def test_a_graph_of_more_scopes_than_a_file_holds_is_refused_on_saving_and_on_loading(
    tmp_path, monkeypatch
):
    import toolkit.graph as graph_module
    from micrograd import scope

    monkeypatch.setattr(graph_module, "MAX_SCOPES", 3)
    leaves = []
    for name in ("a", "b", "c", "d"):
        with scope(name):
            leaves.append(Value(1.0))
    total = (leaves[0] + leaves[1]) * (leaves[2] + leaves[3])  # scope "" too: 5 scopes
    path = tmp_path / "g.json"
    with pytest.raises(GraphFormatError, match="more than 3 distinct scopes"):
        save_graph(total, path)
    assert not path.exists()
    monkeypatch.setattr(graph_module, "MAX_SCOPES", 5)
    save_graph(total, path)
    monkeypatch.setattr(graph_module, "MAX_SCOPES", 4)
    with pytest.raises(GraphFormatError, match="more than 4 distinct scopes"):
        load_graph(path)


def test_every_level_of_a_scope_counts_toward_the_limit(tmp_path, monkeypatch):
    import toolkit.graph as graph_module
    from micrograd import scope

    with scope("a"), scope("b"), scope("c"):
        deep = Value(1.0)
    monkeypatch.setattr(graph_module, "MAX_SCOPES", 2)
    with pytest.raises(GraphFormatError, match="more than 2 distinct scopes, every level"):
        save_graph(deep, tmp_path / "deep.json")
    monkeypatch.setattr(graph_module, "MAX_SCOPES", 3)
    save_graph(deep, tmp_path / "deep.json")
