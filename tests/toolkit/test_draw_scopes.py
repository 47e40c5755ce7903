"""Drawing a big graph collapsed by scope: the collapsing exactly, and the pictures drawn."""

from __future__ import annotations

import itertools
import os
import re

import matplotlib
import pytest
from matplotlib.image import imread

from micrograd import Value, scope
from micrograd.demo import LAYERS, XS, demo_loss, demo_model
from toolkit.draw import draw
from toolkit.draw_scopes import MAX_ELEMENTS, Box, choose_collapse, collapse, scope_levels
from toolkit.graph import check_graph, to_networkx

ROWS = len(XS)
WIDTHS = (len(XS[0]), *LAYERS)  # inputs of layer 0, then the neurons of every layer
NEURON_SCOPES = [
    f"layers.{layer}.neurons.{j}" for layer, width in enumerate(LAYERS) for j in range(width)
]


def neuron_size(inputs: int, rows: int) -> int:
    """A tanh neuron over ``rows`` rows: its ``inputs + 1`` parameters, and per row one mul
    and one add per input (the sum starts from the bias) and one tanh."""
    return inputs + 1 + rows * (2 * inputs + 1)


@pytest.fixture(scope="module")
def reference():
    loss = demo_loss(demo_model(0))
    loss.backward()
    return to_networkx(loss)


@pytest.fixture(scope="module")
def moons_graph():
    from experiments.moons import Config, make_model, objective
    from toolkit.datasets import moons

    xs, ys = moons(100, seed=0)
    config = Config()
    return to_networkx(objective(make_model(config), xs, ys, config.alpha))


def nodes_in(G, name: str) -> int:
    return sum(1 for _, attributes in G.nodes(data=True) if attributes["scope"] == name)


def svg_text(G, path, **kwargs) -> tuple[str, str]:
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        drawn = draw(G, path, **kwargs).kind
    return drawn, path.read_text()


def assert_a_real_picture(path) -> None:
    image = imread(path)
    height, width = image.shape[:2]
    assert 300 <= width <= 8_000 and 200 <= height <= 8_000, image.shape
    assert image[..., :3].std() > 0.05  # not blank


# -- collapsing ----------------------------------------------------------------------------


def test_the_reference_loss_collapses_to_its_neurons_loss_and_data(reference):
    picture = choose_collapse(check_graph(reference), 200)
    assert picture.level == 4
    assert list(picture.boxes) == ["data", *NEURON_SCOPES, "loss"]
    assert picture.singles == []
    for layer, (inputs, width) in enumerate(zip(WIDTHS, LAYERS)):
        for j in range(width):
            box = picture.boxes[f"layers.{layer}.neurons.{j}"]
            assert box.size == neuron_size(inputs, ROWS)
            assert box.operations == {"add": ROWS * inputs, "mul": ROWS * inputs, "tanh": ROWS}
            assert box.leaves == {"parameter": inputs + 1}
    assert picture.boxes["data"].size == ROWS * len(XS[0])
    assert picture.boxes["data"].leaves == {"input": ROWS * len(XS[0])}
    assert picture.boxes["loss"].size == nodes_in(reference, "loss")


def test_arrows_count_the_operand_edges_between_scopes(reference):
    picture = collapse(check_graph(reference), level=4)
    boxes = picture.boxes
    for i in range(LAYERS[0]):
        # every input of every row feeds one mul of each first-layer neuron
        assert picture.arrows[boxes["data"], boxes[f"layers.0.neurons.{i}"]] == ROWS * WIDTHS[0]
        for j in range(LAYERS[1]):
            # the tanh output of one row feeds one mul of each next-layer neuron
            source, target = boxes[f"layers.0.neurons.{i}"], boxes[f"layers.1.neurons.{j}"]
            assert picture.arrows[source, target] == ROWS
    assert picture.arrows[boxes["layers.2.neurons.0"], boxes["loss"]] == ROWS
    between_layers = sum(a * b for a, b in itertools.pairwise(LAYERS))
    assert len(picture.arrows) == LAYERS[0] + between_layers + LAYERS[-1]
    assert picture.size == len(boxes) + len(picture.arrows)


def test_levels_that_change_nothing_are_skipped(reference):
    structure = check_graph(reference)
    assert scope_levels(structure) == [1, 2, 4]  # layers.0.neurons holds what layers.0 does
    assert list(collapse(structure, level=1).boxes) == ["data", "layers", "loss"]
    level_2 = collapse(structure, level=2)
    assert list(level_2.boxes) == ["data", "layers.0", "layers.1", "layers.2", "loss"]
    assert level_2.boxes["layers.1"].size == LAYERS[1] * neuron_size(WIDTHS[1], ROWS)
    assert level_2.arrows[level_2.boxes["layers.0"], level_2.boxes["layers.1"]] == (
        LAYERS[0] * LAYERS[1] * ROWS
    )


