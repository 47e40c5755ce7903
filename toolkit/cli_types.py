"""Parameter types shared by the command-line modules."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator

import click

__all__ = [
    "EAGER_HELP",
    "BadInputFile",
    "FiniteNonNegativeFloat",
    "FinitePositiveFloat",
    "input_file_errors",
]

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


class BadInputFile(click.ClickException):
    """A file that cannot be used: one line on stderr, exit code 2 like a usage error."""

    exit_code = 2


@contextlib.contextmanager
def input_file_errors(
    path: str | os.PathLike[str], *format_errors: type[Exception]
) -> Iterator[None]:
    """Turn what can go wrong reading ``path`` into a one-line ``BadInputFile``: one of the
    reader's ``format_errors`` (whose message already names the file and the problem), or
    an ``OSError`` such as a missing file.

    >>> with input_file_errors("nowhere.json"):
    ...     open("nowhere.json")
    Traceback (most recent call last):
    ...
    toolkit.cli_types.BadInputFile: nowhere.json: No such file or directory
    """
    try:
        yield
    except format_errors as error:
        raise BadInputFile(str(error)) from None
    except OSError as error:
        raise BadInputFile(f"{os.fspath(path)}: {error.strerror or error}") from None
