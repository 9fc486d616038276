"""Hidden checks of exercise 28.4: checkpointed_backprop and best_segment.

The chains are drawn here when grading runs (the same kind of links as the given
``make_chain``: x -> a*x + b*squash(x)) and shipped to the child as plain data; a
probe builds the functions there and reports the result and, for memory and the call
budget, the calls and the peak of live nodes, counted by the grader's own copy of the
given ``Value`` (see `measured_run`).  The reference is `solutions.checkpointing`'s
``full_backprop`` on the same chain, computed here.

Memory and the call budget are properties of a working checkpointed backprop: those
checks count only when the result of the same run is right.
"""
import inspect
import math

import pytest

from autograder import checks
from solutions import checkpointing as ref


# ---- probes: run beside the student's code, return plain data ----

def checkpointed_on_chain(ns, links, x0, segment):
    """checkpointed_backprop on the chain of ``links`` (triples a, b, squash)."""
    def link(a, b, squash):
        return lambda x: x * a + getattr(x, squash)() * b

    fs = [link(a, b, squash) for a, b, squash in links]
    return ns["checkpointed_backprop"](fs, x0, segment)


def measured_run(ns, links, x0, segment, value_source):
    """[result, peak live nodes above the start, m, calls of the functions, names of
    the types the functions were given other than Value] of one checkpointed_backprop
    run, with only reference counting freeing nodes.

    The graphs are built from the grader's own copy of the given Value
    (``value_source``), bound to the student's name ``Value`` for the run, which
    counts its live nodes where ``Value.reset_peak()`` and ``Value.peak = ...`` do
    not reach; the functions count their own calls in their own body, so there is
    no inner function to call around them.
    """
    import gc

    scope = {}
    exec(value_source, scope)
    Value = scope["Value"]
    live = [0, 0]                   # nodes alive now, most alive at once
    init = Value.__init__

    def counted_init(self, *args):
        init(self, *args)
        live[0] += 1
        live[1] = max(live[1], live[0])

    def counted_del(self):
        live[0] -= 1
    Value.__init__, Value.__del__ = counted_init, counted_del

    calls, foreign = [0], set()

    def link(a, b, squash):
        def f(x):
            calls[0] += 1
            if type(x) is not Value:
                foreign.add(type(x).__name__)
            return x * a + getattr(x, squash)() * b
        return f

    fs = [link(a, b, squash) for a, b, squash in links]
    backprop = ns["checkpointed_backprop"]
    theirs = ns["Value"]
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        m = 0
        for f in fs[:8]:
            before = live[1] = live[0]
            y = f(Value(x0))
            m = max(m, live[1] - before)
            del y
        calls[0] = 0
        before = live[1] = live[0]
        ns["Value"] = Value
        try:
            result = backprop(fs, x0, segment)
        finally:
            ns["Value"] = theirs
        peak = live[1] - before
    finally:
        if was_enabled:
            gc.enable()
    return [result, peak, m, calls[0], sorted(foreign)]


def best_segments(ns, sizes):
    """best_segment(n) for every n of ``sizes``."""
    best = ns["best_segment"]
    return [best(n) for n in sizes]


# ---- reference computations, in the trusted process ----

# The given Value, as the grader's own copy to measure with (see measured_run).
VALUE_SOURCE = "import math\n\n" + inspect.getsource(ref._leaf_backward) + "\n\n" \
    + inspect.getsource(ref.Value)


def draw_links(rng, n):
    return [[rng.uniform(0.85, 1.05), rng.uniform(-0.5, 0.5), rng.choice(["tanh", "sigmoid"])]
            for _ in range(n)]


def reference(links, x0):
    fs = [(lambda a, b, s: (lambda x: x * a + getattr(x, s)() * b))(a, b, s) for a, b, s in links]
    return ref.full_backprop(fs, x0)


def where(n, segment, x0):
    return f"a chain of n = {n} functions, x0 = {x0!r}, segment = {segment}"


def check_result(got, links, x0, segment, what="checkpointed_backprop(fs, x0, segment)"):
    """The pair (y, dy/dx0) equals full backprop on the same chain."""
    y, grad = reference(links, x0)
    inputs = where(len(links), segment, x0)
    pair = checks.sequence(got, 2, f"{what} (the pair y, dy/dx0)", inputs)
    checks.close(pair[0], y, f"y from {what}", inputs)
    checks.close(pair[1], grad, f"dy/dx0 from {what}", inputs)


def uneven_segment(rng, n, low, high):
    """A segment length in low..high that does not divide n: the last segment is shorter."""
    choices = [k for k in range(low, high + 1) if n % k]
    return rng.choice(choices)