def test_the_budget_picks_the_deepest_level_that_fits(reference):
    structure = check_graph(reference)
    assert [choose_collapse(structure, n).level for n in (200, 20, 5)] == [4, 2, 1]
    assert choose_collapse(structure, 4) is None


def test_the_moons_loss_collapses_to_its_data_layers_and_loss(moons_graph):
    picture = choose_collapse(check_graph(moons_graph), 200)
    assert picture.level == 2
    assert list(picture.boxes) == ["data", "layers.0", "layers.1", "layers.2", "loss"]
    assert sum(box.size for box in picture.boxes.values()) == moons_graph.number_of_nodes()


def test_expanding_a_neuron_shows_its_nodes_one_by_one(reference):
    picture = collapse(check_graph(reference), level=4, expand=["layers.2.neurons.0"])
    assert list(picture.boxes) == ["data", *NEURON_SCOPES[:-1], "loss"]
    assert len(picture.singles) == neuron_size(LAYERS[1], ROWS)
    assert {reference.nodes[node]["scope"] for node in picture.singles} == {"layers.2.neurons.0"}
    for j in range(LAYERS[1]):  # each row's output of a neuron feeds one mul
        neuron = picture.boxes[f"layers.1.neurons.{j}"]
        into = [count for (source, _), count in picture.arrows.items() if source == neuron]
        assert into == [1] * ROWS


def test_expanding_a_layer_opens_it_into_its_neurons(reference):
    picture = collapse(check_graph(reference), level=2, expand=["layers.1"])
    neurons = [f"layers.1.neurons.{j}" for j in range(LAYERS[1])]
    assert list(picture.boxes) == ["data", "layers.0", *neurons, "layers.2", "loss"]
    deeper = collapse(check_graph(reference), level=1, expand=["layers.1.neurons.3"])
    assert list(deeper.boxes) == ["data", "layers.0", *neurons[:3], "layers.2", "loss"]
    assert len(deeper.singles) == neuron_size(WIDTHS[1], ROWS)


def test_a_scope_with_its_own_nodes_and_child_scopes_says_so():
    with scope("a"):
        x = Value(1.0) * 2
        with scope("b"):
            y = x + 1
    picture = collapse(check_graph(to_networkx(y)), level=2)
    assert list(picture.boxes) == ["a", "a.b"]
    assert picture.boxes["a"].own_only and not picture.boxes["a.b"].own_only


def test_an_unknown_scope_is_named_with_some_that_exist(reference, tmp_path):
    message = "no scope 'layers.9' in this graph; its scopes include layers, layers.0, "
    with pytest.raises(ValueError, match=re.escape(message)):
        collapse(check_graph(reference), level=4, expand=["layers.9"])
    with pytest.raises(ValueError, match=re.escape(message)):
        draw(reference, tmp_path / "g.png", expand=["layers.9"])
    assert os.listdir(tmp_path) == []


def test_a_picture_too_big_to_read_is_refused_with_its_size(tmp_path):
    with scope("long"):
        y = Value(0.5)
        for _ in range(MAX_ELEMENTS):
            y = y * 1.0
    G = to_networkx(y, grads=False)
    with pytest.raises(ValueError, match=r"[\d,]+ elements, more than the 2,000 .*--level"):
        draw(G, tmp_path / "g.png", expand=["long"])
    assert draw(G, tmp_path / "g.png").kind == "collapsed"  # one box
    with pytest.raises(ValueError, match="must be 1 or more"):
        draw(G, tmp_path / "g.png", level=0)


def test_boxes_may_feed_each_other_both_ways(tmp_path):
    x = Value(1.0, label="x")
    for i in range(3):
        with scope("ping" if i % 2 == 0 else "pong"):
            x = (x * 2).tanh()
    picture = collapse(check_graph(to_networkx(x)), level=1)
    ping, pong = picture.boxes["ping"], picture.boxes["pong"]
    assert picture.arrows[ping, pong] == 1 and picture.arrows[pong, ping] == 1
    assert draw(to_networkx(x), tmp_path / "cycle.png", level=1).kind == "collapsed"
    assert_a_real_picture(tmp_path / "cycle.png")


