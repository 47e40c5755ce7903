"""The moons losses of micrograd.losses: max-margin and the L2 penalty, against torch."""

from __future__ import annotations

import pytest

from micrograd import MLP, Value
from micrograd.losses import l2_penalty, max_margin


def test_max_margin_averages_the_hinge_over_the_points():
    scores = [Value(2.0), Value(0.5), Value(-0.25)]
    loss = max_margin(scores, [1.0, 1.0, 1.0])
    assert loss.data == (0.0 + 0.5 + 1.25) / 3
    loss.backward()
    # Points beyond the margin get no gradient; the others get -y / n.
    assert [score.grad for score in scores] == [0.0, -1 / 3, -1 / 3]


def test_max_margin_and_l2_match_torch_in_float64(torch):
    model = MLP(2, [5, 1], activation="relu", output_activation="linear", seed=4)
    xs = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.8], [0.1, 0.2]]
    ys = [1.0, -1.0, 1.0, -1.0]
    loss = max_margin([model(x) for x in xs], ys) + l2_penalty(model.parameters(), 1e-3)
    loss.backward()

    layers = model.layers
    weights = [
        torch.tensor([[w.data for w in n.w] for n in layer.neurons], requires_grad=True)
        for layer in layers
    ]
    biases = [
        torch.tensor([n.b.data for n in layer.neurons], requires_grad=True) for layer in layers
    ]
    hidden = torch.relu(torch.tensor(xs) @ weights[0].T + biases[0])
    scores = (hidden @ weights[1].T + biases[1]).squeeze(1)
    hinge = torch.relu(1 - torch.tensor(ys) * scores).mean()
    penalty = 1e-3 * sum((p * p).sum() for p in [*weights, *biases])
    expected = hinge + penalty
    expected.backward()

    assert loss.data == pytest.approx(expected.item(), rel=1e-12)
    for layer, w, b in zip(layers, weights, biases):
        for i, neuron in enumerate(layer.neurons):
            assert [p.grad for p in neuron.w] == pytest.approx(w.grad[i].tolist(), rel=1e-12)
            assert neuron.b.grad == pytest.approx(b.grad[i].item(), rel=1e-12)


def test_l2_penalty_gradient_is_twice_alpha_times_each_parameter():
    parameters = [Value(3.0), Value(-0.5)]
    penalty = l2_penalty(parameters, 0.01)
    assert penalty.data == pytest.approx(0.01 * (9.0 + 0.25), rel=1e-15)
    penalty.backward()
    assert [p.grad for p in parameters] == pytest.approx([0.06, -0.01], rel=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: max_margin([Value(1.0)], [1.0, -1.0]), "got 1 predictions for 2 targets"),
        (lambda: max_margin([], []), "max_margin needs at least one score"),
        (lambda: l2_penalty([], 1e-4), "l2_penalty needs at least one parameter"),
    ],
)
def test_bad_arguments_raise_saying_what(call, message):
    with pytest.raises(ValueError, match=message):
        call()
