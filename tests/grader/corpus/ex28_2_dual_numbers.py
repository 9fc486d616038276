"""Realistic submissions of exercise 28.2 (Dual, f, forward_mode_gradient).

A submission is the student's solution cells concatenated; the given engine runs before
it.  ``WRONG`` maps a name to (code, the exact set of point groups it must lose); every
entry of ``RIGHT`` must get full marks.
"""

BASE = '''
import math

class Dual:
    def __init__(self, value, tangent=0.0):
        self.value = float(value)
        self.tangent = float(tangent)

    def __repr__(self):
        return f"Dual({self.value}, {self.tangent})"

    def __add__(self, other):
        if not isinstance(other, Dual):
            other = Dual(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __radd__(self, other):
        return self + other

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if not isinstance(other, Dual):
            other = Dual(other)
        return Dual(self.value * other.value,
                    self.tangent * other.value + self.value * other.tangent)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        if not isinstance(other, Dual):
            other = Dual(other)
        return Dual(self.value / other.value,
                    (self.tangent * other.value - self.value * other.tangent) / other.value ** 2)

    def __rtruediv__(self, other):
        return Dual(other) / self

    def __pow__(self, p):
        return Dual(self.value ** p, p * self.value ** (p - 1) * self.tangent)

    def sin(self):
        return Dual(math.sin(self.value), math.cos(self.value) * self.tangent)

    def cos(self):
        return Dual(math.cos(self.value), -math.sin(self.value) * self.tangent)

    def exp(self):
        return Dual(math.exp(self.value), math.exp(self.value) * self.tangent)

    def log(self):
        return Dual(math.log(self.value), self.tangent / self.value)


def f(x, y):
    return x ** 2 * y + (x * y).sin()


def forward_mode_gradient(func, point):
    grad = []
    n = len(point)
    for i in range(n):
        duals = [Dual(point[j], 1.0 if j == i else 0.0) for j in range(n)]
        out = func(*duals)
        grad.append(out.tangent)
    return grad
'''


def base_with(*replacements):
    code = BASE
    for old, new in replacements:
        assert code.count(old) == 1, old
        code = code.replace(old, new)
    return code


ARITHMETIC, FUNCTIONS = "dual_arithmetic", "dual_functions"
PARTIALS, GRADIENT = "partials_of_f", "forward_mode_gradient"

