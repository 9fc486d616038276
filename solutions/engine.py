"""A scalar reverse-mode autograd engine: the `Value` every notebook starts from.

Each operation computes its result and, right beside it, the rule that sends the
output's gradient back to its inputs.  Subtraction, division, negation and the
reflected operators are built from the primitives (``+ * **`` relu exp log tanh
sigmoid), so they need no rules of their own.

Two choices differ from the smallest possible engine:

* ``backward()`` sorts the graph with an explicit stack, so a chain of hundreds of
  thousands of operations needs no recursion (and no raised recursion limit).
* ``backward()`` may be called more than once.  Like PyTorch, the gradients of the
  leaves accumulate across calls (zero them between training steps); the interior
  nodes are reset at the start of every call, so they always hold the adjoint of the
  latest call and a second call adds the same gradient to every leaf again (up to
  rounding where a leaf's contributions are summed in a different order).

Each rule is a function defined inside its operation, as in the chapter, that
binds the nodes it needs as default arguments (``def _backward(self=self,
out=out)``) instead of capturing them as closure variables: it is still called
with no arguments and works the same, but it costs the garbage collector one
object (the tuple of defaults) where a closure costs one per captured variable
plus one.  A node keeps its inputs in the tuple ``_children`` it was made with;
``_prev`` gives them as a set.  A training step makes tens of thousands of
nodes, and the number of objects per node decides how many full collections the
step triggers: this is what makes the engine fast with the collector on.

Every operation node is part of a small reference cycle (the node holds its rule,
the rule holds the node), which CPython's cyclic garbage collector frees later
rather than at once.  Exercise 28.4 measures memory, so it uses the cycle-free
variant in `solutions.checkpointing`.
"""
import math


def _no_backward():
    """The backward rule of a leaf: nothing to pass on."""


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back."""

    __slots__ = ("data", "grad", "_backward", "_children", "_op", "label")

    def __init__(self, data, _children=(), _op="", label=""):
        if type(data) is not float:            # every operation passes a float
            if not isinstance(data, (int, float)):
                raise TypeError(
                    f"Value holds a single int or float, got {type(data).__name__}: {data!r}")
            data = float(data)
        self.data = data
        self.grad = 0.0
        self._backward = _no_backward
        self._children = tuple(_children)
        self._op = _op
        self.label = label

    @property
    def _prev(self):
        """The inputs of this node, as a set (empty for a leaf)."""
        return frozenset(self._children)

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # ---- primitives: forward computation and backward rule side by side ----

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward(self=self, other=other, out=out):
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward(self=self, other=other, out=out):
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if isinstance(exponent, Value) or not isinstance(exponent, (int, float)):
            raise TypeError(
                "Value ** p needs a constant int or float exponent p, got "
                f"{type(exponent).__name__}; write exp(p * log(x)) for a variable exponent")
        try:
            result = self.data ** exponent
        except ZeroDivisionError:
            raise ValueError(
                f"{self.data!r} ** {exponent!r} is undefined (zero to a negative power)") from None
        if isinstance(result, complex):
            raise ValueError(
                f"{self.data!r} ** {exponent!r} is not a real number "
                "(negative base, fractional exponent)")
        out = Value(result, (self,), "**")

        def _backward(self=self, exponent=exponent, out=out):
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward(self=self, out=out):
            self.grad += (1.0 if out.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp({self.data!r}) is too large for a float (the limit is about exp(709))"
            ) from None
        out = Value(e, (self,), "exp")

        def _backward(self=self, out=out):
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log is defined for positive numbers only, got {self.data!r}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward(self=self, out=out):
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward(self=self, t=t, out=out):
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        """1 / (1 + e^-x), computed so that no finite x overflows.

        Each branch only ever takes the exponential of a number <= 0.
        """
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward(self=self, s=s, out=out):
            self.grad += s * (1.0 - s) * out.grad
        out._backward = _backward
        return out

    # ---- composites: built from the primitives, so they need no backward rule ----

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

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1

    # ---- reverse mode ----

    def topological_order(self):
        """Every node this one depends on, each after all of its inputs.

        Iterative depth-first search: an explicit stack replaces recursion, so the
        depth of the graph is limited by memory, not by Python's recursion limit.
        A node is expanded the first time it reaches the top of the stack (its
        inputs are pushed above it) and placed in the order the second time,
        once everything above it is done.  Only nodes go on the stack, no tuples:
        allocating fewer objects keeps the garbage collector out of the way.
        (``_children`` holds an input twice in ``x * x``; the second copy is
        found already placed.)
        """
        order, expanded, placed = [], set(), set()
        stack = [self]
        while stack:
            node = stack[-1]
            if node not in expanded:
                expanded.add(node)
                for child in node._children:
                    if child not in expanded:
                        stack.append(child)
            else:
                stack.pop()
                if node not in placed:
                    placed.add(node)
                    order.append(node)
        return order

    def backward(self):
        """Add d(self)/d(leaf) to the ``grad`` of every leaf this value depends on."""
        order = self.topological_order()
        for node in order:
            if node._children:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward()
