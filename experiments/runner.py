"""Run independent tasks in parallel and get their results back in submission order.

``run_all(task, items, jobs=N)`` is ``[task(item) for item in items]`` computed by ``N``
worker processes, or by an existing Dask cluster when ``scheduler`` is given. The results
come back in the order of ``items`` whatever order the runs finish in, so a sweep writes
the same bytes with one worker or many. Workers import ``task`` by its module and name and
receive ``items`` as plain data: keep both at module level and free of closures.

Worker processes pay off only for long runs: each is a fresh interpreter (``spawn``) that
imports the engine first, about 1.3 s for two workers on two cores, while the 70 runs of
``lr_sweep`` take 0.15 s in all. So ``jobs=None`` (the commands' default) times the first run
in this process and sends the rest to one worker per core only if they would take more than
``PARALLEL_AFTER`` seconds here.

>>> run_all(abs, [-2, 3, -5], jobs=1, show_progress=False)
[2, 3, 5]
>>> run_all(abs, [-2, 3, -5], jobs=None, show_progress=False)  # short: all in this process
[2, 3, 5]
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import click

from toolkit.cli_types import stderr_is_terminal

__all__ = ["AUTO_JOBS_HELP", "PARALLEL_AFTER", "SchedulerError", "default_jobs", "run_all"]

Item = TypeVar("Item")
Result = TypeVar("Result")

CONNECT_TIMEOUT = "10s"

PARALLEL_AFTER = 3.0
"""Seconds of runs left, at the pace of the first, above which ``jobs=None`` starts worker
processes: two of them cost about 1.3 s to start, so below this one process is faster."""

AUTO_JOBS_HELP = (
    "By default the first run is timed and the rest go to one process per core only if "
    f"they would take more than {PARALLEL_AFTER:g} s in one (starting workers costs about a "
    "second, more than short sweeps take)."
)

ETA_AFTER = 3
"""Runs that must have finished, after the first, before the time left is shown: the
first results say more about start-up than about the pace."""


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used: the extra is not installed or it is unreachable."""


def default_jobs() -> int:
    """The number of cores this process may run on (all of them, unless restricted).

    >>> default_jobs() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_all(
    task: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    jobs: int | None = 1,
    scheduler: str | None = None,
    label: str = "runs",
    show_progress: bool = True,
) -> list[Result]:
    """``[task(item) for item in items]``, in parallel, with a progress bar on stderr when
    it is a terminal.

    ``jobs == 1`` runs here, in this process; ``jobs > 1`` uses that many worker processes
    (started fresh with ``spawn``, the same on every platform); ``jobs=None`` runs the first
    item here and the rest in one worker per core only if, at that pace, they would take
    more than ``PARALLEL_AFTER`` seconds. ``scheduler`` (``tcp://HOST:PORT``) sends the runs
    to that Dask cluster instead and ignores ``jobs``. An exception raised by a task
    propagates and stops the rest.
    """
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    items = list(items)
    with progress(len(items), label, shown=show_progress) as bar:
        if scheduler is not None:
            return _run_on_dask(task, items, scheduler, bar)
        results: list[Result] = []
        if jobs is None and items:
            started = time.perf_counter()
            results.append(bar.advance(task(items[0])))
            pace = time.perf_counter() - started
            items = items[1:]
            jobs = default_jobs() if pace * len(items) > PARALLEL_AFTER else 1
        if jobs == 1 or len(items) <= 1:
            return results + [bar.advance(task(item)) for item in items]
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes=min(jobs, len(items))) as pool:
            bar.restart_clock()  # the time left counts from the workers' first result
            return results + [bar.advance(result) for result in pool.imap(task, items)]


class Progress:
    """A progress bar of finished runs (``click.progressbar``) with the time left estimated
    from the pace since the first result, shown once ``ETA_AFTER`` more have finished;
    nothing at all unless it is shown on a terminal."""

    def __init__(self, bar: Any | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._bar = bar
        self._now = clock  # given by tests: patching ``time.monotonic`` would reach other threads
        self._clock: tuple[float, int] | None = None  # (time, runs done) at the first result
        self._done = 0

    def advance(self, result: Result) -> Result:
        """Count one more finished run; return ``result``."""
        self._done += 1
        if self._bar is not None:
            self._bar.update(1, self._time_left())
        return result

    def restart_clock(self) -> None:
        """Measure the pace anew from the next result (after a start-up)."""
        self._clock = None

    def _time_left(self) -> str:
        now = self._now()
        if self._clock is None:
            self._clock = (now, self._done)
            return " "
        since, done_then = self._clock
        finished = self._done - done_then
        if finished < ETA_AFTER or self._bar is None:
            return " "
        seconds = (now - since) / finished * (self._bar.length - self._done)
        return (
            f"about {seconds:.0f} s left" if seconds < 120 else f"about {seconds / 60:.0f} min left"
        )


def announce(text: str) -> None:
    """Say on stderr, when it is a terminal, what comes next that has no bar of its own
    (drawing the figures); a pipe or a file gets nothing, so standard output keeps only
    results."""
    if stderr_is_terminal():
        click.echo(text, err=True)


@contextlib.contextmanager
def progress(total: int, label: str, *, shown: bool = True) -> Iterator[Progress]:
    """A ``Progress`` over ``total`` runs, drawn on stderr only when ``shown`` and stderr is
    a terminal: a pipe or a file gets no bar and no label, standard output only results."""
    if not (shown and stderr_is_terminal()):
        yield Progress(None)
        return
    with click.progressbar(
        length=total,
        label=label,
        file=sys.stderr,
        show_eta=False,
        show_percent=False,
        show_pos=True,
        item_show_func=lambda text: text,
    ) as bar:
        yield Progress(bar)


def _run_on_dask(
    task: Callable[[Item], Result], items: list[Item], address: str, bar: Progress
) -> list[Result]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError(
            "needs Dask: install the optional extra with pip install -e '.[distributed]'"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except OSError as error:
        raise SchedulerError(f"cannot reach a Dask scheduler: {error}") from None
    with client:
        _check_workers(client, address, task.__module__)
        futures = client.map(task, items, pure=False)
        for _ in as_completed(futures):
            bar.advance(None)
        return client.gather(futures)


def _check_workers(client: Any, address: str, module: str) -> None:
    """Make sure the cluster has workers and that they can import ``module``: a worker that
    cannot unpickle a task drops it and the run would wait for ever."""
    if not client.scheduler_info()["workers"]:
        raise SchedulerError(f"the Dask scheduler at {address} has no workers")
    try:
        client.run(importlib.import_module, module)
    except ImportError as error:
        raise SchedulerError(
            f"the Dask workers cannot import {module} ({error}); start them with this "
            "repository on their PYTHONPATH"
        ) from None
