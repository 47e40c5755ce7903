"""Graphs the viewer tests open: the reference run's loss and one with non-finite numbers."""

from __future__ import annotations

import networkx as nx

from micrograd import Value, scope
from micrograd.demo import demo_loss, demo_model
from toolkit.graph import to_networkx


def reference_graph() -> nx.MultiDiGraph:
    """The reference run's loss graph at seed 0 (366 nodes), gradients filled in."""
    loss = demo_loss(demo_model(0))
    loss.backward()
    return to_networkx(loss)


def non_finite_graph() -> nx.MultiDiGraph:
    """A small graph whose values and gradients include nan, inf and -inf."""
    with scope("edge"):
        total = Value(0.0, label="zero").log() + Value(-1.0, label="minus").log()
    root = total + Value(1000.0, label="big").exp()
    root.backward()
    return to_networkx(root)
