"""What the command-line modules share: one-line errors, parameter types, output checks and
progress on a terminal.

The rules every ``micrograd`` command follows, in one place:

- An error is one line on stderr, ``Error: ...``, never a traceback (``MICROGRAD_DEBUG=1``
  shows the traceback of an unexpected one). Exit code 2 for bad usage or bad input (an
  option, a file that cannot be read or written), found before any long work starts; 1
  for a failure while running (a loss that stops being finite, a write that fails, an
  unexpected error); 130 for an interruption (Ctrl-C), as shells report SIGINT.
- The same idea has the same option and type everywhere: ``--seed`` (``Seed``),
  ``--steps`` (``Steps``), ``--data``, ``--input``, ``-o/--output``, ``--force``.
- Long work says what it is doing on stderr when that is a terminal (``Progress``), and
  nothing in a pipe.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import click

from toolkit.files import one_line
from toolkit.graph import strict_json

__all__ = [
    "DATA_HINT",
    "DEBUG_VARIABLE",
    "EAGER_HELP",
    "FORCE_HELP",
    "INTERRUPTED_EXIT_CODE",
    "MAX_LAYER_SIZE",
    "MAX_STEPS",
    "NUMPY_HELP",
    "PROGRESS_BAR_AFTER",
    "AliasedOption",
    "BadFile",
    "Command",
    "FiniteFloat",
    "FiniteNonNegativeFloat",
    "FiniteNumbers",
    "FinitePositiveFloat",
    "Group",
    "Interrupted",
    "LayerSizes",
    "Progress",
    "Seed",
    "Steps",
    "check_output",
    "check_suffix",
    "data_errors",
    "echo_json",
    "format_from_suffix",
    "input_file_errors",
    "number_text",
    "one_line",
    "replay_options",
]

MAX_LAYER_SIZE = 1000
"""The most neurons a layer may have on the command line: far more than a scalar engine
trains in reasonable time, and a bound that keeps a typo from exhausting memory."""

MAX_STEPS = 1_000_000
"""The most SGD steps any command runs (a typo of a few extra zeros is refused at once)."""

PROGRESS_BAR_AFTER = 100
"""On a terminal, runs of more steps than this show a step counter instead of a line per
step (a pipe always gets every step's line)."""

INTERRUPTED_EXIT_CODE = 130
"""The exit code of a command interrupted by Ctrl-C: 128 plus the number of SIGINT, as
shells report a process that SIGINT ended."""

DEBUG_VARIABLE = "MICROGRAD_DEBUG"
"""Set this environment variable to 1 to see the traceback of an unexpected error."""

MAX_MESSAGE = 500
"""The longest error message printed, in characters (``one_line``, the one escaping of
control characters that every reader's error message goes through too)."""

EAGER_HELP = (
    "Rebuild the graph at every step instead of replaying the graph traced at the first "
    "(slower; the same numbers bit for bit)."
)
FORCE_HELP = "Overwrite the output file if it exists."
NUMPY_HELP = (
    "Replay the traced graph with NumPy arrays (faster on wide graphs such as an MLP over "
    "many points, slower on chains; the same numbers up to rounding: within 1e-12 relative "
    "unless terms cancel)."
)


# -- errors -------------------------------------------------------------------------------


def _fail(message: str, exit_code: int) -> NoReturn:
    # After Ctrl-C a terminal shows "^C" where the cursor was: the error line replaces it.
    start = "\r\x1b[K" if exit_code == INTERRUPTED_EXIT_CODE and stderr_is_terminal() else ""
    click.echo(f"{start}Error: {one_line(message, MAX_MESSAGE)}", err=True)
    sys.exit(exit_code)


def _unexpected(error: BaseException) -> str:
    if isinstance(error, MemoryError):
        return "out of memory; try a smaller model, data set or graph"
    detail = f": {error}" if str(error) else ""
    return (
        f"unexpected {type(error).__name__}{detail} "
        f"(run again with {DEBUG_VARIABLE}=1 to see the traceback)"
    )


class Interrupted(click.ClickException):
    """A command stopped by Ctrl-C (``KeyboardInterrupt``): ``Error: interrupted`` and exit
    code ``INTERRUPTED_EXIT_CODE``, one line like every other error."""

    exit_code = INTERRUPTED_EXIT_CODE

    def __init__(self) -> None:
        super().__init__("interrupted")


class OneLineErrors:
    """A click command or group whose errors are one line on stderr, click's own usage
    errors included: ``Error: Missing option '-o' / '--output'.`` with exit code 2, no
    usage lines; an unknown option is told the visible options that come close, never a
    hidden alias. A ``click.ClickException`` keeps its exit code (2 for bad usage or input,
    1 for a failure while running); Ctrl-C is ``Error: interrupted`` with exit code 130
    (``Interrupted``); any other exception becomes one line and exit code 1, unless the
    environment variable ``MICROGRAD_DEBUG`` is set, which lets it through with its
    traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        run = super().main  # type: ignore[misc]
        if not standalone_mode:
            return run(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = run(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:
            # A group called with no command (`micrograd`, `micrograd graph`): its help,
            # as --help shows it, not an error.
            click.echo(error.ctx.get_help() if error.ctx else error.format_message())
            sys.exit(0)
        except click.NoSuchOption as error:
            _fail(_without_hidden_suggestions(error).format_message(), error.exit_code)
        except click.ClickException as error:
            _fail(error.format_message(), error.exit_code)
        except click.Abort:  # Ctrl-C while click itself was busy (parsing, say)
            _fail(Interrupted().format_message(), INTERRUPTED_EXIT_CODE)
        except Exception as error:  # the last line of defence: never a traceback
            if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
                raise
            _fail(_unexpected(error), 1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        # Ctrl-C becomes a one-line error here, before click's own handling prints a blank
        # line and turns it into click.Abort.
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except KeyboardInterrupt:
            raise Interrupted() from None


def _without_hidden_suggestions(error: click.NoSuchOption) -> click.NoSuchOption:
    """``error`` suggesting only the options ``--help`` shows: click's parser suggests from
    every spelling it knows, hidden aliases (``AliasedOption``) and hidden options included.
    """
    if error.ctx is None:
        return error
    shown: list[str] = []
    for param in error.ctx.command.get_params(error.ctx):
        if isinstance(param, click.Option) and not param.hidden:
            hidden = getattr(param, "hidden_aliases", ())
            shown += [o for o in (*param.opts, *param.secondary_opts) if o not in hidden]
    close = difflib.get_close_matches(error.option_name, [o for o in shown if o[:2] == "--"])
    return click.NoSuchOption(error.option_name, error.message, possibilities=close, ctx=error.ctx)


class Command(OneLineErrors, click.Command):
    """A ``click.Command`` whose errors are one line (see ``OneLineErrors``)."""


class Group(OneLineErrors, click.Group):
    """A ``click.Group`` whose errors, its subcommands' included, are one line (see
    ``OneLineErrors``)."""


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


@contextlib.contextmanager
def data_errors(name: str) -> Iterator[None]:
    """Turn what can go wrong reading the data set ``name`` (``--data``) into the one-line
    usage error every command gives for it, ``Invalid value for '--data': ...``: a file
    that cannot be opened (``OSError``) or read as a data set (``ValueError``, such as
    ``toolkit.datasets.DataFormatError``).

    >>> with data_errors("points.csv"):
    ...     open("points.csv")
    Traceback (most recent call last):
    ...
    click.exceptions.BadParameter: points.csv: No such file or directory
    """
    try:
        yield
    except OSError as error:
        message = f"{name}: {error.strerror or error}"
        raise click.BadParameter(message, param_hint=DATA_HINT) from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=DATA_HINT) from None


DATA_HINT = "'--data'"
"""How an error about ``--data`` names the option."""


# -- output files -------------------------------------------------------------------------


def check_output(output: str | os.PathLike[str], force: bool) -> None:
    """Refuse, before any work is done, an output file that exists (unless ``force``), whose
    folder does not exist or cannot be written in: nothing already saved is overwritten by
    accident, and no long run ends in a failed write.

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
    # Writes are atomic (a temporary file beside the output, then a rename), so what must
    # work is creating a file in the folder: try exactly that. os.access alone is not
    # enough, since it says yes to root on a read-only file system such as /sys.
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".micrograd-", suffix=".tmp")
    except OSError as error:
        raise click.UsageError(
            f"{output}: cannot write in folder {path.parent}: {error.strerror or error}"
        ) from None
    os.close(handle)
    os.unlink(probe)


