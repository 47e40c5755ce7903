"""Interactive pages of the two graphs the README talks about, with their gradients: the
reference run's loss (366 nodes) and the moons loss (65,818 nodes), each one offline HTML
file (``toolkit.view``) under ``results/view/``.

    python -m experiments.views [-o results/view]     (make view)
"""

from __future__ import annotations

from pathlib import Path

import click
import networkx as nx

from experiments.moons import Config, make_model, objective
from micrograd.demo import demo_loss, demo_model
from toolkit.cli_types import AliasedOption, Command
from toolkit.datasets import moons
from toolkit.graph import to_networkx
from toolkit.view import view

OUT = Path("results/view")


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


@click.command(cls=Command)
@click.option(
    "-o",
    "--output",
    "--out",
    "out",
    cls=AliasedOption,
    hidden_aliases=["--out"],
    type=click.Path(file_okay=False, path_type=Path),
    default=OUT,
    show_default=True,
    help="Folder to write the pages into.",
)
def main(out: Path) -> None:
    """Write reference_loss.html and moons_loss.html.

    \b
    Example:
      python -m experiments.views -o results/view
    """
    out.mkdir(parents=True, exist_ok=True)
    for name, build, title in (
        ("reference_loss", reference_graph, "The reference run's loss, seed 0"),
        ("moons_loss", moons_graph, "The moons classifier's loss, seed 0"),
    ):
        G = build()
        path = out / f"{name}.html"
        view(G, path, title=title)
        click.echo(f"wrote {path}: {G.number_of_nodes():,} nodes")


if __name__ == "__main__":
    main()
