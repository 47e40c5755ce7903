"""Gradients agree with central finite differences, with no oracle needed."""

from __future__ import annotations

import math

from hypothesis import assume, given
from hypothesis import strategies as st

from micrograd import MLP, Value
from micrograd.demo import XS, YS
from micrograd.losses import sum_of_squares
from tests.micrograd.expressions import Program, micrograd_apply, programs, run

# Smooth operations only (relu's kink makes a finite difference meaningless at 0), and
# leaves in a range where every operation is defined and differentiable.
SMOOTH_LEAVES = st.floats(min_value=0.5, max_value=1.5)
STEP = 1e-6


def central_difference(f, xs: list[float], i: int) -> float:
    up, down = list(xs), list(xs)
    up[i] += STEP
    down[i] -= STEP
    return (f(up) - f(down)) / (2 * STEP)


def root_value(program: Program, leaf_values: list[float]) -> float:
    return run(Program(tuple(leaf_values), program.steps), Value, micrograd_apply)[-1].data


@given(programs(values=SMOOTH_LEAVES, max_steps=6))
def test_random_dag_gradients_match_central_differences(program):
    assume(all(op != "relu" for op, _ in program.steps))
    nodes = run(program, Value, micrograd_apply)
    root = nodes[-1]
    assume(math.isfinite(root.data) and abs(root.data) < 1e6)
    root.backward()
    # A non-finite gradient marks a point where the root is not differentiable (sqrt at 0,
    # say); a finite difference has nothing to say there.
    assume(all(math.isfinite(leaf.grad) for leaf in nodes[: len(program.leaves)]))
    leaf_values = list(program.leaves)
    for i, leaf in enumerate(nodes[: len(leaf_values)]):
        estimate = central_difference(lambda xs: root_value(program, xs), leaf_values, i)
        assume(math.isfinite(estimate))
        assert math.isclose(leaf.grad, estimate, rel_tol=1e-4, abs_tol=1e-5), (
            i,
            leaf.grad,
            estimate,
        )


def test_mlp_loss_gradient_matches_central_differences_for_every_parameter():
    model = MLP(3, [4, 4, 1], seed=7)
    params = model.parameters()

    def loss_at(values: list[float]) -> float:
        for p, v in zip(params, values):
            p.data = v
        return sum_of_squares([model(x) for x in XS], YS).data

    start = [p.data for p in params]
    loss = sum_of_squares([model(x) for x in XS], YS)
    loss.backward()
    analytic = [p.grad for p in params]
    for i in range(len(params)):
        estimate = central_difference(loss_at, start, i)
        assert math.isclose(analytic[i], estimate, rel_tol=1e-5, abs_tol=1e-7), i
