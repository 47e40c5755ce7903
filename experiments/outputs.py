"""Result files written the same way every time, so the same run gives the same bytes, and
results folders that are replaced whole or not at all.

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

A whole run is staged (``replacing``): inside ``with replacing(out):``, ``results_folder(out)``
is a temporary folder beside ``out``, and ``out`` gets its files only when the block ends
without an error. Interrupted (Ctrl-C, SIGTERM) or failed, the previous results stay as they
were and the temporary folder is removed. Every experiment command does this for you
(``experiments.options.output_options``); from Python, wrap the run:

>>> from experiments import loss_curve
>>> out = pathlib.Path(tempfile.mkdtemp()) / "lc"
>>> with replacing(out):
...     summary = loss_curve.run(loss_curve.Config(seeds=(0,), steps=2), out)
>>> sorted(path.name for path in out.iterdir())[:3]
['config.json', 'curves.csv', 'loss_curve.png']
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

from toolkit.files import write_text_atomic

__all__ = [
    "ResultsExistError",
    "check_target",
    "publish",
    "replacing",
    "results_folder",
    "source_date",
    "write_csv",
    "write_json",
]

MARKER = "config.json"
"""The file every experiment writes into its results folder: a folder without one is not
replaced, even with ``force``."""

_staged: dict[Path, Path] = {}
"""The results folders being written now: target (absolute) -> its temporary folder."""


class ResultsExistError(FileExistsError):
    """The results folder already holds results and replacing them was not asked for, or it
    holds something that is not an experiment's results."""


def results_folder(path: str | Path) -> Path:
    """The folder to write ``path``'s results into: the temporary folder of a run being
    staged for ``path`` (``replacing``), or else ``path`` itself, created with its parents
    if need be.

    >>> import tempfile, pathlib
    >>> results_folder(pathlib.Path(tempfile.mkdtemp()) / "a" / "b").is_dir()
    True
    """
    folder = Path(path)
    staging = _staged.get(folder.absolute())
    if staging is not None:
        return staging
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_target(path: str | Path, *, force: bool) -> None:
    """Refuse ``path`` as a results folder before any work: a file, or a folder that holds
    something, unless ``force`` and it holds an experiment's results (a ``config.json``).
    An empty folder, or none, is fine.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_target(folder / "new", force=False)
    >>> _ = (folder / "config.json").write_text("{}")
    >>> check_target(folder, force=False)
    Traceback (most recent call last):
    ...
    experiments.outputs.ResultsExistError: ... holds results already; pass --force to replace them
    """
    target = Path(path)
    if not os.path.lexists(target):
        return
    if not target.is_dir() or target.is_symlink():
        raise ResultsExistError(f"{target} exists and is not a folder")
    if not any(target.iterdir()):
        return
    if not (target / MARKER).is_file():
        raise ResultsExistError(
            f"{target} is not empty and holds no experiment's results (no {MARKER}); "
            "choose another folder"
        )
    if not force:
        raise ResultsExistError(f"{target} holds results already; pass --force to replace them")


@contextlib.contextmanager
def replacing(path: str | Path, *, force: bool = True) -> Iterator[Path]:
    """Stage a run's results for ``path``: yield a temporary folder beside it (which
    ``results_folder(path)`` also gives), then, when the block ends without an error, put
    it in place of ``path`` (old results renamed away, new ones renamed in, old ones
    deleted). On an error or an interruption (KeyboardInterrupt; SIGTERM is turned into one
    here) the temporary folder and any parent folders made for it are removed and ``path``
    is left as it was. ``check_target`` refuses a bad ``path`` first; an ``OSError`` means
    the folder cannot be written, before any work.
    """
    target = Path(path).absolute()
    if target in _staged:  # already staged by an enclosing block: that block publishes
        yield _staged[target]
        return
    check_target(target, force=force)
    made = _make_parents(target.parent)
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        )
    except BaseException:
        _remove_parents(made)
        raise
    staging.chmod(0o777 & ~_umask())
    _staged[target] = staging
    try:
        with _sigterm_interrupts():
            yield staging
            publish(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_parents(made)
        raise
    finally:
        _staged.pop(target, None)


def publish(path: str | Path) -> None:
    """Put the staged results of ``path`` in its place now (nothing to do if they are not
    staged, or already published): ``options.report`` calls this before it says where the
    results are."""
    target = Path(path).absolute()
    staging = _staged.pop(target, None)
    if staging is None:
        return
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rename(target, old / target.name)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old / target.name, target)
        old.rmdir()
        _staged[target] = staging  # the caller's cleanup removes it
        raise
    shutil.rmtree(old, ignore_errors=True)


def source_date() -> datetime:
    """The time an experiment records where a file must hold one: ``SOURCE_DATE_EPOCH``
    (the reproducible-builds convention) when it is set, else the Unix epoch, never the
    clock, so that reruns write the same bytes.

    >>> source_date().isoformat() if "SOURCE_DATE_EPOCH" not in os.environ else None
    '1970-01-01T00:00:00+00:00'
    """
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    seconds = int(text) if text.isdigit() else 0
    return datetime.fromtimestamp(seconds, timezone.utc)


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


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, innermost first."""
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    try:
        for made in reversed(missing):
            made.mkdir()
    except BaseException:
        _remove_parents(missing)
        raise
    return missing


def _remove_parents(made: list[Path]) -> None:
    for folder in made:  # innermost first; only while empty
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt, as Ctrl-C does, so that the
    staged results are cleaned up (only in the main thread, where signals are handled)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt("terminated")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