def test_a_box_is_a_key_that_never_equals_a_node_id():
    box = Box("loss", nodes=(1, 2), operations={}, leaves={})
    assert box == Box("loss", nodes=(), operations={"add": 1}, leaves={})
    assert box != "loss" and {box: 1}.get("loss") is None


# -- drawing -------------------------------------------------------------------------------


def test_the_reference_loss_is_drawn_collapsed_with_a_title_that_says_so(reference, tmp_path):
    drawn, svg = svg_text(reference, tmp_path / "g.svg")
    assert drawn == "collapsed"
    nodes, boxes = reference.number_of_nodes(), len(NEURON_SCOPES) + 2
    arrows = LAYERS[0] + sum(a * b for a, b in itertools.pairwise(LAYERS)) + LAYERS[-1]
    title = f"(root: add in scope loss): {nodes} nodes collapsed by scope at level 4"
    assert f"Computation graph {title}" in svg
    assert f"({boxes} boxes, {arrows} arrows;" in svg
    for text in (
        ">layers.1.neurons.3<",
        ">41 nodes<",
        ">add 16, mul 16, tanh 4<",
        ">5 parameters<",
    ):
        assert text in svg, text
    assert svg.count(f">\N{MULTIPLICATION SIGN}{ROWS}<") == 21  # between the neurons, to loss


def test_pictures_are_written_and_not_blank(reference, moons_graph, tmp_path):
    paths = {
        "reference": (reference, {}),
        "expanded": (reference, {"expand": ["layers.2.neurons.0"]}),
        "moons": (moons_graph, {}),
    }
    for name, (G, options) in paths.items():
        path = tmp_path / f"{name}.png"
        assert draw(G, path, **options).kind == "collapsed"
        assert_a_real_picture(path)


def test_the_same_graph_gives_the_same_png(reference, tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    draw(reference, first)
    draw(reference, second)
    assert first.read_bytes() == second.read_bytes()


def test_level_and_expand_draw_collapsed_whatever_the_size(reference, tmp_path):
    _, svg = svg_text(reference, tmp_path / "g.svg", max_nodes=1_000, level=2)
    assert "nodes collapsed by scope at level 2" in svg
    assert f"(5 boxes, {len(LAYERS) + 1} arrows" in svg  # data, layers.0 to 2, loss: a chain
    _, svg = svg_text(reference, tmp_path / "x.svg", expand=["layers.2.neurons.0"])
    assert "at level 4, layers.2.neurons.0 expanded" in svg
    singles = neuron_size(WIDTHS[2], ROWS)
    assert f"({len(NEURON_SCOPES) + 1} boxes, {singles} single nodes," in svg


def test_an_unscoped_graph_gets_a_summary_and_cannot_be_collapsed(tmp_path):
    y = Value(0.5, label="x")
    for _ in range(150):
        y = y.tanh()
    G = to_networkx(y)
    assert draw(G, tmp_path / "g.png", max_nodes=100).kind == "summary"
    with pytest.raises(ValueError, match="level 2: no node of this graph has a scope"):
        draw(G, tmp_path / "g.png", level=2)
    with pytest.raises(ValueError, match="no scope 'layers' in this graph: no node of it has"):
        draw(G, tmp_path / "g.png", expand=["layers"])


def test_labels_and_scopes_with_dollar_signs_are_drawn_as_plain_text(tmp_path):
    with scope("price$"):
        y = Value(2.0, label=r"$\foo$") * Value(3.0, label="$")
    y.label = r"cost $\bar"
    y.backward()
    G = to_networkx(y)
    drawn, svg = svg_text(G, tmp_path / "g.svg")
    assert drawn == "graph"
    assert r">$\foo$<" in svg and r"root: cost $\bar (mul) in scope price$" in svg
    drawn, svg = svg_text(G, tmp_path / "c.svg", level=1)
    assert drawn == "collapsed" and ">price$<" in svg
    drawn, svg = svg_text(G, tmp_path / "e.svg", expand=["price$"])
    assert drawn == "collapsed" and r">$\foo$<" in svg and "price$ expanded" in svg
    assert draw(G, tmp_path / "g.png", level=1).kind == "collapsed"
    assert_a_real_picture(tmp_path / "g.png")


def test_a_level_deeper_than_every_scope_collapses_at_the_deepest_one():
    structure = check_graph(to_networkx(demo_loss(demo_model(0))))
    deepest = collapse(structure, level=4)
    asked = collapse(structure, level=9)
    assert asked.level == 4
    assert list(asked.boxes) == list(deepest.boxes) and asked.arrows == deepest.arrows
