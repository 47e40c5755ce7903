"""Running independent runs over worker processes and over a real local Dask cluster."""

from __future__ import annotations

import os
import sys

import pytest

from experiments import loss_curve, runner
from experiments.reference import ReferenceRun, train_reference
from experiments.runner import SchedulerError, run_all
from micrograd.train import NonFiniteLossError
from tests.experiments.helpers import data_files

RUNS = [ReferenceRun(seed, lr, 4) for lr in (0.05, 0.3) for seed in (5, 1, 2)]


def test_worker_processes_return_results_in_submission_order():
    expected = [train_reference(run) for run in RUNS]
    assert run_all(train_reference, RUNS, jobs=2, show_progress=False) == expected


def test_a_diverging_run_stops_the_sweep_naming_the_run():
    runs = [ReferenceRun(1, 0.05, 3), ReferenceRun(2, 1.7e308, 3)]
    with pytest.raises(NonFiniteLossError, match=r"^run with seed 2, lr 1.7e\+308: loss became"):
        run_all(train_reference, runs, jobs=2, show_progress=False)


def test_scheduler_without_dask_installed_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    with pytest.raises(SchedulerError, match=r"pip install -e '\.\[distributed\]'"):
        run_all(train_reference, RUNS, scheduler="tcp://127.0.0.1:1", show_progress=False)


@pytest.fixture(scope="module")
def dask_scheduler():
    """The address of a real Dask cluster on loopback: a scheduler and two worker processes."""
    try:
        from distributed import LocalCluster
    except ImportError:
        if os.environ.get("MICROGRAD_REQUIRE_DISTRIBUTED") == "1":
            pytest.fail("Dask is required (MICROGRAD_REQUIRE_DISTRIBUTED=1) but not installed")
        pytest.skip("Dask not installed: pip install -e '.[distributed]' to test --scheduler")
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        protocol="tcp://",
    ) as cluster:
        yield cluster.scheduler_address


def test_dask_cluster_runs_give_the_local_results(dask_scheduler):
    assert dask_scheduler.startswith("tcp://127.0.0.1:")
    expected = [train_reference(run) for run in RUNS]
    assert run_all(train_reference, RUNS, scheduler=dask_scheduler, show_progress=False) == expected


def test_experiment_on_dask_writes_the_same_bytes_as_locally(dask_scheduler, tmp_path):
    config = loss_curve.Config(seeds=(0, 1, 2, 3), steps=8)
    local = loss_curve.run(config, tmp_path / "local", jobs=1)
    remote = loss_curve.run(config, tmp_path / "dask", scheduler=dask_scheduler)
    assert remote == local
    assert data_files(tmp_path / "dask") == data_files(tmp_path / "local")


def test_dask_workers_that_cannot_import_the_task_are_reported_not_waited_for(
    dask_scheduler, tmp_path, monkeypatch
):
    # The workers started before this folder joined sys.path, so they cannot import it.
    (tmp_path / "only_in_this_process.py").write_text("def double(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from only_in_this_process import double

    assert run_all(double, [1, 2], show_progress=False) == [2, 4]
    with pytest.raises(SchedulerError, match="cannot import only_in_this_process"):
        run_all(double, [1, 2], scheduler=dask_scheduler, show_progress=False)


def test_dask_reports_a_diverging_run_like_local_workers(dask_scheduler):
    with pytest.raises(NonFiniteLossError, match=r"^run with seed 2, lr 1.7e\+308"):
        run_all(
            train_reference,
            [ReferenceRun(2, 1.7e308, 3)],
            scheduler=dask_scheduler,
            show_progress=False,
        )


def process_id(item: int) -> int:
    return os.getpid()


def test_by_default_short_runs_stay_in_this_process():
    assert set(run_all(process_id, range(6), jobs=None, show_progress=False)) == {os.getpid()}


def test_by_default_long_runs_go_to_worker_processes_after_the_first(monkeypatch):
    monkeypatch.setattr(runner, "PARALLEL_AFTER", -1.0)  # as if the first run were long
    pids = run_all(process_id, range(4), jobs=None, show_progress=False)
    assert pids[0] == os.getpid()
    assert os.getpid() not in pids[1:]


class FakeBar:
    length = 10

    def __init__(self):
        self.shown = []

    def update(self, steps, text):
        self.shown.append(text)


def test_time_left_is_shown_only_once_a_few_runs_have_finished():
    # A clock of its own: the Dask cluster's threads, alive during this module, read time.monotonic.
    clock = iter([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    bar = FakeBar()
    progress = runner.Progress(bar, clock=lambda: next(clock))
    for _ in range(5):
        progress.advance(None)
    # The first result (at 0 s) starts the clock; three more give the pace, 0.5 s a run.
    assert bar.shown == [" ", " ", " ", "about 3 s left", "about 2 s left"]


def test_announce_speaks_to_a_terminal_only(monkeypatch, capsys):
    monkeypatch.setattr(runner, "stderr_is_terminal", lambda: False)
    runner.announce("drawing the figures")
    assert capsys.readouterr() == ("", "")
    monkeypatch.setattr(runner, "stderr_is_terminal", lambda: True)
    runner.announce("drawing the figures")
    assert capsys.readouterr() == ("", "drawing the figures\n")
