"""The memory a file can cost: each reader, given the costliest shapes of file
(``tests/fuzz/shapes.py``) at a few megabytes in a fresh process, peaks within the ratio
to the file's size that ``docs/limits.md`` states. The figures are read from the document
itself, so that it cannot promise what the readers do not keep."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.fuzz.shapes import SHAPES, Shape, peak

pytestmark = pytest.mark.skipif(
    not os.access("/proc/self/clear_refs", os.W_OK),
    reason="measures the peak memory through Linux's /proc/self/clear_refs",
)

LIMITS = Path(__file__).parents[2] / "docs" / "limits.md"
SIZE = 2**20
"""About the size of each file: large enough that the measure is the reader's, not noise;
a CSV file and a model of ``0``s are read at a quarter of it, as slower per byte."""
ROWS = {
    "node-link": "| `load_graph`, node-link JSON |",
    "graphml": "| `load_graph`, GraphML |",
    "model": "| `load_model` |",
    "csv": "| `read_csv_rows` |",
    "graph-cli": "| `load_graph`, node-link JSON |",  # ``is_model_file`` adds nothing to it
}
"""The row of the table in ``docs/limits.md`` that states each reader's figures."""


def documented(reader: str) -> tuple[float, float]:
    """The worst peak per byte of file ``docs/limits.md`` states for ``reader``, and per
    parameter (a model's only; 0 for the others)."""
    row = next(line for line in LIMITS.read_text().splitlines() if line.startswith(ROWS[reader]))
    worst = row.split("|")[3]
    per_byte = float(re.match(r"\s*([0-9.]+)", worst).group(1))
    per_parameter = re.search(r"plus ([0-9,]+) bytes a parameter", worst)
    return per_byte, float(per_parameter.group(1).replace(",", "")) if per_parameter else 0.0


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: f"{shape.reader}: {shape.name}")
def test_a_reader_peaks_within_the_documented_memory_for_its_file(tmp_path, shape: Shape):
    size = SIZE // 4 if shape.reader == "csv" or shape.units(SIZE) else SIZE
    per_byte, per_parameter = documented(shape.reader)
    cost = peak(shape, size, tmp_path)
    allowed = per_byte * cost.size + per_parameter * cost.units
    assert cost.peak <= allowed, (
        f"{shape.reader}, {shape.name}: {cost.peak / 2**20:.1f} MB for "
        f"{cost.size / 2**20:.1f} MB ({cost.outcome}), over the {allowed / 2**20:.1f} MB "
        f"that docs/limits.md allows"
    )
