"""The ``micrograd graph ...`` commands: export a model's computation graph to a file,
analyse a graph file, draw one. Each command parses, calls ``toolkit.graph``,
``toolkit.analysis`` or ``toolkit.draw``, and prints; bad input is one line on stderr and
exit code 2."""

from __future__ import annotations

import json

import click

from micrograd.demo import demo_model
from micrograd.engine import Value
from micrograd.losses import sum_of_squares
from micrograd.nn import MLP
from toolkit.analysis import analyze, format_analysis
from toolkit.cli_types import FORCE_HELP, BadFile, FiniteNumbers, check_output, input_file_errors
from toolkit.datasets import load_dataset
from toolkit.draw import DRAW_MAX_NODES, draw, drawing_format
from toolkit.graph import FORMATS, GraphFormatError, load_graph, save_graph, to_networkx
from toolkit.model_io import ModelFormatError, load_model


@click.group()
def graph() -> None:
    """Export a computation graph to a file, analyse it, draw it.

    \b
    Example:
      micrograd graph export --loss demo -o loss.json
      micrograd graph analyze loss.json
      micrograd graph draw loss.json -o loss.png
    """


@graph.command("export")
@click.argument("model_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--input",
    "input_values",
    type=FiniteNumbers(),
    metavar="X1,X2,...",
    help="Export the forward graph of this one input (comma-separated numbers).",
)
@click.option(
    "--loss",
    "dataset",
    metavar="DATASET",
    help="Export the sum-of-squares loss graph over a data set: demo, moons or FILE.csv.",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of the built-in demo MLP (3 -> 4 -> 4 -> 1), used when no MODEL_FILE is "
    "given.  [default: 0]",
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Graph file to write."
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default="node-link",
    show_default=True,
    help="node-link (JSON) or graphml.",
)
@click.option("--no-grads", is_flag=True, help="Leave gradients out (backward is not run).")
@click.option("--force", is_flag=True, help=FORCE_HELP)
def export_command(
    model_file: str | None,
    input_values: tuple[float, ...] | None,
    dataset: str | None,
    seed: int | None,
    output: str,
    file_format: str,
    no_grads: bool,
    force: bool,
) -> None:
    """Write the computation graph of a model (MODEL_FILE, or the built-in demo MLP) on one
    input or over a data set, with every gradient filled in by backward. Inputs are
    labelled x.I (x.ROW.I over a data set); parameters by their names.

    \b
    Example:
      micrograd graph export --input 2,3,-1 -o forward.json
      micrograd graph export model.json --loss demo --format graphml -o loss.graphml
    """
    if (input_values is None) == (dataset is None):
        raise click.UsageError(
            "give either --input X1,X2,... (the forward graph of one input) "
            "or --loss DATASET (the loss graph over a data set)"
        )
    check_output(output, force)
    model, whose = _model(model_file, seed)
    if input_values is not None:
        root = _forward(model, input_values)
        what = f"forward graph of {whose} on ({','.join(map(repr, input_values))})"
    else:
        root = _loss(model, dataset)
        what = f"loss graph of {whose} over {dataset}"
    if not no_grads:
        root.backward()
    G = to_networkx(root, grads=not no_grads)
    try:
        save_graph(G, output, format=file_format)
    except OSError as error:
        raise BadFile(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"wrote {output}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges ({what})")


@graph.command("analyze")
@click.argument("graph_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as one JSON document.")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="How many top fan-out nodes and largest duplicate groups to list.",
)
def analyze_command(graph_file: str, as_json: bool, top: int) -> None:
    """Analyse a graph file: size, depth and width per level, fan-out, shared nodes and
    duplicated subexpressions.

    \b
    Example:
      micrograd graph analyze loss.json --top 3
      micrograd graph analyze loss.json --json
    """
    report = analyze(_load(graph_file), top=top)
    click.echo(json.dumps(report.to_dict()) if as_json else format_analysis(report))


@graph.command("draw")
@click.argument("graph_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Image to write: a .png or .svg file.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=DRAW_MAX_NODES,
    show_default=True,
    help="Larger graphs are drawn as a summary (nodes per level, counts by op).",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
def draw_command(graph_file: str, output: str, max_nodes: int, force: bool) -> None:
    """Draw a graph file, left to right from the leaves to the root, each node with its
    data and grad, nodes that feed several results outlined in red.

    \b
    Example:
      micrograd graph draw forward.json -o forward.png
    """
    try:
        drawing_format(output)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'-o' / '--output'") from None
    check_output(output, force)
    G = _load(graph_file)
    try:
        drawn = draw(G, output, max_nodes=max_nodes)
    except OSError as error:
        raise BadFile(f"cannot write {output}: {error.strerror or error}") from None
    if drawn == "graph":
        click.echo(f"wrote {output}: all {G.number_of_nodes()} nodes")
    else:
        click.echo(
            f"wrote {output}: a summary, since {G.number_of_nodes()} nodes are more than "
            f"--max-nodes {max_nodes}"
        )


def _model(model_file: str | None, seed: int | None) -> tuple[MLP, str]:
    """The model to export, and how to name it in messages."""
    if model_file is None:
        seed = 0 if seed is None else seed
        return demo_model(seed), f"the demo MLP (seed {seed})"
    if seed is not None:
        raise click.UsageError("--seed applies only to the built-in demo MLP, not to MODEL_FILE")
    with input_file_errors(model_file, ModelFormatError):
        return load_model(model_file).model, model_file


def _forward(model: MLP, values: tuple[float, ...]) -> Value:
    hint = "'--input'"
    if len(values) != model.nin:
        raise click.BadParameter(
            f"the model takes {model.nin} inputs, got {len(values)}", param_hint=hint
        )
    out = model([Value(x, label=f"x.{i}") for i, x in enumerate(values)])
    if not isinstance(out, Value):
        raise click.BadParameter(
            f"the model has {len(out)} outputs; a graph has one root", param_hint=hint
        )
    return out


def _loss(model: MLP, dataset: str) -> Value:
    hint = "'--loss'"
    try:
        xs, ys = load_dataset(dataset)
    except OSError as error:
        raise BadFile(f"{dataset}: {error.strerror or error}") from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=hint) from None
    if len(xs[0]) != model.nin:
        raise click.BadParameter(
            f"{dataset} has {len(xs[0])} inputs per row but the model takes {model.nin}",
            param_hint=hint,
        )
    predictions = [
        model([Value(x, label=f"x.{row}.{i}") for i, x in enumerate(inputs)])
        for row, inputs in enumerate(xs)
    ]
    if not all(isinstance(prediction, Value) for prediction in predictions):
        raise click.BadParameter(
            f"the model has {model.nouts[-1]} outputs; the loss needs one per row",
            param_hint=hint,
        )
    return sum_of_squares(predictions, ys)


def _load(graph_file: str):
    with input_file_errors(graph_file, GraphFormatError):
        return load_graph(graph_file)


COMMANDS: list[click.Command] = [graph]
