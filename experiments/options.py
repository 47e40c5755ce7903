"""The command-line options the experiment scripts share, and how their errors are told.

Each script is one click command; ``micrograd experiment <name>`` runs the very same
command, so both spellings take the same options and give the same one-line errors. The
options mean what they mean in every ``micrograd`` command: ``--steps`` and seeds have the
ranges of ``toolkit.cli_types``, ``-o/--output`` names where the results go and ``--force``
lets a run replace the results already there (``output_options``: the results folder is
replaced whole when the run completes, or not at all).

>>> SeedList().convert("0-3,7", None, None)
(0, 1, 2, 3, 7)
>>> LearningRates().convert("0.1,0.01", None, None)
(0.01, 0.1)
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from experiments import outputs
from experiments.runner import AUTO_JOBS_HELP, SchedulerError
from micrograd.train import NonFiniteLossError
from toolkit.cli_types import (
    MAX_STEPS,
    AliasedOption,
    BadFile,
    Command,
    FinitePositiveFloat,
    LayerSizes,
    Steps,
    number_text,
)

__all__ = [
    "MAX_STEPS",
    "Command",
    "LearningRates",
    "SchedulerAddress",
    "SeedList",
    "number_text",
    "one_line_errors",
    "output_options",
    "parallel_options",
    "report",
]

COMMAND_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
"""click context settings of every experiment command, as the ``micrograd`` group has.
Give the command ``cls=options.Command`` too, so that ``python -m experiments.<name>`` prints
its errors in one line as ``micrograd experiment <name>`` does."""

MAX_SEEDS = 10_000

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class SeedList(click.ParamType):
    """Seeds as ranges and single numbers, ``0-19`` or ``0,3,5-9``; sorted, no repeats."""

    name = "seeds"

    def convert(self, value: Any, param, ctx) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        seeds: list[int] = []
        for part in str(value).split(","):
            match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
            if match is None:
                self.fail(f"{part.strip()!r} is not a seed or a range like 0-19", param, ctx)
            first = int(match[1])
            last = int(match[2]) if match[2] is not None else first
            if last < first:
                self.fail(f"range {part.strip()!r} runs backwards", param, ctx)
            if len(seeds) + last - first + 1 > MAX_SEEDS:
                self.fail(f"more than {MAX_SEEDS:,} seeds", param, ctx)
            seeds.extend(range(first, last + 1))
        repeated = sorted(seed for seed, count in Counter(seeds).items() if count > 1)
        if repeated:
            self.fail(f"seed {repeated[0]} is given twice", param, ctx)
        return tuple(sorted(seeds))

    @staticmethod
    def format(seeds: Sequence[int]) -> str:
        """The shortest text for ``seeds``: ``0-19``, or a comma-separated list.

        >>> SeedList.format(range(20)), SeedList.format([1, 4])
        ('0-19', '1,4')
        """
        seeds = list(seeds)
        if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
            return f"{seeds[0]}-{seeds[-1]}"
        return ",".join(str(seed) for seed in seeds)


class LearningRates(click.ParamType):
    """Comma-separated learning rates, each finite and above 0; sorted, no repeats."""

    name = "lrs"

    def convert(self, value: Any, param, ctx) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        lrs = [FinitePositiveFloat().convert(part.strip(), param, ctx) for part in value.split(",")]
        if len(set(lrs)) != len(lrs):
            self.fail("a learning rate is given twice", param, ctx)
        return tuple(sorted(lrs))


class SchedulerAddress(click.ParamType):
    """A Dask scheduler's address, ``tcp://HOST:PORT``."""

    name = "tcp://HOST:PORT"

    def convert(self, value: Any, param, ctx) -> str:
        parts = urlsplit(str(value))
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme != "tcp" or not parts.hostname or port is None or parts.path:
            self.fail(f"{value!r} is not an address like tcp://127.0.0.1:8786", param, ctx)
        return str(value)


