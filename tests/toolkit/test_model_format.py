"""Reading model files is reading untrusted input: every problem is one ModelFormatError
whose message names the file and the JSON path of the problem."""

from __future__ import annotations

import copy
import json

import pytest

from micrograd import MLP
from toolkit.model_io import ModelFormatError, load_model, model_to_json, save_model

VALID = json.loads(model_to_json(MLP(3, [4, 4, 1], seed=0), metadata={"note": "ok"}))


def set_at(path, value):
    """A change to the valid document: set the value at a dotted JSON path."""

    def change(document):
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value

    return change


def delete_at(path):
    def change(document):
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[int(last) if isinstance(node, list) else last]

    return change


def append_at(path, value):
    def change(document):
        node = document
        for key in path.split("."):
            node = node[int(key)] if isinstance(node, list) else node[key]
        node.append(value)

    return change


def write_changed(tmp_path, change):
    document = copy.deepcopy(VALID)
    change(document)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document, indent=1))
    return path


def load_error(path, **kwargs) -> str:
    with pytest.raises(ModelFormatError) as error:
        load_model(path, **kwargs)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    return message.removeprefix(f"{path}: ")


NEURON = "parameters.layers.1.neurons.2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # another format, or a newer version
        (set_at("format", "keras"), 'format: expected "micrograd-model", got "keras"'),
        (
            set_at("version", 2),
            "version: this micrograd reads version 1, got 2 (written by a newer micrograd)",
        ),
        (set_at("version", 0), "version: this micrograd reads version 1, got 0"),
        (set_at("version", "1"), 'version: expected an integer, got "1"'),
        (set_at("version", True), "version: expected an integer, got true"),
        (delete_at("version"), "version: missing"),
        (delete_at("format"), "format: missing"),
        # missing or extra keys
        (delete_at("parameters"), "parameters: missing"),
        (set_at("comment", "hi"), "comment: unexpected key"),
        (set_at("k" * 10_000, 1), f"{'k' * 40}...: unexpected key"),
        (delete_at(f"{NEURON}.b"), f"{NEURON}.b: missing"),
        (set_at(f"{NEURON}.bias", 0.1), f"{NEURON}.bias: unexpected key"),
        (delete_at("architecture.output_activation"), "architecture.output_activation: missing"),
        (delete_at("metadata.written_at"), "metadata.written_at: expected a string, got null"),
        # wrong shapes
        (
            append_at(f"{NEURON}.w", 0.5),
            f"{NEURON}.w: expected 4 items (from the architecture), got 5",
        ),
        (
            delete_at(f"{NEURON}.w.3"),
            f"{NEURON}.w: expected 4 items (from the architecture), got 3",
        ),
        (
            delete_at("parameters.layers.1.neurons.3"),
            "parameters.layers.1.neurons: expected 4 items (from the architecture), got 3",
        ),
        (
            append_at("parameters.layers", {"neurons": [{"w": [0.5], "b": 0.5}]}),
            "parameters.layers: expected 3 items (from the architecture), got 4",
        ),
        (
            set_at("architecture.layers", [4, 4, 1, 1]),
            "parameters.layers: expected 4 items (from the architecture), got 3",
        ),
        (
            set_at("architecture.inputs", 2),
            "parameters.layers.0.neurons.0.w: expected 2 items (from the architecture), got 3",
        ),
        (
            set_at("architecture.layers", [4, 4]),
            "parameters.layers: expected 2 items (from the architecture), got 3",
        ),
        (set_at(f"{NEURON}.w", 0.5), f"{NEURON}.w: expected a list of 4 items, got 0.5"),
        (set_at("parameters.layers.0", [1, 2]), "parameters.layers.0: expected an object, got"),
        # strings, booleans, nulls where numbers belong
        (set_at(f"{NEURON}.w.0", "abc"), f'{NEURON}.w.0: expected a finite number, got "abc"'),
        (set_at(f"{NEURON}.b", True), f"{NEURON}.b: expected a finite number, got true"),
        (set_at(f"{NEURON}.b", None), f"{NEURON}.b: expected a finite number, got null"),
        (set_at(f"{NEURON}.b", [1.0]), f"{NEURON}.b: expected a finite number, got a list of 1"),
        # a bad architecture
        (
            set_at("architecture.inputs", 0),
            "architecture.inputs: expected a whole number from 1 to 10,000,000, got 0",
        ),
        (set_at("architecture.inputs", 3.0), "architecture.inputs: expected a whole number from 1"),
        (set_at("architecture.layers", []), "architecture.layers: expected a list of layer sizes"),
        (
            set_at("architecture.layers.1", -4),
            "architecture.layers.1: expected a whole number from 1",
        ),
        (
            set_at("architecture.inputs", 10**400),
            "architecture.inputs: expected a whole number from 1 to 10,000,000, "
            "got an integer of 401 digits",
        ),
        (
            set_at("architecture.activation", "softmax"),
            'architecture.activation: expected one of "tanh", "relu", "sigmoid", "linear", got',
        ),
        (set_at("architecture.activation", ["tanh"]), "architecture.activation: expected one of"),
        (set_at("architecture", "3-4-4-1"), 'architecture: expected an object, got "3-4-4-1"'),
        # metadata
        (set_at("metadata", [1]), "metadata: expected an object, got a list of 1 items"),
        (set_at("metadata.note", "x" * 100), None),  # long strings are fine
    ],
)
def test_malformed_document_names_the_json_path(tmp_path, change, message):
    path = write_changed(tmp_path, change)
    if message is None:
        assert load_model(path).metadata["note"] == "x" * 100
        return
    assert load_error(path).startswith(message)


