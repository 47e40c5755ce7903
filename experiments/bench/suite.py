"""The speed and memory benchmark: our engine, eager and compiled, against the reference
micrograd 0.1.0, torch on scalar tensors, plain floats and the engine as it was before scopes,
on the same work.

Methods. Each workload runs in rounds; a round runs every variant once, one after the
other (A B C A B C ...), so that a slow moment of the machine hits all variants of a round
alike. A variant's time is the median over rounds; its ratio to the reference micrograd is
the median of the same-round ratios. Before any time is trusted, every variant's numbers
are checked against the eager engine's (bit for bit for the compiled replay). The
reference micrograd runs in a separate process from its own virtual environment (its
package name is also ``micrograd``); torch is used where installed. The engine before scopes
(``BEFORE_SCOPES_COMMIT``) is extracted from git into a temporary folder and runs the moons
workload in a process of its own the same way, beside the current engine in a process of the
same kind, so that the cost of recording scopes is measured in the same run and like with
like: the time of a moons step, eager and compiled, and the bytes per node.

Run it with ``python -m experiments.bench`` (``make bench``); it prints a table and writes
``results/bench/bench.json``.
"""

from __future__ import annotations

import gc
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import micrograd
from experiments.bench import curvature, floats, instructions, workloads
from experiments.bench.arguments import ArgumentParser
from experiments.bench.moons_case import moons_request, moons_setup
from micrograd import Value, topological_order
from micrograd.demo import demo_loss, demo_model
from micrograd.straight_line import forget_compiled
from micrograd.tape import compile_graph
from micrograd.train import sgd_step, train

# The short workloads get more rounds: times on a shared machine swing by half from one
# moment to the next, and a round of the reference run costs well under a second.
ROUNDS = {
    "moons": 11,
    "reference_run": 25,
    "chain": 9,
    "deep_chain": 3,
    "wide": 3,
    "curvature": 5,
}
CHAIN_REPEAT = 20  # shallow chains per timed call, to rise above the timer's noise
REFERENCE_PYTHON = Path(os.environ.get("MICROGRAD_REFERENCE_PYTHON", ".venv-reference/bin/python"))
OUTPUT = Path("results/bench/bench.json")
# The last commit before every node recorded the scope it was built in: the engine of that
# commit runs beside the current one, to show what recording scopes costs.
BEFORE_SCOPES_COMMIT = "e0d809de8fc6897d773bd82f60e76c148a4d3613"
BEFORE_SCOPES = "before scopes"
SCOPE_TIME_BUDGET = 0.05
"""What recording scopes may add to the eager moons step's time (or instructions)."""
SCOPE_MEMORY_BUDGET = 0.10
"""What recording scopes may add to the bytes of a node."""
NOISE = 0.10
"""How far the same-round ratio of two runs of the same code strays on a shared machine."""
IN_A_WORKER = "in a worker"
REPOSITORY = Path(__file__).resolve().parents[2]

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
    """An engine in a process of its own, one JSON request and answer per line: the
    reference micrograd (``flavour="pypi"``, run by that environment's ``python``), or our
    engine (``flavour="project"``, with the folder ``source`` that holds its package put first
    on ``sys.path``; see ``ProjectEngine``)."""

    def __init__(self, python: Path, flavour: str = "pypi", source: Path | None = None) -> None:
        worker = Path(__file__).resolve().parent / "reference_worker.py"
        env = None if source is None else {**os.environ, "PYTHONPATH": str(source)}
        self.process = subprocess.Popen(
            [str(python.absolute()), "-P", str(worker), flavour],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd="/",
            env=env,
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

    def package(self) -> Path:
        """The folder the worker's ``micrograd`` was imported from."""
        return Path(self.ask({"task": "engine"})["result"]["package"])

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


class EngineUnavailable(RuntimeError):
    """An earlier engine could not be extracted (no git, no history, no such commit)."""


def extract_engine(commit: str, folder: Path) -> Path:
    """Write the engine's package ``micrograd/`` as of ``commit`` (``git archive``) into
    ``folder``; return the package's folder. Raises ``EngineUnavailable``, with the reason in
    one line, when git or the commit is missing."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPOSITORY), "archive", "--format=tar", commit, "micrograd"],
            capture_output=True,
            check=True,
        ).stdout
    except OSError as error:
        raise EngineUnavailable(f"git is unavailable ({error.strerror})") from error
    except subprocess.CalledProcessError as error:
        reason = error.stderr.decode(errors="replace").strip().splitlines()
        reason = reason[0][:120] if reason else f"git archive exited with {error.returncode}"
        raise EngineUnavailable(f"git archive {commit[:12]} in {REPOSITORY}: {reason}") from error
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(folder, **safe)
    return folder / "micrograd"


class ProjectEngine(ReferenceWorker):
    """This project's engine in a worker of its own, started the same way for any version:
    the one this process imports (``commit=None``), or the one at ``commit``, extracted into a
    temporary folder that lives as long as the worker. Raises ``EngineUnavailable`` when the
    commit cannot be read."""

    def __init__(self, commit: str | None = None) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="micrograd-bench-") if commit else None
        try:
            if commit and self.folder:
                package = extract_engine(commit, Path(self.folder.name)).resolve()
            else:
                package = Path(micrograd.__file__).resolve().parent
            super().__init__(Path(sys.executable), "project", package.parent)
            imported = self.package()
            if imported != package:  # a fault of the set-up, not a missing commit: loud
                self.close()
                raise RuntimeError(f"the worker for {package} imported micrograd from {imported}")
        except BaseException:
            if self.folder:
                self.folder.cleanup()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.folder:
                self.folder.cleanup()


@dataclass
class BeforeScopes:
    """The engine before scopes and the current one, each in a worker of the same kind, so
    that their ratio compares like with like: a worker's process is not this one (fewer
    objects, no torch), and the current engine's in-process rows show how far that matters."""

    before: ProjectEngine
    now: ProjectEngine

    @classmethod
    def start(cls) -> BeforeScopes | None:
        """Both workers, or None with a line on stderr saying why not."""
        try:
            before = ProjectEngine(BEFORE_SCOPES_COMMIT)
        except EngineUnavailable as error:
            print(f"the engine {BEFORE_SCOPES}: {error}: its rows are left out", file=sys.stderr)
            return None
        try:
            return cls(before, ProjectEngine())
        except BaseException:
            before.close()
            raise

    def close(self) -> None:
        try:
            self.before.close()
        finally:
            self.now.close()


