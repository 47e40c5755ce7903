"""Data sets: the four points of the classic lecture, two seeded moons, and CSV files.

Each returns ``(xs, ys)``: a list of input rows and a list of targets. ``load_dataset`` finds
one by name (``demo``, ``moons`` or the path of a CSV file).

>>> xs, ys = demo()
>>> len(xs), len(xs[0]), ys
(4, 3, [1.0, -1.0, -1.0, 1.0])
>>> xs, ys = moons(10, seed=1)
>>> len(xs), sorted(set(ys))
(10, [-1.0, 1.0])
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
from collections.abc import Iterator

from micrograd.demo import XS, YS
from toolkit.files import FileFormatError, plain_number, read_text_bounded

__all__ = [
    "DELIMITERS",
    "MAX_CSV_BYTES",
    "DataFormatError",
    "demo",
    "load_csv",
    "load_dataset",
    "moons",
    "read_csv_rows",
]

Dataset = tuple[list[list[float]], list[float]]

MAX_CSV_BYTES = 16 * 1024 * 1024
"""The largest CSV file the readers accept (16 MiB, half a million rows of three numbers):
a file of this size costs at most about 1.1 GB of memory (``docs/limits.md``)."""


class DataFormatError(FileFormatError):
    """A data file that cannot be read as a data set; the message names the file and line,
    in one line of at most 300 characters (``toolkit.files.FileFormatError``)."""


def demo() -> Dataset:
    """The classic lecture's four points with three inputs and targets +-1."""
    return [list(x) for x in XS], list(YS)


