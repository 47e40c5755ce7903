"""The speed and memory benchmark suite (``make bench``): see ``experiments.bench.suite``.

``workloads`` holds the work, written once for any engine; ``floats`` the same work by hand
with plain floats; ``reference_worker`` runs it in a process of its own, on the reference
micrograd or on our engine from another commit (the engine before scopes); ``suite`` runs
everything in interleaved rounds and writes the results.
"""
