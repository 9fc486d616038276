"""Hidden checks of exercise 28.3: the graph and the hand-derived backward pass of
f(x, y, z) = (x + y) * z + exp(x * z), nodes a = x + y, b = a * z, c = x * z,
d = exp(c), f = b + d.

Every verdict is made here, against `solutions.manual_backward`, on points drawn
when grading runs.  The adjoints are compared with the reference to 1e-9
relative, closer than finite differences get at the points drawn (one of them
has a small z, where df/dy = z is tiny next to f).
"""
import pytest

from autograder import checks
from autograder.errors import WrongType
from solutions import manual_backward as ref

NODES = ["x", "y", "z", "a", "b", "c", "d", "f"]
ADJOINTS = ["f", "d", "c", "b", "a", "x", "y", "z"]
DEFINITIONS = {"a": "x + y", "b": "a * z", "c": "x * z", "d": "exp(c)", "f": "b + d"}


# ---- probes: run beside the student's code, return plain data ----

def call_named(ns, name, args):
    """name(*args), and the type names of the result's values (for the messages)."""
    result = ns[name](*args)
    if type(result) is dict:
        return [result, {k: type(v).__name__ for k, v in result.items()}]
    return [result, type(result).__name__]


def backward_without_value(ns, points):
    """backward_pass at each point while the name Value is unavailable to the notebook;
    each result with the type names of its values."""
    space = ns._namespace
    missing = object()
    saved = space.get("Value", missing)

    def unavailable(*args, **kwargs):
        raise RuntimeError("backward_pass must not use Value: "
                           "derive each adjoint by hand from the local derivatives")

    space["Value"] = unavailable
    try:
        rows = []
        for point in points:
            result = ns["backward_pass"](*point)
            if type(result) is dict:
                rows.append([result, {k: type(v).__name__ for k, v in result.items()}])
            else:
                rows.append([result, type(result).__name__])
        return rows
    finally:
        if saved is missing:
            del space["Value"]
        else:
            space["Value"] = saved


def value_gradients_counting(ns, points):
    """value_gradients at each point (with the type names of its values), and how many
    times it ran Value.backward each time."""
    Value = ns["Value"]
    own = "backward" in Value.__dict__
    original = Value.backward
    count = [0]

    def backward(self, *args, **kwargs):
        count[0] += 1
        return original(self, *args, **kwargs)

    Value.backward = backward
    results, counts = [], []
    try:
        for point in points:
            before = count[0]
            result = ns["value_gradients"](*point)
            if type(result) is dict:
                results.append([result, {k: type(v).__name__ for k, v in result.items()}])
            else:
                results.append([result, type(result).__name__])
            counts.append(count[0] - before)
    finally:
        if own:
            Value.backward = original
        else:
            del Value.backward
    return [results, counts]


# ---- inputs ----

def nonzero(rng, lo, hi):
    return rng.choice([-1, 1]) * rng.uniform(lo, hi)


def draw_points(rng, k):
    """k points whose x, y, z (and |x|, |z|) lie apart, so swapped roles show; the last one
    has a small z."""
    points = []
    while len(points) < k - 1:
        x, y, z = nonzero(rng, 0.2, 2.5), nonzero(rng, 0.2, 2.5), nonzero(rng, 0.2, 2.0)
        if min(abs(x - y), abs(x - z), abs(y - z), abs(abs(x) - abs(z))) > 0.15:
            points.append([x, y, z])
    while len(points) < k:
        x, y = nonzero(rng, 0.2, 2.5), nonzero(rng, 0.2, 2.5)
        if abs(x - y) > 0.15:
            points.append([x, y, nonzero(rng, 2e-4, 2e-3)])
    return points


def where(point):
    x, y, z = point
    return f"x = {x!r}, y = {y!r}, z = {z!r}"


# ---- graph_edges (2 points) ----

