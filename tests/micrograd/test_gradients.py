"""Higher-order gradients: grad, Hessian-vector products and Hessians, against torch in
float64, finite differences, and the first-order engine."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import MLP, Constant, Parameter, Value, grad, hessian, hvp, topological_order
from micrograd.demo import demo_loss, demo_model
from micrograd.gradients import compile_curvature, graph_rule, hvp_of_gradient
from micrograd.ops import OPS
from tests.micrograd.expressions import (
    EDGES,
    bits,
    close,
    largest_finite,
    micrograd_apply,
    programs,
    run,
    torch_apply,
    torch_leaf,
)
from tests.torch_losses import torch_reference_loss
from toolkit.analysis import analyze
from toolkit.draw import draw
from toolkit.graph import from_networkx, load_graph, save_graph, to_networkx

HESSIAN_TOL = 1e-10
# Leaves away from zero, where every rule's two forms (ours, torch's) are smooth; zeros and
# the other edges of the table are checked one by one below.
NONZERO = st.floats(min_value=-2.0, max_value=2.0).filter(lambda x: abs(x) >= 1e-2)


# -- the rules over Values are the table's rules -------------------------------------------

GRID = [-3.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("op_name", sorted(OPS))
def test_each_graph_rule_computes_the_tables_number(op_name):
    op = OPS[op_name]
    for a in GRID:
        for b in GRID if op.arity == 2 else [None]:
            operands = [a] if b is None else [a, b]
            out = op.forward(*operands)
            for g in (1.0, -2.5):
                expected = op.backward(g, out, *operands)
                values = [Value(x) for x in (g, out, *operands)]
                for position in range(op.arity):
                    got = graph_rule(op, position)(*values, g, out, *operands)
                    number = got.data if isinstance(got, Value) else got
                    assert bits([number]) == bits([expected[position]]), (op_name, a, b, g)


def test_gradients_without_a_graph_are_backwards_numbers_and_leave_grad_alone():
    model = demo_model(3)
    parameters = model.parameters()
    loss = demo_loss(model)
    numbers = [g.data for g in grad(loss, parameters)]
    assert all(p.grad == 0.0 for p in parameters)
    loss.backward()
    assert bits(numbers) == bits([p.grad for p in parameters])


def test_gradients_as_a_graph_have_the_same_numbers_and_can_be_differentiated_again():
    x = Value(0.7, label="x")
    y = (x * x).tanh() * x.exp()
    (first,) = grad(y, [x], create_graph=True)
    assert first._prev  # a node of a graph, not a leaf
    assert first.data == pytest.approx(grad(y, [x])[0].data, rel=1e-15)
    (second,) = grad(first, [x], create_graph=True)
    (third,) = grad(second, [x])
    t, e = math.tanh(0.49), math.exp(0.7)
    # y = tanh(x^2) e^x: y' = (2x (1 - t^2) + t) e^x, written out and differentiated by hand
    expected_first = (2 * 0.7 * (1 - t * t) + t) * e
    assert first.data == pytest.approx(expected_first, rel=1e-14)
    assert math.isfinite(second.data) and math.isfinite(third.data)


def test_powers_differentiate_to_any_order():
    x = Value(1.5)
    derivative = x**5
    expected = [5 * 1.5**4, 20 * 1.5**3, 60 * 1.5**2, 120 * 1.5, 120.0, 0.0]
    for value in expected:
        (derivative,) = grad(derivative, [x], create_graph=True)
        assert derivative.data == pytest.approx(value, rel=1e-14)


def test_an_input_the_output_does_not_depend_on_gets_zero():
    x, unused = Value(2.0), Value(5.0)
    numbers = grad(x * x, [x, unused])
    assert [n.data for n in numbers] == [4.0, 0.0]
    graphs = grad(x * x, [x, unused], create_graph=True)
    assert type(graphs[1]) is Constant and graphs[1].data == 0.0


def test_grad_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="needs a Value output, got float"):
        grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match=r"needs Value inputs, got int at inputs\[1\]"):
        grad(Value(1.0), [Value(1.0), 3])
    with pytest.raises(ValueError, match="one gradient and one vector entry per input"):
        hvp(Value(1.0) * 2, [Value(1.0)], [1.0, 2.0])


# -- against torch -------------------------------------------------------------------------


def torch_derivatives(torch, program, order: int):
    """torch's derivatives of the program's root to ``order`` (2: the Hessian; 3: the
    third derivatives ``T[i][j][k]``) with respect to its leaves, by double backward."""
    nodes = run(program, torch_leaf(torch), torch_apply(torch))
    leaves = nodes[: len(program.leaves)]

    def derivatives(y, depth):
        if depth == 0:
            return y.item()
        if not y.requires_grad:  # a constant: every derivative of it is zero
            return zero(depth)
        parts = torch.autograd.grad(y, leaves, create_graph=True, allow_unused=True)
        return [zero(depth - 1) if p is None else derivatives(p, depth - 1) for p in parts]

    def zero(depth):
        return 0.0 if depth == 0 else [zero(depth - 1) for _ in leaves]

    return derivatives(nodes[-1], order)


def our_derivatives(program, order: int):
    nodes = run(program, Value, micrograd_apply)
    leaves = nodes[: len(program.leaves)]

    def derivatives(y, depth):
        if depth == 0:
            return y.data
        return [derivatives(p, depth - 1) for p in grad(y, leaves, create_graph=True)]

    return derivatives(nodes[-1], order)


def flat(nested) -> list[float]:
    return [x for item in nested for x in flat(item)] if isinstance(nested, list) else [nested]


def derivative_scale(torch, program, order: int) -> float:
    """The size of the terms an entry is added up from: the largest finite magnitude among
    the values of every node of the program and the root's derivatives up to ``order``.
    ``u / u`` has zero derivatives, each the difference of terms of the size of ``1 / u``;
    ``x ** (x / x) - x`` has zero derivatives at every order, each the difference of terms
    of the size of ``x``."""
    values = [node.item() for node in run(program, torch_leaf(torch), torch_apply(torch))]
    derivatives = [
        largest_finite(flat(torch_derivatives(torch, program, k))) for k in range(1, order + 1)
    ]
    return max(largest_finite(values), *derivatives)


def assert_close_to_torch(ours, theirs, scale: float) -> None:
    """Within ``HESSIAN_TOL`` relative to ``scale`` (``derivative_scale``): an entry may be
    the difference of terms that large, which round differently in torch's formulas. Entries
    where torch's is not finite are left out: there the way a formula is written decides
    between ``inf``, ``nan`` and a number (torch differentiates both sides of a ``where``,
    so ``0 ** y`` gets ``0 * log(0) = nan`` as its second derivative in ``y``, where ours,
    building only the branch taken, gets 0); the edges are checked one by one below."""
    ours, theirs = flat(ours), flat(theirs)
    compared = [(a, b) for a, b in zip(ours, theirs) if math.isfinite(b)]
    for i, (a, b) in enumerate(compared):
        assert close(a, b, HESSIAN_TOL, scale), f"entry {i}: {a!r} vs torch {b!r}"


@given(programs(values=NONZERO, max_leaves=3, max_steps=8))
def test_hessians_of_random_dags_match_torch(torch, program):
    theirs, scale = torch_derivatives(torch, program, 2), derivative_scale(torch, program, 2)
    assert_close_to_torch(our_derivatives(program, 2), theirs, scale)


@settings(max_examples=100)
@given(programs(values=NONZERO, max_leaves=2, max_steps=6))
def test_third_derivatives_of_random_dags_match_torch(torch, program):
    theirs, scale = torch_derivatives(torch, program, 3), derivative_scale(torch, program, 3)
    assert_close_to_torch(our_derivatives(program, 3), theirs, scale)


@given(programs(values=NONZERO, max_leaves=3, max_steps=8))
def test_the_hessian_is_symmetric_where_torchs_is(torch, program):
    ours, theirs = our_derivatives(program, 2), torch_derivatives(torch, program, 2)
    scale = derivative_scale(torch, program, 2)
    n = len(ours)
    for i in range(n):
        for j in range(i):
            if close(theirs[i][j], theirs[j][i], 1e-12, scale):
                assert close(ours[i][j], ours[j][i], HESSIAN_TOL, scale), (i, j)


# Second derivatives at the edges of the table: zero bases and exponents, relu's kink,
# division by zero, overflow. Each is (operation, leaf values), derived with respect to both.
EDGE_CASES = [
    ("pow", [2.0, 0.0]),
    ("pow", [0.0, -1.0]),
    ("pow", [-2.0, 2.0]),
    ("relu", [0.0]),
    ("relu", [-1.0]),
    ("relu", [1.0]),
    ("div", [1.0, 0.0]),
    ("div", [0.0, 0.0]),
    ("log", [0.0]),
    ("exp", [1000.0]),
    ("tanh", [1000.0]),
    ("sigmoid", [-1000.0]),
]


@pytest.mark.parametrize(("op", "values"), EDGE_CASES)
def test_second_derivatives_at_the_edges_follow_torch(torch, op, values):
    leaves = [Value(x) for x in values]
    H = hessian(micrograd_apply(op, *leaves), leaves)
    t_leaves = [torch_leaf(torch)(x) for x in values]
    t_out = torch_apply(torch)(op, *t_leaves)
    (t_first,) = [torch.autograd.grad(t_out, t_leaves, create_graph=True, allow_unused=True)]
    expected = []
    for part in t_first:
        if part is None or not part.requires_grad:
            expected.append([0.0] * len(values))
            continue
        row = torch.autograd.grad(part, t_leaves, retain_graph=True, allow_unused=True)
        expected.append([0.0 if r is None else r.item() for r in row])
    for i, (ours_row, theirs_row) in enumerate(zip(H, expected)):
        for j, (a, b) in enumerate(zip(ours_row, theirs_row)):
            assert close(a, b, HESSIAN_TOL), f"{op}{tuple(values)} H[{i}][{j}]: {a!r} vs {b!r}"


def test_at_a_zero_base_the_exponents_rule_is_zero_and_so_are_its_derivatives(torch):
    """pow's rule for the exponent is 0 where the base is 0 and the exponent >= 0, as in
    torch; its derivatives are those of that 0. torch differentiates the other side of its
    ``where`` too and gets ``0 * log(0) = nan`` there; ours builds only the side taken. For
    a = 0 and b = 2 or 3 the true limits are 0, as here: d/da (a**b log a) =
    b a**(b-1) log a + a**(b-1) -> 0 (for b = 0 it is 1/a, unbounded: a convention)."""
    for b_value in (0.0, 2.0, 3.0):
        a, b = Value(0.0), Value(b_value)
        second = hessian(a**b, [a, b])
        d2_da2 = b_value * (b_value - 1) * 0.0 ** (b_value - 2) if b_value >= 2 else 0.0
        assert second == [[d2_da2, 0.0], [0.0, 0.0]]
        t_a, t_b = (torch_leaf(torch)(x) for x in (0.0, b_value))
        (t_db,) = torch.autograd.grad(t_a**t_b, [t_b], create_graph=True)
        (t_d2,) = torch.autograd.grad(t_db, [t_a], allow_unused=True)
        assert t_db.item() == 0.0 and (t_d2 is None or math.isnan(t_d2.item()))


def test_beyond_the_second_order_a_zero_base_gives_the_documented_conventions(torch):
    """docs/second-order.md: at a zero base, derivatives through the exponent's rule are
    those of its constant 0, finite where torch's are nan, and not limits: the order of
    differentiation can change them, and at b = 1 the Hessian is not symmetric."""
    a, b = Value(0.0), Value(2.0)
    first = grad(a**b, [a, b], create_graph=True)
    d_da_da = grad(grad(first[0], [a], create_graph=True)[0], [b])[0].data
    d_da_db = grad(grad(first[0], [b], create_graph=True)[0], [a])[0].data
    d_db_da = grad(grad(first[1], [a], create_graph=True)[0], [a])[0].data
    assert (d_da_da, d_da_db, d_db_da) == (3.0, 1.0, 0.0)  # the limit is -inf
    a, b = Value(0.0), Value(1.0)
    assert hessian(a**b, [a, b]) == [[0.0, 1.0], [0.0, 0.0]]
    t_a, t_b = (torch_leaf(torch)(x) for x in (0.0, 1.0))
    t_da, t_db = torch.autograd.grad(t_a**t_b, [t_a, t_b], create_graph=True)
    assert torch.autograd.grad(t_da, [t_b], retain_graph=True)[0].item() == 1.0
    assert math.isnan(torch.autograd.grad(t_db, [t_a])[0].item())


def test_an_exponent_of_zero_gives_torchs_unsymmetric_hessian(torch):
    """An exponent of exactly 0 sends the base no gradient (torch's rule), so d/db of that
    is 0 while d/da of the exponent's gradient is 1/a: in torch as here."""
    a, b = Value(2.0), Value(0.0)
    H = hessian(a**b, [a, b])
    assert H[0] == [0.0, 0.0] and H[1][0] == 0.5
    assert H[1][1] == pytest.approx(math.log(2.0) ** 2, rel=1e-15)
    t_a, t_b = (torch_leaf(torch)(x) for x in (2.0, 0.0))
    t_da, t_db = torch.autograd.grad(t_a**t_b, [t_a, t_b], create_graph=True)
    assert [x.item() for x in torch.autograd.grad(t_da, [t_a, t_b], retain_graph=True)] == [0, 0]
    assert torch.autograd.grad(t_db, [t_a])[0].item() == 0.5


def test_the_reference_hessian_matches_torch_entry_by_entry(torch):
    model = demo_model(0)
    parameters = model.parameters()
    ours = hessian(demo_loss(model), parameters)
    flat = torch.tensor([p.data for p in parameters], dtype=torch.float64)
    theirs = torch.autograd.functional.hessian(
        lambda x: torch_reference_loss(torch, x), flat
    ).tolist()
    for i, (row, torch_row) in enumerate(zip(ours, theirs)):
        for j, (x, y) in enumerate(zip(row, torch_row)):
            assert x == pytest.approx(y, rel=1e-10, abs=1e-300), f"H[{i}][{j}]"


@settings(max_examples=50)
@given(programs(values=EDGES, max_leaves=2, max_steps=4))
def test_gradient_graphs_over_edge_values_never_raise(program):
    nodes = run(program, Value, micrograd_apply)
    leaves = nodes[: len(program.leaves)]
    for row in hessian(nodes[-1], leaves):
        assert all(isinstance(x, float) for x in row)


# -- against finite differences ------------------------------------------------------------


def test_the_reference_hessian_matches_finite_differences_of_the_gradient():
    model = demo_model(0)
    parameters = model.parameters()
    H = hessian(demo_loss(model), parameters)
    h = 1e-6
    for j in (0, 7, 20, 40):
        original = parameters[j].data
        gradients = []
        for step in (h, -h):
            parameters[j].data = original + step
            gradients.append([g.data for g in grad(demo_loss(model), parameters)])
        parameters[j].data = original
        for i in range(len(parameters)):
            difference = (gradients[0][i] - gradients[1][i]) / (2 * h)
            assert difference == pytest.approx(H[i][j], rel=1e-5, abs=1e-6)


def test_hvp_is_the_hessian_times_the_vector():
    model = MLP(2, [3, 1], seed=1)
    parameters = model.parameters()
    loss = (model([0.5, -1.0]) - 0.25) ** 2
    H = hessian(loss, parameters)
    vector = [math.sin(i + 1.0) for i in range(len(parameters))]
    expected = [sum(H[i][j] * vector[j] for j in range(len(vector))) for i in range(len(H))]
    assert hvp(loss, parameters, vector) == pytest.approx(expected, rel=1e-12, abs=1e-14)
    gradient = grad(loss, parameters, create_graph=True)
    assert hvp_of_gradient(gradient, parameters, vector) == hvp(loss, parameters, vector)


# -- compiled replay -----------------------------------------------------------------------


def test_a_compiled_curvature_tape_is_bit_identical_to_eager_at_other_parameters():
    model = demo_model(0)
    parameters = model.parameters()
    tape = compile_curvature(demo_loss(model), parameters)
    for shift in (0.0, 0.1, -0.3):
        values = [p.data + shift * math.cos(i) for i, p in enumerate(parameters)]
        for p, v in zip(parameters, values):
            p.data = v
        loss = demo_loss(model)
        assert bits([tape.loss(values)]) == bits([loss.data])
        assert bits(tape.gradient(values)) == bits([g.data for g in grad(loss, parameters)])
        vector = [math.sin(i) for i in range(len(parameters))]
        assert bits(tape.hvp(values, vector)) == bits(hvp(loss, parameters, vector))
        compiled, exact = tape.hessian(values), hessian(loss, parameters)
        n = len(parameters)
        for i in range(n):
            unit = [1.0 if k == i else 0.0 for k in range(n)]
            assert bits(compiled[i]) == bits(hvp(loss, parameters, unit))
            # Row by row, the gradients add up in another order: the last bits may differ.
            assert compiled[i] == pytest.approx(exact[i], rel=1e-14, abs=1e-15)


# -- gradient graphs are ordinary graphs ---------------------------------------------------


def test_a_gradient_graph_exports_analyses_draws_and_round_trips(tmp_path):
    model = demo_model(0)
    parameters = model.parameters()
    loss = demo_loss(model)
    gradient = grad(loss, parameters, create_graph=True)
    forward = set(topological_order(loss))
    built = {node for g in gradient for node in topological_order(g)} - forward
    # Each node the rules built is in the gradient scope of the node whose rule built it.
    assert {node.scope.split(".")[0] for node in built} == {"grad"}
    assert {node.scope.removeprefix("grad.") for node in built} <= {
        node.scope for node in forward
    } | {"grad"}
    root = gradient[0]
    G = to_networkx(root)
    scopes = {G.nodes[n]["scope"] for n in G}
    assert "grad.loss" in scopes and any(s.startswith("grad.layers.") for s in scopes)
    report = analyze(G)
    assert report.nodes == len(topological_order(root))
    for file_format in ("node-link", "graphml"):
        path = tmp_path / f"grad.{file_format}"
        save_graph(G, path, format=file_format)
        assert from_networkx(load_graph(path)).data == root.data
    assert draw(G, tmp_path / "grad.png").kind == "collapsed"


def test_the_gradient_graph_reuses_the_forward_graph():
    w = Parameter(0.5)
    y = (w * 3.0).tanh()
    (dw,) = grad(y, [w], create_graph=True)
    nodes = topological_order(dw)
    assert y in nodes  # tanh's rule reads its own result
    assert w in nodes


def test_the_readmes_gradient_graph_sizes_are_what_the_engine_builds():
    from pathlib import Path

    readme = " ".join(Path(__file__).parents[2].joinpath("README.md").read_text().split())
    model = demo_model(0)
    loss = demo_loss(model)
    gradient = grad(loss, model.parameters(), create_graph=True)
    forward = topological_order(loss)
    union = {node for g in gradient for node in topological_order(g)}
    depth = max(analyze(to_networkx(g)).depth for g in gradient)
    sentence = (
        f"41 gradients together are a graph of {len(union)} nodes, "
        f"{len(union - set(forward))} of them new (the rest is the forward graph they read), "
        f"at most {depth} levels deep, against {len(forward)} nodes and "
        f"{analyze(to_networkx(loss)).depth} levels for the loss"
    )
    assert sentence in readme
