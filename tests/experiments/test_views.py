"""``python -m experiments.views`` (``make view``): its pages land in the results folder
whole or not at all, an earlier run's are replaced only with --force, and -h helps, as with
every experiment. The graphs are swapped for small ones, so that this takes no time."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from experiments import views
from micrograd import Value, scope
from tests.experiments.helpers import read_json
from toolkit.graph import to_networkx


def small_graph():
    with scope("loss"):
        loss = (Value(2.0, label="x") * Value(3.0, label="w")).tanh()
    loss.backward()
    return to_networkx(loss)


@pytest.fixture
def small_pages(monkeypatch):
    pages = (("a_loss", small_graph, "A"), ("b_loss", small_graph, "B"))
    monkeypatch.setattr(views, "PAGES", pages)
    return pages


def run(*args: str):
    return CliRunner().invoke(views.main, list(args))


def pages_in(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_h_prints_the_help():
    result = run("-h")
    assert result.exit_code == 0 and "--force" in result.output and "--output" in result.output


def test_it_writes_the_pages_and_what_made_them(tmp_path, small_pages):
    out = tmp_path / "view"
    result = run("-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(pages_in(out)) == ["a_loss.html", "b_loss.html", "config.json"]
    assert (out / "a_loss.html").read_text().startswith("<!DOCTYPE html>")
    assert read_json(out / "config.json")["experiment"] == "view"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["view"]


def test_an_earlier_run_is_replaced_only_with_force(tmp_path, small_pages, monkeypatch):
    out = tmp_path / "view"
    assert run("-o", str(out)).exit_code == 0
    before = pages_in(out)
    (out / "a_loss.html").write_text("an earlier page")
    again = run("-o", str(out))
    assert again.exit_code == 2 and "pass --force" in again.output
    assert (out / "a_loss.html").read_text() == "an earlier page"
    forced = run("-o", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert pages_in(out) == before


def test_a_failing_run_leaves_the_earlier_pages_and_nothing_beside(
    tmp_path, small_pages, monkeypatch
):
    out = tmp_path / "view"
    assert run("-o", str(out)).exit_code == 0
    before = pages_in(out)

    def broken():
        raise OSError("disk full")

    monkeypatch.setattr(views, "PAGES", (small_pages[0], ("b_loss", broken, "B")))
    result = run("-o", str(out), "--force")
    assert result.exit_code != 0 and "disk full" in result.output
    assert pages_in(out) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["view"]
