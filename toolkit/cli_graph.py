"""The ``micrograd graph ...`` commands: export a model's computation graph to a file,
analyse a graph file (as a whole or scope by scope), compare two, draw one. Each command
parses, calls ``toolkit.graph``, ``toolkit.analysis``, ``toolkit.scope_analysis``,
``toolkit.graph_diff`` or ``toolkit.draw``, and prints; bad input is one line on stderr and
exit code 2. On a terminal, stderr shows what a long command is doing."""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Mapping
from typing import Any

import click

from micrograd.demo import demo_model
from micrograd.engine import Value, scope
from micrograd.nn import MLP
from toolkit.analysis import analyze, format_analysis
from toolkit.cli_model import DATA_METAVAR
from toolkit.cli_types import (
    DATA_HINT,
    FORCE_HELP,
    AliasedOption,
    BadFile,
    FiniteNumbers,
    Progress,
    Seed,
    check_output,
    data_errors,
    echo_json,
    format_from_suffix,
    input_file_errors,
    one_line,
)
from toolkit.cli_view import load_graph_file, view_command
from toolkit.datasets import load_dataset, moons
from toolkit.draw import DRAW_MAX_NODES, MAX_DRAW_NODES, draw, drawing_format
from toolkit.fingerprint import graph_fingerprint
from toolkit.graph import FORMATS, KINDS, MAX_GRAPH_NODES, MAX_SCOPES, save_graph, to_networkx
from toolkit.graph_diff import diff_graphs, format_graph_diff
from toolkit.model_io import ModelFormatError, architecture, load_model, training_loss
from toolkit.scope_analysis import analyze_by_scope, format_scope_analysis
from toolkit.scopes import ancestors
from toolkit.training import MEMORY_LIMIT, bytes_text, loss_graph, loss_graph_nodes

GRAPH_FORMATS = {".json": "node-link", ".graphml": "graphml"}
"""The graph file format each file name suffix stands for."""

EXPORT_BYTES_PER_NODE = {"node-link": 3_100, "graphml": 10_200}
"""The peak memory of ``graph export`` per node of the graph, in bytes, by file format:
building the graph, backward, NetworkX and the writer together (measured on loss graphs of
65,000 to 650,000 nodes as the growth of the peak resident memory: 3,040 and 10,110 bytes a
node), rounded up. An export estimated above ``toolkit.training.MEMORY_LIMIT`` is refused."""


