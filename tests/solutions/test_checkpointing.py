"""solutions/checkpointing.py: checkpointed backprop on a chain, its memory and its cost.

Memory is measured as EXERCISES.md states it: with only reference counting freeing nodes
(the cyclic garbage collector is off during every measurement and restored afterwards).
"""
import contextlib
import gc
import math

import pytest
from hypothesis import given, settings

from solutions.checkpointing import Value, best_segment, checkpointed_backprop, full_backprop, make_chain

from . import strategies as S
from .checks import assert_close, assert_matches_differences


@contextlib.contextmanager
def gc_off():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def nodes_per_call(fs, x0=0.3):
    """m: the most nodes alive at once during one call of one function, above what was alive."""
    m = 0
    for f in fs:
        x = Value(x0)
        start = Value.alive
        Value.reset_peak()
        y = f(x)
        m = max(m, Value.peak - start)
        del x, y
    return m


def measured(run, *args):
    """(result, peak live nodes above the start, live nodes left over) of run(*args)."""
    with gc_off():
        start = Value.alive
        Value.reset_peak()
        result = run(*args)
        peak, left = Value.peak - start, Value.alive - start
    return result, peak, left


def counting(fs):
    """The functions wrapped so that their calls are counted in calls[0]."""
    calls = [0]

    def wrap(f):
        def counted(x):
            calls[0] += 1
            return f(x)
        return counted
    return [wrap(f) for f in fs], calls


@given(chain=S.chains())
@settings(max_examples=60, deadline=None)
def test_checkpointed_equals_full_backprop(chain):
    n, segment, seed, x0 = chain
    fs = make_chain(n, seed)
    inputs = {"n": n, "segment": segment, "seed": seed, "x0": x0}
    y_full, g_full = full_backprop(fs, x0)
    counted, calls = counting(fs)
    got = checkpointed_backprop(counted, x0, segment)
    assert isinstance(got, (tuple, list)) and len(got) == 2, f"at {inputs}: got {got!r}, expected (y, dy/dx0)"
    assert type(got[0]) is float and type(got[1]) is float, f"at {inputs}: got {got!r}, expected two floats"
    assert_close(got[0], y_full, "checkpointed y against full backprop", inputs)
    assert_close(got[1], g_full, "checkpointed dy/dx0 against full backprop", inputs)
    assert n <= calls[0] <= 2 * n, f"at {inputs}: the functions were called {calls[0]} times, expected at most {2 * n}"


@given(chain=S.chains(max_n=30))
@settings(max_examples=30, deadline=None)
def test_full_backprop_is_the_derivative(chain):
    n, _, seed, x0 = chain
    fs = make_chain(n, seed)
    y, g = full_backprop(fs, x0)
    assert_matches_differences([g], lambda x: full_backprop(fs, x)[0], [x0], f"chain of {n} (seed {seed})")


@pytest.mark.parametrize("n,segment", [(1, 1), (2, 1), (2, 2), (7, 3), (10, 1), (10, 10), (60, 7), (100, 10), (33, 32)])
def test_memory_bound_and_no_leaks(n, segment):
    fs = make_chain(n, seed=n)
    m = nodes_per_call(fs)
    assert m > 0
    (y, g), peak, left = measured(checkpointed_backprop, fs, 0.4, segment)
    bound = (segment + 2) * m + 10
    assert peak <= bound, (
        f"checkpointed_backprop with n={n}, segment={segment}: peak {peak} live nodes, expected at most "
        f"(segment + 2) * m + 10 = {bound} (m = {m})")
    assert left == 0, f"checkpointed_backprop with n={n}, segment={segment}: {left} nodes still alive afterwards"
    (y_full, g_full), full_peak, full_left = measured(full_backprop, fs, 0.4)
    assert full_left == 0, f"full_backprop with n={n}: {full_left} nodes still alive afterwards"
    assert full_peak >= n * m, f"full_backprop with n={n}: peak {full_peak}, expected the whole chain n * m = {n * m}"


@given(chain=S.chains(max_n=40))
@settings(max_examples=30, deadline=None)
def test_memory_bound_random(chain):
    n, segment, seed, x0 = chain
    fs = make_chain(n, seed)
    m = nodes_per_call(fs, x0)
    _, peak, left = measured(checkpointed_backprop, fs, x0, segment)
    inputs = {"n": n, "segment": segment, "seed": seed, "x0": x0, "m": m}
    assert peak <= (segment + 2) * m + 10, f"at {inputs}: peak {peak}, expected at most {(segment + 2) * m + 10}"
    assert left == 0, f"at {inputs}: {left} nodes still alive afterwards"


def test_peak_scales_like_n_for_full_and_sqrt_n_for_checkpointed():
    peaks = {}
    for n in (100, 1600):
        fs = make_chain(n, seed=1)
        _, full, _ = measured(full_backprop, fs, 0.2)
        _, ckpt, _ = measured(checkpointed_backprop, fs, 0.2, best_segment(n))
        peaks[n] = (full, ckpt)
    full_ratio = peaks[1600][0] / peaks[100][0]
    ckpt_ratio = peaks[1600][1] / peaks[100][1]
    assert 14 <= full_ratio <= 18, f"full backprop's peak for n = 100 and 1600: {peaks}, ratio {full_ratio:.2f}, expected ~16"
    assert 3 <= ckpt_ratio <= 5.5, f"checkpointed peak for n = 100 and 1600: {peaks}, ratio {ckpt_ratio:.2f}, expected ~4"


def test_functions_are_called_at_most_twice_each_overall():
    for n in (1, 5, 64, 100):
        for segment in sorted({1, 2, best_segment(n), n}):
            if segment > n:
                continue
            counted, calls = counting(make_chain(n, seed=2))
            checkpointed_backprop(counted, -0.7, segment)
            assert calls[0] <= 2 * n, f"n={n}, segment={segment}: {calls[0]} calls, expected at most {2 * n}"


@pytest.mark.parametrize("segment", [0, -1, 1.5, "2"])
def test_bad_segment_is_a_value_error(segment):
    with pytest.raises(ValueError):
        checkpointed_backprop(make_chain(3), 0.1, segment)


def brute_force_best_segment(n):
    best_k, best_cost = None, None
    for k in range(1, n + 1):
        cost = -(-n // k) + k
        if best_cost is None or cost < best_cost:
            best_k, best_cost = k, cost
    return best_k


def test_best_segment_matches_brute_force():
    for n in range(1, 201):
        got = best_segment(n)
        assert type(got) is int and got == brute_force_best_segment(n), (
            f"best_segment({n}): got {got!r}, expected {brute_force_best_segment(n)} "
            "(the smallest k in 1..n minimising ceil(n/k) + k)")
    assert best_segment(100) == 10 and best_segment(1600) == 40 and math.isqrt(1600) == 40


def test_make_chain_functions_all_make_the_same_number_of_nodes():
    fs = make_chain(50, seed=4)
    counts = set()
    with gc_off():
        for f in fs:
            x = Value(0.1)
            before = Value.alive
            y = f(x)
            counts.add(Value.alive - before)
            del x, y
    assert counts == {6}, f"make_chain: nodes made per call {counts}, expected {{6}}"
