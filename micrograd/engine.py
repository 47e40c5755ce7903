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

    A node keeps its (at most two) operands in two slots, ``_a`` and ``_b``, and ``_prev``
    assembles the tuple on demand: a tuple per node would cost 64 bytes and one more object
    for the garbage collector to track, on every node of every graph. Nodes hold no closure
    and nothing points back up the graph, so a graph nobody holds is freed at once by
    reference counting.

    >>> x = Value(0.5)
    >>> y = (2 * x).tanh()
    >>> y._op, y._prev[0]._op
    ('tanh', 'mul')
    """

    __slots__ = ("_a", "_b", "_op", "data", "grad", "label")

    def __init__(self, data: Number, *, label: str = "") -> None:
        self.data = as_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._a: Value | None = None
        self._b: Value | None = None

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The operands, in order: ``()`` for a leaf."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @classmethod
    def _apply(cls, op_name: str, *operands: Value) -> Value:
        """The result of applying operation ``op_name`` of the table to ``operands``.

        >>> Value._apply("mul", Value(3.0), Value(4.0))
        Value(data=12.0, grad=0.0)
        """
        op = OPS[op_name]
        if len(operands) != op.arity or not all(isinstance(o, Value) for o in operands):
            raise TypeError(f"{op_name} takes {op.arity} Value operand(s), got {operands!r:.80}")
        return _node(cls, op_name, op.forward(*(operand.data for operand in operands)), *operands)

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
        return _node(Value, "neg", _FORWARD["neg"](self.data), self)

    def exp(self) -> Value:
        """``e ** self``."""
        return _node(Value, "exp", _FORWARD["exp"](self.data), self)

    def log(self) -> Value:
        """Natural logarithm of ``self``."""
        return _node(Value, "log", _FORWARD["log"](self.data), self)

    def tanh(self) -> Value:
        """Hyperbolic tangent of ``self``."""
        return _node(Value, "tanh", _FORWARD["tanh"](self.data), self)

    def relu(self) -> Value:
        """``max(self, 0)``."""
        return _node(Value, "relu", _FORWARD["relu"](self.data), self)

    def sigmoid(self) -> Value:
        """The logistic function ``1 / (1 + e ** -self)``."""
        return _node(Value, "sigmoid", _FORWARD["sigmoid"](self.data), self)

    # -- backpropagation ----------------------------------------------------------------

    def _backward(self) -> None:
        """Apply this node's local derivative rule once: add ``self.grad`` times the local
        derivative into each operand's ``grad``. A leaf has no rule and does nothing."""
        a, b = self._a, self._b
        if a is None:
            return
        if b is None:
            (a_contribution,) = _BACKWARD[self._op](self.grad, self.data, a.data)
            a.grad += a_contribution
        else:
            a_contribution, b_contribution = _BACKWARD[self._op](
                self.grad, self.data, a.data, b.data
            )
            a.grad += a_contribution  # a first, then b: in `a + a` both land on a, in order
            b.grad += b_contribution

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
        # Only nodes that already hold a gradient need clearing (in training, after
        # zero_grad(), none do): this pass starts from 0.0 everywhere, then adds back.
        carried = [(node, node.grad) for node in order if node.grad != 0.0]
        for node, _ in carried:
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


# The table's functions by name, looked up once per node on the hot paths (a plain dict is
# faster to index than the read-only OPS mapping and its Op records). Read from OPS, so the
# calculus still lives only there.
_FORWARD = {name: op.forward for name, op in OPS.items()}
_BACKWARD = {name: op.backward for name, op in OPS.items()}
_new = object.__new__
assert all(op.arity in (1, 2) for op in OPS.values()), "a node holds at most two operands"


def _node(cls: type[Value], op_name: str, data: float, a: Value, b: Value | None = None) -> Value:
    """A new result node: ``data`` computed by ``op_name`` from the operands ``a`` (and ``b``)."""
    out = _new(cls)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op_name
    out._a = a
    out._b = b
    return out


def _binary(op_name: str, left: Value | Number, right: Value | Number) -> Value:
    """Apply a two-operand operation, wrapping a plain number operand as a ``Constant``."""
    try:
        if not isinstance(left, Value):
            left = Constant(left)
        if not isinstance(right, Value):
            right = Constant(right)
    except TypeError:
        return NotImplemented
    return _node(Value, op_name, _FORWARD[op_name](left.data, right.data), left, right)


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, operands before results, ``root`` last.

    Iterative depth-first search visiting operands in order, so the order is deterministic
    and any depth is fine. The stack holds nodes still to visit; a ``None`` above a node
    marks one whose operands have all been placed, so it goes into the order next.

    >>> a = Value(1.0); b = a + a; c = b * a
    >>> [node._op for node in topological_order(c)]
    ['', 'add', 'mul']
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    # Bound methods held in locals: this loop runs a few times per node of every graph, and
    # the profiler shows the attribute look-ups as a quarter of its time.
    push, pop, place, visit = stack.append, stack.pop, order.append, visited.add
    while stack:
        node = pop()
        if node is None:
            place(pop())
        elif node not in visited:
            visit(node)
            push(node)
            push(None)
            a, b = node._a, node._b
            # Push the second operand first, so the first is visited first.
            if b is not None and b not in visited:
                push(b)
            if a is not None and a not in visited:
                push(a)
    return order
