"""Values and gradients agree with torch in float64, op by op and on random DAGs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given

from micrograd import Value
from micrograd.ops import OPS
from tests.micrograd.expressions import (
    EDGES,
    cancellation_scales,
    close,
    micrograd_apply,
    programs,
    run,
    torch_apply,
    torch_leaf,
)

VALUE_TOL = 1e-12
GRAD_TOL = 1e-10

GRID = [-1000.0, -3.5, -2.0, -1.0, -0.5, -0.0, 0.0, 1e-8, 0.3, 0.5, 1.0, 2.0, 3.0, 20.0, 1000.0]
SPECIALS = [math.inf, -math.inf, math.nan]
POINTS = GRID + SPECIALS
UNARY = sorted(name for name, op in OPS.items() if op.arity == 1)
BINARY = sorted(name for name, op in OPS.items() if op.arity == 2)


def ours_and_torch(torch, op: str, xs: list[float]):
    leaves = [Value(x) for x in xs]
    out = micrograd_apply(op, *leaves)
    out.backward()
    t_leaves = [torch_leaf(torch)(x) for x in xs]
    t_out = torch_apply(torch)(op, *t_leaves)
    t_out.backward()
    ours = [out.data] + [leaf.grad for leaf in leaves]
    theirs = [t_out.item()] + [leaf.grad.item() for leaf in t_leaves]
    return ours, theirs


def assert_matches(ours: list[float], theirs: list[float], what: str) -> None:
    assert close(ours[0], theirs[0], VALUE_TOL), f"{what}: value {ours[0]!r} != torch {theirs[0]!r}"
    for i, (g, tg) in enumerate(zip(ours[1:], theirs[1:])):
        assert close(g, tg, GRAD_TOL), f"{what}: grad of operand {i} {g!r} != torch {tg!r}"


@pytest.mark.parametrize("op", UNARY)
def test_unary_op_matches_torch_on_grid_and_special_values(torch, op):
    for x in POINTS:
        ours, theirs = ours_and_torch(torch, op, [x])
        assert_matches(ours, theirs, f"{op}({x!r})")


@pytest.mark.parametrize("op", BINARY)
def test_binary_op_matches_torch_on_grid_and_special_values(torch, op):
    for a in POINTS:
        for b in POINTS:
            ours, theirs = ours_and_torch(torch, op, [a, b])
            assert_matches(ours, theirs, f"{op}({a!r}, {b!r})")


@pytest.mark.parametrize(
    ("op", "args"),
    [
        ("tanh", [1000.0]),
        ("exp", [1000.0]),
        ("log", [0.0]),
        ("log", [-1.0]),
        ("pow", [0.0, -1.0]),
        ("pow", [-8.0, 1 / 3]),
        ("pow", [0.0, 0.0]),
        ("pow", [-0.0, -1.0]),
        ("div", [1.0, 0.0]),
        ("div", [0.0, 0.0]),
        ("sigmoid", [-1000.0]),
        ("relu", [math.nan]),
    ],
)
def test_documented_edge_values_match_torch(torch, op, args):
    ours, theirs = ours_and_torch(torch, op, args)
    assert_matches(ours, theirs, f"{op}{tuple(args)}")


def compare_program(torch, program) -> None:
    nodes = run(program, Value, micrograd_apply)
    nodes[-1].backward()
    t_nodes = run(program, torch_leaf(torch), torch_apply(torch))
    t_nodes[-1].backward()
    theirs_values = [t.item() for t in t_nodes]
    theirs_grads = [0.0 if t.grad is None else t.grad.item() for t in t_nodes]
    # Elementwise relative error is meaningless where a result cancels: 1 - tanh(x)**2 for
    # large x or exp(x) - 1 for tiny x when the two libms differ in an operand's last bit, or
    # a sum of gradient contributions of 1e10 and -1e10 accumulated in another order. There
    # the error is bounded relative to the magnitudes that node was computed from.
    value_scale, grad_scale = cancellation_scales(nodes)
    for i, (node, value, grad) in enumerate(zip(nodes, theirs_values, theirs_grads)):
        assert close(node.data, value, VALUE_TOL, value_scale[node]), (
            f"node {i} value: {node.data!r} vs {value!r}"
        )
        assert close(node.grad, grad, GRAD_TOL, grad_scale[node]), (
            f"node {i} grad: {node.grad!r} vs {grad!r}"
        )


@given(programs())
def test_random_dags_match_torch(torch, program):
    compare_program(torch, program)


@given(programs(values=EDGES, max_steps=6))
def test_random_dags_over_edge_values_match_torch(torch, program):
    compare_program(torch, program)
