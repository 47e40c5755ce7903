"""The ``micrograd graph view`` command: write a graph file's interactive viewer page.

It parses, calls ``toolkit.view`` and prints; a bad graph file is one line on stderr and
exit code 2, like the other ``graph`` commands."""

from __future__ import annotations

import click

from toolkit.cli_types import FORCE_HELP, BadFile, check_output, input_file_errors
from toolkit.graph import GraphFormatError, load_graph
from toolkit.view import view


@click.command("view")
@click.argument("graph_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="HTML page to write.",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
def view_command(graph_file: str, output: str, force: bool) -> None:
    """Write an interactive viewer of a graph file (node-link JSON or GraphML): one HTML
    page that opens offline in any browser, collapsed by scope. Click a box to open it,
    click a node for its data, grad, operands and results; search a label or a scope;
    colour by operation, scope or |grad|; drag and scroll to pan and zoom.

    \b
    Example:
      micrograd graph export --loss demo -o loss.json
      micrograd graph view loss.json -o loss.html
    """
    check_output(output, force)
    with input_file_errors(graph_file, GraphFormatError):
        G = load_graph(graph_file)
    try:
        view(G, output)
    except OSError as error:
        raise BadFile(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(
        f"wrote {output}: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges; "
        "open it in a browser"
    )
