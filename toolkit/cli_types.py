"""Parameter types shared by the command-line modules."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

import click

__all__ = [
    "EAGER_HELP",
    "MAX_LAYER_SIZE",
    "NUMPY_HELP",
    "BadFile",
    "FiniteNonNegativeFloat",
    "FiniteNumbers",
    "FinitePositiveFloat",
    "LayerSizes",
    "check_output",
    "input_file_errors",
    "replay_options",
]

MAX_LAYER_SIZE = 1000
"""The most neurons a layer may have on the command line: far more than a scalar engine
trains in reasonable time, and a bound that keeps a typo from exhausting memory."""

EAGER_HELP = (
    "Rebuild the graph at every step instead of replaying the graph traced at the first "
    "(slower; the same numbers bit for bit)."
)
FORCE_HELP = "Overwrite the output file if it exists."


def check_output(output: str | os.PathLike[str], force: bool) -> None:
    """Refuse, before any work is done, an output file that exists (unless ``force``) or
    whose folder does not: nothing already saved is overwritten by accident.

    >>> check_output("no/such/folder/out.json", force=False)
    Traceback (most recent call last):
    ...
    click.exceptions.UsageError: no/such/folder/out.json: folder no/such/folder does not exist
    """
    path = Path(output)
    if not str(output) or path.is_dir():
        raise click.UsageError(f"{str(output)!r} is not a file name")
    if os.path.lexists(path) and not force:  # lexists: a dangling link is kept too
        raise click.UsageError(f"{output} already exists; pass --force to overwrite it")
    folder = path.absolute().parent
    if not folder.exists():
        raise click.UsageError(f"{output}: folder {path.parent} does not exist")
    if not folder.is_dir():
        raise click.UsageError(f"{output}: {path.parent} is not a folder")


NUMPY_HELP = (
    "Replay the traced graph with NumPy arrays (faster on wide graphs such as an MLP over "
    "many points, slower on chains; the same numbers up to rounding: within 1e-12 relative "
    "unless terms cancel)."
)


def replay_options(eager: bool, numpy: bool) -> dict[str, bool | str]:
    """The ``compiled`` and ``backend`` arguments of ``train`` for the ``--eager`` and
    ``--numpy`` flags; refuses both at once.

    >>> replay_options(eager=False, numpy=True)
    {'compiled': True, 'backend': 'numpy'}
    """
    if eager and numpy:
        raise click.UsageError("--eager and --numpy exclude each other: choose one")
    return {"compiled": not eager, "backend": "numpy" if numpy else "python"}


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


class BadFile(click.ClickException):
    """A file that cannot be read, used or written: one line on stderr, exit code 2 like a
    usage error."""

    exit_code = 2


@contextlib.contextmanager
def input_file_errors(
    path: str | os.PathLike[str], *format_errors: type[Exception]
) -> Iterator[None]:
    """Turn what can go wrong reading ``path`` into a one-line ``BadFile``: one of the
    reader's ``format_errors`` (whose message already names the file and the problem), or
    an ``OSError`` such as a missing file.

    >>> with input_file_errors("nowhere.json"):
    ...     open("nowhere.json")
    Traceback (most recent call last):
    ...
    toolkit.cli_types.BadFile: nowhere.json: No such file or directory
    """
    try:
        yield
    except format_errors as error:
        raise BadFile(str(error)) from None
    except OSError as error:
        raise BadFile(f"{os.fspath(path)}: {error.strerror or error}") from None


class LayerSizes(click.ParamType):
    """The layer sizes after the inputs, ``4,4,1``: whole numbers from 1 to
    ``MAX_LAYER_SIZE``, the last 1 (one output per target). Converts to a tuple."""

    name = "sizes"

    def convert(self, value, param, ctx) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        sizes = []
        for part in str(value).split(","):
            try:
                size = int(part)
            except ValueError:
                self.fail(f"{value!r}: {part.strip()!r} is not a whole number", param, ctx)
            if not 1 <= size <= MAX_LAYER_SIZE:
                self.fail(
                    f"{value!r}: a layer has 1 to {MAX_LAYER_SIZE} neurons, got {size}", param, ctx
                )
            sizes.append(size)
        if sizes[-1] != 1:
            self.fail(f"{value!r} must end with 1 (one output per target)", param, ctx)
        return tuple(sizes)


class FiniteNumbers(click.ParamType):
    """Comma-separated finite numbers, such as ``2,3,-1``; converts to a tuple of floats."""

    name = "x1,x2,..."

    def convert(self, value, param, ctx) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        numbers = []
        for part in str(value).split(","):
            try:
                number = float(part)
            except ValueError:
                self.fail(f"{part.strip()!r} is not a number", param, ctx)
            if not math.isfinite(number):
                self.fail(f"{part.strip()!r} is not a finite number", param, ctx)
            numbers.append(number)
        return tuple(numbers)
