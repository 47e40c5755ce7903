"""Built-in data sets: the four points of the classic lecture, and two seeded moons.

Each returns ``(xs, ys)``: a list of input rows and a list of targets.

>>> xs, ys = demo()
>>> len(xs), len(xs[0]), ys
(4, 3, [1.0, -1.0, -1.0, 1.0])
>>> xs, ys = moons(10, seed=1)
>>> len(xs), sorted(set(ys))
(10, [-1.0, 1.0])
"""

from __future__ import annotations

import math
import random

from micrograd.demo import XS, YS

__all__ = ["demo", "moons"]

Dataset = tuple[list[list[float]], list[float]]


def demo() -> Dataset:
    """The classic lecture's four points with three inputs and targets +-1."""
    return [list(x) for x in XS], list(YS)


def moons(n_samples: int = 100, *, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles in the plane, labelled -1 (upper) and +1 (lower), with
    Gaussian noise of standard deviation ``noise``, shuffled; all drawn from
    ``random.Random(seed)``. The same arguments always give the same points."""
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 2:
        raise ValueError(f"moons needs n_samples >= 2, got {n_samples!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"moons needs a finite noise >= 0, got {noise!r}")
    rng = random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    points: list[tuple[float, float, float]] = []
    for i in range(n_upper):
        angle = math.pi * i / max(n_upper - 1, 1)
        points.append((math.cos(angle), math.sin(angle), -1.0))
    for i in range(n_lower):
        angle = math.pi * i / max(n_lower - 1, 1)
        points.append((1.0 - math.cos(angle), 0.5 - math.sin(angle), 1.0))
    noisy = [
        (x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise), label) for x, y, label in points
    ]
    rng.shuffle(noisy)
    return [[x, y] for x, y, _ in noisy], [label for _, _, label in noisy]
