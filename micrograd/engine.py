"""The autograd engine: a scalar ``Value`` that remembers how it was computed.

Every arithmetic operation on ``Value`` objects makes a new ``Value`` whose ``_prev`` holds
its operands (in order) and whose ``_op`` names its row in the operation table
(``micrograd.ops.OPS``). ``backward()`` orders that graph topologically and, from the output
back to the leaves, applies each node's local derivative rule, adding (``+=``) every path's
contribution into ``.grad``: that is the whole of backpropagation.

>>> a = Value(2.0, label="a")
>>> b = Value(-3.0, label="b")
>>> c = a * b + b ** 2
>>> c.data
3.0
>>> c.backward()
>>> a.grad, b.grad          # dc/da = b, dc/db = a + 2b
(-3.0, -4.0)
"""

from __future__ import annotations

import numbers

from micrograd.ops import OPS

__all__ = ["Constant", "Parameter", "Value", "as_float", "topological_order"]

Number = float | int


def as_float(x: object, where: str = "a number") -> float:
    """Convert a real number (int, bool, float, ...) to float, or raise a one-line error
    that says ``where`` the number was wanted.

    >>> as_float(3), as_float(True)
    (3.0, 1.0)
    >>> as_float("abc", "Value()")
    Traceback (most recent call last):
    ...
    TypeError: Value() needs a real number, got 'abc' (str)
    """
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            text = str(x)
            shown = text if len(text) <= 30 else f"{text[:10]}...{text[-4:]} ({len(text)} digits)"
            raise OverflowError(f"{where} got {shown}, too large for a float") from None
    raise TypeError(f"{where} needs a real number, got {x!r:.60} ({type(x).__name__})")


class Value:
    """A float that records the operation and operands that produced it.

    Attributes: ``data`` (the float), ``grad`` (d output / d this, 0.0 until
    ``backward()``), ``label`` (a name for display), ``_prev`` (the operands, in order; empty
    for a leaf) and ``_op`` (the operation's name in ``OPS``; ``""`` for a leaf).
    Values hash by identity: two nodes holding equal numbers are still two nodes.

    >>> x = Value(0.5)
    >>> y = (2 * x).tanh()
    >>> y._op, y._prev[0]._op
    ('tanh', 'mul')
    """

    __slots__ = ("_op", "_prev", "data", "grad", "label")

    def __init__(self, data: Number, *, label: str = "") -> None:
        self.data = as_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self._prev: tuple[Value, ...] = ()
        self._op = ""

    @classmethod
    def _apply(cls, op_name: str, *operands: Value) -> Value:
        """The result of applying operation ``op_name`` of the table to ``operands``."""
        out = cls.__new__(cls)
        out.data = OPS[op_name].forward(*(operand.data for operand in operands))
        out.grad = 0.0
        out.label = ""
        out._prev = operands
        out._op = op_name
        return out

    # -- building the graph -------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        return _binary("add", self, other)

    def __radd__(self, other: Number) -> Value:
        return _binary("add", other, self)

    def __sub__(self, other: Value | Number) -> Value:
        return _binary("sub", self, other)

    def __rsub__(self, other: Number) -> Value:
        return _binary("sub", other, self)

    def __mul__(self, other: Value | Number) -> Value:
        return _binary("mul", self, other)

    def __rmul__(self, other: Number) -> Value:
        return _binary("mul", other, self)

    def __truediv__(self, other: Value | Number) -> Value:
        return _binary("div", self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return _binary("div", other, self)

    def __pow__(self, other: Value | Number) -> Value:
        return _binary("pow", self, other)

    def __rpow__(self, other: Number) -> Value:
        return _binary("pow", other, self)

    def __neg__(self) -> Value:
        return Value._apply("neg", self)

    def exp(self) -> Value:
        """``e ** self``."""
        return Value._apply("exp", self)

    def log(self) -> Value:
        """Natural logarithm of ``self``."""
        return Value._apply("log", self)

    def tanh(self) -> Value:
        """Hyperbolic tangent of ``self``."""
        return Value._apply("tanh", self)

    def relu(self) -> Value:
        """``max(self, 0)``."""
        return Value._apply("relu", self)

    def sigmoid(self) -> Value:
        """The logistic function ``1 / (1 + e ** -self)``."""
        return Value._apply("sigmoid", self)

    # -- backpropagation ----------------------------------------------------------------

    def _backward(self) -> None:
        """Apply this node's local derivative rule once: add ``self.grad`` times the local
        derivative into each operand's ``grad``. A leaf has no rule and does nothing."""
        if not self._prev:
            return
        operands = self._prev
        contributions = OPS[self._op].backward(
            self.grad, self.data, *(operand.data for operand in operands)
        )
        for operand, contribution in zip(operands, contributions):
            operand.grad += contribution

    def backward(self) -> None:
        """Add d(self)/d(node) into ``node.grad`` for every node of the graph below ``self``.

        Gradients accumulate, as in PyTorch: calling ``backward()`` twice adds the
        derivatives twice, so clear them between steps (``Module.zero_grad()``). Each call
        computes its own pass from a clean slate and only then adds it to what was there,
        so intermediate nodes accumulate exactly like leaves. The traversal is iterative:
        graphs of any depth work under the default recursion limit.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad
        12.0
        """
        order = topological_order(self)
        carried = [(node, node.grad) for node in order if node.grad != 0.0]
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        for node, earlier in carried:
            node.grad = earlier + node.grad

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"{type(self).__name__}(data={self.data}, grad={self.grad}{label})"


class Parameter(Value):
    """A leaf that training updates: a weight or a bias of a model.

    >>> w = Parameter(0.5, label="w")
    >>> (w * 2)._prev[1]
    Constant(data=2.0, grad=0.0)
    """

    __slots__ = ()


class Constant(Value):
    """A leaf made from a plain number written into an expression: the ``2`` in ``2 * x``.

    Other leaves, made with ``Value(...)`` directly, are the inputs of a computation."""

    __slots__ = ()


def _binary(op_name: str, left: Value | Number, right: Value | Number) -> Value:
    """Apply a two-operand operation, wrapping a plain number operand as a ``Constant``."""
    try:
        left_value = left if isinstance(left, Value) else Constant(left)
        right_value = right if isinstance(right, Value) else Constant(right)
    except TypeError:
        return NotImplemented
    return Value._apply(op_name, left_value, right_value)


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, operands before results, ``root`` last.

    Iterative depth-first search visiting operands in order, so the order is deterministic
    and any depth is fine.

    >>> a = Value(1.0); b = a + a; c = b * a
    >>> [node._op for node in topological_order(c)]
    ['', 'add', 'mul']
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if operands_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        stack.extend((operand, False) for operand in reversed(node._prev) if operand not in visited)
    return order
