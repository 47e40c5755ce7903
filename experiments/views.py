"""Interactive pages of the two graphs the README talks about, with their gradients: the
reference run's loss (366 nodes) and the moons loss (65,818 nodes), each one offline HTML
file (``toolkit.view``) under ``results/view/``, with ``config.json`` saying what they show.

    python -m experiments.views [-o results/view] [--force]     (make view)

Like every experiment, the pages are written into a temporary folder beside the results
folder, which replaces it only when both are written; an earlier run's folder is replaced
only with ``--force``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import networkx as nx

import micrograd
from experiments import options, outputs
from experiments.moons import Config, make_model, objective
from micrograd.demo import demo_loss, demo_model
from toolkit.datasets import moons
from toolkit.graph import to_networkx
from toolkit.view import view

NAME = "view"


def reference_graph() -> nx.MultiDiGraph:
    """The reference run's loss graph at seed 0, before training, gradients filled in."""
    loss = demo_loss(demo_model(0))
    loss.backward()
    return to_networkx(loss)


def moons_graph() -> nx.MultiDiGraph:
    """The moons loss graph (``experiments.moons``: 100 points, seed 0) with its gradients."""
    xs, ys = moons(100, seed=0)
    config = Config()
    model = make_model(config)
    loss = objective(model, xs, ys, config.alpha)
    loss.backward()
    return to_networkx(loss)


PAGES = (
    ("reference_loss", reference_graph, "The reference run's loss, seed 0"),
    ("moons_loss", moons_graph, "The moons classifier's loss, seed 0"),
)
"""Each page's file name (without ``.html``), the graph it shows and its title."""


def run(out: Path) -> dict[str, Any]:
    """Write every page of ``PAGES`` and ``config.json`` to ``out``; return the summary:
    each page's title, nodes and edges."""
    folder = outputs.results_folder(out)
    pages: dict[str, Any] = {}
    for name, build, title in PAGES:
        G = build()
        view(G, folder / f"{name}.html", title=title)
        pages[f"{name}.html"] = {
            "title": title,
            "nodes": G.number_of_nodes(),
            "edges": G.number_of_edges(),
        }
    outputs.write_json(
        folder / "config.json",
        {"experiment": NAME, "micrograd": micrograd.__version__, "pages": pages},
    )
    return {"pages": pages}


def format_summary(summary: dict[str, Any]) -> str:
    return "\n".join(
        f"{name}: {page['nodes']:,} nodes, {page['edges']:,} edges"
        for name, page in summary["pages"].items()
    )


@click.command(name=NAME, cls=options.Command, context_settings=options.COMMAND_SETTINGS)
@options.output_options(NAME)
def main(out: Path, as_json: bool) -> None:
    """Write reference_loss.html and moons_loss.html: the interactive viewer of the
    reference run's loss graph and of the moons loss graph, with their gradients.

    \b
    Example:
      python -m experiments.views -o results/view --force
    """
    with options.one_line_errors():
        summary = run(out)
    options.report(summary, format_summary(summary), out, as_json)


if __name__ == "__main__":
    main()
