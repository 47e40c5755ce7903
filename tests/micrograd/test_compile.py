"""Compiled replay: a tape gives the eager engine's numbers bit for bit, for new leaf values
too, and train(compiled=True) trains exactly as the eager loop does."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import MLP, Value
from micrograd.demo import demo_loss, demo_model
from micrograd.losses import sum_of_squares
from micrograd.tape import BACKENDS, compile_graph
from micrograd.train import NonFiniteLossError, train
from tests.micrograd.expressions import (
    EDGES,
    MODERATE,
    Program,
    assert_replay_matches_eager,
    bits,
    micrograd_apply,
    programs,
    run,
)


def eager(program: Program) -> tuple[list[Value], Value]:
    nodes = run(program, Value, micrograd_apply)
    root = nodes[-1]
    root.backward()
    return nodes[: len(program.leaves)], root


def assert_program_replays_as_eager(program: Program) -> None:
    leaves, root = eager(program)
    assert_replay_matches_eager(root, leaves)


@given(programs())
def test_replay_gives_the_eager_value_and_gradients_bit_for_bit(program):
    assert_program_replays_as_eager(program)


@given(programs(values=EDGES, max_steps=6))
def test_replay_matches_eager_on_infinities_nans_and_signed_zeros(program):
    assert_program_replays_as_eager(program)


@given(programs(), st.data())
def test_replay_with_new_leaf_values_matches_a_fresh_eager_graph(program, data):
    traced_leaves, traced_root = eager(program)
    tape = compile_graph(traced_root, traced_leaves)
    new_values = data.draw(
        st.lists(MODERATE, min_size=len(program.leaves), max_size=len(program.leaves))
    )
    fresh_leaves, fresh_root = eager(Program(tuple(new_values), program.steps))
    assert bits([tape.forward(new_values)]) == bits([fresh_root.data])
    assert bits(tape.backward()) == bits([leaf.grad for leaf in fresh_leaves])


def moons_like_loss(model: MLP, points: list[tuple[float, float, float]]) -> Value:
    scores = [model([x, y]) for x, y, _ in points]
    hinges = [(1 + -label * score).relu() for (_, _, label), score in zip(points, scores)]
    return sum(hinges) * (1.0 / len(hinges)) + 1e-4 * sum(p * p for p in model.parameters())


POINTS = [(0.5, 0.2, 1.0), (-1.0, 0.7, -1.0), (1.5, -0.4, 1.0), (0.1, 0.9, -1.0), (2.0, 0.3, 1.0)]


def relu_model(seed: int) -> MLP:
    return MLP(2, [8, 8, 1], activation="relu", output_activation="linear", seed=seed)


def test_a_relu_network_loss_replays_bit_for_bit_after_the_parameters_move():
    model = relu_model(0)
    params = model.parameters()
    tape = compile_graph(moons_like_loss(model, POINTS), params)
    for p in params:
        p.data *= 0.9  # new parameters: some relus switch on or off
    loss = moons_like_loss(model, POINTS)
    loss.backward()
    assert tape.forward([p.data for p in params]) == loss.data
    assert bits(tape.backward()) == bits([p.grad for p in params])
    assert any(p.grad != 0.0 for p in params)


@pytest.mark.parametrize(
    ("build", "loss_of"),
    [
        (lambda: demo_model(3), demo_loss),
        (lambda: relu_model(1), lambda model: moons_like_loss(model, POINTS)),
    ],
)
def test_compiled_training_equals_eager_training_bit_for_bit(build, loss_of):
    runs = []
    for compiled in (False, True):
        model = build()
        history = train(model, lambda m=model: loss_of(m), steps=20, lr=0.05, compiled=compiled)
        runs.append(
            (history, [p.data for p in model.parameters()], [p.grad for p in model.parameters()])
        )
    (eager_history, eager_params, eager_grads), (history, params, grads) = runs
    assert bits(history) == bits(eager_history)
    assert bits(params) == bits(eager_params)
    assert bits(grads) == bits(eager_grads)
    assert history[-1] < history[0]


def test_compiled_training_traces_the_loss_once_and_follows_a_schedule():
    model = demo_model(0)
    calls, rates = [], []

    def loss_fn():
        calls.append(1)
        return demo_loss(model)

    def schedule(step):
        rates.append(step)
        return 0.05

    history = train(model, loss_fn, steps=5, lr=schedule, compiled=True)
    assert len(calls) == 1 and rates == [0, 1, 2, 3, 4] and len(history) == 5


def test_compiled_training_stops_at_the_same_non_finite_step_as_eager():
    outcomes = []
    for compiled in (False, True):
        model = MLP(1, [1], activation="linear", seed=0)
        with pytest.raises(NonFiniteLossError, match=r"at step \d+") as error:
            train(
                model,
                lambda m=model: sum_of_squares([m([1.0])], [2.0]),
                steps=200,
                lr=10.0,
                compiled=compiled,
            )
        outcomes.append((str(error.value), [p.data for p in model.parameters()]))
    assert outcomes[0] == outcomes[1]
    assert all(math.isfinite(x) for x in outcomes[1][1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_leaves_outside_the_graph_get_zero_and_a_leaf_root_gets_one(backend):
    a, unused = Value(2.0), Value(5.0)
    tape = compile_graph(a * 3.0, [a, unused], backend=backend)
    assert tape.forward([4.0, 1.0]) == 12.0
    assert tape.backward() == [3.0, 0.0]
    lone = compile_graph(a, [a], backend=backend)
    assert lone.forward([7.0]) == 7.0 and lone.backward() == [1.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tape_has_a_slot_per_leaf_given_then_per_other_node(backend):
    a, unused = Value(2.0), Value(5.0)
    assert len(compile_graph(a * 3.0 + a, [a, unused], backend=backend)) == 2 + 1 + 2
    assert len(compile_graph(a * a, [a, a], backend=backend)) == 2 + 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_leaf_given_twice_reads_its_first_value_and_gets_its_gradient_twice(backend):
    a = Value(2.0)
    tape = compile_graph(a * a, [a, a], backend=backend)
    assert tape.forward([3.0, 3.0]) == 9.0
    assert tape.backward() == [6.0, 6.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_compile_graph_refuses_a_leaf_that_is_not_a_leaf(backend):
    a = Value(2.0)
    b = a * 2.0
    with pytest.raises(ValueError, match=r"leaves\[1\] must be a leaf Value"):
        compile_graph(b + 1.0, [a, b], backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_forward_needs_one_number_per_leaf(backend):
    a = Value(2.0)
    tape = compile_graph(a.exp(), [a], backend=backend)
    with pytest.raises(ValueError, match="expected 1 leaf values, got 2"):
        tape.forward([1.0, 2.0])
    with pytest.raises(TypeError, match="needs a real number"):
        tape.forward(["x"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_chain_deeper_than_the_recursion_limit_replays(backend):
    x = Value(1.0)
    out = x
    for _ in range(5_000):
        out = out * 1.0 + 1.0
    tape = compile_graph(out, [x], backend=backend)
    assert tape.forward([2.0]) == 5_002.0
    assert tape.backward() == [1.0]