def steps_option(default: int) -> Decorator:
    return click.option(
        "--steps",
        type=Steps(),
        default=default,
        show_default=True,
        help="SGD steps per run.",
    )


def layers_option(default: Sequence[int]) -> Decorator:
    return click.option(
        "--layers",
        type=LayerSizes(),
        default=",".join(str(size) for size in default),
        show_default=True,
        help="Layer sizes after the inputs; the last must be 1.",
    )


def seeds_option(default: Sequence[int]) -> Decorator:
    return click.option(
        "--seeds",
        type=SeedList(),
        default=SeedList.format(default),
        show_default=True,
        help="Initialisation seeds: ranges and numbers, e.g. 0-19 or 0,3,5-9.",
    )


def lrs_option(
    default: Sequence[float], help: str = "Learning rates, comma-separated."
) -> Decorator:
    """``--lrs``: learning rates, comma-separated, each finite and positive."""
    return click.option(
        "--lrs",
        type=LearningRates(),
        default=",".join(f"{lr:g}" for lr in default),
        show_default=True,
        help=help,
    )


def parallel_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--jobs`` (worker processes; by default chosen from the runs' length, see
    ``experiments.runner.run_all``) and ``--scheduler`` (Dask)."""
    command = click.option(
        "--scheduler",
        type=SchedulerAddress(),
        default=None,
        help="Send the runs to this Dask scheduler instead (needs the extra 'distributed').",
    )(command)
    return click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        show_default="auto",
        help=f"Worker processes for the independent runs. {AUTO_JOBS_HELP}",
    )(command)


def output_options(experiment: str) -> Decorator:
    """``-o/--output`` (default ``results/<experiment>``; ``--out`` is its old spelling, still
    read), ``--force`` and ``--json`` (print the summary as JSON). The command receives the
    folder as ``out`` and runs inside ``outputs.replacing(out)``: its results are written
    into a temporary folder beside ``out`` that replaces ``out`` only when the command
    completes, and an interrupted or failed run leaves ``out`` as it was. An ``out`` that
    holds results already is refused (exit 2) before any work, unless ``--force``."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def staged(*args: Any, out: Path, force: bool, **kwargs: Any) -> Any:
            with contextlib.ExitStack() as stack:
                try:  # before any work: refuse the folder, or make the temporary one
                    stack.enter_context(outputs.replacing(out, force=force))
                except outputs.ResultsExistError as error:
                    raise click.BadParameter(str(error), param_hint="'-o' / '--output'") from None
                except OSError as error:
                    raise BadFile(f"cannot write the results: {error}") from None
                return command(*args, out=out, **kwargs)

        decorated = click.option(
            "--json", "as_json", is_flag=True, help="Print the summary as one JSON document."
        )(staged)
        decorated = click.option(
            "--force", is_flag=True, help="Replace the results already in the output folder."
        )(decorated)
        return click.option(
            "-o",
            "--output",
            "--out",
            "out",
            cls=AliasedOption,
            hidden_aliases=["--out"],
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("results") / experiment,
            show_default=True,
            help="Folder for the config, data and figures.",
        )(decorated)

    return decorate


def report(summary: dict[str, Any], table: str, out: Path, as_json: bool) -> None:
    """Put the results in place (``outputs.publish``), then print the summary: as JSON, or
    as ``table`` followed by where the files are."""
    outputs.publish(out)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(table)
        click.echo(f"results in {out}{os.sep}")


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn what can go wrong in a run into click's one-line errors: an unusable
    ``--scheduler`` is bad usage (exit 2); a diverging run or a failed write exits with 1
    (a results folder that cannot be written at all is refused before, by
    ``output_options``)."""
    try:
        yield
    except SchedulerError as error:
        raise click.BadParameter(str(error), param_hint="'--scheduler'") from None
    except NonFiniteLossError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write the results: {error}") from None
