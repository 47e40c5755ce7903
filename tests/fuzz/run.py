"""A longer fuzzing run of the file readers than ``make test`` does: the inputs of
``tests/fuzz/inputs.py``, round after round from a fixed seed, for a given time; then a
summary of the inputs tried per reader and of any failure. An input that broke a reader is
kept under ``results/fuzz-failures/``: add it to ``tests/corpus/`` with its fix.

Run with ``make fuzz`` (ten minutes) or ``python -m tests.fuzz.run --minutes 2 --seed 0``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.fuzz import inputs

TARGETS: dict[str, tuple[st.SearchStrategy[bytes], Callable[[bytes], None]]] = {
    "node-link": (inputs.node_link_inputs, lambda data: inputs.check_graph(data, ".json")),
    "graphml": (inputs.graphml_inputs, lambda data: inputs.check_graph(data, ".graphml")),
    "model": (inputs.model_inputs, inputs.check_model),
    "csv": (inputs.csv_inputs, inputs.check_csv),
}
ROUND = 500
"""Inputs per reader in one round."""


def fuzz_round(name: str, round_seed: int) -> str | None:
    """One round of ``ROUND`` inputs for reader ``name``; the failure, if any, in one line."""
    strategy, check = TARGETS[name]

    @seed(round_seed)
    @settings(
        max_examples=ROUND,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(strategy)
    def run(data: bytes) -> None:
        check(data)

    try:
        run()
    except Exception as error:  # a reader broke: report it and go on with the others
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    end = time.monotonic() + 60 * args.minutes
    failures: list[tuple[str, int, str]] = []
    rounds = 0
    while time.monotonic() < end:
        for name in TARGETS:
            round_seed = args.seed * 1_000_003 + rounds
            failure = fuzz_round(name, round_seed)
            if failure:
                failures.append((name, round_seed, failure))
                print(f"{name}, seed {round_seed}: {failure}", flush=True)
        rounds += 1
        tried = ", ".join(f"{name} {inputs.TRIED[name]:,}" for name in TARGETS)
        print(f"round {rounds}: inputs tried so far: {tried}", flush=True)
    print(f"\n{rounds} rounds from seed {args.seed} in {args.minutes:g} minutes")
    print(f"{'reader':<10} {'tried':>9} {'refused':>9} {'read':>9} {'failures':>9}")
    for name in TARGETS:
        tried, refused = inputs.TRIED[name], inputs.REFUSED[name]
        broken = sum(1 for failure in failures if failure[0] == name)
        print(f"{name:<10} {tried:>9,} {refused:>9,} {tried - refused:>9,} {broken:>9}")
    print(f"total      {sum(inputs.TRIED.values()):>9,}")
    for name, round_seed, failure in failures:
        print(f"FAILED {name} (seed {round_seed}): {failure}")
    print("no failures" if not failures else f"{len(failures)} failing rounds")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