def scenarios(rng):
    """(n, segment) pairs: 1, n, the best length, and lengths that do not divide n."""
    out = [(1, 1)]
    n = rng.randint(2, 40)
    out.append((n, 1))
    out.append((n, n))
    n = rng.randint(100, 300)
    out.append((n, ref.best_segment(n)))
    n = rng.randint(20, 200)
    out.append((n, uneven_segment(rng, n, 2, n // 2)))
    n = rng.randint(5, 60)
    out.append((n, rng.randint(1, n)))
    return out


def measured(student, rng, n, segment):
    """Run the measuring probe on a fresh chain; check the result before anything else."""
    links, x0 = draw_links(rng, n), rng.uniform(-1.5, 1.5)
    result, peak, m, calls, foreign = student.probe(measured_run, links, x0, segment,
                                                    VALUE_SOURCE)
    try:
        check_result(result, links, x0, segment)
    except AssertionError as exc:
        raise type(exc)(f"{exc}\n(memory and the call budget are checked on a correct result only)") from None
    if foreign:
        kinds = [k[:40] for k in foreign if type(k) is str][:3] if type(foreign) is list else []
        raise AssertionError(
            f"for {where(n, segment, x0)} the functions were given {', '.join(kinds) or 'objects'} "
            "instead of Values: build every graph from the notebook's Value (for instance "
            "Value(h) from a float checkpoint), so that its live nodes can be counted")
    return checks.integer(peak, "peak live nodes"), checks.integer(m, "m"), calls, x0


# ---- checkpointed_backprop equals full backprop (3 points) ----

@pytest.mark.group("checkpoint_gradient", weight=2)
def test_equals_full_backprop(student, rng):
    """checkpointed_backprop returns full_backprop's (y, dy/dx0) for segments 1, n, best, and uneven"""
    for n, segment in scenarios(rng):
        links, x0 = draw_links(rng, n), rng.uniform(-1.5, 1.5)
        got = student.probe(checkpointed_on_chain, links, x0, segment)
        check_result(got, links, x0, segment)


@pytest.mark.group("checkpoint_gradient")
def test_returns_floats(student, rng):
    """checkpointed_backprop returns two numbers (floats), not Values"""
    n = rng.randint(3, 30)
    links, x0 = draw_links(rng, n), rng.uniform(-1.5, 1.5)
    segment = rng.randint(1, n)
    got = student.probe(checkpointed_on_chain, links, x0, segment)
    inputs = where(n, segment, x0)
    pair = checks.sequence(got, 2, "checkpointed_backprop(fs, x0, segment)", inputs)
    checks.number(pair[0], "y", inputs)
    checks.number(pair[1], "dy/dx0", inputs)


# ---- the memory bound (2 points) ----

@pytest.mark.group("checkpoint_memory")
def test_memory_bound(student, rng):
    """peak live nodes stay within (segment + 2) * m + 10 (cyclic garbage collector off)"""
    cases = [(rng.randint(150, 260), 1), (2 * rng.randint(15, 30) + 1, 2)]
    n = rng.randint(150, 300)
    cases.append((n, ref.best_segment(n)))
    n = rng.randint(80, 160)
    cases.append((n, uneven_segment(rng, n, 5, n // 4)))
    for n, segment in cases:
        peak, m, _, x0 = measured(student, rng, n, segment)
        bound = (segment + 2) * m + 10
        if peak > bound:
            raise AssertionError(
                f"peak live nodes for {where(n, segment, x0)}: at most "
                f"(segment + 2) * m + 10 = ({segment} + 2) * {m} + 10 = {bound} allowed, got "
                f"{peak} (full backprop keeps about {n * (m - 1)}): some graph is kept alive "
                "(Values as checkpoints, a list of segment outputs, the whole forward graph, "
                "or a reference cycle that only the garbage collector could free)")


# ---- best_segment and the call budget (1 point) ----

@pytest.mark.group("segment_and_budget")
def test_best_segment(student, rng):
    """best_segment(n) is the smallest k in 1..n minimising ceil(n/k) + k"""
    sizes = list(range(1, 301)) + [rng.randint(301, 5000) for _ in range(4)] \
        + [rng.randint(10 ** 4, 6 * 10 ** 4) for _ in range(2)]
    sizes += [k * k for k in (rng.randint(60, 200),)] + [k * k + k for k in (rng.randint(60, 200),)]
    got = student.probe(best_segments, sizes)
    checks.sequence(got, len(sizes), "best_segment results")
    for n, k in zip(sizes, got):
        expected = ref.best_segment(n)
        k = checks.integer(k, "best_segment(n)", f"n = {n}")
        if k != expected:
            cost = math.ceil(n / k) + k if 1 <= k <= n else None
            raise AssertionError(
                f"best_segment({n}): expected {expected} (ceil(n/k) + k = "
                f"{math.ceil(n / expected) + expected}), got {k}"
                + (f" (ceil(n/k) + k = {cost})" if cost is not None else " (outside 1..n)")
                + (": several k tie, return the smallest" if cost == math.ceil(n / expected) + expected else ""))


@pytest.mark.group("segment_and_budget")
def test_call_budget(student, rng):
    """checkpointed_backprop calls the chain's functions at most 2n times"""
    n = rng.randint(30, 80)
    for segment in (1, ref.best_segment(n), uneven_segment(rng, n, 2, n - 1), n):
        _, _, calls, x0 = measured(student, rng, n, segment)
        calls = checks.integer(calls, "calls")
        if calls > 2 * n:
            raise AssertionError(
                f"calls of the functions for {where(n, segment, x0)}: at most 2n = {2 * n} "
                f"allowed (once forward, once when the segment is rebuilt), got {calls}")
