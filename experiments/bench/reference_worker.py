"""Runs the workloads on an engine in a process of its own: the reference micrograd 0.1.0 in
its own virtual environment (flavour ``pypi``), or this project's engine from the folder put
first on ``PYTHONPATH`` (flavour ``project``): the current one, or one extracted from an earlier
commit.

Both packages are also called ``micrograd``, so the worker is started with ``python -P`` (the
script's folder is not put on ``sys.path``, and the current package stays out of sight) and
its flavour as the one argument. It reads one JSON request per line on stdin and answers one
JSON line on stdout: ``{"seconds": ..., "result": ...}`` or ``{"error": "RecursionError: ..."}``.
The request ``{"task": "engine"}`` answers with the folder its ``micrograd`` was imported from.

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
from collections.abc import Callable
from pathlib import Path

import micrograd  # from the reference's environment, or the folder first on PYTHONPATH
from micrograd.engine import Value
from micrograd.nn import MLP

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workloads  # stdlib only, shared with our side of the suite

FLAVOURS = ("pypi", "project")
flavour = "pypi"  # set once by main()


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


def moons_model(params: list[float]) -> tuple[MLP, list[Value], Callable]:
    """The moons MLP with the given parameters, and how to clear its gradients: micrograd
    0.1.0's own MLP (relu hidden layers, linear output), or the project's, built as the
    suite builds it."""
    nin, nouts = workloads.MOONS_SIZES[0], list(workloads.MOONS_SIZES[1:])
    if flavour == "pypi":
        model, zero_grad = MLP(nin, nouts), _zero_grad
    else:
        model = MLP(nin, nouts, activation="relu", output_activation="linear", seed=0)
        zero_grad = lambda _: model.zero_grad()  # noqa: E731
    for p, v in zip(model.parameters(), params):
        p.data = v
    return model, model.parameters(), zero_grad


def _reference_model(params: list[float]):
    leaves = [Value(v) for v in params]
    layers = workloads.shape_parameters(leaves, workloads.REFERENCE_SIZES)
    return (lambda x: workloads.mlp_forward(layers, x, "tanh", "tanh")), leaves


def _moons_replayed(request: dict) -> Callable[[], dict]:
    """The project's compiled replay of the moons step (the tape is traced here, untimed)."""
    from micrograd.tape import compile_graph
    from micrograd.train import sgd_step

    model, params, _ = moons_model(request["params"])
    loss = workloads.moons_loss(model, params, request["xs"], request["ys"], Value)
    tape = compile_graph(loss, params, "python")
    return lambda: workloads.replayed_step(tape, params, sgd_step)


def run(request: dict) -> dict:
    task = request["task"]
    if task == "moons":
        model, params, zero_grad = moons_model(request["params"])
        work = lambda: workloads.moons_step(  # noqa: E731
            model, params, request["xs"], request["ys"], Value, zero_grad
        )
    elif task == "moons_replayed" and flavour == "project":
        work = _moons_replayed(request)
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
    elif task == "engine":
        return {"result": {"package": str(Path(micrograd.__file__).resolve().parent)}}
    else:
        raise ValueError(f"unknown task {task!r} for the {flavour} engine")
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
    model, params, _ = moons_model(request["params"])
    gc.collect()
    tracemalloc.start()
    loss = workloads.moons_loss(model, params, request["xs"], request["ys"], Value)
    built = tracemalloc.get_traced_memory()[0]
    loss.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = workloads.graph_size(loss)
    return {"nodes": nodes, "bytes_per_node": built / nodes, "after_backward": after / nodes}


def main(argv: list[str]) -> None:
    global flavour
    if len(argv) != 1 or argv[0] not in FLAVOURS:
        sys.exit(f"usage: reference_worker.py {{{','.join(FLAVOURS)}}}")
    flavour = argv[0]
    if flavour == "pypi":
        # Only here, in the reference's own process: imported anywhere else (a doctest run,
        # say), this module must not patch whatever Value it finds.
        Value.tanh = _tanh
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = run(request)
        except RecursionError as error:
            answer = {"error": f"RecursionError: {error}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