def format_from_suffix(
    path: str | os.PathLike[str], chosen: str | None, by_suffix: Mapping[str, str]
) -> str:
    """The format of the file at ``path``: the one its suffix names in ``by_suffix``, or
    ``chosen`` (the ``--format`` option) for a name without a known suffix. A ``chosen``
    format that contradicts the suffix, or no way to tell, is a one-line usage error.

    >>> formats = {".json": "node-link", ".graphml": "graphml"}
    >>> format_from_suffix("loss.GraphML", None, formats)
    'graphml'
    >>> format_from_suffix("loss.xml", "graphml", formats)
    'graphml'
    >>> format_from_suffix("loss.json", "graphml", formats)
    Traceback (most recent call last):
    ...
    click.exceptions.UsageError: --format graphml contradicts the file name loss.json ...
    """
    suffix = Path(path).suffix.lower()
    implied = by_suffix.get(suffix)
    if chosen is None and implied is None:
        names = " or ".join(by_suffix)
        raise click.UsageError(
            f"cannot tell the format of {os.fspath(path)} from its name: "
            f"end it in {names}, or pass --format"
        )
    if chosen is not None and implied is not None and chosen != implied:
        raise click.UsageError(
            f"--format {chosen} contradicts the file name {os.fspath(path)} ({suffix} is {implied})"
        )
    return chosen or implied  # type: ignore[return-value]


