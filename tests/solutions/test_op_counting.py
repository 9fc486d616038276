"""solutions/op_counting.py: OpCounter's counting model and the cheap gradient ratios."""
import math
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from solutions.engine import Value
from solutions.mlp import MLP
from solutions.op_counting import OpCounter, cheap_gradient_ratios

from . import strategies as S
from .checks import assert_all_close

# ---- hand-made graphs: (forward, backward, visited) stated in EXERCISES.md's counting model ----

HAND_MADE = {
    # name: (build(x, y) -> Value, (forward, backward, visited))
    "x + y": (lambda x, y: x + y, (1, 2, 3)),
    "x * y": (lambda x, y: x * y, (1, 2, 3)),
    "x ** 3": (lambda x, y: x ** 3, (1, 1, 2)),
    "relu(x)": (lambda x, y: x.relu(), (1, 1, 2)),
    "relu(-x) (a zero contribution)": (lambda x, y: (x * -1).relu(), (2, 3, 4)),
    "exp(x)": (lambda x, y: x.exp(), (1, 1, 2)),
    "log(x)": (lambda x, y: x.log(), (1, 1, 2)),
    "tanh(x)": (lambda x, y: x.tanh(), (1, 1, 2)),
    "sigmoid(x)": (lambda x, y: x.sigmoid(), (1, 1, 2)),
    "-x": (lambda x, y: -x, (1, 2, 3)),               # x * -1: the constant is a node
    "x - y": (lambda x, y: x - y, (2, 4, 5)),          # x + (y * -1)
    "x - 2": (lambda x, y: x - 2, (1, 2, 3)),          # x + (-2)
    "2 - x": (lambda x, y: 2 - x, (2, 4, 5)),          # (x * -1) + 2
    "x / y": (lambda x, y: x / y, (2, 3, 4)),          # x * y ** -1
    "x / 2": (lambda x, y: x / 2, (1, 2, 3)),          # x * 0.5
    "2 / x": (lambda x, y: 2 / x, (2, 3, 4)),          # (x ** -1) * 2
    "2 + x": (lambda x, y: 2 + x, (1, 2, 3)),
    "2 * x": (lambda x, y: 2 * x, (1, 2, 3)),
    "x * x (reuse)": (lambda x, y: x * x, (1, 2, 2)),
    "x + x + x": (lambda x, y: x + x + x, (2, 4, 3)),
    "(x + y) * x.tanh()": (lambda x, y: (x + y) * x.tanh(), (3, 5, 5)),
    "x (a leaf)": (lambda x, y: x, (0, 0, 1)),
}


@pytest.mark.parametrize("name", list(HAND_MADE))
def test_hand_made_graph(name):
    build, expected = HAND_MADE[name]
    x, y = Value(1.5), Value(-0.5)
    with OpCounter() as ops:
        out = build(x, y)
        out.backward()
    got = (ops.forward, ops.backward, ops.visited)
    assert all(type(v) is int for v in got), f"{name}: counts {got!r} should be ints"
    assert got == expected, f"{name}: got (forward, backward, visited) = {got}, expected {expected}"


def test_making_leaves_counts_nothing():
    with OpCounter() as ops:
        Value(1.0), Value(2), Value(-3.5)
    assert (ops.forward, ops.backward, ops.visited) == (0, 0, 0)


def test_counts_only_inside_the_block():
    x, y = Value(0.5), Value(2.0)
    out = (x * y).tanh() + x          # built outside: not counted
    with OpCounter() as ops:
        out.backward()                # counted: 3 primitives' rules
    out2 = (x * y).exp()              # after the block: not counted
    out2.backward()
    got = (ops.forward, ops.backward, ops.visited)
    assert got == (0, 5, 5), f"backward inside, forward outside: got {got}, expected (0, 5, 5)"


def test_each_backward_call_counts():
    x = Value(0.5)
    with OpCounter() as ops:
        out = x * x + 1
        out.backward()
        out.backward()
    got = (ops.forward, ops.backward, ops.visited)
    assert got == (2, 8, 8), f"x * x + 1 with two backward() calls: got {got}, expected (2, 8, 8)"


COUNTED_NAMES = ("__add__", "__mul__", "__pow__", "relu", "exp", "log", "tanh", "sigmoid",
                 "backward", "__sub__", "__truediv__", "__neg__", "__radd__", "__rmul__",
                 "__rsub__", "__rtruediv__", "topological_order")


def class_attributes():
    return {name: Value.__dict__.get(name) for name in COUNTED_NAMES}


def test_originals_restored_after_the_block():
    before = class_attributes()
    with OpCounter() as ops:
        (Value(1.0) * 2).backward()
    assert class_attributes() == before, "Value's methods differ after the with-block"
    (Value(1.0) * 2).backward()
    assert (ops.forward, ops.backward, ops.visited) == (1, 2, 3)


