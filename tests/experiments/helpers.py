"""Reading back what the experiments wrote."""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header, after checking its signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def assert_nontrivial_png(path: Path) -> None:
    """A real picture: a PNG of a few hundred pixels a side with more than a blank page's
    worth of data."""
    width, height = png_size(path)
    assert width >= 400 and height >= 300
    assert path.stat().st_size > 15_000


def data_files(folder: Path) -> dict[str, bytes]:
    """Every CSV and JSON file of ``folder`` by name, with its bytes."""
    return {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.suffix in (".csv", ".json")
    }


def all_files(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` by name, with its bytes (figures and the model included)."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