def check_suffix(path: str | os.PathLike[str], suffixes: Iterable[str], why: str) -> None:
    """Refuse, as a bad ``-o``, a file name that ends in none of ``suffixes``; ``why`` says
    what the file is and what its name must end in.

    >>> check_suffix("page.txt", [".html"], "a page must end in .html")
    Traceback (most recent call last):
    ...
    click.exceptions.BadParameter: page.txt: a page must end in .html
    """
    if Path(path).suffix.lower() not in suffixes:
        raise click.BadParameter(f"{os.fspath(path)}: {why}", param_hint="'-o' / '--output'")


class AliasedOption(click.Option):
    """An option that also answers to old spellings, ``hidden_aliases``, which work as
    before but are left out of ``--help``, of error messages and of the suggestions for a
    mistyped option. Giving the option twice under two of its spellings (``-o a --out b``)
    is refused rather than letting the last one win unseen.

    >>> @click.command()
    ... @click.option("-o", "--output", "--out", "out", cls=AliasedOption,
    ...               hidden_aliases=["--out"])
    ... def command(out): click.echo(out)
    >>> from click.testing import CliRunner
    >>> CliRunner().invoke(command, ["--out", "here"]).output
    'here\\n'
    >>> CliRunner().invoke(command, ["--help"]).output.splitlines()[3]
    '  -o, --output TEXT'
    >>> CliRunner().invoke(command, ["--out", "a", "-o", "b"]).output.splitlines()[-1]
    'Error: -o and --out are one option (-o / --output): give it once'
    """

    def __init__(self, *args: Any, hidden_aliases: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_aliases = tuple(hidden_aliases)
        if self.secondary_opts:
            raise TypeError("an AliasedOption has no secondary (off) spellings")

    def _shown(self) -> list[str]:
        return [opt for opt in self.opts if opt not in self.hidden_aliases]

    def _given_as(self, spelling: str) -> str:
        """Where the parser keeps a value given under ``spelling``."""
        return f"{self.name} as {spelling}"

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        opts, self.opts = self.opts, self._shown()
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = opts

    def get_error_hint(self, ctx: click.Context | None) -> str:
        return " / ".join(f"'{opt}'" for opt in self._shown())

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        # Each spelling is an option of the parser's own, keeping its value apart, so that
        # consume_value sees which spellings were given.
        opts, name = self.opts, self.name
        given_as = [self._given_as(spelling) for spelling in opts]
        try:
            for spelling, dest in zip(opts, given_as):
                self.opts, self.name = [spelling], dest
                super().add_to_parser(parser, ctx)
        finally:
            self.opts, self.name = opts, name

    def consume_value(self, ctx: click.Context, opts: Mapping[str, Any]) -> tuple[Any, Any]:
        given = [spelling for spelling in self.opts if self._given_as(spelling) in opts]
        if len(given) > 1:
            raise click.UsageError(
                f"{' and '.join(given)} are one option ({' / '.join(self._shown())}): give it once",
                ctx,
            )
        if given:
            opts = {**opts, str(self.name): opts[self._given_as(given[0])]}
        return super().consume_value(ctx, opts)


def replay_options(eager: bool, numpy: bool) -> dict[str, bool | str]:
    """The ``compiled`` and ``backend`` arguments of ``train`` for the ``--eager`` and
    ``--numpy`` flags; refuses both at once.

    >>> replay_options(eager=False, numpy=True)
    {'compiled': True, 'backend': 'numpy'}
    """
    if eager and numpy:
        raise click.UsageError("--eager and --numpy exclude each other: choose one")
    return {"compiled": not eager, "backend": "numpy" if numpy else "python"}


# -- parameter types ----------------------------------------------------------------------


class Seed(click.IntRange):
    """A seed: a whole number of at least 0, the same in every command.

    >>> Seed().convert("3", None, None)
    3
    """

    name = "integer"

    def __init__(self) -> None:
        super().__init__(min=0)


class Steps(click.IntRange):
    """A number of SGD steps: 1 to ``MAX_STEPS``, the same in every command.

    >>> Steps().convert("50", None, None)
    50
    """

    name = "integer"

    def __init__(self) -> None:
        super().__init__(1, MAX_STEPS)


class FiniteFloat(click.ParamType):
    """A finite float; an error echoes what was typed (``1e400``, not ``inf``).

    >>> FiniteFloat().convert("-2.5", None, None)
    -2.5
    """

    name = "number"
    requirement = "a finite number"

    def accepts(self, number: float) -> bool:
        """Whether ``number``, already finite, is in range."""
        return True

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, float) and math.isfinite(value) and self.accepts(value):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not (math.isfinite(number) and self.accepts(number)):
            self.fail(f"{value!r} must be {self.requirement}", param, ctx)
        return number


