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

import linecache
import numbers
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import ClassVar

from micrograd.ops import OPS, RULE_FUNCTIONS, Op, rule_reads

__all__ = [
    "Constant",
    "Parameter",
    "Value",
    "as_float",
    "current_scope",
    "enter_scope",
    "exit_scope",
    "scope",
    "topological_order",
    "weighted_sum",
]

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
    if type(x) is int or isinstance(x, numbers.Real):  # int first: the ABC check is slow
        try:
            return float(x)
        except OverflowError:
            text = str(x)
            shown = text if len(text) <= 30 else f"{text[:10]}...{text[-4:]} ({len(text)} digits)"
            raise OverflowError(f"{where} got {shown}, too large for a float") from None
    raise TypeError(f"{where} needs a real number, got {x!r:.60} ({type(x).__name__})")


# -- scopes --------------------------------------------------------------------------------

_scope = ""
"""The dotted name of the scope that new nodes are made in; ``""`` outside any."""
# Each (outer scope, inner name) joined once: every node made in one scope then holds the
# same string object, so recording a scope costs a node one slot and no new object.
_joined: dict[tuple[str, str], str] = {}
_MAX_JOINED = 100_000  # past this many distinct scopes the cache starts over


def current_scope() -> str:
    """The dotted name of the scope new nodes are made in now; ``""`` outside any.

    >>> current_scope()
    ''
    >>> with scope("encoder"), scope("layer.0"):
    ...     current_scope()
    'encoder.layer.0'
    """
    return _scope


@contextmanager
def scope(name: str) -> Iterator[str]:
    """Make every node created inside the ``with`` block (leaves and results) record the
    scope ``name``, joined with dots to the scope around it. ``name`` may itself hold dots
    (``"layers.0"``), but no empty part. The neural-net library builds each neuron in its
    own scope (``layers.1.neurons.3``); analysis, drawings and the viewer group by it.

    The current scope belongs to the process, like the recursion limit: threads that build
    graphs at the same time in different scopes would mix them.

    >>> from micrograd import Value
    >>> with scope("model"):
    ...     x = Value(2.0)
    ...     with scope("square"):
    ...         y = x * x
    >>> x.scope, y.scope, (y + 1).scope
    ('model', 'model.square', '')
    """
    outer = enter_scope(_checked_scope_name(name))
    try:
        yield _scope
    finally:
        exit_scope(outer)


def enter_scope(name: str) -> str:
    """Make ``name``, inside the current scope, the scope of new nodes (``""`` stays in the
    current one), and return the scope it replaces, to hand to ``exit_scope``. This is what
    ``scope()`` does, for code that enters a scope on a hot path (a neuron, at every call)
    and trusts its own names.

    >>> outer = enter_scope("layers.0")
    >>> current_scope()
    'layers.0'
    >>> exit_scope(outer); current_scope()
    ''
    """
    global _scope
    outer = _scope
    _scope = _joined.get((outer, name)) or _join(outer, name)
    return outer


def _join(outer: str, name: str) -> str:
    """``outer.name`` (or whichever is not empty), the one string every node made in that
    scope will hold."""
    if len(_joined) >= _MAX_JOINED:
        _joined.clear()
    joined = f"{outer}.{name}" if outer and name else outer or name
    _joined[outer, name] = joined
    return joined


def exit_scope(outer: str) -> None:
    """Go back to the scope ``outer`` that ``enter_scope`` returned."""
    global _scope
    _scope = outer


def _checked_scope_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"a scope's name must be text, got {name!r:.60} ({type(name).__name__})")
    if not name or "" in name.split("."):
        raise ValueError(f"a scope's name needs non-empty parts between dots, got {name!r:.60}")
    return name


# The table's functions by name, looked up once per node on the hot paths (a plain dict is
# faster to index than the read-only OPS mapping and its Op records). Read from OPS, so the
# calculus still lives only there.
_FORWARD = {name: op.forward for name, op in OPS.items()}
_new = object.__new__
_grad_of = operator.attrgetter("grad")
# The class of each operation's results, by name; filled in below the classes.
_RESULT_CLASSES: dict[str, type[Value]] = {}
assert all(op.arity in (1, 2) for op in OPS.values()), "a node holds at most two operands"


