"""solutions/dual.py: forward mode with dual numbers."""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solutions.dual import Dual, f, forward_mode_gradient

from . import strategies as S
from .checks import assert_all_close, assert_close


def assert_dual(got, value, tangent, what, inputs):
    assert type(got) is Dual, f"{what} at {inputs}: got {got!r}, expected a Dual"
    assert type(got.value) is float and type(got.tangent) is float, (
        f"{what} at {inputs}: got {got!r} with value and tangent of types "
        f"{type(got.value).__name__}, {type(got.tangent).__name__}; expected floats")
    assert_close(got.value, value, f"{what}: value", inputs)
    assert_close(got.tangent, tangent, f"{what}: tangent", inputs)


# ---- arithmetic between two Duals ----

BINARY = {
    # name: (op, value(a, b), tangent(a, da, b, db))
    "u + v": (lambda u, v: u + v, lambda a, b: a + b, lambda a, da, b, db: da + db),
    "u - v": (lambda u, v: u - v, lambda a, b: a - b, lambda a, da, b, db: da - db),
    "u * v": (lambda u, v: u * v, lambda a, b: a * b, lambda a, da, b, db: da * b + a * db),
    "u / v": (lambda u, v: u / v, lambda a, b: a / b, lambda a, da, b, db: (da * b - a * db) / b ** 2),
}


@pytest.mark.parametrize("name", list(BINARY))
@given(ab=S.distinct_points(2), da=S.tangents, db=S.tangents)
def test_binary_rule(name, ab, da, db):
    a, b = ab
    if name == "u / v" and abs(b) < 0.25:
        b = b + math.copysign(0.5, b)
    op, value, tangent = BINARY[name]
    inputs = {"u": (a, da), "v": (b, db)}
    assert_dual(op(Dual(a, da), Dual(b, db)), value(a, b), tangent(a, da, b, db), name, inputs)


# ---- arithmetic with a plain number on either side: a constant, tangent 0 ----

WITH_CONSTANT = {
    # name: (op(u, c), value(a, c), tangent(a, da, c))
    "u + c": (lambda u, c: u + c, lambda a, c: a + c, lambda a, da, c: da),
    "c + u": (lambda u, c: c + u, lambda a, c: c + a, lambda a, da, c: da),
    "u - c": (lambda u, c: u - c, lambda a, c: a - c, lambda a, da, c: da),
    "c - u": (lambda u, c: c - u, lambda a, c: c - a, lambda a, da, c: -da),
    "u * c": (lambda u, c: u * c, lambda a, c: a * c, lambda a, da, c: da * c),
    "c * u": (lambda u, c: c * u, lambda a, c: c * a, lambda a, da, c: c * da),
    "u / c": (lambda u, c: u / c, lambda a, c: a / c, lambda a, da, c: da / c),
    "c / u": (lambda u, c: c / u, lambda a, c: c / a, lambda a, da, c: -c * da / a ** 2),
}


@pytest.mark.parametrize("ctype", [int, float], ids=["int", "float"])
@pytest.mark.parametrize("name", list(WITH_CONSTANT))
@given(data=st.data())
def test_rule_with_constant(name, ctype, data):
    op, value, tangent = WITH_CONSTANT[name]
    c = data.draw(S.nonzero_constants_of_type[ctype] if name == "u / c" else S.constants_of_type[ctype], label="c")
    a = data.draw(S.nonzero if name == "c / u" else S.small, label="a")
    da = data.draw(S.tangents, label="da")
    assert type(c) is ctype
    inputs = {"u": (a, da), "c": c}
    assert_dual(op(Dual(a, da), c), value(a, c), tangent(a, da, c), name, inputs)
    # The constant carries no tangent: with da = 0 nothing flows out.
    assert_dual(op(Dual(a, 0.0), c), value(a, c), 0.0, f"{name} with a zero tangent", inputs)


@given(a=S.small, da=S.tangents)
def test_negation(a, da):
    assert_dual(-Dual(a, da), -a, -da, "-u", (a, da))


@given(a=S.nonzero, da=S.tangents, p=S.int_exponents)
def test_power_int(a, da, p):
    assert_dual(Dual(a, da) ** p, a ** p, p * a ** (p - 1) * da, f"u ** {p}", (a, da))