@click.group()
def graph() -> None:
    """Export a computation graph to a file; analyse, compare, draw or view it.

    \b
    Example:
      micrograd graph export --data demo -o loss.json
      micrograd graph analyze loss.json --by-scope
      micrograd graph diff loss.json other.json
      micrograd graph draw loss.json -o loss.png
      micrograd graph view loss.json -o loss.html
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
    "--data",
    "--loss",
    "dataset",
    cls=AliasedOption,
    hidden_aliases=["--loss"],
    metavar=DATA_METAVAR,
    help="Export the loss graph over a data set: demo, moons or a CSV file. The loss is the "
    "one MODEL_FILE records it was trained with (sum of squares for the demo MLP), and "
    "moons the points it records (samples, noise, data seed; else the built-in set).",
)
@click.option(
    "--seed",
    type=Seed(),
    default=None,
    help="Seed of the built-in demo MLP (3 -> 4 -> 4 -> 1), used when no MODEL_FILE is "
    "given.  [default: 0]",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Graph file to write: .json (node-link) or .graphml.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default=None,
    help="node-link (JSON) or graphml, for a file name that ends in neither .json nor "
    ".graphml.  [default: from the file name]",
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
    input or over a data set, with every gradient filled in by backward. Over a data set
    the loss is the one MODEL_FILE records the model was trained with (sum of squares for
    `micrograd train`, max-margin plus L2 for the moons experiment; sum of squares for the
    demo MLP), and the output line names it. Over moons the points are those MODEL_FILE
    records (the moons experiment's samples, noise and data seed), else the built-in set,
    and the output line says which. A graph of more nodes than the graph
    readers accept, or whose export would take more than 1 GB, is refused before it is
    built, with the estimate. The file's format follows its name: .json is
    node-link JSON, .graphml is GraphML. Inputs are labelled x.I (x.ROW.I over a data
    set); parameters by their names.

    \b
    Example:
      micrograd graph export --input 2,3,-1 -o forward.json
      micrograd graph export model.json --data demo -o loss.graphml
    """
    if (input_values is None) == (dataset is None):
        raise click.UsageError(
            "give either --input X1,X2,... (the forward graph of one input) "
            "or --data DATASET (the loss graph over a data set)"
        )
    check_output(output, force)
    file_format = format_from_suffix(output, file_format, GRAPH_FORMATS)
    with Progress() as progress:
        model, whose, loss, metadata = _model(model_file, seed)
        if input_values is not None:
            what = f"forward graph of {whose} on ({','.join(map(repr, input_values))})"
            _check_export_size(model, what, file_format)
            root = _forward(model, input_values)
        else:
            xs, ys, told = _data_set(model, dataset, loss, metadata, file_format, whose)
            what = f"loss graph of {whose} over {dataset}{told}; loss: {loss[2]}"
            progress.status(f"building the {what}")
            root = loss_graph(model, xs, ys, loss[0], **loss[1])
        if not no_grads:
            progress.status("running backward")
            root.backward()
        progress.status("converting the graph to NetworkX")
        G = to_networkx(root, grads=not no_grads)
        progress.status(f"writing {output}: {G.number_of_nodes():,} nodes")
        try:
            save_graph(G, output, format=file_format)
        except OSError as error:
            raise click.ClickException(
                f"cannot write {output}: {error.strerror or error}"
            ) from None
    click.echo(
        f"wrote {output}: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges ({what})"
    )


@graph.command("analyze")
@click.argument("graph_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as one JSON document.")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="How many top fan-out nodes and largest duplicate groups to list (without --by-scope).",
)
@click.option(
    "--by-scope",
    is_flag=True,
    help="Measure every scope (layers, layers.1, layers.1.neurons.3, loss, ...) and group "
    "the scopes that repeat one structure, e.g. the neurons of a layer.",
)
def analyze_command(graph_file: str, as_json: bool, top: int, by_scope: bool) -> None:
    """Analyse a graph file: size, depth and width per level, fan-out, shared nodes,
    duplicated subexpressions, and the graph's structural fingerprint (equal for graphs of
    one structure, whatever their numbers). With --by-scope: nodes, operations, depth and
    edges in and out of every scope, and the groups of scopes with the same structure.

    \b
    Example:
      micrograd graph analyze loss.json --top 3
      micrograd graph analyze loss.json --json
      micrograd graph analyze loss.json --by-scope
    """
    with Progress() as progress:
        G = load_graph_file(graph_file, progress)
        progress.status(f"analysing {G.number_of_nodes():,} nodes")
        if by_scope:
            by_scope_report = analyze_by_scope(G)
        else:
            report, fingerprint = analyze(G, top=top), graph_fingerprint(G)
    if by_scope:
        click.echo(
            json.dumps(by_scope_report.to_dict(), allow_nan=False)
            if as_json
            else format_scope_analysis(by_scope_report)
        )
        return
    if as_json:
        echo_json({**report.to_dict(), "fingerprint": fingerprint})
    else:
        click.echo(f"{format_analysis(report)}\n{'fingerprint':<19} {fingerprint}")