BinaryMethod = Callable[["Value", "Value | Number"], "Value"]


def _binary_methods(op_name: str, dunder: str) -> tuple[BinaryMethod, BinaryMethod]:
    """``Value``'s operator method for a two-operand operation (``__add__`` for ``add``)
    and its reflected form (``__radd__``, for ``2 + x``). A plain number operand becomes a
    ``Constant``; anything else is ``NotImplemented``, so Python raises its usual TypeError.
    """
    forward = _FORWARD[op_name]
    symbol = OPS[op_name].symbol

    def method(self: Value, other: Value | Number) -> Value:
        if not isinstance(other, Value):
            try:
                other = Constant(other)
            except TypeError:
                return NotImplemented
        # What _node() does, written out: this is the hottest path of graph building, and
        # one Python call less per node makes building an MLP's graph about 7% faster.
        out = _new(_RESULT_CLASSES[op_name])
        out.data = forward(self.data, other.data)
        out.grad = 0.0
        out.scope = _scope
        out._a = self
        out._b = other
        return out

    def reflected(self: Value, other: Number) -> Value:
        try:
            left = Constant(other)
        except TypeError:
            return NotImplemented
        return method(left, self)

    for function, name, expression in (
        (method, f"__{dunder}__", f"self {symbol} other"),
        (reflected, f"__r{dunder}__", f"other {symbol} self"),
    ):
        function.__name__, function.__qualname__ = name, f"Value.{name}"
        function.__doc__ = f"``{expression}`` as a new node (a number becomes a ``Constant``)."
    return method, reflected


def _unary_method(op_name: str, name: str, doc: str) -> Callable[[Value], Value]:
    """``Value``'s method ``name`` for a one-operand operation (``tanh`` for ``tanh``)."""
    forward = _FORWARD[op_name]

    def method(self: Value) -> Value:
        return _node(op_name, forward(self.data), self)

    method.__name__, method.__qualname__, method.__doc__ = name, f"Value.{name}", doc
    return method


