"""The reverse-mode `Value` of solutions/engine.py: every operation's value and gradient,
graphs that reuse nodes, deep graphs, repeated backward, errors and the node contract."""
import decimal
import gc
import math
import sys

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from solutions.engine import Value

from . import strategies as S
from .checks import assert_close, assert_matches_differences


def backprop(build, xs):
    """(value, [d out / d x_i]) of ``build(*Values)`` at xs, by backward()."""
    leaves = [Value(x) for x in xs]
    out = build(*leaves)
    assert isinstance(out, Value), f"{build.__doc__} at {xs}: got {out!r}, expected a Value"
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def check(build, xs, value, grads):
    """Value and gradient against the analytic ones, and the gradient against differences."""
    what = build.__doc__ or "f"
    got_value, got_grads = backprop(build, xs)
    assert_close(got_value, value, f"{what}: value", xs)
    for i, (g, e) in enumerate(zip(got_grads, grads)):
        assert_close(g, e, f"{what}: d/dx{i}", xs)
    assert_matches_differences(got_grads, lambda *p: build(*map(Value, p)).data, xs, what)


def fn(doc, f):
    """f with a docstring naming it in failure messages."""
    f.__doc__ = doc
    return f


def sig(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


# ---- primitives and unary composites ----

UNARY = {
    # name: (build, value, derivative, domain)
    "relu": (lambda v: v.relu(), lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0, S.off_kink),
    "exp": (lambda v: v.exp(), math.exp, math.exp, S.small),
    "log": (lambda v: v.log(), math.log, lambda x: 1 / x, S.positive),
    "tanh": (lambda v: v.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2, S.small),
    "sigmoid": (lambda v: v.sigmoid(), sig, lambda x: sig(x) * (1 - sig(x)), S.small),
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, S.small),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_value_and_gradient(name, data):
    build, value, derivative, domain = UNARY[name]
    x = data.draw(domain, label="x")
    check(fn(name, build), [x], value(x), [derivative(x)])


@given(x=S.nonzero, p=S.int_exponents)
def test_pow_int_exponent(x, p):
    check(fn(f"x ** {p}", lambda v: v ** p), [x], x ** p, [p * x ** (p - 1)])


@given(x=S.floats(0.2, 4.0), p=S.float_exponents)
def test_pow_float_exponent(x, p):
    check(fn(f"x ** {p}", lambda v: v ** p), [x], x ** p, [p * x ** (p - 1)])


def test_relu_at_zero_passes_no_gradient():
    x = Value(0.0)
    out = x.relu()
    out.backward()
    assert (out.data, x.grad) == (0.0, 0.0), f"relu at 0: got value {out.data!r}, grad {x.grad!r}; expected 0.0, 0.0"


# ---- binary operations between Values ----

BINARY = {
    # name: (build, value, gradient, domain of y)
    "x + y": (lambda a, b: a + b, lambda x, y: x + y, lambda x, y: [1.0, 1.0], S.small),
    "x * y": (lambda a, b: a * b, lambda x, y: x * y, lambda x, y: [y, x], S.small),
    "x - y": (lambda a, b: a - b, lambda x, y: x - y, lambda x, y: [1.0, -1.0], S.small),
    "x / y": (lambda a, b: a / b, lambda x, y: x / y, lambda x, y: [1 / y, -x / y ** 2], S.nonzero),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_value_and_gradient(name, data):
    build, value, grads, y_domain = BINARY[name]
    x, y = data.draw(S.small, label="x"), data.draw(y_domain, label="y")
    check(fn(name, build), [x, y], value(x, y), grads(x, y))


# ---- operations with a constant on either side (reflected operators) ----

WITH_CONSTANT = {
    # name: (build(v, c), value(x, c), derivative(x, c), constant must be nonzero, x nonzero)
    "x + c": (lambda v, c: v + c, lambda x, c: x + c, lambda x, c: 1.0, False, False),
    "c + x": (lambda v, c: c + v, lambda x, c: c + x, lambda x, c: 1.0, False, False),
    "x * c": (lambda v, c: v * c, lambda x, c: x * c, lambda x, c: c, False, False),
    "c * x": (lambda v, c: c * v, lambda x, c: c * x, lambda x, c: c, False, False),
    "x - c": (lambda v, c: v - c, lambda x, c: x - c, lambda x, c: 1.0, False, False),
    "c - x": (lambda v, c: c - v, lambda x, c: c - x, lambda x, c: -1.0, False, False),
    "x / c": (lambda v, c: v / c, lambda x, c: x / c, lambda x, c: 1 / c, True, False),
    "c / x": (lambda v, c: c / v, lambda x, c: c / x, lambda x, c: -c / x ** 2, False, True),
}


@pytest.mark.parametrize("ctype", [int, float], ids=["int", "float"])
@pytest.mark.parametrize("name", list(WITH_CONSTANT))
@given(data=st.data())
def test_operation_with_constant(name, ctype, data):
    build, value, derivative, c_nonzero, x_nonzero = WITH_CONSTANT[name]
    c = data.draw((S.nonzero_constants_of_type if c_nonzero else S.constants_of_type)[ctype], label="c")
    x = data.draw(S.nonzero if x_nonzero else S.small, label="x")
    assert type(c) is ctype
    check(fn(f"{name} with c = {c!r}", lambda v: build(v, c)), [x], value(x, c), [derivative(x, c)])


# ---- graphs that reuse a node: gradients must accumulate ----

REUSE = {
    "x * x": (lambda x: x * x, lambda x: x * x, lambda x: [2 * x]),
    "x + x": (lambda x: x + x, lambda x: 2 * x, lambda x: [2.0]),
    "x * x * x": (lambda x: x * x * x, lambda x: x ** 3, lambda x: [3 * x * x]),
    "x - x * 0.5 + x": (lambda x: x - x * 0.5 + x, lambda x: 1.5 * x, lambda x: [1.5]),
    "s = sigmoid(x); s * s + s":
        (lambda x: (lambda s: s * s + s)(x.sigmoid()), lambda x: sig(x) ** 2 + sig(x),
         lambda x: [(2 * sig(x) + 1) * sig(x) * (1 - sig(x))]),
    "sigmoid(x) * x": (lambda x: x.sigmoid() * x, lambda x: sig(x) * x,
                       lambda x: [sig(x) * (1 - sig(x)) * x + sig(x)]),
}


@pytest.mark.parametrize("name", list(REUSE))
@given(x=S.small)
def test_reused_node(name, x):
    build, value, grads = REUSE[name]
    check(fn(name, build), [x], value(x), grads(x))


@given(x=S.small, y=S.small)
def test_sum_times_tanh_reuses_x(x, y):
    t = math.tanh(x)
    check(fn("(x + y) * tanh(x)", lambda a, b: (a + b) * a.tanh()), [x, y],
          (x + y) * t, [t + (x + y) * (1 - t * t), t])


@given(x=S.small, y=S.small, z=S.floats(0.5, 2.0))
def test_composite_of_every_primitive(x, y, z):
    def f(a, b, c):
        """relu(x) * exp(y) / c + log(c) - tanh(x * y) ** 2 + 3 - sigmoid(y) / 2"""
        return (a.relu() * b.exp() / c + c.log() - (a * b).tanh() ** 2 + 3 - b.sigmoid() / 2)
    t = math.tanh(x * y)
    relu, drelu = max(x, 0.0), (1.0 if x > 0 else 0.0)
    value = relu * math.exp(y) / z + math.log(z) - t * t + 3 - sig(y) / 2
    grads = [drelu * math.exp(y) / z - 2 * t * (1 - t * t) * y,
             relu * math.exp(y) / z - 2 * t * (1 - t * t) * x - sig(y) * (1 - sig(y)) / 2,
             -relu * math.exp(y) / z ** 2 + 1 / z]
    if abs(x) > 1e-3:
        check(f, [x, y, z], value, grads)
    else:  # relu's kink: compare with the analytic gradient only
        got_value, got_grads = backprop(f, [x, y, z])
        assert_close(got_value, value, f.__doc__, [x, y, z])
        for i in range(3):
            assert_close(got_grads[i], grads[i], f"{f.__doc__}: d/dx{i}", [x, y, z])


# ---- deep graphs and repeated backward ----

def test_chain_of_200000_operations_needs_no_recursion():
    limit = sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001 + 0.25
    try:
        y.backward()
    except RecursionError as e:  # pragma: no cover - the failure being tested for
        pytest.fail(f"backward() on a chain of 200000 operations raised RecursionError: {e}")
    expected = 1.0
    for _ in range(100_000):
        expected *= 1.0000001
    assert sys.getrecursionlimit() == limit, (
        f"the recursion limit changed from {limit} to {sys.getrecursionlimit()}")
    assert_close(x.grad, expected, "d/dx of 100000 x (y * 1.0000001 + 0.25)", "x = 0.5")


NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]  # shrinking a 2000-node graph is slow


def deep_graph(x, w):
    """u = x * w, then 500 layers y <- tanh(y * u) + 0.01 * u - 0.001 * y, then (relu(y) + sigmoid(y)) * u"""
    u = x * w
    y = u
    for _ in range(500):
        y = (y * u).tanh() + u * 0.01 - y * 0.001
    return (y.relu() + y.sigmoid()) * u


@given(x=S.floats(0.1, 1.0), w=S.floats(0.5, 1.5))
@settings(max_examples=10, deadline=None, phases=NO_SHRINK)
def test_backward_twice_accumulates_exactly_twice(x, w):
    # Every interior node is reused hundreds of times and x, w enter the graph once each, so
    # the second call must add exactly what the first did: x.grad, w.grad double exactly.
    xv, wv = Value(x), Value(w)
    out = deep_graph(xv, wv)
    out.backward()
    once = (xv.grad, wv.grad, out.grad)
    out.backward()
    twice = (xv.grad, wv.grad, out.grad)
    expected = (2 * once[0], 2 * once[1], 1.0)
    assert twice == expected, (
        f"(x.grad, w.grad, out.grad) of {deep_graph.__doc__} at x={x!r}, w={w!r}: after two "
        f"backward() calls got {twice}, expected twice the leaves' first {once[:2]} and the "
        "output's own grad 1.0")
    assert_matches_differences([once[0], once[1]],
                               lambda a, b: deep_graph(Value(a), Value(b)).data, [x, w],
                               deep_graph.__doc__)


@given(x=S.floats(0.1, 1.0))
@settings(max_examples=20)
def test_backward_twice_with_a_leaf_used_many_times(x):
    # A leaf that receives many contributions gets them again one by one, added to what it
    # already holds: twice the first call's gradient up to rounding (PyTorch would sum a
    # call's contributions first and be exact).
    xv = Value(x)
    y = xv
    for _ in range(100):
        y = (y * xv).tanh() + xv * 0.5
    y.backward()
    once = xv.grad
    y.backward()
    assert_close(xv.grad, 2 * once, "x.grad after two backward() calls", x, rel=1e-12, abs_tol=0.0)


def test_backward_of_a_leaf_accumulates_one_per_call():
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0, f"x.backward() twice on a leaf: got x.grad = {x.grad!r}, expected 2.0"


def test_backward_accumulates_into_existing_leaf_grads():
    x = Value(2.0)
    x.grad = 0.5
    (x * x).backward()
    assert x.grad == 4.5, f"x * x at x = 2 with x.grad = 0.5 beforehand: got {x.grad}, expected 4.5"


# ---- errors ----

def test_value_to_a_value_power_is_a_type_error():
    with pytest.raises(TypeError):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError):
        Value(2.0) ** "3"


