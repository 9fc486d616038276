"""Submissions of exercise 28.4 as students write them (their solution cells, joined).

WRONG maps a name to (code, the exact set of point groups it must lose); RIGHT maps
a name to code that differs from the master solution but must get full marks.  The
given code (the cycle-free Value, make_chain, full_backprop) comes from the harness.
"""

_BEST = '''
def best_segment(n):
    best_k, best_cost = 1, None
    for k in range(1, n + 1):
        cost = -(-n // k) + k
        if best_cost is None or cost < best_cost:
            best_k, best_cost = k, cost
    return best_k
'''

_FORWARD_FLOATS = '''
def _forward(fs, x0, segment):
    checkpoints = []
    h = float(x0)
    for i, f in enumerate(fs):
        if i % segment == 0:
            checkpoints.append(h)
        h = f(Value(h)).data
    return h, checkpoints
'''

WRONG = {
    # The forward pass runs on one graph: floats are stored, but the whole chain stays alive.
    "keeps_every_graph": ('''
def checkpointed_backprop(fs, x0, segment):
    checkpoints = []
    x = Value(x0)
    for i, f in enumerate(fs):
        if i % segment == 0:
            checkpoints.append(x.data)
        x = f(x)
    y = x.data
    grad = 1.0
    for k in range(len(checkpoints) - 1, -1, -1):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad
''' + _BEST, {"checkpoint_memory"}),

    "full_backprop_inside": ('''
def checkpointed_backprop(fs, x0, segment):
    # same result as full backprop, so just use it
    return full_backprop(fs, x0)
''' + _BEST, {"checkpoint_memory"}),

    # Checkpoints kept as (detached) Value leaves: one extra live node per segment.
    "stores_values_as_checkpoints": ('''
def checkpointed_backprop(fs, x0, segment):
    checkpoints = []
    h = Value(x0)
    for i, f in enumerate(fs):
        if i % segment == 0:
            checkpoints.append(h)
        h = Value(f(h).data)
    y = h.data
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k].data)
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad
''' + _BEST, {"checkpoint_memory"}),

    # Every segment's output is appended to a list "for later".
    "keeps_segment_outputs": (_FORWARD_FLOATS + '''
def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    outputs = []
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        outputs.append(out)
        grad *= start.grad
    return y, grad
''' + _BEST, {"checkpoint_memory"}),

    # A first pass to get y, a second for the checkpoints, a third to rebuild: 3n calls.
    "three_n_calls": ('''
def checkpointed_backprop(fs, x0, segment):
    h = float(x0)
    for f in fs:
        h = f(Value(h)).data
    y = h
    checkpoints = []
    h = float(x0)
    for i, f in enumerate(fs):
        if i % segment == 0:
            checkpoints.append(h)
        h = f(Value(h)).data
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad
''' + _BEST, {"segment_and_budget"}),

    # The rebuilt segment runs one function too many (the next segment's first).
    "off_by_one_slice": (_FORWARD_FLOATS + '''
def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment + 1]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad
''' + _BEST, {"checkpoint_gradient", "checkpoint_memory", "segment_and_budget"}),

    # n // segment segments: the last, shorter one is forgotten.
    "floor_segment_count": ('''
def checkpointed_backprop(fs, x0, segment):
    n = len(fs)
    checkpoints = []
    h = float(x0)
    for i, f in enumerate(fs):
        if i % segment == 0:
            checkpoints.append(h)
        h = f(Value(h)).data
    grad = 1.0
    for k in reversed(range(n // segment)):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return h, grad
''' + _BEST, {"checkpoint_gradient", "checkpoint_memory", "segment_and_budget"}),

    # Recursion over the segments: every frame keeps its segment's graph alive.
    "recursion_keeps_frames": ('''
def checkpointed_backprop(fs, x0, segment):
    def run(k, h):
        start = Value(h)
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        if (k + 1) * segment >= len(fs):
            out.backward()
            return out.data, start.grad
        y, downstream = run(k + 1, out.data)
        out.backward()
        return y, downstream * start.grad
    return run(0, float(x0))
''' + _BEST, {"checkpoint_memory"}),

    # The student's own micrograd-style topological sort: a recursive closure makes a
    # reference cycle that holds the segment's graph until the garbage collector runs.
    "closure_cycle_topo_sort": (_FORWARD_FLOATS + '''
def _grad_of_segment(start, out):
    topo, seen = [], set()
    def build(v):
        if v not in seen:
            seen.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)
    build(out)
    out.grad = 1.0
    for v in reversed(topo):
        v._backward(v.grad)
    return start.grad


def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        grad *= _grad_of_segment(start, out)
    return y, grad
''' + _BEST, {"checkpoint_memory"}),

    # The graph's output Value is returned instead of its float.
    "returns_value_objects": (_FORWARD_FLOATS + '''
def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = Value(1.0)
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad = grad * start.grad
    return y, grad
''' + _BEST, {"checkpoint_gradient", "checkpoint_memory", "segment_and_budget"}),

    "best_segment_largest_tie": (_FORWARD_FLOATS + '''
import math

def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad


def best_segment(n):
    costs = {k: math.ceil(n / k) + k for k in range(1, n + 1)}
    lowest = min(costs.values())
    return max(k for k, c in costs.items() if c == lowest)
''', {"segment_and_budget"}),

    "best_segment_floor": (_FORWARD_FLOATS + '''
def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad


def best_segment(n):
    return min(range(1, n + 1), key=lambda k: n // k + k)
''', {"segment_and_budget"}),

    "best_segment_sqrt": (_FORWARD_FLOATS + '''
import math

def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad


def best_segment(n):
    return max(1, math.isqrt(n))
''', {"segment_and_budget"}),

    # Right k, but kept as a float.
    "best_segment_float": (_FORWARD_FLOATS + '''
import math

def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad


def best_segment(n):
    best = float(n)
    for k in range(n, 0, -1):
        if math.ceil(n / k) + k <= math.ceil(n / best) + best:
            best = float(k)
    return best
''', {"segment_and_budget"}),

    # The running derivative is overwritten instead of multiplied: right for one segment only.
    "overwrites_running_derivative": (_FORWARD_FLOATS + '''
def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad = start.grad
    return y, grad
''' + _BEST, {"checkpoint_gradient", "checkpoint_memory", "segment_and_budget"}),

    # A helper returns (leaf, out); the loop rebinds them only after the next segment is
    # built, so two segments' graphs are alive at once.
    "previous_segment_still_bound": ('''
def run_segment(functions, start_value):
    """Rebuild the graph of one segment; return its leaf and output."""
    leaf = Value(start_value)
    out = leaf
    for f in functions:
        out = f(out)
    return leaf, out


def checkpointed_backprop(fs, x0, segment):
    segments = [fs[i:i + segment] for i in range(0, len(fs), segment)]
    checkpoints = []
    value = x0
    for functions in segments:
        checkpoints.append(value)
        for f in functions:
            value = f(Value(value)).data
    derivative = 1.0
    for functions, start in zip(segments[::-1], checkpoints[::-1]):
        leaf, out = run_segment(functions, start)
        out.backward()
        derivative *= leaf.grad
    return value, derivative


def best_segment(n):
    import math
    best = 1
    for k in range(2, n + 1):
        if math.ceil(n / k) + k < math.ceil(n / best) + best:
            best = k
    return best
''', {"checkpoint_memory"}),


    # Searches only next to the integer square root: the smallest minimiser can lie further.
    "best_segment_near_sqrt": (_FORWARD_FLOATS + '''
import math

def checkpointed_backprop(fs, x0, segment):
    y, checkpoints = _forward(fs, x0, segment)
    grad = 1.0
    for k in reversed(range(len(checkpoints))):
        start = Value(checkpoints[k])
        out = start
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out.backward()
        grad *= start.grad
    return y, grad


def best_segment(n):
    r = math.isqrt(n)
    candidates = range(max(1, r - 2), min(n, r + 2) + 1)
    return min(candidates, key=lambda k: (math.ceil(n / k) + k, k))
''', {"segment_and_budget"}),
}