class Value:
    """A float that records the operation and operands that produced it.

    Attributes: ``data`` (the float), ``grad`` (d output / d this, 0.0 until
    ``backward()``), ``label`` (a name for display), ``scope`` (the dotted name of the
    ``scope()`` it was made in, ``""`` outside any), ``_prev`` (the operands, in order; empty
    for a leaf) and ``_op`` (the operation's name in ``OPS``; ``""`` for a leaf).
    Values hash by identity: two nodes holding equal numbers are still two nodes.

    A node keeps its (at most two) operands in two slots, ``_a`` and ``_b``, and ``_prev``
    assembles the tuple on demand: a tuple per node would cost 64 bytes and one more object
    for the garbage collector to track, on every node of every graph. Nodes hold no closure
    and nothing points back up the graph, so a graph nobody holds is freed at once by
    reference counting.

    The results of each operation are instances of a subclass of their own (shown as
    ``Value[mul]``): its class attribute ``_op`` names the operation, and its ``_backward``
    runs that operation's rule from the table, compiled into the method.

    >>> x = Value(0.5)
    >>> y = (2 * x).tanh()
    >>> y._op, y._prev[0]._op
    ('tanh', 'mul')
    """

    # ``label`` lives in the slot ``_label`` behind a property that reads an unset slot as
    # "": most nodes never get a label, and not storing one saves a store per node on the
    # hottest path of graph building (which pays for recording the scope).
    __slots__ = ("_a", "_b", "_label", "data", "grad", "scope")
    _op: ClassVar[str] = ""  # a leaf; each operation's results have a class that names it

    def __init__(self, data: Number, *, label: str = "") -> None:
        self.data = data if type(data) is float else as_float(data, "Value()")
        self.grad = 0.0
        if label:
            self._label = label
        self.scope = _scope
        self._a: Value | None = None
        self._b: Value | None = None

    @property
    def label(self) -> str:
        """A name for display (``""`` if none was given)."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, text: str) -> None:
        self._label = text

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The operands, in order: ``()`` for a leaf."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @staticmethod
    def _apply(op_name: str, *operands: Value) -> Value:
        """The result of applying operation ``op_name`` of the table to ``operands``.

        >>> Value._apply("mul", Value(3.0), Value(4.0))
        Value(data=12.0, grad=0.0)
        """
        op = OPS[op_name]
        if len(operands) != op.arity or not all(isinstance(o, Value) for o in operands):
            raise TypeError(f"{op_name} takes {op.arity} Value operand(s), got {operands!r:.80}")
        return _node(op_name, op.forward(*(operand.data for operand in operands)), *operands)

    # -- building the graph -------------------------------------------------------------

    __add__, __radd__ = _binary_methods("add", "add")
    __sub__, __rsub__ = _binary_methods("sub", "sub")
    __mul__, __rmul__ = _binary_methods("mul", "mul")
    __truediv__, __rtruediv__ = _binary_methods("div", "truediv")
    __pow__, __rpow__ = _binary_methods("pow", "pow")

    __neg__ = _unary_method("neg", "__neg__", "``-self``.")
    exp = _unary_method("exp", "exp", "``e ** self``.")
    log = _unary_method("log", "log", "Natural logarithm of ``self``.")
    tanh = _unary_method("tanh", "tanh", "Hyperbolic tangent of ``self``.")
    relu = _unary_method("relu", "relu", "``max(self, 0)``.")
    sigmoid = _unary_method("sigmoid", "sigmoid", "The logistic function ``1 / (1 + e ** -self)``.")

    # -- backpropagation ----------------------------------------------------------------

    def _backward(self) -> None:
        """Apply this node's local derivative rule once: add ``self.grad`` times the local
        derivative into each operand's ``grad``. A leaf has no rule and does nothing; the
        results of each operation have a class whose ``_backward`` runs its rule (below)."""

    def backward(self) -> None:
        """Add d(self)/d(node) into ``node.grad`` for every node of the graph below ``self``.

        Gradients accumulate, as in PyTorch: calling ``backward()`` twice adds the
        derivatives twice, so clear them between steps (``Module.zero_grad()``). Each call
        computes its own pass from a clean slate and only then adds it to what was there,
        so intermediate nodes accumulate exactly like leaves. Graphs of any depth work
        under the default recursion limit (``topological_order`` recurses only so far).

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
        carried: list[tuple[Value, float]] = []
        if any(map(_grad_of, order)):  # a scan in C; the list only when it finds one
            carried = [(node, node.grad) for node in order if node.grad != 0.0]
            for node, _ in carried:
                node.grad = 0.0
        self.grad = 1.0
        _apply_rules(reversed(order))
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


def _rule_statements(op: Op, node: str) -> list[str]:
    """The statements that apply ``op``'s rule to the node named ``node``, written out from
    the table's expressions. For ``mul`` and ``node = "self"``::

        g = self.grad; a = self._a.data; b = self._b.data
        d_a = g * b; d_b = g * a
        self._a.grad += d_a; self._b.grad += d_b    # a first: in `a * a` both land on a

    Written out like this, a rule runs without a look-up by name, a call, or a tuple.
    """
    operands = ("a", "b")[: op.arity]
    read = {name for rule in op.rules for name in rule_reads(rule)}
    lines = [f"g = {node}.grad"] if "g" in read else []
    lines += [f"out = {node}.data"] if "out" in read else []
    lines += [f"{name} = {node}._{name}.data" for name in operands if name in read]
    lines += [f"d_{name} = {rule}" for name, rule in zip(operands, op.rules)]
    lines += [f"{node}._{name}.grad += d_{name}" for name in operands]
    return lines


