"""Submissions of exercise 28.6 as students write them (their solution cells, joined).

WRONG maps a name to (code, the exact set of point groups it must lose); RIGHT maps
a name to code that differs from the master solution but must get full marks.  The
given code (the chapter's Value, the MLP, xor_loss) comes from the harness; the given
engine cannot be edited, so every OpCounter patches it at run time.
"""


def _with(code, *changes):
    for old, new in changes:
        assert code.count(old) == 1, f"corpus edit not found exactly once: {old!r}"
        code = code.replace(old, new)
    return code


# A typical student notebook: wrappers swapped onto Value in __enter__, put back in __exit__.
_STUDENT = '''
import random

OPS = ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid']


class OpCounter:
    def __init__(self):
        self.forward = 0
        self.backward = 0
        self.visited = 0
        self.saved = {}

    def __enter__(self):
        for name in OPS:
            self.saved[name] = getattr(Value, name)
            setattr(Value, name, self.count_forward(self.saved[name]))
        self.saved['backward'] = Value.backward
        Value.backward = self.count_backward(self.saved['backward'])
        return self

    def __exit__(self, exc_type, exc, tb):
        for name, method in self.saved.items():
            setattr(Value, name, method)
        self.saved = {}

    def count_forward(self, method):
        def wrapper(*args):
            self.forward += 1
            return method(*args)
        return wrapper

    def count_backward(self, method):
        counter = self

        def wrapper(root):
            topo, seen, stack = [], set(), [root]
            while stack:
                node = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                topo.append(node)
                stack.extend(node._prev)
            for node in topo:
                counter.visited += 1
                if node._op in ('+', '*'):
                    counter.backward += 2
                elif node._prev:
                    counter.backward += 1
            return method(root)
        return wrapper


def cheap_gradient_ratios(hidden_sizes, seed=0):
    ratios = []
    for h in hidden_sizes:
        random.seed(seed)
        model = MLP(2, [h, h, 1])
        with OpCounter() as ops:
            loss = xor_loss(model)
            loss.backward()
        ratios.append(ops.backward / ops.forward)
    return ratios
'''

