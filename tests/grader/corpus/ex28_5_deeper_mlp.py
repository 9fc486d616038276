"""Submissions of exercise 28.5 as students write them (their solution cells, joined).

WRONG maps a name to (code, the exact set of point groups it must lose); RIGHT maps
a name to code that differs from the master solution but must get full marks.  The
given code (the chapter's Value with sigmoid) comes from the harness.

Most wrong submissions are one student's otherwise correct notebook with one mistake,
written out by `_with` (which fails loudly if the text to change is not there).
"""


def _with(code, *changes):
    for old, new in changes:
        assert code.count(old) == 1, f"corpus edit not found exactly once: {old!r}"
        code = code.replace(old, new)
    return code


# A typical student notebook: Neuron / Layer / MLP classes in the chapter's style.
_STUDENT = '''
import random

ACTIVATIONS = ['tanh', 'relu', 'sigmoid', 'linear']


class Neuron:
    def __init__(self, nin, activation='tanh'):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.activation == 'tanh':
            return act.tanh()
        if self.activation == 'relu':
            return act.relu()
        if self.activation == 'sigmoid':
            return act.sigmoid()
        return act

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, nin, nout, activation):
        self.neurons = [Neuron(nin, activation) for _ in range(nout)]

    def __call__(self, x):
        return [n(x) for n in self.neurons]

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    def __init__(self, n_in, layer_sizes, activations=None):
        if len(layer_sizes) == 0:
            raise ValueError("layer_sizes must not be empty")
        if activations is None:
            activations = ['tanh'] * (len(layer_sizes) - 1) + ['linear']
        if len(activations) != len(layer_sizes):
            raise ValueError("need one activation per layer")
        for a in activations:
            if a not in ACTIVATIONS:
                raise ValueError(f"unknown activation {a}")
        sz = [n_in] + list(layer_sizes)
        self.layers = [Layer(sz[i], sz[i + 1], activations[i]) for i in range(len(layer_sizes))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def mse_loss(model, X, Y):
    losses = [(model(x) - y) ** 2 for x, y in zip(X, Y)]
    return sum(losses, Value(0.0)) * (1.0 / len(X))


def train(model, X, Y, lr=0.05, epochs=200):
    history = []
    for epoch in range(epochs):
        loss = mse_loss(model, X, Y)
        history.append(loss.data)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
    return history
'''

