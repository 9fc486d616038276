"""A backward pass by hand for f(x, y, z) = (x + y) z + exp(x z) (exercise 28.3).

Named nodes: a = x + y, b = a z, c = x z, d = exp(c), f = b + d.  The backward
pass walks them in reverse, each adjoint the sum over the node's consumers of
(consumer's adjoint) × (local derivative).
"""
import math

from .engine import Value

NODES = ("x", "y", "z", "a", "b", "c", "d", "f")


def graph_edges():
    """The graph as (input, node) pairs."""
    return {("x", "a"), ("y", "a"), ("a", "b"), ("z", "b"),
            ("x", "c"), ("z", "c"), ("c", "d"), ("b", "f"), ("d", "f")}


def forward_pass(x, y, z):
    """Every node's value, inputs included."""
    a = x + y
    b = a * z
    c = x * z
    d = math.exp(c)
    return {"x": x, "y": y, "z": z, "a": a, "b": b, "c": c, "d": d, "f": b + d}


def backward_pass(x, y, z):
    """df/dnode for every node, by local derivatives in reverse order (no Value)."""
    v = forward_pass(x, y, z)
    f_ = 1.0
    d_ = f_ * 1.0                 # f = b + d
    b_ = f_ * 1.0
    c_ = d_ * v["d"]              # d = exp(c): dd/dc = exp(c) = d
    a_ = b_ * v["z"]              # b = a z
    z_ = b_ * v["a"] + c_ * v["x"]  # z feeds b = a z and c = x z
    x_ = a_ * 1.0 + c_ * v["z"]   # x feeds a = x + y and c = x z
    y_ = a_ * 1.0
    return {"f": f_, "d": d_, "c": c_, "b": b_, "a": a_, "x": x_, "y": y_, "z": z_}


def value_gradients(x, y, z):
    """The same gradient, from the engine's backward()."""
    xv, yv, zv = Value(x), Value(y), Value(z)
    out = (xv + yv) * zv + (xv * zv).exp()
    out.backward()
    return {"x": xv.grad, "y": yv.grad, "z": zv.grad}


_POSITIONS = {"x": (0, 2), "y": (0, 1), "z": (0, 0), "a": (1, 1.5), "c": (1, 0.3),
              "b": (2, 1.25), "d": (2, 0.25), "f": (3, 0.75)}
_OPS = {"a": "+", "b": "×", "c": "×", "d": "exp", "f": "+"}


def draw_graph(x, y, z, ax=None):
    """Draw the graph, each node with its value and its adjoint df/dnode."""
    import matplotlib.pyplot as plt

    values, adjoints = forward_pass(x, y, z), backward_pass(x, y, z)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    boxes = {}
    for name, (px, py) in _POSITIONS.items():
        title = f"{name} = {_OPS[name]}" if name in _OPS else name
        boxes[name] = ax.text(px, py, f"{title}\nvalue {values[name]:.3g}\ngrad {adjoints[name]:.3g}",
                              ha="center", va="center", fontsize=9,
                              bbox=dict(boxstyle="round", fc="#dbe9f6" if name in _OPS else "#f3e3c3"))
    for src, dst in sorted(graph_edges()):
        # arrows run from box edge to box edge, so every arrowhead shows
        ax.annotate("", xy=(0.5, 0.5), xycoords=boxes[dst], xytext=(0.5, 0.5), textcoords=boxes[src],
                    arrowprops=dict(arrowstyle="-|>", color="0.4", shrinkA=2, shrinkB=2,
                                    patchA=boxes[src].get_bbox_patch(),
                                    patchB=boxes[dst].get_bbox_patch()))
    ax.set_xlim(-0.5, 3.5)
    ax.set_ylim(-0.4, 2.4)
    ax.axis("off")
    ax.set_title("f = (x + y)·z + exp(x·z): values forward, gradients backward")
    return ax
