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
    """A small graph whose values and gradients include nan, inf and -inf, and a value of
    -0.0 (labelled ``minus zero``)."""
    with scope("edge"):
        total = Value(0.0, label="zero").log() + Value(-1.0, label="minus").log()
    root = total + Value(1000.0, label="big").exp() + Value(-0.0, label="minus zero")
    root.backward()
    return to_networkx(root)


REFERENCE_ROWS, REFERENCE_INPUTS, REFERENCE_WIDTHS = 4, 3, (4, 4, 1)
"""The reference run's shape: ``MLP(3, [4, 4, 1])`` on four rows (``micrograd.demo``)."""


def neuron_nodes(fan_in: int, rows: int = REFERENCE_ROWS) -> int:
    """The nodes one tanh neuron holds over ``rows`` rows: its ``fan_in`` weights and its
    bias, and per row ``fan_in`` products, ``fan_in`` sums (the bias first) and a tanh."""
    return fan_in + 1 + rows * (2 * fan_in + 1)


def reference_visible(expanded: set[str]) -> int:
    """How many boxes and nodes the reference loss graph shows with ``expanded`` open, from
    its shape alone: ``data`` holds the inputs (rows x inputs); ``layers`` a box per layer,
    a layer a box per neuron (a one-neuron layer is one box with its neuron); ``loss`` per
    row a target, a difference, an exponent and a square, and the sum: a zero and a sum per
    row."""
    shown = REFERENCE_ROWS * REFERENCE_INPUTS if "data" in expanded else 1
    if "layers" not in expanded:
        shown += 1
    else:
        fan_ins = (REFERENCE_INPUTS, *REFERENCE_WIDTHS[:-1])
        for i, (width, fan_in) in enumerate(zip(REFERENCE_WIDTHS, fan_ins)):
            layer = f"layers.{i}"
            if layer not in expanded:
                shown += 1
            elif width == 1:
                shown += neuron_nodes(fan_in)
            else:
                shown += sum(
                    neuron_nodes(fan_in) if f"{layer}.neurons.{j}" in expanded else 1
                    for j in range(width)
                )
    shown += 5 * REFERENCE_ROWS + 1 if "loss" in expanded else 1
    return shown
