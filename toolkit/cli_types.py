"""Parameter types shared by the command-line modules."""

from __future__ import annotations

import math

import click

__all__ = ["FinitePositiveFloat"]


class FinitePositiveFloat(click.ParamType):
    """A float that is finite and greater than zero (a learning rate, say)."""

    name = "positive number"

    def convert(self, value, param, ctx) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not (math.isfinite(number) and number > 0):
            self.fail(f"{value!r} must be a finite number greater than 0", param, ctx)
        return number