WRONG = {
    # Counts every Value made, leaves and wrapped constants included.
    "counts_leaves_in_forward": (_with(
        _STUDENT,
        ("OPS = ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid']\n",
         "OPS = ['__init__']\n")),
        {"forward_counts", "ratios"}),

    # Wraps every operator, composites too, counting only the outermost call.
    "composites_count_as_one": (_with(
        _STUDENT,
        ("OPS = ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid']\n",
         "OPS = ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid',\n"
         "       '__sub__', '__rsub__', '__truediv__', '__rtruediv__', '__neg__', '__radd__', '__rmul__']\n"),
        ("        self.saved = {}\n\n    def __enter__",
         "        self.saved = {}\n        self.depth = 0\n\n    def __enter__"),
        ("        def wrapper(*args):\n            self.forward += 1\n            return method(*args)\n",
         "        def wrapper(*args):\n            if self.depth == 0:\n                self.forward += 1\n"
         "            self.depth += 1\n            try:\n                return method(*args)\n"
         "            finally:\n                self.depth -= 1\n")),
        {"forward_counts"}),

    # Wraps the composites as well, without a guard: x - y counts 3.
    "counts_composites_too": (_with(
        _STUDENT,
        ("OPS = ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid']\n",
         "OPS = ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid',\n"
         "       '__sub__', '__truediv__', '__neg__']\n")),
        {"forward_counts", "ratios"}),

    # Backward contributions decided when the node is made: only Value arguments count, so
    # the constants that the operation wraps into Values are forgotten (and so are graphs
    # built before the block).
    "forgets_constants_in_backward": ('''
import random

PRIMS = {'__add__': '+', '__mul__': '*', '__pow__': '**', 'relu': 'relu', 'exp': 'exp',
         'log': 'log', 'tanh': 'tanh', 'sigmoid': 'sigmoid'}


class OpCounter:
    def __init__(self):
        self.forward = self.backward = self.visited = 0
        self.inputs = {}
        self.old = {}

    def __enter__(self):
        for name in PRIMS:
            self.old[name] = getattr(Value, name)
            setattr(Value, name, self._wrap(self.old[name]))
        self.old['backward'] = Value.backward
        counter = self

        def backward(root):
            order = root.topological_order()
            counter.visited += len(order)
            counter.backward += sum(counter.inputs.get(node, 0) for node in order)
            return counter.old['backward'](root)
        Value.backward = backward
        return self

    def _wrap(self, method):
        def counted(*args):
            out = method(*args)
            self.forward += 1
            self.inputs[out] = sum(1 for a in args if isinstance(a, Value))
            return out
        return counted

    def __exit__(self, *exc):
        for name, m in self.old.items():
            setattr(Value, name, m)
        return False


def cheap_gradient_ratios(hidden_sizes, seed=0):
    result = []
    for h in hidden_sizes:
        random.seed(seed)
        model = MLP(2, [h, h, 1])
        with OpCounter() as ops:
            loss = xor_loss(model)
            loss.backward()
        result.append(ops.backward / ops.forward)
    return result
''', {"backward_counts", "ratios"}),

    # One contribution per distinct input: x * x counts 1.
    "counts_distinct_inputs": (_with(
        _STUDENT,
        ("                if node._op in ('+', '*'):\n                    counter.backward += 2\n"
         "                elif node._prev:\n                    counter.backward += 1\n",
         "                counter.backward += len(node._prev)\n")),
        {"backward_counts"}),

    # A relu that output 0 passes nothing back, so the student counts nothing for it.
    "relu_zero_counts_nothing": (_with(
        _STUDENT,
        ("                elif node._prev:\n",
         "                elif node._op == 'relu' and node.data == 0:\n                    pass\n"
         "                elif node._prev:\n")),
        {"backward_counts"}),

    # ** treated as a binary operation (the exponent is not a node).
    "pow_counts_two": (_with(
        _STUDENT,
        ("                if node._op in ('+', '*'):\n", "                if node._op in ('+', '*', '**'):\n")),
        {"backward_counts", "ratios"}),

    # Seeding the output's grad counted as a contribution.
    "counts_the_seed": (_with(
        _STUDENT,
        ("            return method(root)\n", "            counter.backward += 1\n            return method(root)\n")),
        {"backward_counts", "ratios"}),

    "visited_without_leaves": (_with(
        _STUDENT,
        ("                counter.visited += 1\n", "                counter.visited += 1 if node._prev else 0\n")),
        {"visited_counts"}),

    # __exit__ forgets to put the methods back: the wrappers keep counting afterwards.
    "does_not_restore": (_with(
        _STUDENT,
        ("        for name, method in self.saved.items():\n            setattr(Value, name, method)\n"
         "        self.saved = {}\n",
         "        print('counted', self.forward, self.backward, self.visited)\n")),
        {"forward_counts"}),

    # A generator context manager without try/finally: an exception in the block leaves
    # the wrappers in place.
    "contextmanager_without_finally": ('''
import contextlib
import random

NAMES = ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid']


class Counts:
    def __init__(self):
        self.forward = 0
        self.backward = 0
        self.visited = 0


@contextlib.contextmanager
def OpCounter():
    counts = Counts()
    originals = {name: getattr(Value, name) for name in NAMES + ['backward']}

    def wrap(method):
        def run(*args):
            counts.forward += 1
            return method(*args)
        return run

    def backward(self):
        order = self.topological_order()
        counts.visited += len(order)
        counts.backward += sum(2 if n._op in '+*' else 1 for n in order if n._prev)
        originals['backward'](self)

    for name in NAMES:
        setattr(Value, name, wrap(originals[name]))
    Value.backward = backward
    yield counts
    for name, method in originals.items():
        setattr(Value, name, method)


def cheap_gradient_ratios(hidden_sizes, seed=0):
    out = []
    for h in hidden_sizes:
        random.seed(seed)
        net = MLP(2, [h, h, 1])
        with OpCounter() as c:
            xor_loss(net).backward()
        out.append(c.backward / c.forward)
    return out
''', {"forward_counts"}),

    # __exit__ returns True, which swallows any exception raised inside the block.
    "swallows_exceptions": (_with(
        _STUDENT,
        ("        self.saved = {}\n\n    def count_forward",
         "        self.saved = {}\n        return True\n\n    def count_forward")),
        {"forward_counts"}),

    # Patches Value when the counter is made, not when the block starts.
    "counts_from_construction": (_with(
        _STUDENT,
        ("        self.saved = {}\n\n    def __enter__(self):\n",
         "        self.saved = {}\n        self.install()\n\n    def __enter__(self):\n        return self\n\n"
         "    def install(self):\n")),
        {"forward_counts", "backward_counts", "visited_counts"}),

    "ratio_inverted": (_with(
        _STUDENT, ("        ratios.append(ops.backward / ops.forward)\n",
                   "        ratios.append(ops.forward / ops.backward)\n")),
        {"ratios"}),

    # Reads MLP(2, [h, h, 1]) as one hidden layer of h neurons.
    "one_hidden_layer": (_with(
        _STUDENT, ("        model = MLP(2, [h, h, 1])\n", "        model = MLP(2, [h, 1])\n")),
        {"ratios"}),

    "float_counts": (_with(
        _STUDENT, ("        self.forward = 0\n        self.backward = 0\n        self.visited = 0\n",
                   "        self.forward = 0.0\n        self.backward = 0.0\n        self.visited = 0.0\n")),
        {"forward_counts", "backward_counts", "visited_counts"}),
}