@given(x=st.one_of(st.just(0.0), st.just(-0.0), S.floats(-1e6, -1e-300), st.integers(-100, 0)))
def test_log_outside_its_domain_is_a_value_error_naming_the_value(x):
    with pytest.raises(ValueError) as info:
        Value(x).log()
    assert repr(float(x)) in str(info.value), (
        f"log({x!r}): the message {str(info.value)!r} should name the value {float(x)!r}")


@pytest.mark.parametrize("base", [-8, -8.0, -0.5])
@pytest.mark.parametrize("exponent", [0.5, 1 / 3, -1.5])
def test_negative_base_fractional_exponent_is_a_value_error(base, exponent):
    with pytest.raises(ValueError):
        Value(base) ** exponent


def test_zero_to_a_negative_power_is_a_value_error():
    with pytest.raises(ValueError):
        Value(0.0) ** -1


def test_exp_overflow_says_so():
    with pytest.raises(OverflowError, match="exp"):
        Value(1000.0).exp()


@pytest.mark.parametrize("data", ["a", None, [1.0], 1j, {"x": 1}], ids=repr)
def test_value_of_a_non_number_is_a_type_error(data):
    with pytest.raises(TypeError):
        Value(data)


@given(x=st.one_of(st.integers(-10**6, 10**6), S.any_finite))
def test_value_stores_a_float(x):
    v = Value(x)
    assert type(v.data) is float and v.data == x and v.grad == 0.0, (
        f"Value({x!r}): got data {v.data!r} ({type(v.data).__name__}), grad {v.grad!r}; "
        f"expected float data {float(x)!r} and grad 0.0")


