"""Realistic submissions of exercise 28.3 (the hand-derived backward pass of
f(x, y, z) = (x + y) * z + exp(x * z)).

A submission is the student's solution cells concatenated; the given engine runs before
it.  ``WRONG`` maps a name to (code, the exact set of point groups it must lose); every
entry of ``RIGHT`` must get full marks.
"""

EDGES = '''
import math

def graph_edges():
    return {("x", "a"), ("y", "a"), ("a", "b"), ("z", "b"), ("x", "c"),
            ("z", "c"), ("c", "d"), ("b", "f"), ("d", "f")}
'''

FORWARD = '''
def forward_pass(x, y, z):
    a = x + y
    b = a * z
    c = x * z
    d = math.exp(c)
    f = b + d
    return {"x": x, "y": y, "z": z, "a": a, "b": b, "c": c, "d": d, "f": f}
'''

BACKWARD = '''
def backward_pass(x, y, z):
    vals = forward_pass(x, y, z)
    g = {}
    g["f"] = 1.0
    # f = b + d
    g["b"] = g["f"] * 1.0
    g["d"] = g["f"] * 1.0
    # d = exp(c)
    g["c"] = g["d"] * vals["d"]
    # b = a * z
    g["a"] = g["b"] * z
    # x feeds a and c; z feeds b and c
    g["x"] = g["a"] * 1.0 + g["c"] * z
    g["y"] = g["a"] * 1.0
    g["z"] = g["b"] * vals["a"] + g["c"] * x
    return g
'''

VALUE = '''
def value_gradients(x, y, z):
    X, Y, Z = Value(x), Value(y), Value(z)
    F = (X + Y) * Z + (X * Z).exp()
    F.backward()
    return {"x": X.grad, "y": Y.grad, "z": Z.grad}
'''

PARTS = {"edges": EDGES, "forward": FORWARD, "backward": BACKWARD, "value": VALUE}


def submission(**parts):
    return "".join(parts.get(k, v) for k, v in PARTS.items())


def part_with(part, *replacements):
    code = PARTS[part]
    for old, new in replacements:
        assert code.count(old) == 1, old
        code = code.replace(old, new)
    return submission(**{part: code})


EDGES_G, FORWARD_G, BACKWARD_G, VALUE_G = (
    "graph_edges", "forward_pass", "backward_pass", "value_gradients")

