"""Scopes: every node records the module that built it."""

from __future__ import annotations

import copy
import pickle
import random
from collections import Counter

import pytest

from micrograd import MLP, Constant, Parameter, Value, current_scope, scope, topological_order
from micrograd.demo import XS, demo_loss, demo_model
from micrograd.engine import weighted_sum
from micrograd.losses import dataset_loss
from micrograd.nn import Layer, Neuron
from micrograd.ops import OPS


def test_nodes_made_inside_a_scope_record_it_and_nodes_outside_record_nothing():
    outside = Value(1.0)
    with scope("block"):
        leaf = Value(2.0)
        product = leaf * outside
        constant_side = 3 - leaf
    after = product + 1
    assert [outside.scope, leaf.scope, product.scope, constant_side.scope, after.scope] == [
        "",
        "block",
        "block",
        "block",
        "",
    ]
    assert constant_side._prev[0].scope == "block"  # the Constant made from 3 as well


def test_nested_scopes_join_with_dots_and_restore_the_outer_one():
    with scope("model"):
        with scope("layers.0") as inner:
            assert inner == current_scope() == "model.layers.0"
            x = Value(1.0).exp()
        assert current_scope() == "model"
    assert current_scope() == ""
    assert x.scope == "model.layers.0"


def test_a_scope_is_left_even_when_its_block_raises():
    with pytest.raises(ZeroDivisionError), scope("failing"):
        raise ZeroDivisionError
    assert current_scope() == ""


@pytest.mark.parametrize("name", ["", ".", "a.", ".a", "a..b"])
def test_a_scope_name_needs_non_empty_parts(name):
    with pytest.raises(ValueError, match="non-empty parts"), scope(name):
        pass


def test_a_scope_name_must_be_text():
    with pytest.raises(TypeError, match="must be text, got 3"), scope(3):
        pass


@pytest.mark.parametrize("op_name", sorted(OPS))
def test_every_operation_records_the_scope(op_name):
    operands = [Value(0.5), Value(2.0)][: OPS[op_name].arity]
    with scope("ops"):
        result = Value._apply(op_name, *operands)
    assert result.scope == "ops"


def test_weighted_sum_builds_every_node_in_the_current_scope():
    w, x, b = [Parameter(2.0), Parameter(3.0)], [Value(0.5), Value(-1.0)], Parameter(1.0)
    with scope("neuron"):
        total = weighted_sum(w, x, b)
    built = [node for node in topological_order(total) if node._prev]
    assert len(built) == 4
    assert {node.scope for node in built} == {"neuron"}


def test_all_nodes_of_one_scope_share_one_string():
    model = MLP(3, [4, 1], seed=0)
    nodes = topological_order(model([1.0, 2.0, 3.0]))
    by_scope: dict[str, set[int]] = {}
    for node in nodes:
        by_scope.setdefault(node.scope, set()).add(id(node.scope))
    assert all(len(identities) == 1 for identities in by_scope.values())


def neuron_scope(parameter_name: str) -> str:
    """``layers.0.neurons.1`` for ``layers.0.neurons.1.w.2`` or ``layers.0.neurons.1.b``."""
    parts = parameter_name.split(".")
    return ".".join(parts[:-2] if parts[-2] == "w" else parts[:-1])


def test_a_neuron_builds_everything_in_its_scope_where_its_parameters_are():
    model = MLP(3, [4, 4, 1], seed=0)
    for name, parameter in model.named_parameters():
        assert parameter.scope == neuron_scope(name)
    inputs = [Value(1.0), Value(2.0), Value(-1.0)]
    output = model(inputs)
    operations = [node for node in topological_order(output) if node._prev]
    # What each neuron j of layer i builds: n products, n sums, one tanh (n = its inputs).
    expected = Counter(
        {
            f"layers.{i}.neurons.{j}": 2 * nin + 1
            for i, (nin, nout) in enumerate([(3, 4), (4, 4), (4, 1)])
            for j in range(nout)
        }
    )
    assert Counter(node.scope for node in operations) == expected
    assert {x.scope for x in inputs} == {""}


