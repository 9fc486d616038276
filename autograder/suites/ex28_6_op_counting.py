"""Hidden checks of exercise 28.6: OpCounter and cheap_gradient_ratios.

Expressions are drawn here when grading runs, as recipes of plain data (leaf values
and a list of steps such as ["mul", 0, 2] or ["rsub_c", 1, 2.0]); a probe evaluates
the recipe on the student's ``Value`` inside ``with OpCounter() as ops`` and reports
the counts.  The same probe runs here on `solutions.engine.Value` with
`solutions.op_counting.OpCounter`, and the counts must agree exactly (as ints).
"""
import math

import pytest

from autograder import checks
from autograder.errors import WrongType
from solutions import op_counting as ref
from solutions.engine import Value

REFERENCE_NS = {"Value": Value, "OpCounter": ref.OpCounter}

# The composite operations of the counting model: (step, forward ops) as EXERCISES.md states.
COMPOSITES = [
    (["sub", 0, 1], 2, "x - y"),
    (["sub_c", 0, 2], 1, "x - 2"),
    (["truediv", 0, 1], 2, "x / y"),
    (["div_c", 0, 2], 1, "x / 2"),
    (["rsub_c", 0, 2], 2, "2 - x"),
    (["rdiv_c", 0, 2], 2, "2 / x"),
    (["neg", 0], 1, "-x"),
    (["add_c", 0, 2], 1, "x + 2"),
    (["radd_c", 0, 2], 1, "2 + x"),
    (["mul_c", 0, 2], 1, "x * 2"),
    (["rmul_c", 0, 2], 1, "2 * x"),
    (["pow", 0, 2], 1, "x ** 2"),
    (["add", 0, 1], 1, "x + y"),
    (["mul", 0, 1], 1, "x * y"),
    (["relu", 0], 1, "x.relu()"),
    (["exp", 0], 1, "x.exp()"),
    (["log", 0], 1, "x.log()"),
    (["tanh", 0], 1, "x.tanh()"),
    (["sigmoid", 0], 1, "x.sigmoid()"),
]


# ---- probes: run beside the student's code, return plain data ----

def count_recipes(ns, cases):
    """For each case [leaves, steps, roots, outside]: evaluate ``steps`` on leaves made
    from ``leaves`` inside ``with OpCounter() as ops``, then call backward() on nodes[r]
    for each r of ``roots``.  With ``outside`` the leaves and the steps run before the
    block and only the backward calls run inside it.  Returns [forward, backward,
    visited] for each case."""
    Value, OpCounter = ns["Value"], ns["OpCounter"]

    def run(nodes, steps):
        for step in steps:
            op, a = step[0], nodes[step[1]]
            if op in ("add", "mul", "sub", "truediv"):
                b = nodes[step[2]]
                out = {"add": lambda: a + b, "mul": lambda: a * b, "sub": lambda: a - b,
                       "truediv": lambda: a / b}[op]()
            elif op in ("relu", "exp", "log", "tanh", "sigmoid"):
                out = getattr(a, op)()
            elif op == "neg":
                out = -a
            else:
                c = step[2]
                out = {"pow": lambda: a ** c, "add_c": lambda: a + c, "radd_c": lambda: c + a,
                       "mul_c": lambda: a * c, "rmul_c": lambda: c * a, "sub_c": lambda: a - c,
                       "rsub_c": lambda: c - a, "div_c": lambda: a / c,
                       "rdiv_c": lambda: c / a}[op]()
            nodes.append(out)
        return nodes

    results = []
    for leaves, steps, roots, outside in cases:
        if outside:
            nodes = run([Value(v) for v in leaves], steps)
            with OpCounter() as ops:
                for r in roots:
                    nodes[r].backward()
        else:
            with OpCounter() as ops:
                nodes = run([Value(v) for v in leaves], steps)
                for r in roots:
                    nodes[r].backward()
        results.append([ops.forward, ops.backward, ops.visited])
    return results


