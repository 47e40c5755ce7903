"""The `micrograd experiment ...` commands."""

from __future__ import annotations

import click


@click.group()
def experiment() -> None:
    """Commands about experiments."""


COMMANDS: list[click.Command] = [experiment]