@graph.command("diff")
@click.argument("graph_a", type=click.Path(exists=True, dir_okay=False))
@click.argument("graph_b", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the differences as one JSON document.")
@click.option(
    "--kind",
    "kinds",
    type=click.Choice(KINDS),
    multiple=True,
    help="Compare data and grad only on nodes of this kind (repeat for several; "
    "default: every node).",
)
@click.pass_context
def diff_command(
    ctx: click.Context, graph_a: str, graph_b: str, as_json: bool, kinds: tuple[str, ...]
) -> None:
    """Show what differs between two graph files: their fingerprints, the node and
    operation counts of every scope where they differ, and, when the structures are the
    same (the same nodes, ops, scopes and edges), the largest change of data and of grad in
    every scope, and at which node. Exit code 0 when the structures are the same, 1 when
    they differ, 2 when a file cannot be read.

    \b
    Example:
      micrograd graph diff before.json after.json
      micrograd graph diff before.json after.json --kind parameter --json
      micrograd graph diff seed0.graphml seed1.json
    """
    with Progress() as progress:
        A, B = load_graph_file(graph_a, progress), load_graph_file(graph_b, progress)
        progress.status(f"comparing {A.number_of_nodes():,} and {B.number_of_nodes():,} nodes")
        difference = diff_graphs(A, B, kinds=kinds or KINDS)
    if as_json:
        echo_json(difference.to_dict())
    else:
        click.echo(format_graph_diff(difference))
    ctx.exit(0 if difference.same_structure else 1)


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
    type=click.IntRange(1, MAX_DRAW_NODES),
    default=DRAW_MAX_NODES,
    show_default=True,
    help="Larger graphs are drawn collapsed by scope, at the deepest level whose boxes, "
    f"single nodes and arrows are at most this many (a summary if none fits); 1 to "
    f"{MAX_DRAW_NODES:,}. A figure over 32,768 px a side is refused before drawing.",
)
@click.option(
    "--level",
    type=click.IntRange(min=1),
    default=None,
    help="Collapse at this level of the scope hierarchy (1: data, layers, loss; "
    "2: each layer; 4: each neuron of an MLP).",
)
@click.option(
    "--expand",
    "expand",
    multiple=True,
    metavar="SCOPE",
    help="Open this scope: its inner scopes as boxes, its own nodes one by one "
    "(repeat for several).",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
def draw_command(
    graph_file: str,
    output: str,
    max_nodes: int,
    level: int | None,
    expand: tuple[str, ...],
    force: bool,
) -> None:
    """Draw a graph file, left to right from the leaves to the root, each node with its
    data and grad, nodes that feed several results outlined in red. A graph of more than
    --max-nodes nodes is drawn collapsed by scope: a box per module (an MLP's neurons or
    layers, the loss, the data) naming its node count and operations, each arrow counting
    the operand edges it stands for.

    \b
    Example:
      micrograd graph draw forward.json -o forward.png
      micrograd graph draw loss.json -o loss.png --expand layers.2.neurons.0
      micrograd graph draw moons.json -o moons.png --level 4
    """
    try:
        drawing_format(output)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'-o' / '--output'") from None
    check_output(output, force)
    with Progress() as progress:
        G = load_graph_file(graph_file, progress)
        progress.status(f"drawing {G.number_of_nodes():,} nodes")
        try:
            drawing = draw(G, output, max_nodes=max_nodes, level=level, expand=expand)
        except OSError as error:
            raise click.ClickException(
                f"cannot write {output}: {error.strerror or error}"
            ) from None
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    click.echo(f"wrote {output}: {drawing.description}")


Loss = tuple[str, dict[str, float], str]
"""A loss by name (see ``micrograd.losses.LOSSES``), its settings, and how to name it."""


def _model(
    model_file: str | None, seed: int | None
) -> tuple[MLP, str, Loss, Mapping[str, Any] | None]:
    """The model to export, how to name it in messages, the loss it was trained with, and
    its file's metadata (``None`` for the demo MLP)."""
    if model_file is None:
        seed = 0 if seed is None else seed
        return demo_model(seed), f"the demo MLP (seed {seed})", _SUM_OF_SQUARES, None
    if seed is not None:
        raise click.UsageError("--seed applies only to the built-in demo MLP, not to MODEL_FILE")
    with input_file_errors(model_file, ModelFormatError):
        loaded = load_model(model_file)
    try:
        recorded = training_loss(loaded.metadata)
    except ModelFormatError as error:
        raise BadFile(f"{model_file}: {error}") from None
    if recorded is None:
        name, settings = _SUM_OF_SQUARES[:2]
        loss = (name, settings, f"{name} (the file records none)")
    else:
        name, settings = recorded
        told = ", ".join([name, *(f"{key} {value!r}" for key, value in settings.items())])
        loss = (name, settings, f"{told}, as the file records")
    return loaded.model, model_file, loss, loaded.metadata


_SUM_OF_SQUARES: Loss = ("sum_of_squares", {}, "sum_of_squares")


def _forward(model: MLP, values: tuple[float, ...]) -> Value:
    hint = "'--input'"
    if len(values) != model.nin:
        raise click.BadParameter(
            f"the model takes {model.nin} inputs, got {len(values)}", param_hint=hint
        )
    with scope("data"):
        inputs = [Value(x, label=f"x.{i}") for i, x in enumerate(values)]
    out = model(inputs)
    if not isinstance(out, Value):
        raise click.BadParameter(
            f"the model has {len(out)} outputs; a graph has one root", param_hint=hint
        )
    return out


def _data_set(
    model: MLP,
    dataset: str,
    loss: Loss,
    metadata: Mapping[str, Any] | None,
    file_format: str,
    whose: str,
) -> tuple[list[list[float]], list[float], str]:
    """The rows and targets of ``--data`` for the loss graph of ``model``, and what to say
    about them (the moons settings used, and where they come from). Its size is checked
    before the graph is built and, for moons, before the points are drawn."""
    if model.nouts[-1] != 1:
        raise click.BadParameter(
            f"the model has {model.nouts[-1]} outputs; the loss needs one per row",
            param_hint=DATA_HINT,
        )

    def check_size(rows: int) -> None:
        what = f"loss graph of {whose} over {rows:,} rows of {dataset}"
        _check_export_size(model, what, file_format, rows=rows, loss=loss[0])

    told = ""
    if dataset == "moons":
        settings, told = _moons_settings(metadata, whose)
        check_size(settings["samples"])
        xs, ys = moons(settings["samples"], noise=settings["noise"], seed=settings["data_seed"])
    else:
        with data_errors(dataset):
            xs, ys = load_dataset(dataset)
    if len(xs[0]) != model.nin:
        raise click.BadParameter(
            f"{dataset} has {len(xs[0])} inputs per row but the model takes {model.nin}",
            param_hint=DATA_HINT,
        )
    check_size(len(xs))
    return xs, ys, told


_MOONS_DEFAULTS = {
    setting: inspect.signature(moons).parameters[argument].default
    for setting, argument in (("samples", "n_samples"), ("noise", "noise"), ("data_seed", "seed"))
}
"""The settings of the built-in moons data set (``--data moons``), by the names a model
file records them under (``config.samples``, ``config.noise``, ``config.data_seed``)."""


def _moons_settings(metadata: Mapping[str, Any] | None, whose: str) -> tuple[dict[str, Any], str]:
    """The moons settings to build the loss over: those a model file's metadata records
    (the moons experiment's ``config``), else the built-in set's (``micrograd train --data
    moons`` records ``training.data``, and trains on the built-in set); and how to say
    which, for the output line. A recorded setting out of range is a ``BadFile``.

    >>> recorded = {"config": {"samples": 50, "noise": 0.3, "data_seed": 5}}
    >>> settings, told = _moons_settings(recorded, "m.json")
    >>> settings
    {'samples': 50, 'noise': 0.3, 'data_seed': 5}
    >>> told
    ' (50 points, noise 0.3, data seed 5, as the file records)'
    >>> _moons_settings({"training": {"data": "demo"}}, "m.json")[1]
    ' (100 points, noise 0.1, data seed 0: the built-in set; the file records no moons settings)'
    """
    config = (metadata or {}).get("config")
    config = config if isinstance(config, Mapping) else {}
    recorded = {key: config[key] for key in _MOONS_DEFAULTS if key in config}
    for key, value in recorded.items():
        _check_moons_setting(key, value, whose)
    settings = {**_MOONS_DEFAULTS, **recorded}
    shown = (
        f"{settings['samples']:,} points, noise {settings['noise']!r}, "
        f"data seed {settings['data_seed']}"
    )
    training = (metadata or {}).get("training")
    trained_on_moons = isinstance(training, Mapping) and training.get("data") == "moons"
    if metadata is None:
        source = ": the built-in set"
    elif len(recorded) == len(_MOONS_DEFAULTS):
        source = ", as the file records"
    elif recorded:
        missing = ", ".join(key for key in _MOONS_DEFAULTS if key not in recorded)
        source = f"; the file records no {missing}: the built-in set's"
    elif trained_on_moons:
        source = ": the built-in set, as the file records"
    else:
        source = ": the built-in set; the file records no moons settings"
    return settings, f" ({shown}{source})"


def _check_moons_setting(key: str, value: Any, whose: str) -> None:
    """Refuse a recorded moons setting that ``toolkit.datasets.moons`` cannot take."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    number = whole or isinstance(value, float)
    allowed = {
        "samples": (whole and value >= 2, "a whole number of at least 2"),
        "noise": (number and math.isfinite(value) and value >= 0, "a finite number of at least 0"),
        "data_seed": (whole and value >= 0, "a whole number of at least 0"),
    }
    fits, expected = allowed[key]
    if not fits:
        shown = one_line(json.dumps(value), 40)
        raise BadFile(f"{whose}: metadata.config.{key}: expected {expected}, got {shown}")


def _check_export_size(
    model: MLP, what: str, file_format: str, *, rows: int = 1, loss: str | None = None
) -> None:
    """Refuse, before anything is built, a graph of ``model`` (its loss ``loss`` over
    ``rows`` rows, or its forward graph) that the graph readers could not read back (more
    than ``MAX_GRAPH_NODES`` nodes) or whose export would take more than ``MEMORY_LIMIT``
    bytes (``EXPORT_BYTES_PER_NODE``); the one-line message gives the count, the estimate
    and the limit, and how many rows would fit."""
    shape = architecture(model)
    count = (
        shape["inputs"],
        shape["layers"],
        shape["activation"],
        shape["output_activation"],
    )
    scopes = _scope_count(model)
    if scopes > MAX_SCOPES:
        raise click.UsageError(
            f"the {what} would have up to {scopes:,} scopes, every level counted, more than the "
            f"{MAX_SCOPES:,} a graph file holds; use a model of fewer neurons"
        )
    nodes = loss_graph_nodes(*count, rows=rows, loss=loss)
    per_node = EXPORT_BYTES_PER_NODE[file_format]
    memory = nodes * per_node
    if nodes <= MAX_GRAPH_NODES and memory <= MEMORY_LIMIT:
        return
    message = f"the {what} would have {nodes:,} nodes"
    if nodes > MAX_GRAPH_NODES:
        message += f", more than the {MAX_GRAPH_NODES:,} the graph readers accept"
    if memory > MEMORY_LIMIT:
        message += (
            f", and exporting it as {file_format} would take about {bytes_text(memory)}, "
            f"more than the {bytes_text(MEMORY_LIMIT)} limit"
        )
    advice = "a smaller model"
    if loss is not None:
        per_row = loss_graph_nodes(*count, rows=2, loss=loss) - loss_graph_nodes(*count, loss=loss)
        fixed = nodes - rows * per_row
        fitting = (min(MAX_GRAPH_NODES, MEMORY_LIMIT // per_node) - fixed) // per_row
        advice = f"at most {fitting:,} rows" if fitting >= 1 else advice
    raise click.UsageError(f"{message}; use {advice}")


def _scope_count(model: MLP) -> int:
    """The most distinct scopes, every level counted, a graph of ``model`` has: its
    neurons' scopes and all their prefixes, and three for the data, the loss and no scope
    (a forward graph's inputs)."""
    found = {name for layer in model.layers for n in layer.neurons for name in ancestors(n.b.scope)}
    return len(found) + 3


graph.add_command(view_command)

COMMANDS: list[click.Command] = [graph]