def count_in_context(ns, x, y, fail):
    """Operations before the counter exists, between OpCounter() and the with, inside,
    and after the block; optionally the block raises.  Returns the counts at exit and
    after later work, whether the block's exception came out, the values and grads
    computed after the block, and the counts of a second, later counter."""
    Value, OpCounter = ns["Value"], ns["OpCounter"]

    class Planned(Exception):
        pass

    a, b = Value(x), Value(y)
    before = (a * b + a.tanh()) ** 2
    before.backward()
    counter = OpCounter()
    between = (a - b).exp() + b.sigmoid()
    between.backward()
    came_out = False
    try:
        with counter as ops:
            inside = (a * b).relu() + (b - 2) * a / b
            inside.backward()
            if fail:
                raise Planned()
    except Planned:
        came_out = True
    at_exit = [ops.forward, ops.backward, ops.visited]
    c, d = Value(x), Value(y)
    after = (c * d).tanh() - 3 / d + c ** 2 + (c + d).exp().log()
    after.backward()
    later = [ops.forward, ops.backward, ops.visited]
    with OpCounter() as second:
        e = Value(x)
        f = e * e + e.sigmoid() - 1
        f.backward()
    return [at_exit, later, came_out, [after.data, c.grad, d.grad, f.data, e.grad],
            [second.forward, second.backward, second.visited]]


def ratios_of(ns, hidden_sizes, seed):
    """cheap_gradient_ratios, with and without the seed argument."""
    if seed is None:
        return ns["cheap_gradient_ratios"](hidden_sizes)
    return ns["cheap_gradient_ratios"](hidden_sizes, seed)


# ---- recipes, drawn in the trusted process ----

def _apply(step, vals):
    """The float a step computes; raises where the engine would (log of x <= 0, 0 ** -1,
    a negative base to a fractional power gives a complex number, checked by the caller)."""
    op, a = step[0], vals[step[1]]
    c = vals[step[2]] if op in BINARY else (step[2] if len(step) > 2 else None)
    return {
        "add": lambda: a + c, "mul": lambda: a * c, "sub": lambda: a - c, "truediv": lambda: a / c,
        "relu": lambda: max(a, 0.0), "exp": lambda: math.exp(a), "log": lambda: math.log(a),
        "tanh": lambda: math.tanh(a), "sigmoid": lambda: 0.5 * (1 + math.tanh(a / 2)),
        "neg": lambda: -a, "pow": lambda: a ** c, "add_c": lambda: a + c, "radd_c": lambda: c + a,
        "mul_c": lambda: a * c, "rmul_c": lambda: c * a, "sub_c": lambda: a - c,
        "rsub_c": lambda: c - a, "div_c": lambda: a / c, "rdiv_c": lambda: c / a,
    }[op]()


BINARY = ["add", "mul", "sub", "truediv"]
UNARY = ["relu", "exp", "log", "tanh", "sigmoid", "neg"]
WITH_CONSTANT = ["pow", "add_c", "radd_c", "mul_c", "rmul_c", "sub_c", "rsub_c", "div_c", "rdiv_c"]
CONSTANTS = [2, 3, -1, 0.5, -2.5, 1.5, 0.0]
EXPONENTS = [2, 3, -1, 0.5, 2.0, -2]


def draw_recipe(rng, n_leaves, n_steps, relu_below_zero=True):
    """Leaf values and steps whose every intermediate stays finite and moderate; reuse of
    a node (x * x, x + x) is frequent, and some nodes are left out of the final output."""
    leaves = [rng.choice([-1, 1]) * rng.uniform(0.3, 2.0) for _ in range(n_leaves)]
    vals, steps = list(leaves), []
    if relu_below_zero:
        i = min(range(n_leaves), key=lambda k: vals[k])
        if vals[i] > 0:
            steps.append(["neg", i])
            vals.append(-vals[i])
            i = len(vals) - 1
        steps.append(["relu", i])
        vals.append(0.0)
    while len(steps) < n_steps:
        kind = rng.random()
        recent = rng.random() < 0.6
        i = rng.randrange(max(0, len(vals) - 3) if recent else 0, len(vals))
        if kind < 0.4:
            op = rng.choice(BINARY)
            j = i if rng.random() < 0.25 else rng.randrange(len(vals))
            step = [op, i, j]
        elif kind < 0.7:
            step = [rng.choice(UNARY), i]
        else:
            op = rng.choice(WITH_CONSTANT)
            step = [op, i, rng.choice(EXPONENTS if op == "pow" else CONSTANTS)]
        try:
            v = _apply(step, vals)
        except (ValueError, OverflowError, ZeroDivisionError):
            continue
        if isinstance(v, complex) or not math.isfinite(v) or abs(v) > 1e3 or 0 < abs(v) < 1e-3:
            continue
        if step[0] == "pow" and vals[step[1]] == 0:     # its backward would divide by zero
            continue
        steps.append(step)
        vals.append(float(v))
    return leaves, steps


