"""The reference run of the classic lecture: a 3-4-4-1 tanh MLP fitted to four points.

Sum-of-squares loss, 50 steps of plain SGD at learning rate 0.05, gradients zeroed each step.
Run it with ``micrograd demo [--seed N]`` (or ``make demo``).

>>> losses = reference_run(seed=0)
>>> len(losses), losses[-1] < 0.05 < losses[0]
(50, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from micrograd.losses import dataset_loss
from micrograd.nn import MLP
from micrograd.train import train

__all__ = ["LAYERS", "LR", "STEPS", "XS", "YS", "demo_model", "reference_run"]

XS = ((2.0, 3.0, -1.0), (3.0, -1.0, 0.5), (0.5, 1.0, 1.0), (1.0, 1.0, -1.0))
YS = (1.0, -1.0, -1.0, 1.0)
LAYERS = (4, 4, 1)
STEPS = 50
LR = 0.05


def demo_model(seed: int = 0, layers: Sequence[int] = LAYERS) -> MLP:
    """The reference architecture, ``MLP(3, [4, 4, 1])`` with tanh everywhere (or other
    ``layers`` after the three inputs)."""
    return MLP(len(XS[0]), list(layers), seed=seed)


def demo_loss(model: MLP):
    """The reference loss of ``model`` over the four points (scopes as ``dataset_loss``)."""
    return dataset_loss(model, XS, YS)


def reference_run(
    seed: int = 0,
    steps: int = STEPS,
    lr: float = LR,
    on_step: Callable[[int, float], None] | None = None,
    compiled: bool = True,
    layers: Sequence[int] = LAYERS,
    backend: str = "python",
) -> list[float]:
    """Train a fresh reference model from ``seed`` and return the loss at every step.
    ``compiled=False`` rebuilds the graph at every step instead of replaying a traced tape;
    the losses are the same bit for bit. ``backend`` is the tape's (``micrograd.train``)."""
    model = demo_model(seed, layers)
    return train(
        model,
        lambda: demo_loss(model),
        steps=steps,
        lr=lr,
        on_step=on_step,
        compiled=compiled,
        backend=backend,
    )
