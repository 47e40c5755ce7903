"""Curvature along a gradient-descent run: the sharpness (the largest eigenvalue of the
loss Hessian) at the parameters of every step, next to that step's loss.

Two models, two ways of getting the eigenvalue:

- the reference model (``MLP(3, [4, 4, 1])``, tanh, 41 parameters): its gradient graph is
  the same at any parameters, so ``micrograd.gradients.compile_curvature`` traces it once per
  run and gives the exact 41 x 41 Hessian at every step in a few milliseconds;
  ``numpy.linalg.eigvalsh`` does the rest (``largest_eigenvalue``);
- the moons classifier (``experiments.moons``: relu units and a hinge loss, 337
  parameters): its gradient graph holds which units and which margins are active, so it is
  traced again at every measured step and only Hessian-vector products are taken from it,
  by Lanczos iteration (``lanczos_top``), warm-started from the previous step's top
  eigenvector.

Both runs are plain gradient descent written out over the parameters' numbers,
``value - lr * gradient``, on a traced tape of the loss: bit for bit the losses that
``micrograd.train.train`` gives for the same model, data and learning rate. Runs are plain
data and the functions here sit at module level, so ``experiments.runner.run_all`` sends
them to worker processes.

>>> trajectory = measure(ReferenceRun(seed=0, lr=0.05, steps=3))
>>> len(trajectory.losses), len(trajectory.sharpness), trajectory.diverged_at
(3, 3, None)
>>> trajectory.sharpness[0] > 2 / 0.05       # sharper than gradient descent at 0.05 tolerates?
False
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from experiments import moons
from experiments.reference import ReferenceRun
from micrograd.demo import demo_loss, demo_model
from micrograd.gradients import compile_curvature
from micrograd.tape import compile_graph
from toolkit.datasets import moons as moons_data

__all__ = [
    "MoonsRun",
    "TopEigenpair",
    "Trajectory",
    "lanczos_top",
    "largest_eigenvalue",
    "measure",
    "measured_steps",
    "moons_trajectory",
    "reference_trajectory",
]

TOLERANCE = 1e-6
"""Lanczos stops when its top Ritz pair's residual ``|H x - theta x|`` falls below this
fraction of the spectrum's scale; the eigenvalue is then good to about its square."""


@dataclass
class Trajectory:
    """What one run measured. ``losses[k]`` and ``sharpness[k]`` belong to the same
    parameters, those before step ``k``'s update; ``sharpness[k]`` is ``None`` at a step
    not measured, and ``products[k]`` counts the Hessian-vector products Lanczos took there
    (``None`` where the Hessian was exact). A run whose loss became non-finite stops there:
    ``diverged_at`` is that step, ``nonfinite_loss`` that loss, and the lists end before it."""

    losses: list[float] = field(default_factory=list)
    sharpness: list[float | None] = field(default_factory=list)
    products: list[int | None] = field(default_factory=list)
    diverged_at: int | None = None
    nonfinite_loss: float | None = None


@dataclass(frozen=True)
class MoonsRun:
    """One gradient-descent run of the moons classifier at a constant learning rate, its
    sharpness measured at the steps ``measure_at``."""

    lr: float
    steps: int
    measure_at: tuple[int, ...]
    config: moons.Config = field(default_factory=moons.Config)

    def describe(self) -> str:
        return f"moons, lr {self.lr}"


def measure(run: ReferenceRun | MoonsRun) -> Trajectory:
    """The trajectory of ``run``, whichever model it trains (the task of a sweep)."""
    if isinstance(run, MoonsRun):
        return moons_trajectory(run)
    return reference_trajectory(run)


def reference_trajectory(run: ReferenceRun) -> Trajectory:
    """Gradient descent on the reference model from ``run.seed`` at ``run.lr``, with the
    exact Hessian's largest eigenvalue at every step."""
    model = demo_model(run.seed, run.layers)
    parameters = model.parameters()
    tape = compile_curvature(demo_loss(model), parameters)
    values = [parameter.data for parameter in parameters]
    trajectory = Trajectory()
    for step in range(run.steps):
        loss = tape.loss(values)
        if not math.isfinite(loss):
            trajectory.diverged_at, trajectory.nonfinite_loss = step, loss
            break
        trajectory.losses.append(loss)
        trajectory.sharpness.append(largest_eigenvalue(tape.hessian(values)))
        trajectory.products.append(None)
        values = _descend(values, tape.gradient(values), run.lr)
    return trajectory


