"""Value DAGs to NetworkX and back: node ids, attributes, edges, and bit-exact rebuilding."""

from __future__ import annotations

import math
import struct

import networkx as nx
import pytest
from hypothesis import given

from micrograd import MLP, Constant, Parameter, Value, topological_order
from micrograd.demo import demo_loss, demo_model
from micrograd.losses import LOSSES
from tests.micrograd.expressions import EDGES, MODERATE, micrograd_apply, programs, run
from toolkit.graph import (
    GraphFormatError,
    check_graph,
    from_networkx,
    rebuild_values,
    to_networkx,
)
from toolkit.training import loss_graph, loss_graph_nodes


def bits(x: float) -> bytes:
    """A float's exact bits, except that every nan is the same nan."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def build(program) -> Value:
    return run(program, lambda x: Value(x), micrograd_apply)[-1]


def test_a_plus_a_keeps_both_edges_with_their_positions():
    a = Value(2.0, label="a")
    G = to_networkx(a + a)
    assert isinstance(G, nx.MultiDiGraph)
    assert sorted(G.edges(keys=True, data="position")) == [(0, 1, 0, 0), (0, 1, 1, 1)]


def test_edges_run_operand_to_result_and_carry_the_operand_position():
    a, b = Value(2.0, label="a"), Value(5.0, label="b")
    G = to_networkx(b - a)
    ids = {G.nodes[n]["label"]: n for n in G}
    root = G.graph["root"]
    assert G.nodes[root]["op"] == "sub"
    assert G.edges[ids["b"], root, 0]["position"] == 0
    assert G.edges[ids["a"], root, 1]["position"] == 1


def test_nodes_carry_kind_op_label_data_and_grad():
    w = Parameter(0.5, label="w")
    x = Value(3.0, label="x")
    y = 2 * w * x
    y.backward()
    G = to_networkx(y)
    by_label = {G.nodes[n]["label"]: G.nodes[n] for n in G if G.nodes[n]["label"]}
    leaf = {"op": "", "scope": ""}
    assert by_label["w"] == {**leaf, "kind": "parameter", "label": "w", "data": 0.5, "grad": 6.0}
    assert by_label["x"] == {**leaf, "kind": "input", "label": "x", "data": 3.0, "grad": 1.0}
    constants = [G.nodes[n] for n in G if G.nodes[n]["kind"] == "constant"]
    assert [(c["data"], c["op"]) for c in constants] == [(2.0, "")]
    assert G.nodes[G.graph["root"]] == {
        "kind": "operation",
        "op": "mul",
        "label": "",
        "scope": "",
        "data": 3.0,
        "grad": 1.0,
    }


def test_grads_false_leaves_the_gradient_out():
    G = to_networkx(Value(1.0).exp(), grads=False)
    assert all("grad" not in attributes for _, attributes in G.nodes(data=True))


def test_the_same_graph_built_twice_gets_the_same_ids():
    first = to_networkx(demo_loss(demo_model(0)))
    second = to_networkx(demo_loss(demo_model(0)))
    assert list(first.nodes(data=True)) == list(second.nodes(data=True))
    assert list(first.edges(keys=True, data=True)) == list(second.edges(keys=True, data=True))
    assert list(first) == list(range(first.number_of_nodes()))


def test_mlp_parameters_are_recognisable_by_kind_and_name():
    model = MLP(3, [4, 4, 1], seed=0)
    G = to_networkx(model([1.0, 2.0, 3.0]))
    named = {G.nodes[n]["label"] for n in G if G.nodes[n]["kind"] == "parameter"}
    assert named == {name for name, _ in model.named_parameters()}
    assert "layers.0.neurons.1.w.2" in named
    assert G.graph == {"format": "micrograd-graph", "version": 3, "root": G.number_of_nodes() - 1}


def test_to_networkx_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="needs a Value, got float"):
        to_networkx(1.0)


def test_rebuilt_leaves_have_their_class_label_and_value():
    w, c, x = Parameter(0.25, label="w"), Constant(3.0), Value(-1.0, label="x")
    values = rebuild_values(to_networkx(w * c + x))
    leaves = [v for v in values.values() if not v._prev]
    assert [(type(v), v.label, v.data) for v in leaves] == [
        (Parameter, "w", 0.25),
        (Constant, "", 3.0),
        (Value, "x", -1.0),
    ]
    assert all(v.grad == 0.0 for v in values.values())


def test_rebuilt_reference_loss_gives_the_same_loss_and_gradients_bit_for_bit():
    model = demo_model(0)
    loss = demo_loss(model)
    loss.backward()
    rebuilt = from_networkx(to_networkx(loss))
    rebuilt.backward()
    assert bits(rebuilt.data) == bits(loss.data)
    original = {p.label: p.grad for p in model.parameters()}
    again = {v.label: v.grad for v in topological_order(rebuilt) if type(v) is Parameter}
    assert again == original and len(again) == 41


def assert_same_dag(original: Value, rebuilt: Value) -> None:
    """Same shape, same ops, same forward and backward numbers, node by node."""
    for node in (original, rebuilt):
        node.backward()
    first, second = topological_order(original), topological_order(rebuilt)
    assert len(first) == len(second)
    for a, b in zip(first, second):
        assert (type(a), a._op, a.label, len(a._prev)) == (type(b), b._op, b.label, len(b._prev))
        assert bits(a.data) == bits(b.data)
        assert bits(a.grad) == bits(b.grad)


@given(programs())
def test_random_dags_rebuild_bit_for_bit(program):
    root = build(program)
    assert_same_dag(root, from_networkx(to_networkx(root, grads=False)))


@given(programs(values=EDGES))
def test_random_dags_with_infinities_and_nans_rebuild_bit_for_bit(program):
    root = build(program)
    assert_same_dag(root, from_networkx(to_networkx(root, grads=False)))


@given(programs(values=MODERATE, max_leaves=3, max_steps=25))
def test_random_dags_rebuild_with_the_same_node_ids(program):
    G = to_networkx(build(program))
    again = to_networkx(from_networkx(G))
    assert [G.nodes[n]["op"] for n in G] == [again.nodes[n]["op"] for n in again]
    assert list(G.edges(keys=True)) == list(again.edges(keys=True))


def test_a_stored_value_that_the_op_does_not_reproduce_names_the_node():
    G = to_networkx(Value(2.0) * 3)
    G.nodes[2]["data"] = 6.000000000000001
    with pytest.raises(GraphFormatError, match=r"node 2 \(mul\): recomputed 6.0 .* stores 6.0000"):
        from_networkx(G)


def test_a_sign_of_zero_counts_as_a_different_value():
    G = to_networkx(Value(0.0) * -1)
    assert math.copysign(1.0, G.nodes[2]["data"]) == -1.0
    G.nodes[2]["data"] = 0.0
    with pytest.raises(GraphFormatError, match="node 2"):
        from_networkx(G)


def test_a_deep_chain_exports_and_rebuilds_without_recursion():
    x = Value(0.5, label="x")
    y = x
    for _ in range(20_000):
        y = y * 1.0
    G = to_networkx(y)
    assert G.number_of_nodes() == 40_001
    assert len(check_graph(G).levels) == 20_001
    assert from_networkx(G).data == 0.5


@pytest.mark.parametrize("loss", [*LOSSES, None])
@pytest.mark.parametrize(
    ("nin", "layers", "activation", "output_activation", "rows"),
    [
        (3, [4, 4, 1], "tanh", None, 4),
        (2, [16, 16, 1], "relu", "linear", 3),
        (1, [1], "linear", None, 1),
    ],
)
def test_the_size_of_every_loss_graph_is_counted_before_it_is_built(
    nin, layers, activation, output_activation, rows, loss
):
    model = MLP(nin, layers, activation, output_activation, seed=0)
    xs = [[0.5 * (row + i) for i in range(nin)] for row in range(rows)]
    ys = [1.0 if row % 2 else -1.0 for row in range(rows)]
    if loss is None:  # the forward graph of one row
        rows, root = 1, model(xs[0])
    else:
        settings = {"alpha": 1e-4} if loss == "max_margin_l2" else {}
        root = loss_graph(model, xs, ys, loss, **settings)
    counted = loss_graph_nodes(nin, layers, activation, output_activation, rows=rows, loss=loss)
    assert counted == len(topological_order(root))