NUMPY_TOLERANCE = 1e-12  # what the NumPy tape promises against eager, relative


def compiled_variants(replayed: Callable[[str], Run]) -> list[Variant]:
    """The compiled replay on each backend: ``replayed(backend)`` traces the workload's
    graph and returns its timed run. The pure-Python tape must be bit-identical to eager."""
    return [
        Variant("compiled", replayed("python"), 0.0),
        Variant("compiled, numpy", replayed("numpy"), NUMPY_TOLERANCE),
    ]


def moons_variants(
    reference: ReferenceWorker | None, torch, scopes: BeforeScopes | None = None
) -> list[Variant]:
    """The moons step on every engine. With ``scopes``, the current engine in a worker and
    then the engine before scopes run right after the in-process one (eager, then compiled),
    so that their same-round ratios pair close moments."""
    xs, ys, model = moons_setup()
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
            return timed(lambda: workloads.replayed_step(tape, params, sgd_step))

        return run

    variants = [Variant("eager", eager, 0.0), *compiled_variants(replayed)]
    if scopes:  # scopes change no arithmetic: bit-identical to the current engine
        request = {"task": "moons", "params": initial, "xs": xs, "ys": ys}
        replay = {**request, "task": "moons_replayed"}
        variants[1:1] = [
            scopes.now.variant(f"eager, {IN_A_WORKER}", request, 0.0),
            scopes.before.variant(f"eager, {BEFORE_SCOPES}", request, 0.0),
        ]
        variants[4:4] = [
            scopes.now.variant(f"compiled, {IN_A_WORKER}", replay, 0.0),
            scopes.before.variant(f"compiled, {BEFORE_SCOPES}", replay, 0.0),
        ]
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
    return median_ratio(ours.seconds, theirs.seconds) if ours and theirs else None


def median_ratio(ours: list[float], theirs: list[float]) -> float | None:
    """The median of the same-round ratios ``ours[i] / theirs[i]``; None unless both have a
    time for every round."""
    if not ours or len(ours) != len(theirs):
        return None
    return statistics.median(a / b for a, b in zip(ours, theirs))


def memory(reference: ReferenceWorker | None, scopes: BeforeScopes | None = None) -> dict:
    """Bytes per node of the moons loss graph as built, and after backward."""
    xs, ys, model = moons_setup()
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
    request = {"task": "memory", "params": [p.data for p in params], "xs": xs, "ys": ys}
    if reference:
        report["reference"] = reference.ask(request)["result"]
    if scopes:
        report[BEFORE_SCOPES] = scopes.before.ask(request)["result"]
    return report


