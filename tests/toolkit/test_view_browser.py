"""The viewer page in real headless Chromium: counts, clicks, search, the panel's numbers,
the layout's direction and crossings, colours, and a picture that is not blank. One browser
per session (the ``browser`` fixture)."""

from __future__ import annotations

import io
import math

import pytest
from matplotlib.image import imread

from tests.toolkit.view_helpers import (
    REFERENCE_ROWS,
    non_finite_graph,
    reference_graph,
    reference_visible,
)
from toolkit.view import view, view_data


class Page:
    """An open viewer page, and every console error or warning and uncaught exception it
    reported."""

    def __init__(self, browser, path):
        self.context = browser.new_context(offline=True, viewport={"width": 1200, "height": 800})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.errors.append(f"{m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
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
        assert state["visible"] == reference_visible(set(expanded)), action
        assert (state["nodes"], state["edges"]) == (G.number_of_nodes(), G.number_of_edges())
    assert page.call("expand", "layers.7") is False
    page.call("expandAll")
    assert page.call("state")["visible"] == G.number_of_nodes()
    page.call("collapseAll")
    assert page.call("state")["visible"] == reference_visible(set()) == 3


def test_a_mouse_click_on_a_scope_box_opens_it(reference):
    _, page = reference
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
    assert state["visible"] == reference_visible({"layers", "layers.2"})


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


def test_the_search_box_shows_a_parameters_whole_name(reference):
    _, page = reference
    search = page.page.locator("#search")
    search.fill("layers.1.neurons.3.w.2")
    assert search.evaluate("(box) => box.scrollWidth <= box.clientWidth")
    search.fill("")


@pytest.mark.parametrize("name", ["data", "layers", "loss", "layers.1"])
def test_a_second_click_on_the_same_spot_closes_what_the_first_opened(reference, name):
    _, page = reference
    page.call("collapseAll")
    page.call("select", None)
    if name == "layers.1":
        page.call("expand", "layers")
    page.call("fit")
    before = page.call("state")["expanded"]
    spot = page.call("boxPosition", name)
    page.page.mouse.click(spot["x"], spot["y"])
    opened = page.call("state")
    assert opened["expanded"] == sorted([*before, name]) and opened["selected"] is None
    page.page.mouse.click(spot["x"], spot["y"])
    closed = page.call("state")
    assert closed["expanded"] == before and closed["selected"] is None
    page.page.mouse.click(spot["x"], spot["y"])  # and a third opens it again
    assert page.call("state")["expanded"] == opened["expanded"]
    page.call("collapseAll")


def drawn_rectangles(page, data, G) -> tuple[dict, set]:
    """The rectangles on the page (left, top, right, bottom) of the elements drawn (nodes by
    id, closed boxes by name) and the pairs of elements that edges of ``G`` join: a node is
    drawn as itself when every box around it is open, else as the outermost closed one."""
    expanded = set(page.call("state")["expanded"])
    boxes, parents = data["boxes"], data["boxParent"]

    def element(node_index):
        around, b = [], data["box"][node_index]
        while b > 0:
            around.append(b)
            b = parents[b]
        closed = [b for b in reversed(around) if boxes[b] not in expanded]
        return ("box", boxes[closed[0]]) if closed else ("node", data["ids"][node_index])

    ends = [element(i) for i in range(len(data["ids"]))]
    rectangles = {}
    for kind, name in set(ends):
        call = "boxPosition" if kind == "box" else "nodePosition"
        p = page.call(call, name)
        assert p is not None, (kind, name)
        w, h = p["width"], p["height"]
        rectangles[kind, name] = (p["x"] - w / 2, p["y"] - h / 2, p["x"] + w / 2, p["y"] + h / 2)
    index = {node: i for i, node in enumerate(data["ids"])}
    pairs = {(ends[index[u]], ends[index[v]]) for u, v in G.edges()}
    return rectangles, {(a, b) for a, b in pairs if a != b}


@pytest.mark.parametrize(
    "expanded",
    [
        ["loss"],
        ["data", "layers", "layers.0", "layers.1"],
        ["layers.0.neurons.1", "layers.1.neurons.2", "layers.2", "loss"],
        ["everything"],
    ],
)
def test_every_drawn_arrow_runs_from_left_to_right(reference, expanded):
    G, page = reference
    page.call("collapseAll")
    if expanded == ["everything"]:
        page.call("expandAll")
    for name in expanded:
        page.call("expand", name)
    page.call("fit")
    rectangles, pairs = drawn_rectangles(page, view_data(G), G)
    backwards = [(a, b) for a, b in pairs if rectangles[a][2] > rectangles[b][0] + 0.01]
    assert backwards == [], f"{len(backwards)} of {len(pairs)} arrows run backwards"
    page.call("collapseAll")


def crossings(segments: list[tuple[float, float, float, float]]) -> int:
    """How many pairs of the straight segments (x0, y0, x1, y1), x0 < x1, cross."""

    def height(segment, x):
        x0, y0, x1, y1 = segment
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    count = 0
    segments = sorted(segments)
    for k, one in enumerate(segments):
        for other in segments[k + 1 :]:
            if other[0] >= one[2]:
                break
            low, high = max(one[0], other[0]), min(one[2], other[2])
            if high > low:
                gaps = [height(one, x) - height(other, x) for x in (low, high)]
                count += gaps[0] * gaps[1] < 0
    return count


def test_the_reference_graph_open_has_few_crossings(reference):
    """Its 572 edges, each drawn from the right side of its operand to the left side of its
    result, cross at most 1,900 times. Most crossings cannot be helped: each input feeds a
    product in all four neurons of layer 0 and each of their outputs one in all four of layer
    1, boxes one under the other, which alone makes hundreds. Ordering each box's items by
    themselves made 2,184 (2,195 with the rows wrapped); sweeps over the whole graph, 1,876."""
    G, page = reference
    page.call("expandAll")
    page.call("fit")
    rectangles, pairs = drawn_rectangles(page, view_data(G), G)
    assert len(pairs) == G.number_of_edges() - sum(u == v for u, v in G.edges())
    segments = [
        (
            rectangles[a][2],
            (rectangles[a][1] + rectangles[a][3]) / 2,
            rectangles[b][0],
            (rectangles[b][1] + rectangles[b][3]) / 2,
        )
        for a, b in pairs
    ]
    assert crossings(segments) <= 1_900
    page.call("collapseAll")


def pixel(page, x: float, y: float) -> tuple[int, int, int]:
    """The colour of the page's pixel at (x, y), from a screenshot."""
    shot = page.page.screenshot(clip={"x": round(x), "y": round(y), "width": 1, "height": 1})
    rgb = imread(io.BytesIO(shot), format="png")[0, 0, :3]
    return tuple(round(255 * float(c)) for c in rgb)


def hover_text(page, x: float, y: float) -> str:
    page.page.mouse.move(x, y)
    return page.page.evaluate("document.getElementById('canvas').title")


NAN_RED = (0xE8, 0x33, 0x6D)


def test_a_closed_box_takes_its_largest_finite_grad_and_counts_the_non_finite(reference):
    """The exponent of a square is a constant whose grad is nan where the base is negative
    (as torch gives): the closed loss box is coloured by its largest finite |grad| and says
    how many are nan; each such exponent, drawn by itself, keeps the nan colour."""
    G, page = reference
    exponents = [n for n, a in G.nodes(data=True) if a["scope"] == "loss" and math.isnan(a["grad"])]
    assert 0 < len(exponents) < REFERENCE_ROWS
    page.call("collapseAll")
    page.call("colourBy", "grad")
    page.call("fit")
    page.call("drawNow")
    box = page.call("boxPosition", "loss")
    bottom = box["y"] + box["height"] / 2 - 3
    red, green, blue = pixel(page, box["x"], bottom)
    lightened_nan = [c + (255 - c) * 0.55 for c in NAN_RED]
    assert math.dist((red, green, blue), lightened_nan) > 40, (red, green, blue)
    told = hover_text(page, box["x"], box["y"])
    assert f"{len(exponents)} nodes with a nan or \u00b1inf grad" in told
    assert "largest finite |grad|" in told
    page.call("expand", "loss")
    page.call("fit")
    page.call("drawNow")
    spot = page.call("nodePosition", exponents[0])
    corner = pixel(page, spot["x"] - spot["width"] / 2 + 4, spot["y"] - spot["height"] / 2 + 4)
    assert math.dist(corner, NAN_RED) < 12, corner
    page.page.mouse.move(0, 0)
    page.call("colourBy", "op")
    page.call("collapseAll")


def test_colour_by_scope_gives_each_top_level_scope_a_hue_well_apart(reference):
    _, page = reference
    page.call("colourBy", "scope")
    entries = page.page.evaluate(
        "Array.from(document.querySelectorAll('#legend .entry')).map((entry) => ["
        "entry.innerText.trim(), getComputedStyle(entry.querySelector('.swatch')).backgroundColor])"
    )
    names = [name for name, _ in entries]
    assert names == ["data", "layers", "loss"]
    colours = [tuple(int(c) for c in colour[4:-1].split(",")) for _, colour in entries]
    assert min(math.dist(p, q) for k, p in enumerate(colours) for q in colours[k + 1 :]) > 60
    page.call("colourBy", "op")


def test_every_arrow_that_stands_for_several_edges_shows_its_count(reference):
    _, page = reference
    for expanded, arrows in ((["data"], 12 + 1), (["layers", "layers.0", "layers.1"], 25)):
        page.call("collapseAll")
        for name in expanded:
            page.call("expand", name)
        page.call("fit")
        page.call("drawNow")
        frame = page.call("lastFrame")
        assert frame["detail"] == 2 and frame["counted"] == arrows, expanded
        assert frame["counts"] == arrows, expanded
    page.call("collapseAll")


def test_zoom_has_a_floor_and_a_ceiling_and_bad_numbers_are_ignored(reference):
    G, page = reference
    page.call("expandAll")
    page.call("fit")
    whole = page.call("boxPosition", "layers")
    for _ in range(60):
        page.call("zoomBy", 0.5)
    far = page.call("boxPosition", "layers")
    assert far["width"] >= whole["width"] / 8 - 0.01
    for _ in range(60):
        page.call("zoomBy", 2)
    node = next(n for n in G if page.call("nodePosition", n) is not None)
    near = page.call("nodePosition", node)
    assert near["height"] <= 3 * 40 + 0.01  # nodes are 40 high at zoom 1
    for bad in ("panBy(NaN, 0)", "panBy(0, Infinity)", "zoomBy(NaN)", "zoomBy(0)", "zoomBy(-2)"):
        page.page.evaluate(f"window.microgradView.{bad}")
        assert page.call("nodePosition", node) == near, bad
    page.call("collapseAll")


def test_minus_zero_shows_as_zero(non_finite):
    G, page = non_finite
    node = next(n for n, a in G.nodes(data=True) if a["label"] == "minus zero")
    page.call("select", node)
    rows = page.page.eval_on_selector_all(
        "#panel tr", "(rows) => rows.map((row) => row.innerText.split('\\t'))"
    )
    assert dict(rows)["data"] == "0"
    page.call("select", None)
