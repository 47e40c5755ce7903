"""The Value surface, graph construction and backpropagation."""

from __future__ import annotations

import math
import operator
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import Constant, Parameter, Value, topological_order
from micrograd.engine import _place_below, weighted_sum
from micrograd.ops import OPS
from tests.micrograd.expressions import EDGES, MODERATE, bits, micrograd_apply, programs, run
from tests.micrograd.recursion import near_recursion_limit

EDGES_OR_MODERATE = st.one_of(MODERATE, EDGES)


def test_value_holds_a_float_and_starts_with_zero_grad():
    v = Value(3)
    assert v.data == 3.0 and type(v.data) is float
    assert v.grad == 0.0
    assert v._prev == () and v._op == ""
    assert Value(True).data == 1.0


def test_prev_keeps_operands_in_order_and_both_edges_of_a_plus_a():
    a, b = Value(2.0), Value(3.0)
    assert (a + a)._prev == (a, a)
    assert (a**b)._prev == (a, b)
    assert (b**a)._prev == (b, a)
    assert (a - b)._op == "sub" and (a - b).data == -1.0


@pytest.mark.parametrize(
    ("build", "op", "value"),
    [
        (lambda v: 2 + v, "add", 7.0),
        (lambda v: 2 - v, "sub", -3.0),
        (lambda v: 2 * v, "mul", 10.0),
        (lambda v: 1 / v, "div", 0.2),
        (lambda v: 2**v, "pow", 32.0),
        (lambda v: v**2, "pow", 25.0),
        (lambda v: v / 2, "div", 2.5),
        (lambda v: v - 2, "sub", 3.0),
        (lambda v: -v, "neg", -5.0),
    ],
)
def test_numbers_work_on_either_side_and_the_graph_names_the_operation(build, op, value):
    v = Value(5.0)
    out = build(v)
    assert out._op == op
    assert out.data == value
    assert v in out._prev
    constants = [operand for operand in out._prev if operand is not v]
    assert all(not c._prev for c in constants)


def test_every_operation_in_the_table_is_reachable_from_value():
    v = Value(0.7)
    built = {
        (v + v)._op,
        (v - v)._op,
        (v * v)._op,
        (v / v)._op,
        (v**v)._op,
        (-v)._op,
        v.exp()._op,
        v.log()._op,
        v.tanh()._op,
        v.relu()._op,
        v.sigmoid()._op,
    }
    assert built == set(OPS)


def test_operation_table_rules_return_one_contribution_per_operand():
    for name, op in OPS.items():
        operands = [0.5] * op.arity
        out = op.forward(*operands)
        assert len(op.backward(1.0, out, *operands)) == op.arity, name


def test_backward_accumulates_over_shared_paths():
    a = Value(3.0)
    b = a * a + a  # d/da = 2a + 1
    b.backward()
    assert a.grad == 7.0
    c = Value(2.0)
    d = c + c
    d.backward()
    assert c.grad == 2.0


def test_backward_twice_accumulates_twice_on_every_node():
    x = Value(1.5)
    h = x.tanh()
    y = h * x
    y.backward()
    once = (x.grad, h.grad, y.grad)
    y.backward()
    assert (x.grad, h.grad, y.grad) == tuple(2 * g for g in once)


def test_backward_from_two_roots_adds_their_gradients():
    x = Value(2.0)
    (x * 3).backward()
    (x * x).backward()
    assert x.grad == 3.0 + 4.0


def test_underscore_backward_applies_one_local_rule_by_hand():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    c.grad = 1.0
    c._backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    Value(1.0)._backward()  # a leaf has no rule: nothing happens


def test_topological_order_is_deterministic_and_puts_operands_first():
    def build():
        x, y = Value(1.0, label="x"), Value(2.0, label="y")
        s = x * y
        return (s + s.tanh() * x).relu()

    first = [(n._op, n.data) for n in topological_order(build())]
    second = [(n._op, n.data) for n in topological_order(build())]
    assert first == second
    root = build()
    order = topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    assert order[-1] is root
    assert len(position) == len(order)
    assert all(position[p] < position[n] for n in order for p in n._prev)


