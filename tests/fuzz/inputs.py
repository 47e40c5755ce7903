"""Hostile inputs for the file readers, and the one rule each reader must keep on them.

Inputs are mutations of valid files the project itself writes (byte flips, truncations,
inserted tokens; JSON values swapped for other types, keys deleted or repeated, structures
nested; XML elements deleted, repeated or swapped for ones the format does not have) and
structures generated from scratch. ``check_graph``, ``check_model`` and ``check_csv`` hold
the rule: a reader either returns something that can be saved again, or raises its own
documented error (a ``ValueError``) with one printable line of at most 300 characters that
starts with the file's path. Anything else fails, and the input is kept under
``results/fuzz-failures/`` for the corpus (``tests/corpus``).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import strategies as st

from micrograd import MLP, Value, scope
from toolkit.datasets import DataFormatError, read_csv_rows
from toolkit.files import MAX_ERROR_CHARS
from toolkit.graph import GraphFormatError, load_graph, save_graph
from toolkit.model_io import ModelFormatError, load_model, model_to_json

TRIED: Counter[str] = Counter()
"""Inputs tried per reader (``node-link``, ``graphml``, ``model``, ``csv``)."""
REFUSED: Counter[str] = Counter()
"""Inputs each reader refused with its documented error."""
FAILURES_FOLDER = Path("results/fuzz-failures")
_FOLDER = Path(tempfile.mkdtemp(prefix="micrograd-fuzz-"))


# -- the valid files the project writes ----------------------------------------------------


def _graph_root() -> Value:
    x = Value(3.0, label="x")
    with scope("block.0"):
        y = (x * 2 + x).tanh() / (x - 1.0)
    z = y.exp() + (-y) ** 2 + y.relu() + y.sigmoid() + (x + 1).log()
    z.backward()
    return z


def _saved(root: Value, file_format: str) -> bytes:
    path = _FOLDER / f"seed.{file_format}"
    save_graph(root, path, format=file_format)
    return path.read_bytes()


NODE_LINK = _saved(_graph_root(), "node-link")
GRAPHML = _saved(_graph_root(), "graphml")
MODEL = model_to_json(
    MLP(2, [2, 1], seed=0),
    metadata={"note": "seed", "history": [1.0, 0.5], "config": {"lr": 0.1, "tags": ["a", None]}},
).encode()
CSV_FILES = [
    b"x1,x2,y\n0.5,-1,1\n2e-3,3,-1\n",
    b"\xef\xbb\xbfa;b;c\r\n1;2;3\r\n4;5;6\r\n",
    b"sep=;\n1;2\n3;4\n",
    b"1\t2\t3\n4\t5\t6\n",
    b"x y z\n1  2 3\n 4 5   6 \n",
    b"x|y\r\n1|2\r\n3 | 4\r\n",
]


# -- building blocks -----------------------------------------------------------------------

TOKENS = [
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b'"',
    b"<",
    b">",
    b"\x00",
    b"\n",
    b"\r",
    b"\x1b[31m",
    b"\\",
    b"\\ud800",
    b"\\udfff",
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"-0",
    b"1_0",
    "\u0663".encode(),
    b"9" * 400,
    b"9" * 5000,
    b"[" * 3000,
    b"true",
    b"null",
    b"\xff\xfe",
    b"\xed\xa0\x80",
    b"<!DOCTYPE g [<!ENTITY e 'eeee'>]>",
    b"&e;",
    b"<![CDATA[x]]>",
    b"<?pi x?>",
    b"<!-- c -->",
]


class Raw:
    """Text put into a JSON document as it is: tokens that ``json.dumps`` cannot write."""

    def __init__(self, text: str) -> None:
        self.text = text


class Obj(dict):
    """A JSON object whose ``extra`` pairs are written after its items: a key may repeat."""

    def __init__(self, pairs: object = ()) -> None:
        super().__init__(pairs)
        self.extra: list[tuple[str, object]] = []


def dump(value: object) -> str:
    """``value`` as JSON text, with ``Raw`` tokens and repeated keys (``Obj``)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        pairs = [*value.items(), *getattr(value, "extra", ())]
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in pairs) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(item) for item in value) + "]"
    return json.dumps(value)


