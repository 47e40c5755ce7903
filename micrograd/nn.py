"""A small neural-network library on the engine: ``Neuron`` -> ``Layer`` -> ``MLP``.

Parameters are initialised from ``uniform(-1, 1)`` draws of a ``random.Random`` seeded
explicitly, never from the global random state, so the same seed gives the same network.

>>> model = MLP(3, [4, 4, 1], seed=0)
>>> model
MLP(3 -> 4 tanh -> 4 tanh -> 1 tanh, 41 parameters)
>>> out = model([2.0, 3.0, -1.0])
>>> -1.0 < out.data < 1.0
True
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterable, Mapping, Sequence

from micrograd.engine import (
    Number,
    Parameter,
    Value,
    as_float,
    current_scope,
    enter_scope,
    exit_scope,
    weighted_sum,
)

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Module", "Neuron"]

ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "linear": None,
}
"""The activation functions a neuron can apply, by name; ``linear`` applies none."""

Inputs = Value | Number | Iterable[Value | Number]


class Module:
    """Anything with parameters: gives them by name, and clears their gradients.

    Each parameter is a ``Parameter`` whose ``label`` is its dotted name in the module
    that built it (``layers.0.neurons.1.w.2`` in an ``MLP``). Each module's ``name`` is its
    dotted place in that module (``layers.0.neurons.1``; ``""`` for the outermost). A
    neuron's parameters are in the scope of that name inside the scope current when the
    model was built (``micrograd.scope``), and everything the neuron computes is made in
    that same scope wherever it is called, as a module path names a module in torch.fx.

    >>> model = MLP(3, [4, 1], seed=0)
    >>> model.layers[1].neurons[0].name, model.layers[0].neurons[2].w[1].scope
    ('layers.1.neurons.0', 'layers.0.neurons.2')
    >>> from micrograd import scope
    >>> with scope("critic"):
    ...     model([1.0, 2.0, 3.0]).scope  # built outside any scope
    'layers.1.neurons.0'
    """

    name: str = ""

    def named_modules(self) -> list[tuple[str, Module]]:
        """This module (named ``""``) and every module inside it, by dotted name.

        >>> [name for name, _ in MLP(2, [1, 1], seed=0).named_modules()]
        ['', 'layers.0', 'layers.0.neurons.0', 'layers.1', 'layers.1.neurons.0']
        """
        return [("", self)]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with a dotted name that says where it sits, as in
        ``layers.0.neurons.1.w.2``."""
        return []

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of ``named_parameters()``. Modules override it to
        skip building the names: training clears gradients through it at every step."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0 (do this before each ``backward()``)."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by its dotted name, in ``named_parameters()`` order.

        >>> MLP(1, [1], seed=0).state_dict()  # doctest: +ELLIPSIS
        {'layers.0.neurons.0.w.0': 0.688..., 'layers.0.neurons.0.b': 0.515...}
        """
        return {name: parameter.data for name, parameter in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Number]) -> None:
        """Set every parameter from ``state``, a mapping of dotted names to finite numbers
        with exactly the names of ``state_dict()``. Everything is checked before anything is
        set: on a missing, extra or non-finite entry this raises ``ValueError`` (``TypeError``
        for a non-number) naming it, and the module is left as it was.

        >>> a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
        >>> b.load_state_dict(a.state_dict())
        >>> b([1.0, -1.0]).data == a([1.0, -1.0]).data
        True
        >>> b.load_state_dict({"layers.0.neurons.0.w.0": 1.0})
        Traceback (most recent call last):
        ...
        ValueError: load_state_dict: missing layers.0.neurons.0.w.1 and 11 more
        """
        named = self.named_parameters()
        missing = [name for name, _ in named if name not in state]
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise ValueError(f"load_state_dict: missing {missing[0]}{more}")
        if len(state) != len(named):
            known = {name for name, _ in named}
            extra = next(name for name in state if name not in known)
            raise ValueError(f"load_state_dict: unexpected {extra!r}")
        values = [as_float(state[name], f"load_state_dict: {name}") for name, _ in named]
        for (name, _), value in zip(named, values):
            if not math.isfinite(value):
                raise ValueError(f"load_state_dict: {name} must be finite, got {value}")
        for (_, parameter), value in zip(named, values):
            parameter.data = value


class Neuron(Module):
    """``activation(w . x + b)`` over ``nin`` inputs.

    >>> neuron = Neuron(2, "linear", rng=random.Random(0))
    >>> out = neuron([1.0, 0.0])
    >>> out.data == neuron.w[0].data + neuron.b.data
    True
    """

    def __init__(self, nin: int, activation: str = "tanh", *, rng: random.Random) -> None:
        _check_size("Neuron nin", nin)
        self.activation = _check_activation(activation)
        self.w = [Parameter(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Parameter(rng.uniform(-1, 1))
        _label_parameters(self)

    def __call__(self, x: Inputs) -> Value:
        return self._forward(_input_values(x, len(self.w), "Neuron"))

    def _forward(self, xs: list[Value]) -> Value:
        """``activation(b + w[0]*x[0] + w[1]*x[1] + ...)`` of inputs already checked, built
        in the scope of the neuron's parameters."""
        total = weighted_sum(self.w, xs, self.b, self.b.scope)
        activate = ACTIVATIONS[self.activation]
        if activate is None:
            return total
        # Placed in the scope by hand: entering it for one node would cost more than the node.
        out = activate(total)
        out.scope = total.scope
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w.{i}", wi) for i, wi in enumerate(self.w)] + [("b", self.b)]

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation})"