RIGHT = {
    # Checkpoints in a dict keyed by the step index; segments walked by their start index.
    "dict_checkpoints": ('''
import math

def checkpointed_backprop(fs, x0, segment):
    n = len(fs)
    saved = {}
    h = float(x0)
    for i in range(n):
        if i % segment == 0:
            saved[i] = h
        h = fs[i](Value(h)).data
    y = h
    dy = 1.0
    for begin in sorted(saved, reverse=True):
        leaf = Value(saved[begin])
        node = leaf
        for i in range(begin, min(begin + segment, n)):
            node = fs[i](node)
        node.backward()
        dy = dy * leaf.grad
        del leaf, node
    return (y, dy)


def best_segment(n):
    return min(range(1, n + 1), key=lambda k: (math.ceil(n / k) + k, k))
'''),

    # Segments listed first, then walked backwards; returns a list; the last segment's
    # graph is kept from the forward pass, so it is not recomputed (fewer than 2n calls).
    "keeps_last_segment": ('''
def checkpointed_backprop(fs, x0, segment):
    bounds = [(s, min(s + segment, len(fs))) for s in range(0, len(fs), segment)]
    starts = []
    h = float(x0)
    for s, e in bounds[:-1]:
        starts.append(h)
        for f in fs[s:e]:
            h = f(Value(h)).data
    last_in = Value(h)
    last_out = last_in
    for f in fs[bounds[-1][0]:]:
        last_out = f(last_out)
    y = last_out.data
    last_out.backward()
    total = last_in.grad
    del last_in, last_out
    for (s, e), h in zip(reversed(bounds[:-1]), reversed(starts)):
        x = Value(h)
        z = x
        for f in fs[s:e]:
            z = f(z)
        z.backward()
        total *= x.grad
    return [y, total]


def best_segment(n):
    k_best = n
    for k in range(n, 0, -1):
        if (n + k - 1) // k + k <= (n + k_best - 1) // k_best + k_best:
            k_best = k
    return k_best
'''),

    # A helper that runs one segment; checkpoints as a list built while walking.
    "segment_helper": ('''
def run_segment(functions, start_value):
    """Rebuild the graph of one segment; return its leaf and output."""
    leaf = Value(start_value)
    out = leaf
    for f in functions:
        out = f(out)
    return leaf, out


def checkpointed_backprop(fs, x0, segment):
    segments = [fs[i:i + segment] for i in range(0, len(fs), segment)]
    checkpoints = []
    value = x0
    for functions in segments:
        checkpoints.append(value)
        for f in functions:
            value = f(Value(value)).data
    derivative = 1.0
    for functions, start in zip(segments[::-1], checkpoints[::-1]):
        leaf, out = run_segment(functions, start)
        out.backward()
        derivative *= leaf.grad
        del leaf, out
    return value, derivative


def best_segment(n):
    import math
    best = 1
    for k in range(2, n + 1):
        if math.ceil(n / k) + k < math.ceil(n / best) + best:
            best = k
    return best
'''),

    # Searches k downwards from n, keeping ties (so the smallest wins); grads are accumulated by seeding the segment output with the downstream derivative.
    "seeded_with_downstream": ('''
import math

def checkpointed_backprop(fs, x0, segment):
    n = len(fs)
    cps = []
    cur = x0
    for i in range(n):
        if i % segment == 0:
            cps.append(cur)
        cur = fs[i](Value(cur)).data
    upstream = 1.0
    k = len(cps) - 1
    while k >= 0:
        x = Value(cps[k])
        out = x
        for f in fs[k * segment:(k + 1) * segment]:
            out = f(out)
        out = out * upstream
        out.backward()
        upstream = x.grad
        x = out = None
        k -= 1
    return cur, upstream


def best_segment(n):
    best, cost = n, 1 + n
    for k in range(n, 0, -1):
        c = (n + k - 1) // k + k
        if c <= cost:
            best, cost = k, c
    return best
'''),

    # Forward pass with a while loop and explicit indices; int result of best_segment from
    # a sorted list of (cost, k).
    "while_loops": ('''
def checkpointed_backprop(fs, x0, segment):
    n = len(fs)
    marks = []
    i, h = 0, x0
    while i < n:
        marks.append((i, h))
        j = i
        while j < min(i + segment, n):
            h = fs[j](Value(h)).data
            j += 1
        i = j
    g = 1.0
    for begin, start in reversed(marks):
        leaf = Value(start)
        out = leaf
        for f in fs[begin:begin + segment]:
            out = f(out)
        out.backward()
        g *= leaf.grad
        del out
    return h, g


def best_segment(n):
    return sorted(((n + k - 1) // k + k, k) for k in range(1, n + 1))[0][1]
'''),
}
