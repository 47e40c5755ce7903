"""Every number the README quotes about an experiment is the number a fresh run writes.

The experiments run once per test session with the README's configuration (the defaults
of ``make reproduce`` and ``make moons``); each claim of the README is read with a pattern
over its text and compared, to the digits the README gives, with the fresh summaries.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from experiments import loss_curve, lr_sweep, moons, outputs
from experiments.stats import STALL_FALL, STALL_WINDOW
from tests.experiments.helpers import read_csv, read_json

ROOT = Path(__file__).resolve().parents[2]
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
WORDS |= {"eight": 8, "nine": 9, "ten": 10}
NUMBER = r"(\d+(?:\.\d+)?)"


def readme_section(title: str, until: str) -> str:
    """The README's text from the heading ``title`` to the next heading ``until``, with
    its line breaks and runs of spaces made single spaces."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(title)
    return " ".join(text[start : text.index(until, start)].split())


EXPERIMENTS = readme_section("## Experiments\n", "### ")
COMMAND_LINE = readme_section("## The command line", "Every command follows")


def claim(pattern: str, text: str = EXPERIMENTS) -> tuple[str, ...]:
    """The groups of the one place where ``pattern`` matches the README's text."""
    matches = re.findall(pattern, text)
    assert len(matches) == 1, f"the README should say this once: {pattern}"
    found = matches[0]
    return found if isinstance(found, tuple) else (found,)


def as_written(quoted: str, value: float) -> bool:
    """Whether ``value`` rounds to ``quoted`` at the digits the README gives."""
    decimals = len(quoted.partition(".")[2])
    return f"{value:.{decimals}f}" == quoted


def count(word: str) -> int:
    return int(word) if word.isdigit() else WORDS[word]


@pytest.fixture(scope="session")
def fresh(tmp_path_factory):
    """The summaries (and the folders) of fresh runs of the README's experiments."""
    out = tmp_path_factory.mktemp("readme")
    runs = {}
    for name, module in (("loss_curve", loss_curve), ("lr_sweep", lr_sweep), ("moons", moons)):
        with outputs.replacing(out / name):
            if module is moons:
                runs[name] = module.run(module.Config(), out / name)
            else:
                runs[name] = module.run(module.Config(), out / name, jobs=1)
    return out, runs


def test_loss_curve_numbers_are_a_fresh_runs(fresh):
    _, runs = fresh
    summary = runs["loss_curve"]
    quoted = claim(
        rf"median loss {NUMBER} at step 0, {NUMBER} at step 10 and {NUMBER} at step 49 "
        rf"\(published: {NUMBER}, {NUMBER}, {NUMBER}\); all (\d+) seeds end below {NUMBER}"
    )
    steps = {row["step"]: row for row in summary["steps"]}
    for text, step in zip(quoted[:3], (0, 10, 49)):
        assert as_written(text, steps[step]["median"]), (text, steps[step]["median"])
    for text, step in zip(quoted[3:6], (0, 10, 49)):
        assert as_written(text, steps[step]["published"])
    below = summary["seeds_below"]
    assert int(quoted[6]) == below["count"] == below["of"]
    assert float(quoted[7]) == below["threshold"]


