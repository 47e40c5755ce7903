"""What second derivatives cost: a Hessian-vector product against a gradient on the moons
loss graph (eager and compiled), and the reference model's 41 x 41 Hessian.

Methods. Each round times every variant once, in turn, so that a slow moment of the
machine hits all of a round alike; a variant's time is its median over rounds, and a ratio
is the median of the same-round ratios; a variant faster than 50 ms is timed in its turn by
the fastest of repeated runs. A gradient is what one training step needs: build
the loss and run backward (eager), or replay the loss's tape forward and backward as
training does (compiled: ``compile_graph``).
A Hessian-vector product builds the loss, its gradient graph (``grad(create_graph=True)``)
and ``sum(g_i * v_i)`` and runs backward over all of it (eager), or replays the product tape
of ``compile_curvature`` (compiled). Reverse over reverse costs a small constant times a
gradient in theory (about 4); eager building costs more per node than running rules, so
the eager ratio is higher. Every compiled result is checked bit for bit against eager.

    python -m experiments.bench.curvature [--rounds 5]      (part of make bench)
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable

from experiments.bench.arguments import ArgumentParser
from experiments.moons import Config, make_model, objective
from micrograd import grad, hessian, hvp
from micrograd.demo import demo_loss, demo_model
from micrograd.gradients import compile_curvature
from micrograd.tape import compile_graph
from toolkit.datasets import moons

ROUNDS = 5


# A variant shorter than this is run again within its turn and timed by its fastest run: a
# single run of a few milliseconds measures the machine's hiccups as much as the work.
SHORT_SECONDS = 0.05


def timed(work: Callable[[], object]) -> tuple[float, object]:
    """The time of one run of ``work`` (after collecting garbage), and its result."""
    gc.collect()
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def turn_time(work: Callable[[], object]) -> float:
    """One turn of ``work``: a single run, or the fastest of as many as fill
    ``SHORT_SECONDS`` when a run is shorter than that."""
    first, _ = timed(work)
    if first >= SHORT_SECONDS:
        return first
    repeats = min(int(SHORT_SECONDS / max(first, 1e-6)), 100)
    return min([first, *(timed(work)[0] for _ in range(repeats))])


def rounds_of(variants: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Each variant's times over ``rounds`` rounds, run in turn within a round."""
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, work in variants.items():
            seconds[name].append(turn_time(work))
    return seconds


def ratio(ours: list[float], base: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(ours, base))


def moons_costs(rounds: int) -> dict:
    """A gradient and a Hessian-vector product of the moons loss, eager and compiled."""
    xs, ys = moons(100, seed=0)
    config = Config()
    model = make_model(config)
    parameters = model.parameters()
    values = [p.data for p in parameters]
    vector = [math.sin(i + 1.0) for i in range(len(parameters))]

    def loss():
        return objective(model, xs, ys, config.alpha)

    def eager_gradient():
        return [g.data for g in grad(loss(), parameters)]

    start = time.perf_counter()
    tape = compile_curvature(loss(), parameters)
    compile_seconds = time.perf_counter() - start
    loss_tape = compile_graph(loss(), parameters)

    def compiled_gradient():
        loss_tape.forward(values)
        return loss_tape.backward()

    if tape.hvp(values, vector) != hvp(loss(), parameters, vector):
        raise RuntimeError("the compiled Hessian-vector product differs from eager")
    if compiled_gradient() != eager_gradient():
        raise RuntimeError("the compiled gradient differs from eager")
    seconds = rounds_of(
        {
            "eager gradient": eager_gradient,
            "eager hvp": lambda: hvp(loss(), parameters, vector),
            "compiled gradient": compiled_gradient,
            "compiled hvp": lambda: tape.hvp(values, vector),
        },
        rounds,
    )
    return {
        "parameters": len(parameters),
        "compile_seconds": compile_seconds,
        "median_seconds": {name: statistics.median(times) for name, times in seconds.items()},
        "hvp_over_gradient": {
            mode: ratio(seconds[f"{mode} hvp"], seconds[f"{mode} gradient"])
            for mode in ("eager", "compiled")
        },
    }


def reference_hessian_costs(rounds: int) -> dict:
    """The reference model's Hessian: eager (a backward pass per row) and compiled."""
    model = demo_model(0)
    parameters = model.parameters()
    values = [p.data for p in parameters]
    start = time.perf_counter()
    tape = compile_curvature(demo_loss(model), parameters)
    compile_seconds = time.perf_counter() - start
    seconds = rounds_of(
        {
            "eager": lambda: hessian(demo_loss(model), parameters),
            "compiled": lambda: tape.hessian(values),
        },
        rounds,
    )
    return {
        "parameters": len(parameters),
        "compile_seconds": compile_seconds,
        "median_seconds": {name: statistics.median(times) for name, times in seconds.items()},
    }


def measure(rounds: int = ROUNDS) -> dict:
    return {"moons": moons_costs(rounds), "reference_hessian": reference_hessian_costs(rounds)}


def print_costs(costs: dict) -> None:
    moons_part, reference = costs["moons"], costs["reference_hessian"]
    print(f"\nsecond derivatives (moons loss, {moons_part['parameters']} parameters):")
    for mode in ("eager", "compiled"):
        gradient = moons_part["median_seconds"][f"{mode} gradient"] * 1000
        product = moons_part["median_seconds"][f"{mode} hvp"] * 1000
        print(
            f"  {mode:<9} gradient {gradient:8.1f} ms   Hessian-vector product {product:8.1f} ms"
            f"   {moons_part['hvp_over_gradient'][mode]:.1f} x a gradient"
        )
    print(f"  compiling the gradient graph once: {moons_part['compile_seconds']:.1f} s")
    eager, compiled = (reference["median_seconds"][k] * 1000 for k in ("eager", "compiled"))
    size = reference["parameters"]
    print(
        f"reference model's {size} x {size} Hessian: eager {eager:.1f} ms, compiled "
        f"{compiled:.1f} ms (compiling once: {reference['compile_seconds'] * 1000:.0f} ms)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    print_costs(measure(args.rounds))


if __name__ == "__main__":
    main()