def first_weight_replaced(tmp_path, replacement, metadata=None):
    """A model file whose parameters.layers.0.neurons.0.w.1 reads ``replacement``."""
    text = model_to_json(MLP(2, [1], seed=0), metadata=metadata)
    weight = json.loads(text)["parameters"]["layers"][0]["neurons"][0]["w"][1]
    path = tmp_path / "model.json"
    path.write_text(text.replace(repr(weight), replacement, 1))
    return path


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused_where_they_stand(tmp_path, literal):
    path = first_weight_replaced(tmp_path, literal)
    assert load_error(path) == (
        f"parameters.layers.0.neurons.0.w.1: expected a finite number, got {literal}"
    )
    text = model_to_json(MLP(2, [1]), metadata={"history": [1.0, 2.0]})
    path.write_text(text.replace("[1.0, 2.0]", f"[1.0, {literal}]"))
    assert load_error(path) == f"metadata.history.1: expected a finite number, got {literal}"


def test_numbers_too_large_for_a_float_are_refused(tmp_path):
    where = "parameters.layers.0.neurons.0.w.1: expected a finite number, got"
    assert load_error(first_weight_replaced(tmp_path, "1e400")) == f"{where} 1e400"
    path = first_weight_replaced(tmp_path, "1" + "0" * 400)
    assert load_error(path) == f"{where} an integer of 401 digits"
    path = first_weight_replaced(tmp_path, "1" + "0" * 5000)
    assert load_error(path).startswith("not valid JSON: Exceeds the limit (4300 digits)")


def test_integers_are_read_as_floats(tmp_path):
    text = model_to_json(MLP(1, [1], activation="linear", seed=0))
    document = json.loads(text)
    document["parameters"]["layers"][0]["neurons"][0] = {"w": [2], "b": -1}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    assert load_model(path).model([3.0]).data == 5.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "not valid JSON: Expecting value at line 1, column 1"),
        ("", "not valid JSON: Expecting value at line 1, column 1"),
        ("[1, 2]", "not a model file: expected a JSON object, got a list of 2 items"),
        ('"model"', 'not a model file: expected a JSON object, got "model"'),
        ('{"format": 1, "format": 2}', 'not a model file: the key "format" appears twice'),
        ("[" * 5000 + "]" * 5000 + " " * 80_000, "not a model file: nested too deeply"),
        (
            "[" + "[]," * 999 + "[]]",
            "not a model file: 1,001 JSON objects and lists, more than a model file of 3,001 "
            "characters holds (391)",
        ),
    ],
)
def test_text_that_is_not_a_model_document_is_refused(tmp_path, text, message):
    path = tmp_path / "model.json"
    path.write_text(text)
    assert load_error(path) == message


