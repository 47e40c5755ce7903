"""The viewer page in real headless Chromium: counts, clicks, search, the panel's numbers,
and a picture that is not blank. One browser per session (the ``browser`` fixture)."""

from __future__ import annotations

import pytest
from matplotlib.image import imread

from tests.toolkit.view_helpers import non_finite_graph, reference_graph
from toolkit.draw_scopes import collapse
from toolkit.graph import check_graph
from toolkit.view import view, view_data


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


def opened(browser, tmp_path_factory, G, name: str):
    """Yields the graph and its page; at teardown, checks the page reported no error."""
    path = tmp_path_factory.mktemp("view") / f"{name}.html"
    view(G, path)
    page = Page(browser, path)
    yield G, page
    assert page.errors == []
    page.context.close()


@pytest.fixture(scope="module")
def reference(browser, tmp_path_factory):
    yield from opened(browser, tmp_path_factory, reference_graph(), "reference")


@pytest.fixture(scope="module")
def non_finite(browser, tmp_path_factory):
    yield from opened(browser, tmp_path_factory, non_finite_graph(), "non-finite")


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
    page.call("expand", "layers.0.neurons.2")
    page.call("select", 40)
    page.call("colourBy", "op")
    page.call("fit")
    page.call("drawNow")
    path = tmp_path / "shot.png"
    page.page.screenshot(path=str(path))
    pixels = imread(path)
    assert pixels.shape[0] > 400 and pixels[..., :3].var() > 0.01


def test_a_closed_scope_has_the_compact_size_whatever_it_holds(reference):
    _, page = reference
    page.call("collapseAll")
    page.call("fit")
    page.call("zoomBy", 0.35)
    closed = {name: page.call("boxPosition", name) for name in ("data", "layers", "loss")}
    sizes = {(round(p["width"], 3), round(p["height"], 3)) for p in closed.values()}
    assert len(sizes) == 1, closed  # 12, 333 and 21 nodes: one size
    width, height = closed["data"]["width"], closed["data"]["height"]
    assert width / height == pytest.approx(220 / 64, rel=1e-3)
    page.call("expand", "layers")
    grown = page.call("boxPosition", "layers")
    assert grown["width"] > 2 * width and grown["height"] > height
    inner = page.call("boxPosition", "layers.1")  # 164 nodes inside, shown closed
    assert (inner["width"], inner["height"]) == pytest.approx((width, height))
    loss = page.call("boxPosition", "loss")
    assert (loss["width"], loss["height"]) == pytest.approx((width, height))
    assert loss["x"] > closed["loss"]["x"] + width  # pushed right by the grown box
    page.call("collapse", "layers")
    assert page.call("boxPosition", "loss") == pytest.approx(closed["loss"])


def test_clicking_a_box_keeps_it_in_view_and_its_bar_closes_it(reference):
    _, page = reference
    page.call("collapseAll")
    page.call("fit")
    before = page.call("boxPosition", "layers")
    page.page.mouse.click(before["x"], before["y"])
    after = page.call("boxPosition", "layers")
    assert after is not None and after["width"] > before["width"]
    left, top = after["x"] - after["width"] / 2, after["y"] - after["height"] / 2
    assert left > 0 and top > 0  # its top-left corner, where its title bar starts, is on screen
    page.page.mouse.click(left + 40, top + 8)  # on the open scope's title bar
    assert page.call("state")["expanded"] == []


def test_fully_expanded_every_box_holds_its_children_and_nothing_overlaps(reference):
    G, page = reference
    data = view_data(G)
    page.call("expandAll")
    page.call("fit")

    def rectangle(position):
        x, y, w, h = position["x"], position["y"], position["width"], position["height"]
        return x - w / 2, y - h / 2, x + w / 2, y + h / 2

    boxes = {
        b: rectangle(page.call("boxPosition", name))
        for b, name in enumerate(data["boxes"])
        if b > 0
    }
    children: dict[int, list[tuple]] = {b: [] for b in range(len(data["boxes"]))}
    for b, parent in enumerate(data["boxParent"]):
        if parent >= 0:
            children[parent].append(boxes[b])
    for node, b in zip(data["ids"], data["box"]):
        children[b].append(rectangle(page.call("nodePosition", node)))
    slack = 0.01
    for b, items in children.items():
        if b > 0:
            outer = boxes[b]
            assert all(
                outer[0] - slack <= x0
                and outer[1] - slack <= y0
                and x1 <= outer[2] + slack
                and y1 <= outer[3] + slack
                for x0, y0, x1, y1 in items
            ), data["boxes"][b]
        for k, one in enumerate(items):
            for other in items[k + 1 :]:
                assert (
                    one[2] <= other[0] + slack
                    or other[2] <= one[0] + slack
                    or one[3] <= other[1] + slack
                    or other[3] <= one[1] + slack
                ), data["boxes"][b]
    page.call("collapseAll")


def test_far_out_edges_between_scopes_are_bundles_and_near_every_edge_is_drawn(reference):
    G, page = reference
    page.call("expandAll")
    page.call("fit")  # the whole graph in view, nodes tall enough to draw every edge
    page.call("drawNow")
    near = page.call("lastFrame")
    assert near["detail"] >= 1 and near["bundles"] == 0
    assert near["edges"] == G.number_of_edges() and near["arrows"] <= near["edges"]
    assert near["nodes"] == G.number_of_nodes()
    page.call("zoomBy", 0.25)  # nodes a few pixels tall: one line per pair of scopes
    page.call("drawNow")
    far = page.call("lastFrame")
    assert far["detail"] == 0 and far["arrows"] == 0
    assert 0 < far["bundles"] < far["edges"] < G.number_of_edges()
    page.call("zoomBy", 4)
    page.call("drawNow")
    assert page.call("lastFrame") == near
    page.call("collapseAll")


def test_the_toolbar_is_one_row_at_1400_pixels(reference):
    _, page = reference
    page.page.set_viewport_size({"width": 1400, "height": 850})
    page.page.evaluate(
        "document.getElementById('title').textContent = 'The moons classifier\\'s loss, seed 0'"
    )
    middles = page.page.evaluate(
        "['heading', 'stats', 'search', 'colour', 'lineage', 'expand-all', 'fit']"
        ".map((id) => document.getElementById(id).getBoundingClientRect())"
        ".map((r) => r.top + r.height / 2)"
    )
    assert max(middles) - min(middles) < 4, middles
    heading = "document.getElementById('heading')"
    assert page.page.evaluate(f"{heading}.scrollWidth <= {heading}.clientWidth")
    page.page.set_viewport_size({"width": 1200, "height": 800})