WRONG = {
    "ignores_activation_list": (_with(
        _STUDENT,
        ("        sz = [n_in] + list(layer_sizes)\n",
         "        activations = ['tanh'] * (len(layer_sizes) - 1) + ['linear']\n"
         "        sz = [n_in] + list(layer_sizes)\n")),
        {"mlp_forward"}),

    "tanh_on_last_layer_by_default": (_with(
        _STUDENT,
        ("            activations = ['tanh'] * (len(layer_sizes) - 1) + ['linear']\n",
         "            activations = ['tanh'] * len(layer_sizes)\n")),
        {"mlp_forward"}),

    "bias_drawn_from_random": (_with(
        _STUDENT, ("        self.b = Value(0.0)\n", "        self.b = Value(random.uniform(-1, 1))\n")),
        {"mlp_construction"}),

    # The bias is drawn and then reset: the values are right, the draws are not.
    "bias_drawn_then_zeroed": (_with(
        _STUDENT, ("        self.b = Value(0.0)\n",
                   "        self.b = Value(random.uniform(-1, 1))\n        self.b.data = 0.0\n")),
        {"mlp_construction"}),

    # A weight matrix drawn row by row over the inputs (input-major), then split per neuron.
    "layer_major_draw_order": (_with(
        _STUDENT,
        ("        self.neurons = [Neuron(nin, activation) for _ in range(nout)]\n",
         "        self.neurons = [Neuron(nin, activation) for _ in range(nout)]\n"
         "        W = [[random.uniform(-1, 1) for _ in range(nout)] for _ in range(nin)]\n"
         "        for j, n in enumerate(self.neurons):\n"
         "            for i in range(nin):\n"
         "                n.w[i].data = W[i][j]\n")),
        {"mlp_construction"}),

    # Biases listed before the weights: every check that sets or reads parameters by
    # position sees a different model.
    "bias_first_in_parameters": (_with(
        _STUDENT, ("        return self.w + [self.b]\n", "        return [self.b] + self.w\n")),
        {"mlp_construction", "mlp_forward", "loss_gradients", "training"}),

    # Unwraps every one-neuron layer, so a width-1 hidden layer passes a bare Value on.
    "unwraps_width_one_hidden": (_with(
        _STUDENT,
        ("        for layer in self.layers:\n            x = layer(x)\n        return x[0] if len(x) == 1 else x\n",
         "        for layer in self.layers:\n            x = layer(x)\n            if len(x) == 1:\n"
         "                x = x[0]\n        return x\n")),
        {"mlp_forward"}),

    # Always returns a list, even for one output neuron.
    "never_unwraps_output": (_with(
        _STUDENT, ("        return x[0] if len(x) == 1 else x\n", "        return x\n")),
        {"mlp_forward", "loss_gradients", "training"}),

    "sum_instead_of_mean": (_with(
        _STUDENT, ("    return sum(losses, Value(0.0)) * (1.0 / len(X))\n",
                   "    return sum(losses, Value(0.0))\n")),
        {"loss_gradients", "training"}),

    # Mean over the samples taken as the mean of the errors, squared afterwards.
    "squares_the_mean_error": (_with(
        _STUDENT, ("    losses = [(model(x) - y) ** 2 for x, y in zip(X, Y)]\n"
                   "    return sum(losses, Value(0.0)) * (1.0 / len(X))\n",
                   "    errors = [model(x) - y for x, y in zip(X, Y)]\n"
                   "    return (sum(errors, Value(0.0)) * (1.0 / len(X))) ** 2\n")),
        {"loss_gradients", "training"}),

    "forgets_zero_grad": (_with(
        _STUDENT, ("        for p in model.parameters():\n            p.grad = 0.0\n", "")),
        {"training"}),

    # Zeroes at the end of the epoch: right only when the grads start at zero.
    "zeroes_after_update": (_with(
        _STUDENT,
        ("        for p in model.parameters():\n            p.grad = 0.0\n        loss.backward()\n"
         "        for p in model.parameters():\n            p.data -= lr * p.grad\n",
         "        loss.backward()\n        for p in model.parameters():\n            p.data -= lr * p.grad\n"
         "            p.grad = 0.0\n")),
        {"training"}),

    "updates_before_backward": (_with(
        _STUDENT,
        ("        loss.backward()\n        for p in model.parameters():\n            p.data -= lr * p.grad\n",
         "        for p in model.parameters():\n            p.data -= lr * p.grad\n        loss.backward()\n")),
        {"training"}),

    "records_loss_after_update": (_with(
        _STUDENT,
        ("        history.append(loss.data)\n", ""),
        ("            p.data -= lr * p.grad\n",
         "            p.data -= lr * p.grad\n        history.append(mse_loss(model, X, Y).data)\n")),
        {"training"}),

    "history_of_values": (_with(
        _STUDENT, ("        history.append(loss.data)\n", "        history.append(loss)\n")),
        {"training"}),

    "default_lr_too_big": (_with(
        _STUDENT, ("def train(model, X, Y, lr=0.05, epochs=200):\n",
                   "def train(model, X, Y, lr=0.1, epochs=200):\n")),
        {"training"}),

    "case_insensitive_names": (_with(
        _STUDENT,
        ("            if a not in ACTIVATIONS:\n", "            if a.lower() not in ACTIVATIONS:\n"),
        ("        self.activation = activation\n", "        self.activation = activation.lower()\n")),
        {"mlp_construction"}),

    # zip() silently drops extra activations and never notices missing ones.
    "no_length_check": (_with(
        _STUDENT,
        ("        if len(activations) != len(layer_sizes):\n            raise ValueError(\"need one activation per layer\")\n", ""),
        ("        self.layers = [Layer(sz[i], sz[i + 1], activations[i]) for i in range(len(layer_sizes))]\n",
         "        self.layers = [Layer(sz[i], sz[i + 1], a) for i, a in zip(range(len(layer_sizes)), activations)]\n")),
        {"mlp_construction"}),

    # A dict of activation functions: an unknown name raises KeyError, and only in forward.
    "keyerror_in_forward": ('''
import random

ACT = {
    'tanh': lambda v: v.tanh(),
    'relu': lambda v: v.relu(),
    'sigmoid': lambda v: v.sigmoid(),
    'linear': lambda v: v,
}


class MLP:
    def __init__(self, n_in, layer_sizes, activations=None):
        if not layer_sizes:
            raise ValueError("no layers")
        if activations is None:
            activations = ['tanh'] * (len(layer_sizes) - 1) + ['linear']
        if len(activations) != len(layer_sizes):
            raise ValueError("one activation per layer")
        self.acts = activations
        self.layers = []
        fan_in = n_in
        for size in layer_sizes:
            self.layers.append([([Value(random.uniform(-1, 1)) for _ in range(fan_in)], Value(0.0))
                                for _ in range(size)])
            fan_in = size

    def __call__(self, x):
        for layer, act in zip(self.layers, self.acts):
            x = [ACT[act](sum((w * xi for w, xi in zip(ws, x)), b)) for ws, b in layer]
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for ws, b in layer for p in ws + [b]]


def mse_loss(model, X, Y):
    return sum(((model(x) - y) ** 2 for x, y in zip(X, Y)), Value(0.0)) * (1 / len(X))


def train(model, X, Y, lr=0.05, epochs=200):
    out = []
    for _ in range(epochs):
        loss = mse_loss(model, X, Y)
        out.append(loss.data)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
    return out
''', {"mlp_construction"}),

    # relu written as max(0, z) on the float: the node loses its connection to the graph.
    "relu_detached": (_with(
        _STUDENT, ("            return act.relu()\n", "            return Value(max(0.0, act.data))\n")),
        {"mlp_forward"}),
}

