"""The moons step every benchmark measures: 100 two-moons points (seed 0) and the moons MLP
(relu hidden layers, linear output, seed 0), with the sizes of ``workloads``.

>>> xs, ys, model = moons_setup()
>>> len(xs), len(model.parameters())
(100, 337)
"""

from __future__ import annotations

from experiments.bench import workloads
from micrograd import MLP
from toolkit.datasets import moons


def moons_setup() -> tuple[list, list, MLP]:
    """The points, their labels and the model, as the suite builds them."""
    xs, ys = moons(workloads.MOONS_POINTS, seed=0)
    sizes = workloads.MOONS_SIZES
    model = MLP(sizes[0], list(sizes[1:]), activation="relu", output_activation="linear", seed=0)
    return xs, ys, model


def moons_request() -> dict:
    """The moons step as a request for a worker or a counted process: its points and the
    model's initial parameters."""
    xs, ys, model = moons_setup()
    return {"xs": xs, "ys": ys, "params": [p.data for p in model.parameters()]}
