"""The table's rules are written once, as expressions; the three forms compiled from them
(``Op.backward``, each result class's ``_backward`` and the tape's written-out code) must give
the same bits on every kind of float, signed zeros and infinities included; a NaN must stay
a NaN (which operand's NaN survives ``x * y`` is not part of the promise)."""

from __future__ import annotations

import itertools
import math
import pickle
import struct

import pytest

from micrograd import Value
from micrograd.ops import OPS, Op
from micrograd.straight_line import _FORWARD_TEMPLATES, _NAMESPACE, _RULE_TEMPLATES, _rule_template

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
def test_the_tapes_written_out_forward_and_rules_give_the_tables_bits(name):
    op = OPS[name]
    operands = ", ".join(["a", "b"][: op.arity])
    forward = eval(
        f"lambda {operands}: " + _FORWARD_TEMPLATES[name].format("a", "b"), dict(_NAMESPACE)
    )
    rules = [rule("g", "out", "a", "b") for rule in _RULE_TEMPLATES[name]]
    backward = eval(f"lambda g, out, {operands}: ({', '.join(rules)},)", dict(_NAMESPACE))
    for g, out, *xs in cases(op):
        assert bits(forward(*xs)) == bits(out), (name, xs)
        written_out = backward(g, out, *xs)
        assert [bits(x) for x in written_out] == [bits(x) for x in op.backward(g, out, *xs)]


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
    quotient = a / a  # contributions 1/3 (to the dividend), then -1/3 (to the divisor)
    a.grad, quotient.grad = 0.1, 1.0
    quotient._backward()
    first, second = OPS["div"].backward(1.0, 1.0, 3.0, 3.0)
    assert a.grad == (0.1 + first) + second == 0.10000000000000003
    assert (0.1 + second) + first != a.grad  # the other order would show


@pytest.mark.parametrize("name", sorted(OPS))
def test_no_rule_tells_a_zero_gradient_from_a_negative_zero_but_in_a_zeros_sign(name):
    # The tape starts a node's gradient from its first contribution rather than from
    # 0.0 + it, which is only the same if rules do not care about the sign of a zero g.
    op = OPS[name]
    for _, out, *operands in cases(op):
        plus = op.backward(0.0, out, *operands)
        minus = op.backward(-0.0, out, *operands)
        for p, m in zip(plus, minus):
            assert (math.isnan(p) and math.isnan(m)) or abs(p) == abs(m) == 0.0 or p == m


WHERE = {"g": 2.0, "out": 1.0, "a": 3.0, "b": 0.25, **_NAMESPACE}


@pytest.mark.parametrize(
    ("rule", "template"),
    [
        ("g", "{0}"),
        ("-g", "(-{0})"),
        ("g * b", "({0} * {3})"),
        ("0.0 if out <= 0.0 else g", "(0.0 if {1} <= 0.0 else {0})"),
        ("ieee_div(g, b)", "ieee_div({0}, {3})"),
        ("2.0 * 0.5", "(2.0 * 0.5)"),
    ],
)
def test_a_rule_is_written_out_with_placeholders_and_parenthesised_for_a_sum(rule, template):
    assert _rule_template(rule) == template
    # Parenthesised, it adds into a sum as one term: 1.0 + (0.0 if ...) is not 1.0 + 0.0 if ...
    assert eval("1.0 + " + template.format("g", "out", "a", "b"), {}, WHERE) == 1.0 + eval(
        rule, dict(_NAMESPACE), WHERE
    )


def test_a_row_with_the_wrong_number_of_rules_is_refused():
    with pytest.raises(ValueError, match="twice: 1 operand\\(s\\) but 2 rules"):
        Op("twice", 1, abs, ("g", "g"), "t")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("g * b", "reads unknown name\\(s\\) b"),
        ("g), (g", "is not an expression"),
        ("g, g", "must give one number"),
        ("__import__('os')", "reads unknown name\\(s\\) __import__"),
    ],
)
def test_a_rule_is_one_expression_over_the_names_it_may_read(rule, message):
    with pytest.raises(ValueError, match=message):
        Op("bad", 1, abs, (rule,), "?")


def test_result_nodes_survive_pickling_with_their_graph():
    a = Value(2.0, label="a")
    root = (a * a + 1.0).tanh()
    root.backward()
    copy = pickle.loads(pickle.dumps(root))
    assert (copy._op, copy.data, copy.grad) == ("tanh", root.data, 1.0)
    total = copy._prev[0]
    assert total._op == "add" and total._prev[0]._prev[0].label == "a"
    assert total._prev[0]._prev[0] is total._prev[0]._prev[1]  # a * a still shares its leaf
