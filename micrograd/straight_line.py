"""A traced graph written out as one straight-line Python function, for the tape.

``replay_source(layout)`` writes the graph laid out by ``micrograd.layout.lay_out`` as the
source of a generator function ``replay(leaf_values, frozen)``: a statement per node computes
its value from its operands' variables, ``yield`` hands back the root's value, then a
statement per node adds up its gradient from its consumers' contributions (each the
operation table's rule, written out with the variables' names), and a last ``yield`` hands
back the leaves' gradients. Between the two yields the generator's frame keeps every value,
so backward reads them without a list or an index. Run as plain bytecode over local
variables, a node costs about what the same arithmetic written by hand as loops over floats
costs: less on an MLP's loss, where a whole neuron becomes one expression, more on a chain,
where every constant is one more variable to unpack.

Every node is computed by the same operation on the same numbers as in the eager engine,
and every gradient adds the same contributions in the same order (a sum of terms ``t1 + t2
+ t3`` is Python's ``(t1 + t2) + t3``), so the results are bit for bit eager's (up to what
``micrograd.tape`` describes: a NaN's sign and payload, and inner gradients that start
from their first contribution, not from 0.0 plus it). Three things keep the code short
without changing the numbers:

- a node used once, whose value no derivative rule reads, is written inside the expression
  that uses it instead of getting a variable (a neuron's ``b + w0*x0 + w1*x1`` becomes one
  expression), up to ``MAX_NESTING`` levels;
- a gradient that is just another node's gradient (an operand of ``+``) is that node's
  variable rather than a copy;
- nothing is written for gradients that reach none of the given leaves (inputs, constants).

>>> from micrograd import Value
>>> from micrograd.layout import lay_out
>>> x, w, b = Value(3.0), Value(2.0), Value(1.0)
>>> print(replay_source(lay_out((w * x + b).tanh(), [w, b])), end="")
def replay(leaf_values, frozen):
    v0, v1, = leaf_values[0:2]
    v2, = frozen[0:1]
    v5 = _forward_tanh(((v0 * v2) + v1))
    yield v5
    g5 = 1.0
    g4 = (g5 * (1.0 - v5 * v5))
    g1 = 0.0 + g4
    g0 = 0.0 + (g4 * v2)
    yield [g0, g1]
"""

from __future__ import annotations

import ast
import functools
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import CodeType

from micrograd.engine import Value
from micrograd.layout import Layout
from micrograd.ops import OPS, RULE_ARGUMENTS, RULE_FUNCTIONS, rule_reads

__all__ = [
    "CACHED_SOURCE_LIMIT",
    "MAX_NESTING",
    "TERMS_PER_STATEMENT",
    "compile_replay",
    "forget_compiled",
    "replay_source",
]

MAX_NESTING = 30
"""The most operations written inside one another in one expression; a node deeper than that
gets a variable (Python's parser refuses more than 200 levels of parentheses)."""

TERMS_PER_STATEMENT = 64
"""A gradient with more contributions than this adds them up over several statements,
``g = t1 + ... + t64`` then ``g = g + t65 + ...``: the same additions in the same order."""

# Variables unpacked per statement from a slice of the arguments: unpacking them all at once
# would make the frame's stack as deep as there are leaves.
LEAVES_PER_STATEMENT = 200

# The operator functions of the table's forward column, as Python writes them: on floats,
# ``a + b`` is ``operator.add(a, b)`` without the call.
_SYNTAX = {
    operator.add: "{0} + {1}",
    operator.sub: "{0} - {1}",
    operator.mul: "{0} * {1}",
    operator.neg: "-{0}",
}


def _forward_template(name: str) -> str:
    """How a node of operation ``name`` computes its value, with ``{0}`` and ``{1}`` for the
    operands: ``{0} * {1}`` for mul, ``_forward_tanh({0})`` for tanh."""
    op = OPS[name]
    if op.forward in _SYNTAX:
        return _SYNTAX[op.forward]
    return f"_forward_{name}({', '.join(f'{{{i}}}' for i in range(op.arity))})"


