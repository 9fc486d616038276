"""solutions/gradcheck.py: central differences and the relative error against backward()."""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solutions.engine import Value
from solutions.gradcheck import max_relative_error, numerical_gradient, relative_error

from . import strategies as S
from .checks import assert_all_close, assert_close


def central(f, xs, h):
    """The central formula written out independently: (f(x + h e_i) - f(x - h e_i)) / 2h."""
    out = []
    for i in range(len(xs)):
        plus = [float(x) + (h if j == i else 0.0) for j, x in enumerate(xs)]
        minus = [float(x) - (h if j == i else 0.0) for j, x in enumerate(xs)]
        out.append((f(*plus) - f(*minus)) / (2 * h))
    return out


def curved(*xs):
    """sum_i sin(1000 x_i) / 1000 + x_i^3 + prod: its differences depend strongly on the step."""
    prod = 1.0
    for x in xs:
        prod *= x
    return sum(math.sin(1000 * x) / 1000 + x ** 3 for x in xs) + prod


@given(xs=st.lists(S.small, min_size=1, max_size=4), h=st.sampled_from([1e-3, 1e-4, 1e-5, 1e-6, 1e-7]))
def test_numerical_gradient_is_the_central_formula(xs, h):
    assert_all_close(numerical_gradient(curved, xs, h), central(curved, xs, h),
                     f"numerical_gradient(curved, xs, h={h})", xs)


@given(xs=st.lists(S.small, min_size=1, max_size=4))
def test_numerical_gradient_default_step_is_1e_6(xs):
    assert_all_close(numerical_gradient(curved, xs), central(curved, xs, 1e-6),
                     "numerical_gradient(curved, xs) with the default step", xs)


@pytest.mark.parametrize("x", [0.0, 1.0, -0.5])
def test_numerical_gradient_is_central_not_one_sided(x):
    # Central differences of x^3 give 3x^2 + h^2; a forward difference gives 3x^2 + 3xh + h^2.
    got = numerical_gradient(lambda t: t ** 3, [x])
    expected = 3 * x * x + 1e-12
    assert_close(got[0], expected, "numerical_gradient(x -> x**3)", x, rel=1e-6, abs_tol=1e-13)


@given(xs=st.lists(st.one_of(S.small, st.integers(-5, 5)), max_size=4), h=st.sampled_from([1e-4, 1e-6]))
def test_numerical_gradient_calls_f_with_floats_and_leaves_xs_alone(xs, h):
    before = list(xs)
    types_before = [type(x) for x in xs]
    calls = []

    def f(*args):
        calls.append(args)
        return sum(args) * 2.0

    result = numerical_gradient(f, xs, h)
    assert xs == before and [type(x) for x in xs] == types_before, (
        f"numerical_gradient changed xs: it was {before!r}, now {xs!r}")
    for args in calls:
        assert len(args) == len(xs) and all(type(a) is float for a in args), (
            f"f was called with {args!r} (types {[type(a).__name__ for a in args]}) at xs = {before!r}; "
            f"expected {len(xs)} floats")
    assert isinstance(result, list) and len(result) == len(xs), (
        f"numerical_gradient at {before!r}: got {result!r}, expected a list of {len(xs)} floats")
    assert all(type(g) is float for g in result), f"got {result!r}, expected floats"
    assert_all_close(result, [2.0] * len(xs), "numerical_gradient of 2 * sum", before, rel=1e-6, abs_tol=1e-7)


def test_numerical_gradient_of_no_inputs_is_empty():
    assert numerical_gradient(lambda: 1.0, []) == []


# ---- relative_error and max_relative_error ----

@given(a=S.floats(-1e300, 1e300), b=S.floats(-1e300, 1e300))
def test_relative_error_formula(a, b):
    expected = 0.0 if a == b == 0 else abs(a - b) / max(abs(a) + abs(b), 1e-12)
    got = relative_error(a, b)
    assert got == expected, (
        f"relative_error({a!r}, {b!r}): got {got!r}, expected {expected!r}")


def test_relative_error_is_zero_when_both_are_zero():
    for a, b in [(0.0, 0.0), (0.0, -0.0), (0, 0.0)]:
        assert relative_error(a, b) == 0.0
    assert relative_error(1e-13, 0.0) == pytest.approx(0.1), "the 1e-12 floor applies"


def correct(a, b):
    """Every primitive; both partial derivatives stay >= 1 in magnitude on the test's domain
    (|a| <= 5, |b| <= 3), so a relative error is meaningful (no cancellation to 0)."""
    return (a * b).tanh() + a * 6 + b * 6 + a.relu() * b.sigmoid() + (a * 0.1).exp() \
        + (b * b + 1).log() * 0.1 - (a / (b * b + 2)) ** 2 * 0.01


def mixes_data(a, b):
    """a * b where the b factor is a constant copy of b: b's own gradient is lost."""
    return a * Value(b.data) + b


def wrong_square(a, b):
    """A hand-made a^2 node whose rule forgets the factor 2, then + b."""
    out = Value(a.data ** 2, (a,), "**")

    def _backward():
        a.grad += a.data * out.grad
    out._backward = _backward
    return out + b


@given(x=S.off_kink, y=S.small)
def test_max_relative_error_is_small_for_correct_operations(x, y):
    err = max_relative_error(correct, [x, y])
    assert 0.0 <= err < 1e-6, f"max_relative_error(correct, {[x, y]}) = {err!r}, expected < 1e-6"


@given(x=S.nonzero, y=S.nonzero)
def test_max_relative_error_is_large_for_wrong_operations(x, y):
    # mixes_data: d/db is 1 instead of a + 1; wrong_square: d/da is a instead of 2a (error 1/3).
    err = max_relative_error(mixes_data, [x, y])
    expected = relative_error(1.0, x + 1.0)
    assert_close(err, expected, "max_relative_error(mixes_data)", [x, y], rel=1e-6, abs_tol=1e-7)
    err = max_relative_error(wrong_square, [x, y])
    assert_close(err, 1 / 3, "max_relative_error(wrong_square)", [x, y], rel=1e-6, abs_tol=1e-7)


@given(x=S.small, y=S.small, h=st.sampled_from([None, 1e-3, 1e-5]))
def test_max_relative_error_is_the_worst_input(x, y, h):
    def f(a, b):
        return (a * 3.0 + b).tanh() * b

    kwargs = {} if h is None else {"h": h}
    leaves = [Value(x), Value(y)]
    f(*leaves).backward()
    numeric = central(lambda p, q: f(Value(p), Value(q)).data, [x, y], h or 1e-6)
    expected = max(relative_error(leaf.grad, n) for leaf, n in zip(leaves, numeric))
    got = max_relative_error(f, [x, y], **kwargs)
    assert_close(got, expected, f"max_relative_error(tanh(3a + b) * b, h={h})", [x, y])


@given(xs=st.lists(S.small, min_size=1, max_size=3))
def test_max_relative_error_is_zero_when_every_gradient_is_zero(xs):
    assert max_relative_error(lambda *vs: sum(vs, Value(1.0)) * 0.0, xs) == 0.0


def test_max_relative_error_leaves_xs_alone():
    xs = [0.5, -1.0]
    max_relative_error(correct, xs)
    assert xs == [0.5, -1.0]
