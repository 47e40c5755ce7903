"""Instructions one eager moons step executes, counted by valgrind's callgrind: the steadiest
measure of what the engine costs on a shared machine, where times move with the load and
the count of instructions hardly does. ``make bench`` compares the engine before scopes
with the current one this way whenever valgrind is installed.

Method: a fresh process runs the suite's eager moons step once, and another runs it
``1 + STEPS`` times, both under callgrind with a fixed hash seed; the difference divided by
``STEPS`` is one step without the start-up. Each process imports ``micrograd`` from the
folder given (an engine extracted from git, or this repository) and everything else from
this repository.

    python -m experiments.bench.instructions      (counts the current engine)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
STEPS = 2
"""Steps counted beyond the first; their instructions, divided by this, are one step's."""


def available() -> bool:
    """Whether valgrind is installed.

    >>> isinstance(available(), bool)
    True
    """
    return shutil.which("valgrind") is not None


def instructions_per_step(engine_parent: Path, request: dict) -> float:
    """Instructions of one eager moons step of the ``micrograd`` package found in
    ``engine_parent``, on the moons ``request`` of the suite (``xs``, ``ys``, ``params``)."""
    with tempfile.TemporaryDirectory(prefix="micrograd-callgrind-") as folder:
        request_file = Path(folder) / "request.json"
        request_file.write_text(json.dumps(request))
        once = _count(engine_parent, request_file, 1, Path(folder) / "once.out")
        more = _count(engine_parent, request_file, 1 + STEPS, Path(folder) / "more.out")
    return (more - once) / STEPS


def _count(engine_parent: Path, request_file: Path, steps: int, out: Path) -> int:
    """The instructions of a process running ``steps`` moons steps, as callgrind totals them."""
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(engine_parent), str(REPOSITORY)]),
        "PYTHONHASHSEED": "0",
    }
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-m",
        "experiments.bench.instructions",
        "--steps",
        str(steps),
        str(request_file),
        str(engine_parent),
    ]
    # The working folder is the engine's: ``python -m`` puts it first on sys.path.
    subprocess.run(command, cwd=engine_parent, env=environment, check=True, capture_output=True)
    found = re.search(r"^totals:\s*(\d+)", out.read_text(), flags=re.MULTILINE)
    if found is None:
        raise RuntimeError(f"callgrind wrote no totals to {out}")
    return int(found.group(1))


def _run_steps(request_file: Path, steps: int, engine_parent: Path) -> None:
    """What the counted process does: ``steps`` eager moons steps of the engine it imported,
    after checking that it is the one asked for."""
    import micrograd
    from experiments.bench import reference_worker, workloads

    imported = Path(micrograd.__file__).resolve().parent.parent
    if imported != engine_parent.resolve():
        raise SystemExit(f"imported micrograd from {imported}, not {engine_parent}")
    reference_worker.flavour = "project"
    request = json.loads(request_file.read_text())
    model, params, zero_grad = reference_worker.moons_model(request["params"])
    value = reference_worker.Value
    for _ in range(steps):
        workloads.moons_step(model, params, request["xs"], request["ys"], value, zero_grad)


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["--steps"]:
        steps, request_file, engine_parent = arguments[1:4]
        _run_steps(Path(request_file), int(steps), Path(engine_parent))
        return
    if not available():
        raise SystemExit("Error: valgrind is not installed (apt-get install valgrind)")
    # Here, not at the top: the counted processes import an older engine, which the
    # toolkit behind moons_case may not work with.
    from experiments.bench.moons_case import moons_request

    count = instructions_per_step(REPOSITORY, moons_request())
    print(f"eager moons step: {count / 1e6:.1f} million instructions")


if __name__ == "__main__":
    main()