WRONG = {
    "product_rule_multiplies_tangents": (
        base_with(("self.tangent * other.value + self.value * other.tangent)",
                   "self.tangent * other.tangent)")),
        {ARITHMETIC, PARTIALS}),
    "quotient_rule_sign": (
        base_with(("(self.tangent * other.value - self.value * other.tangent)",
                   "(self.tangent * other.value + self.value * other.tangent)")),
        {ARITHMETIC}),
    "quotient_rule_not_squared": (
        base_with(("/ other.value ** 2)", "/ other.value)")), {ARITHMETIC}),
    "constants_get_tangent_one": (
        base_with(("""        if not isinstance(other, Dual):
            other = Dual(other)
        return Dual(self.value + other.value""", """        if not isinstance(other, Dual):
            other = Dual(other, 1.0)
        return Dual(self.value + other.value""")),
        {ARITHMETIC}),
    "missing_radd": (
        base_with(("""    def __radd__(self, other):
        return self + other
""", "")), {ARITHMETIC}),
    "missing_rmul": (
        base_with(("""    def __rmul__(self, other):
        return self * other
""", "")), {ARITHMETIC}),
    "rsub_is_self_minus_other": (
        base_with(("return (-self) + other", "return self - other")), {ARITHMETIC}),
    "rtruediv_is_self_over_other": (
        base_with(("return Dual(other) / self", "return self / Dual(other)")), {ARITHMETIC}),
    "neg_forgets_tangent": (
        base_with(("Dual(-self.value, -self.tangent)", "Dual(-self.value, self.tangent)")),
        {ARITHMETIC}),
    "pow_rule_off_by_one": (
        base_with(("p * self.value ** (p - 1) * self.tangent", "p * self.value ** p * self.tangent")),
        {ARITHMETIC, PARTIALS}),
    "pow_rule_forgets_tangent": (
        base_with(("p * self.value ** (p - 1) * self.tangent", "p * self.value ** (p - 1)")),
        {ARITHMETIC, PARTIALS}),
    "pow_only_for_ints": (
        base_with(("""    def __pow__(self, p):
        return Dual(self.value ** p, p * self.value ** (p - 1) * self.tangent)""",
                   """    def __pow__(self, p):
        result = Dual(1.0)
        for _ in range(abs(int(p))):
            result = result * self
        return result if p >= 0 else 1 / result""")),
        {ARITHMETIC}),
    "constructor_keeps_ints": (
        base_with(("""        self.value = float(value)
        self.tangent = float(tangent)""", """        self.value = value
        self.tangent = tangent""")),
        {ARITHMETIC}),
    "add_mutates_self": (
        base_with(("""        return Dual(self.value + other.value, self.tangent + other.tangent)""",
                   """        self.value += other.value
        self.tangent += other.tangent
        return self""")),
        {ARITHMETIC}),
    "cos_derivative_sign": (
        base_with(("-math.sin(self.value) * self.tangent", "math.sin(self.value) * self.tangent")),
        {FUNCTIONS}),
    "sin_forgets_chain_rule": (
        base_with(("math.cos(self.value) * self.tangent)", "math.cos(self.value))")),
        {FUNCTIONS, PARTIALS}),
    "log_derivative_times_value": (
        base_with(("self.tangent / self.value)", "self.tangent * self.value)")), {FUNCTIONS}),
    "exp_forgets_tangent": (
        base_with(("math.exp(self.value) * self.tangent)", "math.exp(self.value))")),
        {FUNCTIONS}),
    "f_swaps_x_and_y": (
        base_with(("return x ** 2 * y + (x * y).sin()", "return y ** 2 * x + (x * y).sin()")),
        {PARTIALS}),
    "f_uses_math_sin": (
        base_with(("return x ** 2 * y + (x * y).sin()", "return x ** 2 * y + math.sin(x * y)")),
        {PARTIALS}),
    "f_returns_tangent": (
        base_with(("return x ** 2 * y + (x * y).sin()", "return (x ** 2 * y + (x * y).sin()).tangent")),
        {PARTIALS}),
    "gradient_seeds_all_inputs_at_once": (
        base_with(("Dual(point[j], 1.0 if j == i else 0.0)", "Dual(point[j], 1.0)")), {GRADIENT}),
    "gradient_extra_call_for_the_value": (
        base_with(("""    grad = []
    n = len(point)
""", """    grad = []
    n = len(point)
    value = func(*[Dual(x) for x in point]).value
    print("f(point) =", value)
""")), {GRADIENT}),
    "gradient_returns_duals": (
        base_with(("grad.append(out.tangent)", "grad.append(out)")), {GRADIENT}),
    "gradient_passes_floats_for_other_inputs": (
        base_with(("""        duals = [Dual(point[j], 1.0 if j == i else 0.0) for j in range(n)]""",
                   """        duals = list(point)
        duals[i] = Dual(point[i], 1.0)""")), {GRADIENT}),
    "gradient_by_finite_differences": (
        base_with(("""        duals = [Dual(point[j], 1.0 if j == i else 0.0) for j in range(n)]
        out = func(*duals)
        grad.append(out.tangent)""", """        up = [Dual(point[j] + (1e-6 if j == i else 0.0)) for j in range(n)]
        down = [Dual(point[j] - (1e-6 if j == i else 0.0)) for j in range(n)]
        grad.append((func(*up).value - func(*down).value) / 2e-6)""")), {GRADIENT}),
    "gradient_off_by_one_seed": (
        base_with(("1.0 if j == i else 0.0", "1.0 if j == (i + 1) % n else 0.0")), {GRADIENT}),
}

