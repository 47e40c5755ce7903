"""The benchmarks' command lines: ``argparse`` with the project's error form, one line
``Error: ...`` and exit code 2, instead of argparse's usage block.

>>> parser = ArgumentParser(prog="bench")
>>> _ = parser.add_argument("--rounds", type=int)
>>> parser.parse_args(["--rounds", "two"])
Traceback (most recent call last):
...
SystemExit: 2
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"Error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)
