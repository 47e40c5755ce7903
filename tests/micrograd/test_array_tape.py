"""The NumPy tape: its array forms agree with the operation table, and its replays agree with
the eager engine within 1e-12 relative (bit for bit wherever no sum is reordered and no
NumPy exp, log or tanh is involved)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given

from experiments.bench import workloads
from micrograd import MLP, Value
from micrograd.array_tape import ARRAY_FORWARD, array_rule, depth_groups
from micrograd.demo import demo_loss, demo_model
from micrograd.ops import OPS, Op
from micrograd.tape import compile_graph, lay_out
from micrograd.train import train
from tests.micrograd.expressions import (
    EDGES,
    Program,
    cancellation_scales,
    close,
    micrograd_apply,
    programs,
    run,
)

TOLERANCE = 1e-12  # relative: what the NumPy backend promises against eager
# NumPy's exp, log, tanh and pow may round differently from the C library's, by an ulp or so.
ULPS = 8 * 2.0**-52
# Operations whose array form is exactly rounded IEEE arithmetic: equal bit for bit.
EXACT = {"add", "sub", "mul", "div", "neg", "relu"}

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, -1e300, 710.0, -745.5]
SPECIAL += [math.inf, -math.inf, math.nan]
GRID = SPECIAL + [random.Random(0).uniform(-5.0, 5.0) for _ in range(40)]


def operand_grid(arity: int) -> list[tuple[float, ...]]:
    if arity == 1:
        return [(x,) for x in GRID]
    return [(x, y) for x in SPECIAL for y in SPECIAL] + list(zip(GRID, reversed(GRID)))


def agree(ours: float, theirs: float, exact: bool) -> bool:
    """Bit for bit (NaN equal to NaN) when ``exact``, else within a few ulps."""
    if exact:
        return (math.isnan(ours) and math.isnan(theirs)) or (
            ours == theirs and math.copysign(1.0, ours) == math.copysign(1.0, theirs)
        )
    return close(ours, theirs, ULPS)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_array_forward_agrees_with_the_table(name):
    op = OPS[name]
    operands = operand_grid(op.arity)
    with np.errstate(all="ignore"):
        results = ARRAY_FORWARD[name](*np.array(operands).T).tolist()
    for args, result in zip(operands, results):
        expected = op.forward(*args)
        assert agree(result, expected, name in EXACT), f"{name}{args}: {result!r} != {expected!r}"


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_array_rule_agrees_with_the_table(name):
    op = OPS[name]
    cases = [
        (g, op.forward(*args), *args)
        for args in operand_grid(op.arity)
        for g in (1.0, -0.75, 0.0, -0.0)
    ]
    with np.errstate(all="ignore"):
        sent = array_rule(op)(*np.array(cases).T)
    exact = "ieee_pow" not in "".join(op.rules) and "ieee_log" not in "".join(op.rules)
    for case, *contributions in zip(cases, *(array.tolist() for array in sent)):
        expected = op.backward(*case)
        for ours, theirs in zip(contributions, expected):
            assert agree(ours, theirs, exact), f"{name} rule at {case}: {ours!r} != {theirs!r}"


@pytest.mark.parametrize(
    "rule",
    [
        "g * ((a > 0.0) + (a > 0.0))",  # booleans as numbers: no array form, node by node
        "g * -(a > 0.0)",
        "g or a",
        "g if not (0.0 < a < 1.0 or a != a) else -g",  # conditions: one array form
        "(g if a > 0.0 else out) if g and not a else 2.0",
    ],
)
def test_any_rule_means_on_arrays_what_it_means_on_numbers(rule):
    op = Op("custom", 1, abs, (rule,), "f")
    cases = [(g, abs(a), a) for a in GRID for g in (1.0, -0.5, 0.0)]
    with np.errstate(all="ignore"):
        (sent,) = array_rule(op)(*np.array(cases).T)
    for case, ours in zip(cases, sent.tolist()):
        (theirs,) = op.backward(*case)
        assert agree(ours, theirs, exact=True), f"{rule} at {case}: {ours!r} != {theirs!r}"


def eager(program: Program) -> tuple[list[Value], list[Value]]:
    nodes = run(program, Value, micrograd_apply)
    nodes[-1].backward()
    return nodes[: len(program.leaves)], nodes


def assert_numpy_replay_close_to_eager(program: Program) -> None:
    leaves, nodes = eager(program)
    root = nodes[-1]
    tape = compile_graph(root, leaves, backend="numpy")
    value_scale, grad_scale = cancellation_scales(nodes)
    value = tape.forward([leaf.data for leaf in leaves])
    assert close(value, root.data, TOLERANCE, value_scale[root]), f"{value!r} != {root.data!r}"
    for i, (grad, leaf) in enumerate(zip(tape.backward(), leaves)):
        assert close(grad, leaf.grad, TOLERANCE, grad_scale[leaf]), (
            f"leaf {i}: {grad!r} != {leaf.grad!r}"
        )


@given(programs())
def test_numpy_replay_matches_eager_within_its_tolerance(program):
    assert_numpy_replay_close_to_eager(program)


@given(programs(values=EDGES, max_steps=6))
def test_numpy_replay_matches_eager_on_infinities_nans_and_signed_zeros(program):
    assert_numpy_replay_close_to_eager(program)


@given(programs())
def test_each_depth_group_is_one_run_of_slots_after_its_operands(program):
    nodes = run(program, Value, micrograd_apply)
    root = nodes[-1]
    layout = lay_out(root, nodes[: len(program.leaves)])
    groups, slot = depth_groups(layout)
    first = len(layout.leaves) + len(layout.frozen)
    members = [node for _, _, group in groups for node in group]
    assert [slot[node] for node in members] == list(range(first, layout.n_slots))
    assert set(members) == {node for node in layout.order if node._a is not None}
    for op_name, start, group in groups:
        assert {node._op for node in group} == {op_name}
        assert all(slot[operand] < start for node in group for operand in node._prev)
    assert {node: slot[node] for node in layout.order if node._a is None} == {
        node: layout.slot[node] for node in layout.order if node._a is None
    }
    if root._a is not None:
        assert groups[-1][2] == [root]


def relative_error(ours: list[float], theirs: list[float]) -> float:
    """The largest difference, relative to the largest magnitude of ``theirs``."""
    return max(abs(x - y) for x, y in zip(ours, theirs)) / max(abs(y) for y in theirs)


def test_the_moons_step_replays_within_the_tolerance_with_groups_of_every_size():
    xs, ys = [[0.3 * i, -0.2 * i + 1.0] for i in range(20)], [(-1.0) ** i for i in range(20)]
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    params = model.parameters()
    loss = workloads.moons_loss(model, params, xs, ys, Value)
    tape = compile_graph(loss, params, backend="numpy")
    # Groups of a few nodes run node by node, larger ones as arrays: both kinds run here.
    assert {type(group).__name__ for group in tape._groups} == {"_FewNodes", "_ArrayGroup"}
    loss.backward()
    assert math.isclose(tape.forward([p.data for p in params]), loss.data, rel_tol=TOLERANCE)
    grads = tape.backward()
    assert relative_error(grads, [p.grad for p in params]) <= TOLERANCE
    assert sum(g != 0.0 for g in grads) > len(params) // 2


def test_numpy_training_follows_eager_training_within_the_tolerance():
    runs = {}
    for backend, compiled in (("python", False), ("numpy", True)):
        model = demo_model(0)
        history = train(
            model,
            lambda m=model: demo_loss(m),
            steps=50,
            lr=0.05,
            compiled=compiled,
            backend=backend,
        )
        runs[backend] = (history, [p.data for p in model.parameters()])
    (eager_history, eager_params), (history, params) = runs["python"], runs["numpy"]
    assert relative_error(history, eager_history) <= TOLERANCE
    assert relative_error(params, eager_params) <= TOLERANCE
    assert history[-1] < 0.05 < history[0]


def test_an_unknown_backend_is_refused_before_anything_moves():
    model = demo_model(0)
    before = model.state_dict()
    with pytest.raises(ValueError, match="unknown backend 'gpu'; choose from python, numpy"):
        train(model, lambda: demo_loss(model), steps=3, lr=0.05, compiled=True, backend="gpu")
    with pytest.raises(ValueError, match="unknown backend"):
        compile_graph(demo_loss(model), model.parameters(), backend="gpu")
    assert model.state_dict() == before
