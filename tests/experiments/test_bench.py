"""The benchmark's hand-written plain-float workloads compute what the engine computes, the
engine before scopes runs from its own commit with the same numbers, and a partial run (--only)
writes its own report beside the full one."""

from __future__ import annotations

import gc
import json

import pytest

from experiments.bench import floats, suite, workloads
from micrograd import MLP, Value
from micrograd.demo import demo_model
from micrograd.train import train
from toolkit.datasets import moons


def test_the_plain_float_moons_step_matches_the_engines():
    xs, ys = moons(20, seed=3)
    sizes = workloads.MOONS_SIZES
    model = MLP(sizes[0], list(sizes[1:]), activation="relu", output_activation="linear", seed=3)
    params = model.parameters()
    initial = [p.data for p in params]
    engine = workloads.moons_step(model, params, xs, ys, Value, lambda _: model.zero_grad())
    by_hand = floats.moons_step_floats(initial, xs, ys)
    assert workloads.same(by_hand, engine, 1e-12)
    assert by_hand["params"] != initial  # the step moved the parameters


def test_the_plain_float_reference_run_matches_the_engines():
    model = demo_model(1)
    initial = [p.data for p in model.parameters()]
    losses = train(model, lambda: _reference_loss(model), steps=workloads.REFERENCE_STEPS, lr=0.05)
    engine = {"losses": losses, "params": [p.data for p in model.parameters()]}
    assert workloads.same(floats.reference_run_floats(initial), engine, 1e-9)


def _reference_loss(model: MLP) -> Value:
    predictions = [model(list(x)) for x in workloads.REFERENCE_XS]
    return sum((p - y) ** 2 for p, y in zip(predictions, workloads.REFERENCE_YS))


def test_a_partial_run_writes_its_own_report_beside_the_full_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .venv-reference here: the reference column is left out
    try:
        suite.main(["--only", "chain", "--rounds", "1"])
    finally:
        gc.unfreeze()  # main() sets every object so far aside from the collector
    written = tmp_path / "results" / "bench" / "bench-chain.json"
    assert not (tmp_path / "results" / "bench" / "bench.json").exists()
    report = json.loads(written.read_text())
    assert list(report["workloads"]) == ["chain"]
    rows = report["workloads"]["chain"]
    assert rows["compiled"]["checked"] == "bit-identical"
    assert rows["compiled, numpy"]["checked"] == "within 1e-12"
    assert rows["floats"]["checked"] == "within 1e-12"
    assert "reference" not in rows


def test_the_engine_before_scopes_runs_from_its_commit_with_the_same_numbers():
    try:
        worker = suite.ProjectEngine(suite.BEFORE_SCOPES_COMMIT)
    except suite.EngineUnavailable as error:
        pytest.skip(f"the engine before scopes cannot be read from git: {error}")
    try:
        package = worker.package()
        assert package.parent.samefile(worker.folder.name)  # not the package of the tree
        assert "enter_scope" not in (package / "nn.py").read_text()
        xs, ys = moons(20, seed=3)
        sizes = workloads.MOONS_SIZES
        model = MLP(sizes[0], list(sizes[1:]), activation="relu", output_activation="linear")
        params = model.parameters()
        request = {"task": "moons", "params": [p.data for p in params], "xs": xs, "ys": ys}
        eager = worker.ask(request)["result"]
        replayed = worker.ask({**request, "task": "moons_replayed"})["result"]
    finally:
        worker.close()
    assert not (package.parent).exists()  # the extracted engine goes with its worker
    now = workloads.moons_step(model, params, xs, ys, Value, lambda _: model.zero_grad())
    assert workloads.same(eager, now, 0)
    assert workloads.same(replayed, now, 0)
    assert now["params"] != request["params"]


@pytest.mark.parametrize(
    "module", ["experiments.bench", "experiments.bench.curvature", "experiments.bench.graph_scale"]
)
def test_a_bench_usage_error_is_one_line(module):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", module, "--rounds", "two", "--no-such-option"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("Error: ")


def test_the_scope_budgets_are_said_plainly():
    assert suite.within(0.084, suite.SCOPE_MEMORY_BUDGET) == "within the 10% budget"
    assert suite.within(0.06, suite.SCOPE_TIME_BUDGET) == "OVER the 5% budget"
    assert suite.within(-0.05, 0.0) == "unchanged within the noise (10%)"
    assert suite.within(0.17, 0.0) == "changed by +17%"