def test_originals_restored_after_an_exception():
    before = class_attributes()
    with pytest.raises(ZeroDivisionError):
        with OpCounter() as ops:
            Value(1.0) + 1
            1 / 0
    assert class_attributes() == before, "Value's methods differ after an exception in the with-block"
    Value(1.0) + 1
    assert ops.forward == 1, f"after the block: got forward {ops.forward}, expected 1"
    with pytest.raises(ValueError):
        with OpCounter():
            Value(-1.0).log()
    assert class_attributes() == before


# ---- random expression graphs against an independent count ----
#
# `build` evaluates a tree (see strategies.expression_trees) with Values and, independently of
# OpCounter, tallies what the counting model says each operation costs: the primitives it runs
# (forward), the gradient contributions those primitives pass back (backward: 2 for + and *,
# 1 otherwise) and the nodes it creates (constants wrapped into Values included).  `plain`
# evaluates the same tree with floats, rejecting trees outside every operation's domain.

# op: (forward primitives, backward contributions, nodes created)
COST = {
    "neg": (1, 2, 2), "relu": (1, 1, 1), "exp": (1, 1, 1), "tanh": (1, 1, 1), "sigmoid": (1, 1, 1),
    "log": (3, 5, 4),   # log(t * t + 1): *, + with a constant, log
    "pow": (1, 1, 1),
    "add": (1, 2, 1), "mul": (1, 2, 1),
    "sub": (2, 4, 3),   # l + (r * -1)
    "div": (2, 3, 2),   # l * r ** -1
    "add_c": (1, 2, 2), "radd": (1, 2, 2), "mul_c": (1, 2, 2), "rmul": (1, 2, 2),
    "sub_c": (1, 2, 2),  # t + (-c)
    "rsub": (2, 4, 4),   # (t * -1) + c
    "div_c": (1, 2, 2),  # t * (c ** -1), a float
    "rdiv": (2, 3, 3),   # (t ** -1) * c
}

VALUE_OPS = {
    "neg": lambda t: -t, "relu": lambda t: t.relu(), "exp": lambda t: t.exp(),
    "tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(), "log": lambda t: (t * t + 1).log(),
    "pow": lambda t, p: t ** p,
    "add": lambda l, r: l + r, "mul": lambda l, r: l * r, "sub": lambda l, r: l - r, "div": lambda l, r: l / r,
    "add_c": lambda t, c: t + c, "radd": lambda t, c: c + t, "mul_c": lambda t, c: t * c,
    "rmul": lambda t, c: c * t, "sub_c": lambda t, c: t - c, "rsub": lambda t, c: c - t,
    "div_c": lambda t, c: t / c, "rdiv": lambda t, c: c / t,
}


