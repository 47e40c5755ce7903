"""The experiments' shared pieces: statistics, result files, and every docstring example."""

from __future__ import annotations

import math
import random

import pytest

from experiments import outputs
from experiments.stats import per_step_quartiles, quartiles
from tests.experiments.helpers import read_csv, read_json


@pytest.mark.parametrize("size", [2, 3, 4, 7, 20])
def test_quartiles_interpolate_like_numpys_default_percentiles(size):
    numpy = pytest.importorskip("numpy")
    values = [random.Random(size).uniform(-5, 5) for _ in range(size)]
    expected = numpy.percentile(values, [25, 50, 75])
    assert quartiles(values) == pytest.approx(list(expected), rel=1e-12, abs=1e-12)


def test_quartiles_of_one_run_are_its_value_and_none_is_an_error():
    assert quartiles([0.25]) == (0.25, 0.25, 0.25)
    assert per_step_quartiles([[3.0, 2.0]]) == [(3.0, 3.0, 3.0), (2.0, 2.0, 2.0)]
    with pytest.raises(ValueError, match="quartiles of no values"):
        quartiles([])


def test_csv_and_json_give_back_exactly_the_floats_written(tmp_path):
    values = [0.1 + 0.2, 1 / 3, 2.0**-1074, 1.7976931348623157e308, -0.0]
    outputs.write_csv(tmp_path / "v.csv", ("i", "value"), list(enumerate(values)))
    outputs.write_json(tmp_path / "v.json", {"values": values})
    assert [float(row["value"]) for row in read_csv(tmp_path / "v.csv")] == values
    assert read_json(tmp_path / "v.json")["values"] == values
    assert (tmp_path / "v.csv").read_bytes().count(b"\r") == 0


def test_json_refuses_non_finite_numbers(tmp_path):
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        outputs.write_json(tmp_path / "bad.json", {"loss": math.nan})
    assert not (tmp_path / "bad.json").exists()