WRONG = {
    # ---- graph_edges ----
    "missing_edge_z_to_c": (
        part_with("edges", ('("x", "c"),\n            ("z", "c"), ', '("x", "c"),\n            ')),
        {EDGES_G}),
    "edges_reversed": (
        submission(edges='''
import math

def graph_edges():
    return {("a", "x"), ("a", "y"), ("b", "a"), ("b", "z"), ("c", "x"),
            ("c", "z"), ("d", "c"), ("f", "b"), ("f", "d")}
'''), {EDGES_G}),
    "edges_as_a_list": (
        submission(edges='''
import math

def graph_edges():
    return [("x", "a"), ("y", "a"), ("a", "b"), ("z", "b"), ("x", "c"),
            ("z", "c"), ("c", "d"), ("b", "f"), ("d", "f")]
'''), {EDGES_G}),
    "c_feeds_f_directly": (
        part_with("edges", ('("d", "f")', '("c", "f")')), {EDGES_G}),
    "edges_as_strings": (
        submission(edges='''
import math

def graph_edges():
    return {"x->a", "y->a", "a->b", "z->b", "x->c", "z->c", "c->d", "b->f", "d->f"}
'''), {EDGES_G}),
    "extra_edge_from_x_to_b": (
        part_with("edges", ('("a", "b"), ', '("a", "b"), ("x", "b"), ')), {EDGES_G}),
    # ---- forward_pass ----
    "forward_without_inputs": (
        part_with("forward", ('{"x": x, "y": y, "z": z, "a": a', '{"a": a')), {FORWARD_G}),
    "forward_extra_key": (
        part_with("forward", ('"f": f}', '"f": f, "out": f}')), {FORWARD_G}),
    "forward_d_is_exp_x": (
        part_with("forward", ("d = math.exp(c)", "d = math.exp(x)")), {FORWARD_G, BACKWARD_G}),
    "forward_with_numpy": (
        part_with("forward", ("d = math.exp(c)", "import numpy as np\n    d = np.exp(c)")),
        {FORWARD_G, BACKWARD_G}),
    # ---- backward_pass ----
    "swapped_adjoint_a_times_a": (
        part_with("backward", ('g["a"] = g["b"] * z', 'g["a"] = g["b"] * vals["a"]')),
        {BACKWARD_G}),
    "forgets_second_path_into_x": (
        part_with("backward", ('g["x"] = g["a"] * 1.0 + g["c"] * z', 'g["x"] = g["a"] * 1.0')),
        {BACKWARD_G}),
    "forgets_second_path_into_z": (
        part_with("backward", ('g["z"] = g["b"] * vals["a"] + g["c"] * x',
                               'g["z"] = g["b"] * vals["a"]')),
        {BACKWARD_G}),
    "x_and_z_swapped_in_c": (
        part_with("backward", ('g["x"] = g["a"] * 1.0 + g["c"] * z',
                               'g["x"] = g["a"] * 1.0 + g["c"] * x'),
                  ('g["z"] = g["b"] * vals["a"] + g["c"] * x',
                   'g["z"] = g["b"] * vals["a"] + g["c"] * z')),
        {BACKWARD_G}),
    "d_adjoint_as_exp_x": (
        part_with("backward", ('g["c"] = g["d"] * vals["d"]', 'g["c"] = g["d"] * math.exp(x)')),
        {BACKWARD_G}),
    "adjoint_of_d_is_its_local_derivative": (
        part_with("backward", ('g["d"] = g["f"] * 1.0', 'g["d"] = vals["d"]')), {BACKWARD_G}),
    "backward_uses_value_for_the_inputs": (
        part_with("backward", ('''    g["x"] = g["a"] * 1.0 + g["c"] * z
    g["y"] = g["a"] * 1.0
    g["z"] = g["b"] * vals["a"] + g["c"] * x
''', '''    g.update(value_gradients(x, y, z))
''')), {BACKWARD_G}),
    "backward_without_f_key": (
        part_with("backward", ("    return g\n", '    del g["f"]\n    return g\n')), {BACKWARD_G}),
    "backward_finite_differences_for_inputs": (
        part_with("backward", ('''    g["x"] = g["a"] * 1.0 + g["c"] * z
    g["y"] = g["a"] * 1.0
    g["z"] = g["b"] * vals["a"] + g["c"] * x
''', '''    h = 1e-6
    F = lambda p, q, r: forward_pass(p, q, r)["f"]
    g["x"] = (F(x + h, y, z) - F(x - h, y, z)) / (2 * h)
    g["y"] = (F(x, y + h, z) - F(x, y - h, z)) / (2 * h)
    g["z"] = (F(x, y, z + h) - F(x, y, z - h)) / (2 * h)
''')), {BACKWARD_G}),
    # ---- value_gradients ----
    "value_gradients_by_hand": (
        part_with("value", ('''    X, Y, Z = Value(x), Value(y), Value(z)
    F = (X + Y) * Z + (X * Z).exp()
    F.backward()
    return {"x": X.grad, "y": Y.grad, "z": Z.grad}''', '''    g = backward_pass(x, y, z)
    return {"x": g["x"], "y": g["y"], "z": g["z"]}''')), {VALUE_G}),
    "value_gradients_returns_values": (
        part_with("value", ('return {"x": X.grad, "y": Y.grad, "z": Z.grad}',
                            'return {"x": X, "y": Y, "z": Z}')), {VALUE_G}),
    "value_gradients_multiplies_instead_of_adds": (
        part_with("value", ("F = (X + Y) * Z + (X * Z).exp()", "F = (X + Y) * Z * (X * Z).exp()")),
        {VALUE_G}),
    "value_gradients_forgets_backward": (
        part_with("value", ("    F.backward()\n", "")), {VALUE_G}),
}

