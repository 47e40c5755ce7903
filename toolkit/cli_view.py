"""The ``micrograd graph view`` command: write a graph file's interactive viewer page; and
how every ``graph`` command reads a graph file.

It parses, calls ``toolkit.view`` and prints; a bad graph file is one line on stderr and
exit code 2, like the other ``graph`` commands."""

from __future__ import annotations

import os

import click
import networkx as nx

from toolkit.cli_types import (
    FORCE_HELP,
    BadFile,
    Progress,
    check_output,
    check_suffix,
    input_file_errors,
)
from toolkit.graph import GraphFormatError, load_graph
from toolkit.model_io import is_model_file
from toolkit.view import view

__all__ = ["load_graph_file", "view_command"]

PAGE_FORMATS = {".html": "html", ".htm": "html"}


def load_graph_file(
    path: str | os.PathLike[str], progress: Progress | None = None
) -> nx.MultiDiGraph:
    """The graph in the file at ``path``, or a one-line ``BadFile`` saying what is wrong,
    and which kind of file it is when it is a model file instead."""
    if progress is not None:
        progress.status(f"reading {os.fspath(path)}")
    try:
        with input_file_errors(path, GraphFormatError):
            return load_graph(path)
    except BadFile:
        if is_model_file(path):
            raise BadFile(
                f"{os.fspath(path)} is a model file, not a graph file; export its graph with "
                f"micrograd graph export {os.fspath(path)} --data DATASET -o graph.json"
            ) from None
        raise


@click.command("view")
@click.argument("graph_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="HTML page to write (named .html).",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
def view_command(graph_file: str, output: str, force: bool) -> None:
    """Write an interactive viewer of a graph file (node-link JSON or GraphML): one HTML
    page that opens offline in any browser, collapsed by scope and laid out left to right.
    Click a box to open it (click again to close it), click a node for its data, grad,
    operands and results; search a label or a scope; colour by operation, scope or |grad|;
    drag and scroll to pan and zoom.

    \b
    Example:
      micrograd graph export --data demo -o loss.json
      micrograd graph view loss.json -o loss.html
    """
    check_suffix(output, PAGE_FORMATS, "the viewer is an HTML page: its name ends in .html or .htm")
    check_output(output, force)
    with Progress() as progress:
        G = load_graph_file(graph_file, progress)
        progress.status(f"laying out {G.number_of_nodes():,} nodes")
        try:
            view(G, output)
        except OSError as error:
            raise click.ClickException(
                f"cannot write {output}: {error.strerror or error}"
            ) from None
    click.echo(
        f"wrote {output}: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges; "
        "open it in a browser"
    )