RAW_VALUES = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1" + "0" * 400,
    "1" + "0" * 4400,
    '"\\ud800"',
    '"a\\udfffb"',
    '"\\u001b[2J\\n"',
    '"\\u0000"',
    "[" * 2000 + "]" * 2000,
    "{" + '"a":{' * 500 + "}" * 501,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 2, 3, 2**31, 2**63, -(2**64), 10**40]),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(["", "nan", "inf", "-inf", "NaN", "add", "mul", "input", "operation", "a..b"]),
    st.sampled_from([".".join("s" * 40), "x" * 300, "a\x01", "\r\n", "\ufffe", 10**31]),
    st.sampled_from(RAW_VALUES).map(Raw),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _places(document: object) -> list[tuple[object, object]]:
    """Every (container, key or index) of ``document``, the document itself as (None, None)."""
    places: list[tuple[object, object]] = [(None, None)]
    stack = [document]
    while stack:
        container = stack.pop()
        if isinstance(container, dict):
            items = list(container.items())
        elif isinstance(container, list):
            items = list(enumerate(container))
        else:
            continue
        for key, value in items:
            places.append((container, key))
            stack.append(value)
    return places


@st.composite
def json_mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` (a JSON document) with one to three structural changes: a value swapped for
    another type or a generated structure, a key deleted, repeated or added, a value nested
    in a list, a list emptied or repeated."""
    document: object = json.loads(seed, object_pairs_hook=Obj)
    for _ in range(draw(st.integers(1, 3))):
        places = _places(document)
        container, key = draw(st.sampled_from(places))
        if container is None:
            if draw(st.booleans()):
                document = draw(json_values)
            continue
        value = container[key]
        change = draw(st.sampled_from(["swap", "delete", "repeat", "add", "nest", "grow", "empty"]))
        if change == "swap":
            container[key] = draw(json_values)
        elif change == "delete":
            del container[key]
        elif change == "repeat" and isinstance(container, Obj):
            container.extra.append((key, draw(json_values)))
        elif change == "add":
            if isinstance(container, dict):
                container[draw(st.text(max_size=10))] = draw(json_values)
            else:
                container.insert(key, draw(json_values))
        elif change == "nest":
            container[key] = [value] * draw(st.integers(1, 3))
        elif change == "grow" and isinstance(value, list) and value:
            container[key] = value * draw(st.integers(2, 20))
        elif change == "empty" and isinstance(value, (list, dict)):
            container[key] = type(value)()
    text = dump(document)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16-le", "latin-1"]))
    return text.encode(encoding, "surrogatepass" if encoding == "utf-8" else "replace")


@st.composite
def byte_mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with one to four byte-level changes: a flipped byte, an inserted token, a
    deleted or repeated span, a truncation."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        change = draw(st.sampled_from(["flip", "token", "delete", "repeat", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if change == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif change == "token":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=4))
        elif change == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif change == "repeat":
            span = bytes(data[at : at + draw(st.integers(1, 200))])
            data[at:at] = span * draw(st.integers(1, 5))
        elif change == "truncate":
            del data[at:]
    return bytes(data)


XML_SNIPPETS = [
    '<node id="90" yfiles.foldertype="group">',
    '<node id="91" yfiles.foldertype="group"/>',
    '<node id="92"><graph edgedefault="directed"><node id="93"/></graph></node>',
    "</node>",
    '<graph edgedefault="directed">',
    "</graph>",
    '<key id="kb" for="node" attr.name="flag" attr.type="boolean"><default/></key>',
    '<key id="kd" for="node" attr.name="z" attr.type="double"><default>x</default></key>',
    '<key id="kx" for="node" attr.name="w" attr.type="complex"/>',
    '<key id="ky" for="node" yfiles.type="nodegraphics"/>',
    "<!DOCTYPE graphml [<!ENTITY e 'eeeeeeee'>]>",
    '<!DOCTYPE graphml SYSTEM "file:///etc/passwd">',
    "&e;",
    "&#0;",
    "&#xD800;",
    '<data key="d0">x</data>',
    '<data key="d0"/>',
    '<data key="d9">1</data>',
    '<data key="d1"><y:ShapeNode xmlns:y="http://www.yworks.com/xml/graphml"/></data>',
    "<hyperedge/>",
    '<port name="p"/>',
    "<desc>text</desc>",
    '<edge source="0" target="0"/>',
    '<edge source="[1]" target="{}"/>',
    '<edge source="0" target="1" id="abc"/>',
    '<edge source="77" target="78"/>',
    '<data key="d5">\u00a01.0\u00a0</data>',
    '<node id="1_0"/>',
    '<node id="\u0663"/>',
    '<node id="99999999999999999999999999999999999999"/>',
    "<x:node xmlns:x='urn:other'/>",
]


@st.composite
def xml_mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` (GraphML) with one to three changes at element boundaries: a tag deleted,
    repeated or renamed, an attribute value replaced, a snippet of what the format does not
    have inserted; then written in UTF-8, or in UTF-16 without a byte-order mark."""
    text = seed.decode()
    for _ in range(draw(st.integers(1, 3))):
        tags = [match.span() for match in re.finditer(r"<[^>]*>", text)]
        start, end = draw(st.sampled_from(tags))
        change = draw(
            st.sampled_from(["delete", "repeat", "rename", "value", "insert", "insert", "group"])
        )
        if change == "delete":
            text = text[:start] + text[end:]
        elif change == "repeat":
            text = text[:end] + text[start:end] * draw(st.integers(1, 50)) + text[end:]
        elif change == "rename":
            name = draw(st.sampled_from(["node", "edge", "graph", "data", "key", "default", "x"]))
            renamed = re.sub(r"^(</?)[\w:.]+", rf"\g<1>{name}", text[start:end])
            text = text[:start] + renamed + text[end:]
        elif change == "value":
            values = list(re.finditer(r'="[^"]*"', text[start:end]))
            if values:
                match = draw(st.sampled_from(values))
                new = draw(
                    st.sampled_from(['""', '"-1"', '"1e999"', '"group"', '"x\ny"', '"boolean"'])
                    | st.text(alphabet="0123456789abc-_.", max_size=6).map(lambda t: f'"{t}"')
                )
                text = text[: start + match.start()] + "=" + new + text[start + match.end() :]
        elif change == "group":
            node = text[start:end].replace("<node ", '<node yfiles.foldertype="group" ', 1)
            text = text[:start] + node + text[end:]
        else:
            text = text[:end] + draw(st.sampled_from(XML_SNIPPETS)) + text[end:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16-le"]))
    return text.encode(encoding)


def nested_groups(depth: int) -> bytes:
    """GraphML of ``depth`` group nodes, each inside the graph of the one before."""
    head = GRAPHML.decode().split('<graph edgedefault="directed">')[0]
    inner = "".join(
        f'<node id="{i}" yfiles.foldertype="group"><graph edgedefault="directed">'
        for i in range(depth)
    )
    closing = "</graph></node>" * depth
    return (head + f'<graph edgedefault="directed">{inner}{closing}</graph></graphml>').encode()


@st.composite
def generated_node_link(draw: st.DrawFn) -> bytes:
    """A node-link document generated from scratch: plausible keys, random values."""
    count = draw(st.integers(0, 6))
    attribute = st.sampled_from(["kind", "op", "label", "scope", "data", "grad", "id", "x"])
    nodes = [
        {"id": i, **draw(st.dictionaries(attribute, json_values, max_size=7))} for i in range(count)
    ]
    edges = draw(
        st.lists(
            st.dictionaries(st.sampled_from(["source", "target", "key", "position"]), json_values),
            max_size=6,
        )
    )
    graph = draw(st.dictionaries(st.sampled_from(["format", "version", "root"]), json_values))
    return dump(
        {"directed": True, "multigraph": True, "graph": graph, "nodes": nodes, "edges": edges}
    ).encode("utf-8", "surrogatepass")


node_link_inputs = st.one_of(
    byte_mutations(NODE_LINK), json_mutations(NODE_LINK), generated_node_link()
)
graphml_inputs = st.one_of(
    byte_mutations(GRAPHML),
    xml_mutations(GRAPHML),
    st.integers(1, 2000).map(nested_groups),
)
model_inputs = st.one_of(
    byte_mutations(MODEL),
    json_mutations(MODEL),
    json_values.map(lambda value: dump(value).encode("utf-8", "surrogatepass")),
)


@st.composite
def csv_mutations(draw: st.DrawFn) -> bytes:
    """A CSV file the project reads, with fields replaced by hostile ones, then mutated."""
    seed = draw(st.sampled_from(CSV_FILES))
    text = seed.decode("utf-8")
    fields = list(re.finditer(r"[^,;\t\r\n]+", text))
    for _ in range(draw(st.integers(0, 3))):
        if not fields:
            break
        match = draw(st.sampled_from(fields))
        new = draw(
            st.sampled_from(
                [
                    '"3\n4"',
                    '"3\r\n4"',
                    "1_0",
                    "\u0663",
                    "\uff11",
                    "nan",
                    "-inf",
                    "1e999",
                    "0x10",
                    "1,5",
                    '"',
                    '"1"x',
                    "\x00",
                    "\x1b[31m",
                    "x" * 120_000,
                    " 2 ",
                    "\u00a02",
                ]
            )
            | st.text(max_size=8)
        )
        text = text[: match.start()] + new + text[match.end() :]
        fields = list(re.finditer(r"[^,;\t\r\n]+", text))
    return draw(byte_mutations(text.encode("utf-8", "surrogatepass")) | st.just(text.encode()))


csv_inputs = csv_mutations()


# -- the rule ------------------------------------------------------------------------------


def _keep(kind: str, data: bytes, suffix: str) -> Path:
    """Keep an input that broke a reader under ``results/fuzz-failures/`` for the corpus."""
    folder = FAILURES_FOLDER / kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    path.write_bytes(data)
    return path


def check_error(error: BaseException, path: Path) -> None:
    """A reader's error: one printable line of at most 300 characters naming the file."""
    message = str(error)
    assert len(message) <= MAX_ERROR_CHARS, f"{len(message)} characters: {message[:100]!r}"
    assert message.isprintable(), f"unprintable: {message!r}"
    assert message.startswith(f"{path}"), message


