"""The model commands: ``micrograd train``, ``micrograd predict`` and ``micrograd model show``.

Models live in JSON files (``toolkit.model_io``). The commands parse, call the library and
print; bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from micrograd.nn import ACTIVATIONS, MLP
from micrograd.train import NonFiniteLossError
from toolkit.cli_types import (
    EAGER_HELP,
    FORCE_HELP,
    NUMPY_HELP,
    BadFile,
    FinitePositiveFloat,
    LayerSizes,
    check_output,
    input_file_errors,
    replay_options,
)
from toolkit.datasets import DataFormatError, load_dataset, read_csv_rows
from toolkit.model_io import (
    FORMAT,
    VERSION,
    LoadedModel,
    ModelFormatError,
    architecture,
    load_model,
    save_model,
)
from toolkit.sparkline import sparkline
from toolkit.training import fit, outputs

__all__ = ["COMMANDS"]

PROGRESS_BAR_AFTER = 100
"""Runs of more steps than this show a progress bar instead of one line per step."""

# -- parameter types ----------------------------------------------------------------------


class DataSet(click.ParamType):
    """A data set by name, ``demo`` or ``moons``, or a CSV file; converts to
    ``(name, xs, ys)``."""

    name = "demo|moons|FILE.csv"

    def convert(self, value, param, ctx) -> tuple[str, list[list[float]], list[float]]:
        if isinstance(value, tuple):
            return value
        try:
            xs, ys = load_dataset(value)
        except OSError as error:
            self.fail(f"{value}: {error.strerror}", param, ctx)
        except ValueError as error:
            self.fail(str(error), param, ctx)
        return value, xs, ys


# -- commands -----------------------------------------------------------------------------

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("train")
@click.option(
    "--data",
    type=DataSet(),
    metavar="demo|moons|FILE.csv",
    default="demo",
    show_default=True,
    help="demo, moons (100 points, noise 0.1), or a CSV file: inputs then target per row.",
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
@click.option(
    "--steps", type=click.IntRange(min=1), default=50, show_default=True, help="SGD steps."
)
@click.option(
    "--lr", type=FinitePositiveFloat(), default=0.05, show_default=True, help="Learning rate."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Initialisation seed.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Model file to write (JSON).",
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
    output: Path,
    force: bool,
    eager: bool,
    numpy: bool,
) -> None:
    """Train an MLP on a data set (sum-of-squares loss, plain SGD) and save it as JSON.

    The input count comes from the data. Prints the loss at every step (a progress bar for
    runs over 100 steps). Nothing is written if the loss stops being finite.

    \b
    Example:
      micrograd train --data demo --layers 4,4,1 --steps 50 --lr 0.05 --seed 0 -o model.json
    """
    name, xs, ys = data
    replay = replay_options(eager, numpy)
    check_output(output, force)
    try:
        with _loss_reporter(steps) as on_step:
            trained, record = fit(
                xs,
                ys,
                layers=layers,
                activation=activation,
                output_activation=output_activation,
                steps=steps,
                lr=lr,
                seed=seed,
                on_step=on_step,
                **replay,
            )
    except NonFiniteLossError as error:
        raise click.ClickException(f"{error}; no model written") from None
    try:
        save_model(trained, output, metadata={"training": {"data": name, **record}})
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from None
    click.echo(f"wrote {output}: {trained}, final loss {record['final_loss']:.6f}")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("model_file", type=_EXISTING_FILE)
@click.argument("inputs", nargs=-1, type=float)
@click.option(
    "--input",
    "input_file",
    type=_EXISTING_FILE,
    help="CSV file with one input row per line (a last target column is ignored).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outputs as one JSON document.")
def predict(
    model_file: Path, inputs: tuple[float, ...], input_file: Path | None, as_json: bool
) -> None:
    """Print a saved model's output for the given inputs, or for every row of a CSV file.

    Outputs are printed in full precision, one row per line.

    \b
    Examples:
      micrograd predict model.json 2 3 -1
      micrograd predict model.json --input points.csv --json
    """
    loaded = _load(model_file)
    nin = loaded.model.nin
    if bool(inputs) == bool(input_file):
        raise click.UsageError("give either the inputs or --input FILE.csv, not both or neither")
    if input_file is None:
        for value in inputs:
            if not math.isfinite(value):
                raise click.BadParameter(f"{value} is not a finite number", param_hint="INPUTS")
        if len(inputs) != nin:
            raise click.UsageError(f"the model takes {nin} inputs, got {len(inputs)}")
        rows = [list(inputs)]
    else:
        rows = _input_rows(input_file, nin)
    results = [outputs(loaded.model, row) for row in rows]
    if as_json:
        # One list per input row, whatever the model's output count: a fixed shape to parse.
        click.echo(json.dumps({"model": str(model_file), "outputs": results}))
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
        click.echo(json.dumps(summary))
        return
    rows = [("file", str(model_file)), ("format", f"{FORMAT} version {VERSION}")]
    rows += [("architecture", _architecture_text(loaded.model))]
    rows += [("parameters", str(summary["parameters"]))]
    rows += [(key, _metadata_text(value)) for key, value in _flatten(loaded.metadata)]
    width = max(len(key) for key, _ in rows)
    for key, text in rows:
        click.echo(f"{key:<{width}}  {text}")


COMMANDS: list[click.Command] = [train_command, predict, model]


# -- helpers of the commands --------------------------------------------------------------


@contextlib.contextmanager
def _loss_reporter(steps: int) -> Iterator[Callable[[int, float], None]]:
    """An ``on_step`` that prints each step's loss, or for long runs moves a progress bar
    that shows the current loss."""
    if steps <= PROGRESS_BAR_AFTER:
        yield lambda step, loss: click.echo(f"step {step:3d}  loss {loss:.6f}")
        return
    with click.progressbar(
        length=steps,
        label="training",
        item_show_func=lambda loss: None if loss is None else f"loss {loss:.6f}",
    ) as bar:
        yield lambda step, loss: bar.update(1, loss)


def _load(path: Path) -> LoadedModel:
    with input_file_errors(path, ModelFormatError):
        return load_model(path)


def _input_rows(path: Path, nin: int) -> list[list[float]]:
    with input_file_errors(path, DataFormatError):
        rows = read_csv_rows(path)
    if len(rows[0]) not in (nin, nin + 1):
        raise BadFile(
            f"{path}: rows have {len(rows[0])} columns; the model takes {nin} inputs"
            " (optionally followed by a target)"
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


def _metadata_text(value: Any) -> str:
    numbers = isinstance(value, list) and value
    if numbers and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        scale = ", log scale" if all(v > 0 for v in value) else ""
        return (
            f"{sparkline(value)}  ({len(value)} value{'s' * (len(value) != 1)}, "
            f"{value[0]:.6g} -> {value[-1]:.6g}{scale})"
        )
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
