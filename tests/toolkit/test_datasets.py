"""The built-in data sets."""

from __future__ import annotations

import pytest

from micrograd.demo import XS, YS
from toolkit.datasets import demo, moons


def test_demo_is_the_lecture_points():
    xs, ys = demo()
    assert xs == [list(x) for x in XS] and ys == list(YS)


def test_moons_are_seeded_balanced_and_noisy_around_two_arcs():
    xs, ys = moons(100, noise=0.1, seed=0)
    assert (xs, ys) == moons(100, noise=0.1, seed=0)
    assert moons(100, seed=1) != (xs, ys)
    assert len(xs) == 100 and ys.count(1.0) == 50 and ys.count(-1.0) == 50
    clean_xs, clean_ys = moons(100, noise=0.0, seed=0)
    for (x, y), label in zip(clean_xs, clean_ys):
        centre = (0.0, 0.0) if label == -1.0 else (1.0, 0.5)
        assert abs((x - centre[0]) ** 2 + (y - centre[1]) ** 2 - 1.0) < 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"n_samples": 1}, "n_samples"), ({"noise": -1.0}, "noise")]
)
def test_moons_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        moons(**kwargs)
