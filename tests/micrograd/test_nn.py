"""Neuron, Layer and MLP: construction, validation, determinism, parameters."""

from __future__ import annotations

import random

import pytest

from micrograd import MLP, Layer, Neuron, Parameter, Value, topological_order


def test_reference_architecture_has_41_parameters_and_shows_itself():
    model = MLP(3, [4, 4, 1])
    assert len(model.parameters()) == 41
    assert repr(model) == "MLP(3 -> 4 tanh -> 4 tanh -> 1 tanh, 41 parameters)"
    assert repr(model.layers[0]) == "Layer(3 -> 4 tanh)"
    assert repr(model.layers[0].neurons[0]) == "Neuron(3, tanh)"


def test_activations_are_selectable_per_hidden_and_output_layer():
    model = MLP(2, [3, 1], activation="relu", output_activation="linear")
    assert [layer.activation for layer in model.layers] == ["relu", "linear"]
    out = model([0.5, -0.5])
    assert out._op == "add"  # a linear output applies no activation
    assert all(n._op == "relu" for n in model.layers[0]([0.5, -0.5]))
    assert MLP(2, [3, 1], activation="sigmoid")([0.1, 0.2])._op == "sigmoid"


def test_tanh_everywhere_by_default():
    out = MLP(3, [4, 4, 1])([1.0, 2.0, 3.0])
    assert out._op == "tanh"


def test_initial_weights_are_uniform_draws_from_the_seed():
    model = MLP(2, [2], seed=5)
    rng = random.Random(5)
    expected = [rng.uniform(-1, 1) for _ in range(6)]
    assert [p.data for p in model.parameters()] == expected


def test_same_seed_same_parameters_different_seed_different():
    a, b, c = MLP(3, [4, 4, 1], seed=1), MLP(3, [4, 4, 1], seed=1), MLP(3, [4, 4, 1], seed=2)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


def test_initialisation_does_not_touch_the_global_random_state():
    random.seed(123)
    before = random.random()
    random.seed(123)
    MLP(3, [4, 4, 1], seed=9)
    assert random.random() == before


def test_parameter_names_say_where_each_sits():
    model = MLP(3, [4, 4, 1])
    names = dict(model.named_parameters())
    assert names["layers.0.neurons.1.w.2"] is model.layers[0].neurons[1].w[2]
    assert names["layers.2.neurons.0.b"] is model.layers[2].neurons[0].b
    assert len(names) == 41


def test_zero_grad_clears_every_parameter_gradient():
    model = MLP(3, [4, 1])
    model([1.0, 2.0, 3.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_one_neuron_layers_return_a_value_and_still_compose():
    model = MLP(3, [1, 4, 1])
    hidden = model.layers[0]([1.0, 2.0, 3.0])
    assert isinstance(hidden, Value)
    out = model([1.0, 2.0, 3.0])
    assert isinstance(out, Value)
    out.backward()
    assert model.layers[0].neurons[0].w[0].grad != 0.0


def test_multi_output_mlp_returns_a_list():
    out = MLP(2, [3, 2])([0.1, 0.2])
    assert isinstance(out, list) and len(out) == 2


def test_numeric_inputs_become_one_shared_leaf_per_input():
    layer = Layer(2, 3, rng=random.Random(0))
    outs = layer([1.0, 2.0])
    parameters = set(layer.parameters())
    inputs = {n for out in outs for n in topological_order(out) if not n._prev} - parameters
    assert sorted(n.data for n in inputs) == [1.0, 2.0]  # one node per input, shared


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MLP(0, [1]), "MLP nin must be a positive integer, got 0"),
        (lambda: MLP(3, []), "non-empty"),
        (lambda: MLP(3, [4, 0, 1]), r"MLP nouts\[1\] must be a positive integer, got 0"),
        (lambda: MLP(3, [4, -2]), r"nouts\[1\]"),
        (lambda: MLP(3, [4, 2.5]), r"nouts\[1\]"),
        (lambda: MLP(3, [4], activation="softmax"), "unknown activation 'softmax'"),
        (lambda: Neuron(0, rng=random.Random(0)), "Neuron nin"),
        (lambda: Layer(2, 0, rng=random.Random(0)), "Layer nout"),
    ],
)
def test_bad_architecture_raises_value_error_saying_what(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_input_length_names_expected_and_got():
    model = MLP(3, [4, 1])
    with pytest.raises(ValueError, match="MLP expected 3 inputs, got 2"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match="Layer expected 3 inputs, got 1"):
        model.layers[0](1.0)
    with pytest.raises(TypeError, match="list of numbers"):
        model("abc")


def test_parameters_are_labelled_with_their_names():
    model = MLP(3, [4, 4, 1])
    assert all(type(p) is Parameter for p in model.parameters())
    assert all(p.label == name for name, p in model.named_parameters())
    assert Neuron(2, rng=random.Random(0)).b.label == "b"


def test_state_dict_maps_every_parameter_name_to_its_value_in_order():
    model = MLP(3, [4, 4, 1], seed=2)
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    assert state["layers.1.neurons.3.w.2"] == model.layers[1].neurons[3].w[2].data
    state["layers.0.neurons.0.b"] = 123.0
    assert model.layers[0].neurons[0].b.data != 123.0  # a copy, not a view


def test_load_state_dict_makes_a_model_compute_exactly_what_the_source_did():
    source, target = MLP(3, [4, 4, 1], seed=1), MLP(3, [4, 4, 1], seed=7)
    target.load_state_dict(source.state_dict())
    assert target([2.0, 3.0, -1.0]).data == source([2.0, 3.0, -1.0]).data
    assert [p.data for p in target.parameters()] == [p.data for p in source.parameters()]


def test_load_state_dict_accepts_integers_as_floats():
    model = MLP(1, [1], activation="linear")
    model.load_state_dict({"layers.0.neurons.0.w.0": 2, "layers.0.neurons.0.b": -1})
    assert model([3.0]).data == 5.0
    assert type(model.layers[0].neurons[0].b.data) is float


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda s: s.pop("layers.1.neurons.0.b"), ValueError, "missing layers.1.neurons.0.b$"),
        (lambda s: s.update(extra=1.0), ValueError, "unexpected 'extra'"),
        (
            lambda s: s.update({"layers.0.neurons.1.w.0": float("nan")}),
            ValueError,
            "layers.0.neurons.1.w.0 must be finite, got nan",
        ),
        (
            lambda s: s.update({"layers.0.neurons.1.w.0": float("-inf")}),
            ValueError,
            "must be finite, got -inf",
        ),
        (
            lambda s: s.update({"layers.0.neurons.1.w.1": "abc"}),
            TypeError,
            "layers.0.neurons.1.w.1 needs a real number, got 'abc'",
        ),
    ],
)
def test_bad_state_dict_is_refused_naming_the_entry_and_changes_nothing(change, error, message):
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state = MLP(2, [2, 1], seed=5).state_dict()
    change(state)
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


@pytest.mark.parametrize(
    "make", [lambda: MLP(3, [4, 2, 1]), lambda: Layer(2, 3, rng=random.Random(0))]
)
def test_parameters_come_in_the_order_of_their_names(make):
    module = make()
    assert module.parameters() == [p for _, p in module.named_parameters()]
