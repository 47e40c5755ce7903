"""Result files written the same way every time, so the same run gives the same bytes.

Floats are written as Python's shortest round-trip text (``repr``), so reading a file
back gives the exact numbers; JSON keys keep the order they were built in; every file is
written atomically (``toolkit.files.write_text_atomic``).

>>> import tempfile, pathlib
>>> folder = results_folder(pathlib.Path(tempfile.mkdtemp()) / "demo")
>>> write_csv(folder / "curve.csv", ("step", "loss"), [(0, 0.1), (1, 1 / 3)])
>>> print((folder / "curve.csv").read_text(), end="")
step,loss
0,0.1
1,0.3333333333333333
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from toolkit.files import write_text_atomic

__all__ = ["results_folder", "write_csv", "write_json"]


def results_folder(path: str | Path) -> Path:
    """``path`` as a folder that exists (created with its parents if need be).

    >>> import tempfile, pathlib
    >>> results_folder(pathlib.Path(tempfile.mkdtemp()) / "a" / "b").is_dir()
    True
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A CSV file with ``header`` and ``rows``, ``\\n`` line endings."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text_atomic(path, text.getvalue())


def write_json(path: Path, document: Any) -> None:
    """``document`` as indented JSON; ``nan`` and ``inf`` are refused (they are not JSON).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "summary.json"
    >>> write_json(path, {"loss": 0.1, "steps": [0, 10]})
    >>> print(path.read_text(), end="")
    {
      "loss": 0.1,
      "steps": [
        0,
        10
      ]
    }
    """
    write_text_atomic(path, json.dumps(document, indent=2, allow_nan=False) + "\n")