# ---- the node contract: _op and _prev ----

NODE_CONTRACT = {
    "+": lambda x, y: x + y,
    "*": lambda x, y: x * y,
    "**": lambda x, y: x ** 3,
    "relu": lambda x, y: x.relu(),
    "exp": lambda x, y: x.exp(),
    "log": lambda x, y: x.log(),
    "tanh": lambda x, y: x.tanh(),
    "sigmoid": lambda x, y: x.sigmoid(),
}


@pytest.mark.parametrize("op", list(NODE_CONTRACT))
def test_op_and_prev(op):
    x, y = Value(1.5), Value(-0.5)
    out = NODE_CONTRACT[op](x, y)
    expected_prev = {x, y} if op in ("+", "*") else {x}
    assert out._op == op, f"_op of {op}: got {out._op!r}, expected {op!r}"
    assert out._prev == expected_prev, f"_prev of {op}: got {out._prev!r}, expected {expected_prev!r}"


def test_leaf_has_no_op_and_no_inputs():
    x = Value(1.0)
    assert x._op == "" and len(x._prev) == 0, f"a leaf: got _op {x._op!r}, _prev {x._prev!r}"


def test_a_reused_input_is_one_input_of_the_set():
    x = Value(2.0)
    out = x * x
    assert out._prev == {x} and len(out._prev) == 1, f"_prev of x * x: got {out._prev!r}"