class FinitePositiveFloat(FiniteFloat):
    """A float that is finite and greater than zero (a learning rate, say)."""

    name = "positive number"
    requirement = "a finite number greater than 0"

    def accepts(self, number: float) -> bool:
        return number > 0


class FiniteNonNegativeFloat(FiniteFloat):
    """A float that is finite and at least 0 (a noise level or a penalty weight)."""

    name = "number >= 0"
    requirement = "a finite number of at least 0"

    def accepts(self, number: float) -> bool:
        return number >= 0


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
                self.fail(f"{part.strip()!r} must be {FiniteFloat.requirement}", param, ctx)
            numbers.append(number)
        return tuple(numbers)


# -- what a long command is doing ---------------------------------------------------------


def number_text(x: float) -> str:
    """A loss or another value for a person to read: six significant digits, in exponent
    form when very large or small (a diverging run prints ``1.23457e+120``, not 121 digits).

    >>> number_text(7.729795123), number_text(1.5e120), number_text(0.0001234567)
    ('7.7298', '1.5e+120', '0.000123457')
    >>> number_text(-(10**400) // 3)  # a whole number beyond the float range, as JSON may hold
    '-3.33333e+399'
    """
    try:
        return f"{x:.6g}"
    except OverflowError:
        mantissa, exponent = f"{Decimal(x):.6g}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def stdout_is_terminal() -> bool:
    """Whether standard output is a terminal (not a pipe or a file)."""
    return _isatty(sys.stdout)


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal, where progress is shown."""
    return _isatty(sys.stderr)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no such method, or a closed stream
        return False


class Progress:
    """What a long command is doing, as one status line on stderr that each update replaces
    (``compiling the loss graph: 730,012 nodes``, ``training: step 120 of 1000, loss 0.0123,
    about 14 s left``), shown only when stderr is a terminal: a pipe or a file gets none of
    it, and standard output only results. Use it as a context manager, which clears the
    status line at the end; ``echo`` prints a result line without mixing it into the status.

    >>> with Progress() as progress:  # not a terminal here: nothing is shown
    ...     progress.status("reading loss.json")
    ...     progress.echo("a result")
    a result
    """

    UPDATE_EVERY = 0.1
    """Seconds between updates of a step counter."""

    def __init__(self) -> None:
        self.shown = stderr_is_terminal()
        self._showing = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.clear()

    def status(self, text: str) -> None:
        """Show ``text`` as the status line (on a terminal)."""
        if self.shown:
            click.echo(f"\r{one_line(text, 160)}\x1b[K", nl=False, err=True)
            self._showing = True

    def clear(self) -> None:
        """Remove the status line."""
        if self._showing:
            click.echo("\r\x1b[K", nl=False, err=True)
            self._showing = False

    def echo(self, text: str) -> None:
        """Print a result line on standard output, clearing the status line first."""
        self.clear()
        click.echo(text)

    def counter(self, total: int, label: str) -> Callable[[int, float], None]:
        """An ``on_step(step, loss)`` that shows ``label: step k of total, loss x, about T
        left``, the time left estimated from the steps since the first."""
        started: list[float] = []
        last = [0.0]

        def on_step(step: int, loss: float) -> None:
            now = time.monotonic()
            if not started:
                started.append(now)
            elif now - last[0] < self.UPDATE_EVERY and step + 1 < total:
                return
            last[0] = now
            left = ""
            if 0 < step < total - 1:
                seconds = (now - started[0]) / step * (total - 1 - step)
                left = f", about {_duration(seconds)} left"
            self.status(f"{label}: step {step + 1} of {total}, loss {number_text(loss)}{left}")

        return on_step

    def loss_reporter(
        self, steps: int, every_line_up_to: int = PROGRESS_BAR_AFTER
    ) -> Callable[[int, float], None]:
        """An ``on_step`` for a training run: every step's loss as a line on standard output
        (the results of the run) when there are at most ``every_line_up_to`` steps or
        standard output is not a terminal; otherwise, on a terminal, a step counter."""
        on_terminal = stdout_is_terminal()
        lines = steps <= every_line_up_to or not on_terminal
        counter = None if lines and on_terminal else self.counter(steps, "training")

        def on_step(step: int, loss: float) -> None:
            if lines:
                self.echo(f"step {step:3d}  loss {number_text(loss)}")
            if counter is not None:
                counter(step, loss)

        return on_step


def _duration(seconds: float) -> str:
    """``seconds`` rounded for a person: ``3 s``, ``2 min``, ``1.5 h``.

    >>> _duration(2.4), _duration(150), _duration(5400)
    ('2 s', '2 min', '1.5 h')
    """
    if seconds < 90:
        return f"{max(round(seconds), 1)} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def echo_json(data: object) -> None:
    """Print ``data`` as one strict JSON document (RFC 8259): a non-finite number is the
    string ``"nan"``, ``"inf"`` or ``"-inf"``, as in graph files, so ``jq`` and a browser's
    ``JSON.parse`` read every ``--json`` output.

    >>> echo_json({"outputs": [[float("inf"), 0.5]]})
    {"outputs": [["inf", 0.5]]}
    """
    click.echo(json.dumps(strict_json(data), allow_nan=False))