RIGHT = {
    # One class, list comprehensions, weights as a nested list; parameters flattened
    # neuron by neuron.
    "single_class_comprehensions": ('''
import random


class MLP:
    NAMES = ('tanh', 'relu', 'sigmoid', 'linear')

    def __init__(self, n_in, layer_sizes, activations=None):
        sizes = list(layer_sizes)
        if not sizes:
            raise ValueError('layer_sizes is empty')
        acts = ['tanh'] * (len(sizes) - 1) + ['linear'] if activations is None else list(activations)
        if len(acts) != len(sizes) or any(a not in self.NAMES for a in acts):
            raise ValueError(f'bad activations {acts!r} for {len(sizes)} layers')
        fan_ins = [n_in] + sizes[:-1]
        self.W, self.B = [], []
        for fan_in, size in zip(fan_ins, sizes):
            rows, biases = [], []
            for _ in range(size):
                rows.append([Value(random.uniform(-1, 1)) for _ in range(fan_in)])
                biases.append(Value(0))
            self.W.append(rows)
            self.B.append(biases)
        self.acts = acts

    def __call__(self, x):
        h = x
        for rows, biases, act in zip(self.W, self.B, self.acts):
            z = [sum([w * v for w, v in zip(row, h)], b) for row, b in zip(rows, biases)]
            h = z if act == 'linear' else [getattr(v, act)() for v in z]
        return h[0] if len(h) == 1 else h

    def parameters(self):
        return [p for rows, biases in zip(self.W, self.B)
                for row, b in zip(rows, biases) for p in row + [b]]


def mse_loss(model, X, Y):
    total = 0
    for x, y in zip(X, Y):
        total = total + (model(x) - y) ** 2
    return total / len(X)


def train(model, X, Y, lr=0.05, epochs=200):
    params = model.parameters()
    losses = []
    for _ in range(epochs):
        L = mse_loss(model, X, Y)
        losses.append(float(L.data))
        for p in params:
            p.grad = 0
        L.backward()
        for p in params:
            p.data += -lr * p.grad
    return losses
'''),

    # Activations in a dict, a zero_grad method, a generator of parameters made into a list.
    "dict_of_activations": ('''
import random

ACTIVATION = {
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "linear": lambda v: v,
}


class Neuron:
    def __init__(self, n_in, act):
        self.w = [Value(random.uniform(-1.0, 1.0)) for i in range(n_in)]
        self.b = Value(0.0)
        self.act = ACTIVATION[act]

    def __call__(self, xs):
        z = self.b
        for w, x in zip(self.w, xs):
            z = z + w * x
        return self.act(z)

    def parameters(self):
        yield from self.w
        yield self.b


class MLP:
    def __init__(self, n_in, layer_sizes, activations=None):
        if len(layer_sizes) < 1:
            raise ValueError("give at least one layer")
        if activations is None:
            activations = ["tanh"] * (len(layer_sizes) - 1) + ["linear"]
        if len(activations) != len(layer_sizes):
            raise ValueError(f"{len(activations)} activations for {len(layer_sizes)} layers")
        unknown = [a for a in activations if a not in ACTIVATION]
        if unknown:
            raise ValueError(f"unknown activations {unknown}")
        self.layers = []
        for size, act in zip(layer_sizes, activations):
            self.layers.append([Neuron(n_in, act) for _ in range(size)])
            n_in = size

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        if len(x) == 1:
            return x[0]
        return x

    def parameters(self):
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


def mse_loss(model, X, Y):
    n = len(X)
    return sum([(model(x) - y) ** 2 for x, y in zip(X, Y)]) * (1 / n)


def train(model, X, Y, lr=0.05, epochs=200):
    record = []
    for epoch in range(epochs):
        loss = mse_loss(model, X, Y)
        record.append(loss.data)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data = p.data - lr * p.grad
    return record
'''),

    # The chapter's classes, with an activation applied through getattr and a squared
    # error written as a product.
    "getattr_and_product": (_with(
        _STUDENT,
        ("        if self.activation == 'tanh':\n            return act.tanh()\n"
         "        if self.activation == 'relu':\n            return act.relu()\n"
         "        if self.activation == 'sigmoid':\n            return act.sigmoid()\n        return act\n",
         "        return act if self.activation == 'linear' else getattr(act, self.activation)()\n"),
        ("    losses = [(model(x) - y) ** 2 for x, y in zip(X, Y)]\n",
         "    losses = [(model(x) - y) * (model(x) - y) for x, y in zip(X, Y)]\n"))),

    # Validation in a helper that runs before anything is drawn; train takes the
    # parameters once; the loss divides by len(Y).
    "validate_first": ('''
import random
import math

VALID = {"tanh", "relu", "sigmoid", "linear"}


def _check(layer_sizes, activations):
    if not layer_sizes:
        raise ValueError("empty layer_sizes")
    if len(activations) != len(layer_sizes):
        raise ValueError("wrong number of activations")
    for name in activations:
        if not isinstance(name, str) or name not in VALID:
            raise ValueError(f"unknown activation: {name!r}")


class Layer:
    def __init__(self, n_in, n_out, activation):
        self.weights = []
        self.biases = []
        for _ in range(n_out):
            self.weights.append([Value(random.uniform(-1, 1)) for _ in range(n_in)])
            self.biases.append(Value(0.0))
        self.activation = activation

    def __call__(self, x):
        out = []
        for ws, b in zip(self.weights, self.biases):
            s = b
            for w, xi in zip(ws, x):
                s = w * xi + s
            if self.activation == "linear":
                out.append(s)
            elif self.activation == "relu":
                out.append(s.relu())
            elif self.activation == "tanh":
                out.append(s.tanh())
            else:
                out.append(s.sigmoid())
        return out

    def parameters(self):
        ps = []
        for ws, b in zip(self.weights, self.biases):
            ps.extend(ws)
            ps.append(b)
        return ps


class MLP:
    def __init__(self, n_in, layer_sizes, activations=None):
        layer_sizes = list(layer_sizes)
        if activations is None and layer_sizes:
            activations = ["tanh"] * (len(layer_sizes) - 1) + ["linear"]
        _check(layer_sizes, activations or [])
        self.layers = []
        for n_out, act in zip(layer_sizes, activations):
            self.layers.append(Layer(n_in, n_out, act))
            n_in = n_out

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(self.layers[-1].biases) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def mse_loss(model, X, Y):
    loss = Value(0.0)
    for x, y in zip(X, Y):
        err = model(x) - y
        loss = loss + err ** 2
    return loss * (1.0 / len(Y))


def train(model, X, Y, lr=0.05, epochs=200):
    params = model.parameters()
    history = []
    epoch = 0
    while epoch < epochs:
        loss = mse_loss(model, X, Y)
        history.append(loss.data)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        epoch += 1
    return history
'''),
}
