"""Gradient checkpointing on a chain of scalar functions (exercise 28.4).

This module has its own `Value`, one whose graph holds no reference cycles: a
node's backward rule receives the node's gradient as an argument instead of
capturing the node, so a node is referenced only by the nodes computed from it.
CPython then frees every node the moment nothing refers to it, and the class
can count exactly how many nodes are alive (``Value.alive``) and the most that
were alive at once (``Value.peak``).
"""
import math
import random


def _leaf_backward(grad):
    """A leaf passes nothing on."""


class Value:
    """A cycle-free scalar autograd node that counts live instances."""

    __slots__ = ("data", "grad", "_backward", "_prev", "_op")
    alive = 0
    peak = 0

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = _leaf_backward
        self._prev = tuple(_children)
        self._op = _op
        Value.alive += 1
        if Value.alive > Value.peak:
            Value.peak = Value.alive

    def __del__(self):
        Value.alive -= 1

    @classmethod
    def reset_peak(cls):
        """Start measuring a new peak from the nodes alive now."""
        cls.peak = cls.alive

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward(grad):
            self.grad += grad
            other.grad += grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward(grad):
            self.grad += other.data * grad
            other.grad += self.data * grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward(grad):
            self.grad += (1.0 - t * t) * grad
        out._backward = _backward
        return out

    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, (self,), "sigmoid")

        def _backward(grad):
            self.grad += s * (1.0 - s) * grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def backward(self):
        """Add d(self)/d(leaf) to every leaf's grad (an iterative topological sort)."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward(node.grad)


def make_chain(n, seed=0):
    """n functions Value -> Value, each x -> a·x + b·squash(x).

    ``squash`` is tanh or sigmoid, a is near 1 and b small, so the derivative of
    every step stays near 1 and the chain's gradient neither explodes nor
    vanishes.  Every call of every function creates the same six nodes: the
    constants a and b, the product a·x, the activation, its product with b and
    the sum.
    """
    rng = random.Random(seed)

    def link(a, b, squash):
        return lambda x: x * a + getattr(x, squash)() * b

    return [link(rng.uniform(0.85, 1.05), rng.uniform(-0.5, 0.5), rng.choice(("tanh", "sigmoid")))
            for _ in range(n)]


def full_backprop(fs, x0):
    """(y, dy/dx0) with the whole chain's graph alive at once: memory grows with n."""
    x = Value(x0)
    y = x
    for f in fs:
        y = f(y)
    y.backward()
    return y.data, x.grad


def checkpointed_backprop(fs, x0, segment):
    """(y, dy/dx0) keeping only a float every ``segment`` steps.

    Forward: run the chain on fresh leaves, keeping only the float at the start
    of each segment; every graph is dropped as soon as its value is read.
    Backward: for the segments from last to first, rebuild the segment's graph
    from its checkpoint, backpropagate through it, and multiply the result into
    the running derivative (the chain rule across segments), dropping the
    segment's graph before the next one is built.  Each function runs twice.
    """
    if not isinstance(segment, int) or segment < 1:
        raise ValueError(f"segment must be a positive int, got {segment!r}")
    checkpoints = []
    h = float(x0)
    for i, f in enumerate(fs):
        if i % segment == 0:
            checkpoints.append(h)
        h = f(Value(h)).data
    y, dy_dh = h, 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        dy_dh *= start.grad
        del start, out
    return y, dy_dh


def best_segment(n):
    """The smallest k in 1..n minimising ceil(n/k) + k (checkpoints + one segment)."""
    return min(range(1, n + 1), key=lambda k: (math.ceil(n / k) + k, k))
