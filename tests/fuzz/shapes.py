"""The costliest shapes of file for each reader, made at any size, and the peak memory a
reader spends on one (``docs/limits.md``).

Each shape is what costs a reader the most memory per byte of file in one way: containers
that cost a hundred bytes for two of text, strings and numbers that cost ten times their
text, nodes and edges that become NetworkX's dicts, a model's parameters written as ``0``.
``peak`` loads one in a fresh process and measures the growth of its resident memory
(the peak ``VmHWM`` of ``/proc/self/status``, reset before) while the reader runs, as
``docs/limits.md`` states its figures. ``tests/toolkit/test_loader_memory.py`` checks each
shape at a megabyte against the documented ratio; a longer run at the sizes of the
document::

    python -m tests.fuzz.shapes --megabytes 16
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

READERS = ("node-link", "graphml", "model", "csv", "graph-cli")
"""What a shape is read by: ``load_graph`` (a node-link or a GraphML file), ``load_model``,
``read_csv_rows``, and the graph commands' loader (``load_graph``, then ``is_model_file``
to say what a refused file is)."""

_CHILD = """
import gc, json, sys, tempfile
from pathlib import Path
from micrograd import MLP, Value
from toolkit.cli_view import load_graph_file
from toolkit.datasets import read_csv_rows
from toolkit.graph import load_graph, save_graph
from toolkit.model_io import load_model, save_model
reader, path = sys.argv[1], sys.argv[2]
read = {"model": load_model, "csv": read_csv_rows, "graph-cli": load_graph_file}.get(
    reader, load_graph
)
# Once on small valid files first: what a first call imports or caches is not the file's.
folder = Path(tempfile.mkdtemp())
save_graph(Value(1.0).exp(), folder / "g.json")
save_graph(Value(1.0).exp(), folder / "g.graphml", format="graphml")
save_model(MLP(2, [2, 1]), folder / "m.json")
(folder / "d.csv").write_text("1,2\\n3,4\\n")
for warm, name in [(load_graph_file, "g.json"), (load_graph, "g.graphml"),
                   (load_model, "m.json"), (read_csv_rows, "d.csv")]:
    warm(folder / name)
def kilobytes(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))
gc.collect()
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak (VmHWM) starts again from here
before = kilobytes("VmRSS:")
try:
    read(path)
    outcome = "read"
except Exception as error:
    outcome = type(error).__name__
