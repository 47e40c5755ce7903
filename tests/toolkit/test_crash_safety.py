"""Saves survive ``kill -9`` at any moment: the target always holds a complete old or new
file, and the temporary files of killed writers do not pile up (the next save removes
them)."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time

import pytest

from micrograd import MLP, Value
from toolkit.graph import load_graph, save_graph
from toolkit.model_io import load_model, save_model

KILLS = 30


def save_forever(kind: str, path: str) -> None:
    """Save a large-ish model, or a graph in either format, to ``path`` again and again."""
    models = [MLP(20, [40, 40, 1], seed=seed) for seed in (1, 2)]
    x = Value(0.5, label="x")
    root = x
    for _ in range(500):
        root = (root * x + 1.0).tanh()
    for i in range(10**9):
        if kind == "model":
            save_model(models[i % 2], path, metadata={"save": i})
        else:
            save_graph(root, path, format=("node-link", "graphml")[i % 2])


@pytest.mark.parametrize(("kind", "name"), [("model", "model.json"), ("graph", "graph.file")])
def test_kill_9_during_saves_leaves_a_complete_file_and_no_pile_of_temporaries(
    tmp_path, kind, name
):
    target = tmp_path / name
    rng = random.Random(0)
    fork = multiprocessing.get_context("fork")
    for _ in range(KILLS):
        writer = fork.Process(target=save_forever, args=(kind, str(target)))
        writer.start()
        while not target.exists():
            time.sleep(0.001)
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()
        assert writer.exitcode == -signal.SIGKILL
        if kind == "model":
            assert load_model(target).model.nin == 20
        else:
            assert load_graph(target).number_of_nodes() == 2001
        # At most the one of the writer just killed and, if it was killed before its first
        # save completed, the one of the writer before it: each save removes those of dead
        # writers.
        assert len(temporaries_in(tmp_path)) <= 2, temporaries_in(tmp_path)
    if kind == "model":
        save_model(MLP(1, [1], seed=0), target)
    else:
        save_graph(Value(1.0).exp(), target)
    assert temporaries_in(tmp_path) == []


def temporaries_in(folder) -> list[str]:
    return [entry for entry in os.listdir(folder) if entry.endswith(".tmp")]