def stack_order(root: Value) -> list[Value]:
    """The order of the explicit-stack sort alone, which the recursive one must match."""
    order: list[Value] = []
    _place_below(root, set(), order)
    return order


@given(programs(max_steps=30))
def test_the_recursive_sort_gives_the_order_of_the_explicit_stack(program):
    root = run(program, Value, micrograd_apply)[-1]
    assert topological_order(root) == stack_order(root)


@st.composite
def deep_graphs(draw) -> Value:
    """A graph as deep as it has steps, past the recursion budget, each step also reading
    a node drawn from anywhere earlier: shared nodes on both sides of the budget."""
    nodes = [Value(draw(MODERATE)) for _ in range(3)]
    for _ in range(draw(st.integers(40, 160))):
        other = nodes[draw(st.integers(0, len(nodes) - 1))]
        op = draw(st.sampled_from(["add", "mul", "sub"]))
        nodes.append(
            micrograd_apply(
                op, *((nodes[-1], other) if draw(st.booleans()) else (other, nodes[-1]))
            )
        )
    return nodes[-1]


@given(deep_graphs())
def test_the_recursive_sort_hands_over_to_the_stack_in_the_same_order(root):
    assert topological_order(root) == stack_order(root)


@pytest.mark.parametrize("depth", [10, 120, 3_000])
def test_the_sort_keeps_its_order_below_the_recursion_budget_and_near_the_limit(depth):
    x = Value(0.5)
    out = x
    for i in range(depth):  # a chain with a side branch at every level
        out = out * (x + float(i)) if i % 2 else (out + x).tanh()
    expected = stack_order(out)
    assert topological_order(out) == expected
    # Called a few frames short of Python's limit, the sort cannot recurse: it must start
    # over with the explicit stack and give the same order.
    assert near_recursion_limit(lambda: topological_order(out), headroom=10) == expected


def test_a_million_node_chain_backpropagates_without_recursion():
    x = Value(1.0)
    out = x
    for _ in range(1_000_000):
        out = out + 1.0
    assert sys.getrecursionlimit() <= 10_000
    out.backward()
    assert x.grad == 1.0
    assert out.data == 1_000_001.0


@pytest.mark.parametrize("bad", ["abc", None, [1], 1 + 2j, Value])
def test_value_rejects_what_is_not_a_real_number_naming_it(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_value_rejects_an_int_too_large_for_a_float():
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(10**400)


def test_operators_with_a_non_number_raise_type_error():
    v = Value(1.0)
    with pytest.raises(TypeError):
        v + "a"
    with pytest.raises(TypeError):
        [1] * v


@pytest.mark.parametrize(
    ("build", "expected_value", "expected_grad"),
    [
        (lambda v: v.tanh(), 1.0, 0.0),
        (lambda v: v.exp(), math.inf, math.inf),
        (lambda v: v.sigmoid(), 1.0, 0.0),
    ],
)
def test_saturating_operations_at_1000(build, expected_value, expected_grad):
    v = Value(1000.0)
    out = build(v)
    out.backward()
    assert out.data == expected_value
    assert v.grad == expected_grad


def test_ieee_results_never_raise():
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)
    assert (Value(0.0) ** -1).data == math.inf
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert isinstance((Value(-8.0) ** (1 / 3)).data, float)
    assert (Value(1.0) / 0).data == math.inf
    assert (Value(10.0) ** 400).data == math.inf


def test_label_and_repr():
    v = Value(2.0, label="w")
    assert v.label == "w"
    assert repr(v) == "Value(data=2.0, grad=0.0, label='w')"
    assert repr(Value(1.0)) == "Value(data=1.0, grad=0.0)"


def test_values_hash_by_identity_not_by_number():
    a, b = Value(1.0), Value(1.0)
    assert len({a, b}) == 2
    assert a != b