def moons_trajectory(run: MoonsRun) -> Trajectory:
    """Full-batch gradient descent on the moons classifier at ``run.lr``; at the steps of
    ``run.measure_at`` the sharpness by Lanczos over Hessian-vector products of a gradient
    graph traced at that step's parameters."""
    config = run.config
    xs, ys = moons_data(config.samples, noise=config.noise, seed=config.data_seed)
    model = moons.make_model(config)
    parameters = model.parameters()

    def loss_graph():
        return moons.objective(model, xs, ys, config.alpha)

    tape = compile_graph(loss_graph(), parameters)  # the forward graph is static
    values = [parameter.data for parameter in parameters]
    rng = random.Random(config.seed)
    direction = [rng.gauss(0.0, 1.0) for _ in parameters]
    wanted = set(run.measure_at)
    trajectory = Trajectory()
    for step in range(run.steps):
        loss = tape.forward(values)
        if not math.isfinite(loss):
            trajectory.diverged_at, trajectory.nonfinite_loss = step, loss
            break
        gradient = tape.backward()
        trajectory.losses.append(loss)
        if step in wanted:
            for parameter, value in zip(parameters, values):
                parameter.data = value
            curvature = compile_curvature(loss_graph(), parameters, backend="numpy")
            top = lanczos_top(partial(curvature.hvp, list(values)), direction)
            direction = top.vector
            trajectory.sharpness.append(top.value)
            trajectory.products.append(top.products)
        else:
            trajectory.sharpness.append(None)
            trajectory.products.append(None)
        values = _descend(values, gradient, run.lr)
    return trajectory


def measured_steps(steps: int, every: int, first: int) -> tuple[int, ...]:
    """The steps at which a moons run measures: each of the ``first`` steps (where large
    learning rates spike), every ``every``-th step, and the last.

    >>> measured_steps(30, every=10, first=3)
    (0, 1, 2, 10, 20, 29)
    """
    chosen = set(range(min(first, steps))) | set(range(0, steps, every)) | {steps - 1}
    return tuple(sorted(chosen))


def _descend(values: list[float], gradient: Sequence[float], lr: float) -> list[float]:
    """One step of plain gradient descent, as ``micrograd.train.sgd_step`` takes it."""
    return [value - lr * g for value, g in zip(values, gradient)]


def largest_eigenvalue(matrix: Sequence[Sequence[float]]) -> float:
    """The largest eigenvalue of a symmetric matrix (``numpy.linalg.eigvalsh``).

    >>> largest_eigenvalue([[2.0, 1.0], [1.0, 2.0]])
    3.0
    """
    return float(np.linalg.eigvalsh(np.asarray(matrix, dtype=float))[-1])


@dataclass(frozen=True)
class TopEigenpair:
    """The largest eigenvalue found, its unit eigenvector and the products it took."""

    value: float
    vector: list[float]
    products: int


def lanczos_top(
    product: Callable[[list[float]], Sequence[float]],
    start: Sequence[float],
    *,
    tolerance: float = TOLERANCE,
) -> TopEigenpair:
    """The largest eigenvalue of the symmetric operator ``product`` (``v -> H v``) by
    Lanczos iteration from ``start``, with full reorthogonalisation.

    Each step adds ``H q`` to an orthonormal basis of the Krylov space of ``start``; the
    largest eigenvalue of ``H`` restricted to that space (a small tridiagonal matrix) is the
    estimate. It stops when that Ritz pair's residual ``|H x - theta x|``, known for free as
    ``beta * |last entry of the small eigenvector|``, is below ``tolerance`` times the
    largest Ritz value in magnitude, or when the space is the whole space.

    Lanczos rather than power iteration: power iteration finds the eigenvalue largest in
    magnitude and converges at the ratio of the two largest magnitudes. A hinge loss has no
    curvature of its own, so a relu network's Hessian under it is the network's
    cross-layer terms, with a spectrum nearly symmetric about zero: there the most negative
    eigenvalue rivals the largest and power iteration swings between the two.

    >>> matrix = np.array([[2.0, 1.0, 0.0], [1.0, -3.0, 0.5], [0.0, 0.5, 1.0]])
    >>> top = lanczos_top(lambda v: matrix @ v, [1.0, 1.0, 1.0])
    >>> bool(abs(top.value - np.linalg.eigvalsh(matrix)[-1]) < 1e-9), top.products <= 3
    (True, True)
    """
    q = np.asarray(start, dtype=float)
    q = q / np.linalg.norm(q)
    basis, alphas, betas = [q], [], []
    while True:
        w = np.asarray(product(basis[-1].tolist()), dtype=float)
        alphas.append(float(basis[-1] @ w))
        spanned = np.array(basis)
        for _ in range(2):  # twice is enough (Kahan's "twice is enough")
            w = w - spanned.T @ (spanned @ w)
        beta = float(np.linalg.norm(w))
        small = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        ritz, vectors = np.linalg.eigh(small)
        scale = max(abs(ritz[0]), abs(ritz[-1]))
        residual = beta * abs(vectors[-1, -1])
        if residual <= tolerance * scale or len(basis) == len(q) or beta == 0.0:
            vector = spanned.T @ vectors[:, -1]
            return TopEigenpair(float(ritz[-1]), vector.tolist(), len(basis))
        betas.append(beta)
        basis.append(w / beta)