def sig(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


FLOAT_OPS = {
    "neg": lambda t: -t, "relu": lambda t: max(t, 0.0), "exp": math.exp, "tanh": math.tanh,
    "sigmoid": sig, "log": lambda t: math.log(t * t + 1),
    "pow": lambda t, p: t ** p,
    "add": lambda l, r: l + r, "mul": lambda l, r: l * r, "sub": lambda l, r: l - r, "div": lambda l, r: l / r,
    "add_c": lambda t, c: t + c, "radd": lambda t, c: c + t, "mul_c": lambda t, c: t * c,
    "rmul": lambda t, c: c * t, "sub_c": lambda t, c: t - c, "rsub": lambda t, c: c - t,
    "div_c": lambda t, c: t / c, "rdiv": lambda t, c: c / t,
}


def plain(tree, xs):
    """The tree's value with floats; None when an operation leaves its domain or values explode."""
    op = tree[0]
    if op == "var":
        return float(xs[tree[1]])
    left = plain(tree[1], xs)
    if left is None:
        return None
    try:
        if op in S.BINARY_TREE_OPS:
            right = plain(tree[2], xs)
            if right is None:
                return None
            v = FLOAT_OPS[op](left, right)
        elif len(tree) == 3:
            if op == "pow" and left == 0 and tree[2] < 1:
                return None  # d/dt t ** p is infinite at 0 (backward raises ZeroDivisionError)
            v = FLOAT_OPS[op](left, tree[2])
        else:
            v = FLOAT_OPS[op](left)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if isinstance(v, complex) or not math.isfinite(v) or abs(v) > 1e6 or (v != 0 and abs(v) < 1e-6):
        return None
    return v


class Tally:
    def __init__(self):
        self.forward = self.backward = self.nodes = 0
        self.leaves = set()

    def add(self, op):
        f, b, n = COST[op]
        self.forward += f
        self.backward += b
        self.nodes += n


def build(tree, leaves, tally):
    op = tree[0]
    if op == "var":
        tally.leaves.add(tree[1])
        return leaves[tree[1]]
    tally.add(op)
    left = build(tree[1], leaves, tally)
    if op in S.BINARY_TREE_OPS:
        return VALUE_OPS[op](left, build(tree[2], leaves, tally))
    if len(tree) == 3:
        return VALUE_OPS[op](left, tree[2])
    return VALUE_OPS[op](left)


def traverse(out):
    """Every node reachable from ``out`` through _prev (a plain iterative search of my own)."""
    nodes, todo = {}, [out]
    while todo:
        node = todo.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            todo.extend(node._prev)
    return list(nodes.values())


@given(tree=S.expression_trees, xs=S.tree_inputs)
@settings(max_examples=150, deadline=None)
def test_random_expression_graph(tree, xs):
    expected_value = plain(tree, xs)
    assume(expected_value is not None)
    leaves = [Value(x) for x in xs]
    tally = Tally()
    with OpCounter() as ops:
        out = build(tree, leaves, tally)
        out.backward()
    visited = tally.nodes + len(tally.leaves)
    expected = (tally.forward, tally.backward, visited)
    got = (ops.forward, ops.backward, ops.visited)
    assert got == expected, (
        f"tree {tree} at {xs}: got (forward, backward, visited) = {got}, expected {expected}")
    # A second, structural count: the nodes reachable through _prev and their rules' arity.
    nodes = traverse(out)
    by_traversal = (sum(2 if n._op in ("+", "*") else 1 for n in nodes if n._op), len(nodes))
    assert by_traversal == expected[1:], (
        f"tree {tree} at {xs}: traversing _prev gives (backward, visited) = {by_traversal}, "
        f"the tally {expected[1:]}")
    assert math.isclose(out.data, expected_value, rel_tol=1e-9, abs_tol=1e-12), (
        f"tree {tree} at {xs}: got value {out.data!r}, expected {expected_value!r}")


# ---- cheap gradient ratios ----

def expected_ratio(h):
    """Forward and backward counts of one XOR training step of MLP(2, [h, h, 1]), by hand.

    A neuron with k inputs runs k products and k sums (starting from its bias) and its
    activation (tanh on hidden layers, none on the last): 2k + 1 or 2k primitives; backward,
    4k + 1 or 4k contributions.  Per sample: 2h^2 + 8h primitives, 4h^2 + 14h contributions;
    the loss adds (out - y) ** 2 to the running sum: 3 primitives, 5 contributions; the final
    * 1/4 adds 1 and 2.
    """
    forward = 4 * (2 * h * h + 8 * h + 3) + 1
    backward = 4 * (4 * h * h + 14 * h + 5) + 2
    return backward / forward


@given(hidden=st.lists(st.integers(1, 12), min_size=1, max_size=4), seed=st.integers(0, 100))
@settings(max_examples=15, deadline=None)
def test_cheap_gradient_ratios_equal_a_hand_count(hidden, seed):
    got = cheap_gradient_ratios(hidden, seed=seed)
    assert isinstance(got, list) and all(type(r) is float for r in got), f"got {got!r}"
    assert_all_close(got, [expected_ratio(h) for h in hidden], "cheap_gradient_ratios", {"hidden": hidden, "seed": seed})


def test_cheap_gradient_ratios_rise_towards_two():
    hidden = [1, 2, 4, 8, 16, 32]
    got = cheap_gradient_ratios(hidden)
    assert all(1.0 < r < 3.0 for r in got), f"ratios for {hidden}: {got}, expected each in (1, 3)"
    assert all(a < b for a, b in zip(got, got[1:])), f"ratios for {hidden}: {got}, expected increasing"
    assert all(abs(2 - b) < abs(2 - a) for a, b in zip(got, got[1:])) and abs(2 - got[-1]) < 0.05, (
        f"ratios for {hidden}: {got}, expected them to approach 2")


def test_cheap_gradient_ratio_by_traversal():
    """The ratio of one step recomputed from the loss graph itself, without OpCounter: every
    primitive of this step makes one node that the loss depends on."""
    h = 5
    random.seed(0)
    model = MLP(2, [h, h, 1])
    loss = Value(0.0)
    for x, y in zip([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0]):
        loss = loss + (model(x) - y) ** 2
    loss = loss * (1 / 4)
    nodes = traverse(loss)
    forward = sum(1 for n in nodes if n._op)
    backward = sum(2 if n._op in ("+", "*") else 1 for n in nodes if n._op)
    assert cheap_gradient_ratios([h]) == [backward / forward]
