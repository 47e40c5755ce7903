"""The benchmark workloads by hand: plain floats and hand-derived gradients, no graph.

This is the floor for pure Python written as loops: the same arithmetic the engines do,
with none of their bookkeeping (and none of the shortcuts a hand-written step could take,
such as skipping the backward pass of a point whose hinge is zero). Each function returns what its
``workloads`` counterpart returns, so the suite checks these numbers against the engine's
before it trusts either timing.

>>> result = chain_floats(2)  # two rounds of x * 0.999 + 0.001 from 0.5; d/dx = 0.999 ** 2
>>> round(result["value"], 9), round(result["grad"], 9)
(0.5009995, 0.998001)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

from experiments.bench.workloads import (
    MOONS_ALPHA,
    MOONS_LR,
    MOONS_SIZES,
    REFERENCE_LR,
    REFERENCE_SIZES,
    REFERENCE_STEPS,
    REFERENCE_XS,
    REFERENCE_YS,
    pairwise_sum,
    shape_parameters,
)

ACTIVATE = {
    "relu": lambda z: 0.0 if z < 0.0 else z,
    "tanh": math.tanh,
    "linear": lambda z: z,
}
# d activation / d z, written in terms of the activation's output.
SLOPE = {
    "relu": lambda out: 1.0 if out > 0.0 else 0.0,
    "tanh": lambda out: 1.0 - out * out,
    "linear": lambda out: 1.0,
}


def mlp_forward(layers: list, x: Sequence[float], activations: Sequence[str]) -> list[list[float]]:
    """Every layer's outputs, the input first: ``activation(sum(w * x, start=b))``."""
    outputs = [list(x)]
    for layer, activation in zip(layers, activations):
        activate, inputs = ACTIVATE[activation], outputs[-1]
        outputs.append([activate(sum(map(mul, w, inputs), b)) for w, b in layer])
    return outputs


def mlp_backward(
    layers: list, outputs: list, activations: Sequence[str], d_out: list[float], grads: list
) -> None:
    """Add d loss / d parameter into ``grads`` (shaped like ``layers``, [w list, b] per
    neuron), given ``d_out`` = d loss / d last layer's outputs."""
    d = d_out
    for k in range(len(layers) - 1, -1, -1):
        slope, inputs, outs = SLOPE[activations[k]], outputs[k], outputs[k + 1]
        d_inputs = [0.0] * len(inputs)
        for (w, _), grad, out, d_n in zip(layers[k], grads[k], outs, d):
            dz = d_n * slope(out)
            grad[1] += dz
            gw = grad[0]
            for i, x in enumerate(inputs):
                gw[i] += dz * x
                d_inputs[i] += dz * w[i]
        d = d_inputs


def _zero_grads(layers: list) -> list:
    return [[[[0.0] * len(w), 0.0] for w, _ in layer] for layer in layers]


def _updated(layers: list, grads: list, lr: float) -> list[float]:
    flat = []
    for layer, layer_grads in zip(layers, grads):
        for (w, b), (gw, gb) in zip(layer, layer_grads):
            flat.extend(wi - lr * gi for wi, gi in zip(w, gw))
            flat.append(b - lr * gb)
    return flat


def moons_step_floats(params: Sequence[float], xs: Sequence, ys: Sequence[float]) -> dict:
    """One moons step (hinge loss + L2, SGD) on a flat parameter list."""
    activations = ["relu"] * (len(MOONS_SIZES) - 2) + ["linear"]
    layers = shape_parameters(list(params), MOONS_SIZES)
    grads = _zero_grads(layers)
    scale = 1.0 / len(xs)
    data_loss = 0.0
    for x, y in zip(xs, ys):
        outputs = mlp_forward(layers, x, activations)
        margin = 1.0 + -y * outputs[-1][0]
        hinge = 0.0 if margin < 0.0 else margin
        data_loss += hinge
        d_score = scale * -y if hinge > 0.0 else 0.0
        mlp_backward(layers, outputs, activations, [d_score], grads)
    reg = sum(p * p for p in params)
    loss = data_loss * scale + MOONS_ALPHA * reg
    for layer, layer_grads in zip(layers, grads):  # d(alpha * p * p)/dp = 2 * alpha * p
        for (w, b), grad in zip(layer, layer_grads):
            for i, wi in enumerate(w):
                grad[0][i] += 2.0 * MOONS_ALPHA * wi
            grad[1] += 2.0 * MOONS_ALPHA * b
    return {"loss": loss, "params": _updated(layers, grads, MOONS_LR)}


def reference_run_floats(params: Sequence[float]) -> dict:
    """The lecture's 50 steps of sum-of-squares SGD with a tanh MLP, on a flat list."""
    activations = ["tanh"] * (len(REFERENCE_SIZES) - 1)
    flat = list(params)
    losses = []
    for _ in range(REFERENCE_STEPS):
        layers = shape_parameters(flat, REFERENCE_SIZES)
        grads = _zero_grads(layers)
        loss = 0.0
        for x, y in zip(REFERENCE_XS, REFERENCE_YS):
            outputs = mlp_forward(layers, x, activations)
            error = outputs[-1][0] - y
            loss += error * error
            mlp_backward(layers, outputs, activations, [2.0 * error], grads)
        losses.append(loss)
        flat = _updated(layers, grads, REFERENCE_LR)
    return {"losses": losses, "params": flat}


def chain_floats(length: int) -> dict:
    """``length`` rounds of ``x * 0.999 + 0.001`` from x = 0.5, and d out / d x."""
    x, grad = 0.5, 1.0
    for _ in range(length):
        x = x * 0.999 + 0.001
        grad *= 0.999
    return {"value": x, "grad": grad}


def wide_floats(a: list[float], b: list[float]) -> dict:
    """``sum(a_i * b_i)`` (pairwise, as the engines add it) and its gradients."""
    total = pairwise_sum(list(map(mul, a, b)))
    return {"value": total, "grads": b[:5] + a[:5]}
