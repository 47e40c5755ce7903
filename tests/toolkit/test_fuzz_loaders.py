"""The project's own fuzzing of its file readers (``tests/fuzz``): mutations of valid files
it writes, and generated structures, each read back. A reader gives something that saves
again, or its one documented error in one short line; never another exception. ``make
fuzz`` runs the same for minutes."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

from tests.fuzz.inputs import (
    check_csv,
    check_graph,
    check_model,
    csv_inputs,
    graphml_inputs,
    model_inputs,
    node_link_inputs,
)

EXAMPLES = int(os.environ.get("MICROGRAD_FUZZ_EXAMPLES", "250"))
"""Inputs per reader in ``make test``; ``make fuzz`` sets many more."""

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@fuzz
@given(node_link_inputs)
def test_any_mutated_node_link_file_loads_or_gives_one_graph_format_error(data):
    check_graph(data, ".json")


@fuzz
@given(graphml_inputs)
def test_any_mutated_graphml_file_loads_or_gives_one_graph_format_error(data):
    check_graph(data, ".graphml")


@fuzz
@given(model_inputs)
def test_any_mutated_model_file_loads_and_saves_or_gives_one_model_format_error(data):
    check_model(data)


@fuzz
@given(csv_inputs)
def test_any_mutated_csv_file_gives_finite_rows_or_one_data_format_error(data):
    check_csv(data)
