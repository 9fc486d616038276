"""Hidden checks of exercise 28.1: sigmoid, numerical_gradient, max_relative_error.

Probes (functions taking ``ns``, the student's namespace) run next to the
student's code and return plain numbers; every verdict is made here, against
`solutions`, on inputs drawn when grading runs.
"""
import math
import sys

import pytest

from autograder import checks
from solutions import gradcheck
from solutions.engine import Value

EXTREMES = [-1000.0, 1000.0, 1e300, -1e300, sys.float_info.max, -sys.float_info.max,
            709.5, -709.5, 745.2, -745.2, 800.0, -800.0]


# ---- probes: run beside the student's code, return plain data ----

def sigmoid_at(ns, xs, upstream, start):
    """For each x: data, op, whether _prev is exactly {x}, and x.grad after one
    backward step with upstream gradient ``upstream`` into a grad that starts at ``start``."""
    Value = ns["Value"]
    rows = []
    for x in xs:
        leaf = Value(x)
        out = leaf.sigmoid()
        prev = out._prev
        exact_prev = type(prev) in (set, frozenset) and len(prev) == 1 and next(iter(prev)) is leaf
        leaf.grad = start
        out.grad = upstream
        out._backward()
        rows.append([out.data, out._op, exact_prev, leaf.grad])
    return rows


def sigmoid_backward(ns, xs):
    """For each x: sigmoid(x).data and x.grad after a full backward()."""
    Value = ns["Value"]
    rows = []
    for x in xs:
        leaf = Value(x)
        out = leaf.sigmoid()
        out.backward()
        rows.append([out.data, leaf.grad])
    return rows


def sigmoid_graphs(ns, x, a, b):
    """Graphs that reuse a sigmoid node and mix it with other operations."""
    Value = ns["Value"]
    results = []
    v = Value(x)
    s = v.sigmoid()
    y = s * s + s                              # one node used three times
    y.backward()
    results.append([y.data, v.grad])
    v = Value(x)
    y = (v * a).sigmoid() * v + (v + b).sigmoid() - v.sigmoid().sigmoid()
    y.backward()
    results.append([y.data, v.grad])
    v, w = Value(x), Value(a)
    y = (v * w).sigmoid() * (v - w).tanh() + (w.sigmoid() + v).exp()
    y.backward()
    results.append([y.data, v.grad, w.grad])
    return results


def numerical_gradient_of_wave(ns, xs, coeffs, w, h):
    """Call numerical_gradient on a cubic plus a fast sine wave (whose central
    difference depends visibly on h); report the result, the argument types f saw,
    whether xs was left unchanged (also while f ran), and the result's type names."""
    import math

    seen = set()
    touched = []

    def f(*args):
        if point != xs:
            touched.append(True)
        for arg in args:
            seen.add(type(arg).__name__)
            if type(arg) not in (int, float):
                raise TypeError("numerical_gradient must call f with floats, "
                                f"not with a {type(arg).__name__}")
        total = 0.0
        for i, x in enumerate(args):
            total += coeffs[i] * x ** 3 + coeffs[-1] * x * args[0] + math.sin(w * x)
        return total

    point = list(xs)
    if h is None:
        result = ns["numerical_gradient"](f, point)
    else:
        result = ns["numerical_gradient"](f, point, h)
    names = [type(r).__name__ for r in result] if type(result) in (list, tuple) \
        else type(result).__name__
    return [result, sorted(seen),
            point == xs and all(type(p) is float for p in point) and not touched, names]


def max_relative_error_of(ns, xs, kind, c, h=None):
    """max_relative_error on functions of Values: a correct one, one whose
    gradient misses a term (a detached constant), the same on a curved function
    (whose central difference depends on h), one with zero gradients, one whose
    gradients are far below the 1e-12 floor, and two where exactly one of the
    gradients is 0."""
    Value = ns["Value"]
    calls = []

    def correct(a, b):
        calls.append(type(a).__name__)
        return (a * b + a.tanh()) * (b * c).exp()

    def detached(a, b):
        calls.append(type(a).__name__)
        return a * b + Value(a.data * c) * b

    def flat(a, b):
        calls.append(type(a).__name__)
        return a * 0.0 + Value(c)

    def tiny(a, b):
        calls.append(type(a).__name__)
        return a * (c * 1e-14) + Value(a.data * c * 1e-14) + b * 0.0

    def cancelled(a, b):
        calls.append(type(a).__name__)
        return a * b - Value(a.data * b.data)

    def frozen(a, b):
        calls.append(type(a).__name__)
        return Value(a.data * b.data * c) + b * 0.0

    def curved(a, b):
        calls.append(type(a).__name__)
        return (a * 3.0).exp() * b + Value(a.data * c) * b.tanh()

    f = {"correct": correct, "detached": detached, "flat": flat, "tiny": tiny,
         "cancelled": cancelled, "frozen": frozen, "curved": curved}[kind]
    if h is None:
        result = ns["max_relative_error"](f, list(xs))
    else:
        result = ns["max_relative_error"](f, list(xs), h)
    return [result, sorted(set(calls)), type(result).__name__]


