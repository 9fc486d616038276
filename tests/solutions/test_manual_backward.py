"""solutions/manual_backward.py: the hand-derived backward pass of (x + y) z + exp(x z)."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import solutions.engine  # noqa: E402
import solutions.manual_backward as mb  # noqa: E402

from . import strategies as S  # noqa: E402
from .checks import assert_close, assert_matches_differences  # noqa: E402

points = S.distinct_points(3, -2.0, 2.0)

EDGES = {("x", "a"), ("y", "a"), ("a", "b"), ("z", "b"),
         ("x", "c"), ("z", "c"), ("c", "d"), ("b", "f"), ("d", "f")}


def expected_values(x, y, z):
    a, c = x + y, x * z
    return {"x": x, "y": y, "z": z, "a": a, "b": a * z, "c": c, "d": math.exp(c),
            "f": a * z + math.exp(c)}


def expected_adjoints(x, y, z):
    e = math.exp(x * z)
    return {"f": 1.0, "d": 1.0, "b": 1.0, "c": e, "a": z,
            "x": z + z * e, "y": z, "z": x + y + x * e}


def assert_dict_close(got, expected, what, inputs):
    assert isinstance(got, dict), f"{what} at {inputs}: got {got!r}, expected a dict"
    assert set(got) == set(expected), (
        f"{what} at {inputs}: got the keys {sorted(got)}, expected exactly {sorted(expected)}")
    for key in expected:
        assert_close(got[key], expected[key], f"{what}[{key!r}]", inputs)


def test_graph_edges_are_the_nine_edges():
    edges = mb.graph_edges()
    assert isinstance(edges, (set, frozenset)), f"graph_edges(): got a {type(edges).__name__}, expected a set"
    assert edges == EDGES, (
        f"graph_edges(): missing {sorted(EDGES - edges)}, unexpected {sorted(edges - EDGES)}")
    assert len(edges) == 9


@given(p=points)
def test_forward_pass(p):
    assert_dict_close(mb.forward_pass(*p), expected_values(*p), "forward_pass", p)


@given(p=points)
def test_backward_pass_is_the_analytic_gradient(p):
    got = mb.backward_pass(*p)
    assert_dict_close(got, expected_adjoints(*p), "backward_pass", p)
    assert_matches_differences([got["x"], got["y"], got["z"]],
                               lambda x, y, z: expected_values(x, y, z)["f"], p,
                               "backward_pass against differences of f")


@given(p=points)
def test_value_gradients_equal_backward_pass(p):
    got = mb.value_gradients(*p)
    assert_dict_close(got, {k: v for k, v in expected_adjoints(*p).items() if k in "xyz"},
                      "value_gradients", p)
    manual = mb.backward_pass(*p)
    for key in "xyz":
        assert_close(manual[key], got[key], f"backward_pass[{key!r}] against value_gradients", p)


class Unavailable:
    """Stands in for Value: using it in any way fails the test."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("backward_pass used Value")

    def __getattr__(self, name):  # pragma: no cover - instances are never made
        raise AssertionError("backward_pass used Value")


@given(p=points)
def test_backward_pass_does_not_use_value(p):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(solutions.engine, "Value", Unavailable)
        mp.setattr(mb, "Value", Unavailable)
        with pytest.raises(AssertionError, match="used Value"):
            mb.value_gradients(*p)  # the patch is in effect
        got = mb.backward_pass(*p)
    assert_dict_close(got, expected_adjoints(*p), "backward_pass without Value", p)


def test_draw_graph_returns_axes():
    ax = mb.draw_graph(0.5, -1.0, 2.0)
    try:
        assert isinstance(ax, Axes), f"draw_graph: got {ax!r}, expected a matplotlib Axes"
        labels = " ".join(t.get_text() for t in ax.texts)
        for name in "xyzabcdf":
            assert any(t.get_text().startswith(name) for t in ax.texts), (
                f"draw_graph: no label for node {name!r} among {labels!r}")
    finally:
        plt.close("all")


def test_draw_graph_onto_given_axes():
    fig, ax = plt.subplots()
    try:
        assert mb.draw_graph(1.0, 2.0, 3.0, ax=ax) is ax
    finally:
        plt.close(fig)