def test_lr_sweep_numbers_are_a_fresh_runs(fresh):
    _, runs = fresh
    summary = runs["lr_sweep"]
    rows = {row["lr"]: row for row in summary["lrs"]}
    assert (
        float(claim(rf"converges when its final loss is below {NUMBER}")[0])
        == (summary["converged_below"])
    )
    # Up to 0.2 a larger rate ends lower, from ... at 0.005 to ... at 0.2.
    up_to, low, low_lr, high, high_lr = claim(
        rf"up to {NUMBER} a larger rate ends lower \(median final loss {NUMBER} at {NUMBER}, "
        rf"{NUMBER} at {NUMBER}\)"
    )
    medians = [row["median"] for lr, row in rows.items() if lr <= float(up_to)]
    assert medians == sorted(medians, reverse=True)
    assert as_written(low, rows[float(low_lr)]["median"])
    assert as_written(high, rows[float(high_lr)]["median"])
    # Every seed converges at exactly these rates.
    (listed,) = claim(r"all ten seeds converge at ([\d., and]+?), and at the rates below")
    everywhere = [float(lr) for lr in re.split(r", | and ", listed)]
    assert everywhere == [lr for lr, row in rows.items() if row["outcomes"]["converged"] == 10]
    (below,) = claim(
        rf"at the rates below {NUMBER} every seed that does not converge is still improving"
    )
    assert float(below) == everywhere[0]
    slower = [row for lr, row in rows.items() if lr < float(below)]
    assert slower and all(
        row["outcomes"]["converged"] + row["outcomes"]["improving"] == 10 for row in slower
    )
    (fall, window) = claim(rf"still fell by more than {NUMBER}% over its last (\d+) steps")
    assert float(fall) / 100 == STALL_FALL and int(window) == STALL_WINDOW
    # At 0.5: the lowest median, and how its seeds end.
    lr, median, converged, of, stalled_8, stall_at, stalled_4, other = claim(
        rf"At {NUMBER} the median final loss is the lowest, {NUMBER}, but only (\w+) of (\w+) "
        rf"seeds converge: (\w+) stall near loss {NUMBER} and (\w+) at {NUMBER}"
    )
    row = rows[float(lr)]
    assert min(rows.values(), key=lambda entry: entry["median"]) is row
    assert as_written(median, row["median"])
    assert (count(converged), count(of)) == (row["outcomes"]["converged"], len(row["final_losses"]))
    finals = [item["loss"] for item in row["final_losses"]]
    stalled = [loss for loss in finals if loss >= summary["converged_below"]]
    assert len(stalled) == row["outcomes"]["stalled"] == count(stalled_8) + count(stalled_4)
    assert sum(abs(loss - float(stall_at)) < 0.01 for loss in stalled) == count(stalled_8)
    assert sum(abs(loss - float(other)) < 0.01 for loss in stalled) == count(stalled_4)
    (best,) = claim(rf"among the rates where every seed converges, is {NUMBER}\.")
    assert float(best) == summary["best_lr"]


def test_moons_numbers_are_a_fresh_runs(fresh):
    out, runs = fresh
    summary = runs["moons"]
    loss, step, first, held, dips, dip_accuracy = claim(
        rf"loss {NUMBER} at step (\d+); 100% training accuracy is first reached at step (\d+) "
        rf"and held from step (\d+) \(at steps ([\d\-, and]+) it is (\d+)%\)"
    )
    assert as_written(loss, summary["final_loss"]) and int(step) == summary["final_step"]
    assert int(first) == summary["full_accuracy_first_reached"]
    assert int(held) == summary["full_accuracy_held_from"]
    rows = read_csv(out / "moons" / "training.csv")
    below = [
        (int(row["step"]), float(row["accuracy"]))
        for row in rows
        if int(first) < int(row["step"]) < int(held) and float(row["accuracy"]) < 1
    ]
    steps = []
    for part in re.split(r", | and ", dips):
        start, _, end = part.partition("-")
        steps.extend(range(int(start), int(end or start) + 1))
    assert [step for step, _ in below] == steps
    assert {round(100 * accuracy) for _, accuracy in below} == {int(dip_accuracy)}
    assert read_json(out / "moons" / "summary.json") == summary
    start, first_step, last_rate, last_step, end = claim(
        rf"with the rate falling linearly from {NUMBER} \(step (\d+)\) to {NUMBER} \(step "
        rf"(\d+), on its way to {NUMBER}\)"
    )
    rates = {int(row["step"]): float(row["lr"]) for row in rows}
    assert float(start) == rates[int(first_step)] and int(first_step) == 0
    assert as_written(last_rate, rates[int(last_step)]) and int(last_step) == summary["final_step"]
    assert float(end) == moons.Config().lr_end


def test_demo_paragraphs_range_is_the_reference_runs_of_seeds_0_to_9(fresh):
    _, runs = fresh
    low, high = claim(
        rf"Over seeds 0 to 9 .*? ending between {NUMBER} and {NUMBER}\.", COMMAND_LINE
    )
    finals = [
        item["loss"] for item in runs["loss_curve"]["final_losses"] if item["seed"] in range(10)
    ]
    assert len(finals) == 10
    assert as_written(low, min(finals)) and as_written(high, max(finals))
