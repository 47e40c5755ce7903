"""Parameter types shared by the command-line modules."""

from __future__ import annotations

import math

import click

__all__ = ["EAGER_HELP", "FiniteNonNegativeFloat", "FinitePositiveFloat"]

EAGER_HELP = (
    "Rebuild the graph at every step instead of replaying the graph traced at the first "
    "(slower; the same numbers bit for bit)."
)


class _FiniteFloatFromZero(click.ParamType):
    """A finite float above zero, or at least zero when ``zero_allowed``."""

    zero_allowed = False
    requirement = "a finite number greater than 0"

    def convert(self, value, param, ctx) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not (math.isfinite(number) and (number > 0 or (self.zero_allowed and number == 0))):
            self.fail(f"{value!r} must be {self.requirement}", param, ctx)
        return number


class FinitePositiveFloat(_FiniteFloatFromZero):
    """A float that is finite and greater than zero (a learning rate, say)."""

    name = "positive number"


class FiniteNonNegativeFloat(_FiniteFloatFromZero):
    """A float that is finite and at least 0 (a noise level or a penalty weight)."""

    name = "number >= 0"
    zero_allowed = True
    requirement = "a finite number of at least 0"
