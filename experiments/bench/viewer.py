"""How fluent the graph viewer is on the moons loss graph (65,818 nodes, 341 levels) in
headless Chromium: the first frame after opening the page, ``expandAll()``, the slowest pan
or zoom frame fully expanded, and the size of the page.

A frame is timed by the page itself (``microgradView.drawNow()``): drawing, and reading back
one pixel, which waits until the canvas is rasterised. The pan and zoom frames are taken at
several zoom levels, from the whole graph down to readable nodes. Targets: first frame within
3 s, ``expandAll()`` within 10 s, every frame within 100 ms, a file under 20 MB.

Run with ``python -m experiments.bench.viewer``: prints the figures and the machine, writes
``results/bench/viewer.json``. Needs playwright (``pip install -e '.[browser]'``) and
Debian's ``chromium``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from experiments.bench.arguments import ArgumentParser
from experiments.bench.suite import machine
from experiments.views import moons_graph
from toolkit.files import write_text_atomic
from toolkit.view import HEADLESS_CHROMIUM_ARGS, view

OUTPUT = Path("results/bench/viewer.json")
VIEWPORT = {"width": 1400, "height": 850}
ZOOMS = (1, 4, 16, 64, 256)
"""Zoom factors from the fitted whole graph at which pan and zoom frames are timed."""
PANS = ((300, 0), (0, 300), (-300, -300))
ZOOM_FRAME = "() => { microgradView.zoomBy(1.25); return microgradView.drawNow(); }"
PAN_FRAME = "([dx, dy]) => { microgradView.panBy(dx, dy); return microgradView.drawNow(); }"


def measure(page_path: Path) -> dict:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("no chromium on PATH: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=HEADLESS_CHROMIUM_ARGS
        )
        page = browser.new_context(offline=True, viewport=VIEWPORT).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda m: (
                errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
            ),
        )
        start = time.perf_counter()
        page.goto(page_path.as_uri())
        page.evaluate("window.microgradView.ready")
        first_frame = time.perf_counter() - start
        expand_all = page.evaluate(
            "() => { const t = performance.now(); window.microgradView.expandAll();"
            " window.microgradView.drawNow(); return performance.now() - t; }"
        )
        frames = []
        for zoom in ZOOMS:
            page.evaluate("(zoom) => { microgradView.fit(); microgradView.zoomBy(zoom); }", zoom)
            frames.append(page.evaluate(ZOOM_FRAME))
            frames.extend(page.evaluate(PAN_FRAME, [dx, dy]) for dx, dy in PANS)
        visible = page.evaluate("window.microgradView.state().visible")
        browser.close()
    if errors:
        raise SystemExit(f"the page reported errors or warnings: {errors[0]}")
    return {
        "first_frame_s": round(first_frame, 3),
        "expand_all_s": round(expand_all / 1000, 3),
        "slowest_frame_ms": round(max(frames), 1),
        "median_frame_ms": round(statistics.median(frames), 1),
        "frames": len(frames),
        "visible_after_expand_all": visible,
    }


def main(argv: list[str] | None = None) -> None:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    G = moons_graph()
    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "moons.html"
        start = time.perf_counter()
        view(G, page_path)
        written = time.perf_counter() - start
        size = page_path.stat().st_size
        figures = measure(page_path)
    report = {
        "graph": {"nodes": G.number_of_nodes(), "edges": G.number_of_edges()},
        "page_bytes": size,
        "write_page_s": round(written, 2),
        **figures,
        "targets": {"first_frame_s": 3, "expand_all_s": 10, "frame_ms": 100, "page_bytes": 20e6},
        "machine": machine(),
    }
    print(f"moons loss graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges")
    print(f"page              {size / 1e6:.1f} MB (target < 20 MB), written in {written:.1f} s")
    print(f"first frame       {figures['first_frame_s']:.2f} s (target < 3 s)")
    print(f"expandAll()       {figures['expand_all_s']:.2f} s (target < 10 s)")
    print(
        f"pan or zoom frame {figures['slowest_frame_ms']:.0f} ms slowest, "
        f"{figures['median_frame_ms']:.0f} ms median of {figures['frames']} (target < 100 ms)"
    )
    m = report["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, headless chromium")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.output, json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