def test_leaves_say_what_they_are_parameter_constant_or_input():
    w = Parameter(0.5)
    x = Value(2.0)
    out = w * x + 3
    constant = out._prev[1]
    assert type(constant) is Constant and constant.data == 3.0
    assert type(x) is Value and isinstance(w, Value)
    assert repr(w) == "Parameter(data=0.5, grad=0.0)"


def _recursive_postorder(root: Value) -> list[Value]:
    """The textbook definition the iterative sort must follow: depth first, operands in
    order, each node after its operands and only once."""
    order: list[Value] = []
    seen: set[Value] = set()

    def visit(node: Value) -> None:
        if node in seen:
            return
        seen.add(node)
        for operand in node._prev:
            visit(operand)
        order.append(node)

    visit(root)
    return order


@given(programs(max_steps=25))
def test_topological_order_is_the_depth_first_postorder_with_operands_in_order(program):
    # The order decides the order in which gradients are summed, and so their last bits.
    root = run(program, Value, micrograd_apply)[-1]
    assert topological_order(root) == _recursive_postorder(root)


def test_apply_builds_a_node_from_the_table_and_checks_its_operands():
    a, b = Parameter(2.0), Value(5.0)
    out = Value._apply("pow", a, b)
    assert (out.data, out._op, out._prev) == (32.0, "pow", (a, b))
    assert isinstance(out, Value) and not isinstance(out, (Parameter, Constant))
    assert type(out) is type(a**b)  # the same kind of node as the operator makes
    assert Value._apply("neg", a)._prev == (a,)
    with pytest.raises(TypeError, match="pow takes 2 Value operand"):
        Value._apply("pow", a)
    with pytest.raises(TypeError, match="neg takes 1 Value operand"):
        Value._apply("neg", 3.0)


@given(
    st.lists(st.tuples(EDGES_OR_MODERATE, EDGES_OR_MODERATE), max_size=6),
    EDGES_OR_MODERATE,
)
def test_weighted_sum_builds_the_nodes_of_the_written_sum(pairs, bias_value):
    graphs = []
    for build in (weighted_sum, lambda w, x, b: sum(map(operator.mul, w, x), b)):
        weights = [Parameter(w) for w, _ in pairs]
        inputs = [Value(x) for _, x in pairs]
        bias = Parameter(bias_value)
        total = build(weights, inputs, bias)
        total.backward()
        leaves = [*weights, *inputs, bias]
        order = topological_order(total)
        shape = [
            (
                type(node).__qualname__,
                [leaves.index(p) if p in leaves else order.index(p) for p in node._prev],
            )
            for node in order
        ]
        graphs.append((shape, bits([n.data for n in order]), bits([v.grad for v in leaves])))
    assert graphs[0] == graphs[1]


@pytest.mark.parametrize(
    ("weights", "inputs", "bias", "where"),
    [
        ([Value(1.0)], [2.0], Value(0.0), "got 2.0 (float) in inputs"),
        ([1], [Value(2.0)], Value(0.0), "got 1 (int) in weights"),
        ([Value(1.0)], [Value(2.0)], 0.5, "got 0.5 (float) in bias"),
        ([Value(1.0)], ["x"], Value(0.0), "got 'x' (str) in inputs"),
    ],
)
def test_weighted_sum_refuses_what_is_not_a_value_naming_it(weights, inputs, bias, where):
    with pytest.raises(TypeError, match=f"^{re.escape(f'weighted_sum takes Values, {where}')}$"):
        weighted_sum(weights, inputs, bias)


def test_backward_runs_the_own_rule_of_a_node_of_another_class():
    class Twice(Value):
        """A result node whose class the engine does not know: its _backward still runs."""

        __slots__ = ()

        def _backward(self) -> None:
            self._a.grad += 2.0 * self.grad

    x = Value(3.0)
    doubled = Twice(6.0)
    doubled._a = x
    (doubled * 5.0).backward()
    assert x.grad == 10.0