# ---- reference computations, in the trusted process ----

def ref_sigmoid(x):
    out = Value(x).sigmoid()
    return out.data


# ---- sigmoid: value and local gradient (4 points) ----

@pytest.mark.group("sigmoid_value", weight=2)
def test_sigmoid_value_and_gradient(student, rng):
    """sigmoid(x) and its backward step match 1/(1+e^-x) and s(1-s) on random x"""
    xs = [0.0] + [rng.uniform(-30, 30) for _ in range(30)]
    upstream, start = rng.uniform(0.5, 3.0), rng.uniform(-2.0, 2.0)
    rows = student.probe(sigmoid_at, xs, upstream, start)
    checks.sequence(rows, len(xs), "rows of results")
    for x, (data, op, exact_prev, grad) in zip(xs, rows):
        s = ref_sigmoid(x)
        checks.close(data, s, "Value(x).sigmoid().data", f"x = {x!r}", rel=1e-12, abs_=0.0)
        checks.close(grad, start + s * (1 - s) * upstream, "x.grad after out._backward()",
                     f"x = {x!r}, x.grad starting at {start!r} and out.grad = {upstream!r} "
                     "(the rule must add s*(1-s)*out.grad to x.grad)")


@pytest.mark.group("sigmoid_value")
def test_sigmoid_records_its_graph(student, rng):
    """the sigmoid node records _op == 'sigmoid' and _prev == {x}"""
    rows = student.probe(sigmoid_at, [rng.uniform(-5, 5)], 1.0, 0.0)
    data, op, exact_prev, grad = rows[0]
    checks.equal(op, "sigmoid", "out._op")
    if exact_prev is not True:
        raise AssertionError("out._prev: expected a set holding exactly the input Value x")


@pytest.mark.group("sigmoid_value")
def test_sigmoid_full_backward(student, rng):
    """backward() from a sigmoid node gives x.grad = s(1-s)"""
    xs = [rng.uniform(-10, 10) for _ in range(10)]
    rows = student.probe(sigmoid_backward, xs)
    checks.sequence(rows, len(xs), "rows of results")
    for x, (data, grad) in zip(xs, rows):
        s = ref_sigmoid(x)
        checks.close(grad, s * (1 - s), "x.grad after sigmoid(x).backward()", f"x = {x!r}")


# ---- sigmoid: numerical stability (2 points) ----

@pytest.mark.group("sigmoid_stability")
def test_sigmoid_extreme_inputs(student, rng):
    """sigmoid and its backward pass never raise, for every finite float"""
    xs = EXTREMES + [rng.choice([-1, 1]) * 10 ** rng.uniform(2.5, 300) for _ in range(10)]
    rows = student.probe(sigmoid_backward, xs)
    checks.sequence(rows, len(xs), "rows of results")
    for x, (data, grad) in zip(xs, rows):
        checks.close(data, ref_sigmoid(x), "Value(x).sigmoid().data", f"x = {x!r}",
                     rel=0.0, abs_=1e-15)
        g = checks.number(grad, "x.grad", f"x = {x!r}")
        if not 0.0 <= g <= 0.25:
            raise AssertionError(f"x.grad for x = {x!r}: the derivative of sigmoid lies in "
                                 f"[0, 0.25], got {g!r}")


@pytest.mark.group("sigmoid_stability")
def test_sigmoid_beyond_thirty(student, rng):
    """sigmoid is accurate to 1e-15 for 30 < |x| < 700"""
    xs = [rng.choice([-1, 1]) * rng.uniform(30, 700) for _ in range(20)]
    rows = student.probe(sigmoid_backward, xs)
    checks.sequence(rows, len(xs), "rows of results")
    for x, (data, grad) in zip(xs, rows):
        checks.close(data, ref_sigmoid(x), "Value(x).sigmoid().data", f"x = {x!r}",
                     rel=0.0, abs_=1e-15)
        s = ref_sigmoid(x)
        checks.close(grad, s * (1 - s), "x.grad", f"x = {x!r}")


# ---- sigmoid inside larger graphs (2 points) ----

