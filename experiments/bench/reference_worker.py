"""Runs the workloads on the reference micrograd 0.1.0, in its own virtual environment.

Its package is also called ``micrograd``, so it runs in a separate process started with
``python -P`` (the script's folder is not put on ``sys.path``, and our package stays out
of sight). It reads one JSON request per line on stdin and answers one JSON line on stdout:
``{"seconds": ..., "result": ...}`` or ``{"error": "RecursionError: ..."}``.

micrograd 0.1.0 has no ``tanh``; the lecture's reference run needs one, so this worker
adds it the way the package writes every other operation: a node with a backward closure.
"""

from __future__ import annotations

import gc
import json
import math
import sys
import time
import tracemalloc
from pathlib import Path

from micrograd.engine import Value  # the reference package, from its own environment
from micrograd.nn import MLP

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads  # stdlib only, shared with our side of the suite


def _tanh(self: Value) -> Value:
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


def _zero_grad(params) -> None:
    for p in params:
        p.grad = 0


def _moons_model(params: list[float]) -> tuple[MLP, list[Value]]:
    model = MLP(workloads.MOONS_SIZES[0], list(workloads.MOONS_SIZES[1:]))
    for p, v in zip(model.parameters(), params):
        p.data = v
    return model, model.parameters()


def _reference_model(params: list[float]):
    leaves = [Value(v) for v in params]
    layers = workloads.shape_parameters(leaves, workloads.REFERENCE_SIZES)
    return (lambda x: workloads.mlp_forward(layers, x, "tanh", "tanh")), leaves


def run(request: dict) -> dict:
    task = request["task"]
    if task == "moons":
        model, params = _moons_model(request["params"])
        work = lambda: workloads.moons_step(  # noqa: E731
            model, params, request["xs"], request["ys"], Value, _zero_grad
        )
    elif task == "reference_run":
        model, params = _reference_model(request["params"])
        work = lambda: workloads.reference_run(model, params, Value, _zero_grad)  # noqa: E731
    elif task == "chain":
        work = lambda: [  # noqa: E731
            workloads.chain_backward(Value, request["length"]) for _ in range(request["repeat"])
        ][-1]
    elif task == "wide":
        a, b = workloads.wide_numbers()
        work = lambda: workloads.wide_sum(Value, a, b)  # noqa: E731
    elif task == "memory":
        return {"result": memory(request)}
    else:
        raise ValueError(f"unknown task {task!r}")
    collector = request.get("collector", True)
    gc.collect()
    if not collector:
        gc.disable()
    start = time.perf_counter()
    try:
        result = work()
    finally:
        seconds = time.perf_counter() - start
        gc.enable()
    return {"seconds": seconds, "result": result}


def memory(request: dict) -> dict:
    """Bytes per node of the moons loss graph, traced by tracemalloc."""
    model, params = _moons_model(request["params"])
    gc.collect()
    tracemalloc.start()
    loss = workloads.moons_loss(model, params, request["xs"], request["ys"], Value)
    built = tracemalloc.get_traced_memory()[0]
    loss.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = workloads.graph_size(loss)
    return {"nodes": nodes, "bytes_per_node": built / nodes, "after_backward": after / nodes}


def main() -> None:
    # Only here, in the reference's own process: imported anywhere else (a doctest run, say),
    # this module must not patch whatever Value it finds.
    Value.tanh = _tanh
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = run(request)
        except RecursionError as error:
            answer = {"error": f"RecursionError: {error}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