print(json.dumps({"peak": (kilobytes("VmHWM:") - before) * 1024, "outcome": outcome}))
"""
"""Reads one file in a fresh process: the growth of the peak resident memory over the
memory in use just before, after a first read of small files (Linux: the peak, ``VmHWM``,
is reset through ``/proc/self/clear_refs``; ``ru_maxrss`` would keep the peak of the
process this one was forked from)."""


@dataclass(frozen=True)
class Shape:
    """A kind of file: read by ``reader``, made ``make(n)`` of about ``n`` bytes; ``units``
    counts what, beside its bytes, the file makes the reader build (a model's parameters)."""

    reader: str
    name: str
    make: Callable[[int], bytes]
    units: Callable[[int], int] = lambda size: 0


def _ids(unit: str, i: int) -> str:
    """``unit`` with ``#`` and ``@`` replaced by the ``i``-th pair of ids: 2i and 2i + 1."""
    return unit.replace("#", str(2 * i)).replace("@", str(2 * i + 1))


def _fill(unit: str, size: int, head: str = "", tail: str = "", sep: str = ",") -> bytes:
    """``head``, then ``unit`` repeated until the text has about ``size`` bytes, separated by
    ``sep``, then ``tail``. In ``unit``, ``#`` stands for twice the count of units before it
    and ``@`` for one more: two ids of their own."""
    room = size - len(head) - len(tail)
    if "#" not in unit and "@" not in unit:
        return (head + sep.join([unit] * max(1, room // (len(unit) + len(sep)))) + tail).encode()
    parts, total, i = [], 0, 0
    while total < room or not parts:
        part = _ids(unit, i)
        parts.append(part)
        total += len(part) + len(sep)
        i += 1
    return (head + sep.join(parts) + tail).encode()


_NODE_LINK = (
    '{"directed":true,"multigraph":true,"graph":{"format":"micrograd-graph","version":3,'
    '"root":0},"nodes":['
)
_NO_EDGES = '],"edges":[]}'
_LEAF = '{"id":#,"kind":"input","op":"","label":"","scope":"","data":0}'
_OPERATION = '{"id":@,"kind":"operation","op":"add","label":"","scope":"","data":0}'


def _in_a_node(unit: str, size: int) -> bytes:
    """A node-link file of one leaf whose attribute ``x`` is a list of ``unit``."""
    head = _NODE_LINK + _LEAF.replace("#", "0")[:-1] + ',"x":['
    return _fill(unit, size, head, "]}" + _NO_EDGES)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


_EDGES = '{"source":#,"target":@,"key":0,"position":0},{"source":#,"target":@,"key":1,"position":1}'


def _nodes_and_edges(size: int) -> bytes:
    """Pairs of a leaf and an operation of two edges from it: a file as valid as it gets."""
    count = size // (len(_LEAF) + len(_OPERATION) + len(_EDGES))
    nodes = ",".join(_ids(f"{_LEAF},{_OPERATION}", i) for i in range(count))
    edges = ",".join(_ids(_EDGES, i) for i in range(count))
    return (f'{_NODE_LINK}{nodes}],"edges":[{edges}]}}').encode()


_GRAPHML_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/'
    'xmlns"><key id="k" for="node" attr.name="kind" attr.type="string"/>'
    '<key id="o" for="node" attr.name="op" attr.type="string"/>'
    '<key id="l" for="node" attr.name="label" attr.type="string"/>'
    '<key id="d" for="node" attr.name="data" attr.type="double"/>'
    '<key id="p" for="edge" attr.name="position" attr.type="long"/>'
    '<graph edgedefault="directed">'
)
_GRAPHML_LEAF = (
    '<node id="#"><data key="k">input</data><data key="o"/><data key="l"/>'
    '<data key="d">0</data></node>'
)
_GRAPHML_EDGES = (
    '<edge source="#" target="@" id="0"><data key="p">0</data></edge>'
    '<edge source="#" target="@" id="1"><data key="p">1</data></edge>'
)
_GRAPHML_TAIL = "</graph></graphml>"


def _graphml(unit: str, size: int) -> bytes:
    return _fill(unit, size, _GRAPHML_HEAD, _GRAPHML_TAIL, "")


def _attributes(size: int) -> bytes:
    return _graphml("<node " + _fill('a#=""', size, sep=" ").decode() + "/>", size)


_MODEL_HEAD = '{"format":"micrograd-model","version":1,"architecture":'
_STAMPS = '"metadata":{"package_version":"x","written_at":"y"'


def _zeros_side(size: int) -> int:
    """The inputs and first layer's size of a model of about ``size`` bytes of ``0``s."""
    return max(1, int((size / 2) ** 0.5))


def _model_of_zeros(size: int) -> bytes:
    side = _zeros_side(size)
    weights = '{"w":[' + ",".join(["0"] * side) + '],"b":0}'
    return (
        f'{_MODEL_HEAD}{{"inputs":{side},"layers":[{side},1],"activation":"tanh",'
        '"output_activation":"tanh"},"parameters":{"layers":[{"neurons":['
        + ",".join([weights] * side)
        + f']}},{{"neurons":[{weights}]}}]}},{_STAMPS}}}}}'
    ).encode()


def _model_metadata(unit: str, size: int) -> bytes:
    head = (
        f'{_MODEL_HEAD}{{"inputs":1,"layers":[1],"activation":"tanh","output_activation":'
        f'"tanh"}},"parameters":{{"layers":[{{"neurons":[{{"w":[0],"b":0}}]}}]}},{_STAMPS},"x":['
    )
    return _fill(unit, size, head, "]}}")


SHAPES: list[Shape] = [
    Shape("node-link", "empty lists", lambda n: _in_a_node("[]", n)),
    Shape("node-link", "lists nested 30 deep", lambda n: _in_a_node(_nested(30), n)),
    Shape("node-link", "one-key objects", lambda n: _in_a_node('{"a":0}', n)),
    Shape("node-link", "short strings", lambda n: _in_a_node('"#"', n)),
    Shape("node-link", "characters beyond Latin-1", lambda n: _in_a_node('"\u0100"', n)),
    Shape("node-link", "floats", lambda n: _in_a_node("0.5", n)),
    Shape(
        "node-link",
        "leaves of one-character text",
        lambda n: _fill(_LEAF.replace('""', '"\u0100"'), n, _NODE_LINK, _NO_EDGES),
    ),
    Shape("node-link", "nodes of one key", lambda n: _fill('{"id":#}', n, _NODE_LINK, _NO_EDGES)),
    Shape("node-link", "leaves", lambda n: _fill(_LEAF, n, _NODE_LINK, _NO_EDGES)),
    Shape("node-link", "nodes and two edges each", _nodes_and_edges),
    Shape("graphml", "empty nodes", lambda n: _graphml('<node id="#"/>', n)),
    Shape("graphml", "leaves", lambda n: _graphml(_GRAPHML_LEAF, n)),
    Shape(
        "graphml",
        "nodes and two edges each",
        lambda n: _graphml(_GRAPHML_LEAF + _GRAPHML_LEAF.replace("#", "@") + _GRAPHML_EDGES, n),
    ),
    Shape(
        "graphml",
        "edges to undeclared nodes",
        lambda n: _graphml('<edge source="#" target="@"/>', n),
    ),
    Shape("graphml", "an element of many attributes", _attributes),
    Shape("model", "metadata of empty lists", lambda n: _model_metadata("[]", n)),
    Shape("model", "metadata of lists nested 30 deep", lambda n: _model_metadata(_nested(30), n)),
    Shape(
        "model",
        "metadata of lists of characters beyond Latin-1",
        lambda n: _model_metadata('[["\u0100","\u0100","\u0100"]]', n),
    ),
    Shape(
        "model",
        "parameters written as 0",
        _model_of_zeros,
        lambda size: (_zeros_side(size) + 2) * _zeros_side(size) + 1,
    ),
    Shape(
        "model",
        "a graph file of empty lists",
        lambda n: _fill("[]", n, '{"nodes":[],"edges":[],"x":[', "]}"),
    ),
    Shape("csv", "one column of 0", lambda n: _fill("0", n, "x\n", "\n", "\n")),
    Shape(
        "csv",
        "rows of 0 separated by spaces",
        lambda n: _fill(" ".join("0" * 9), n, "", "\n", "\n"),
    ),
    Shape(
        "graph-cli",
        "leaves of a graph claiming to be a model",
        lambda n: _fill(
            _LEAF, n, _NODE_LINK.replace("micrograd-graph", "micrograd-model"), _NO_EDGES
        ),
    ),
]


@dataclass(frozen=True)
class Peak:
    """What reading one file cost: its ``size`` in bytes and ``units`` (``Shape.units``),
    the ``peak`` growth of resident memory in bytes, and the ``outcome`` (``read`` or the
    error's type)."""

    size: int
    units: int
    peak: int
    outcome: str


def peak(shape: Shape, size: int, folder: Path) -> Peak:
    """Make ``shape`` at about ``size`` bytes in ``folder`` and read it in a fresh process."""
    suffix = {"graphml": ".graphml", "csv": ".csv"}.get(shape.reader, ".json")
    path = folder / f"shape{suffix}"
    data = shape.make(size)
    path.write_bytes(data)
    root = Path(__file__).parents[2]
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, shape.reader, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    measured = json.loads(result.stdout.splitlines()[-1])
    return Peak(len(data), shape.units(size), measured["peak"], measured["outcome"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=16.0)
    parser.add_argument("--reader", choices=READERS, action="append")
    options = parser.parse_args()
    size = int(options.megabytes * 2**20)
    with tempfile.TemporaryDirectory() as folder:
        for shape in SHAPES:
            if options.reader and shape.reader not in options.reader:
                continue
            cost = peak(shape, size, Path(folder))
            per_unit = f", {cost.units:,} parameters" if cost.units else ""
            print(
                f"{shape.reader:10} {shape.name:34} {cost.size / 2**20:7.1f} MB "
                f"peak {cost.peak / 2**20:7.0f} MB  ratio {cost.peak / cost.size:5.1f}"
                f"  {cost.outcome}{per_unit}",
                flush=True,
            )


if __name__ == "__main__":
    main()
