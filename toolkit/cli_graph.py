"""The `micrograd graph ...` commands."""

from __future__ import annotations

import click


@click.group()
def graph() -> None:
    """Commands about graphs."""


COMMANDS: list[click.Command] = [graph]