RIGHT = {
    "coerce_helper_with_notimplemented": '''
import math


class Dual:
    """a + b eps"""

    def __init__(self, value, tangent=0.0):
        self.value, self.tangent = float(value), float(tangent)

    @staticmethod
    def _coerce(x):
        if isinstance(x, Dual):
            return x
        if isinstance(x, (int, float)):
            return Dual(x)
        return NotImplemented

    def __add__(self, other):
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        return Dual(self.value + other.value, self.tangent + other.tangent)

    __radd__ = __add__

    def __sub__(self, other):
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        return Dual(self.value - other.value, self.tangent - other.tangent)

    def __rsub__(self, other):
        return self._coerce(other) - self

    def __neg__(self):
        return 0 - self

    def __mul__(self, other):
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        return Dual(self.value * other.value, self.value * other.tangent + other.value * self.tangent)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self * self._coerce(other) ** -1

    def __rtruediv__(self, other):
        return self._coerce(other) * self ** -1

    def __pow__(self, n):
        return Dual(self.value ** n, n * self.value ** n / self.value * self.tangent)

    def sin(self):
        return Dual(math.sin(self.value), self.tangent * math.cos(self.value))

    def cos(self):
        return Dual(math.cos(self.value), -self.tangent * math.sin(self.value))

    def exp(self):
        e = math.exp(self.value)
        return Dual(e, self.tangent * e)

    def log(self):
        return Dual(math.log(self.value), self.tangent / self.value)


def f(x, y):
    return x * x * y + (x * y).sin()


def forward_mode_gradient(func, point):
    out = []
    for i, _ in enumerate(point):
        args = [Dual(p, 1 if k == i else 0) for k, p in enumerate(point)]
        out.append(func(*args).tangent)
    return tuple(out)
''',
    "functools_partialmethod": '''
import math
import operator
from functools import partialmethod


def _rule(op, a, da, b, db):
    if op is operator.add:
        return a + b, da + db
    if op is operator.sub:
        return a - b, da - db
    if op is operator.mul:
        return a * b, da * b + a * db
    return a / b, (da * b - a * db) / (b * b)


class Dual:
    def __init__(self, value, tangent=0.0):
        self.value = float(value)
        self.tangent = float(tangent)

    def _binary(self, other, op, reflected=False):
        if isinstance(other, (int, float)):
            other = Dual(other)
        elif not isinstance(other, Dual):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        return Dual(*_rule(op, a.value, a.tangent, b.value, b.tangent))

    __add__ = partialmethod(_binary, op=operator.add)
    __radd__ = partialmethod(_binary, op=operator.add, reflected=True)
    __sub__ = partialmethod(_binary, op=operator.sub)
    __rsub__ = partialmethod(_binary, op=operator.sub, reflected=True)
    __mul__ = partialmethod(_binary, op=operator.mul)
    __rmul__ = partialmethod(_binary, op=operator.mul, reflected=True)
    __truediv__ = partialmethod(_binary, op=operator.truediv)
    __rtruediv__ = partialmethod(_binary, op=operator.truediv, reflected=True)

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    def __pow__(self, p):
        return Dual(self.value ** p, p * self.value ** (p - 1) * self.tangent)

    def _unary(self, fn, dfn):
        return Dual(fn(self.value), dfn(self.value) * self.tangent)

    def sin(self):
        return self._unary(math.sin, math.cos)

    def cos(self):
        return self._unary(math.cos, lambda v: -math.sin(v))

    def exp(self):
        return self._unary(math.exp, math.exp)

    def log(self):
        return self._unary(math.log, lambda v: 1.0 / v)


def f(x, y):
    xy = x * y
    return x ** 2 * y + xy.sin()


def forward_mode_gradient(func, point):
    return [func(*[Dual(x, float(i == j)) for j, x in enumerate(point)]).tangent
            for i in range(len(point))]
''',
    "dataclass_dual": '''
import math
from dataclasses import dataclass


@dataclass
class Dual:
    value: float
    tangent: float = 0.0

    def __post_init__(self):
        self.value = float(self.value)
        self.tangent = float(self.tangent)

    def __add__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.value + o.value, self.tangent + o.tangent)

    def __radd__(self, o):
        return self.__add__(o)

    def __mul__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return Dual(self.value * o.value, self.tangent * o.value + self.value * o.tangent)

    def __rmul__(self, o):
        return self.__mul__(o)

    def __neg__(self):
        return self * -1

    def __sub__(self, o):
        return self + (-1) * o

    def __rsub__(self, o):
        return -self + o

    def __truediv__(self, o):
        o = o if isinstance(o, Dual) else Dual(o)
        return self * o.reciprocal()

    def __rtruediv__(self, o):
        return Dual(o) * self.reciprocal()

    def reciprocal(self):
        return Dual(1.0 / self.value, -self.tangent / self.value ** 2)

    def __pow__(self, p):
        return Dual(self.value ** p, p * self.value ** (p - 1) * self.tangent)

    def sin(self):
        return Dual(math.sin(self.value), math.cos(self.value) * self.tangent)

    def cos(self):
        return Dual(math.cos(self.value), -math.sin(self.value) * self.tangent)

    def exp(self):
        return Dual(math.exp(self.value), math.exp(self.value) * self.tangent)

    def log(self):
        return Dual(math.log(self.value), self.tangent / self.value)


def f(x, y):
    return x**2 * y + (x * y).sin()


def forward_mode_gradient(func, point):
    n = len(point)
    gradient = [0.0] * n
    for i in range(n):
        seeds = [0.0] * n
        seeds[i] = 1.0
        result = func(*[Dual(p, s) for p, s in zip(point, seeds)])
        gradient[i] = result.tangent
    return gradient
''',
    "seeds_in_reverse_order": base_with(
        ("""    for i in range(n):
        duals = [Dual(point[j], 1.0 if j == i else 0.0) for j in range(n)]
        out = func(*duals)
        grad.append(out.tangent)
    return grad""", """    for i in reversed(range(n)):
        duals = [Dual(point[j], 1.0 if j == i else 0.0) for j in range(n)]
        out = func(*duals)
        grad.insert(0, out.tangent)
    return grad""")),
    "master_solution_style": BASE,
}