def moons(n_samples: int = 100, *, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles in the plane, labelled -1 (upper) and +1 (lower), with
    Gaussian noise of standard deviation ``noise``, shuffled; all drawn from
    ``random.Random(seed)``. The same arguments always give the same points."""
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 2:
        raise ValueError(f"moons needs n_samples >= 2, got {n_samples!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"moons needs a finite noise >= 0, got {noise!r}")
    rng = random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    points: list[tuple[float, float, float]] = []
    for i in range(n_upper):
        angle = math.pi * i / max(n_upper - 1, 1)
        points.append((math.cos(angle), math.sin(angle), -1.0))
    for i in range(n_lower):
        angle = math.pi * i / max(n_lower - 1, 1)
        points.append((1.0 - math.cos(angle), 0.5 - math.sin(angle), 1.0))
    noisy = [
        (x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise), label) for x, y, label in points
    ]
    rng.shuffle(noisy)
    return [[x, y] for x, y, _ in noisy], [label for _, _, label in noisy]


def load_dataset(name: str) -> Dataset:
    """The data set called ``name``: ``demo`` (the lecture's four points), ``moons`` (100
    points, noise 0.1, seed 0) or the path of a CSV file, whatever its extension (see
    ``load_csv``). A folder, or a name that is neither, raises ``DataFormatError`` saying
    so; a missing file named like one (``points.csv``, ``data/x``) raises ``OSError``.

    >>> xs, ys = load_dataset("moons")
    >>> len(xs), len(xs[0])
    (100, 2)
    >>> load_dataset("iris")
    Traceback (most recent call last):
    ...
    toolkit.datasets.DataFormatError: unknown data set 'iris': choose demo, moons or a CSV file
    """
    if name == "demo":
        return demo()
    if name == "moons":
        return moons()
    if os.path.isdir(name):
        raise DataFormatError(f"{name} is a folder, not a data set: give demo, moons or a CSV file")
    if os.path.exists(name) or os.path.splitext(name)[1] or os.sep in name or "/" in name:
        return load_csv(name)
    raise DataFormatError(f"unknown data set {name!r}: choose demo, moons or a CSV file")


def load_csv(path: str | os.PathLike[str]) -> Dataset:
    """A data set from a CSV file: one row per sample, its inputs then its target, at least
    two columns, and an optional header row (see ``read_csv_rows``).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "xor.csv"
    >>> _ = path.write_text("a,b,target\\n0,1,1\\n1,1,-1\\n")
    >>> load_csv(path)
    ([[0.0, 1.0], [1.0, 1.0]], [1.0, -1.0])
    """
    rows = read_csv_rows(path)
    if len(rows[0]) < 2:
        raise DataFormatError(
            f"{os.fspath(path)}: a data set needs at least 2 columns (inputs, then the target),"
            f" got {len(rows[0])}"
        )
    return [row[:-1] for row in rows], [row[-1] for row in rows]


def read_csv_rows(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_CSV_BYTES
) -> list[list[float]]:
    """The rows of a CSV file of finite numbers, all with the same number of columns. A
    number is plain ASCII decimal (``-1.5``, ``2e-3``), spaces around it allowed; ``1_0``,
    other scripts' digits and a field holding a line break are refused.

    Files as spreadsheets and programs write them are read: a UTF-8 byte-order mark is
    skipped, and the fields may be separated by commas, semicolons, tabs, spaces (any run of
    them) or ``|`` (sniffed by ``csv.Sniffer`` from the first few kilobytes, or named by a
    first line such as ``sep=;``, which may name any character that cannot be part of a
    number). The first row is a header, and skipped, when none of its fields is a number.
    Blank lines are skipped. Anything else that is not a finite number raises
    ``DataFormatError`` naming the file, the line and the column, and saying how the fields
    were found to be separated; so do an empty file, a file over ``max_bytes``, a file that
    is not UTF-8 text and a JSON or XML file.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "points.csv"
    >>> _ = path.write_text("1 2\\n3  -4e-1\\n")
    >>> read_csv_rows(path)
    [[1.0, 2.0], [3.0, -0.4]]
    >>> _ = path.write_text("1,2\\n3,x\\n")
    >>> read_csv_rows(path)  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    toolkit.datasets.DataFormatError: .../points.csv: line 2, column 2: expected a number,
    got 'x' (fields separated by ',')
    >>> _ = path.write_text("\\ufeffx;y\\n1,5;2\\n")  # as a spreadsheet in Europe saves it
    >>> try:
    ...     read_csv_rows(path)
    ... except DataFormatError as error:
    ...     print(str(error).split(": ", 1)[1])  # doctest: +NORMALIZE_WHITESPACE
    line 2, column 1: expected a number, got '1,5'
    (fields separated by ';'); line 1 was read as a header
    """
    where = os.fspath(path)
    text = read_text_bounded(path, max_bytes=max_bytes, error=DataFormatError)
    text = text.removeprefix("\ufeff")
    start = text.lstrip()[:1]
    if start in ("{", "[", "<"):
        kind = "an XML" if start == "<" else "a JSON"
        raise DataFormatError(f"{where} is {kind} file, not a CSV file of numbers")
    delimiter, skip = _delimiter(text[: 2 * SNIFF_BYTES].splitlines())
    if delimiter in _NUMBER_CHARACTERS:
        raise DataFormatError(
            f"{where}: line 1: the separator {delimiter!r} named by 'sep=' can be part of a "
            "number; separate fields by ',', ';', tabs, spaces or '|'"
        )
    rows: list[list[float]] = []
    header = None
    found = _found(delimiter, header)
    lines = _lines(text)
    for _ in range(skip):
        next(lines)
    # Spaces separate fields as a run of any length, with none before the first field.
    reader = csv.reader(lines, delimiter=delimiter, strict=True, skipinitialspace=delimiter == " ")
    try:
        for fields in reader:
            line = reader.line_num + skip
            if delimiter == " " and fields and not fields[-1]:
                fields.pop()  # spaces after the last field
            if not fields or all(not field.strip() for field in fields):
                continue
            if any("\n" in field or "\r" in field for field in fields):
                raise DataFormatError(
                    f"{where}: line {line}: a quoted field holds a line break, which is no number"
                )
            if not rows and header is None and not any(_is_number(field) for field in fields):
                header = line  # the first line, when it holds no number
                found = _found(delimiter, header)
                continue
            if rows and len(fields) != len(rows[0]):
                raise DataFormatError(
                    f"{where}: line {line}: expected {len(rows[0])} columns like the"
                    f" rows before, got {len(fields)}{found}"
                )
            # Sized exactly: a list grown one item at a time keeps room for four.
            row = [0.0] * len(fields)
            at = f"{where}: line {line}"
            for i, field in enumerate(fields):
                row[i] = _finite(field, at, i + 1, found)
            rows.append(row)
    except csv.Error as error:
        raise DataFormatError(f"{where}: line {reader.line_num + skip}: {error}") from None
    if not rows:
        after = f" after the header on line {header}" if header else ""
        raise DataFormatError(f"{where}: no data rows{after}")
    return rows


SNIFF_BYTES = 4096
"""How much of a CSV file ``csv.Sniffer`` looks at to find the delimiter."""
DELIMITERS = ",;\t |"
"""The delimiters ``csv.Sniffer`` may find; a ``sep=`` line names any other."""
_NUMBER_CHARACTERS = "0123456789+-.eE"
_DELIMITER_NAMES = {"\t": "tabs", " ": "spaces"}


def _delimiter(lines: list[str]) -> tuple[str, int]:
    """The delimiter of a CSV file's ``lines``, and how many lines to skip: one for an
    explicit ``sep=;`` first line (as spreadsheets write), else none.

    >>> _delimiter(["sep=;", "1;2"]), _delimiter(["a\\tb", "1\\t2"]), _delimiter(["1", "2"])
    ((';', 1), ('\\t', 0), (',', 0))
    >>> _delimiter(["1 2 3", " 4  5   6"]), _delimiter(["1|2", "3|4"])
    ((' ', 0), ('|', 0))
    """
    if lines and len(lines[0]) == 5 and lines[0].lower().startswith("sep="):
        return lines[0][4], 1
    sample, size = [], 0
    for line in lines:
        sample.append(line)
        size += len(line) + 1
        if size >= SNIFF_BYTES:
            break
    try:
        return csv.Sniffer().sniff("\n".join(sample), delimiters=DELIMITERS).delimiter, 0
    except csv.Error:  # one column, rows of different lengths or runs of spaces
        pass
    # Then spaces, when every line has some between its fields and no other delimiter is
    # anywhere; else commas.
    rows = [line.strip(" ") for line in sample if line.strip(" ")]
    others = set(DELIMITERS) - {" "}
    if rows and all(" " in row for row in rows) and not others & set("".join(rows)):
        return " ", 0
    return ",", 0


def _found(delimiter: str, header: int | None) -> str:
    """What an error message says about how the file was read: the delimiter, and the line
    taken as a header, if one was.

    >>> _found(";", 1), _found(" ", None)
    (" (fields separated by ';'); line 1 was read as a header", ' (fields separated by spaces)')
    """
    name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    read_as_header = f"; line {header} was read as a header" if header else ""
    return f" (fields separated by {name}){read_as_header}"


_LINE = re.compile(r"[^\r\n]+(?:\r\n|\r|\n)?|\r\n|\r|\n")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their line breaks, one at a time (a list of them all would
    cost more memory than the numbers read from them).

    >>> list(_lines("1,2\\r\\n3,4\\n\\n5"))
    ['1,2\\r\\n', '3,4\\n', '\\n', '5']
    """
    for match in _LINE.finditer(text):
        yield match.group()


def _is_number(field: str) -> bool:
    text = field.strip(" \t")
    return plain_number(text) is not None or bool(_NON_FINITE.fullmatch(text))


def _finite(field: str, where: str, column: int, how: str = "") -> float:
    """``field`` as a float: plain ASCII decimal (``PLAIN_NUMBER``), spaces around it
    allowed, and finite.

    >>> _finite(" -2.5e1 ", "x.csv: line 1", 1)
    -25.0
    >>> _finite("1_0", "x.csv: line 1", 2)
    Traceback (most recent call last):
    ...
    toolkit.datasets.DataFormatError: x.csv: line 1, column 2: expected a number, got '1_0'
    """
    text = field.strip(" \t")
    number = plain_number(text)
    if number is not None:
        value = float(number)
        if math.isfinite(value):
            return value
    elif not _NON_FINITE.fullmatch(text):
        raise DataFormatError(f"{where}, column {column}: expected a number, got {text!r:.40}{how}")
    raise DataFormatError(
        f"{where}, column {column}: expected a finite number, got {text!r:.40}{how}"
    )