def _rule_template(rule: str) -> str:
    """A rule of the table with ``{0}`` .. ``{3}`` for ``g``, ``out``, ``a``, ``b``, in
    parentheses unless it is one name or call: ``g * b`` becomes ``({0} * {3})``."""
    tree = ast.parse(rule, mode="eval").body
    placeholders = {name: f"_placeholder_{i}_" for i, name in enumerate(RULE_ARGUMENTS)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in placeholders:
            node.id = placeholders[node.id]
    text = ast.unparse(tree).replace("{", "{{").replace("}", "}}")
    for i, placeholder in enumerate(placeholders.values()):
        text = text.replace(placeholder, f"{{{i}}}")
    return text if isinstance(tree, (ast.Name, ast.Call)) else f"({text})"


_FORWARD_TEMPLATES = {name: _forward_template(name) for name in OPS}
_RULE_TEMPLATES = {
    name: tuple(_rule_template(rule).format for rule in op.rules) for name, op in OPS.items()
}
_NAMESPACE = {**RULE_FUNCTIONS, **{f"_forward_{name}": op.forward for name, op in OPS.items()}}


def _reads_when(name: str) -> dict[tuple[bool, bool], tuple[bool, bool, bool]]:
    """For operation ``name``, by which operands need a gradient: whether the rules that
    then run read ``out``, ``a`` and ``b``."""
    reads = [set(rule_reads(rule)) for rule in OPS[name].rules] + [set()]  # b's, if no b
    table = {}
    for needs in ((False, False), (True, False), (False, True), (True, True)):
        names = set().union(*(r for r, needed in zip(reads, needs) if needed))
        table[needs] = ("out" in names, "a" in names, "b" in names)
    return table


_READS_WHEN = {name: _reads_when(name) for name in OPS}


def replay_source(layout: Layout) -> str:
    """The source of ``replay(leaf_values, frozen)`` for ``layout``'s graph: it yields the
    root's value, then the gradient of each of ``layout.leaves``. Variables are named
    after slots: ``v7`` holds the value of the node in slot 7, ``g7`` its gradient, where
    they have a variable of their own (not inlined, not another node's gradient)."""
    needed = _needed(layout)
    lines = ["def replay(leaf_values, frozen):"]
    lines += _unpack("leaf_values", range(len(layout.leaves)))
    lines += _unpack("frozen", [layout.slot[node] for node in layout.frozen])
    value = _forward(layout, _kept(layout.order, needed), lines)
    lines.append(f"    yield {value[layout.root]}")
    gradient = _backward(layout, needed, value, lines)
    grads = [gradient.get(leaf, "0.0") for leaf in layout.leaves]
    lines.append(f"    yield [{', '.join(grads)}]")
    return "\n".join(lines) + "\n"


def _needed(layout: Layout) -> dict[Value, bool]:
    """Whether each node's gradient reaches a given leaf: only those are computed."""
    given = set(layout.leaves)
    needed: dict[Value, bool] = {}
    for node in layout.order:
        a, b = node._a, node._b
        needed[node] = node in given or (
            a is not None and (needed[a] or (b is not None and needed[b]))
        )
    return needed


def _kept(order: list[Value], needed: dict[Value, bool]) -> set[Value]:
    """The nodes whose values a rule that runs reads: they keep a variable."""
    kept: set[Value] = set()
    for node in order:
        a, b = node._a, node._b
        if a is None or not needed[node]:
            continue
        out, reads_a, reads_b = _READS_WHEN[node._op][needed[a], b is not None and needed[b]]
        if out:
            kept.add(node)
        if reads_a:
            kept.add(a)
        if reads_b:
            kept.add(b)
    return kept


def _forward(layout: Layout, kept: set[Value], lines: list[str]) -> dict[Value, str]:
    """Append the statements that compute the graph's values; return how an expression
    refers to each node's value: its variable, or its own expression written inline."""
    slot, root = layout.slot, layout.root
    uses = _uses(layout.order)
    value: dict[Value, str] = {}
    nesting: dict[Value, int] = {}
    for node in layout.order:
        a, b = node._a, node._b
        if a is None:
            value[node], nesting[node] = f"v{slot[node]}", 0
            continue
        if b is None:
            expression = _FORWARD_TEMPLATES[node._op].format(value[a])
            depth = nesting[a] + 1
        else:
            expression = _FORWARD_TEMPLATES[node._op].format(value[a], value[b])
            depth = max(nesting[a], nesting[b]) + 1
        inline = depth <= MAX_NESTING and uses[node] == 1 and node not in kept and node is not root
        if inline:
            value[node], nesting[node] = f"({expression})", depth
        else:
            name = f"v{slot[node]}"
            lines.append(f"    {name} = {expression}")
            value[node], nesting[node] = name, 0
    return value


def _backward(
    layout: Layout, needed: dict[Value, bool], value: dict[Value, str], lines: list[str]
) -> dict[Value, str]:
    """Append the statements that add up the needed gradients, every node's contributions
    in eager order; return how an expression refers to each needed node's gradient.

    Eager backward runs the nodes' rules from the root down, each adding to its first
    operand, then to its second; so a node's contributions, gathered in that same walk,
    are all in, in eager's order, by the time the walk reaches the node."""
    slot, root = layout.slot, layout.root
    gradient: dict[Value, str] = {}
    contributions: defaultdict[Value, list[str]] = defaultdict(list)
    for node in reversed(layout.order):
        if not needed[node]:
            continue
        if node is root:
            gradient[node] = f"g{slot[node]}"
            lines.append(f"    {gradient[node]} = 1.0")
        else:
            gradient[node] = _sum_of(node, contributions.pop(node), f"g{slot[node]}", lines)
        a, b = node._a, node._b
        if a is None:
            continue
        rules = _RULE_TEMPLATES[node._op]
        arguments = (gradient[node], value[node], value[a], "" if b is None else value[b])
        for operand, rule in zip((a, b), rules):
            if needed[operand]:
                contributions[operand].append(rule(*arguments))
    return gradient


def _sum_of(node: Value, terms: list[str], name: str, lines: list[str]) -> str:
    """How an expression refers to ``node``'s gradient, the sum of ``terms``: the one term
    itself if it is a variable (an operand of +: its consumer's gradient, as it is), else
    ``name``, after appending the statements that add the terms up into it."""
    if node._a is not None and len(terms) == 1 and terms[0].isidentifier():
        return terms[0]
    # A leaf's gradient starts from 0.0, as eager's `leaf.grad += ...` does.
    start = "0.0 + " if node._a is None else ""
    for i in range(0, len(terms), TERMS_PER_STATEMENT):
        chunk = " + ".join(terms[i : i + TERMS_PER_STATEMENT])
        lines.append(f"    {name} = {start if i == 0 else name + ' + '}{chunk}")
    return name


_first_operand = operator.attrgetter("_a")
_second_operand = operator.attrgetter("_b")


def _uses(order: list[Value]) -> Counter[Value | None]:
    """How many times each node of ``order`` is an operand (twice in ``x * x``); the count
    of ``None`` means nothing."""
    uses = Counter(map(_first_operand, order))
    uses.update(map(_second_operand, order))
    return uses


def _unpack(source: str, slots: Iterable[int]) -> list[str]:
    """Statements that unpack the list ``source`` into the variables of ``slots``."""
    slots = list(slots)
    lines = []
    for i in range(0, len(slots), LEAVES_PER_STATEMENT):
        chunk = slots[i : i + LEAVES_PER_STATEMENT]
        names = "".join(f"v{s}, " for s in chunk)
        lines.append(f"    {names}= {source}[{i}:{i + len(chunk)}]")
    return lines


# replay(leaf_values, frozen) yields the root's value, then the leaves' gradients.
ReplayFunction = Callable[[list[float], list[float]], Iterator[float | list[float]]]

CACHED_SOURCE_LIMIT = 4_000_000
"""Compiled functions whose source is at most this many characters (the moons graph's is
2 MB; about 30 characters a node for an MLP's loss, fewer for a chain) are kept for the next
graph of the same shape; larger ones, whose code takes tens of megabytes, are not."""


def compile_replay(source: str) -> ReplayFunction:
    """The function ``replay_source`` wrote, compiled, or the one compiled before from the
    same source (the same model traced again, say for another seed): compiling is about
    two thirds of the 12 to 25 microseconds a node that ``compile_graph`` takes. The four most
    recently used functions whose source is at most ``CACHED_SOURCE_LIMIT`` are kept: up
    to about 100 MB of code, until ``forget_compiled()``.

    >>> from micrograd import Value
    >>> from micrograd.layout import lay_out
    >>> w = Value(3.0)
    >>> replay = compile_replay(replay_source(lay_out(w * w, [w])))
    >>> run = replay([0.5], [])
    >>> next(run), next(run)                  # the value, then the gradients
    (0.25, [1.0])
    """
    if len(source) <= CACHED_SOURCE_LIMIT:
        return _compile_cached(source)
    return _compile(source)


def forget_compiled() -> None:
    """Drop every compiled function kept for reuse (the bench does, to time compiling)."""
    _compile_cached.cache_clear()


def _compile(source: str) -> ReplayFunction:
    namespace = dict(_NAMESPACE)
    # Not registered with linecache, as the engine's generated code is: a big graph's source
    # runs to megabytes, and nothing in it raises on floats.
    try:
        code = _code(source)
    except RecursionError:
        # Python (up to 3.11) compiles nested expressions recursively, on the caller's
        # recursion budget: called from deep recursion, compile on a fresh thread's.
        with ThreadPoolExecutor(max_workers=1) as pool:
            code = pool.submit(_code, source).result()
    exec(code, namespace)
    return namespace["replay"]


def _code(source: str) -> CodeType:
    return compile(source, "<replay of a traced graph>", "exec")


_compile_cached = functools.lru_cache(maxsize=4)(_compile)
