"""The built-in data sets."""

from __future__ import annotations

import re

import pytest

from micrograd.demo import XS, YS
from toolkit.datasets import (
    DataFormatError,
    demo,
    load_csv,
    load_dataset,
    moons,
    read_csv_rows,
)


def test_demo_is_the_lecture_points():
    xs, ys = demo()
    assert xs == [list(x) for x in XS] and ys == list(YS)


def test_moons_are_seeded_balanced_and_noisy_around_two_arcs():
    xs, ys = moons(100, noise=0.1, seed=0)
    assert (xs, ys) == moons(100, noise=0.1, seed=0)
    assert moons(100, seed=1) != (xs, ys)
    assert len(xs) == 100 and ys.count(1.0) == 50 and ys.count(-1.0) == 50
    clean_xs, clean_ys = moons(100, noise=0.0, seed=0)
    for (x, y), label in zip(clean_xs, clean_ys):
        centre = (0.0, 0.0) if label == -1.0 else (1.0, 0.5)
        assert abs((x - centre[0]) ** 2 + (y - centre[1]) ** 2 - 1.0) < 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"n_samples": 1}, "n_samples"), ({"noise": -1.0}, "noise")]
)
def test_moons_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        moons(**kwargs)


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_rows_are_inputs_then_target_with_an_optional_header(tmp_path):
    rows = "0.5,-1,2e-3,1\n3,4,5,-1\n"
    expected = ([[0.5, -1.0, 0.002], [3.0, 4.0, 5.0]], [1.0, -1.0])
    assert load_csv(write(tmp_path, rows)) == expected
    assert load_csv(write(tmp_path, "x1, x2, x3, y\n" + rows, "named.csv")) == expected


def test_csv_skips_blank_lines_and_reads_windows_line_ends(tmp_path):
    path = write(tmp_path, "")
    path.write_bytes(b"1,2\r\n\r\n3,4\r\n\n")
    assert load_csv(path) == ([[1.0], [3.0]], [2.0, 4.0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3\n4,5,abc\n", "line 2, column 3: expected a number, got 'abc'"),
        ("a,b\n1,2\n3,x\n", "line 3, column 2: expected a number, got 'x'"),
        ("1,nan\n", "line 1, column 2: expected a finite number, got 'nan'"),
        ("1,2\n3,-inf\n", "line 2, column 2: expected a finite number, got '-inf'"),
        ("1,2,3\n\n4,5\n", "line 3: expected 3 columns like the rows before, got 2"),
        ("1,2\n3,4,5\n", "line 2: expected 2 columns like the rows before, got 3"),
        ("", "no data rows"),
        ("x,y\n", "no data rows"),
        ('1,"2\n', "line 1: unexpected end of data"),
        ('1,2\n3,"4"x\n', "line 2: ',' expected after '\"'"),
        ("1,2\n3,\x004\n", "line 2, column 2: expected a number"),
    ],
)
def test_bad_csv_is_refused_naming_the_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataFormatError, match=message) as error:
        read_csv_rows(path)
    assert str(error.value).startswith(f"{path}: ")


def test_csv_with_one_column_is_no_data_set(tmp_path):
    with pytest.raises(DataFormatError, match="needs at least 2 columns"):
        load_csv(write(tmp_path, "1\n2\n"))


def test_csv_that_is_not_text_or_too_large_is_refused(tmp_path):
    path = write(tmp_path, "")
    path.write_bytes(b"1,2\n\xff\xfe,3\n")
    with pytest.raises(DataFormatError, match="not UTF-8 text"):
        read_csv_rows(path)
    path = write(tmp_path, "1,2\n" * 100)
    with pytest.raises(DataFormatError, match="larger than the 100-byte limit"):
        read_csv_rows(path, max_bytes=100)


