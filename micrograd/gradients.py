"""Gradients as values or as graphs: ``grad``, Hessian-vector products and Hessians.

``grad(output, inputs)`` is d output / d input for each input, as ``torch.autograd.grad``
computes it. With ``create_graph=True`` every gradient is a node of a new graph, built by
applying each operation's derivative rule from the table (``micrograd.ops.OPS``) to
``Value``s instead of floats: the rule ``g * b`` of ``mul`` becomes a ``mul`` node of the
node's gradient and its second operand. That graph can be differentiated again, to any
order, and exported, analysed, drawn or compiled like any other. No rule is written twice:
each table expression is turned into its graph form here, mechanically (``graph_rule``).

>>> from micrograd import Value
>>> x = Value(3.0, label="x")
>>> y = x ** 3                        # dy/dx = 3x^2 = 27, d2y/dx2 = 6x = 18
>>> (dy,) = grad(y, [x], create_graph=True)
>>> dy.data, grad(dy, [x])[0].data
(27.0, 18.0)
>>> hessian(x * x * x, [x])
[[18.0]]

A rule's conditions (``0.0 if b == 0.0 else ...``, relu's ``out <= 0.0``) are decided on
the numbers when the graph is built, as torch decides them, so a gradient graph holds the
branch those numbers took: a relu network's gradient graph changes with the units that are
active, a tanh network's does not. Gradient nodes are built in scope ``grad.S`` for a node
of scope ``S`` (``micrograd.scope``), so drawings of a gradient graph show each module's
backward pass beside its forward pass.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

from micrograd.engine import (
    Constant,
    Value,
    current_scope,
    enter_scope,
    exit_scope,
    topological_order,
    weighted_sum,
)
from micrograd.ops import OPS, RULE_ARGUMENTS, RULE_FUNCTIONS, Op
from micrograd.tape import Replay, check_backend, compile_graph

__all__ = [
    "CurvatureTape",
    "compile_curvature",
    "grad",
    "graph_rule",
    "hessian",
    "hvp",
    "hvp_of_gradient",
]

GraphRule = Callable[..., "Value | float"]
"""An operand's rule over ``Value``s: called with ``g, out, a, b`` as nodes (``b`` only for
two operands) and the same four as floats (``g_data, out_data, ...``) for its conditions."""

# The rule functions of the table are the forward functions of its operations (ieee_div is
# div's): over Values, a call of one becomes a node of that operation.
_OPERATION_OF = {op.forward: name for name, op in OPS.items()}
_VALUE_FUNCTIONS = {
    name: _OPERATION_OF[function]
    for name, function in RULE_FUNCTIONS.items()
    if function in _OPERATION_OF
}


def _apply(op_name: str, *operands: Value | float) -> Value:
    """``op_name`` applied to nodes, a plain number becoming a ``Constant``."""
    return Value._apply(op_name, *(x if isinstance(x, Value) else Constant(x) for x in operands))


class _OverValues(ast.NodeTransformer):
    """Rewrites a rule's expression to run over nodes: a call of a rule function becomes
    ``_apply(op, ...)``, and each condition reads the numbers (``a_data``) instead."""

    def __init__(self, rule: str) -> None:
        self.rule = rule

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        test = _OnNumbers().visit(node.test)
        return ast.IfExp(test, self.visit(node.body), self.visit(node.orelse))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name not in _VALUE_FUNCTIONS:
            raise ValueError(f"rule {self.rule!r}: {name or 'a call'} has no operation")
        operation = ast.Constant(_VALUE_FUNCTIONS[name])
        return ast.Call(ast.Name("_apply", ast.Load()), [operation, *node.args], [])

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        raise ValueError(f"rule {self.rule!r} uses a comparison as a number")

    visit_BoolOp = visit_Compare


class _OnNumbers(ast.NodeTransformer):
    """A condition reads the floats: ``b == 0.0`` becomes ``b_data == 0.0``."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in RULE_ARGUMENTS:
            return ast.Name(f"{node.id}_data", ast.Load())
        return node


def graph_rule(op: Op, position: int) -> GraphRule:
    """The rule of ``op`` for the operand at ``position``, over ``Value``s: the table's
    expression with its rule functions made into nodes and its conditions decided on the
    numbers.

    >>> from micrograd.ops import OPS
    >>> rule = graph_rule(OPS["mul"], 0)          # the table's "g * b"
    >>> g, out, a, b = Value(1.0), Value(6.0), Value(2.0), Value(3.0)
    >>> contribution = rule(g, out, a, b, 1.0, 6.0, 2.0, 3.0)
    >>> contribution._op, contribution.data
    ('mul', 3.0)
    """
    expression = op.rules[position]
    tree = _OverValues(expression).visit(ast.parse(expression, mode="eval"))
    names = RULE_ARGUMENTS[: 2 + op.arity]
    arguments = ", ".join([*names, *(f"{name}_data" for name in names)])
    source = f"lambda {arguments}: {ast.unparse(ast.fix_missing_locations(tree))}"
    namespace = {**RULE_FUNCTIONS, "_apply": _apply}
    return eval(compile(source, f"<graph rule of {op.name}>", "eval"), namespace)


