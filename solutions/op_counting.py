"""Counting the work of a forward and a backward pass (exercise 28.6).

The counting model:

* forward: 1 per primitive operation executed (+ * ** relu exp log tanh sigmoid);
  composite operations count as the primitives they run; making a leaf counts 0.
* backward: 1 per gradient contribution accumulated into an input during
  backward(): 2 for a binary primitive, 1 for a unary one, constants and zero
  contributions included; seeding the output's gradient counts 0.
* visited: 1 per node whose _backward runs during backward(), leaves included.

OpCounter swaps counting wrappers onto the Value class for the duration of a
``with`` block and puts the originals back afterwards, even after an error.
"""
import random

from .engine import Value
from .chapter_mlp import MLP

PRIMITIVES = ("__add__", "__mul__", "__pow__", "relu", "exp", "log", "tanh", "sigmoid")
BINARY_OPS = ("+", "*")


class OpCounter:
    """``with OpCounter() as ops:`` counts forward, backward and visited inside the block."""

    def __init__(self):
        self.forward = 0
        self.backward = 0
        self.visited = 0
        self._originals = {}

    def __enter__(self):
        for name in PRIMITIVES:
            self._originals[name] = getattr(Value, name)
            setattr(Value, name, self._counting_primitive(self._originals[name]))
        self._originals["backward"] = Value.backward
        setattr(Value, "backward", self._counting_backward(Value.backward))
        return self

    def __exit__(self, *exc_info):
        for name, original in self._originals.items():
            setattr(Value, name, original)
        self._originals = {}
        return False

    def _counting_primitive(self, primitive):
        def counted(*args):
            out = primitive(*args)
            self.forward += 1
            return out
        return counted

    def _counting_backward(self, backward):
        def counted(node):
            order = node.topological_order()
            self.visited += len(order)
            self.backward += sum(2 if n._op in BINARY_OPS else 1 for n in order if n._prev)
            return backward(node)
        return counted

    def __repr__(self):
        return f"OpCounter(forward={self.forward}, backward={self.backward}, visited={self.visited})"


XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0.0, 1.0, 1.0, 0.0]


def xor_loss(model):
    """Sum of squared errors over XOR's four points, times 1/4 (the chapter's form, 0/1 targets)."""
    loss = Value(0.0)
    for x, y in zip(XOR_X, XOR_Y):
        loss = loss + (model(x) - y) ** 2
    return loss * (1 / 4)


def cheap_gradient_ratios(hidden_sizes, seed=0):
    """Backward ops / forward ops of one training step of MLP(2, [h, h, 1]), per h."""
    ratios = []
    for h in hidden_sizes:
        random.seed(seed)
        model = MLP(2, [h, h, 1])
        with OpCounter() as ops:
            loss = xor_loss(model)
            loss.backward()
        ratios.append(ops.backward / ops.forward)
    return ratios