@given(a=S.floats(0.2, 4.0), da=S.tangents, p=S.float_exponents)
def test_power_float(a, da, p):
    assert_dual(Dual(a, da) ** p, a ** p, p * a ** (p - 1) * da, f"u ** {p}", (a, da))


ELEMENTARY = {
    "sin": (lambda u: u.sin(), math.sin, math.cos, S.small),
    "cos": (lambda u: u.cos(), math.cos, lambda a: -math.sin(a), S.small),
    "exp": (lambda u: u.exp(), math.exp, math.exp, S.small),
    "log": (lambda u: u.log(), math.log, lambda a: 1 / a, S.positive),
}


@pytest.mark.parametrize("name", list(ELEMENTARY))
@given(data=st.data())
def test_elementary_function(name, data):
    op, value, derivative, domain = ELEMENTARY[name]
    a, da = data.draw(domain, label="a"), data.draw(S.tangents, label="da")
    assert_dual(op(Dual(a, da)), value(a), derivative(a) * da, name, (a, da))


@given(v=st.integers(-10**6, 10**6), t=st.integers(-10, 10))
def test_constructor_makes_floats(v, t):
    assert_dual(Dual(v), float(v), 0.0, "Dual(int)", v)
    assert_dual(Dual(v, t), float(v), float(t), "Dual(int, int)", (v, t))


@given(a=S.small, c=S.int_constants)
def test_results_with_int_constants_hold_floats(a, c):
    for name, (op, value, tangent) in WITH_CONSTANT.items():
        if "/" in name:
            continue
        got = op(Dual(a, 1), c)
        assert type(got.value) is float and type(got.tangent) is float, f"{name} with c={c!r}: got {got!r}"


# ---- f and forward_mode_gradient ----

def grad_f(x, y):
    return [2 * x * y + y * math.cos(x * y), x * x + x * math.cos(x * y)]


@given(xy=S.distinct_points(2, -2.0, 2.0))
def test_partial_derivatives_of_f(xy):
    x, y = xy
    value = x * x * y + math.sin(x * y)
    dx, dy = grad_f(x, y)
    assert_dual(f(Dual(x, 1.0), Dual(y, 0.0)), value, dx, "f seeded on x", xy)
    assert_dual(f(Dual(x, 0.0), Dual(y, 1.0)), value, dy, "f seeded on y", xy)


@given(xy=S.distinct_points(2, -2.0, 2.0))
def test_forward_mode_gradient_of_f(xy):
    got = forward_mode_gradient(f, xy)
    assert isinstance(got, list) and all(type(g) is float for g in got), f"at {xy}: got {got!r}"
    assert_all_close(got, grad_f(*xy), "forward_mode_gradient(f)", xy)


@given(data=st.data(), n=st.integers(1, 6))
def test_forward_mode_gradient_makes_n_one_hot_calls(data, n):
    point = data.draw(st.lists(st.one_of(S.small, st.integers(-3, 3)), min_size=n, max_size=n), label="point")
    coefficients = data.draw(st.lists(S.small, min_size=n, max_size=n), label="coefficients")
    calls = []

    def func(*args):
        calls.append([(d.value, d.tangent) for d in args])
        out = Dual(0.0)
        for c, d in zip(coefficients, args):
            out = out + c * d * d.cos()
        return out

    got = forward_mode_gradient(func, point)
    assert len(calls) == n, f"forward_mode_gradient at {point}: {len(calls)} calls of func, expected {n}"
    for i, args in enumerate(calls):
        assert len(args) == n
        assert [v for v, _ in args] == [float(p) for p in point], (
            f"call {i}: got values {[v for v, _ in args]}, expected the point {point}")
        expected_seed = [1.0 if j == i else 0.0 for j in range(n)]
        assert [t for _, t in args] == expected_seed, (
            f"call {i} at {point}: got tangents {[t for _, t in args]}, expected {expected_seed}")
    expected = [c * (math.cos(p) - p * math.sin(p)) for c, p in zip(coefficients, point)]
    assert_all_close(got, expected, "forward_mode_gradient(sum c_i x_i cos x_i)", point)