def show_recipe(leaves, steps):
    names = [f"x{i}" for i in range(len(leaves))]
    text = {"add": "{a} + {b}", "mul": "{a} * {b}", "sub": "{a} - {b}", "truediv": "{a} / {b}",
            "relu": "{a}.relu()", "exp": "{a}.exp()", "log": "{a}.log()", "tanh": "{a}.tanh()",
            "sigmoid": "{a}.sigmoid()", "neg": "-{a}", "pow": "{a} ** {c}", "add_c": "{a} + {c}",
            "radd_c": "{c} + {a}", "mul_c": "{a} * {c}", "rmul_c": "{c} * {a}", "sub_c": "{a} - {c}",
            "rsub_c": "{c} - {a}", "div_c": "{a} / {c}", "rdiv_c": "{c} / {a}"}
    lines = [", ".join(f"{n} = Value({v!r})" for n, v in zip(names, leaves))]
    for k, step in enumerate(steps):
        a = names[step[1]]
        b = names[step[2]] if step[0] in BINARY else None
        c = step[2] if len(step) > 2 and step[0] not in BINARY else None
        names.append(f"n{k}")
        lines.append(f"n{k} = " + text[step[0]].format(a=a, b=b, c=c))
    return "; ".join(lines)


def counts(student, cases):
    """[(got, expected)] of [ops.forward, ops.backward, ops.visited] for each case
    (leaves, steps, roots, outside), all run by one probe."""
    cases = [[leaves, steps, roots, outside] for leaves, steps, roots, outside in cases]
    got = student.probe(count_recipes, cases)
    expected = count_recipes(REFERENCE_NS, cases)
    checks.sequence(got, len(cases), "results")
    for row in got:
        checks.sequence(row, 3, "[ops.forward, ops.backward, ops.visited]")
    return list(zip(got, expected))


def check_count(got, expected, what, where):
    if type(got) is not int:
        raise WrongType(f"{what} for {where}: counts are ints, got {type(got).__name__}: {got!r}")
    if got != expected:
        raise AssertionError(f"{what} for {where}: expected {expected}, got {got}")


def describe(leaves, steps, roots, outside=False):
    names = [f"x{i}" for i in range(len(leaves))] + [f"n{k}" for k in range(len(steps))]
    calls = "; ".join(f"{names[r]}.backward()" for r in roots) or "no backward()"
    where = ("built before the block, with only " + calls + " inside it") if outside else \
        f"with OpCounter() as ops: {show_recipe(leaves, steps)}; {calls}"
    return where


def covering_recipe(rng):
    """Every kind of step once (each binary one also on a node used as both of its
    operands, relu also below 0), all summed into the last node, so that backward()
    on it reaches every one: a counting mistake about any kind of node then shows
    whatever the draw, and two students with the same mistake lose the same points."""
    x, y = rng.uniform(0.5, 2.0), -rng.uniform(0.5, 2.0)
    terms = [[op, 0, 1] for op in BINARY] + [[op, 0, 0] for op in BINARY]
    terms += [[op, 0] for op in UNARY] + [["relu", 1]]
    for op in WITH_CONSTANT:
        choices = EXPONENTS if op == "pow" else [c for c in CONSTANTS if c or op != "div_c"]
        terms.append([op, 0, rng.choice(choices)])
    steps, total = list(terms), 2
    for k in range(3, 2 + len(terms)):
        steps.append(["add", total, k])
        total = 1 + len(steps)
    return [x, y], steps, [total]


def random_cases(rng, count, relu_below_zero=True):
    """The covering recipe, then ``count`` random recipes, with the node(s) to call
    backward() on."""
    yield covering_recipe(rng)
    made = 0
    while made < count:
        leaves, steps = draw_recipe(rng, rng.randint(1, 4), rng.randint(4, 18), relu_below_zero)
        n = len(leaves) + len(steps)
        roots = [n - 1] if rng.random() < 0.7 else [rng.randrange(len(leaves), n)]
        try:
            count_recipes(REFERENCE_NS, [[leaves, steps, roots, False]])
        except (ArithmeticError, ValueError):
            continue
        made += 1
        yield leaves, steps, roots


# ---- forward counts (4 points) ----

@pytest.mark.group("forward_counts")
def test_forward_primitives_and_composites(student, rng):
    """forward counts 1 per primitive; composites count the primitives they run"""
    x, y = rng.uniform(0.5, 2.0), rng.uniform(-2.0, -0.5)
    cases = []
    for step, _, _ in COMPOSITES:
        leaves = [x, y] if rng.random() < 0.5 else [y, x]
        cases.append(([abs(v) for v in leaves] if step[0] == "log" else leaves, [step], [], False))
    for (got, expected), (step, forward, text), case in zip(counts(student, cases), COMPOSITES, cases):
        if expected[0] != forward:           # the reference must follow the model
            raise RuntimeError(f"the reference counts {expected[0]} for {text}")
        check_count(got[0], forward, f"ops.forward for {text}",
                    f"x = Value({case[0][0]!r}), y = Value({case[0][1]!r}) made inside the block")


