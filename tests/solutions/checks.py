"""Assertions shared by the solutions' tests; each failure names the inputs, what was
received and what was expected.

Tolerances are the ones EXERCISES.md states: against a reference value relative 1e-9
(absolute 1e-12); against central finite differences relative 1e-6 (absolute 1e-7),
measured with `solutions.gradcheck.relative_error`, the one shared gradient checker.
"""
import math

from solutions.gradcheck import numerical_gradient, relative_error

REL, ABS = 1e-9, 1e-12
FD_REL, FD_ABS = 1e-6, 1e-7


def assert_close(got, expected, what, inputs, rel=REL, abs_tol=ABS):
    """got ~ expected (math.isclose); both must be numbers."""
    assert isinstance(got, (int, float)) and not isinstance(got, bool), (
        f"{what} at {inputs}: got {got!r} of type {type(got).__name__}, expected a number "
        f"close to {expected!r}")
    assert math.isclose(got, expected, rel_tol=rel, abs_tol=abs_tol), (
        f"{what} at {inputs}: got {got!r}, expected {expected!r} "
        f"(rel {rel:g}, abs {abs_tol:g})")


def assert_all_close(got, expected, what, inputs, rel=REL, abs_tol=ABS):
    """Two sequences of numbers, entry by entry."""
    assert len(got) == len(expected), (
        f"{what} at {inputs}: got {len(got)} entries {got!r}, expected {len(expected)}: {expected!r}")
    for i, (g, e) in enumerate(zip(got, expected)):
        assert_close(g, e, f"{what}[{i}]", inputs, rel, abs_tol)


def assert_matches_differences(analytic, f, xs, what, h=1e-6):
    """Gradients ``analytic`` against central differences of ``f(*floats) -> float`` at xs."""
    numeric = numerical_gradient(f, xs, h)
    assert len(analytic) == len(numeric)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        assert relative_error(a, n) <= FD_REL or abs(a - n) <= FD_ABS, (
            f"{what}: d/dx{i} at {xs}: backward gave {a!r}, central differences {n!r} "
            f"(relative error {relative_error(a, n):.3g})")
