"""The project's two losses written in torch over a flat parameter vector, as independent
oracles for second derivatives (``torch.autograd.functional.hessian``)."""

from __future__ import annotations

from itertools import pairwise

from experiments import moons
from micrograd.demo import XS, YS
from toolkit.datasets import moons as moons_data


def torch_reference_loss(torch, flat):
    """The reference loss (``MLP(3, [4, 4, 1])``, tanh, sum of squares) of the flat
    parameter vector, in the order of ``model.parameters()``: neuron by neuron, w then b."""
    h, start = torch.tensor(XS), 0
    for fan_in, fan_out in ((3, 4), (4, 4), (4, 1)):
        block = flat[start : start + fan_out * (fan_in + 1)].reshape(fan_out, fan_in + 1)
        start += fan_out * (fan_in + 1)
        h = torch.tanh(h @ block[:, :fan_in].T + block[:, fan_in])
    return ((h[:, 0] - torch.tensor(YS)) ** 2).sum()


def torch_moons_loss(torch, flat, config: moons.Config):
    """The moons objective (relu MLP, linear output, hinge + L2) of the flat parameters."""
    xs, ys = moons_data(config.samples, noise=config.noise, seed=config.data_seed)
    h, start = torch.tensor(xs), 0
    sizes = [2, *config.layers]
    for layer, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        block = flat[start : start + fan_out * (fan_in + 1)].reshape(fan_out, fan_in + 1)
        start += fan_out * (fan_in + 1)
        h = h @ block[:, :fan_in].T + block[:, fan_in]
        if layer < len(sizes) - 2:
            h = torch.relu(h)
    hinge = torch.relu(1 - torch.tensor(ys) * h[:, 0]).mean()
    return hinge + config.alpha * (flat * flat).sum()