@pytest.mark.group("graph_edges", weight=2)
def test_graph_edges(student, rng):
    """graph_edges() is the set of the 9 (input, node) pairs of the graph"""
    got = student.call("graph_edges")
    if type(got) is not set:
        raise WrongType(f"graph_edges(): expected a set (or frozenset) of (input, node) pairs, "
                        f"got {checks._show(got)}")
    for edge in got:
        if type(edge) is not tuple or len(edge) != 2 or not all(type(n) is str for n in edge):
            raise WrongType(f"graph_edges(): every edge should be a tuple of two node names "
                            f"such as ('x', 'a'), got {checks._show(edge)}")
    expected = ref.graph_edges()
    if got == expected:
        return
    problems = []
    unknown = sorted({n for edge in got for n in edge} - set(NODES))
    if unknown:
        problems.append(f"unknown node names {unknown} (the nodes are {', '.join(NODES)})")
    reversed_ = {e for e in got if (e[1], e[0]) in expected and e not in expected}
    if reversed_:
        problems.append(f"{sorted(reversed_)} point from a node to one of its inputs: "
                        "write each edge as (input, node)")
    for node, definition in DEFINITIONS.items():
        mine = {(e[1], e[0]) if e in reversed_ else e for e in got}
        mine = {e for e in mine if e[1] == node}
        if mine != {e for e in expected if e[1] == node}:
            problems.append(f"the edges into {node} = {definition} are not right")
    for node in ("x", "y", "z"):
        if any(e[1] == node and (e[1], e[0]) not in expected for e in got):
            problems.append(f"{node} is an input: no edge goes into it")
    raise AssertionError(f"graph_edges(): expected {len(expected)} edges, got {len(got)}; "
                         + "; ".join(problems))


# ---- forward_pass (2 points) ----

@pytest.mark.group("forward_pass", weight=2)
def test_forward_pass(student, rng):
    """forward_pass(x, y, z) gives the value of every node"""
    for point in draw_points(rng, 4):
        got = checks.named(*student.probe(call_named, "forward_pass", point))
        checks.keyed_close(got, {k: ref.forward_pass(*point)[k] for k in NODES},
                           "forward_pass(x, y, z)", where(point))


# ---- backward_pass (6 points) ----

def check_adjoints(results, points):
    checks.sequence(results, len(points), "results")
    for point, (got, names) in zip(points, results):
        got = checks.named(got, names)
        expected = ref.backward_pass(*point)
        values = checks.keyed_numbers(got, ADJOINTS, "backward_pass(x, y, z)", where(point))
        for node in ADJOINTS:
            checks.close(values[node], expected[node],
                         f"df/d{node} (backward_pass(x, y, z)[{node!r}])", where(point))


@pytest.mark.group("backward_pass", weight=4)
def test_backward_pass(student, rng):
    """backward_pass(x, y, z) gives df/dnode for every node"""
    points = draw_points(rng, 5)
    check_adjoints([student.probe(call_named, "backward_pass", point) for point in points],
                   points)


@pytest.mark.group("backward_pass", weight=2)
def test_backward_pass_without_value(student, rng):
    """backward_pass works by hand, without Value"""
    points = draw_points(rng, 2)
    check_adjoints(student.probe(backward_without_value, points), points)


# ---- value_gradients (2 points) ----

@pytest.mark.group("value_gradients", weight=2)
def test_value_gradients(student, rng):
    """value_gradients(x, y, z) gives df/dx, df/dy, df/dz computed with Value.backward()"""
    points = draw_points(rng, 4)
    results, counts = student.probe(value_gradients_counting, points)
    checks.sequence(results, len(points), "results")
    for point, (got, names), count in zip(points, results, counts):
        checks.keyed_close(checks.named(got, names), ref.value_gradients(*point), "value_gradients(x, y, z)",
                           where(point))
        if count < 1:
            raise AssertionError(f"value_gradients(x, y, z) for {where(point)} did not call "
                                 "backward(): build f from Values and let the engine compute "
                                 "the gradient")
