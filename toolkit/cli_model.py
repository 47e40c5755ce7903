"""The `micrograd model ...` commands."""

from __future__ import annotations

import click


@click.group()
def model() -> None:
    """Commands about models."""


COMMANDS: list[click.Command] = [model]