@pytest.mark.group("sigmoid_in_graphs")
def test_sigmoid_in_larger_graphs(student, rng):
    """gradients through graphs that reuse sigmoid nodes and mix them with other operations"""
    for _ in range(3):
        x, a, b = rng.uniform(-3, 3), rng.uniform(-2, 2), rng.uniform(-2, 2)
        got = student.probe(sigmoid_graphs, x, a, b)
        expected = sigmoid_graphs({"Value": Value}, x, a, b)
        checks.sequence(got, len(expected), "results")
        names = ["s*s + s with s = x.sigmoid()",
                 "(x*a).sigmoid()*x + (x+b).sigmoid() - x.sigmoid().sigmoid()",
                 "(x*w).sigmoid()*(x-w).tanh() + (w.sigmoid()+x).exp()"]
        for name, g, e in zip(names, got, expected):
            checks.all_close(g, e, f"[value, gradients] of {name}", f"x = {x!r}, a = w = {a!r}, b = {b!r}")


# ---- numerical_gradient (2 points) ----

@pytest.mark.group("numerical_gradient", weight=2)
def test_numerical_gradient_central_formula(student, rng):
    """numerical_gradient is the central difference (f(x+h) - f(x-h)) / 2h at the given h"""
    steps = [None, None, None, 10 ** rng.uniform(-5, -3), 10 ** rng.uniform(-5, -3)]
    for h in steps:
        n = rng.randint(1, 5)
        xs = [rng.uniform(-2, 2) for _ in range(n)]
        coeffs = [rng.uniform(-3, 3) for _ in range(n + 1)]
        w = rng.uniform(150, 250)
        result, seen, unchanged, names = student.probe(numerical_gradient_of_wave, xs, coeffs,
                                                       w, h)
        expected = numerical_gradient_of_wave(
            {"numerical_gradient": gradcheck.numerical_gradient}, xs, coeffs, w, h)[0]
        where = f"xs = {xs}, h = {'the default (1e-6)' if h is None else h}"
        checks.all_close(checks.named(result, names), expected, "numerical_gradient(f, xs)", where)
        if seen != ["float"]:
            raise AssertionError(f"numerical_gradient must call f with floats only; f received {seen}")
        if unchanged is not True:
            raise AssertionError("numerical_gradient changed the list xs it was given (even if "
                                 "only while it called f): work on a copy")


@pytest.mark.group("numerical_gradient")
def test_numerical_gradient_no_inputs(student, rng):
    """numerical_gradient of a function of no inputs is []"""
    result, seen, unchanged, names = student.probe(numerical_gradient_of_wave, [], [1.0], 1.0,
                                                   None)
    checks.equal(result, [], "numerical_gradient(f, [])")


# ---- max_relative_error (2 points) ----

MRE_CASES = {"detached": "a function whose gradient misses a term",
             "flat": "a function whose gradients are all 0",
             "tiny": "a function whose gradients are far below 1e-12",
             "cancelled": "a function whose gradient misses everything (numerically 0)",
             "frozen": "a function whose gradient is 0 (numerically not)",
             "curved": "a curved function whose gradient misses a term"}


@pytest.mark.group("max_relative_error")
def test_max_relative_error(student, rng):
    """max_relative_error finds a wrong gradient, is 0.0 where both gradients are 0, and
    divides by at least 1e-12"""
    c = rng.uniform(0.5, 2.0)
    xs = [rng.uniform(0.5, 2.0), rng.uniform(-2.0, -0.5)]
    cases = [("detached", None), ("flat", None), ("tiny", None), ("cancelled", None),
             ("frozen", None), ("curved", None),
             ("curved", 10 ** rng.uniform(-4, -3))]
    for kind, h in cases:
        got, calls, name = student.probe(max_relative_error_of, xs, kind, c, h)
        expected = max_relative_error_of({"Value": Value, "max_relative_error":
                                          gradcheck.max_relative_error}, xs, kind, c, h)[0]
        checks.close(checks.named(got, name), expected, f"max_relative_error on {MRE_CASES[kind]}",
                     f"xs = {xs}, h = {'the default (1e-6)' if h is None else h}")
        if calls != ["Value"]:
            raise AssertionError(f"max_relative_error must call f with Values; f received {calls}")


@pytest.mark.group("max_relative_error")
def test_max_relative_error_of_correct_gradient(student, rng):
    """max_relative_error of a correct gradient is tiny"""
    # Inputs where both partials stay above 0.5 and the curvature is mild: the
    # central difference is then within 1e-9 of the gradient and a one-sided one
    # within 3e-7, so the verdict never hangs on the draw (near a zero of the
    # gradient even a correct checker reports a large relative error).
    c = rng.uniform(0.1, 0.5)
    xs = [rng.uniform(0.5, 1.5), rng.uniform(0.5, 1.5)]
    got, calls, name = student.probe(max_relative_error_of, xs, "correct", c)
    value = checks.number(checks.named(got, name), "max_relative_error", f"xs = {xs}")
    if not 0.0 <= value < 1e-6:
        raise AssertionError(f"max_relative_error of a correct gradient at xs = {xs}: "
                             f"expected a value in [0, 1e-6), got {value!r}")
