"""Drawing graphs: every node for small graphs, a summary for large ones, PNG or SVG."""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib
import pytest
from matplotlib.image import imread

from micrograd import Parameter, Value
from toolkit.draw import MAX_DRAW_NODES, draw
from toolkit.graph import GraphFormatError, to_networkx

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_graph():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    root = (x * y + y * x) - 2 / x
    root.backward()
    return to_networkx(root)


def chain(n: int):
    x, w = Value(0.5, label="x"), Parameter(0.9, label="w")
    y = x
    for _ in range(n):
        y = (y * w).tanh()
    return to_networkx(y)


def svg_text(G, path, **kwargs) -> tuple[str, str]:
    # Keep text as <text> elements (matplotlib draws glyphs as paths by default).
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        drawn = draw(G, path, **kwargs).kind
    return drawn, path.read_text()


def test_a_small_graph_is_drawn_node_by_node_with_data_and_grad(tmp_path):
    drawn, svg = svg_text(small_graph(), tmp_path / "g.svg")
    assert drawn == "graph"
    assert "Computation graph (root: sub): 8 nodes, 3 levels deep" in svg
    # x: data 2, grad d/dx (2xy - 2/x) = 2y + 2/x**2 = 6.5; the root: data 11, grad 1
    for text in (">x<", "data 2<", "grad 6.5<", "data 11<", "grad 1<", ">feeds 2+<"):
        assert text in svg, text
    assert svg.count(">*<") == 2 and svg.count(">/<") == 1 and svg.count(">-<") == 1


def test_a_large_graph_gets_a_summary_instead(tmp_path):
    G = chain(200)
    drawn, svg = svg_text(G, tmp_path / "g.svg", max_nodes=100)
    assert drawn == "summary"
    assert "402 nodes and 600 edges, 400 levels deep: more than 100 nodes" in svg
    assert "Width of the graph at each level" in svg
    assert "Leaves by kind, operations by name" in svg


def test_png_is_written_with_a_size_that_grows_with_the_graph(tmp_path):
    small, wider = tmp_path / "small.png", tmp_path / "wide.png"
    assert draw(small_graph(), small).kind == "graph"
    assert draw(chain(20), wider).kind == "graph"
    assert small.read_bytes().startswith(PNG_SIGNATURE)
    small_width = imread(small).shape[1]
    wide_width = imread(wider).shape[1]
    assert wide_width > 2 * small_width


def test_an_unknown_image_suffix_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"g\.pdf: a drawing's file name must end in .png or .svg"):
        draw(small_graph(), tmp_path / "g.pdf")
    assert os.listdir(tmp_path) == []


def test_a_failed_drawing_keeps_the_previous_file(tmp_path):
    path = tmp_path / "g.png"
    draw(small_graph(), path)
    before = path.read_bytes()
    G = small_graph()
    G.nodes[0]["kind"] = "weight"
    with pytest.raises(GraphFormatError, match="unknown kind 'weight'"):
        draw(G, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["g.png"]


def test_a_figure_too_wide_for_a_png_is_refused_before_drawing(tmp_path):
    # A chain of 600 levels drawn node by node would be 87,245 px wide.
    with pytest.raises(
        ValueError,
        match=r"all 602 nodes one by one needs a 87,245 x 350 px figure, more than the 32,768",
    ):
        draw(chain(300), tmp_path / "g.png", max_nodes=MAX_DRAW_NODES)
    assert os.listdir(tmp_path) == []


def test_a_collapsed_figure_too_wide_is_refused_naming_what_to_do(tmp_path):
    # 250 scopes in a row, each a box with an arrow to the next.
    from micrograd import scope

    y = Value(0.5, label="x")
    for i in range(250):
        with scope(f"s{i}"):
            y = (y * 0.9).tanh()
    with pytest.raises(
        ValueError,
        match=r"collapsed at level 1 \(251 boxes.*61,927 x 277 px.*smaller --max-nodes.*--level N",
    ):
        draw(to_networkx(y), tmp_path / "g.png", level=1)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("max_nodes", [0, MAX_DRAW_NODES + 1])
def test_max_nodes_is_bounded(tmp_path, max_nodes):
    with pytest.raises(ValueError, match=f"max_nodes must be 1 to {MAX_DRAW_NODES:,}"):
        draw(small_graph(), tmp_path / "g.png", max_nodes=max_nodes)


def test_the_draw_command_refuses_oversized_drawings_with_exit_2(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main
    from toolkit.graph import save_graph

    path = tmp_path / "chain.json"
    save_graph(chain(999), path)
    for max_nodes, message in [
        (2000, "drawing all 2,000 nodes one by one needs a 289,955 x 350 px figure"),
        (20000, "'--max-nodes': 20000 is not in the range 1<=x<=2000"),
    ]:
        out = tmp_path / "c.png"
        result = CliRunner().invoke(
            main, ["graph", "draw", str(path), "-o", str(out), "--max-nodes", str(max_nodes)]
        )
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not out.exists()


# -- labels are drawn as the plain text they hold -----------------------------------------


def hostile_graph(label: str, scope_name: str = "data"):
    from micrograd import scope

    with scope(scope_name):
        x = Value(2.0, label=label)
    root = x * x + 1
    root.backward()
    return to_networkx(root)


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("a\ud800b", "a\\ud800b"),  # a lone surrogate: not even a character
        ("\x1b]0;X\x07", "\\x1b]0;X\\x07"),  # a terminal escape and a bell
        ("a\x9b31m\x85", "a\\x9b31m\\x85"),  # C1 controls
        ("中文", "\\u4e2d\\u6587"),  # no glyph in the drawings' font
        ("two\nlines", "two\\nlines"),
    ],
)
def test_a_label_is_drawn_escaped_without_a_warning(tmp_path, recwarn, label, shown):
    G = hostile_graph(label)
    drawn, svg = svg_text(G, tmp_path / "g.svg")
    assert drawn == "graph"
    assert f">{shown}<" in svg
    assert draw(G, tmp_path / "g.png").kind == "graph"
    assert draw(G, tmp_path / "c.png", level=1).kind == "collapsed"
    assert [str(warning.message) for warning in recwarn] == []


def test_a_scope_is_drawn_escaped_in_its_box_and_in_the_title(tmp_path, recwarn):
    G = hostile_graph("x", scope_name="层\x07")
    drawn, svg = svg_text(G, tmp_path / "g.svg", level=1)
    assert drawn == "collapsed"
    assert ">\\u5c42\\x07<" in svg
    assert [str(warning.message) for warning in recwarn] == []


def test_the_draw_command_prints_nothing_but_its_result_for_any_label(tmp_path):
    from toolkit.graph import save_graph

    graph, image = tmp_path / "g.json", tmp_path / "g.png"
    save_graph(hostile_graph("a\x9b31m\x85 中文"), graph)
    # A real process: Matplotlib's warnings would go to its stderr.
    script = [sys.executable, "-c", "from toolkit.cli import main; main()"]
    result = subprocess.run(
        [*script, "graph", "draw", graph, "-o", image], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == f"wrote {image}: all 4 nodes\n"
