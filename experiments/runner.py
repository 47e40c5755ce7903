"""Run independent tasks in parallel and get their results back in submission order.

``run_all(task, items, jobs=N)`` is ``[task(item) for item in items]`` computed by ``N``
worker processes, or by an existing Dask cluster when ``scheduler`` is given. The results
come back in the order of ``items`` whatever order the runs finish in, so a sweep writes
the same bytes with one worker or many. Workers import ``task`` by its module and name and
receive ``items`` as plain data: keep both at module level and free of closures.

>>> run_all(abs, [-2, 3, -5], jobs=1, show_progress=False)
[2, 3, 5]
"""

from __future__ import annotations

import importlib
import io
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

__all__ = ["SchedulerError", "default_jobs", "run_all"]

Item = TypeVar("Item")
Result = TypeVar("Result")

CONNECT_TIMEOUT = "10s"


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
    jobs: int = 1,
    scheduler: str | None = None,
    label: str = "runs",
    show_progress: bool = True,
) -> list[Result]:
    """``[task(item) for item in items]``, in parallel, with a progress bar on stderr.

    ``jobs == 1`` runs here, in this process; ``jobs > 1`` uses that many worker processes
    (started fresh with ``spawn``, the same on every platform); ``scheduler``
    (``tcp://HOST:PORT``) sends the runs to that Dask cluster instead and ignores ``jobs``.
    An exception raised by a task propagates and stops the rest.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    items = list(items)
    with click.progressbar(
        length=len(items), label=label, file=sys.stderr if show_progress else io.StringIO()
    ) as bar:
        if scheduler is not None:
            return _run_on_dask(task, items, scheduler, bar.update)
        if jobs == 1 or len(items) <= 1:
            return [_advance(task(item), bar.update) for item in items]
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes=min(jobs, len(items))) as pool:
            return [_advance(result, bar.update) for result in pool.imap(task, items)]


def _advance(result: Result, update: Callable[[int], None]) -> Result:
    update(1)
    return result


def _run_on_dask(
    task: Callable[[Item], Result],
    items: list[Item],
    address: str,
    update: Callable[[int], None],
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
            update(1)
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
