"""The operation table: every operation the engine knows, declared once, by name.

Each row gives an operation's name, its arity, its forward function on floats and its local
derivative rule. A rule is called as ``rule(grad, out, *operands)`` with the gradient flowing
into the result, the result's value and the operands' values, and returns one gradient
contribution per operand (the chain rule's product already taken). The engine, graph
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

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["OPS", "Op", "ieee_div", "ieee_exp", "ieee_log", "ieee_pow", "relu", "sigmoid"]

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


def _pow_grads(g: float, out: float, a: float, b: float) -> tuple[float, float]:
    # torch's conventions: an exponent of exactly 0 has no gradient towards the base (even
    # at a == 0, where b * a**(b-1) would be nan), and a zero base with a non-negative
    # exponent has no gradient towards the exponent (where out * log(a) would be nan).
    d_base = 0.0 if b == 0.0 else g * (b * ieee_pow(a, b - 1.0))
    d_exponent = g * (0.0 if a == 0.0 and b >= 0.0 else out * ieee_log(a))
    return d_base, d_exponent


@dataclass(frozen=True)
class Op:
    """One row of the operation table.

    ``forward(*operands) -> float``; ``backward(grad, out, *operands) -> tuple`` of one
    gradient contribution per operand. ``symbol`` is how the operation is shown in labels;
    ``commutative`` tells analysis that operand order does not matter.
    """

    name: str
    arity: int
    forward: Callable[..., float]
    backward: Callable[..., tuple[float, ...]]
    symbol: str
    commutative: bool = False


# fmt: off
_ROWS = (
    # name      arity forward       backward: (grad, out, *operands) -> operand grads   symbol
    Op("add",     2,  operator.add, lambda g, out, a, b: (g, g),                          "+",
       commutative=True),
    Op("sub",     2,  operator.sub, lambda g, out, a, b: (g, -g),                         "-"),
    Op("mul",     2,  operator.mul, lambda g, out, a, b: (g * b, g * a),                  "*",
       commutative=True),
    Op("div",     2,  ieee_div,     lambda g, out, a, b: (ieee_div(g, b),
                                                          -g * ieee_div(out, b)),         "/"),
    Op("pow",     2,  ieee_pow,     _pow_grads,                                           "**"),
    Op("neg",     1,  operator.neg, lambda g, out, a: (-g,),                              "-"),
    Op("exp",     1,  ieee_exp,     lambda g, out, a: (g * out,),                         "exp"),
    Op("log",     1,  ieee_log,     lambda g, out, a: (ieee_div(g, a),),                  "log"),
    Op("tanh",    1,  math.tanh,    lambda g, out, a: (g * (1.0 - out * out),),           "tanh"),
    Op("relu",    1,  relu,         lambda g, out, a: (0.0 if out <= 0.0 else g,),        "relu"),
    Op("sigmoid", 1,  sigmoid,      lambda g, out, a: (g * (1.0 - out) * out,),          "sigmoid"),
)
# fmt: on

OPS: Mapping[str, Op] = MappingProxyType({op.name: op for op in _ROWS})
"""Every operation by name; read-only."""
