"""A multi-layer perceptron with one activation per layer (exercise 28.5)."""
import random

from .engine import Value

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


def activate(v, name):
    """Apply the activation called ``name`` to the Value ``v``."""
    return v if name == "linear" else getattr(v, name)()


class Neuron:
    """sum_i w_i x_i + b, then the activation.  Weights drawn in input order."""

    def __init__(self, n_in, activation):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(n_in)]
        self.b = Value(0.0)
        self.activation = activation

    def __call__(self, x):
        return activate(sum((wi * xi for wi, xi in zip(self.w, x)), self.b), self.activation)

    def parameters(self):
        return self.w + [self.b]


class Layer:
    """``n_out`` neurons reading the same inputs, sharing one activation."""

    def __init__(self, n_in, n_out, activation):
        self.neurons = [Neuron(n_in, activation) for _ in range(n_out)]

    def __call__(self, x):
        return [neuron(x) for neuron in self.neurons]

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


def _check_config(n_in, layer_sizes, activations):
    """Reject a bad configuration when the model is built, naming what is wrong."""
    if not isinstance(n_in, int) or isinstance(n_in, bool) or n_in < 1:
        raise ValueError(f"n_in must be a positive int, got {n_in!r}")
    if len(layer_sizes) == 0:
        raise ValueError("layer_sizes is empty: give at least one layer, e.g. [4, 1]")
    for size in layer_sizes:
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"every layer size must be a positive int, got {size!r}")
    if len(activations) != len(layer_sizes):
        raise ValueError(f"{len(activations)} activations given for {len(layer_sizes)} "
                         "layers: give exactly one per layer")
    for name in activations:
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}: use one of {', '.join(ACTIVATIONS)}")


class MLP:
    """Layers of neurons; by default tanh on hidden layers, linear on the last."""

    def __init__(self, n_in, layer_sizes, activations=None):
        layer_sizes = list(layer_sizes)
        if activations is None:
            activations = ["tanh"] * (len(layer_sizes) - 1) + ["linear"] * bool(layer_sizes)
        activations = list(activations)
        _check_config(n_in, layer_sizes, activations)
        sizes = [n_in] + layer_sizes
        self.activations = activations
        self.layers = [Layer(sizes[i], sizes[i + 1], activations[i])
                       for i in range(len(layer_sizes))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def mse_loss(model, X, Y):
    """Mean over the samples of (model(x) - y)^2, for a single-output model."""
    if len(X) == 0 or len(X) != len(Y):
        raise ValueError(f"need as many targets as samples, at least one: got {len(X)} and {len(Y)}")
    total = sum(((model(x) - y) ** 2 for x, y in zip(X, Y)), Value(0.0))
    return total * (1.0 / len(X))


def train(model, X, Y, lr=0.05, epochs=200):
    """Full-batch gradient descent; returns the loss before each update."""
    history = []
    params = model.parameters()
    for _ in range(epochs):
        loss = mse_loss(model, X, Y)
        history.append(loss.data)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
    return history
