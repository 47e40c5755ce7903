"""micrograd: a scalar-valued autograd engine and a small neural-network library on top.

>>> from micrograd import Value
>>> x = Value(2.0)
>>> y = x * x + 3 * x
>>> y.backward()
>>> y.data, x.grad
(10.0, 7.0)
"""

from micrograd.engine import Constant, Parameter, Value, current_scope, scope, topological_order
from micrograd.gradients import grad, hessian, hvp
from micrograd.nn import MLP, Layer, Module, Neuron
from micrograd.tape import Tape, compile_graph

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Constant",
    "Layer",
    "Module",
    "Neuron",
    "Parameter",
    "Tape",
    "Value",
    "__version__",
    "compile_graph",
    "current_scope",
    "grad",
    "hessian",
    "hvp",
    "scope",
    "topological_order",
]
