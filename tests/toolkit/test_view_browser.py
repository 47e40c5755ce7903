"""The viewer page in real headless Chromium: counts, clicks, search, the panel's numbers,
and a picture that is not blank. One browser per session (the ``browser`` fixture)."""

from __future__ import annotations

import pytest
from matplotlib.image import imread

from micrograd import Value, scope
from micrograd.demo import demo_loss, demo_model
from toolkit.draw_scopes import collapse
from toolkit.graph import check_graph, to_networkx
from toolkit.view import view


def reference_graph():
    loss = demo_loss(demo_model(0))
    loss.backward()
    return to_networkx(loss)


def non_finite_graph():
    with scope("edge"):
        total = Value(0.0, label="zero").log() + Value(-1.0, label="minus").log()
    root = total + Value(1000.0, label="big").exp()
    root.backward()
    return to_networkx(root)


class Page:
    """An open viewer page, and every console error or uncaught exception it reported."""

    def __init__(self, browser, path):
        self.context = browser.new_context(offline=True, viewport={"width": 1200, "height": 800})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri())
        self.page.evaluate("window.microgradView.ready")

    def call(self, expression: str, *args):
        return self.page.evaluate(f"(args) => window.microgradView.{expression}(...args)", args)


@pytest.fixture(scope="module")
def reference(browser, tmp_path_factory):
    G = reference_graph()
    path = tmp_path_factory.mktemp("view") / "reference.html"
    view(G, path)
    page = Page(browser, path)
    yield G, page
    assert page.errors == []
    page.context.close()


@pytest.fixture(scope="module")
def non_finite(browser, tmp_path_factory):
    G = non_finite_graph()
    path = tmp_path_factory.mktemp("view") / "non-finite.html"
    view(G, path)
    page = Page(browser, path)
    yield G, page
    assert page.errors == []
    page.context.close()


def expected_visible(G, expanded: list[str]) -> int:
    picture = collapse(check_graph(G), level=1, expand=expanded)
    return len(picture.boxes) + len(picture.singles)


def test_counts_follow_expanding_and_collapsing_scopes(reference):
    G, page = reference
    page.call("collapseAll")
    steps = [
        (None, []),
        (("expand", "layers"), ["layers"]),
        (("expand", "layers.1.neurons.2"), ["layers", "layers.1", "layers.1.neurons.2"]),
        (("expand", "loss"), ["layers", "layers.1", "layers.1.neurons.2", "loss"]),
        (("collapse", "layers.1"), ["layers", "loss"]),
        (("collapse", "layers"), ["loss"]),
    ]
    for action, expanded in steps:
        if action:
            assert page.call(*action) is True
        state = page.call("state")
        assert state["expanded"] == expanded, action
        assert state["visible"] == expected_visible(G, expanded), action
        assert (state["nodes"], state["edges"]) == (G.number_of_nodes(), G.number_of_edges())
    assert page.call("expand", "layers.7") is False
    page.call("expandAll")
    assert page.call("state")["visible"] == G.number_of_nodes()
    page.call("collapseAll")
    assert page.call("state")["visible"] == expected_visible(G, [])


def test_a_mouse_click_on_a_scope_box_opens_it(reference):
    G, page = reference
    page.call("collapseAll")
    page.call("fit")
    position = page.call("boxPosition", "layers")
    page.page.mouse.click(position["x"], position["y"])
    assert page.call("state")["expanded"] == ["layers"]
    page.call("fit")
    position = page.call("boxPosition", "layers.2")
    page.page.mouse.click(position["x"], position["y"])
    state = page.call("state")
    assert state["expanded"] == ["layers", "layers.2"]
    assert state["visible"] == expected_visible(G, ["layers", "layers.2"])


def test_search_selects_a_parameter_and_opens_the_scopes_around_it(reference):
    G, page = reference
    page.call("collapseAll")
    label = "layers.1.neurons.3.w.2"
    node = next(n for n, attributes in G.nodes(data=True) if attributes["label"] == label)
    page.page.fill("#search", label)
    page.page.press("#search", "Enter")
    state = page.call("state")
    assert state["selected"] == node
    assert "layers.1.neurons.3" in state["expanded"]
    assert page.call("nodePosition", node) is not None
    assert page.page.inner_text("#panel").count(label) >= 1
    assert page.call("search", "layers.2") == "layers.2"


def test_select_shows_the_graph_files_numbers(reference):
    G, page = reference
    for node in (0, 7, 40, 200, G.graph["root"]):
        shown = page.call("select", node)
        attributes = G.nodes[node]
        assert (shown["data"], shown["grad"]) == (attributes["data"], attributes["grad"])
        assert (shown["kind"], shown["op"], shown["label"]) == (
            attributes["kind"],
            attributes["op"],
            attributes["label"],
        )
        assert shown["operands"] == [
            u for u, _, _ in sorted(G.in_edges(node, data="position"), key=lambda e: e[2])
        ]
        assert sorted(shown["results"]) == sorted(v for _, v in G.out_edges(node))
        assert shown["fanOut"] == G.out_degree(node)
    assert page.call("select", None) is None and page.call("state")["selected"] is None


def test_non_finite_numbers_show_as_such(non_finite):
    G, page = non_finite
    for node, attributes in G.nodes(data=True):
        shown = page.call("select", node)
        for name in ("data", "grad"):
            value = attributes[name]
            if value != value:
                assert shown[name] == "nan"
            elif abs(value) == float("inf"):
                assert shown[name] == ("inf" if value > 0 else "-inf")
            else:
                assert shown[name] == value
        page.call("colourBy", "grad")
        page.call("expandAll")
    for value in ("nan", "-inf", "inf"):
        node = next(n for n, a in G.nodes(data=True) if repr(a["data"]) == value)
        page.call("select", node)
        page.call("highlight", True)
        assert value in page.page.inner_text("#panel").split()
    page.call("drawNow")


def test_the_page_draws_a_picture_that_is_not_blank(reference, tmp_path):
    _, page = reference
    page.call("collapseAll")
    page.call("expand", "layers.0")
    page.call("select", 40)
    page.call("colourBy", "op")
    page.call("fit")
    page.call("drawNow")
    path = tmp_path / "shot.png"
    page.page.screenshot(path=str(path))
    pixels = imread(path)
    assert pixels.shape[0] > 400 and pixels[..., :3].var() > 0.01
