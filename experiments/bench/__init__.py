"""The speed and memory benchmark suite (``make bench``): see ``experiments.bench.suite``.

``workloads`` holds the work, written once for any engine; ``floats`` the same work by hand
with plain floats; ``reference_worker`` runs it on the reference micrograd in its own
process; ``suite`` runs everything in interleaved rounds and writes the results.
"""