_GRAPH_RULES: dict[str, tuple[GraphRule, ...]] = {
    name: tuple(graph_rule(op, position) for position in range(op.arity))
    for name, op in OPS.items()
}


def grad(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Value]:
    """d ``output`` / d ``input`` for each of ``inputs``, like ``torch.autograd.grad``.

    Without ``create_graph`` each gradient is a new leaf holding the number, the same as
    ``output.backward()`` would add into the input's ``.grad`` (which this leaves alone).
    With ``create_graph=True`` each is a node of a graph built from the table's rules over
    ``Value``s (see the module docstring), to be differentiated again. An input that
    ``output`` does not depend on gets a constant 0.0. Only the paths that reach an input
    are built.

    >>> from micrograd import Value
    >>> a, b = Value(2.0), Value(5.0)
    >>> da, db = grad(a * b + a, [a, b])
    >>> da.data, db.data, a.grad
    (6.0, 2.0, 0.0)
    >>> (dda,) = grad(a.tanh(), [a], create_graph=True)
    >>> grad(dda, [a])[0].data == -2 * a.tanh().data * (1 - a.tanh().data ** 2)
    True
    """
    _check(output, inputs)
    order = topological_order(output)
    wanted = set(inputs)
    reaches: set[Value] = set()  # the nodes that depend on an input: operands come first
    for node in order:
        if node in wanted or not reaches.isdisjoint(node._prev):
            reaches.add(node)
    if create_graph:
        gradients = _gradient_graph(order, output, reaches)
        return [gradients[x] if x in gradients else Constant(0.0) for x in inputs]
    numbers = _gradient_numbers(order, output, reaches)
    return [Value(numbers.get(x, 0.0)) for x in inputs]


def _check(output: Value, inputs: Sequence[Value]) -> None:
    if not isinstance(output, Value):
        raise TypeError(f"grad needs a Value output, got {type(output).__name__}")
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad needs Value inputs, got {type(x).__name__} at inputs[{i}]")


def _gradient_numbers(order: list[Value], output: Value, reaches: set[Value]) -> dict[Value, float]:
    """Every gradient as a float, added up in ``backward()``'s order, from 0.0 as it does."""
    gradients = {output: 1.0}
    for node in reversed(order):
        g = gradients.get(node)
        if g is None or node._a is None:
            continue
        operands = node._prev
        sent = OPS[node._op].backward(g, node.data, *(operand.data for operand in operands))
        for operand, contribution in zip(operands, sent):
            if operand in reaches:
                gradients[operand] = gradients.get(operand, 0.0) + contribution
    return gradients


def _gradient_graph(order: list[Value], output: Value, reaches: set[Value]) -> dict[Value, Value]:
    """Every gradient as a node, each rule applied over ``Value``s in ``backward()``'s order;
    the nodes a rule builds are in scope ``grad.S`` for a node of scope ``S``."""
    outer, scope_now = current_scope(), None
    names: dict[str, str] = {}  # each node scope's gradient scope, joined once
    enter_scope(f"grad.{output.scope}" if output.scope else "grad")
    gradients: dict[Value, Value] = {output: Constant(1.0)}  # the seed, d output / d output
    try:
        for node in reversed(order):
            g = gradients.get(node)
            a = node._a
            if g is None or a is None:
                continue
            if node.scope is not scope_now:  # neighbours share a scope: switch only at edges
                scope_now = node.scope
                name = names.get(scope_now) or names.setdefault(
                    scope_now, f"grad.{scope_now}" if scope_now else "grad"
                )
                exit_scope(outer)
                enter_scope(name)
            b = node._b
            rules = _GRAPH_RULES[node._op]
            if b is None:
                sent = [(a, rules[0](g, node, a, g.data, node.data, a.data))]
            else:
                numbers = (g.data, node.data, a.data, b.data)
                sent = [
                    (operand, rule(g, node, a, b, *numbers))
                    for rule, operand in zip(rules, (a, b))
                    if operand in reaches
                ]
            for operand, contribution in sent:
                if operand not in reaches:
                    continue
                if not isinstance(contribution, Value):
                    contribution = Constant(contribution)
                earlier = gradients.get(operand)
                gradients[operand] = contribution if earlier is None else earlier + contribution
    finally:
        exit_scope(outer)
    return gradients


def hvp_of_gradient(
    gradient: Sequence[Value], inputs: Sequence[Value], vector: Sequence[float]
) -> list[float]:
    """The Hessian-vector product ``H v`` from ``gradient``, the graph that
    ``grad(output, inputs, create_graph=True)`` returned: one backward pass over
    ``sum(gradient[i] * vector[i])``. Reuse one gradient graph for many vectors (power
    iteration) without building it again.

    >>> from micrograd import Value
    >>> x, y = Value(1.0), Value(2.0)
    >>> g = grad(x * x * y, [x, y], create_graph=True)   # H = [[2y, 2x], [2x, 0]]
    >>> hvp_of_gradient(g, [x, y], [1.0, 0.0]), hvp_of_gradient(g, [x, y], [0.0, 1.0])
    ([4.0, 2.0], [2.0, 0.0])
    """
    if len(vector) != len(inputs) or len(gradient) != len(inputs):
        raise ValueError(
            f"hvp needs one gradient and one vector entry per input: {len(inputs)} inputs, "
            f"{len(gradient)} gradients, {len(vector)} vector entries"
        )
    directional = weighted_sum(gradient, [Constant(v) for v in vector], Constant(0.0))
    return [x.data for x in grad(directional, inputs)]


