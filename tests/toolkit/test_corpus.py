"""Every input that ever broke a reader, kept in ``tests/corpus`` (``graph/``, ``model/``,
``csv/``): each is refused with the reader's documented error, in one printable line of at
most 300 characters that names the file. Add a file here with each fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.datasets import DataFormatError, read_csv_rows
from toolkit.files import MAX_ERROR_CHARS
from toolkit.graph import GraphFormatError, load_graph
from toolkit.model_io import ModelFormatError, load_model

CORPUS = Path(__file__).parents[1] / "corpus"
READERS = {
    "graph": (load_graph, GraphFormatError),
    "model": (load_model, ModelFormatError),
    "csv": (read_csv_rows, DataFormatError),
}
FILES = sorted(path for kind in READERS for path in (CORPUS / kind).iterdir())


def test_the_corpus_has_files_for_every_reader():
    assert {path.parent.name for path in FILES} == set(READERS)


@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_file_that_once_broke_a_reader_gives_its_one_line_error(path):
    read, error_type = READERS[path.parent.name]
    with pytest.raises(error_type) as caught:
        read(path)
    message = str(caught.value)
    assert type(caught.value) is error_type
    assert message.startswith(f"{path}: ")
    assert len(message) <= MAX_ERROR_CHARS
    assert message.isprintable(), message
