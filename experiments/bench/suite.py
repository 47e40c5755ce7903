"""The speed and memory benchmark: our engine, eager and compiled, against the reference
micrograd 0.1.0, torch on scalar tensors and plain floats, on the same work.

Methods. Each workload runs in rounds; a round runs every variant once, one after the
other (A B C A B C ...), so that a slow moment of the machine hits all variants of a round
alike. A variant's time is the median over rounds; its ratio to the reference micrograd is
the median of the same-round ratios. Before any time is trusted, every variant's numbers
are checked against the eager engine's (bit for bit for the compiled replay). The
reference micrograd runs in a separate process from its own virtual environment (its
package name is also ``micrograd``); torch is used where installed.

Run it with ``python -m experiments.bench`` (``make bench``); it prints a table and writes
``results/bench/bench.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from experiments.bench import floats, workloads
from micrograd import MLP, Value, topological_order
from micrograd.demo import demo_loss, demo_model
from micrograd.straight_line import forget_compiled
from micrograd.tape import compile_graph
from micrograd.train import sgd_step, train
from toolkit.datasets import moons

# The short workloads get more rounds: times on a shared machine swing by half from one
# moment to the next, and a round of the reference run costs well under a second.
ROUNDS = {"moons": 11, "reference_run": 25, "chain": 9, "deep_chain": 3, "wide": 3}
CHAIN_REPEAT = 20  # shallow chains per timed call, to rise above the timer's noise
REFERENCE_PYTHON = Path(os.environ.get("MICROGRAD_REFERENCE_PYTHON", ".venv-reference/bin/python"))
OUTPUT = Path("results/bench/bench.json")

Run = Callable[[], tuple[float, object]]  # one timed run: (seconds, result)


@dataclass
class Variant:
    name: str
    run: Run
    tolerance: float  # relative, against the eager engine's result; 0 = bit-identical


@dataclass
class Outcome:
    seconds: list[float] = field(default_factory=list)
    error: str | None = None
    checked: str = "not run"


def timed(work: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


class ReferenceWorker:
    """The reference micrograd in its own process, one JSON request and answer per line."""

    def __init__(self, python: Path) -> None:
        worker = Path(__file__).resolve().parent / "reference_worker.py"
        self.process = subprocess.Popen(
            [str(python.absolute()), "-P", str(worker)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd="/",
        )

    def ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the reference worker stopped")
        return json.loads(line)

    def variant(self, name: str, request: dict, tolerance: float) -> Variant:
        def run() -> tuple[float, object]:
            answer = self.ask(request)
            if "error" in answer:
                raise RuntimeError(answer["error"])
            return answer["seconds"], answer["result"]

        return Variant(name, run, tolerance)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


NUMPY_TOLERANCE = 1e-12  # what the NumPy tape promises against eager, relative


def compiled_variants(replayed: Callable[[str], Run]) -> list[Variant]:
    """The compiled replay on each backend: ``replayed(backend)`` traces the workload's
    graph and returns its timed run. The pure-Python tape must be bit-identical to eager."""
    return [
        Variant("compiled", replayed("python"), 0.0),
        Variant("compiled, numpy", replayed("numpy"), NUMPY_TOLERANCE),
    ]


def _moons_setup() -> tuple[list, list, MLP]:
    xs, ys = moons(workloads.MOONS_POINTS, seed=0)
    sizes = workloads.MOONS_SIZES
    model = MLP(sizes[0], list(sizes[1:]), activation="relu", output_activation="linear", seed=0)
    return xs, ys, model


def moons_variants(reference: ReferenceWorker | None, torch) -> list[Variant]:
    xs, ys, model = _moons_setup()
    params = model.parameters()
    initial = [p.data for p in params]

    def reset() -> None:
        for p, v in zip(params, initial):
            p.data = v

    def eager() -> tuple[float, object]:
        reset()
        zero = lambda _: model.zero_grad()  # noqa: E731
        return timed(lambda: workloads.moons_step(model, params, xs, ys, Value, zero))

    def replayed(backend: str) -> Run:
        tape = compile_graph(workloads.moons_loss(model, params, xs, ys, Value), params, backend)

        def run() -> tuple[float, object]:
            reset()

            def step() -> dict:  # what train(..., compiled=True) does at each step
                loss = tape.forward([p.data for p in params])
                for p, g in zip(params, tape.backward()):
                    p.grad = g
                sgd_step(params, workloads.MOONS_LR)
                return {"loss": loss, "params": [p.data for p in params]}

            return timed(step)

        return run

    variants = [Variant("eager", eager, 0.0), *compiled_variants(replayed)]
    variants.append(
        Variant("floats", lambda: timed(lambda: floats.moons_step_floats(initial, xs, ys)), 1e-12)
    )
    if reference:
        request = {"task": "moons", "params": initial, "xs": xs, "ys": ys}
        variants.append(reference.variant("reference", request, 1e-12))
        off = {**request, "collector": False}
        variants.append(reference.variant("reference, collector off", off, 1e-12))
    if torch:

        def torch_step() -> tuple[float, object]:
            leaves = [torch.tensor(v, requires_grad=True) for v in initial]
            layers = workloads.shape_parameters(leaves, workloads.MOONS_SIZES)
            net = lambda x: workloads.mlp_forward(layers, x, "relu", "linear")  # noqa: E731
            make = lambda v: torch.tensor(v)  # noqa: E731
            return timed(lambda: workloads.moons_step(net, leaves, xs, ys, make, _torch_zero))

        variants.append(Variant("torch", torch_step, 1e-12))
    return variants


def _torch_zero(params) -> None:
    for p in params:
        p.grad = None


def reference_run_variants(reference: ReferenceWorker | None, torch) -> list[Variant]:
    initial = [p.data for p in demo_model(0).parameters()]

    def ours(compiled: bool, backend: str = "python") -> Run:
        def run() -> tuple[float, object]:
            model = demo_model(0)
            forget_compiled()  # time the whole of train(), compiling the tape included
            seconds, losses = timed(
                lambda: train(
                    model,
                    lambda: demo_loss(model),
                    steps=workloads.REFERENCE_STEPS,
                    lr=workloads.REFERENCE_LR,
                    compiled=compiled,
                    backend=backend,
                )
            )
            return seconds, {"losses": losses, "params": [p.data for p in model.parameters()]}

        return run

    variants = [Variant("eager", ours(False), 0.0), *compiled_variants(lambda b: ours(True, b))]
    variants.append(
        Variant("floats", lambda: timed(lambda: floats.reference_run_floats(initial)), 1e-9)
    )
    if reference:
        variants.append(
            reference.variant("reference", {"task": "reference_run", "params": initial}, 1e-12)
        )
    if torch:

        def torch_run() -> tuple[float, object]:
            leaves = [torch.tensor(v, requires_grad=True) for v in initial]
            layers = workloads.shape_parameters(leaves, workloads.REFERENCE_SIZES)
            net = lambda x: workloads.mlp_forward(layers, x, "tanh", "tanh")  # noqa: E731
            return timed(lambda: workloads.reference_run(net, leaves, torch.tensor, _torch_zero))

        variants.append(Variant("torch", torch_run, 1e-12))
    return variants


def chain_variants(reference, torch, length: int, repeat: int) -> list[Variant]:
    def eager() -> tuple[float, object]:
        return timed(lambda: [workloads.chain_backward(Value, length) for _ in range(repeat)][-1])

    def replayed(backend: str) -> Run:
        x = Value(0.5)
        tape = compile_graph(workloads.chain(x, length), [x], backend)

        def work() -> dict:
            for _ in range(repeat):
                value = tape.forward([0.5])
                (grad,) = tape.backward()
            return {"value": value, "grad": grad}

        return lambda: timed(work)

    variants = [Variant("eager", eager, 0.0), *compiled_variants(replayed)]
    variants.append(
        Variant(
            "floats",
            lambda: timed(lambda: [floats.chain_floats(length) for _ in range(repeat)][-1]),
            1e-12,
        )
    )
    if reference:
        request = {"task": "chain", "length": length, "repeat": repeat}
        variants.append(reference.variant("reference", request, 1e-12))
    if torch:
        make = lambda v: torch.tensor(v, requires_grad=True)  # noqa: E731
        work = lambda: [workloads.chain_backward(make, length) for _ in range(repeat)][-1]  # noqa: E731
        variants.append(Variant("torch", lambda: timed(work), 1e-12))
    return variants


def wide_variants(reference, torch) -> list[Variant]:
    a, b = workloads.wide_numbers()
    n = len(a)

    def replayed(backend: str) -> Run:
        leaves = [Value(v) for v in a + b]
        products = [x * y for x, y in zip(leaves[:n], leaves[n:])]
        tape = compile_graph(workloads.pairwise_sum(products), leaves, backend)

        def work() -> dict:
            value = tape.forward(a + b)
            grads = tape.backward()
            return {"value": value, "grads": grads[:5] + grads[n : n + 5]}

        return lambda: timed(work)

    variants = [
        Variant("eager", lambda: timed(lambda: workloads.wide_sum(Value, a, b)), 0.0),
        *compiled_variants(replayed),
        Variant("floats", lambda: timed(lambda: floats.wide_floats(a, b)), 0.0),
    ]
    if reference:
        variants.append(reference.variant("reference", {"task": "wide"}, 1e-12))
    if torch:
        make = lambda v: torch.tensor(v, requires_grad=True)  # noqa: E731
        variants.append(
            Variant("torch", lambda: timed(lambda: workloads.wide_sum(make, a, b)), 1e-12)
        )
    return variants


def measure(variants: list[Variant], rounds: int) -> dict[str, Outcome]:
    """Run every variant once per round, in turn; check each result against eager's."""
    outcomes = {v.name: Outcome() for v in variants}
    expected = None
    for _ in range(rounds):
        for variant in variants:
            outcome = outcomes[variant.name]
            if outcome.error:
                continue
            gc.collect()
            try:
                seconds, result = variant.run()
            except (RuntimeError, RecursionError) as error:
                outcome.error = str(error).splitlines()[0][:80]
                continue
            if expected is None:
                expected = result  # eager runs first: its numbers are the yardstick
            ok = workloads.same(result, expected, variant.tolerance)
            if outcome.checked != "MISMATCH":
                outcome.checked = (
                    ("bit-identical" if variant.tolerance == 0 else f"within {variant.tolerance:g}")
                    if ok
                    else "MISMATCH"
                )
            outcome.seconds.append(seconds)
    return outcomes


