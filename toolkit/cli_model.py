"""The model commands: ``micrograd train``, ``micrograd predict`` and ``micrograd model show``.

Models live in JSON files (``toolkit.model_io``). The commands parse, call the library and
print; bad usage or input is one line on stderr and exit code 2, a failure while running
(a loss that stops being finite, a failed write) exit code 1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from micrograd.nn import ACTIVATIONS, MLP
from micrograd.train import NonFiniteLossError
from toolkit.cli_types import (
    DATA_HINT,
    EAGER_HELP,
    FORCE_HELP,
    NUMPY_HELP,
    BadFile,
    FiniteFloat,
    FiniteNumbers,
    FinitePositiveFloat,
    LayerSizes,
    Progress,
    Seed,
    Steps,
    check_output,
    check_suffix,
    data_errors,
    echo_json,
    input_file_errors,
    number_text,
    one_line,
    replay_options,
)
from toolkit.datasets import load_dataset, read_csv_rows
from toolkit.model_io import (
    FORMAT,
    VERSION,
    LoadedModel,
    ModelFormatError,
    architecture,
    load_model,
    save_model,
    too_many_parameters,
)
from toolkit.sparkline import sparkline
from toolkit.training import DEFAULT_BATCH_ROWS, FULL_BATCH_ROWS, TrainingTooLarge, fit, outputs

__all__ = ["COMMANDS", "DATA_METAVAR", "DataSet"]

DATA_METAVAR = "demo|moons|FILE"
MAX_KEY_CHARS = 40
"""``model show`` cuts a metadata key (a dotted path) to this many characters."""
MAX_VALUE_CHARS = 80
"""``model show`` cuts a metadata value to this many characters."""
MODEL_FORMATS = {".json": "json"}
"""A model file is JSON, and its name says so."""

# -- parameter types ----------------------------------------------------------------------


class DataSet(click.ParamType):
    """A data set by name, ``demo`` or ``moons``, or the path of a CSV file (whatever its
    extension); converts to ``(name, xs, ys)``."""

    name = DATA_METAVAR

    def convert(self, value, param, ctx) -> tuple[str, list[list[float]], list[float]]:
        if isinstance(value, tuple):
            return value
        with data_errors(value):
            xs, ys = load_dataset(value)
        return value, xs, ys


class InputNumber(FiniteFloat):
    """One number of a command's INPUTS (``predict model.json 2 3 -1``). The command takes
    tokens that start with ``-`` as numbers, so a mistyped option (``--inpt``) is told as
    the unknown option it is, not as a bad number."""

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, str) and value.startswith("-"):
            try:
                float(value)
            except ValueError:
                raise click.NoSuchOption(value, ctx=ctx) from None
        return super().convert(value, param, ctx)


class InputRow(click.ParamType):
    """One input row as comma-separated finite numbers, ``2,3,-1``, as ``graph export
    --input`` takes it. An existing file is the old spelling of ``--data FILE`` and
    converts to its ``Path``."""

    name = "x1,x2,..."

    def convert(self, value, param, ctx) -> tuple[float, ...] | Path:
        if isinstance(value, (tuple, Path)):
            return value
        if os.path.isfile(value):
            return Path(value)
        return FiniteNumbers().convert(value, param, ctx)


# -- commands -----------------------------------------------------------------------------

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("train")
@click.option(
    "--data",
    type=DataSet(),
    metavar=DATA_METAVAR,
    default="demo",
    show_default=True,
    help="demo, moons (100 points, noise 0.1), or a CSV file (any name; separated by commas, "
    "semicolons, tabs, spaces or |): inputs then target per row.",
)
@click.option(
    "--layers",
    type=LayerSizes(),
    default="4,4,1",
    show_default=True,
    help="Layer sizes after the inputs; the last must be 1 (one target).",
)
@click.option(
    "--activation",
    type=click.Choice(list(ACTIVATIONS)),
    default="tanh",
    show_default=True,
    help="Activation of the hidden layers.",
)
@click.option(
    "--output-activation",
    type=click.Choice(list(ACTIVATIONS)),
    help="Activation of the last layer.  [default: same as --activation]",
)
@click.option("--steps", type=Steps(), default=50, show_default=True, help="SGD steps.")
@click.option(
    "--lr", type=FinitePositiveFloat(), default=0.05, show_default=True, help="Learning rate."
)
@click.option(
    "--seed",
    type=Seed(),
    default=0,
    show_default=True,
    help="Seed of the initial parameters and of the order of the mini-batches.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help=f"Rows per SGD step: each epoch a fresh shuffle of the rows from --seed, cut into "
    f"batches of this size (a size of at least the row count: every row, in order).  "
    f"[default: every row up to {FULL_BATCH_ROWS:,} rows, else {DEFAULT_BATCH_ROWS:,}]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Model file to write (JSON, named .json).",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.option("--eager", is_flag=True, help=EAGER_HELP)
@click.option("--numpy", is_flag=True, help=NUMPY_HELP)
def train_command(
    data: tuple[str, list[list[float]], list[float]],
    layers: tuple[int, ...],
    activation: str,
    output_activation: str | None,
    steps: int,
    lr: float,
    seed: int,
    batch_size: int | None,
    output: Path,
    force: bool,
    eager: bool,
    numpy: bool,
) -> None:
    """Train an MLP on a data set (sum-of-squares loss, plain SGD) and save it as JSON.

    The input count comes from the data. Prints the loss at every step (on a terminal, a
    step counter instead for runs over 100 steps). Nothing is written if the loss stops
    being finite. A data set of more than 1,000 rows trains on mini-batches (a step: one
    batch), and a step whose memory would not fit in 1 GB even without compiling is
    refused before any work, with the estimate.

    \b
    Example:
      micrograd train --data demo --layers 4,4,1 --steps 50 --lr 0.05 --seed 0 -o model.json
    """
    name, xs, ys = data
    too_many = too_many_parameters(len(xs[0]), list(layers))
    if too_many:  # found now, not when saving after the training
        message = f"{too_many}; use fewer or smaller layers"
        raise click.BadParameter(message, param_hint="'--layers'")
    replay = replay_options(eager, numpy)
    _model_file_name(output)
    check_output(output, force)
    with Progress() as progress:

        def note(text: str) -> None:
            progress.clear()
            click.echo(f"note: {text}", err=True)

        try:
            trained, record = fit(
                xs,
                ys,
                layers=layers,
                activation=activation,
                output_activation=output_activation,
                steps=steps,
                lr=lr,
                seed=seed,
                batch_size=batch_size,
                on_step=progress.loss_reporter(steps),
                on_status=progress.status if progress.shown else None,
                on_note=note,
                **replay,
            )
        except TrainingTooLarge as error:
            advice = f"--batch-size {error.largest_batch}" if error.largest_batch else "--layers"
            raise click.UsageError(f"{error}: pass {advice}") from None
        except NonFiniteLossError as error:
            raise click.ClickException(f"{error}; no model written") from None
        progress.status(f"writing {output}")
        try:
            save_model(trained, output, metadata={"training": {"data": name, **record}})
        except OSError as error:
            raise click.ClickException(
                f"cannot write {output}: {error.strerror or error}"
            ) from None
    final = number_text(record["final_loss"])
    click.echo(f"wrote {output}: {trained}, loss after the last step {final}")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("model_file", type=_EXISTING_FILE)
@click.argument("inputs", nargs=-1, type=InputNumber())
@click.option(
    "--input",
    "input_row",
    type=InputRow(),
    metavar="X1,X2,...",
    help="One input row as comma-separated numbers (the same as INPUTS).",
)
@click.option(
    "--data",
    metavar=DATA_METAVAR,
    help="Every input row of a data set: demo, moons or a CSV file (any name), one row per "
    "line; a last target column is ignored.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outputs as one JSON document.")
def predict(
    model_file: Path,
    inputs: tuple[float, ...],
    input_row: tuple[float, ...] | Path | None,
    data: str | None,
    as_json: bool,
) -> None:
    """Print a saved model's output for one input row (INPUTS, or --input X1,X2,...) or
    for every row of a data set (--data).

    Outputs are printed in full precision, one row per line.

    \b
    Examples:
      micrograd predict model.json 2 3 -1
      micrograd predict model.json --input 2,3,-1
      micrograd predict model.json --data points.csv --json
    """
    if isinstance(input_row, Path):  # the old spelling of --data FILE
        click.echo(f"note: use --data {input_row} for a file of input rows", err=True)
        input_row, data = None, str(input_row)
    given = [bool(inputs), input_row is not None, data is not None]
    if sum(given) != 1:
        raise click.UsageError(
            "give one of INPUTS, --input X1,X2,... or --data DATASET (not several, not none)"
        )
    loaded = _load(model_file)
    nin = loaded.model.nin
    if data is not None:
        rows = _data_rows(data, nin)
    else:
        row = list(inputs) if inputs else list(input_row or ())
        if len(row) != nin:
            raise click.UsageError(f"the model takes {nin} inputs, got {len(row)}")
        rows = [row]
    results = [outputs(loaded.model, row) for row in rows]
    if as_json:
        # One list per input row, whatever the model's output count: a fixed shape to parse.
        echo_json({"model": str(model_file), "outputs": results})
    else:
        for result in results:
            click.echo(" ".join(repr(value) for value in result))


@click.group()
def model() -> None:
    """Commands about model files.

    \b
    Example:
      micrograd model show model.json
    """


@model.command()
@click.argument("model_file", type=_EXISTING_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def show(model_file: Path, as_json: bool) -> None:
    """Show a model file: architecture, parameter count, how it was trained, and its loss
    history as a sparkline.

    \b
    Example:
      micrograd model show model.json --json
    """
    loaded = _load(model_file)
    summary = {
        "file": str(model_file),
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture(loaded.model),
        "parameters": len(loaded.model.parameters()),
        "metadata": loaded.metadata,
    }
    if as_json:
        echo_json(summary)
        return
    rows = [("file", str(model_file)), ("format", f"{FORMAT} version {VERSION}")]
    rows += [("architecture", _architecture_text(loaded.model))]
    rows += [("parameters", str(summary["parameters"]))]
    rows += [(key, _metadata_text(key, value)) for key, value in _flatten(loaded.metadata)]
    # Text from the file is escaped and cut, so that it cannot rewrite the terminal or
    # split a row (the JSON document keeps it whole).
    rows = [(one_line(key, MAX_KEY_CHARS), one_line(text)) for key, text in rows]
    width = max(len(key) for key, _ in rows)
    for key, text in rows:
        click.echo(f"{key:<{width}}  {text}")


COMMANDS: list[click.Command] = [train_command, predict, model]


# -- helpers of the commands --------------------------------------------------------------


def _model_file_name(output: Path) -> None:
    """Refuse an output name that does not say JSON, before any work."""
    check_suffix(output, MODEL_FORMATS, "a model file is JSON, so its name must end in .json")


def _load(path: Path) -> LoadedModel:
    """The model file at ``path``, or a one-line ``BadFile`` saying what is wrong with it,
    or what it is instead (a graph file, JSON that names no format: an experiment's
    summary, say)."""
    try:
        with input_file_errors(path, ModelFormatError):
            return load_model(path)
    except BadFile as error:
        if str(error.message).endswith(": format: missing"):  # load_model's word for it
            raise BadFile(
                f"{path} is not a model file: it has no 'format' field "
                f'(a model file\'s is "{FORMAT}")'
            ) from None
        raise


def _data_rows(data: str, nin: int) -> list[list[float]]:
    """The input rows of ``--data``: a built-in data set's inputs, or a CSV file's rows of
    ``nin`` numbers, optionally followed by a target. Anything else is refused as
    ``train --data`` refuses it."""
    built_in = data in ("demo", "moons")
    with data_errors(data):
        if built_in or not os.path.isfile(data):
            rows = load_dataset(data)[0]  # a built-in set, or the error saying what is wrong
        else:
            rows = read_csv_rows(data)
    if built_in and len(rows[0]) != nin:
        raise click.BadParameter(
            f"{data} has {len(rows[0])} inputs per row but the model takes {nin}",
            param_hint=DATA_HINT,
        )
    if len(rows[0]) not in (nin, nin + 1):
        raise click.BadParameter(
            f"{data}: rows have {len(rows[0])} columns; the model takes {nin} inputs"
            " (optionally followed by a target)",
            param_hint=DATA_HINT,
        )
    return [row[:nin] for row in rows]


def _architecture_text(mlp: MLP) -> str:
    return repr(mlp).removeprefix("MLP(").rsplit(",", 1)[0]


def _flatten(metadata: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Metadata as (dotted key, value) pairs, objects opened up."""
    pairs: list[tuple[str, Any]] = []
    for key, value in metadata.items():
        if isinstance(value, dict) and value:
            pairs += _flatten(value, f"{prefix}{key}.")
        else:
            pairs.append((f"{prefix}{key}", value))
    return pairs


def _metadata_text(key: str, value: Any) -> str:
    """A metadata value for ``model show``: a loss history as a sparkline, a loss to six
    significant digits, text as it is, anything else as JSON; cut at ``MAX_VALUE_CHARS``
    characters, control characters escaped.

    >>> _metadata_text("training.loss_history", [4.0, 2.0, 1.0])
    '█▅▁  (3 values, 4 -> 1, log scale)'
    >>> _metadata_text("final_loss", 0.012856366566275437), _metadata_text("note", "a\\x1bb")
    ('0.0128564', 'a\\\\x1bb')
    """
    name = key.rsplit(".", 1)[-1]
    numbers = name == "loss_history" and isinstance(value, list) and value
    if numbers and all(_is_number(v) for v in value):
        scale = ", log scale" if all(v > 0 for v in value) else ""
        return (
            f"{sparkline(value)}  ({len(value)} value{'s' * (len(value) != 1)}, "
            f"{number_text(value[0])} -> {number_text(value[-1])}{scale})"
        )
    if (name == "loss" or name.endswith("_loss")) and _is_number(value):
        return number_text(value)
    return one_line(value if isinstance(value, str) else json.dumps(value), MAX_VALUE_CHARS)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
