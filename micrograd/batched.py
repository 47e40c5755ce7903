"""Batched forms of the operation table's derivative rules, for the tape.

A rule of the table is an expression for one node, such as tanh's ``g * (1.0 - out * out)``.
The tape (``micrograd.tape``) applies it to every node of a group at once, so
``batched_rule(op)`` rewrites each of an operation's expressions over sequences: arithmetic
becomes nested ``map`` calls over the operator functions, numbers become ``repeat``, and a
call of a rule function maps that function. tanh's rule becomes::

    map(mul, g, map(sub, repeat(1.0), map(mul, out, out)))

and runs its per-node loop in C. Parts with no such form (a conditional, a comparison) are
mapped as a small lambda over just the names they read. Either way every node sees the same
operations on the same numbers in the same order as the scalar rule, so the results are
bit-identical to ``Op.backward``'s (up to the sign of a NaN: Python's ``x * y`` and
``operator.mul(x, y)`` may keep different operands' NaN); the rule itself is still
written once, in the table.

>>> from micrograd.ops import OPS
>>> tanh = batched_rule(OPS["tanh"])
>>> [list(contributions) for contributions in tanh([1.0, 2.0], [0.5, 0.0], [0.55, 0.0])]
[[0.75, 2.0]]
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable
from itertools import repeat

from micrograd.ops import RULE_FUNCTIONS, Op, reads, rule_lambda_source

__all__ = ["BatchedRule", "batched_rule", "batched_source"]

# (g, out, *operands) as sequences -> one iterable of contributions per operand.
BatchedRule = Callable[..., tuple[Iterable[float], ...]]

_BINARY = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "truediv",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
    ast.Pow: "pow",
}
_UNARY = {ast.USub: "neg", ast.UAdd: "pos"}
# Where batched code runs: the rule functions, plus map, repeat and the operator functions
# under names a rule cannot mean (rules read only g, out, a, b and RULE_FUNCTIONS).
_NAMESPACE = {
    **RULE_FUNCTIONS,
    "_map": map,
    "_repeat": repeat,
    **{f"_{name}": getattr(operator, name) for name in (*_BINARY.values(), *_UNARY.values())},
}


def _batched(node: ast.expr) -> str:
    """Source for an iterable of ``node``'s value at every node, given one sequence per
    rule argument under the argument's own name."""
    read = reads(node)
    if not read:  # the same number everywhere; the sequences beside it set the length
        return f"_repeat({ast.unparse(node)})"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _batched(node.left), _batched(node.right)
        return f"_map(_{_BINARY[type(node.op)]}, {left}, {right})"
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return f"_map(_{_UNARY[type(node.op)]}, {_batched(node.operand)})"
    simple_call = (
        isinstance(node, ast.Call)
        and not node.keywords
        and not reads(node.func)
        and not any(isinstance(arg, ast.Starred) for arg in node.args)
    )
    if simple_call:
        args = ", ".join(_batched(arg) for arg in node.args)
        return f"_map({ast.unparse(node.func)}, {args})"
    names = ", ".join(read)
    return f"_map(lambda {names}: {ast.unparse(node)}, {names})"


def batched_source(op: Op) -> str:
    """The source of ``op``'s batched rule: a lambda over one sequence per rule argument.

    >>> from micrograd.ops import OPS
    >>> batched_source(OPS["mul"])
    'lambda g, out, a, b: (_map(_mul, g, b), _map(_mul, g, a),)'
    >>> batched_source(OPS["relu"])
    'lambda g, out, a: (_map(lambda g, out: 0.0 if out <= 0.0 else g, g, out),)'
    """
    parts = []
    for rule in op.rules:
        expression = ast.parse(rule, mode="eval").body
        if reads(expression):
            parts.append(_batched(expression))
        else:  # no sequence to set the length: one copy per node
            parts.append(f"[{ast.unparse(expression)}] * len(g)")
    return rule_lambda_source(op.arity, parts)


def batched_rule(op: Op) -> BatchedRule:
    """``op``'s derivative rule for many nodes at once: called with the sequences of their
    incoming gradients, results and operand values, it returns one iterable of gradient
    contributions per operand, equal bit for bit to ``op.backward`` node by node."""
    source = batched_source(op)
    return eval(compile(source, f"<batched rule of {op.name}>", "eval"), dict(_NAMESPACE))
