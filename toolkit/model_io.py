"""Trained models as JSON files: ``save_model`` and ``load_model``, a symmetric pair.

A model file is one JSON document a person can read and diff: the format's name and version,
the architecture, every parameter (``parameters.layers.0.neurons.1.w.2`` is the weight that
``MLP.named_parameters()`` calls ``layers.0.neurons.1.w.2``) and metadata. Floats are
written with ``repr`` and so read back bit for bit. Writes are atomic; reads are bounded and
validated, and every problem raises ``ModelFormatError`` naming its JSON path. The format is
described in ``docs/model-format.md``.

>>> import tempfile, pathlib
>>> from micrograd import MLP
>>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
>>> model = MLP(3, [4, 4, 1], seed=0)
>>> save_model(model, path, metadata={"note": "untrained"})
>>> loaded = load_model(path)
>>> loaded.model, loaded.metadata["note"]
(MLP(3 -> 4 tanh -> 4 tanh -> 1 tanh, 41 parameters), 'untrained')
>>> loaded.model([2.0, 3.0, -1.0]).data == model([2.0, 3.0, -1.0]).data
True
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import micrograd
from micrograd.losses import LOSSES
from micrograd.nn import ACTIVATIONS, MLP
from toolkit.files import (
    JSON_STRING,
    FileFormatError,
    json_containers_beyond,
    lone_surrogate,
    read_text_bounded,
    write_text_atomic,
)

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "MAX_METADATA_DEPTH",
    "MAX_PARAMETERS",
    "MAX_SIZE",
    "VERSION",
    "LoadedModel",
    "ModelFormatError",
    "architecture",
    "is_model_file",
    "load_model",
    "model_from_json",
    "model_to_json",
    "save_model",
    "too_many_parameters",
    "training_loss",
]

FORMAT = "micrograd-model"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024
"""The largest model file ``load_model`` reads by default (64 MiB: 2.5 million parameters
written as ``repr`` writes them)."""
MAX_PARAMETERS = 2_500_000
"""The most parameters a model file may hold: checked from the architecture before the
model is built, which costs about 500 bytes a parameter however short its file
(``docs/limits.md``); ``save_model`` writes no larger model."""
MAX_SIZE = 10_000_000
"""The largest input count or layer size a model file may declare."""
MAX_METADATA_DEPTH = 32
"""How deeply metadata may nest lists and objects."""

_BYTES_PER_OBJECT = 8
"""Fewer characters of JSON than a model file takes for each of its objects and lists."""
_KEYS = ("format", "version", "architecture", "parameters", "metadata")
_ARCHITECTURE_KEYS = ("inputs", "layers", "activation", "output_activation")
_STAMPED_KEYS = ("package_version", "written_at")


class ModelFormatError(FileFormatError):
    """A model, or a model file, that does not fit the format. The message starts with the
    JSON path of the problem, as in ``parameters.layers.1.neurons.2.w.0: expected a finite
    number, got "abc"`` (``load_model`` puts the file's path in front), and is one line of at
    most 300 characters (``toolkit.files.FileFormatError``)."""


@dataclass(frozen=True)
class LoadedModel:
    """What ``load_model`` gives: the ``model`` and the file's ``metadata``."""

    model: MLP
    metadata: dict[str, Any]


def save_model(
    model: MLP,
    path: str | os.PathLike[str],
    *,
    metadata: Mapping[str, Any] | None = None,
    written_at: datetime | None = None,
) -> None:
    """Write ``model`` and ``metadata`` to ``path`` as JSON, atomically: on any failure the
    previous file, if any, is left as it was. See ``model_to_json`` for what is refused and
    for ``written_at``."""
    write_text_atomic(path, model_to_json(model, metadata=metadata, written_at=written_at))


def load_model(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> LoadedModel:
    """Read a model file written by ``save_model``. A file over ``max_bytes``, one whose
    architecture holds more than ``MAX_PARAMETERS`` parameters, or one that is not a valid
    model file of this version, raises ``ModelFormatError`` saying where and what (a graph
    file is named as one); ``OSError`` (a missing file, say) passes through.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> _ = path.write_text('{"nodes": [], "edges": []}')
    >>> load_model(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.model_io.ModelFormatError: .../g.json is a graph file, not a model file
    """
    text = read_text_bounded(path, max_bytes=max_bytes, error=ModelFormatError)
    document: dict[str, Any] | None = None
    try:
        document = _parse(text)
        return _model_from_document(document)
    except ModelFormatError as error:
        problem = str(error)
    # Raised here, not in the handler, once the text and document are let go: the error
    # keeps no frame, and so nothing of the file, alive while a caller handles it.
    graph = _is_graph(text, document)
    del text, document
    if graph:
        raise ModelFormatError(f"{os.fspath(path)} is a graph file, not a model file")
    raise ModelFormatError(f"{os.fspath(path)}: {problem}")


def is_model_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> bool:
    """Whether ``path`` holds a JSON document whose ``format`` is a model file's, valid or
    not: what a reader of another kind of file checks to say what it was given instead.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
    >>> save_model(MLP(1, [1], seed=0), path)
    >>> is_model_file(path), is_model_file(__file__)
    (True, False)
    """
    try:
        text = read_text_bounded(path, max_bytes=max_bytes, error=ValueError)
    except (OSError, ValueError):
        return False
    return _has_model_format(text)


_FORMAT_PAIR = re.compile(rf'"format"\s*:\s*"{FORMAT}"')
_JSON_TOKEN = re.compile(rf"{JSON_STRING.pattern}|[^\"]+", re.DOTALL)


def _has_model_format(text: str) -> bool:
    """Whether ``text`` is a JSON object whose top level holds ``"format": FORMAT``, found
    without building any JSON value (a graph file of millions of lists costs nothing to look
    at): a search for the pair, then, if found, one walk over the strings of the text and
    what lies between them, counting brackets to know the depth of each string."""
    if not text.lstrip().startswith("{") or not _FORMAT_PAIR.search(text):
        return False
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        if token.group().startswith('"'):
            if depth == 1 and _FORMAT_PAIR.match(text, token.start()):
                return True
        else:
            part = token.group()
            depth += part.count("{") + part.count("[") - part.count("}") - part.count("]")
            if depth <= 0:
                return False
    return False


def _is_graph(text: str, document: dict[str, Any] | None) -> bool:
    """Whether a file that is no model file is a graph file (``toolkit.graph``): GraphML,
    or node-link JSON (its ``document``) with nodes and edges."""
    if document is None:
        return text.lstrip().startswith("<") and "<graphml" in text[:4096]
    return {"nodes", "edges"} <= document.keys()


def model_to_json(
    model: MLP, *, metadata: Mapping[str, Any] | None = None, written_at: datetime | None = None
) -> str:
    """The model file's text. ``metadata`` is any JSON-like mapping (strings, finite
    numbers, booleans, None, lists and string-keyed dicts); ``package_version`` and
    ``written_at`` are always set here, ``written_at`` to the given time or else
    ``SOURCE_DATE_EPOCH`` when that is set (the reproducible-builds convention: a build
    records that time, not the clock's) or else now. A non-finite parameter or metadata
    number raises ``ModelFormatError`` naming it.

    >>> text = model_to_json(MLP(1, [1], activation="linear", seed=0))
    >>> print(text[: text.index('"metadata"')].rstrip())
    {
      "format": "micrograd-model",
      "version": 1,
      "architecture": {
        "inputs": 1,
        "layers": [1],
        "activation": "linear",
        "output_activation": "linear"
      },
      "parameters": {
        "layers": [
          {
            "neurons": [
              {"w": [0.6888437030500962], "b": 0.515908805880605}
            ]
          }
        ]
      },
    """
    if not isinstance(model, MLP):
        raise TypeError(f"save_model needs an MLP, got {type(model).__name__}")
    too_many = too_many_parameters(model.nin, model.nouts)
    if too_many:
        raise _error("architecture", f"{too_many}; not saved")
    for name, value in model.state_dict().items():
        if not math.isfinite(value):
            raise ModelFormatError(
                f"parameters.{name}: expected a finite number, got {value}; not saved"
            )
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping, got {type(metadata).__name__}")
    stamped = {
        **(metadata or {}),
        "package_version": micrograd.__version__,
        "written_at": (written_at or _now()).astimezone(timezone.utc).isoformat(timespec="seconds"),
    }
    _check_json_like(stamped, "metadata")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture(model),
        "parameters": _parameter_tree(model),
        "metadata": stamped,
    }
    return _layout(document) + "\n"


def _now() -> datetime:
    """``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when set, else the clock's time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return datetime.now(timezone.utc)
    if not epoch.isdigit():
        raise ValueError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {epoch!r}")
    return datetime.fromtimestamp(int(epoch), timezone.utc)


def model_from_json(text: str) -> LoadedModel:
    """The model and metadata in a model file's ``text``; anything wrong raises
    ``ModelFormatError`` with the JSON path of the problem.

    >>> text = model_to_json(MLP(2, [1], seed=0)).replace('"b": ', '"b": "abc", "c": ')
    >>> model_from_json(text)
    Traceback (most recent call last):
    ...
    toolkit.model_io.ModelFormatError: parameters.layers.0.neurons.0.c: unexpected key
    """
    return _model_from_document(_parse(text))


def _model_from_document(document: dict[str, Any]) -> LoadedModel:
    # The format and version first: another version may well have other keys.
    for key in ("format", "version"):
        if key not in document:
            raise _error(key, "missing")
    if document["format"] != FORMAT:
        raise _error("format", f'expected "{FORMAT}", got {_show(document["format"])}')
    version = document["version"]
    if type(version) is not int:
        raise _error("version", f"expected an integer, got {_show(version)}")
    if version != VERSION:
        newer = " (written by a newer micrograd)" if version > VERSION else ""
        raise _error(
            "version", f"this micrograd reads version {VERSION}, got {_show(version)}{newer}"
        )
    _expect_keys(document, _KEYS, "")
    nin, nouts, activation, output_activation = _read_architecture(document["architecture"])
    # The parameters are checked against the architecture before the model is built, so
    # a small file cannot make a huge model; their lists are let go once read.
    values = _read_parameters(document.pop("parameters"), nin, nouts)
    metadata = document["metadata"]
    _check_json_like(metadata, "metadata")
    if not isinstance(metadata, dict):
        raise _error("metadata", f"expected an object, got {_show(metadata)}")
    for key in _STAMPED_KEYS:
        if not isinstance(metadata.get(key), str):
            raise _error(f"metadata.{key}", f"expected a string, got {_show(metadata.get(key))}")
    model = MLP(nin, nouts, activation, output_activation)
    # In the order of the file and of parameters(), all checked: no state dict of names.
    for parameter, value in zip(model.parameters(), values, strict=True):
        parameter.data = value
    return LoadedModel(model, metadata)


def architecture(model: MLP) -> dict[str, Any]:
    """The architecture as written in a model file: ``MLP``'s constructor arguments.

    >>> architecture(MLP(3, [4, 1], activation="relu", output_activation="linear"))
    {'inputs': 3, 'layers': [4, 1], 'activation': 'relu', 'output_activation': 'linear'}
    """
    per_neuron = [[n.activation for n in layer.neurons] for layer in model.layers]
    output_activation = per_neuron[-1][0]
    hidden = {name for layer in per_neuron[:-1] for name in layer}
    if len(hidden) > 1 or len(set(per_neuron[-1])) > 1:
        raise ModelFormatError(
            "architecture: the format holds one hidden and one output activation, this model "
            f"mixes {sorted({name for layer in per_neuron for name in layer})}"
        )
    return {
        "inputs": model.nin,
        "layers": model.nouts,
        "activation": hidden.pop() if hidden else output_activation,
        "output_activation": output_activation,
    }


def training_loss(metadata: Mapping[str, Any]) -> tuple[str, dict[str, float]] | None:
    """The loss a model was trained with, as its file's metadata records it: a name in
    ``micrograd.losses.LOSSES`` and its settings, or ``None`` when the metadata does not
    say. ``micrograd train`` records ``training.loss`` (a name); the moons experiment
    ``config.loss`` (a formula) with ``config.alpha``. A loss this micrograd does not know
    raises ``ModelFormatError``.

    >>> training_loss({"training": {"loss": "sum_of_squares"}})
    ('sum_of_squares', {})
    >>> training_loss({"config": {"loss": "mean(relu(1 - y * score)) + alpha * sum(p * p)",
    ...                           "alpha": 0.0001}})
    ('max_margin_l2', {'alpha': 0.0001})
    >>> training_loss({"note": "saved from a notebook"}) is None
    True
    """
    by_formula = {formula: name for name, formula in LOSSES.items()}
    for key in ("training", "config"):
        record = metadata.get(key)
        if not isinstance(record, Mapping) or "loss" not in record:
            continue
        recorded = record["loss"]
        name = None
        if isinstance(recorded, str):
            name = recorded if recorded in LOSSES else by_formula.get(recorded)
        if name is None:
            known = ", ".join(LOSSES)
            raise _error(f"metadata.{key}.loss", f"{_show(recorded)} is not a loss of {known}")
        settings = {}
        if name == "max_margin_l2":
            settings["alpha"] = _finite(record.get("alpha"), f"metadata.{key}.alpha")
        return name, settings
    return None


# -- reading ------------------------------------------------------------------------------


class _NonFinite:
    """Stands in for ``NaN``, ``Infinity`` or an overflowing number while parsing, so the
    check that finds it can say where it is."""

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_float(text: str) -> float | _NonFinite:
    number = float(text)
    return number if math.isfinite(number) else _NonFinite(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ModelFormatError(f"not a model file: the key {_show(key)} appears twice")
        result[key] = value
    return result


def _parse(text: str) -> dict[str, Any]:
    # Each JSON object or list costs about a hundred bytes once parsed, whatever its text;
    # a model file needs two per neuron (``{"w":[0],"b":0},`` is 16 bytes), and few more.
    limit = len(text) // _BYTES_PER_OBJECT + 16
    found = json_containers_beyond(text, limit)
    if found is not None:
        raise ModelFormatError(
            f"not a model file: {found:,} JSON objects and lists, more than a model file of "
            f"{len(text):,} characters holds ({limit:,})"
        )
    try:
        document = json.loads(
            text,
            parse_float=_parse_float,
            parse_constant=_NonFinite,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as error:
        raise ModelFormatError(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise ModelFormatError("not a model file: nested too deeply") from None
    except ModelFormatError:
        raise
    except ValueError as error:  # an integer of more than 4300 digits, say
        raise ModelFormatError(f"not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ModelFormatError(f"not a model file: expected a JSON object, got {_show(document)}")
    return document


def _read_architecture(found: Any) -> tuple[int, list[int], str, str]:
    _expect_keys(found, _ARCHITECTURE_KEYS, "architecture")
    nin = _positive_int(found["inputs"], "architecture.inputs")
    layers = found["layers"]
    if not isinstance(layers, list) or not layers:
        raise _error("architecture.layers", f"expected a list of layer sizes, got {_show(layers)}")
    nouts = [_positive_int(size, f"architecture.layers.{i}") for i, size in enumerate(layers)]
    too_many = too_many_parameters(nin, nouts)
    if too_many:
        raise _error("architecture", too_many)
    activations = []
    for key in ("activation", "output_activation"):
        if not isinstance(found[key], str) or found[key] not in ACTIVATIONS:
            known = ", ".join(f'"{name}"' for name in ACTIVATIONS)
            raise _error(f"architecture.{key}", f"expected one of {known}, got {_show(found[key])}")
        activations.append(found[key])
    return nin, nouts, activations[0], activations[1]


def too_many_parameters(nin: int, nouts: list[int]) -> str | None:
    """What is wrong with a model of ``nin`` inputs and layers ``nouts`` holding more than
    ``MAX_PARAMETERS`` parameters, or ``None``: a model file could not hold it.

    >>> too_many_parameters(3, [4, 4, 1]) is None, too_many_parameters(1000, [1000, 1000, 1000])
    (True, '3,003,000 parameters, more than the 2,500,000 a model file holds')
    """
    count = sum((fan_in + 1) * size for fan_in, size in zip([nin, *nouts], nouts))
    if count <= MAX_PARAMETERS:
        return None
    return f"{count:,} parameters, more than the {MAX_PARAMETERS:,} a model file holds"


def _read_parameters(tree: Any, nin: int, nouts: list[int]) -> list[float]:
    """The values held by ``parameters``, in the order of ``MLP.parameters()``, checked to
    have the architecture's shape: the mirror image of ``_parameter_tree``."""
    values: list[float] = []
    _expect_keys(tree, ("layers",), "parameters")
    layers = _expect_list(tree["layers"], len(nouts), "parameters.layers")
    for i, (layer, fan_in, size) in enumerate(zip(layers, [nin, *nouts], nouts)):
        name = f"layers.{i}"
        _expect_keys(layer, ("neurons",), f"parameters.{name}")
        neurons = _expect_list(layer["neurons"], size, f"parameters.{name}.neurons")
        for j, neuron in enumerate(neurons):
            prefix = f"{name}.neurons.{j}"
            _expect_keys(neuron, ("w", "b"), f"parameters.{prefix}")
            weights = _expect_list(neuron["w"], fan_in, f"parameters.{prefix}.w")
            # A float read from the file is finite (``_parse_float``): a path only for others.
            values += (
                weight if type(weight) is float else _finite(weight, f"parameters.{prefix}.w.{k}")
                for k, weight in enumerate(weights)
            )
            values.append(_finite(neuron["b"], f"parameters.{prefix}.b"))
    return values


def _expect_list(found: Any, length: int, path: str) -> list[Any]:
    if not isinstance(found, list):
        raise _error(path, f"expected a list of {length} items, got {_show(found)}")
    if len(found) != length:
        raise _error(path, f"expected {length} items (from the architecture), got {len(found)}")
    return found


def _expect_keys(found: Any, keys: tuple[str, ...], path: str) -> None:
    if not isinstance(found, dict):
        raise _error(path or "document", f"expected an object, got {_show(found)}")
    prefix = f"{path}." if path else ""
    for key in found:
        if key not in keys:
            raise _error(f"{prefix}{_key(key)}", "unexpected key")
    for key in keys:
        if key not in found:
            raise _error(f"{prefix}{key}", "missing")


def _finite(found: Any, path: str) -> float:
    if isinstance(found, (int, float)) and not isinstance(found, bool):
        try:
            number = float(found)
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number
    raise _error(path, f"expected a finite number, got {_show(found)}")


def _positive_int(found: Any, path: str) -> int:
    if type(found) is not int or not 1 <= found <= MAX_SIZE:
        raise _error(path, f"expected a whole number from 1 to {MAX_SIZE:,}, got {_show(found)}")
    return found


def _check_json_like(value: Any, path: str) -> None:
    """Refuse what JSON cannot hold exactly: non-finite numbers, non-string keys, text
    holding a lone surrogate (a ``\\ud800`` escape: not a character, so no UTF-8 file or
    terminal takes it), other types, and nesting deeper than ``MAX_METADATA_DEPTH``."""
    _check_json_value(value, [path])


def _check_json_value(node: Any, where: list[str]) -> None:
    """``_check_json_like`` for ``node``, whose JSON path has the steps ``where``. It
    recurses no deeper than ``MAX_METADATA_DEPTH``, and makes a path's text only for an
    error: checking costs no memory per value, whatever the metadata holds."""
    if len(where) > MAX_METADATA_DEPTH + 1:
        raise _error(".".join(where), f"nested deeper than {MAX_METADATA_DEPTH} levels")
    if isinstance(node, dict):
        for key, inner in node.items():
            if not isinstance(key, str):
                raise _error(".".join(where), f"keys must be strings, got {key!r:.40}")
            where.append(_key(key))
            _check_text(key, where)
            _check_json_value(inner, where)
            where.pop()
    elif isinstance(node, (list, tuple)):
        for i, inner in enumerate(node):
            where.append(str(i))
            _check_json_value(inner, where)
            where.pop()
    elif isinstance(node, (float, _NonFinite)):
        if not (isinstance(node, float) and math.isfinite(node)):
            _finite(node, ".".join(where))
    elif isinstance(node, str):
        _check_text(node, where)
    elif not (node is None or isinstance(node, (int, bool))):
        raise _error(".".join(where), f"expected a JSON value, got {type(node).__name__}")


def _check_text(text: str, where: list[str]) -> None:
    index = lone_surrogate(text)
    if index is not None:
        raise _error(
            ".".join(where),
            f"text with a lone surrogate ({text[index]!r} at character {index}), which is not "
            "a character: no UTF-8 file can hold it",
        )


def _show(value: Any) -> str:
    """A short description of a JSON value for an error message."""
    if isinstance(value, _NonFinite):
        return value.text
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and abs(value) >= 10**40:
        return f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, str) and len(value) > 40:
        return json.dumps(value[:40], ensure_ascii=False)[:-1] + '..."'
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    """A key as a step of a JSON path, shortened if it is very long."""
    return key if len(key) <= 40 else f"{key[:40]}..."