def hvp(output: Value, inputs: Sequence[Value], vector: Sequence[float]) -> list[float]:
    """The Hessian of ``output`` with respect to ``inputs`` times ``vector``, without the
    Hessian: reverse mode over the gradient graph (about four times a gradient's cost).

    >>> from micrograd import Value
    >>> x, y = Value(1.0), Value(2.0)
    >>> hvp(x * x * y, [x, y], [1.0, 1.0])      # [[4, 2], [2, 0]] @ [1, 1]
    [6.0, 2.0]
    """
    return hvp_of_gradient(grad(output, inputs, create_graph=True), inputs, vector)


def hessian(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """The matrix of second derivatives: row ``i`` is the gradient of d output / d input_i,
    as in ``torch.autograd.functional.hessian``. The gradient graph once, then one backward
    pass over it per row, so each entry is exact on its own: a non-finite entry elsewhere in
    the Hessian does not leak into it (as it would through ``0 * nan`` in a product with a
    unit vector; ``compile_curvature(...).hessian`` takes those products, and differs from
    this in the last bits where gradients add up in another order).

    >>> from micrograd import Value
    >>> x, y = Value(1.0), Value(2.0)
    >>> hessian(x * x * y + y.exp(), [x, y]) == [[4.0, 2.0], [2.0, y.exp().data]]
    True
    """
    gradient = grad(output, inputs, create_graph=True)
    return [[x.data for x in grad(row, inputs)] for row in gradient]


class CurvatureTape:
    """A loss's gradient graph, traced once and replayed as a tape (``micrograd.compile_graph``):
    the gradient, Hessian-vector products and the Hessian at any values of the inputs (with
    the ``"python"`` backend bit for bit what the eager ``grad`` and ``hvp`` give there; the
    ``"numpy"`` backend adds up in another order and agrees to the last bits), and the loss
    itself (its own tape, traced the first time it is asked for). Valid while the graphs are
    static (see the module docstring on branches). Made by ``compile_curvature``."""

    def __init__(self, output: Value, inputs: Sequence[Value], backend: str) -> None:
        gradient = grad(output, inputs, create_graph=True)
        directions = [Value(0.0, label=f"v.{i}") for i in range(len(inputs))]
        product = weighted_sum(gradient, directions, Constant(0.0))
        self.inputs = len(inputs)
        self.product_tape: Replay = compile_graph(product, [*inputs, *directions], backend)
        """Replays ``sum(gradient[i] * v[i])`` over the inputs followed by ``v``: its
        derivatives are ``H v`` for the inputs and the gradient for ``v``."""
        self._loss_tape: Replay | None = None
        self._trace_loss = lambda: compile_graph(output, inputs, backend)

    def loss(self, values: Sequence[float]) -> float:
        """The output at ``values``."""
        if self._loss_tape is None:
            self._loss_tape = self._trace_loss()
            self._trace_loss = None  # the graph is no longer needed
        return self._loss_tape.forward(values)

    def gradient(self, values: Sequence[float]) -> list[float]:
        """d output / d input at ``values``: d/dv of ``sum(gradient[i] * v[i])``."""
        self.product_tape.forward([*values, *([0.0] * self.inputs)])
        return self.product_tape.backward()[self.inputs :]

    def hvp(self, values: Sequence[float], vector: Sequence[float]) -> list[float]:
        """The Hessian at ``values`` times ``vector``."""
        if len(vector) != self.inputs:
            raise ValueError(f"hvp needs {self.inputs} vector entries, got {len(vector)}")
        self.product_tape.forward([*values, *vector])
        return self.product_tape.backward()[: self.inputs]

    def hessian(self, values: Sequence[float]) -> list[list[float]]:
        """The Hessian at ``values``: row ``i`` is the product with the ``i``-th unit vector
        (bit for bit ``hvp`` of it; ``hessian`` up to the last bits where gradients are
        finite, see there), ``n`` replays of one tape."""
        n = self.inputs
        return [self.hvp(values, [1.0 if k == i else 0.0 for k in range(n)]) for i in range(n)]


def compile_curvature(
    output: Value, inputs: Sequence[Value], backend: str = "python"
) -> CurvatureTape:
    """Trace ``output`` and its gradient graph once, for replays at other values of
    ``inputs`` (a model's parameters): see ``CurvatureTape``.

    >>> from micrograd import Parameter
    >>> w = Parameter(0.5)
    >>> tape = compile_curvature((w * w * w).tanh(), [w])
    >>> w.data = 0.8
    >>> tape.hessian([0.8]) == [hvp((w * w * w).tanh(), [w], [1.0])]
    True
    """
    _check(output, inputs)
    check_backend(backend)
    return CurvatureTape(output, inputs, backend)
