"""Model files: bit-exact round trips, what is written, and atomic saves that lose nothing."""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd
from micrograd import MLP
from micrograd.nn import ACTIVATIONS
from toolkit.cli_model import fit
from toolkit.datasets import demo
from toolkit.model_io import (
    FORMAT,
    VERSION,
    LoadedModel,
    ModelFormatError,
    is_model_file,
    load_model,
    model_from_json,
    model_to_json,
    save_model,
)

finite_floats = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def models(draw):
    """A random architecture with random finite parameters, extreme ones included."""
    model = MLP(
        draw(st.integers(1, 4)),
        draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)),
        activation=draw(st.sampled_from(list(ACTIVATIONS))),
        output_activation=draw(st.sampled_from(list(ACTIVATIONS))),
        seed=draw(st.integers(0, 2**32)),
    )
    state = model.state_dict()
    for name in draw(st.lists(st.sampled_from(list(state)), unique=True)):
        state[name] = draw(
            st.one_of(finite_floats, st.sampled_from([-0.0, 5e-324, 1.7976931348623157e308]))
        )
    model.load_state_dict(state)
    return model


def bits(values):
    """Floats as hex, so that -0.0 and 0.0 differ and equality is bit for bit."""
    return [value.hex() for value in values]


@given(models(), st.lists(st.floats(-3, 3), min_size=4, max_size=4))
def test_round_trip_is_bit_exact_for_any_architecture_and_parameters(model, xs):
    loaded = model_from_json(model_to_json(model))
    assert repr(loaded.model) == repr(model)
    assert [layer.activation for layer in loaded.model.layers] == [
        layer.activation for layer in model.layers
    ]
    assert bits(loaded.model.state_dict().values()) == bits(model.state_dict().values())
    x = xs[: model.nin]
    before, after = model(x), loaded.model(x)
    if isinstance(before, list):
        before, after = before[0], after[0]
    assert math.isnan(before.data) or before.data.hex() == after.data.hex()


def test_a_saved_file_loads_to_a_model_that_predicts_bit_for_bit_the_same(tmp_path):
    model = MLP(3, [4, 4, 1], seed=3)
    save_model(model, tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    assert isinstance(loaded, LoadedModel)
    rng = random.Random(0)
    for _ in range(20):
        x = [rng.uniform(-3, 3) for _ in range(3)]
        assert loaded.model(x).data == model(x).data
    with pytest.raises(AttributeError):
        loaded.model = None  # the result is frozen


def test_file_is_readable_json_with_each_neuron_on_one_line(tmp_path):
    model = MLP(3, [4, 4, 1], seed=0)
    save_model(model, tmp_path / "m.json")
    text = (tmp_path / "m.json").read_text()
    document = json.loads(text)
    assert document["format"] == FORMAT and document["version"] == VERSION
    assert document["architecture"] == {
        "inputs": 3,
        "layers": [4, 4, 1],
        "activation": "tanh",
        "output_activation": "tanh",
    }
    lines = text.splitlines()
    neurons = [neuron for layer in model.layers for neuron in layer.neurons]
    for neuron in neurons:
        line = json.dumps({"w": [w.data for w in neuron.w], "b": neuron.b.data})
        assert f"          {line}" in lines or f"          {line}," in lines
    assert sum('"w": ' in line for line in lines) == len(neurons)
    # A parameter's JSON path is its name in named_parameters().
    for name, parameter in model.named_parameters():
        node = document["parameters"]
        for key in name.split("."):
            node = node[int(key)] if isinstance(node, list) else node[key]
        assert node == parameter.data


def test_metadata_is_kept_and_stamped_with_version_and_time(tmp_path):
    training = {"data": "demo", "lr": 0.05, "loss_history": [2.5, 0.125], "notes": None}
    save_model(MLP(2, [1]), tmp_path / "m.json", metadata={"training": training})
    metadata = load_model(tmp_path / "m.json").metadata
    assert metadata["training"] == training
    assert metadata["package_version"] == micrograd.__version__
    written = datetime.fromisoformat(metadata["written_at"])
    assert abs(datetime.now(timezone.utc) - written) < timedelta(minutes=1)


def test_resaving_loaded_metadata_restamps_it(tmp_path):
    save_model(MLP(2, [1]), tmp_path / "a.json", metadata={"note": "x"})
    loaded = load_model(tmp_path / "a.json")
    stale = {**loaded.metadata, "written_at": "2001-01-01T00:00:00+00:00"}
    save_model(loaded.model, tmp_path / "b.json", metadata=stale)
    again = load_model(tmp_path / "b.json").metadata
    assert again["note"] == "x" and again["written_at"] != "2001-01-01T00:00:00+00:00"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_parameter_is_refused_at_save_naming_it(tmp_path, bad):
    model = MLP(2, [3, 1], seed=0)
    model.layers[1].neurons[0].w[2].data = bad
    with pytest.raises(ModelFormatError) as error:
        save_model(model, tmp_path / "m.json")
    assert str(error.value) == (
        f"parameters.layers.1.neurons.0.w.2: expected a finite number, got {bad}; not saved"
    )
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"training": {"loss_history": [1.0, math.nan]}}, r"metadata\.training\.loss_history\.1: "),
        ({"when": datetime(2020, 1, 1)}, r"metadata\.when: expected a JSON value, got datetime"),
        ({"counts": {1: 2}}, r"metadata\.counts: keys must be strings, got 1"),
        ({"deep": json.loads("[" * 40 + "]" * 40)}, "nested deeper than 32 levels"),
    ],
)
def test_metadata_json_cannot_hold_exactly_is_refused_at_save(tmp_path, metadata, message):
    with pytest.raises(ModelFormatError, match=message):
        save_model(MLP(2, [1]), tmp_path / "m.json", metadata=metadata)
    assert os.listdir(tmp_path) == []


