"""How long the graph toolkit takes on a 1,000,000-node graph: export to NetworkX and
analyse it, and with ``--files`` also save, load and rebuild it.

The graph is a chain of ``tanh(x * w + w * x)`` blocks: four nodes each, one duplicated
subexpression per block (``x * w`` and ``w * x``), as deep as it is long.

Run with ``make graph-scale`` or ``python -m experiments.bench.graph_scale [NODES] [--files]``.
"""

from __future__ import annotations

import pathlib
import tempfile
import time

from experiments.bench.arguments import ArgumentParser
from micrograd import Parameter, Value
from toolkit.analysis import analyze
from toolkit.graph import from_networkx, load_graph, save_graph, to_networkx


def chain_of_blocks(nodes: int) -> Value:
    """A root over about ``nodes`` nodes: ``(nodes - 2) // 4`` blocks on two leaves.

    >>> from micrograd import topological_order
    >>> [node._op for node in topological_order(chain_of_blocks(6))]
    ['', '', 'mul', 'mul', 'add', 'tanh']
    """
    x, w = Value(0.5, label="x"), Parameter(0.9, label="w")
    root = x
    for _ in range((nodes - 2) // 4):
        root = (root * w + w * root).tanh()
    return root


def main(argv: list[str] | None = None) -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nodes", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--files", action="store_true", help="also save, load and rebuild")
    args = parser.parse_args(argv)
    root = chain_of_blocks(args.nodes)
    root.backward()
    start = time.perf_counter()
    G = to_networkx(root)
    exported = time.perf_counter()
    report = analyze(G)
    analysed = time.perf_counter()
    print(
        f"{G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges, depth {report.depth:,}, "
        f"{report.duplicate_groups:,} duplicate groups"
    )
    print(
        f"to_networkx {exported - start:.1f} s, analyze {analysed - exported:.1f} s, "
        f"export + analyse {analysed - start:.1f} s"
    )
    if args.files:
        path = pathlib.Path(tempfile.mkdtemp()) / "graph.json"
        t0 = time.perf_counter()
        save_graph(G, path)
        t1 = time.perf_counter()
        rebuilt = from_networkx(load_graph(path))
        t2 = time.perf_counter()
        print(
            f"node-link file of {path.stat().st_size / 1e6:.0f} MB: save {t1 - t0:.1f} s, "
            f"load and rebuild {t2 - t1:.1f} s, same root: {rebuilt.data == root.data}"
        )
        path.unlink()


if __name__ == "__main__":
    main()
