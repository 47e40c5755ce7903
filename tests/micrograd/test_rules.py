"""The table's rules are written once, as expressions; the three forms compiled from them
(``Op.backward``, each result class's ``_backward`` and the tape's batched rule) must give
the same bits on every kind of float, signed zeros, infinities and NaN included."""

from __future__ import annotations

import itertools
import math
import struct

import pytest

from micrograd import Value
from micrograd.batched import batched_rule, batched_source
from micrograd.ops import OPS, Op

SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, 1e300, math.inf, -math.inf, math.nan]


def bits(x: float) -> bytes:
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


def cases(op: Op) -> list[tuple[float, ...]]:
    """(g, out, *operands) over every combination of special values, out from forward."""
    grads = [1.0, -0.0, 0.25, -3.0, math.inf, math.nan]
    return [
        (g, op.forward(*operands), *operands)
        for operands in itertools.product(SPECIALS, repeat=op.arity)
        for g in grads
    ]


@pytest.mark.parametrize("name", sorted(OPS))
def test_the_batched_rule_gives_the_scalar_rule_bit_for_bit(name):
    op = OPS[name]
    rows = cases(op)
    columns = [list(column) for column in zip(*rows)]
    batched = [list(contributions) for contributions in batched_rule(op)(*columns)]
    scalar = [op.backward(*row) for row in rows]
    assert len(batched) == op.arity
    for position in range(op.arity):
        assert len(batched[position]) == len(rows)
        expected = [bits(contributions[position]) for contributions in scalar]
        assert [bits(x) for x in batched[position]] == expected, (name, position)


@pytest.mark.parametrize("name", sorted(OPS))
def test_a_result_nodes_backward_method_runs_the_tables_rule(name):
    op = OPS[name]
    for g, out, *operands in cases(op):
        leaves = [Value(x) for x in operands]
        node = Value._apply(name, *leaves)
        assert bits(node.data) == bits(out)
        node.grad = g
        node._backward()
        expected = op.backward(g, out, *operands)
        assert [bits(leaf.grad) for leaf in leaves] == [bits(0.0 + c) for c in expected]


def test_an_operand_used_twice_gets_both_contributions_in_order():
    a = Value(3.0)
    product = a * a
    product.grad = 2.0
    product._backward()
    assert a.grad == (0.0 + 2.0 * 3.0) + 2.0 * 3.0


def test_conditional_rules_fall_back_to_a_mapped_lambda_and_arithmetic_to_operator_maps():
    assert batched_source(OPS["relu"]) == (
        "lambda g, out, a: (_map(lambda g, out: 0.0 if out <= 0.0 else g, g, out),)"
    )
    assert "lambda" not in batched_source(OPS["tanh"]).split(":", 1)[1]


def test_a_rule_that_reads_no_argument_gives_one_number_per_node():
    constant = Op("zero", 1, abs, ("2.0 * 0.5",), "z")
    (contributions,) = batched_rule(constant)([1.0, 2.0, 3.0], [0.0] * 3, [0.0] * 3)
    assert list(contributions) == [1.0, 1.0, 1.0]
    assert constant.backward(5.0, 0.0, 0.0) == (1.0,)


def test_a_row_with_the_wrong_number_of_rules_is_refused():
    with pytest.raises(ValueError, match="twice: 1 operand\\(s\\) but 2 rules"):
        Op("twice", 1, abs, ("g", "g"), "t")