def test_an_operation_node_costs_the_collector_four_objects():
    """The engine's speed rests on this: the collector's full passes during a training step
    are driven by how many objects it tracks per node (a closure over self, other and out
    would cost seven: the node, a set, the function, its cell tuple and three cells)."""
    gc.collect()
    gc.disable()
    try:
        x = Value(0.5)
        before = len(gc.get_objects())
        y = x
        for _ in range(2000):
            y = y * x
        per_node = (len(gc.get_objects()) - before) / 2000
    finally:
        gc.enable()
    assert per_node <= 4.0, f"objects the collector tracks per * node: {per_node}, expected at most 4"


# ---- sigmoid (exercise 28.1) ----

def exact_sigmoid(x):
    """1 / (1 + e^-x) computed with 60 significant digits, then rounded to a float."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        d = decimal.Decimal(x)  # exact: every float is a finite decimal
        if d >= 0:
            s = 1 / (1 + (-d).exp())
        else:
            e = d.exp()
            s = e / (1 + e)
        return float(s)


def sigmoid_and_derivative(x):
    v = Value(x)
    out = v.sigmoid()
    out.backward()
    return out.data, v.grad


def test_sigmoid_is_one_half_at_zero():
    for zero in (0.0, -0.0, 0):
        s, ds = sigmoid_and_derivative(zero)
        assert (s, ds) == (0.5, 0.25), f"sigmoid at {zero!r}: got {s!r}, derivative {ds!r}; expected 0.5, 0.25"


@given(x=S.floats(-30.0, 30.0))
def test_sigmoid_within_1e_12_of_exact_for_moderate_x(x):
    assert_close(Value(x).sigmoid().data, exact_sigmoid(x), "sigmoid", x, rel=1e-12, abs_tol=0.0)


@given(x=st.one_of(S.floats(30.0, 1e308), S.floats(-1e308, -30.0), S.floats(30.0, 800.0),
                   S.floats(-800.0, -30.0)))
def test_sigmoid_within_1e_15_absolute_beyond_30(x):
    assert_close(Value(x).sigmoid().data, exact_sigmoid(x), "sigmoid", x, rel=0.0, abs_tol=1e-15)


EXTREMES = [-1000.0, 1000.0, 1e300, -1e300, sys.float_info.max, -sys.float_info.max, 710.0, -710.0,
            -745.0, 5e-324, -5e-324]


@pytest.mark.parametrize("x", EXTREMES, ids=repr)
def test_sigmoid_is_stable_forward_and_backward(x):
    try:
        s, ds = sigmoid_and_derivative(x)
    except (OverflowError, ZeroDivisionError, ValueError) as e:
        pytest.fail(f"sigmoid({x!r}) raised {type(e).__name__}: {e}")
    assert 0.0 <= s <= 1.0 and 0.0 <= ds <= 0.25, (
        f"sigmoid({x!r}): got value {s!r}, derivative {ds!r}; expected them in [0, 1] and [0, 0.25]")
    assert_close(s, exact_sigmoid(x), "sigmoid", x, rel=1e-12, abs_tol=1e-15)


@given(x=S.any_finite)
def test_sigmoid_derivative_between_0_and_one_quarter(x):
    s, ds = sigmoid_and_derivative(x)
    assert 0.0 <= s <= 1.0, f"sigmoid({x!r}) = {s!r}, expected a value in [0, 1]"
    assert 0.0 <= ds <= 0.25, f"sigmoid'({x!r}) = {ds!r}, expected a value in [0, 0.25]"
    assert_close(ds, s * (1 - s), "sigmoid'", x, rel=1e-12, abs_tol=0.0)


@given(x=S.any_finite)
def test_sigmoid_is_symmetric(x):
    s, s_minus = Value(x).sigmoid().data, Value(-x).sigmoid().data
    assert abs(s_minus - (1 - s)) <= 1e-15, (
        f"sigmoid(-x) against 1 - sigmoid(x) at x = {x!r}: got {s_minus!r}, expected {1 - s!r}")


@given(x=S.small)
def test_sigmoid_backward_accumulates_when_its_input_is_reused(x):
    # x feeds both the sigmoid and the sum: an assigning rule would lose the 1.
    check(fn("sigmoid(x) + x", lambda v: v.sigmoid() + v), [x], sig(x) + x,
          [sig(x) * (1 - sig(x)) + 1])
    check(fn("sigmoid(x) + sigmoid(x)", lambda v: v.sigmoid() + v.sigmoid()), [x], 2 * sig(x),
          [2 * sig(x) * (1 - sig(x))])
    check(fn("(x * 2).sigmoid() * x.sigmoid()", lambda v: (v * 2).sigmoid() * v.sigmoid()), [x],
          sig(2 * x) * sig(x),
          [2 * sig(2 * x) * (1 - sig(2 * x)) * sig(x) + sig(2 * x) * sig(x) * (1 - sig(x))])