def test_a_layer_or_neuron_on_its_own_is_named_from_itself():
    layer = Layer(2, 2, rng=random.Random(0))
    assert [neuron.name for neuron in layer.neurons] == ["neurons.0", "neurons.1"]
    assert layer([1.0, 2.0])[1].scope == "neurons.1"
    neuron = Neuron(2, rng=random.Random(0))
    assert neuron.name == "" and neuron.b.scope == ""
    assert neuron([1.0, 2.0]).scope == ""


def test_a_model_built_inside_a_scope_nests_its_own_scopes_wherever_it_is_called():
    with scope("critic"):
        model = MLP(2, [1], seed=0)
        out = model([1.0, 2.0])
    assert model.layers[0].neurons[0].b.scope == "critic.layers.0.neurons.0"
    assert out.scope == "critic.layers.0.neurons.0"
    assert model([1.0, 2.0]).scope == "critic.layers.0.neurons.0"  # called outside


def test_a_neurons_operations_are_always_in_the_scope_of_its_parameters():
    with scope("enc"):
        encoder = MLP(2, [2, 1], seed=0)
    decoder = MLP(1, [2, 1], seed=1)
    x = [Value(1.0), Value(-2.0)]
    with scope("pipeline"):
        out = decoder([encoder(x)])
    nodes = topological_order(out)
    parameters = {id(p) for p in encoder.parameters() + decoder.parameters()}
    scopes_of = {}
    for node in nodes:
        kind = "parameter" if id(node) in parameters else "operation" if node._op else "other"
        scopes_of.setdefault(node.scope, set()).add(kind)
    neurons = {name for name in scopes_of if ".neurons." in name}
    assert neurons == {
        *(f"enc.layers.0.neurons.{j}" for j in range(2)),
        "enc.layers.1.neurons.0",
        *(f"layers.0.neurons.{j}" for j in range(2)),
        "layers.1.neurons.0",
    }
    assert all(scopes_of[name] == {"parameter", "operation"} for name in neurons)
    assert {node.scope for node in nodes if not node._op and id(node) not in parameters} == {""}


def test_a_neuron_that_fails_leaves_the_scope_as_it_was():
    neuron = MLP(2, [1], seed=0).layers[0].neurons[0]
    with pytest.raises(TypeError):
        neuron._forward([Value(1.0), "two"])
    assert current_scope() == ""


def test_the_reference_loss_puts_data_model_and_loss_in_their_scopes():
    model = demo_model(0)
    loss = demo_loss(model)
    nodes = topological_order(loss)
    rows, nin = len(XS), len(XS[0])
    sizes = [nin, 4, 4, 1]
    expected: Counter[str] = Counter()
    for i in range(3):
        for j in range(sizes[i + 1]):
            n = sizes[i]
            expected[f"layers.{i}.neurons.{j}"] = (n + 1) + rows * (2 * n + 1)
    expected["data"] = rows * nin
    # Per row: prediction - target (a constant) and ** 2 (a constant); the sum starts at 0.
    expected["loss"] = rows * 4 + 1 + rows
    assert Counter(node.scope for node in nodes) == expected
    assert sum(expected.values()) == len(nodes) == 366
    data = [node for node in nodes if node.scope == "data"]
    assert [node.label for node in data[:3]] == ["x.0.0", "x.0.1", "x.0.2"]
    assert all(type(node) is Constant for node in nodes if node.scope == "loss" and not node._prev)


def test_dataset_loss_takes_any_criterion_and_builds_it_in_the_loss_scope():
    model = MLP(1, [1], activation="linear", seed=0)
    loss = dataset_loss(model, [[1.0], [2.0]], [0.0, 0.0], lambda p, y: p[0] * p[1])
    assert loss.scope == "loss" and loss._op == "mul"
    assert loss.data == model([1.0]).data * model([2.0]).data


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))]
)
def test_copies_and_pickles_keep_the_scope(clone):
    with scope("kept"):
        node = Value(2.0) * Value(3.0)
        leaf = Value(1.0)
    assert clone(node).scope == "kept"
    assert clone(leaf).scope == "kept"