def _run(kind: str, data: bytes, suffix: str, read, error_type, resave) -> None:
    TRIED[kind] += 1
    path = _FOLDER / f"input{suffix}"
    path.write_bytes(data)
    try:
        try:
            result = read(path)
        except error_type as error:
            REFUSED[kind] += 1
            check_error(error, path)
            return
        resave(result)
    except Exception:
        kept = _keep(kind, data, suffix)
        print(f"\n{kind}: an input broke the reader; kept as {kept}")
        raise


def check_graph(data: bytes, suffix: str = ".json") -> None:
    """``load_graph`` gives a graph that saves in either format and loads back, or one
    ``GraphFormatError``."""
    kind = "graphml" if suffix == ".graphml" else "node-link"

    def resave(G) -> None:
        for file_format, again in [("node-link", ".json"), ("graphml", ".graphml")]:
            path = _FOLDER / f"again{again}"
            save_graph(G, path, format=file_format)
            load_graph(path)

    _run(kind, data, suffix, load_graph, GraphFormatError, resave)


def check_model(data: bytes) -> None:
    """``load_model`` gives a model that shows and saves again, or one ``ModelFormatError``."""

    def resave(loaded) -> None:
        text = model_to_json(loaded.model, metadata=loaded.metadata)
        text.encode("utf-8")
        repr(loaded.model), json.dumps(loaded.metadata, ensure_ascii=False).encode()

    _run("model", data, ".json", load_model, ModelFormatError, resave)


def check_csv(data: bytes) -> None:
    """``read_csv_rows`` gives rows of finite floats of one width, or one ``DataFormatError``."""

    def rows_are_numbers(rows) -> None:
        assert rows and all(len(row) == len(rows[0]) for row in rows)
        assert all(type(x) is float and x - x == 0 for row in rows for x in row)

    _run("csv", data, ".csv", read_csv_rows, DataFormatError, rows_are_numbers)