RIGHT = {
    # Wrappers installed once, for good; a module-level list says which counters listen.
    "global_active_list": ('''
import random

_active = []


def _install():
    for name in ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid']:
        original = getattr(Value, name)

        def counted(*args, _original=original):
            for c in _active:
                c.forward += 1
            return _original(*args)
        setattr(Value, name, counted)
    original_backward = Value.backward

    def backward(self):
        for c in _active:
            for node in self.topological_order():
                c.visited += 1
                if node._prev:
                    c.backward += 2 if node._op in ('+', '*') else 1
        return original_backward(self)
    Value.backward = backward


_install()


class OpCounter:
    def __init__(self):
        self.forward = 0
        self.backward = 0
        self.visited = 0

    def __enter__(self):
        _active.append(self)
        return self

    def __exit__(self, *exc_info):
        _active.remove(self)


def cheap_gradient_ratios(hidden_sizes, seed=0):
    ratios = []
    for h in hidden_sizes:
        random.seed(seed)
        model = MLP(2, [h, h, 1])
        with OpCounter() as ops:
            loss = xor_loss(model)
            loss.backward()
        ratios.append(ops.backward / ops.forward)
    return ratios
'''),

    # Backward counted by wrapping every node's _backward closure during backward().
    "wraps_backward_closures": ('''
import random


class OpCounter:
    PRIMS = ('__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid')

    def __init__(self):
        self.forward, self.backward, self.visited = 0, 0, 0
        self._orig = None

    def __enter__(self):
        self._orig = {name: Value.__dict__[name] for name in self.PRIMS + ('backward',)}
        for name in self.PRIMS:
            setattr(Value, name, self._forward_counter(self._orig[name]))
        setattr(Value, 'backward', self._backward_counter(self._orig['backward']))
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        for name, fn in self._orig.items():
            setattr(Value, name, fn)
        return None

    def _forward_counter(self, fn):
        def counted(*args):
            self.forward += 1
            return fn(*args)
        return counted

    def _backward_counter(self, fn):
        def counted(out):
            nodes = out.topological_order()
            saved = [node._backward for node in nodes]
            for node in nodes:
                node._backward = self._counting_rule(node, node._backward)
            try:
                return fn(out)
            finally:
                for node, rule in zip(nodes, saved):
                    node._backward = rule
        return counted

    def _counting_rule(self, node, rule):
        def run():
            self.visited += 1
            if node._prev:
                self.backward += 2 if node._op in ('+', '*') else 1
            rule()
        return run


def cheap_gradient_ratios(hidden_sizes, seed=0):
    out = []
    for h in hidden_sizes:
        random.seed(seed)
        m = MLP(2, [h, h, 1])
        with OpCounter() as ops:
            xor_loss(m).backward()
        out.append(ops.backward / ops.forward)
    return out
'''),

    # An operation is a node made with a non-empty _op: count in a patched __init__.
    "patched_init": ('''
import random


class OpCounter:
    def __init__(self):
        self.forward = 0
        self.backward = 0
        self.visited = 0

    def __enter__(self):
        self._init, self._backprop = Value.__init__, Value.backward
        counter = self
        original_init, original_backward = self._init, self._backprop

        def __init__(self, data, _children=(), _op='', label=''):
            original_init(self, data, _children, _op, label)
            if _op:
                counter.forward += 1

        def backward(self):
            topo = []
            seen = set()

            def visit(v):
                if v not in seen:
                    seen.add(v)
                    for child in v._prev:
                        visit(child)
                    topo.append(v)
            visit(self)
            for v in topo:
                counter.visited += 1
                if v._op in ('+', '*'):
                    counter.backward += 2
                elif v._op:
                    counter.backward += 1
            return original_backward(self)

        Value.__init__ = __init__
        Value.backward = backward
        return self

    def __exit__(self, *args):
        Value.__init__ = self._init
        Value.backward = self._backprop
        return False


def cheap_gradient_ratios(hidden_sizes, seed=0):
    values = []
    for h in hidden_sizes:
        random.seed(seed)
        model = MLP(2, [h, h, 1])
        with OpCounter() as counter:
            loss = xor_loss(model)
            loss.backward()
        values.append(counter.backward / counter.forward)
    return values
'''),

    # contextlib with try/finally, yielding a small record of counts.
    "contextmanager_with_finally": ('''
import contextlib
import random
from types import SimpleNamespace


@contextlib.contextmanager
def OpCounter():
    c = SimpleNamespace(forward=0, backward=0, visited=0)
    names = ['__add__', '__mul__', '__pow__', 'relu', 'exp', 'log', 'tanh', 'sigmoid']
    saved = {n: getattr(Value, n) for n in names}
    saved_backward = Value.backward

    def counting(method):
        def call(*a):
            result = method(*a)
            c.forward += 1
            return result
        return call

    def backward(root):
        order = root.topological_order()
        c.visited += len(order)
        for node in order:
            if node._prev:
                c.backward += 2 if node._op in ('+', '*') else 1
        return saved_backward(root)

    try:
        for n in names:
            setattr(Value, n, counting(saved[n]))
        Value.backward = backward
        yield c
    finally:
        for n in names:
            setattr(Value, n, saved[n])
        Value.backward = saved_backward


def cheap_gradient_ratios(hidden_sizes, seed=0):
    ratios = []
    for h in hidden_sizes:
        random.seed(seed)
        model = MLP(2, [h, h, 1])
        with OpCounter() as ops:
            loss = xor_loss(model)
            loss.backward()
        ratios.append(float(ops.backward) / ops.forward)
    return ratios
'''),

    # The typical notebook, with the backward counted from _prev's size and the
    # operation's arity (binary ops count 2 even when both inputs are the same node).
    "arity_table": (_with(
        _STUDENT,
        ("                if node._op in ('+', '*'):\n                    counter.backward += 2\n"
         "                elif node._prev:\n                    counter.backward += 1\n",
         "                counter.backward += {'+': 2, '*': 2}.get(node._op, 1 if node._prev else 0)\n"))),
}
