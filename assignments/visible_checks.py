"""The helpers the visible tests of every notebook use (given code, read-only).

They are included into each notebook's "checks" cell by reference, like the
engine, so a failing visible test always explains itself the same way: what was
computed, from which inputs, what was expected, what came back.  A
NotImplementedError from a function still to be written passes through
unchanged, so an unfinished exercise says so instead of blaming the test.
"""
import math


def check_close(what, got, expected, rel=1e-9, abs_tol=1e-12):
    """Fail unless ``got`` is an int or float within tolerance of ``expected``.

    ``what`` says what was computed and from which inputs, e.g.
    ``"Value(2.0).sigmoid().data"``.
    """
    if type(got) not in (int, float):
        raise AssertionError(
            f"{what}: expected a number (int or float) close to {expected!r}, "
            f"got {type(got).__name__}: {got!r}")
    if not math.isclose(got, expected, rel_tol=rel, abs_tol=abs_tol):
        raise AssertionError(
            f"{what}: expected {expected!r}, got {got!r} "
            f"(tolerance: relative {rel:g}, absolute {abs_tol:g})")


def check_equal(what, got, expected):
    """Fail unless ``got == expected``, showing both."""
    if not got == expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {got!r}")


def check_true(what, condition, detail=""):
    """Fail with ``what`` (and ``detail``) unless ``condition`` holds."""
    if not condition:
        raise AssertionError(f"{what}{': ' + detail if detail else ''}")


def check_raises(what, error, function, *args, **kwargs):
    """Fail unless ``function(*args, **kwargs)`` raises ``error``."""
    try:
        function(*args, **kwargs)
    except NotImplementedError:
        raise
    except error:
        return
    except Exception as exc:  # noqa: BLE001 - any other error is the failure we report
        raise AssertionError(
            f"{what}: expected {error.__name__}, got {type(exc).__name__}: {exc}") from None
    raise AssertionError(f"{what}: expected {error.__name__}, but nothing was raised")


def passed(group):
    """Say that a test cell's visible checks all passed."""
    print(f"{group}: all visible checks passed (the hidden tests check more, on other inputs)")
