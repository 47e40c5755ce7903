"""The ``micrograd`` command line: one click group, subcommands grouped by noun.

Commands only parse, call the library and print. Every error is one line on stderr (see
``toolkit.cli_types.OneLineErrors``): exit code 2 for bad usage or bad input, 1 for a failure
while running, 130 when interrupted (Ctrl-C).
"""

from __future__ import annotations

import click

import micrograd
from micrograd.demo import LR, STEPS, reference_run
from micrograd.train import NonFiniteLossError
from toolkit import cli_experiment, cli_graph, cli_model
from toolkit.cli_types import (
    EAGER_HELP,
    NUMPY_HELP,
    FinitePositiveFloat,
    Group,
    Progress,
    Seed,
    Steps,
    echo_json,
    replay_options,
)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(micrograd.__version__, prog_name="micrograd")
def main() -> None:
    """micrograd: a scalar autograd engine and research toolkit.

    Errors are one line on stderr: exit code 2 for bad usage or bad input, 1 for a failure
    while running, 130 when interrupted (MICROGRAD_DEBUG=1 shows the traceback of an
    unexpected error).

    \b
    Example:
      micrograd demo --seed 3
    """


@main.command()
@click.option("--seed", type=Seed(), default=0, show_default=True, help="Initialisation seed.")
@click.option("--steps", type=Steps(), default=STEPS, show_default=True, help="SGD steps.")
@click.option(
    "--lr", type=FinitePositiveFloat(), default=LR, show_default=True, help="Learning rate."
)
@click.option("--json", "as_json", is_flag=True, help="Print the losses as one JSON document.")
@click.option("--eager", is_flag=True, help=EAGER_HELP)
@click.option("--numpy", is_flag=True, help=NUMPY_HELP)
def demo(seed: int, steps: int, lr: float, as_json: bool, eager: bool, numpy: bool) -> None:
    """Train the reference MLP (3 -> 4 -> 4 -> 1, tanh) on four points and print the loss
    at every step (on a terminal, a step counter instead for runs over 100 steps).

    \b
    Example:
      micrograd demo --seed 3 --steps 50 --lr 0.05
    """
    replay = replay_options(eager, numpy)
    with Progress() as progress:
        on_step = progress.counter(steps, "training") if as_json else progress.loss_reporter(steps)
        try:
            losses = reference_run(seed, steps=steps, lr=lr, on_step=on_step, **replay)
        except NonFiniteLossError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        echo_json({"seed": seed, "steps": steps, "lr": lr, "losses": losses})


for _module in (cli_graph, cli_model, cli_experiment):
    for _command in _module.COMMANDS:
        main.add_command(_command)
