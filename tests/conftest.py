"""Shared test set-up: hypothesis profiles and the torch gradient oracle."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI replays a fixed set of examples; locally hypothesis explores new ones each run.
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def torch():
    """The torch module, the gradient oracle. Tests that use it skip when torch is not
    installed, unless MICROGRAD_REQUIRE_ORACLE=1 (as in CI), where its absence fails."""
    try:
        import torch as torch_module
    except ImportError:
        if os.environ.get("MICROGRAD_REQUIRE_ORACLE") == "1":
            pytest.fail("torch is required (MICROGRAD_REQUIRE_ORACLE=1) but not installed")
        pytest.skip("torch not installed: pip install -e '.[oracle]' to compare against it")
    torch_module.set_default_dtype(torch_module.float64)
    return torch_module


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's ``chromium``, driven by Playwright for Python), one per
    session, for the viewer tests. They skip when either is missing, unless
    MICROGRAD_REQUIRE_BROWSER=1, where its absence fails."""
    import shutil

    from toolkit.view import HEADLESS_CHROMIUM_ARGS

    executable = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = (
        "playwright not installed: pip install -e '.[browser]'"
        if sync_playwright is None
        else "no chromium on PATH: apt-get install chromium"
        if executable is None
        else None
    )
    if missing:
        if os.environ.get("MICROGRAD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"a browser is required (MICROGRAD_REQUIRE_BROWSER=1): {missing}")
        pytest.skip(missing)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=HEADLESS_CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
