"""The training loop and the reference run's behaviour across seeds."""

from __future__ import annotations

import math

import pytest

from micrograd import MLP
from micrograd.demo import demo_loss, demo_model, reference_run
from micrograd.losses import sum_of_squares
from micrograd.train import NonFiniteLossError, train


def test_reference_run_drops_steeply_then_slowly_for_most_seeds():
    good = 0
    for seed in range(10):
        losses = reference_run(seed)
        assert len(losses) == 50
        if losses[-1] < 0.05 and losses[-1] < losses[0] / 10:
            good += 1
    assert good >= 8


def test_reference_run_is_bit_for_bit_deterministic_per_seed():
    assert reference_run(3) == reference_run(3)
    assert reference_run(3) != reference_run(4)


def test_training_leaves_the_same_parameters_for_the_same_seed():
    def trained(seed):
        model = demo_model(seed)
        train(model, lambda: demo_loss(model), steps=5, lr=0.05)
        return [p.data for p in model.parameters()]

    assert trained(2) == trained(2)


def test_one_training_step_is_zero_grad_backward_and_sgd():
    model = demo_model(0)
    start = [p.data for p in model.parameters()]
    loss = demo_loss(model)
    loss.backward()
    expected = [x - 0.05 * p.grad for x, p in zip(start, model.parameters())]
    fresh = demo_model(0)
    history = train(fresh, lambda: demo_loss(fresh), steps=1, lr=0.05)
    assert history == [loss.data]
    assert [p.data for p in fresh.parameters()] == expected


def test_learning_rate_may_be_a_schedule():
    model = MLP(1, [1], activation="linear", seed=0)
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.1

    train(model, lambda: sum_of_squares([model([1.0])], [2.0]), steps=3, lr=schedule)
    assert seen == [0, 1, 2]


def test_non_finite_loss_stops_naming_the_step_without_touching_parameters():
    model = MLP(1, [1], activation="linear", seed=0)
    steps_done = []
    with pytest.raises(NonFiniteLossError, match=r"at step \d+") as error:
        train(
            model,
            lambda: sum_of_squares([model([1.0])], [2.0]),
            steps=200,
            lr=10.0,
            on_step=lambda step, loss: steps_done.append(step),
        )
    step = int(str(error.value).split("at step ")[1].split(";")[0])
    assert step == len(steps_done)
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_sum_of_squares_needs_matching_lengths():
    with pytest.raises(ValueError, match="got 1 predictions for 2 targets"):
        sum_of_squares([MLP(1, [1])([1.0])], [1.0, 2.0])
