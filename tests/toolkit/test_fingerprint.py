"""Whole-graph fingerprints: the same for one structure, wherever and however it was made."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from micrograd import Parameter, Value, scope
from micrograd.demo import demo_loss, demo_model
from toolkit.cli import main
from toolkit.fingerprint import DIGEST_SIZE, graph_fingerprint
from toolkit.graph import load_graph, save_graph, to_networkx


def loss_graph(seed: int = 0, layers=(4, 4, 1)):
    loss = demo_loss(demo_model(seed, layers))
    loss.backward()
    return to_networkx(loss)


@pytest.fixture(scope="module")
def reference_fingerprint() -> str:
    return graph_fingerprint(loss_graph(0))


def test_two_seeds_of_one_model_share_the_fingerprint(reference_fingerprint):
    assert graph_fingerprint(loss_graph(1)) == reference_fingerprint
    assert len(reference_fingerprint) == 2 * DIGEST_SIZE
    int(reference_fingerprint, 16)  # hex digits only


def test_another_architecture_has_another_fingerprint(reference_fingerprint):
    assert graph_fingerprint(loss_graph(0, layers=(4, 1))) != reference_fingerprint
    assert graph_fingerprint(loss_graph(0, layers=(4, 3, 1))) != reference_fingerprint


@pytest.mark.parametrize(
    ("name", "file_format"), [("g.json", "node-link"), ("g.graphml", "graphml")]
)
def test_fingerprint_survives_both_file_formats(tmp_path, reference_fingerprint, name, file_format):
    path = tmp_path / name
    save_graph(loss_graph(0), path, format=file_format)
    assert graph_fingerprint(load_graph(path)) == reference_fingerprint


def test_fingerprint_is_the_same_in_a_fresh_process_with_another_hash_seed(
    tmp_path, reference_fingerprint
):
    script = (
        "from micrograd.demo import demo_loss, demo_model\n"
        "from toolkit.fingerprint import graph_fingerprint\n"
        "from toolkit.graph import to_networkx\n"
        "print(graph_fingerprint(to_networkx(demo_loss(demo_model(5)))))\n"
    )
    for hash_seed in ("1", "12345"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        completed = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        assert completed.stdout.strip() == reference_fingerprint


def test_numbers_labels_and_gradients_are_ignored():
    def build(a: float, b: float, label: str):
        x = Parameter(a, label=label)
        y = (x * b).tanh() + x
        y.backward()
        return to_networkx(y)

    assert graph_fingerprint(build(0.5, 2.0, "w")) == graph_fingerprint(build(-3.0, 7.0, "v"))
    without_grads = to_networkx(Parameter(0.5) * 2.0 + Parameter(0.1), grads=False)
    assert graph_fingerprint(without_grads) == graph_fingerprint(
        to_networkx(Parameter(9.0) * 3.0 + Parameter(1.0))
    )


def test_operand_order_counts_for_ops_that_are_not_commutative():
    def subtract(parameter_first: bool):
        p, x = Parameter(1.0), Value(2.0)
        return graph_fingerprint(to_networkx(p - x if parameter_first else x - p))

    assert subtract(True) != subtract(False)
    p, x = Parameter(1.0), Value(2.0)
    assert graph_fingerprint(to_networkx(p * x)) == graph_fingerprint(to_networkx(x * p))


def test_a_repeated_operand_is_not_two_operands():
    a, b = Value(1.0), Value(2.0)
    assert graph_fingerprint(to_networkx(a * a)) != graph_fingerprint(to_networkx(a * b))


def test_scope_names_are_part_of_the_whole_graph_fingerprint():
    def doubled(name: str):
        with scope(name):
            return to_networkx(Value(1.0) * 2)

    assert graph_fingerprint(doubled("encoder")) == graph_fingerprint(doubled("encoder"))
    assert graph_fingerprint(doubled("encoder")) != graph_fingerprint(doubled("decoder"))
    assert graph_fingerprint(to_networkx(Value(1.0) * 2)) != graph_fingerprint(doubled("encoder"))


def test_analyze_prints_the_fingerprint_in_the_table_and_the_json(tmp_path, reference_fingerprint):
    path = tmp_path / "loss.json"
    save_graph(loss_graph(3), path)
    runner = CliRunner()
    table = runner.invoke(main, ["graph", "analyze", str(path)])
    assert table.exit_code == 0
    assert table.output.splitlines()[-1] == f"fingerprint         {reference_fingerprint}"
    as_json = runner.invoke(main, ["graph", "analyze", str(path), "--json"])
    assert json.loads(as_json.output)["fingerprint"] == reference_fingerprint