def scopes_cost(report: dict) -> dict | None:
    """What recording scopes costs: the eager (and compiled) moons step's same-round median
    ratio to the engine before scopes, both in a worker (and from the in-process row), and the
    bytes per node of both; None without the engine before scopes."""
    memory_rows = report["memory"]
    if BEFORE_SCOPES not in memory_rows:
        return None
    now, then = memory_rows["eager"], memory_rows[BEFORE_SCOPES]
    cost: dict = {"commit": BEFORE_SCOPES_COMMIT}
    moons_rows = report["workloads"].get("moons", {})
    for mode in ("eager", "compiled"):
        base = moons_rows.get(f"{mode}, {BEFORE_SCOPES}")
        for key, row in (("", f"{mode}, {IN_A_WORKER}"), ("_in_process", mode)):
            ours = moons_rows.get(row)
            ratio = median_ratio(ours["seconds"], base["seconds"]) if ours and base else None
            cost[f"{mode}_moons_step_ratio{key}"] = ratio
    for key in ("bytes_per_node", "after_backward"):
        cost[key] = {"now": now[key], "before": then[key], "change": now[key] / then[key] - 1}
    return cost


def within(change: float, budget: float) -> str:
    """Whether a relative ``change`` keeps within ``budget``, said for the table.

    A budget of 0 means "unchanged": a change within ``NOISE`` (what timing the same code
    twice gives on a shared machine) counts as none.

    >>> within(0.084, 0.10), within(0.083, 0.05), within(-0.05, 0.0)
    ('within the 10% budget', 'OVER the 5% budget', 'unchanged within the noise (10%)')
    """
    if budget == 0.0:
        if abs(change) <= NOISE:
            return f"unchanged within the noise ({NOISE:.0%})"
        return f"changed by {change:+.0%}"
    verdict = "within" if change <= budget else "OVER"
    return f"{verdict} the {budget:.0%} budget"


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
    parser = ArgumentParser(description=__doc__.splitlines()[0])
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
    scopes = BeforeScopes.start()
    try:
        report = run_all(reference, torch, args.rounds, args.only, scopes)
    finally:
        for workers in (reference, scopes):
            if workers:
                workers.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nwritten to {args.output}")
    if any(v["checked"] == "MISMATCH" for w in report["workloads"].values() for v in w.values()):
        sys.exit("a variant's numbers differ from the eager engine's: see the table")


def run_all(
    reference, torch, rounds: int | None, only: list[str] | None = None, scopes=None
) -> dict:
    plan = {
        "moons": lambda: moons_variants(reference, torch, scopes),
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
    if not only or "curvature" in only:
        print("curvature ...", file=sys.stderr, flush=True)
        report["curvature"] = curvature.measure(rounds or ROUNDS["curvature"])
    report["memory"] = memory(reference, scopes)
    cost = scopes_cost(report)
    if cost:
        if scopes and scopes.before.folder and instructions.available():
            print("instructions (callgrind) ...", file=sys.stderr, flush=True)
            request = moons_request()
            before = instructions.instructions_per_step(Path(scopes.before.folder.name), request)
            now = instructions.instructions_per_step(REPOSITORY, request)
            cost["instructions_per_eager_moons_step"] = {
                "now": now,
                "before": before,
                "change": now / before - 1,
            }
        report[BEFORE_SCOPES.replace(" ", "_")] = cost
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
            f"  {name:<14} {row['bytes_per_node']:.0f}; {row['after_backward']:.0f}"
            f"  ({row['nodes']:,} nodes)"
        )
    if "curvature" in report:
        curvature.print_costs(report["curvature"])
    cost = report.get(BEFORE_SCOPES.replace(" ", "_"))
    if cost:
        print(f"\nwhat recording scopes costs (against {cost['commit'][:12]}, {BEFORE_SCOPES}):")
        for mode in ("eager", "compiled"):
            ratio, in_process = (cost[f"{mode}_moons_step_ratio{k}"] for k in ("", "_in_process"))
            if ratio is None:
                continue
            budget = SCOPE_TIME_BUDGET if mode == "eager" else 0.0
            print(
                f"  {mode} moons step: {ratio:.2f} x the engine {BEFORE_SCOPES}"
                f" (same-round median ratio; {within(ratio - 1, budget)})"
            )
            if in_process is not None:
                print(f"    (both {IN_A_WORKER}; the in-process {mode} row: {in_process:.2f} x)")
        counted = cost.get("instructions_per_eager_moons_step")
        if counted:
            print(
                f"  instructions per eager moons step (callgrind): {counted['now'] / 1e6:.1f} M vs"
                f" {counted['before'] / 1e6:.1f} M ({counted['change']:+.1%};"
                f" {within(counted['change'], SCOPE_TIME_BUDGET)})"
            )
        for key, what in (("bytes_per_node", "built"), ("after_backward", "after backward")):
            row = cost[key]
            print(
                f"  bytes per node, {what}: {row['now']:.0f} vs {row['before']:.0f}"
                f" ({row['change']:+.1%}; {within(row['change'], SCOPE_MEMORY_BUDGET)})"
            )
