"""The chapter's MLP: tanh on every hidden layer, a linear output (given in exercise 28.6).

Exercise 28.5 asks students for an MLP with one activation per layer, validated
when it is built (`solutions.mlp`).  Exercise 28.6 only counts the operations of
the chapter's fixed network, so it is given this one rather than 28.5's answer.
From the same seed it draws the same weights as `solutions.mlp.MLP` with its
default activations and runs the same operations, so every count is the same.
"""
import random

from .engine import Value


class Neuron:
    """sum_i w_i x_i + b, then tanh unless it is an output neuron."""

    def __init__(self, n_in, nonlinear=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(n_in)]
        self.b = Value(0.0)
        self.nonlinear = nonlinear

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh() if self.nonlinear else act

    def parameters(self):
        return self.w + [self.b]


class Layer:
    """``n_out`` neurons reading the same inputs."""

    def __init__(self, n_in, n_out, nonlinear=True):
        self.neurons = [Neuron(n_in, nonlinear) for _ in range(n_out)]

    def __call__(self, x):
        return [neuron(x) for neuron in self.neurons]

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    """``MLP(n_in, layer_sizes)``: tanh hidden layers, a linear last layer."""

    def __init__(self, n_in, layer_sizes):
        sizes = [n_in] + list(layer_sizes)
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlinear=i < len(layer_sizes) - 1)
                       for i in range(len(layer_sizes))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
