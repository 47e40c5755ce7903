"""The ``micrograd`` command line: one click group, subcommands grouped by noun.

Commands only parse, call the library and print; errors are one line on stderr, exit code 2
for bad usage or input.
"""

from __future__ import annotations

import json

import click

import micrograd
from micrograd.demo import LR, STEPS, reference_run
from micrograd.train import NonFiniteLossError
from toolkit import cli_experiment, cli_graph, cli_model
from toolkit.cli_types import EAGER_HELP, NUMPY_HELP, FinitePositiveFloat, replay_options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(micrograd.__version__, prog_name="micrograd")
def main() -> None:
    """micrograd: a scalar autograd engine and research toolkit.

    \b
    Example:
      micrograd demo --seed 3
    """


@main.command()
@click.option("--seed", type=int, default=0, show_default=True, help="Initialisation seed.")
@click.option(
    "--steps", type=click.IntRange(min=1), default=STEPS, show_default=True, help="SGD steps."
)
@click.option(
    "--lr", type=FinitePositiveFloat(), default=LR, show_default=True, help="Learning rate."
)
@click.option("--json", "as_json", is_flag=True, help="Print the losses as one JSON document.")
@click.option("--eager", is_flag=True, help=EAGER_HELP)
@click.option("--numpy", is_flag=True, help=NUMPY_HELP)
def demo(seed: int, steps: int, lr: float, as_json: bool, eager: bool, numpy: bool) -> None:
    """Train the reference MLP (3 -> 4 -> 4 -> 1, tanh) on four points and print the loss
    at every step.

    \b
    Example:
      micrograd demo --seed 3 --steps 50 --lr 0.05
    """
    print_step = None if as_json else _print_loss
    replay = replay_options(eager, numpy)
    try:
        losses = reference_run(seed, steps=steps, lr=lr, on_step=print_step, **replay)
    except NonFiniteLossError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps({"seed": seed, "steps": steps, "lr": lr, "losses": losses}))


def _print_loss(step: int, loss: float) -> None:
    click.echo(f"step {step:3d}  loss {loss:.6f}")


for _module in (cli_graph, cli_model, cli_experiment):
    for _command in _module.COMMANDS:
        main.add_command(_command)