@pytest.mark.group("forward_counts")
def test_forward_leaves_count_nothing(student, rng):
    """making leaves counts 0"""
    leaves = [rng.uniform(-3, 3) for _ in range(rng.randint(1, 6))]
    [(got, expected)] = counts(student, [(leaves, [], [], False)])
    check_count(got[0], 0, "ops.forward", f"a block that only makes {len(leaves)} leaves")


@pytest.mark.group("forward_counts", weight=2)
def test_forward_random_expressions(student, rng):
    """forward counts on random expressions (reused nodes, constants on either side)"""
    cases = [(leaves, steps, roots if rng.random() < 0.5 else [], False)
             for leaves, steps, roots in random_cases(rng, 6)]
    for (got, expected), (leaves, steps, roots, _) in zip(counts(student, cases), cases):
        check_count(got[0], expected[0], "ops.forward", describe(leaves, steps, roots))


def in_context(student, rng, fail):
    """Run `count_in_context` in the child and here; describe the scenario."""
    x, y = rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0)
    got = student.probe(count_in_context, x, y, fail)
    expected = count_in_context(REFERENCE_NS, x, y, fail)
    checks.sequence(got, 5, "results")
    where = (f"x = {x!r}, y = {y!r}: operations and backward() before OpCounter(), between "
             "OpCounter() and the with, inside the block" + (" (which then raises)" if fail else "")
             + ", and after it")
    return got, expected, where


@pytest.mark.group("forward_counts", weight=2)
def test_counts_only_inside_the_block(student, rng):
    """only the block counts; the Value class works as before after it, even when the block raises"""
    for fail in (False, True):
        got, expected, where = in_context(student, rng, fail)
        at_exit, later, came_out, values, second = got
        checks.sequence(at_exit, 3, "counts")
        check_count(at_exit[0], expected[0][0], "ops.forward when the block ends", where)
        if fail and came_out is not True:
            raise AssertionError("an exception raised inside the with block must come out of it "
                                 "(__exit__ should not swallow it)")
        checks.sequence(later, 3, "counts")
        for name, g, e in zip(("forward", "backward", "visited"), later, at_exit):
            if g != e:
                raise AssertionError(f"ops.{name} changed from {e!r} to {g!r} after the block ended, "
                                     f"when more operations ran outside it ({where}): put the "
                                     "original methods back when the block ends"
                                     + (", even when it raises" if fail else ""))
        checks.all_close(values, expected[3], "values and grads computed after the block", where)
        checks.sequence(second, 3, "counts")
        check_count(second[0], expected[4][0], "ops.forward of a second OpCounter used after the first",
                    where)


# ---- backward counts (4 points) ----

@pytest.mark.group("backward_counts")
def test_backward_hand_made(student, rng):
    """backward counts 2 per binary primitive, 1 per unary, constants included"""
    x, y = rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0)
    cases = [([x, y], [step], [2], False) for step, _, _ in COMPOSITES]
    for (got, expected), (_, _, text) in zip(counts(student, cases), COMPOSITES):
        check_count(got[1], expected[1], f"ops.backward for {text}",
                    f"x = Value({x!r}), y = Value({y!r}); out = {text}; out.backward()")


@pytest.mark.group("backward_counts")
def test_backward_reuse_and_zero_contributions(student, rng):
    """x * x and x + x count 2; relu below 0 still counts its (zero) contribution; the seed counts 0"""
    x = rng.uniform(0.5, 2.0)
    named = [([x], [["mul", 0, 0]], "x * x"), ([x], [["add", 0, 0]], "x + x"),
             ([-x], [["relu", 0]], "x.relu() with x < 0"),
             ([x], [["neg", 0], ["relu", 1]], "(-x).relu()"),
             ([x, -x], [["mul", 0, 1], ["relu", 2], ["mul", 3, 0]], "(x * y).relu() * x with x * y < 0"),
             ([x], [["mul_c", 0, 0.0]], "x * 0.0"),
             ([x], [], "a leaf x")]
    cases = [(leaves, steps, [len(leaves) + len(steps) - 1], False) for leaves, steps, _ in named]
    for (got, expected), (leaves, steps, text) in zip(counts(student, cases), named):
        check_count(got[1], expected[1], f"ops.backward for {text}",
                    f"{show_recipe(leaves, steps)}; backward() on the last")


