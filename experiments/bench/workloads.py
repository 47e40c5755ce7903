"""The benchmark workloads, written once for any engine with micrograd's operator surface.

This module imports nothing but the standard library, so that the reference micrograd's
worker (another virtual environment, another process) runs the very same code. Every
function takes its engine's pieces as arguments: ``make`` turns a float into a leaf,
``model`` maps a list of leaves to an output, ``zero_grad`` clears the parameters'
gradients. Parameters are anything with ``.data``, ``.grad`` and ``.backward()`` on results.

>>> pairwise_sum([1.0, 2.0, 3.0, 4.0, 5.0])  # ((1 + 2) + (3 + 4)) + 5
15.0
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

MOONS_SIZES = (2, 16, 16, 1)  # MLP(2, [16, 16, 1]): relu hidden layers, linear output
MOONS_POINTS = 100
MOONS_LR = 0.05
MOONS_ALPHA = 1e-4  # L2 weight of the reference micrograd's demo
REFERENCE_SIZES = (3, 4, 4, 1)  # the classic lecture's tanh MLP
REFERENCE_XS = ((2.0, 3.0, -1.0), (3.0, -1.0, 0.5), (0.5, 1.0, 1.0), (1.0, 1.0, -1.0))
REFERENCE_YS = (1.0, -1.0, -1.0, 1.0)
REFERENCE_STEPS = 50
REFERENCE_LR = 0.05
CHAIN_SHALLOW = 400  # 800 levels: within the reference micrograd's recursion limit
CHAIN_DEEP = 50_000  # 100,000 levels
WIDE_TERMS = 100_000

Engine = Any


def moons_loss(model: Callable, params: Sequence, xs, ys, make: Callable) -> Engine:
    """The reference micrograd demo's loss: mean hinge ``relu(1 - y * score)`` plus
    ``alpha * sum(p * p)``, written as the demo writes it."""
    inputs = [[make(v) for v in row] for row in xs]
    scores = [model(x) for x in inputs]
    losses = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = MOONS_ALPHA * sum(p * p for p in params)
    return data_loss + reg_loss


def sgd_step(loss: Engine, params: Sequence, zero_grad: Callable, lr: float) -> None:
    """zero_grad, backward, ``p.data -= lr * p.grad``."""
    zero_grad(params)
    loss.backward()
    for p in params:
        p.data -= lr * p.grad


def moons_step(model: Callable, params: Sequence, xs, ys, make, zero_grad) -> dict:
    """One training step on the moons; the loss and the updated parameters."""
    loss = moons_loss(model, params, xs, ys, make)
    sgd_step(loss, params, zero_grad, MOONS_LR)
    return {"loss": float(loss.data), "params": [float(p.data) for p in params]}


def replayed_step(tape: Any, params: Sequence, sgd: Callable[[Sequence, float], None]) -> dict:
    """One moons step by a compiled replay, as ``train(..., compiled=True)`` takes it: the
    tape's forward and backward from the parameters' values, then ``sgd(params, lr)``."""
    loss = tape.forward([p.data for p in params])
    for p, g in zip(params, tape.backward()):
        p.grad = g
    sgd(params, MOONS_LR)
    return {"loss": loss, "params": [p.data for p in params]}


def reference_run(model: Callable, params: Sequence, make, zero_grad) -> dict:
    """The classic lecture's 50 steps of sum-of-squares SGD on four points."""
    losses = []
    for _ in range(REFERENCE_STEPS):
        predictions = [model([make(v) for v in x]) for x in REFERENCE_XS]
        loss = sum((p - y) ** 2 for p, y in zip(predictions, REFERENCE_YS))
        losses.append(float(loss.data))
        sgd_step(loss, params, zero_grad, REFERENCE_LR)
    return {"losses": losses, "params": [float(p.data) for p in params]}


def chain(x: Engine, length: int) -> Engine:
    """``length`` rounds of ``x * 0.999 + 0.001``: a graph ``2 * length`` levels deep."""
    for _ in range(length):
        x = x * 0.999 + 0.001
    return x


def chain_backward(make, length: int) -> dict:
    """Build the chain from a fresh leaf and backpropagate through it."""
    x = make(0.5)
    out = chain(x, length)
    out.backward()
    return {"value": float(out.data), "grad": float(x.grad)}


def pairwise_sum(terms: list) -> Engine:
    """Add neighbours until one term is left: a wide graph only log2(n) levels deep."""
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = paired + terms[-1:] if len(terms) % 2 else paired
    return terms[0]


def wide_numbers(n: int = WIDE_TERMS, seed: int = 0) -> tuple[list[float], list[float]]:
    """Two lists of ``n`` uniform(-1, 1) numbers from ``random.Random(seed)``."""
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


def wide_sum(make, a_numbers: list[float], b_numbers: list[float]) -> dict:
    """``sum(a_i * b_i)`` over 100,000 pairs of leaves (pairwise), then backward."""
    a = [make(v) for v in a_numbers]
    b = [make(v) for v in b_numbers]
    total = pairwise_sum([x * y for x, y in zip(a, b)])
    total.backward()
    return {"value": float(total.data), "grads": [float(v.grad) for v in a[:5] + b[:5]]}


def mlp_forward(layers: list, x: list, hidden: str, output: str) -> Engine:
    """An MLP forward pass over ``layers`` = [[(weights, bias), ...], ...] built the way
    micrograd's ``Neuron`` builds it: ``activation(sum(w * x, start=b))``."""
    for i, layer in enumerate(layers):
        activation = output if i == len(layers) - 1 else hidden
        outs = []
        for weights, bias in layer:
            total = sum((w * v for w, v in zip(weights, x)), bias)
            outs.append(total if activation == "linear" else getattr(total, activation)())
        x = outs
    return x[0] if len(x) == 1 else x


def shape_parameters(flat: Sequence, sizes: Sequence[int]) -> list:
    """Cut a flat parameter list (per layer, per neuron: weights then bias, as micrograd's
    ``parameters()`` orders them) into ``mlp_forward``'s layers."""
    layers, i = [], 0
    for nin, nout in itertools.pairwise(sizes):
        layer = []
        for _ in range(nout):
            layer.append((list(flat[i : i + nin]), flat[i + nin]))
            i += nin + 1
        layers.append(layer)
    if i != len(flat):
        raise ValueError(f"{len(flat)} parameters do not fit sizes {tuple(sizes)}")
    return layers


def same(ours: object, theirs: object, rel: float) -> bool:
    """Equal numbers, lists or dicts of numbers, within ``rel`` relative (or absolute, near
    zero); ``rel=0`` asks for bit-identical floats.

    >>> same({"a": [1.0, 2.0]}, {"a": [1.0, 2.000000000000001]}, 1e-12)
    True
    >>> same(0.0, -0.0, 0)
    False
    """
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(same(ours[k], theirs[k], rel) for k in ours)
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(same(a, b, rel) for a, b in zip(ours, theirs))
    if rel == 0:
        return repr(float(ours)) == repr(float(theirs))
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=rel)


def graph_size(root: Engine) -> int:
    """The number of nodes below ``root``, following ``_prev`` (a tuple or a set) without
    recursion."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for operand in stack.pop()._prev:
            if id(operand) not in seen:
                seen.add(id(operand))
                stack.append(operand)
    return len(seen)