def test_mixed_activations_the_format_cannot_hold_are_refused_at_save():
    model = MLP(2, [2, 2, 1])
    model.layers[1].neurons[0].activation = "relu"
    with pytest.raises(ModelFormatError, match="this model mixes"):
        model_to_json(model)


def test_only_an_mlp_can_be_saved(tmp_path):
    with pytest.raises(TypeError, match="save_model needs an MLP, got Layer"):
        save_model(MLP(2, [1]).layers[0], tmp_path / "m.json")


# -- nothing lost -------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    """A folder holding one saved model, and its text."""
    path = tmp_path / "model.json"
    save_model(MLP(3, [4, 1], seed=1), path)
    return path, path.read_text()


def test_overwriting_replaces_the_whole_file_and_leaves_nothing_else(saved):
    path, _ = saved
    save_model(MLP(3, [2, 1], seed=2), path)
    assert repr(load_model(path).model) == "MLP(3 -> 2 tanh -> 1 tanh, 11 parameters)"
    assert os.listdir(path.parent) == ["model.json"]


def test_failed_rename_keeps_the_old_file_and_no_temporary(saved, monkeypatch):
    path, old = saved

    def failing_replace(source, target):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        save_model(MLP(3, [8, 1], seed=2), path)
    assert path.read_text() == old
    assert os.listdir(path.parent) == ["model.json"]


def test_write_failing_half_way_keeps_the_old_file_and_no_temporary(saved, monkeypatch):
    path, old = saved
    real_fdopen = os.fdopen
    written = []

    class DiskFullHalfWay:
        """A file handle that writes half the text, then fails as a full disk does."""

        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            self.handle.close()

        def write(self, text):
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            written.append(os.path.getsize(self.handle.name))
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: DiskFullHalfWay(real_fdopen(*a, **k)))
    big = MLP(3, [50, 1], seed=2)
    with pytest.raises(OSError, match="No space left"):
        save_model(big, path)
    assert written[0] > 1000  # the half file really was on disk before the failure
    assert path.read_text() == old
    assert os.listdir(path.parent) == ["model.json"]


def test_interrupt_before_the_rename_keeps_the_old_file(saved, monkeypatch):
    path, old = saved

    def interrupted_fsync(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        save_model(MLP(3, [8, 1], seed=2), path)
    assert path.read_text() == old
    assert os.listdir(path.parent) == ["model.json"]


def test_a_model_that_cannot_be_saved_leaves_the_old_file_untouched(saved):
    path, old = saved
    model = MLP(3, [4, 1])
    model.layers[0].neurons[0].b.data = math.nan
    with pytest.raises(ModelFormatError):
        save_model(model, path)
    assert path.read_text() == old
    assert os.listdir(path.parent) == ["model.json"]


def test_save_into_a_missing_folder_fails_cleanly():
    folder = Path(tempfile.mkdtemp())
    with pytest.raises(FileNotFoundError):
        save_model(MLP(2, [1]), folder / "missing" / "m.json")
    assert os.listdir(folder) == []


def test_the_documented_example_is_the_reference_model_and_loads():
    docs = Path(__file__).parents[2] / "docs" / "model-format.md"
    text = docs.read_text()
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    loaded = model_from_json(example)
    model, record = fit(*demo(), layers=[4, 4, 1], steps=50, lr=0.05, seed=0)
    assert loaded.model.state_dict() == model.state_dict()
    assert loaded.metadata["training"] == {"data": "demo", **record}
    assert f"The file\nis {len(example.encode()):,} bytes." in text


# -- recognising a model file without reading it as one ------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"version": 9, "format": "micrograd-model", "x": [}', True),  # valid or not
        ('  {"a": {"b": [1, "x"]}, "format" : "micrograd-model"}', True),
        ('{"a": {"format": "micrograd-model"}}', False),  # not at the top
        ('{"a": "\\"format\\": \\"micrograd-model\\""}', False),  # inside a string
        ('{"a\\"format": "micrograd-model"}', False),  # the key is a\"format
        ('["format", "micrograd-model"]', False),
        ('{"format": "micrograd-graph"}', False),
        ("{" + "[" * 100_000, False),
    ],
)
def test_a_model_file_is_recognised_by_its_top_level_format(tmp_path, text, expected):
    path = tmp_path / "file.json"
    path.write_text(text)
    assert is_model_file(path) is expected


def test_recognising_a_model_file_builds_no_json_values(tmp_path, monkeypatch):
    # Before: the whole document was parsed: 491 MB for a 14 MB graph file of lists.
    path = tmp_path / "model.json"
    save_model(MLP(2, [2, 1], seed=0), path)
    monkeypatch.setattr(json, "loads", None)
    monkeypatch.setattr(json, "load", None)
    assert is_model_file(path)