def _compiled(source: str, filename: str, namespace: dict) -> dict:
    """Run generated ``source`` in ``namespace`` (with the rule functions), and register
    it so that tracebacks through it show its lines."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": __name__, **RULE_FUNCTIONS, **namespace}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def _result_class(op: Op) -> type[Value]:
    """The class of ``op``'s results: a ``Value`` whose ``_op`` is ``op.name`` and whose
    ``_backward`` is ``op``'s rule, compiled from the table's expressions into the method
    (``_rule_statements``).

    >>> (Value(2.0) * 3.0)._op
    'mul'
    """
    body = "".join(f"    {line}\n" for line in _rule_statements(op, "self"))
    backward = _compiled(f"def _backward(self):\n{body}", f"<rule of {op.name}>", {})["_backward"]
    backward.__qualname__ = f"Value[{op.name}]._backward"
    backward.__doc__ = Value._backward.__doc__
    attributes = {
        "__slots__": (),
        "__module__": __name__,
        "_op": op.name,
        "_backward": backward,
        "__reduce__": _reduce_result,
    }
    result_class = type("Value", (Value,), attributes)
    result_class.__qualname__ = f"Value[{op.name}]"
    return result_class


def _reduce_result(node: Value) -> tuple:
    """How pickle and copy rebuild a result node: its class is found by its operation."""
    state = (node._op, node.data, node.grad, node.label, node._a, node._b, node.scope)
    return _rebuild_result, state


def _rebuild_result(
    op_name: str,
    data: float,
    grad: float,
    label: str,
    a: Value,
    b: Value | None,
    scope: str = "",
) -> Value:
    node = _node(op_name, data, a, b)
    node.grad, node.label, node.scope = grad, label, scope
    return node


_RESULT_CLASSES.update((name, _result_class(op)) for name, op in OPS.items())


def _rules_loop() -> Callable[[Iterable[Value]], None]:
    """``_apply_rules(nodes)``: every node's rule in turn, one loop with each operation's
    statements inline, chosen by the node's class. Backward spends a quarter less time
    in its rules than calling each node's ``_backward`` (a Python call per node costs
    about as much as the rule itself). The operations of an MLP come first, then leaves
    (no rule), then the other operations.
    """
    first = [name for name in ("add", "mul", "tanh", "relu", "sigmoid") if name in OPS]
    lines = ["def _apply_rules(nodes):", "    for node in nodes:", "        kind = type(node)"]
    names = first + [name for name in OPS if name not in first]
    for i, name in enumerate(names):
        lines.append(f"        {'if' if i == 0 else 'elif'} kind is _{name}:")
        lines += [f"            {line}" for line in _rule_statements(OPS[name], "node")]
        if name == first[-1]:
            lines += ["        elif node._a is None:", "            pass"]
    # Any other node with operands (of a class of its own) still runs its own method.
    lines += ["        else:", "            node._backward()"]
    classes = {f"_{name}": _RESULT_CLASSES[name] for name in OPS}
    assert not {"node", "nodes", "kind", *classes} & {*RULE_FUNCTIONS}, "a name the loop uses"
    source = "\n".join(lines) + "\n"
    apply_rules = _compiled(source, "<rules of every operation>", classes)["_apply_rules"]
    apply_rules.__doc__ = "Apply the rule of every node of ``nodes``, in turn."
    return apply_rules


_apply_rules = _rules_loop()


def _node(op_name: str, data: float, a: Value, b: Value | None = None) -> Value:
    """A new result node: ``data`` computed by ``op_name`` from the operands ``a`` (and ``b``)."""
    out = _new(_RESULT_CLASSES[op_name])
    out.data = data
    out.grad = 0.0
    out.scope = _scope
    out._a = a
    out._b = b
    return out


def weighted_sum(
    weights: Sequence[Value], inputs: Sequence[Value], bias: Value, scope: str | None = None
) -> Value:
    """``bias + weights[0] * inputs[0] + weights[1] * inputs[1] + ...``, the sum a neuron
    computes, built in one call: the same nodes in the same order as that expression (or
    ``sum(map(operator.mul, weights, inputs), bias)``), in half the time, since no node
    goes through Python's operator dispatch or a call of its own. It takes ``Value``s
    only (make a number a ``Constant`` first), and pairs as ``zip`` does. The nodes are
    made in ``scope``, a whole dotted name (a neuron gives its own, where its parameters
    are), or in the current scope when it is ``None``.

    >>> w, x, b = [Value(2.0), Value(3.0)], [Value(0.5), Value(-1.0)], Value(1.0)
    >>> total = weighted_sum(w, x, b, "neuron")
    >>> total.data, total._op, total._prev[1]._op, total.scope
    (-1.0, 'add', 'mul', 'neuron')
    >>> weighted_sum(w, [0.5, -1.0], b)
    Traceback (most recent call last):
    ...
    TypeError: weighted_sum takes Values, got 0.5 (float) in inputs
    """
    product_class, sum_class = _RESULT_CLASSES["mul"], _RESULT_CLASSES["add"]
    here = _scope if scope is None else scope
    total = bias
    try:
        for weight, x in zip(weights, inputs):
            # What _node() does, written out twice: a call per node would cost a third of
            # the time this function saves.
            product = _new(product_class)
            product.data = weight.data * x.data  # the table's mul and add: see below
            product.grad = 0.0
            product.scope = here
            product._a = weight
            product._b = x
            new_total = _new(sum_class)
            new_total.data = total.data + product.data
            new_total.grad = 0.0
            new_total.scope = here
            new_total._a = total
            new_total._b = product
            total = new_total
    except AttributeError:  # something without .data: say which
        for where, items in (("bias", [bias]), ("weights", weights), ("inputs", inputs)):
            for item in items:
                if not isinstance(item, Value):
                    message = f"got {item!r:.60} ({type(item).__name__}) in {where}"
                    raise TypeError(f"weighted_sum takes Values, {message}") from None
        raise
    return total


# weighted_sum writes the table's mul and add as Python's * and +, saving a call per node:
# the same thing on floats, as long as the table says so.
if _FORWARD["mul"] is not operator.mul or _FORWARD["add"] is not operator.add:
    raise ImportError("weighted_sum needs the table's mul and add to be operator.mul and .add")

# Levels the sort may recurse before an explicit stack takes over: more than the reference
# run's loss graph needs (23). Measured on the 65,818-node moons loss graph (341 levels),
# recursing 100 or 200 levels deep sorted it a fifth slower than the stack alone; 50, no
# slower.
_RECURSION_BUDGET = 50


def topological_order(root: Value) -> list[Value]:
    """Every node that ``root`` depends on, operands before results, ``root`` last.

    Depth-first search visiting operands in order, so the order is deterministic. It
    recurses while the graph is shallow, which sorts a graph of a few hundred nodes a
    quarter faster than an explicit stack; deeper than ``_RECURSION_BUDGET`` levels, or
    when the caller is itself near Python's recursion limit, an explicit stack
    (``_place_below``) goes on in the same order, so any depth is fine.

    >>> a = Value(1.0); b = a + a; c = b * a
    >>> [node._op for node in topological_order(c)]
    ['', 'add', 'mul']
    """
    order: list[Value] = []
    visited: set[Value] = set()
    try:
        _place_recursively(root, visited, order, _RECURSION_BUDGET)
    except RecursionError:  # called from deep recursion already: start over with the stack
        order.clear()
        visited.clear()
        _place_below(root, visited, order)
    return order


def _place_recursively(node: Value, visited: set[Value], order: list[Value], budget: int) -> None:
    """Append ``node``, after every node below it not yet ``visited``, to ``order``;
    recursing at most ``budget`` levels, then with ``_place_below``. (A module function,
    not a closure: a closure that calls itself is a reference cycle, which would keep
    the whole graph alive until the garbage collector runs.)"""
    visited.add(node)
    a = node._a
    if a is not None:
        if a not in visited:
            if budget:
                _place_recursively(a, visited, order, budget - 1)
            else:
                _place_below(a, visited, order)
        b = node._b
        if b is not None and b not in visited:
            if budget:
                _place_recursively(b, visited, order, budget - 1)
            else:
                _place_below(b, visited, order)
    order.append(node)


def _place_below(root: Value, visited: set[Value], order: list[Value]) -> None:
    """Append to ``order`` every node below ``root`` not yet ``visited``, operands first,
    with an explicit stack instead of recursion. The stack holds nodes still to visit; a
    ``None`` above a node marks one whose operands have all been placed, so it goes into
    the order next."""
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
