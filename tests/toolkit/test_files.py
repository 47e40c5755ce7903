"""Atomic writes and bounded reads."""

from __future__ import annotations

import os
import time

import pytest

from toolkit.files import (
    FileTooLargeError,
    json_containers,
    json_containers_beyond,
    plain_number,
    read_text_bounded,
    write_text_atomic,
)


def test_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "a.json"
    write_text_atomic(path, "first")
    write_text_atomic(path, "second")
    assert path.read_text() == "second"
    assert os.listdir(tmp_path) == ["a.json"]


def test_failed_rename_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    write_text_atomic(path, "kept")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(path, "lost")
    assert path.read_text() == "kept"
    assert os.listdir(tmp_path) == ["a.json"]


def test_bounded_read_refuses_a_file_over_the_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("x" * 101)
    assert read_text_bounded(path, max_bytes=101) == "x" * 101
    with pytest.raises(FileTooLargeError, match="larger than the 100-byte limit"):
        read_text_bounded(path, max_bytes=100)


def test_atomic_write_gives_new_files_the_usual_mode_and_keeps_an_existing_mode(tmp_path):
    fresh = tmp_path / "fresh.json"
    write_text_atomic(fresh, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    kept.chmod(0o640)
    write_text_atomic(kept, "new")
    assert kept.stat().st_mode & 0o777 == 0o640


def test_bounded_read_refuses_a_pipe_instead_of_waiting_on_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # with no writer, merely opening it for reading would block
    with pytest.raises(ValueError, match="pipe: not a regular file"):
        read_text_bounded(fifo, max_bytes=100, error=ValueError)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ('{"a": [[], {}], "b": "[{"}', 4),
        ('["\\"[", "\\\\", []]', 2),  # an escaped quote, then an escaped backslash
        ('{"a": "unterminated [[', 1),
        ("[[[", 3),
    ],
)
def test_json_objects_and_lists_are_counted_outside_strings(text, count):
    assert json_containers(text) == count
    assert json_containers_beyond(text, count) is None
    assert json_containers_beyond(text, count - 1) == count


@pytest.mark.parametrize(
    "text",
    [
        "{" + "[" * 100_000 + '"' + '\\"' * 100_000,  # before: a scan from every quote
        '"\\' * 100_000,
        '"' * 200_000,
    ],
)
def test_counting_json_objects_takes_linear_time(text):
    started = time.perf_counter()
    json_containers(text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("text", "number"),
    [
        (" -2.5e1\t", "-2.5e1"),
        ("\r\n3.\n", "3."),
        ("\u00a02", None),  # a no-break space, refused as in any reader
        ("2\u2003", None),
        ("1_0", None),
        ("\u0663", None),
        ("nan", None),
    ],
)
def test_a_plain_number_is_ascii_with_ascii_spaces_around_it(text, number):
    assert plain_number(text) == number
