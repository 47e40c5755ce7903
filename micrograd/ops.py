"""The operation table: every operation the engine knows, declared once, by name.

Each row gives an operation's name, its arity, its forward function on floats and its local
derivative rule: one expression per operand over the gradient flowing into the result
(``g``), the result's value (``out``) and the operands' values (``a``, ``b``), giving that
operand's gradient contribution (the chain rule's product already taken). ``Op.backward``
is the rule as a function, called as ``backward(g, out, *operands)``. The engine, graph
export and import, analysis and drawing all read this table; nothing else holds calculus.

Numerics follow IEEE float64 as ``torch.float64`` does on the same scalar operations:
``exp(1000.0)`` is ``inf``, ``log(0.0)`` is ``-inf``, ``log(-1.0)`` is ``nan``,
``0.0 ** -1`` is ``inf``, ``(-8.0) ** (1/3)`` is ``nan``. Python's ``math`` module raises
on several of these, so the forward functions below catch those cases and return the IEEE
result instead; no operation ever raises on a float.

>>> OPS["mul"].forward(3.0, 4.0)
12.0
>>> OPS["mul"].backward(1.0, 12.0, 3.0, 4.0)  # d(a*b)/da = b, d(a*b)/db = a
(4.0, 3.0)
>>> OPS["log"].forward(0.0)
-inf
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "OPS",
    "RULE_ARGUMENTS",
    "RULE_FUNCTIONS",
    "Op",
    "ieee_div",
    "ieee_exp",
    "ieee_log",
    "ieee_pow",
    "reads",
    "relu",
    "rule_lambda_source",
    "rule_reads",
    "sigmoid",
]

_INF = math.inf
_NAN = math.nan


def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0.0


def ieee_div(a: float, b: float) -> float:
    """``a / b`` with IEEE semantics: division by zero gives ``±inf`` or ``nan``.

    >>> ieee_div(1.0, 0.0), ieee_div(1.0, -0.0), ieee_div(0.0, 0.0)
    (inf, -inf, nan)
    """
    if b == 0.0:
        if a == 0.0 or a != a:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)
    return a / b


def ieee_pow(a: float, b: float) -> float:
    """``a ** b`` as C's ``pow``: overflow gives ``±inf``, a pole ``±inf``, a bad domain ``nan``.

    >>> ieee_pow(0.0, -1.0), ieee_pow(-8.0, 1 / 3), ieee_pow(10.0, 400.0)
    (inf, nan, inf)
    """
    try:
        return math.pow(a, b)
    except OverflowError:
        # Only a negative base raised to an odd integer keeps its sign.
        return -_INF if a < 0.0 and _is_odd_integer(b) else _INF
    except ValueError:
        # math.pow refuses a zero base with a negative exponent (a pole) and a negative base
        # with a non-integer exponent (no real result).
        if a == 0.0:
            return math.copysign(_INF, a) if _is_odd_integer(b) else _INF
        return _NAN


def ieee_exp(a: float) -> float:
    """``e ** a``; overflow gives ``inf``.

    >>> ieee_exp(0.0), ieee_exp(1000.0)
    (1.0, inf)
    """
    try:
        return math.exp(a)
    except OverflowError:
        return _INF


def ieee_log(a: float) -> float:
    """Natural logarithm; ``log(±0.0)`` is ``-inf`` and a negative argument gives ``nan``.

    >>> ieee_log(1.0), ieee_log(0.0), ieee_log(-1.0)
    (0.0, -inf, nan)
    """
    try:
        return math.log(a)
    except ValueError:
        return -_INF if a == 0.0 else _NAN


def relu(a: float) -> float:
    """``max(a, 0)`` that keeps ``nan`` and ``-0.0`` as torch does.

    >>> relu(-2.0), relu(3.0)
    (0.0, 3.0)
    """
    return 0.0 if a < 0.0 else a


def sigmoid(a: float) -> float:
    """The logistic function ``1 / (1 + e**-a)``, torch's formula; it saturates to 0 and 1.

    >>> sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0)
    (0.5, 0.0, 1.0)
    """
    return 1.0 / (1.0 + ieee_exp(-a))


# The rules' free names: ``g`` is the gradient flowing into the result, ``out`` the result's
# value, ``a`` and ``b`` the operands' values. Rules may call the functions of RULE_FUNCTIONS.
RULE_ARGUMENTS = ("g", "out", "a", "b")
RULE_FUNCTIONS: Mapping[str, Callable[..., float]] = MappingProxyType(
    {"ieee_div": ieee_div, "ieee_log": ieee_log, "ieee_pow": ieee_pow}
)


def rule_lambda_source(arity: int, parts: Iterable[str]) -> str:
    """The source of a lambda over the rule arguments of an operation with ``arity``
    operands, returning ``parts`` (one expression per operand) as a tuple.

    >>> rule_lambda_source(1, ["g * out"])
    'lambda g, out, a: (g * out,)'
    """
    return f"lambda {', '.join(RULE_ARGUMENTS[: 2 + arity])}: ({', '.join(parts)},)"


def rule_reads(rule: str) -> list[str]:
    """The rule arguments that the expression ``rule`` reads, in ``RULE_ARGUMENTS`` order.

    >>> rule_reads("g * (1.0 - out * out)")
    ['g', 'out']
    """
    return reads(ast.parse(rule, mode="eval").body)


def reads(expression: ast.AST) -> list[str]:
    """The rule arguments that a parsed expression reads, in ``RULE_ARGUMENTS`` order."""
    names = _names(expression)
    return [name for name in RULE_ARGUMENTS if name in names]


def _names(expression: ast.AST) -> set[str]:
    """Every name a parsed expression reads: arguments and functions alike."""
    return {node.id for node in ast.walk(expression) if isinstance(node, ast.Name)}


def _check_rule(op_name: str, arity: int, rule: str) -> None:
    """Refuse a rule that is not one expression over the names it may use."""
    try:
        body = ast.parse(rule, mode="eval").body
    except SyntaxError as error:
        raise ValueError(f"{op_name}: rule {rule!r} is not an expression: {error.msg}") from None
    if isinstance(body, (ast.Tuple, ast.Starred, ast.Lambda, ast.NamedExpr)):
        raise ValueError(f"{op_name}: rule {rule!r} must give one number")
    allowed = {*RULE_ARGUMENTS[: 2 + arity], *RULE_FUNCTIONS}
    unknown = sorted(_names(body) - allowed)
    if unknown:
        raise ValueError(f"{op_name}: rule {rule!r} reads unknown name(s) {', '.join(unknown)}")


@dataclass(frozen=True)
class Op:
    """One row of the operation table.

    ``forward(*operands) -> float`` computes the result. ``rules`` holds the local derivative
    rule, one Python expression per operand over ``g``, ``out``, ``a`` (and ``b``) and the
    functions of ``RULE_FUNCTIONS``: the contribution that flows back into that operand, the
    chain rule's product already taken. ``backward(g, out, *operands) -> tuple`` is those
    expressions as one function; written as expressions, the rules are also compiled into
    each result node's ``_backward`` and the engine's backward loop (``micrograd.engine``),
    into the tape's straight-line code (``micrograd.straight_line``) and into array forms
    (``micrograd.array_tape``) without being written twice. ``symbol`` is how the operation is
    shown in labels; ``commutative`` tells analysis that operand order does not matter.

    A rule must not tell ``g = 0.0`` from ``g = -0.0`` other than in the sign of a zero
    result: the tape relies on it (a test checks every row).

    >>> OPS["tanh"].rules
    ('g * (1.0 - out * out)',)
    >>> Op("twice", 1, abs, ("2.0 * b",), "2x")
    Traceback (most recent call last):
    ...
    ValueError: twice: rule '2.0 * b' reads unknown name(s) b
    """

    name: str
    arity: int
    forward: Callable[..., float]
    rules: tuple[str, ...]
    symbol: str
    commutative: bool = False
    backward: Callable[..., tuple[float, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.rules) != self.arity:
            raise ValueError(f"{self.name}: {self.arity} operand(s) but {len(self.rules)} rules")
        for rule in self.rules:
            _check_rule(self.name, self.arity, rule)
        source = rule_lambda_source(self.arity, self.rules)
        function = eval(compile(source, f"<rule of {self.name}>", "eval"), dict(RULE_FUNCTIONS))
        object.__setattr__(self, "backward", function)


# pow's rules follow torch: an exponent of exactly 0 sends no gradient to the base (even at
# a == 0, where b * a**(b-1) would be nan), and a zero base with a non-negative exponent
# sends none to the exponent (where out * log(a) would be nan).
_POW_RULES = (
    "0.0 if b == 0.0 else g * (b * ieee_pow(a, b - 1.0))",
    "g * (0.0 if a == 0.0 and b >= 0.0 else out * ieee_log(a))",
)

# fmt: off
_ROWS = (
    # name      arity forward       rules: d result / d operand, times g      symbol
    Op("add",     2,  operator.add, ("g", "g"),                               "+",
       commutative=True),
    Op("sub",     2,  operator.sub, ("g", "-g"),                              "-"),
    Op("mul",     2,  operator.mul, ("g * b", "g * a"),                       "*",
       commutative=True),
    Op("div",     2,  ieee_div,     ("ieee_div(g, b)", "-g * ieee_div(out, b)"), "/"),
    Op("pow",     2,  ieee_pow,     _POW_RULES,                               "**"),
    Op("neg",     1,  operator.neg, ("-g",),                                  "-"),
    Op("exp",     1,  ieee_exp,     ("g * out",),                             "exp"),
    Op("log",     1,  ieee_log,     ("ieee_div(g, a)",),                      "log"),
    Op("tanh",    1,  math.tanh,    ("g * (1.0 - out * out)",),               "tanh"),
    Op("relu",    1,  relu,         ("0.0 if out <= 0.0 else g",),            "relu"),
    Op("sigmoid", 1,  sigmoid,      ("g * (1.0 - out) * out",),               "sigmoid"),
)
# fmt: on

OPS: Mapping[str, Op] = MappingProxyType({op.name: op for op in _ROWS})
"""Every operation by name; read-only."""