def _error(path: str, problem: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: {problem}")


# -- writing ------------------------------------------------------------------------------


def _parameter_tree(model: MLP) -> dict[str, Any]:
    """The parameters nested as the model holds them: layers, neurons, then ``w`` and ``b``."""
    return {
        "layers": [
            {"neurons": [{"w": [w.data for w in n.w], "b": n.b.data} for n in layer.neurons]}
            for layer in model.layers
        ]
    }


def _layout(value: Any, indent: int = 0, in_list: bool = False) -> str:
    """JSON text, indented by two spaces, that keeps a list of numbers (a weight vector, a
    loss history) on one line, and likewise a flat object inside a list (a neuron)."""
    if _is_flat(value) and (in_list or not isinstance(value, dict) or not value):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {_layout(item, indent + 2)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    items = [f"{inner}{_layout(item, indent + 2, in_list=True)}" for item in value]
    return "[\n" + ",\n".join(items) + f"\n{pad}]"


def _is_flat(value: Any) -> bool:
    """A scalar, an empty container, a list of scalars, or an object whose values are scalars
    or lists of scalars."""
    if isinstance(value, dict):
        return all(_is_scalar(v) or _is_scalar_list(v) for v in value.values())
    return _is_scalar(value) or _is_scalar_list(value)


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(map(_is_scalar, value))


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple))
