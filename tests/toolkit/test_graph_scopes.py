"""Scopes in graphs and graph files: exported, saved, loaded and rebuilt."""

from __future__ import annotations

import json

import pytest

from micrograd import Value, scope, topological_order
from micrograd.demo import demo_loss, demo_model
from toolkit.graph import (
    FORMAT_VERSION,
    NON_FINITE_STRINGS,
    from_networkx,
    load_graph,
    save_graph,
    to_networkx,
)


def scopes_of(G) -> list[str]:
    return [G.nodes[node]["scope"] for node in sorted(G)]


@pytest.fixture
def reference_loss():
    loss = demo_loss(demo_model(0))
    loss.backward()
    return loss


def test_every_node_of_an_export_carries_its_scope(reference_loss):
    G = to_networkx(reference_loss)
    assert scopes_of(G) == [node.scope for node in topological_order(reference_loss)]
    assert G.nodes[G.graph["root"]]["scope"] == "loss"


@pytest.mark.parametrize("file_format", ["node-link", "graphml"])
def test_scopes_survive_a_file_round_trip_and_a_rebuild(tmp_path, reference_loss, file_format):
    G = to_networkx(reference_loss)
    path = tmp_path / "loss.graph"
    save_graph(G, path, format=file_format)
    loaded = load_graph(path)
    assert scopes_of(loaded) == scopes_of(G)
    rebuilt = from_networkx(loaded)
    assert [node.scope for node in topological_order(rebuilt)] == scopes_of(G)
    again = tmp_path / "again.graph"
    save_graph(loaded, again, format=file_format)
    assert again.read_bytes() == path.read_bytes()


def test_an_empty_scope_survives_graphml(tmp_path):
    with scope("inner"):
        y = Value(2.0) * 3
    root = y + Value(1.0)
    path = tmp_path / "g.graphml"
    save_graph(root, path, format="graphml")
    assert scopes_of(load_graph(path)) == ["inner", "inner", "inner", "", ""]


def version_1_file(tmp_path, root: Value):
    """A file as version 1 wrote it: no scope attribute anywhere, and non-finite numbers (the
    reference loss has nan gradients) as the bare tokens ``NaN``, ``Infinity``, ``-Infinity``."""
    path = tmp_path / "old.json"
    save_graph(root, path)
    document = json.loads(path.read_text())
    document["graph"]["version"] = 1
    for node in document["nodes"]:
        del node["scope"]
        for name in ("data", "grad"):
            node[name] = NON_FINITE_STRINGS.get(node[name], node[name])
    path.write_text(json.dumps(document))
    assert "NaN" in path.read_text()
    return path


def test_a_version_1_file_still_loads_with_every_scope_empty(tmp_path, reference_loss):
    path = version_1_file(tmp_path, reference_loss)
    G = load_graph(path)
    assert G.graph["version"] == FORMAT_VERSION
    assert set(scopes_of(G)) == {""}
    assert from_networkx(G).data == reference_loss.data
    upgraded = tmp_path / "new.json"
    save_graph(G, upgraded)
    assert json.loads(upgraded.read_text())["graph"]["version"] == FORMAT_VERSION