def test_truncated_file_is_refused_with_the_place_it_stops(tmp_path):
    text = model_to_json(MLP(3, [4, 4, 1]))
    path = tmp_path / "model.json"
    path.write_text(text[: len(text) // 2])
    assert load_error(path).startswith("not valid JSON: ")
    assert "line " in load_error(path)


def test_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b'{"format": "\xff"}')
    assert load_error(path) == "not UTF-8 text (byte 12)"


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(model_to_json(MLP(3, [4, 4, 1])))
    size = path.stat().st_size
    assert load_model(path, max_bytes=size).model.nin == 3
    with pytest.raises(ModelFormatError, match=f"larger than the {size - 1:,}-byte limit"):
        load_model(path, max_bytes=size - 1)


def test_architecture_claiming_a_huge_model_is_refused_before_building_it(tmp_path):
    path = write_changed(tmp_path, set_at("architecture.layers", [10**7, 10**7, 1]))
    assert load_error(path) == (
        "architecture: 100,000,060,000,001 parameters, more than the 2,500,000 a model file holds"
    )


def test_deep_metadata_is_refused(tmp_path):
    path = write_changed(tmp_path, set_at("metadata.note", json.loads("[" * 500 + "]" * 500)))
    assert load_error(path).startswith("metadata.note.0.0.0.")
    assert load_error(path).endswith(": nested deeper than 32 levels")


def test_missing_file_is_an_os_error_not_a_format_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.json")


# -- text that would break later, and messages that stay one short line ----------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (set_at("metadata.note", "a\ud800b"), "metadata.note: text with a lone surrogate"),
        (set_at("metadata.\udfff", 1), "metadata.\\udfff: text with a lone surrogate"),
        (set_at("metadata.note", ["ok", {"k": "\udc80"}]), "metadata.note.1.k: text with a lone"),
    ],
)
def test_a_lone_surrogate_anywhere_in_metadata_is_refused(tmp_path, change, message):
    path = write_changed(tmp_path, change)
    assert load_error(path).startswith(message)


def test_what_loads_can_be_shown_and_saved_again(tmp_path):
    path = write_changed(tmp_path, set_at("metadata.note", "\U0001f600 \u00e9 \\u escapes"))
    loaded = load_model(path)
    again = tmp_path / "again.json"
    save_model(loaded.model, again, metadata=loaded.metadata)
    assert load_model(again).metadata["note"] == "\U0001f600 \u00e9 \\u escapes"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            set_at("architecture.in\nputs\x1b[2J", 3),
            "architecture.in\\nputs\\x1b[2J: unexpected key",
        ),
        (
            set_at("version", int("1" * 4000)),
            "version: this micrograd reads version 1, got an integer of 4000 digits",
        ),
        (
            set_at("format", "\x1b]0;title\x07"),
            'format: expected "micrograd-model", got "\\u001b]0',
        ),
    ],
)
def test_errors_are_one_printable_line_of_bounded_length(tmp_path, change, expected):
    message = load_error(write_changed(tmp_path, change))
    assert message.startswith(expected)
    assert message.isprintable() and len(message) <= 300


# -- memory a file can cost ----------------------------------------------------------------


def test_an_architecture_of_more_parameters_than_a_file_holds_is_refused_first(tmp_path):
    # Before: the parameters were read, then a model of any size was built (1,000,000
    # parameters written as 0, a 2 MB file, cost 730 MB).
    architecture = {"inputs": 2000, "layers": [2000, 1]}
    path = write_changed(tmp_path, lambda d: d["architecture"].update(architecture))
    assert load_error(path) == (
        "architecture: 4,004,001 parameters, more than the 2,500,000 a model file holds"
    )


def test_a_model_of_more_parameters_than_a_file_holds_is_not_saved(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    save_model(MLP(3, [4, 4, 1], seed=0), path)  # 41 parameters
    monkeypatch.setattr("toolkit.model_io.MAX_PARAMETERS", 40)
    with pytest.raises(ModelFormatError, match=r"41 parameters, more than the 40 .*; not saved"):
        save_model(MLP(3, [4, 4, 1], seed=0), tmp_path / "other.json")
    with pytest.raises(ModelFormatError, match="architecture: 41 parameters, more than the 40"):
        load_model(path)


def test_a_refused_file_is_parsed_once_and_its_error_keeps_nothing_of_it(tmp_path, monkeypatch):
    # Before: a file that is no model was parsed again to see whether it is a graph file,
    # while the error still held the first parse (50 times the file's size in all).
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"nodes": list(range(1000)), "edges": []}))
    parses = []
    original = json.loads
    monkeypatch.setattr(json, "loads", lambda *a, **k: parses.append(1) or original(*a, **k))
    with pytest.raises(ModelFormatError, match="is a graph file, not a model file") as caught:
        load_model(path)
    assert len(parses) == 1
    error = caught.value
    assert error.__context__ is None
    frames = []
    traceback = error.__traceback__
    while traceback is not None:
        frames.append(traceback.tb_frame)
        traceback = traceback.tb_next
    held = [name for frame in frames for name in frame.f_locals if name in ("text", "document")]
    assert held == []
