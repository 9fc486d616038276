"""Gradient checking: compare reverse-mode gradients with central differences.

Used three ways: as the solution of exercise 28.1, by the notebooks to check
students' work as they go, and by the test suites as the one shared checker.
"""
from .engine import Value


def numerical_gradient(f, xs, h=1e-6):
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h, one per input.

    ``f`` takes floats and returns a float; ``xs`` is left as it was.  The error
    of the central formula shrinks like h^2, against h for a one-sided one.
    """
    point = [float(x) for x in xs]
    gradient = []
    for i, x in enumerate(point):
        plus, minus = list(point), list(point)
        plus[i] = x + h
        minus[i] = x - h
        gradient.append((f(*plus) - f(*minus)) / (2 * h))
    return gradient


def relative_error(a, b, floor=1e-12):
    """|a - b| / max(|a| + |b|, floor), and 0.0 where both are 0."""
    if a == b == 0:
        return 0.0
    return abs(a - b) / max(abs(a) + abs(b), floor)


def max_relative_error(f, xs, h=1e-6):
    """Worst relative error between backward() and central differences.

    ``f`` takes and returns Values.  Fresh leaves are made from ``xs`` for the
    backward pass, and ``f`` is evaluated on fresh leaves at every shifted point.
    """
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    numeric = numerical_gradient(lambda *p: f(*[Value(v) for v in p]).data, xs, h)
    return max((relative_error(leaf.grad, n) for leaf, n in zip(leaves, numeric)), default=0.0)
