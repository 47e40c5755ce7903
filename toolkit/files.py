"""Safe file primitives shared by every reader and writer of the toolkit.

Writes are atomic: the text goes to a temporary file in the same folder, is flushed and
fsynced, then renamed over the target, so a crash or an error never leaves a half-written
file and never loses the previous one. Reads are bounded: a file larger than the limit is
refused before it is read.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
>>> write_text_atomic(path, "hello")
>>> read_text_bounded(path, max_bytes=100)
'hello'
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["FileTooLargeError", "read_text_bounded", "write_bytes_atomic", "write_text_atomic"]


class FileTooLargeError(ValueError):
    """A file is larger than a reader is willing to read."""


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, as ``write_bytes_atomic`` does."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: all of it or, on any failure, nothing (the
    previous file, if any, stays as it was and no temporary file is left behind)."""
    target = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode an ordinary write would.
        os.fchmod(fd, _existing_mode(target) or 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def read_text_bounded(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    error: type[ValueError] = FileTooLargeError,
) -> str:
    """The UTF-8 text of ``path``. A file over ``max_bytes``, not UTF-8, or not a regular
    file (a pipe, a device) raises ``error``
    (the reader's own format error) with a message naming the file; ``OSError`` (a missing
    file, no permission) passes through.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "latin1.txt"
    >>> _ = path.write_bytes(bytes([99, 97, 102, 233]))  # "café" in Latin-1
    >>> read_text_bounded(path, max_bytes=100, error=ValueError)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../latin1.txt: not UTF-8 text (byte 3)
    """
    where = os.fspath(path)
    # Opening a pipe blocks until a writer comes, and a device may never end: only a
    # regular file is opened.
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise error(f"{where}: not a regular file")
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(f"{where}: larger than the {max_bytes:,}-byte limit")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as decoding:
        raise error(f"{where}: not UTF-8 text (byte {decoding.start})") from None


def _existing_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
