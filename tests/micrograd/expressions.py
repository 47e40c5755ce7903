"""Random expression DAGs for property tests, built the same way in micrograd and in torch.

A ``Program`` lists leaf values, then steps that each apply one operation of the table to
earlier nodes or to plain-number constants (on either side). Steps may reuse any earlier
node, so programs have shared subexpressions (``a * a``, one node feeding several
branches). The root adds up every node that nothing else consumes, so every node matters.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from micrograd import Value
from micrograd.ops import OPS
from micrograd.tape import compile_graph

Operand = tuple[str, float]  # ("node", index) or ("const", value)

# Moderate leaves: zero, or magnitudes in [1e-3, 2], so that results stay in a range where a
# relative comparison means something.
MODERATE = st.floats(min_value=-2.0, max_value=2.0).filter(lambda x: x == 0.0 or abs(x) >= 1e-3)
EDGES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1000.0, -1000.0, math.inf, -math.inf, math.nan])


@dataclass(frozen=True)
class Program:
    leaves: tuple[float, ...]
    steps: tuple[tuple[str, tuple[Operand, ...]], ...]


@st.composite
def programs(draw, values=MODERATE, max_leaves: int = 4, max_steps: int = 10) -> Program:
    leaves = tuple(draw(st.lists(values, min_size=1, max_size=max_leaves)))
    steps: list[tuple[str, tuple[Operand, ...]]] = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(sorted(OPS)))
        node = st.integers(0, len(leaves) + len(steps) - 1).map(lambda i: ("node", i))
        if OPS[op].arity == 1:
            operands: tuple[Operand, ...] = (draw(node),)
        else:
            other = draw(st.one_of(node, node, values.map(lambda c: ("const", c))))
            first = draw(node)
            operands = (first, other) if draw(st.booleans()) else (other, first)
        steps.append((op, operands))
    return Program(leaves, tuple(steps))


def run(program: Program, leaf: Callable[[float], Any], apply: Callable[..., Any]) -> list[Any]:
    """Build the program's nodes (leaves first) with ``leaf(x)`` and ``apply(op, *args)``;
    the last entry is the root (which may also appear earlier, when it is the only sink)."""
    nodes = [leaf(x) for x in program.leaves]
    consumed: set[int] = set()
    for op, operands in program.steps:
        args = []
        for kind, ref in operands:
            if kind == "node":
                consumed.add(int(ref))
                args.append(nodes[int(ref)])
            else:
                args.append(ref)
        nodes.append(apply(op, *args))
    sinks = [node for i, node in enumerate(nodes) if i not in consumed]
    root = sinks[0]
    for sink in sinks[1:]:
        root = apply("add", root, sink)
    return [*nodes, root]


def micrograd_apply(op: str, *args: Value | float) -> Value:
    """Apply ``op`` through the public operator surface, as a user would write it."""
    a = args[0]
    if OPS[op].arity == 1:
        return getattr(a, op)() if op != "neg" else -a
    b = args[1]
    return {
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "div": lambda: a / b,
        "pow": lambda: a**b,
    }[op]()


def torch_apply(torch) -> Callable[..., Any]:
    functions = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
        "neg": lambda a: -a,
        "exp": torch.exp,
        "log": torch.log,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
    }

    def apply(op: str, *args):
        # Constants become tensors too: torch evaluates `2.0 / t` as `reciprocal(t) * 2.0`,
        # a different computation from the division the expression names.
        tensors = [a if isinstance(a, torch.Tensor) else torch.tensor(a) for a in args]
        result = functions[op](*tensors)
        result.retain_grad()
        return result

    return apply


def torch_leaf(torch) -> Callable[[float], Any]:
    return lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True)


def assert_replay_matches_eager(root: Value, leaves: Sequence[Value]) -> None:
    """A tape of ``root``'s graph gives, bit for bit, the value and the gradients that
    eager ``root.backward()`` (already run) gave ``leaves``."""
    tape = compile_graph(root, leaves)
    assert bits([tape.forward([leaf.data for leaf in leaves])]) == bits([root.data])
    assert bits(tape.backward()) == bits([leaf.grad for leaf in leaves])


def bits(xs: Sequence[float]) -> list[bytes]:
    """The exact bit patterns: tells 0.0 from -0.0; every NaN compares equal (which NaN
    survives ``x * y`` can differ between two ways of computing it, as between runs)."""
    return [b"nan" if math.isnan(x) else struct.pack("<d", x) for x in xs]


def close(ours: float, theirs: float, rel: float, scale: float = 0.0) -> bool:
    """Equal to ``rel`` relative (or ``rel * scale`` absolute); NaN equals NaN and
    infinities must match exactly."""
    if math.isnan(theirs) or math.isinf(theirs):
        return math.isnan(ours) if math.isnan(theirs) else ours == theirs
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=rel * scale)


def largest_finite(numbers: Sequence[float]) -> float:
    return max((abs(x) for x in numbers if math.isfinite(x)), default=0.0)


def cancellation_scales(nodes: Sequence[Value]) -> tuple[dict[Value, float], dict[Value, float]]:
    """Per node, the magnitudes its value and its gradient were computed from, as in a
    running error bound: a last-bit difference in an operand, or in a term that cancelled,
    can cost a result up to about its scale times the rounding error, however small the
    result itself is. A value's scale covers its operands and their own scales times the
    local derivative; a gradient's covers the contributions it received and, for each
    consumer, that consumer's scale times the local derivative (at least 1, since a rule
    like 1 - tanh(x)**2 may cancel terms of size 1)."""
    unique = list(dict.fromkeys(nodes))
    value_scale: dict[Value, float] = {}
    for node in unique:
        scale = abs(node.data)
        for operand, derivative in zip(node._prev, _local_derivatives(node)):
            upstream = value_scale.get(operand, 0.0)  # constants are not among the nodes
            scale = max(scale, abs(operand.data), upstream * abs(derivative))
        value_scale[node] = _finite_or_zero(scale)
    grad_scale: dict[Value, float] = {node: _finite_or_zero(abs(node.grad)) for node in unique}
    for node in reversed(unique):  # every consumer before its operands
        if not node._prev:
            continue
        sent = OPS[node._op].backward(node.grad, node.data, *(p.data for p in node._prev))
        for operand, contribution, derivative in zip(node._prev, sent, _local_derivatives(node)):
            through = grad_scale[node] * max(abs(derivative), 1.0)
            grad_scale[operand] = max(
                grad_scale.get(operand, 0.0),
                _finite_or_zero(abs(contribution)),
                _finite_or_zero(through),
            )
    return value_scale, grad_scale


def _local_derivatives(node: Value) -> tuple[float, ...]:
    if not node._prev:
        return ()
    return OPS[node._op].backward(1.0, node.data, *(p.data for p in node._prev))


def _finite_or_zero(x: float) -> float:
    return x if math.isfinite(x) else 0.0
