"""The ``micrograd experiment ...`` commands: the experiment scripts of the repository.

Each subcommand is the script's own click command: ``micrograd experiment moons`` and
``python -m experiments.moons`` are one command with one set of options. The scripts are
not an installed package (they belong to the source checkout, as its Makefile does), so
this group finds the ``experiments`` package beside the ``toolkit`` package it was loaded
from: the repository root, for the editable install that ``make`` sets up. It puts that
root on ``sys.path`` (where worker processes find it too) and imports a script only when
its command runs, so the rest of the command line never depends on the experiments.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import click

import toolkit

__all__ = ["COMMANDS", "EXPERIMENTS", "experiment", "load_experiment", "repository_root"]

EXPERIMENTS = {
    "loss-curve": "loss_curve",
    "lr-sweep": "lr_sweep",
    "moons": "moons",
    "sharpness": "sharpness",
}
"""Each command's name and the module of ``experiments`` that defines it (as ``main``)."""


def repository_root() -> Path:
    """The folder that holds the ``toolkit`` package this code was loaded from.

    >>> (repository_root() / "toolkit" / "cli_experiment.py").is_file()
    True
    """
    return Path(toolkit.__file__).resolve().parent.parent


def load_experiment(module_name: str) -> ModuleType:
    """The module ``experiments.<module_name>`` of this checkout, or a one-line usage error
    when there is no checkout (an installed wheel) or another ``experiments`` package
    shadows it.

    >>> load_experiment("moons").main.name
    'moons'
    """
    package = repository_root() / "experiments"
    if not (package / "__init__.py").is_file():
        raise click.UsageError(
            f"the experiments are scripts of the source checkout and {package} is missing; "
            "run them from a clone of the repository (pip install -e .)"
        )
    if str(package.parent) not in sys.path:
        sys.path.append(str(package.parent))
    module = importlib.import_module(f"experiments.{module_name}")
    if Path(module.__file__ or "").resolve().parent != package:
        raise click.UsageError(f"another 'experiments' package ({module.__file__}) hides {package}")
    return module


class ExperimentGroup(click.Group):
    """A group whose commands are loaded from the experiment scripts when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(EXPERIMENTS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in EXPERIMENTS:
            return None
        return load_experiment(EXPERIMENTS[cmd_name]).main


@click.group(cls=ExperimentGroup)
def experiment() -> None:
    """Run the reproducible experiments; each writes its config, data (CSV) and figures
    (PNG, SVG) under results/<experiment>/ and prints a summary.

    \b
    Example:
      micrograd experiment loss-curve --seeds 0-19 --jobs 2
      micrograd experiment lr-sweep --scheduler tcp://127.0.0.1:8786
      micrograd experiment moons
      micrograd experiment sharpness --jobs 2
    """


COMMANDS: list[click.Command] = [experiment]
