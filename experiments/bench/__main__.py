"""``python -m experiments.bench``: run the benchmark suite."""

from experiments.bench.suite import main

main()