def same_round_ratio(outcomes: dict[str, Outcome], name: str, base: str) -> float | None:
    ours, theirs = outcomes.get(name), outcomes.get(base)
    if not ours or not theirs or not ours.seconds or len(ours.seconds) != len(theirs.seconds):
        return None
    return statistics.median(a / b for a, b in zip(ours.seconds, theirs.seconds))


def memory(reference: ReferenceWorker | None) -> dict:
    """Bytes per node of the moons loss graph as built, and after backward."""
    xs, ys, model = _moons_setup()
    params = model.parameters()
    gc.collect()
    tracemalloc.start()
    loss = workloads.moons_loss(model, params, xs, ys, Value)
    built = tracemalloc.get_traced_memory()[0]
    loss.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = len(topological_order(loss))
    report = {
        "eager": {"nodes": nodes, "bytes_per_node": built / nodes, "after_backward": after / nodes}
    }
    if reference:
        request = {"task": "memory", "params": [p.data for p in params], "xs": xs, "ys": ys}
        report["reference"] = reference.ask(request)["result"]
    return report


def machine() -> dict:
    model = ""
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="rounds for every workload")
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the JSON (default {OUTPUT}, or beside it "
        "named after the workloads of --only, so a partial run keeps the full report)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(ROUNDS),
        help="run only this workload (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = OUTPUT.with_stem("bench-" + "-".join(args.only)) if args.only else OUTPUT
    try:
        import torch

        torch.set_default_dtype(torch.float64)
        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch is not installed: its column is left out", file=sys.stderr)
    # torch brings some 150,000 objects that would otherwise sit in every full pass of the
    # cyclic collector during our variants' runs (the reference runs in a process of its
    # own, without them): set them aside, as a program that never imports torch would be.
    gc.freeze()
    reference = ReferenceWorker(REFERENCE_PYTHON) if REFERENCE_PYTHON.exists() else None
    if reference is None:
        print(
            f"no reference micrograd at {REFERENCE_PYTHON}: its column is left out", file=sys.stderr
        )
    try:
        report = run_all(reference, torch, args.rounds, args.only)
    finally:
        if reference:
            reference.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nwritten to {args.output}")
    if any(v["checked"] == "MISMATCH" for w in report["workloads"].values() for v in w.values()):
        sys.exit("a variant's numbers differ from the eager engine's: see the table")


def run_all(reference, torch, rounds: int | None, only: list[str] | None = None) -> dict:
    plan = {
        "moons": lambda: moons_variants(reference, torch),
        "reference_run": lambda: reference_run_variants(reference, torch),
        "chain": lambda: chain_variants(reference, torch, workloads.CHAIN_SHALLOW, CHAIN_REPEAT),
        "deep_chain": lambda: chain_variants(reference, torch, workloads.CHAIN_DEEP, 1),
        "wide": lambda: wide_variants(reference, torch),
    }
    report: dict = {"machine": machine(), "workloads": {}}
    for name, build in plan.items():
        if only and name not in only:
            continue
        print(f"{name} ...", file=sys.stderr, flush=True)
        outcomes = measure(build(), rounds or ROUNDS[name])
        rows = {}
        for variant, outcome in outcomes.items():
            rows[variant] = {
                "seconds": outcome.seconds,
                "median_seconds": statistics.median(outcome.seconds) if outcome.seconds else None,
                "vs_reference": same_round_ratio(outcomes, variant, "reference"),
                "vs_floats": same_round_ratio(outcomes, variant, "floats"),
                "checked": outcome.checked,
                "error": outcome.error,
            }
        report["workloads"][name] = rows
    report["memory"] = memory(reference)
    return report


def print_table(report: dict) -> None:
    m = report["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, Python {m['python']}")
    print(
        f"{'workload':<14} {'variant':<26} {'median':>10} {'x reference':>12} {'x floats':>9}"
        "  check"
    )
    for workload, rows in report["workloads"].items():
        for variant, row in rows.items():
            if row["error"]:
                print(f"{workload:<14} {variant:<26} {'fails: ' + row['error']}")
                continue
            median = f"{row['median_seconds'] * 1000:.1f} ms"
            ref = "" if row["vs_reference"] is None else f"{row['vs_reference']:.3f}"
            flo = "" if row["vs_floats"] is None else f"{row['vs_floats']:.2f}"
            print(f"{workload:<14} {variant:<26} {median:>10} {ref:>12} {flo:>9}  {row['checked']}")
    print("\nbytes per node of the moons loss graph (built; after backward):")
    for name, row in report["memory"].items():
        print(
            f"  {name:<10} {row['bytes_per_node']:.0f}; {row['after_backward']:.0f}"
            f"  ({row['nodes']:,} nodes)"
        )
