"""Safe file primitives shared by every reader and writer of the toolkit.

Writes are atomic: the text goes to a temporary file in the same folder, is flushed and
fsynced, then renamed over the target, so a crash or an error never leaves a half-written
file and never loses the previous one. Reads are bounded: a file larger than the limit is
refused before it is read. Every reader's format error derives from ``FileFormatError``,
whose message is always one printable line of at most ``MAX_ERROR_CHARS`` characters
(``one_line``): whatever a file holds, its error cannot split a line, drive a terminal or
flood a screen.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
>>> write_text_atomic(path, "hello")
>>> read_text_bounded(path, max_bytes=100)
'hello'
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from pathlib import Path

__all__ = [
    "JSON_STRING",
    "MAX_ERROR_CHARS",
    "PLAIN_NUMBER",
    "FileFormatError",
    "FileTooLargeError",
    "json_containers",
    "json_containers_beyond",
    "lone_surrogate",
    "one_line",
    "plain_number",
    "read_bytes_bounded",
    "read_text_bounded",
    "write_bytes_atomic",
    "write_text_atomic",
]

MAX_ERROR_CHARS = 300
"""The longest message a reader's format error carries, in characters."""

PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A number as a person or a program writes it in a text file: ASCII decimal digits, an
optional sign, point and exponent (``fullmatch`` it; no two parts can match the same
digits, so it takes linear time on any text). ``float`` alone takes more: ``1_0``, digits
of other scripts (``\u0663``), ``infinity`` and surrounding whitespace.

>>> [bool(PLAIN_NUMBER.fullmatch(t)) for t in ["-1.5e3", "2.", ".5", "1_0", "\u0663", "nan"]]
[True, True, True, False, False, False]
"""

_NUMBER_SPACE = " \t\r\n"


def plain_number(text: str) -> str | None:
    """``text`` without the ASCII spaces, tabs and line breaks around it, when what remains
    is a plain number (``PLAIN_NUMBER``); else ``None``. The one rule every reader of numbers
    in text keeps: other spaces (a no-break space, say) are no more part of a number than
    other digits are.

    >>> plain_number(" -2.5e1\t"), plain_number("\u00a02"), plain_number("1_0")
    ('-2.5e1', None, None)
    """
    stripped = text.strip(_NUMBER_SPACE)
    return stripped if PLAIN_NUMBER.fullmatch(stripped) else None


JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
"""A JSON string, from its opening quote to its closing one, or to the end of the text when
it has none. From a quote it matches at its first try, without backtracking, so no part of
a text is scanned twice: a scan of any text with it takes linear time.

>>> [match.group() for match in JSON_STRING.finditer('{"a": "b", "c')]
['"a"', '"b"', '"c']
"""


def json_containers(text: str) -> int:
    """How many JSON objects and lists ``text`` holds: its ``{`` and ``[`` outside strings.
    Linear in the length of the text; a copy of it at most is the memory it costs.

    >>> json_containers('{"a": [[], {}], "b": "[{"}')
    4
    """
    bare = JSON_STRING.sub("", text) if '"' in text else text
    return bare.count("{") + bare.count("[")


def json_containers_beyond(text: str, limit: int) -> int | None:
    """How many JSON objects and lists ``text`` holds when that is more than ``limit``, else
    ``None``: what a reader checks before it parses, since Python's JSON parser builds every
    value first and an object or list costs about a hundred bytes however short its text
    (``[]`` is two). Counting every bracket, in strings too, is fast and usually enough.

    >>> json_containers_beyond('{"a": [[], {}]}', 3), json_containers_beyond('["[[[["]', 3)
    (4, None)
    """
    if text.count("{") + text.count("[") <= limit:
        return None
    found = json_containers(text)
    return found if found > limit else None


def one_line(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` as one printable line of at most ``limit`` characters: control and other
    unprintable characters (a newline, an escape, a lone surrogate) are written as Python
    escapes, and a long text is cut, ending in ``...``.

    >>> one_line("two\\nlines\\x1b[31m")
    'two\\\\nlines\\\\x1b[31m'
    >>> one_line("x" * 20, limit=10)
    'xxxxxxx...'
    """
    head = text[: limit + 1]  # each character is at least one of the line: enough to look at
    if not head.isprintable():
        head = "".join(c if c.isprintable() else repr(c)[1:-1] for c in head)
    return head if len(head) <= limit and len(text) <= limit else head[: limit - 3] + "..."


class FileFormatError(ValueError):
    """A file a reader refuses. The message, already at construction, is one printable line
    of at most ``MAX_ERROR_CHARS`` characters (``one_line``), so input quoted in it cannot
    break a log or a terminal.

    >>> FileFormatError("data.csv: line 2: got 'a\\x1bb'").args[0]
    "data.csv: line 2: got 'a\\\\x1bb'"
    >>> len(str(FileFormatError("x" * 10_000)))
    300
    """

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(str(message)))


class FileTooLargeError(FileFormatError):
    """A file is larger than a reader is willing to read."""


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text`` (what a JSON escape such as
    ``\\ud800`` reads as: not a character, and not writable as UTF-8), or ``None``.

    >>> lone_surrogate("fine \\U0001f600"), lone_surrogate("bad \\ud800")
    (None, 4)
    """
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, as ``write_bytes_atomic`` does."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: all of it or, on any failure, nothing (the
    previous file, if any, stays as it was and no temporary file is left behind).

    The temporary file is ``.NAME.PID.RANDOM.tmp`` beside the target. A process killed
    outright (``kill -9``, a power cut) cannot remove its own; the next successful write to
    the same path removes those whose process no longer runs, so at most one per killed
    writer waits there until then."""
    target = Path(path)
    fd, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
    )
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
    _remove_abandoned_temporaries(target)


def _remove_abandoned_temporaries(target: Path) -> None:
    """Remove the temporary files of writes to ``target`` by processes that no longer run."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.([0-9]+)\.[^.]+\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            match = pattern.fullmatch(entry.name)
            if match and not _running(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process, or not a pid at all
        return True
    return True


def read_bytes_bounded(
    path: str | os.PathLike[str],
    *,
    max_bytes: int,
    error: type[ValueError] = FileTooLargeError,
) -> bytes:
    """The bytes of ``path``. A file over ``max_bytes``, or not a regular file (a pipe, a
    device), raises ``error`` (the reader's own format error) with a message naming the
    file, before anything is read; ``OSError`` (a missing file, no permission) passes
    through.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> _ = path.write_bytes(b"hello")
    >>> read_bytes_bounded(path, max_bytes=4, error=ValueError)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../note.txt: larger than the 4-byte limit
    """
    where = os.fspath(path)
    # Opening a pipe blocks until a writer comes, and a device may never end: only a
    # regular file is opened.
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise error(f"{where}: not a regular file")
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > max_bytes:
            raise error(f"{where}: larger than the {max_bytes:,}-byte limit")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew while being read
        raise error(f"{where}: larger than the {max_bytes:,}-byte limit")
    return data


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
    data = read_bytes_bounded(path, max_bytes=max_bytes, error=error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as decoding:
        raise error(f"{os.fspath(path)}: not UTF-8 text (byte {decoding.start})") from None


def _existing_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