def test_data_sets_are_found_by_name_or_csv_path(tmp_path):
    assert load_dataset("demo") == demo()
    assert load_dataset("moons") == moons()
    path = write(tmp_path, "1,2,3\n", "Points.CSV")
    assert load_dataset(str(path)) == ([[1.0, 2.0]], [3.0])
    with pytest.raises(ValueError, match=r"unknown data set 'iris'"):
        load_dataset("iris")
    with pytest.raises(FileNotFoundError):
        load_dataset(str(tmp_path / "missing.csv"))
    with pytest.raises(FileNotFoundError):
        load_dataset("points.txt")  # named like a file: missing, not an unknown name


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('x,y\n1,"3\n4"\n', "line 3: a quoted field holds a line break"),
        ("x,y\n1_0,2\n", "line 2, column 1: expected a number, got '1_0'"),
        ("x,y\n\u0663,2\n", "line 2, column 1: expected a number, got '\u0663'"),
        ("x,y\n\uff11,2\n", "line 2, column 1: expected a number, got '\uff11'"),
        ("x,y\n0x10,2\n", "expected a number, got '0x10'"),
        ("x,y\n1,Infinity\n", "expected a finite number, got 'Infinity'"),
    ],
)
def test_only_plain_ascii_decimal_numbers_are_read(tmp_path, text, message):
    with pytest.raises(DataFormatError, match=message):
        read_csv_rows(write(tmp_path, text))


def test_spaces_around_numbers_and_every_decimal_form_are_fine(tmp_path):
    rows = read_csv_rows(write(tmp_path, "x,y\n 1.5 ,-2\n.5,3.\n+1e3,-2E-2\n"))
    assert rows == [[1.5, -2.0], [0.5, 3.0], [1000.0, -0.02]]


@pytest.mark.parametrize(
    "field", ["9" * 120_000, "1" + "0" * 119_999, "\x1b[2J\x1b[31m" + "x" * 120_000]
)
def test_a_huge_or_hostile_field_gives_one_short_printable_line(tmp_path, field):
    with pytest.raises(DataFormatError) as error:
        read_csv_rows(write(tmp_path, f"x,y\n1,{field}\n"))
    message = str(error.value)
    assert message.isprintable() and len(message) <= 300
    assert "line 2, column 2: expected a" in message


# -- separators ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1 2 1\n2 1 -1\n",  # before: line 1 taken as a header, then line 2 refused
        "x1 x2 y\n1  2  1\n 2 1 -1 \n",  # runs of spaces, spaces at either end
        "1|2|1\n2|1|-1\n",
        "x1|x2|y\r\n1 | 2 | 1\r\n2 | 1 | -1\r\n",
        "1, 2, 1\n2, 1, -1\n",  # spaces after commas: still commas
    ],
)
def test_space_and_pipe_separated_files_are_read(tmp_path, text):
    assert read_csv_rows(write(tmp_path, text)) == [[1.0, 2.0, 1.0], [2.0, 1.0, -1.0]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 2 1\n2 1\n", r"line 2: expected 3 columns like the rows before, got 2 \(fields se"),
        ("1|2\n3|x\n", r"line 2, column 2: expected a number, got 'x' \(fields separated by '\|'"),
        ("1 2\n3 x\n", r"got 'x' \(fields separated by spaces\)"),
        ("1,2\n3,x\n", r"got 'x' \(fields separated by ','\)"),
        ("a;b\n1;x\n", r"got 'x' \(fields separated by ';'\); line 1 was read as a header"),
    ],
)
def test_a_file_that_cannot_be_read_says_how_its_fields_were_separated(tmp_path, text, message):
    with pytest.raises(DataFormatError, match=message) as error:
        read_csv_rows(write(tmp_path, text))
    assert len(str(error.value)) <= 300


@pytest.mark.parametrize("separator", ["e", "E", ".", "1", "0", "-", "+"])
def test_a_separator_that_can_be_part_of_a_number_is_refused(tmp_path, separator):
    # Before: "sep=e" read "1e2" as the two numbers 1 and 2.
    path = write(tmp_path, f"sep={separator}\n1{separator}2\n")
    with pytest.raises(
        DataFormatError, match=f"line 1: the separator {re.escape(repr(separator))}"
    ):
        read_csv_rows(path)


def test_a_named_separator_that_is_no_part_of_a_number_is_used(tmp_path):
    assert read_csv_rows(write(tmp_path, "sep=:\n1:2e3\n")) == [[1.0, 2000.0]]


@pytest.mark.parametrize("padding", ["\u00a0", "\u2003"])
def test_a_number_padded_with_other_spaces_is_refused(tmp_path, padding):
    with pytest.raises(DataFormatError, match="line 1, column 2: expected a number"):
        read_csv_rows(write(tmp_path, f"1,{padding}2\n"))