@pytest.mark.group("backward_counts", weight=2)
def test_backward_random_expressions(student, rng):
    """backward counts on random expressions, only over the nodes backward() reaches"""
    cases = [(leaves, steps, roots, False) for leaves, steps, roots in random_cases(rng, 6)]
    for (got, expected), (leaves, steps, roots, _) in zip(counts(student, cases), cases):
        check_count(got[1], expected[1], "ops.backward", describe(leaves, steps, roots))


@pytest.mark.group("backward_counts")
def test_backward_only_inside_the_block(student, rng):
    """only backward() calls inside the block count"""
    got, expected, where = in_context(student, rng, rng.random() < 0.5)
    check_count(got[0][1], expected[0][1], "ops.backward when the block ends", where)
    check_count(got[4][1], expected[4][1], "ops.backward of a second OpCounter used after the first",
                where)


@pytest.mark.group("backward_counts")
def test_backward_of_a_graph_built_before(student, rng):
    """backward() inside the block counts even when the graph was built before it, once per call"""
    cases = [(leaves, steps, roots * 2 if twice else roots, True)
             for twice, (leaves, steps, roots) in zip((False, True), random_cases(rng, 2))]
    for (got, expected), (leaves, steps, roots, _) in zip(counts(student, cases), cases):
        where = describe(leaves, steps, roots, outside=True) + f" ({show_recipe(leaves, steps)})"
        check_count(got[1], expected[1], "ops.backward", where)
        check_count(got[0], expected[0], "ops.forward", where)


# ---- visited (2 points) ----

@pytest.mark.group("visited_counts")
def test_visited_hand_made(student, rng):
    """visited counts every node whose _backward runs, leaves included, each node once"""
    x, y = rng.uniform(0.5, 2.0), rng.uniform(0.5, 2.0)
    named = [([x, y], [step], text) for step, _, text in COMPOSITES[:6]]
    named += [([x], [], "a leaf x"), ([x], [["mul", 0, 0]], "x * x"),
              ([x, y], [["mul", 0, 1], ["add", 2, 0], ["mul", 3, 2]], "diamond: a = x*y; (a + x) * a")]
    cases = [(leaves, steps, [len(leaves) + len(steps) - 1], False) for leaves, steps, _ in named]
    for (got, expected), (leaves, steps, text) in zip(counts(student, cases), named):
        check_count(got[2], expected[2], f"ops.visited for {text}",
                    f"{show_recipe(leaves, steps)}; backward() on the last")
    leaves, steps = [x, y], [["mul", 0, 1], ["tanh", 2], ["add", 3, 0]]
    for roots in ([4, 4], [2, 4]):
        [(got, expected)] = counts(student, [(leaves, steps, roots, False)])
        calls = " then ".join(f"n{r - 2}.backward()" for r in roots)
        check_count(got[2], expected[2], "ops.visited (every backward() call counts its nodes)",
                    f"{show_recipe(leaves, steps)}; {calls}")


@pytest.mark.group("visited_counts")
def test_visited_only_inside_the_block(student, rng):
    """only backward() calls inside the block count their visited nodes"""
    got, expected, where = in_context(student, rng, rng.random() < 0.5)
    check_count(got[0][2], expected[0][2], "ops.visited when the block ends", where)
    check_count(got[4][2], expected[4][2], "ops.visited of a second OpCounter used after the first",
                where)


@pytest.mark.group("visited_counts")
def test_visited_random_expressions(student, rng):
    """visited counts on random expressions"""
    cases = [(leaves, steps, roots, False) for leaves, steps, roots in random_cases(rng, 5)]
    for (got, expected), (leaves, steps, roots, _) in zip(counts(student, cases), cases):
        check_count(got[2], expected[2], "ops.visited", describe(leaves, steps, roots))


# ---- cheap gradient ratios (2 points) ----

@pytest.mark.group("ratios")
def test_cheap_gradient_ratios(student, rng):
    """cheap_gradient_ratios gives backward ops / forward ops of one step of MLP(2, [h, h, 1])"""
    sizes = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
    seed = rng.randrange(1000)
    for args in ((sizes, seed), ([rng.randint(1, 3)], None), ([], rng.randrange(10))):
        got = student.probe(ratios_of, *args)
        expected = ref.cheap_gradient_ratios(args[0]) if args[1] is None else \
            ref.cheap_gradient_ratios(*args)
        call = f"cheap_gradient_ratios({args[0]!r}" + ("" if args[1] is None else f", {args[1]}") + ")"
        if type(got) is not list:
            raise WrongType(f"{call}: expected a list of floats, got a {type(got).__name__}")
        checks.all_close(got, expected, call)
