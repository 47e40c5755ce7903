"""The tape's straight-line code: what it writes out, and that the shortcuts it takes (nodes
inlined, long sums split, gradients left out, compiled code reused) keep eager's bits."""

from __future__ import annotations

import math
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from micrograd import Value, straight_line
from micrograd.engine import weighted_sum
from micrograd.straight_line import MAX_NESTING, TERMS_PER_STATEMENT, replay_source
from micrograd.tape import compile_graph, lay_out
from tests.micrograd.expressions import assert_replay_matches_eager
from tests.micrograd.recursion import near_recursion_limit


def assignments(source: str, prefix: str) -> list[str]:
    """The statements of ``source`` that assign a variable starting with ``prefix``."""
    return [line.strip() for line in source.splitlines() if line.strip().startswith(prefix)]


def test_a_neuron_is_one_statement_forward_and_each_weight_one_backward():
    w = [Value(0.1 * i - 0.3) for i in range(16)]
    x = [Value(float(i)) for i in range(16)]
    b = Value(0.5)
    root = weighted_sum(w, x, b).tanh()
    source = replay_source(lay_out(root, [*w, b]))
    forward = [line for line in assignments(source, "v") if "leaf_values" not in line]
    assert len([line for line in forward if "frozen" not in line]) == 1
    # tanh's contribution once, then a gradient per parameter: the adds pass it on as it is
    assert len(assignments(source, "g")) == 1 + 1 + 17
    root.backward()
    assert_replay_matches_eager(root, [*w, b])


def test_expressions_nest_at_most_max_nesting_deep_then_take_a_variable():
    leaves = [Value(1.0 + i / 7) for i in range(3 * MAX_NESTING)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf  # every sum used once: all of it could be one expression
    source = replay_source(lay_out(total, leaves))
    forward = [line for line in assignments(source, "v") if "leaf_values" not in line]
    assert len(forward) == math.ceil((len(leaves) - 1) / MAX_NESTING)
    assert max(line.count("(") for line in forward) <= MAX_NESTING
    total.backward()
    assert_replay_matches_eager(total, leaves)


def test_a_gradient_with_many_contributions_adds_them_in_eager_order_over_statements():
    x = Value(0.7)
    scales = [Value(1.0 / (k + 3)) for k in range(2 * TERMS_PER_STATEMENT + 5)]
    total = x * scales[0]
    for scale in scales[1:]:
        total = total + x * scale
    source = replay_source(lay_out(total, [x]))
    assert len(assignments(source, "g0 =")) == 3
    total.backward()
    assert_replay_matches_eager(total, [x])


def test_no_gradient_is_written_for_inputs_and_constants():
    w, x = Value(2.0), Value(3.0)
    source = replay_source(lay_out((w * x + 1.0).relu(), [w]))
    # the root's 1.0, the sum's (relu's contribution) and w's: none for x or the constant,
    # and the product's is the sum's
    assert len(assignments(source, "g")) == 3


def test_a_graph_of_the_same_shape_reuses_the_compiled_function_with_its_own_numbers():
    def graph(c: float) -> tuple[Value, Value]:
        w = Value(1.5)
        return (w * c).exp() + w, w

    first_root, first_w = graph(2.0)
    first = compile_graph(first_root, [first_w])
    hits = straight_line._compile_cached.cache_info().hits
    second_root, second_w = graph(-0.25)
    second = compile_graph(second_root, [second_w])
    assert straight_line._compile_cached.cache_info().hits == hits + 1
    assert first._replay is second._replay
    first_root.backward()
    assert_replay_matches_eager(first_root, [first_w])
    second_root.backward()
    assert_replay_matches_eager(second_root, [second_w])
    assert first.forward([1.5]) != second.forward([1.5])


def test_backward_twice_after_one_forward_gives_the_same_gradients_in_a_new_list():
    w = Value(0.25)
    root = (w * w).tanh()
    tape = compile_graph(root, [w])
    tape.forward([0.25])
    first = tape.backward()
    first[0] = 99.0
    root.backward()
    assert tape.backward() == tape.backward() == [w.grad]


def test_a_graph_with_a_long_sum_compiles_when_called_near_the_recursion_limit(monkeypatch):
    threads = []

    class CountedPool(ThreadPoolExecutor):
        def __init__(self, max_workers: int) -> None:
            threads.append(max_workers)
            super().__init__(max_workers)

    monkeypatch.setattr(straight_line, "ThreadPoolExecutor", CountedPool)
    x = Value(0.5)
    total = x * 1.0
    for k in range(3 * TERMS_PER_STATEMENT):
        total = total + x * float(k)
    straight_line.forget_compiled()
    # A few frames short of the limit: too few to compile a 64-term sum on (up to 3.11)
    grads = near_recursion_limit(lambda: compile_graph(total, [x]).backward(), headroom=20)
    total.backward()
    assert grads == [x.grad]
    # from Python 3.12 compiling no longer spends the caller's recursion budget: no thread
    assert threads == ([1] if sys.version_info < (3, 12) else [])


def test_a_source_over_the_cache_limit_is_compiled_afresh(monkeypatch):
    monkeypatch.setattr(straight_line, "CACHED_SOURCE_LIMIT", 10)
    w = Value(1.0)
    first, second = compile_graph(w * w, [w]), compile_graph(w * w, [w])
    assert first._replay is not second._replay
    assert first.backward() == second.backward() == [2.0]


def test_backward_after_an_interrupted_forward_says_so():
    w = Value(1.0)
    tape = compile_graph(w.exp(), [w])
    tape.forward([2.0])
    tape._run.close()  # what an exception inside the replay leaves behind
    with pytest.raises(RuntimeError, match="needs a forward"):
        tape.backward()
