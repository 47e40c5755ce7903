"""Atomic writes and bounded reads."""

from __future__ import annotations

import os

import pytest

from toolkit.files import FileTooLargeError, read_text_bounded, write_text_atomic


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