class Layer(Module):
    """``nout`` neurons over the same ``nin`` inputs. A layer of one neuron returns a
    ``Value``, otherwise a list; either can be passed on to the next layer.

    >>> layer = Layer(3, 2, rng=random.Random(0))
    >>> len(layer([1.0, 2.0, 3.0]))
    2
    """

    def __init__(
        self, nin: int, nout: int, activation: str = "tanh", *, rng: random.Random
    ) -> None:
        _check_size("Layer nin", nin)
        _check_size("Layer nout", nout)
        self.neurons = [Neuron(nin, activation, rng=rng) for _ in range(nout)]
        _label_parameters(self)

    def __call__(self, x: Inputs) -> Value | list[Value]:
        outs = self._forward(_input_values(x, self.nin, "Layer"))
        return outs[0] if len(outs) == 1 else outs

    def _forward(self, xs: list[Value]) -> list[Value]:
        """Every neuron's output, from inputs already checked."""
        return [neuron._forward(xs) for neuron in self.neurons]

    @property
    def nin(self) -> int:
        return len(self.neurons[0].w)

    @property
    def activation(self) -> str:
        return self.neurons[0].activation

    def named_parameters(self) -> list[tuple[str, Value]]:
        return _prefixed("neurons", self.neurons)

    def named_modules(self) -> list[tuple[str, Module]]:
        return [("", self), *_prefixed_modules("neurons", self.neurons)]

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {len(self.neurons)} {self.activation})"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one layer per entry of ``nouts``.

    Hidden layers use ``activation``; the last layer uses ``output_activation`` (by default
    the same, tanh everywhere as in the classic lecture). Choose from ``ACTIVATIONS``.
    Weights and biases are ``uniform(-1, 1)`` draws from ``random.Random(seed)``.

    >>> model = MLP(2, [8, 1], activation="relu", output_activation="linear", seed=1)
    >>> model
    MLP(2 -> 8 relu -> 1 linear, 33 parameters)
    >>> [name for name, _ in model.named_parameters()][:3]
    ['layers.0.neurons.0.w.0', 'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b']
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str | None = None,
        seed: int = 0,
    ) -> None:
        _check_size("MLP nin", nin)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP nouts must be a non-empty list of layer sizes, got {nouts!r}")
        for i, nout in enumerate(nouts):
            _check_size(f"MLP nouts[{i}]", nout)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"MLP seed must be an int, got {seed!r} ({type(seed).__name__})")
        output_activation = activation if output_activation is None else output_activation
        activations = [activation] * (len(nouts) - 1) + [output_activation]
        sizes = [nin, *nouts]
        rng = random.Random(seed)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activations[i], rng=rng) for i in range(len(nouts))
        ]
        _label_parameters(self)

    def __call__(self, x: Inputs) -> Value | list[Value]:
        xs = _input_values(x, self.nin, "MLP")  # checked once: each layer fits the next
        for layer in self.layers:
            xs = layer._forward(xs)
        return xs[0] if len(xs) == 1 else xs

    @property
    def nin(self) -> int:
        return self.layers[0].nin

    @property
    def nouts(self) -> list[int]:
        return [len(layer.neurons) for layer in self.layers]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return _prefixed("layers", self.layers)

    def named_modules(self) -> list[tuple[str, Module]]:
        return [("", self), *_prefixed_modules("layers", self.layers)]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        shape = " -> ".join(
            [str(self.nin)] + [f"{len(layer.neurons)} {layer.activation}" for layer in self.layers]
        )
        return f"MLP({shape}, {len(self.parameters())} parameters)"


def _label_parameters(module: Module) -> None:
    """Name every module and parameter after where it sits, so graphs and files can show
    it, and put each neuron's parameters in the neuron's scope (inside the scope current
    while the module is built)."""
    for name, parameter in module.named_parameters():
        parameter.label = name
    for name, child in module.named_modules():
        child.name = name
        if isinstance(child, Neuron):
            outer = enter_scope(name)
            for parameter in child.parameters():
                parameter.scope = current_scope()
            exit_scope(outer)


def _prefixed(name: str, children: Sequence[Module]) -> list[tuple[str, Value]]:
    return [
        (f"{name}.{i}.{inner}", parameter)
        for i, child in enumerate(children)
        for inner, parameter in child.named_parameters()
    ]


def _prefixed_modules(name: str, children: Sequence[Module]) -> list[tuple[str, Module]]:
    return [
        (f"{name}.{i}.{inner}" if inner else f"{name}.{i}", module)
        for i, child in enumerate(children)
        for inner, module in child.named_modules()
    ]


def _check_size(what: str, n: object) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")


def _check_activation(name: str) -> str:
    if name not in ACTIVATIONS:
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose one of {known}")
    return name


def _input_values(x: Inputs, expected: int, where: str) -> list[Value]:
    """The inputs as a list of ``Value`` nodes (plain numbers become leaves once here, so
    every neuron of a layer shares them), checked to be ``expected`` many."""
    if type(x) in (list, tuple):  # the usual case, without the slower checks below
        items = list(x)
    elif isinstance(x, (Value, numbers.Real)):
        items = [x]
    elif isinstance(x, Iterable) and not isinstance(x, (str, bytes)):
        items = list(x)
    else:
        raise TypeError(f"{where} needs a list of numbers or Values, got {x!r:.60}")
    if len(items) != expected:
        raise ValueError(f"{where} expected {expected} inputs, got {len(items)}")
    return [item if isinstance(item, Value) else Value(item) for item in items]
