"""Training's memory stays bounded: mini-batches, a tape only where it fits, refusals."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import tracemalloc

import pytest

from micrograd.engine import topological_order
from micrograd.losses import dataset_loss
from micrograd.nn import MLP
from micrograd.train import batch_order
from toolkit.training import (
    DEFAULT_BATCH_ROWS,
    FULL_BATCH_ROWS,
    MEMORY_LIMIT,
    TrainingTooLarge,
    fit,
    loss_graph_nodes,
    plan_training,
)


def rows(n: int, nin: int = 2, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    rng = random.Random(seed)
    xs = [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(n)]
    return xs, [1.0 if x[0] * x[-1] > 0 else -1.0 for x in xs]


@pytest.mark.parametrize(
    ("nin", "layers", "activation", "output_activation", "n"),
    [
        (3, [4, 4, 1], "tanh", None, 4),
        (2, [16, 16, 1], "relu", "linear", 7),
        (5, [1], "linear", None, 3),
        (2, [3, 2, 1], "sigmoid", "tanh", 1),
    ],
)
def test_the_graph_size_is_counted_exactly_from_the_architecture(
    nin, layers, activation, output_activation, n
):
    model = MLP(nin, layers, activation, output_activation, seed=0)
    built = len(topological_order(dataset_loss(model, *rows(n, nin))))
    assert loss_graph_nodes(nin, layers, activation, output_activation, rows=n) == built


def test_small_data_trains_on_full_batches_and_large_data_on_default_mini_batches():
    assert plan_training(FULL_BATCH_ROWS, 2, [4, 4, 1]).full_batch
    assert plan_training(FULL_BATCH_ROWS, 2, [4, 4, 1]).notes == ()
    plan = plan_training(100_000, 2, [4, 4, 1])
    assert (plan.batch_size, plan.nodes, plan.replay) == (DEFAULT_BATCH_ROWS, 72_038, "python")
    assert plan.notes == (
        "100,000 rows, more than 1,000: training on mini-batches of 1,000 rows, one a step, "
        "the rows shuffled afresh each epoch from the seed (--batch-size to choose)",
    )
    assert plan_training(50, 2, [4, 1], batch_size=500).full_batch


def test_a_tape_that_would_not_fit_gives_way_to_the_eager_engine():
    # 720,038 nodes at 4,000 bytes a node: 2.88 GB of tape; eagerly 158 MB.
    plan = plan_training(10_000, 2, [4, 4, 1], batch_size=10_000)
    assert plan.nodes == 720_038
    assert plan.replay == "eager"
    assert plan.memory == 37 * 340 + 720_001 * 220 < MEMORY_LIMIT
    assert plan.notes[0].startswith(
        "compiling the graph of a step, 720,038 nodes, would take about 2.88 GB, more than "
        "the 1.00 GB limit: training eagerly instead (the same numbers bit for bit"
    )
    numpy = plan_training(10_000, 2, [4, 4, 1], batch_size=10_000, backend="numpy")
    assert (numpy.replay, numpy.notes) == ("numpy", ())


def test_a_step_too_large_even_eagerly_is_refused_with_the_estimate():
    with pytest.raises(TrainingTooLarge) as refused:
        plan_training(4, 3, [1000, 1000, 1])
    # 1,006,001 parameters at 340 bytes, 8,040,037 other nodes at 220 bytes.
    assert refused.value.estimate == 1_006_001 * 340 + (9_046_038 - 1_006_001) * 220
    assert refused.value.largest_batch == 1
    assert str(refused.value) == (
        "a step of MLP(3 -> 1000 -> 1000 -> 1) on 4 rows would take about 2.11 GB even on the "
        "eager engine (1,006,001 parameters, a graph of 9,046,038 nodes), more than the 1.00 GB "
        "limit; a batch of 1 row fits, taking about 784 MB"
    )
    with pytest.raises(TrainingTooLarge, match="not even one row fits"):
        plan_training(1, 1000, [1000, 1000, 1000, 1])


def test_fit_refuses_before_building_anything():
    tracemalloc.start()
    try:
        with pytest.raises(TrainingTooLarge):
            fit(*rows(4, 3), layers=[1000, 1000, 1], steps=1, lr=0.01)
        assert tracemalloc.get_traced_memory()[1] < 1_000_000
    finally:
        tracemalloc.stop()


def test_batches_are_seeded_shuffles_of_every_row_each_epoch():
    batches = batch_order(10, 3, seed=4)
    epochs = [[next(batches) for _ in range(3)] for _ in range(4)]
    for epoch in epochs:
        seen = [row for batch in epoch for row in batch]
        assert len(seen) == len(set(seen)) == 9
    assert epochs[0] != epochs[1]
    again = batch_order(10, 3, seed=4)
    assert [next(again) for _ in range(12)] == [batch for epoch in epochs for batch in epoch]


def test_mini_batch_training_is_the_same_compiled_or_eager_and_records_its_batch_size():
    xs, ys = rows(50)
    runs = [
        fit(xs, ys, layers=[4, 1], steps=12, lr=0.02, seed=3, batch_size=8, compiled=compiled)
        for compiled in (True, False)
    ]
    (compiled_model, compiled), (eager_model, eager) = runs
    assert compiled == eager
    assert compiled_model.state_dict() == eager_model.state_dict()
    assert compiled["batch_size"] == 8 and len(compiled["loss_history"]) == 12
    # The final loss is over every row, the same number as the whole graph's.
    assert compiled["final_loss"] == dataset_loss(compiled_model, xs, ys).data


def test_full_batch_training_is_unchanged_and_records_no_batch_size():
    xs, ys = rows(40)
    _, record = fit(xs, ys, layers=[4, 1], steps=5, lr=0.02, batch_size=40)
    default = fit(xs, ys, layers=[4, 1], steps=5, lr=0.02)[1]
    assert "batch_size" not in record and record == default


def test_eager_mini_batches_keep_memory_to_one_batch():
    # 5,000 rows on full batch build a 360,038-node graph a step (about 50 MB traced);
    # batches of 1,000 rows, 72,038 nodes (about 10 MB), and the final loss a row at a time.
    xs, ys = rows(5_000)
    tracemalloc.start()
    try:
        fit(xs, ys, layers=[4, 4, 1], steps=2, lr=0.001, compiled=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 25_000_000


def test_default_training_on_many_rows_peaks_far_below_a_full_batch_tape():
    # Full batch, 5,000 rows compile a 360,038-node tape (about 1.4 GB); the default
    # batches of 1,000 rows one of 72,038 nodes (about 300 MB). The bound sits between the
    # two with room for the allocator's moods on either side. The peak is this process's
    # own (VmHWM): ru_maxrss would keep the peak of the pytest process it was forked from,
    # which after a thousand tests is larger than the whole training.
    script = textwrap.dedent(
        """
        import random
        from toolkit.training import fit
        rng = random.Random(0)
        xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(5_000)]
        ys = [1.0 if x[0] * x[1] > 0 else -1.0 for x in xs]
        with open("/proc/self/statm") as f:
            before = int(f.read().split()[1]) * 4096
        fit(xs, ys, layers=[4, 4, 1], steps=2, lr=0.001)
        with open("/proc/self/status") as f:
            peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        print(peak * 1024 - before)
        """
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    environment = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 800_000_000, f"peak grew by {int(done.stdout):,} bytes"