RIGHT = {
    "frozenset_and_local_variables": '''
import math

PARENTS = {"a": ("x", "y"), "b": ("a", "z"), "c": ("x", "z"), "d": ("c",), "f": ("b", "d")}


def graph_edges():
    return frozenset((src, node) for node, srcs in PARENTS.items() for src in srcs)


def forward_pass(x, y, z):
    a = x + y
    c = x * z
    b = a * z
    d = math.e ** c
    return dict(x=x, y=y, z=z, a=a, b=b, c=c, d=d, f=b + d)


def backward_pass(x, y, z):
    v = forward_pass(x, y, z)
    df = 1.0
    dd = df
    db = df
    dc = dd * v["d"]
    da = db * v["z"]
    dz = da * 0 + db * v["a"] + dc * v["x"]
    dy = da
    dx = da + dc * v["z"]
    return {"x": dx, "y": dy, "z": dz, "a": da, "b": db, "c": dc, "d": dd, "f": df}


def value_gradients(x, y, z):
    xv = Value(float(x))
    yv = Value(float(y))
    zv = Value(float(z))
    xz = xv * zv
    out = (xv + yv) * zv + xz.exp()
    out.backward()
    return dict(x=xv.grad, y=yv.grad, z=zv.grad)
''',
    "dict_loop_over_local_derivatives": '''
import math


def graph_edges():
    edges = set()
    for node, inputs in [("a", "xy"), ("b", "az"), ("c", "xz"), ("d", "c"), ("f", "bd")]:
        for i in inputs:
            edges.add((i, node))
    return edges


def forward_pass(x, y, z):
    v = {"x": x, "y": y, "z": z}
    v["a"] = v["x"] + v["y"]
    v["b"] = v["a"] * v["z"]
    v["c"] = v["x"] * v["z"]
    v["d"] = math.exp(v["c"])
    v["f"] = v["b"] + v["d"]
    return v


def backward_pass(x, y, z):
    v = forward_pass(x, y, z)
    local = {
        "f": [("b", 1.0), ("d", 1.0)],
        "d": [("c", v["d"])],
        "c": [("x", v["z"]), ("z", v["x"])],
        "b": [("a", v["z"]), ("z", v["a"])],
        "a": [("x", 1.0), ("y", 1.0)],
    }
    adj = {name: 0.0 for name in ["f", "d", "c", "b", "a", "x", "y", "z"]}
    adj["f"] = 1.0
    for node in ["f", "d", "c", "b", "a"]:
        for parent, derivative in local[node]:
            adj[parent] += adj[node] * derivative
    return adj


def value_gradients(x, y, z):
    x, y, z = Value(x), Value(y), Value(z)
    f = (x + y) * z + (x * z).exp()
    f.backward()
    return {name: v.grad for name, v in zip("xyz", (x, y, z))}
''',
    "defaultdict_accumulation": '''
import math
from collections import defaultdict


def graph_edges():
    return set([("x", "a"), ("y", "a"), ("a", "b"), ("z", "b"), ("x", "c"), ("z", "c"),
                ("c", "d"), ("b", "f"), ("d", "f")])


def forward_pass(x, y, z):
    out = {}
    out["x"], out["y"], out["z"] = x, y, z
    out["a"] = x + y
    out["b"] = out["a"] * z
    out["c"] = x * z
    out["d"] = math.exp(out["c"])
    out["f"] = out["b"] + out["d"]
    return out


def backward_pass(x, y, z):
    val = forward_pass(x, y, z)
    grad = defaultdict(float)
    grad["f"] = 1.0
    grad["b"] += grad["f"]
    grad["d"] += grad["f"]
    grad["c"] += grad["d"] * math.exp(val["c"])
    grad["a"] += grad["b"] * val["z"]
    grad["z"] += grad["b"] * val["a"]
    grad["x"] += grad["c"] * val["z"]
    grad["z"] += grad["c"] * val["x"]
    grad["x"] += grad["a"]
    grad["y"] += grad["a"]
    return dict(grad)


def value_gradients(x, y, z):
    leaves = [Value(x), Value(y), Value(z)]
    X, Y, Z = leaves
    result = X * Z + Y * Z + (X * Z).exp()
    result.backward()
    return {"x": leaves[0].grad, "y": leaves[1].grad, "z": leaves[2].grad}
''',
    "edges_from_a_list_converted": part_with("edges", (
        '''    return {("x", "a"), ("y", "a"), ("a", "b"), ("z", "b"), ("x", "c"),
            ("z", "c"), ("c", "d"), ("b", "f"), ("d", "f")}''',
        '''    edges = [("x", "a"), ("y", "a"), ("a", "b"), ("z", "b"), ("x", "c"),
             ("z", "c"), ("c", "d"), ("b", "f"), ("d", "f")]
    return set(edges)''')),
    "master_solution_style": submission(),
}
