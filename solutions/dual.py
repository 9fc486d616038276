"""Forward mode with dual numbers (exercise 28.2).

A dual number a + b·ε with ε² = 0 carries a value and a tangent; evaluating a
function on value + 1·ε yields the function's value and its derivative in one
pass.  One pass gives the derivative along one input direction, so a gradient of
n inputs costs n passes.
"""
import math


class Dual:
    """value + tangent·ε.  Plain numbers mix in as constants (tangent 0)."""

    __slots__ = ("value", "tangent")

    def __init__(self, value, tangent=0.0):
        self.value = float(value)
        self.tangent = float(tangent)

    def __repr__(self):
        return f"Dual({self.value!r}, {self.tangent!r})"

    @staticmethod
    def _lift(other):
        if isinstance(other, Dual):
            return other
        if isinstance(other, (int, float)):
            return Dual(other, 0.0)
        return None

    def __add__(self, other):
        other = self._lift(other)
        if other is None:
            return NotImplemented
        return Dual(self.value + other.value, self.tangent + other.tangent)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    def __sub__(self, other):
        other = self._lift(other)
        if other is None:
            return NotImplemented
        return Dual(self.value - other.value, self.tangent - other.tangent)

    def __rsub__(self, other):
        other = self._lift(other)
        if other is None:
            return NotImplemented
        return other - self

    def __mul__(self, other):
        other = self._lift(other)
        if other is None:
            return NotImplemented
        return Dual(self.value * other.value,
                    self.tangent * other.value + self.value * other.tangent)

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = self._lift(other)
        if other is None:
            return NotImplemented
        return Dual(self.value / other.value,
                    (self.tangent * other.value - self.value * other.tangent)
                    / (other.value * other.value))

    def __rtruediv__(self, other):
        other = self._lift(other)
        if other is None:
            return NotImplemented
        return other / self

    def __pow__(self, p):
        if not isinstance(p, (int, float)):
            return NotImplemented
        return Dual(self.value ** p, p * self.value ** (p - 1) * self.tangent)

    def sin(self):
        return Dual(math.sin(self.value), math.cos(self.value) * self.tangent)

    def cos(self):
        return Dual(math.cos(self.value), -math.sin(self.value) * self.tangent)

    def exp(self):
        e = math.exp(self.value)
        return Dual(e, e * self.tangent)

    def log(self):
        return Dual(math.log(self.value), self.tangent / self.value)


def f(x, y):
    """x² y + sin(x y), written with Dual's operations."""
    return x ** 2 * y + (x * y).sin()


def forward_mode_gradient(func, point):
    """The gradient of ``func`` at ``point``: one forward pass per input.

    Pass i seeds tangent 1 on input i and 0 on the others, so the output's
    tangent is the partial derivative with respect to input i.
    """
    gradient = []
    for i in range(len(point)):
        args = [Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(point)]
        out = func(*args)
        gradient.append(out.tangent if isinstance(out, Dual) else 0.0)
    return gradient
