"""Hidden checks of exercise 28.2: Dual, f and forward_mode_gradient.

Probes run next to the student's code and return plain numbers; every verdict
is made here, against `solutions.dual`, on inputs drawn when grading runs.
Expressions are evaluated on the student's `Dual` and on the reference `Dual`
alike, so each check names the expression it evaluated.

The checks of each point group use only what that group is about: the
arithmetic checks call no elementary function, the elementary-function checks
no arithmetic, and the checks of `forward_mode_gradient` give it a function
that does its own arithmetic on the Duals' values and tangents, so a mistake
in one part costs the points of that part only.
"""
import re

import pytest

from autograder import checks
from autograder.errors import WrongType
from solutions import dual

# ---- probes: run beside the student's code, return plain data ----


def dual_expressions(ns, bindings, expressions):
    """Evaluate each expression with the names of ``bindings`` bound to Duals.

    One row per expression: ["dual", value, tangent, [their type names]],
    ["other", type name] or ["raised", message]; then whether every bound Dual
    still holds its value and tangent afterwards."""
    Dual = ns["Dual"]
    env = {"Dual": Dual}
    for name, (value, tangent) in bindings.items():
        env[name] = Dual(value, tangent)
    before = {name: [env[name].value, env[name].tangent] for name in bindings}
    rows = []
    for text in expressions:
        try:
            result = eval(text, {"__builtins__": {}}, dict(env))
        except Exception as exc:
            rows.append(["raised", f"{type(exc).__name__}: {exc}"])
            continue
        if isinstance(result, Dual):
            rows.append(["dual", result.value, result.tangent,
                         [type(result.value).__name__, type(result.tangent).__name__]])
        else:
            rows.append(["other", type(result).__name__])
    after = {name: [env[name].value, env[name].tangent] for name in bindings}
    return [rows, after == before]


def f_on_duals(ns, rows):
    """f(Dual(x, tx), Dual(y, ty)) for each row [x, tx, y, ty]."""
    Dual = ns["Dual"]
    results = []
    for x, tx, y, ty in rows:
        out = ns["f"](Dual(x, tx), Dual(y, ty))
        if isinstance(out, Dual):
            results.append(["dual", out.value, out.tangent,
                            [type(out.value).__name__, type(out.tangent).__name__]])
        else:
            results.append(["other", type(out).__name__])
    return results


def forward_mode_run(ns, kind, point, coeffs):
    """forward_mode_gradient(func, point) with a func that records every call.

    func reads its Duals' values and tangents, does its own forward-mode
    arithmetic on them and returns a Dual made with the student's constructor.
    Returns [gradient, calls, the gradient's type names], one call = one
    [is a Dual, value, tangent] per argument."""
    import math

    Dual = ns["Dual"]
    n = len(point)
    calls = []

    def func(*args):
        seen = []
        for arg in args:
            if isinstance(arg, Dual):
                seen.append([True, arg.value, arg.tangent])
            else:
                seen.append([False, type(arg).__name__, None])
        calls.append(seen)
        if len(args) != n:
            raise TypeError(f"func takes {n} arguments (one Dual per input), got {len(args)}")
        for arg in seen:
            if not arg[0]:
                raise TypeError(f"func takes Duals, got a {arg[1]}")
        x = [(float(a.value), float(a.tangent)) for a in args]

        def add(p, q):
            return (p[0] + q[0], p[1] + q[1])

        def mul(p, q):
            return (p[0] * q[0], p[1] * q[0] + p[0] * q[1])

        def scale(c, p):
            return (c * p[0], c * p[1])

        out = (coeffs[-1], 0.0)
        if kind == "mixed":
            for i in range(n):
                out = add(out, scale(coeffs[i], mul(x[i], x[(i + 1) % n])))
            s = scale(coeffs[n], x[0])
            s = (math.sin(s[0]), math.cos(s[0]) * s[1])
            e = scale(coeffs[n + 1], x[n - 1])
            e = (math.exp(e[0]), math.exp(e[0]) * e[1])
            out = add(out, mul(s, e))
        else:                       # "unused": input n // 2 does not matter
            for i in range(n):
                if i != n // 2:
                    out = add(out, scale(coeffs[i], x[i]))
        return Dual(out[0], out[1])

    gradient = ns["forward_mode_gradient"](func, list(point))
    if type(gradient) in (list, tuple):
        names = [type(g).__name__ for g in gradient]
    else:
        names = type(gradient).__name__
    return [gradient, calls, names]


# ---- the reference, in the trusted process ----

REF = {"Dual": dual.Dual, "f": dual.f, "forward_mode_gradient": dual.forward_mode_gradient}


def nonzero(rng, lo, hi):
    return rng.choice([-1, 1]) * rng.uniform(lo, hi)


def show(name, pair):
    return f"{name} = Dual({pair[0]!r}, {pair[1]!r})"


def draw_bindings(rng):
    """d and e with values far apart (so swapped roles show), p with a positive value."""
    while True:
        d, e = nonzero(rng, 0.6, 2.5), nonzero(rng, 0.6, 2.5)
        if abs(d - e) > 0.5:
            break
    return {"d": [d, nonzero(rng, 0.3, 2.0)], "e": [e, nonzero(rng, 0.3, 2.0)],
            "p": [rng.uniform(0.4, 3.0), nonzero(rng, 0.3, 2.0)]}


def named_row(row):
    """A ["dual", value, tangent, [type names]] row with its values' types named."""
    names = row[3] if len(row) > 3 and type(row[3]) is list and len(row[3]) == 2 else ["", ""]
    return checks.named(row[:3], ["", names[0], names[1]])


def check_expressions(student, bindings, expressions):
    """Evaluate ``expressions`` on the student's Dual and the reference one; compare."""
    got, unchanged = student.probe(dual_expressions, bindings, expressions)
    expected, _ = dual_expressions(REF, bindings, expressions)

    def inputs_of(texts):
        used = [name for name in bindings
                if any(re.search(rf"\b{name}\b", text) for text in texts)]
        return ", ".join(show(name, bindings[name]) for name in used)

    inputs = inputs_of(expressions)
    checks.sequence(got, len(expressions), "results")
    if unchanged is not True:
        raise AssertionError(f"evaluating {', '.join(expressions)} for {inputs} changed the value "
                             "or tangent of an operand: every operation must return a new Dual "
                             "and leave its operands as they were")
    for text, row, (_, value, tangent, _) in zip(expressions, got, expected):
        inputs = inputs_of([text])
        if type(row) is not list or not row:
            raise WrongType(f"{text}{checks._where(inputs)}: could not read the result")
        if row[0] == "raised":
            checks.stub_raised(row[1], text, inputs)
            raise AssertionError(f"{text}{checks._where(inputs)}: raised {row[1]}")
        if row[0] != "dual":
            raise WrongType(f"{text}{checks._where(inputs)}: expected a Dual, got {row[1]}")
        row = named_row(row)
        checks.float_close(row[1], value, f"({text}).value", inputs)
        checks.float_close(row[2], tangent, f"({text}).tangent", inputs)


# ---- arithmetic with constants and reflected operators (4 points) ----

@pytest.mark.group("dual_arithmetic", weight=2)
def test_constructor_and_dual_with_dual(student, rng):
    """Dual(value, tangent) keeps floats (tangent 0.0 by default); + - * / between two Duals"""
    a, b, c = rng.randint(-9, 9), rng.randint(1, 9), rng.uniform(-3, 3)
    check_expressions(student, {}, [f"Dual({a}, {b})", f"Dual({b})", f"Dual({c!r})",
                                    f"Dual({c!r}, {a})"])
    for _ in range(2):
        check_expressions(student, draw_bindings(rng),
                          ["d + e", "d - e", "e - d", "d * e", "e * d", "d / e", "e / d",
                           "d + d", "d * d", "d - d", "d / d"])


@pytest.mark.group("dual_arithmetic", weight=2)
def test_constants_on_either_side(student, rng):
    """an int or float on either side of + - * / acts as a constant (tangent 0)"""
    for _ in range(2):
        ci, cf = rng.randint(2, 9), round(rng.uniform(0.5, 5.0), 4)
        expressions = []
        for c in (ci, cf):
            expressions += [f"d + {c}", f"{c} + d", f"d - {c}", f"{c} - d",
                            f"d * {c}", f"{c} * d", f"d / {c}", f"{c} / d"]
        check_expressions(student, draw_bindings(rng), expressions)


@pytest.mark.group("dual_arithmetic")
def test_negation(student, rng):
    """unary minus negates value and tangent"""
    check_expressions(student, draw_bindings(rng), ["-d", "-e", "-(d * e)", "-d + d", "e - -d"])


@pytest.mark.group("dual_arithmetic", weight=2)
def test_powers(student, rng):
    """d ** p for int and float p, negative p included: the power rule"""
    for _ in range(2):
        b = draw_bindings(rng)
        pf, qf = round(rng.uniform(0.2, 3.5), 4), round(rng.uniform(0.2, 3.5), 4)
        k = rng.randint(3, 6)
        check_expressions(student, b, ["d ** 2", "e ** 3", f"d ** {k}", "d ** 1", "d ** 0",
                                       "d ** -1", "e ** -2", f"d ** -{k}", f"p ** {pf}",
                                       f"p ** -{qf}", "p ** 0.5", "p ** -1.5", "p ** 2.0"])


@pytest.mark.group("dual_arithmetic")
def test_mixed_expressions(student, rng):
    """longer expressions mixing Duals, ints and floats"""
    ci, cf = rng.randint(2, 9), round(rng.uniform(0.5, 5.0), 4)
    check_expressions(student, draw_bindings(rng),
                      [f"({ci} - d) * (e + {cf}) / (d * e)",
                       f"{cf} / (d - e) ** 2 + {ci} * e",
                       f"-(d ** 3) / {ci} - {cf} * e ** -2",
                       f"{ci} - {cf} / (p ** 0.5 + {ci}) * d",
                       f"(d * e - {cf}) / ({ci} + p) - (d + e) / {ci}"])


# ---- elementary functions (2 points) ----

@pytest.mark.group("dual_functions", weight=2)
def test_elementary_functions(student, rng):
    """sin, cos, exp and log carry the tangent by the chain rule"""
    for _ in range(3):
        check_expressions(student, draw_bindings(rng),
                          ["d.sin()", "e.sin()", "d.cos()", "e.cos()", "d.exp()", "e.exp()",
                           "p.log()"])


@pytest.mark.group("dual_functions")
def test_chained_functions(student, rng):
    """elementary functions applied to each other's results"""
    check_expressions(student, draw_bindings(rng),
                      ["d.sin().exp()", "e.cos().sin()", "p.log().cos()", "d.exp().log()",
                       "e.exp().cos()"])


# ---- partial derivatives of f (2 points) ----

def draw_xy(rng):
    while True:
        x, y = nonzero(rng, 0.3, 2.5), nonzero(rng, 0.3, 2.5)
        if abs(x - y) > 0.4 and abs(abs(x) - abs(y)) > 0.2:
            return x, y


def check_f(student, rows, names):
    got = student.probe(f_on_duals, rows)
    expected = f_on_duals(REF, rows)
    checks.sequence(got, len(rows), "results")
    for (x, tx, y, ty), name, row, (_, value, tangent, _) in zip(rows, names, got, expected):
        call = f"f(Dual({x!r}, {tx!r}), Dual({y!r}, {ty!r}))"
        if type(row) is not list or not row or row[0] != "dual":
            raise WrongType(f"{call}: expected a Dual, got {row[1] if row else row}")
        row = named_row(row)
        checks.float_close(row[1], value, f"{call}.value (f at x = {x!r}, y = {y!r})")
        checks.float_close(row[2], tangent, f"{call}.tangent ({name})")


@pytest.mark.group("partials_of_f", weight=2)
def test_partials_of_f(student, rng):
    """seeding x or y gives df/dx = 2xy + y cos(xy) and df/dy = x^2 + x cos(xy)"""
    for _ in range(3):
        x, y = draw_xy(rng)
        check_f(student, [[x, 1.0, y, 0.0], [x, 0.0, y, 1.0]], ["df/dx", "df/dy"])


@pytest.mark.group("partials_of_f")
def test_f_directional(student, rng):
    """f on Duals with any tangents gives the directional derivative; zero tangents give 0"""
    x, y = draw_xy(rng)
    tx, ty = nonzero(rng, 0.3, 2.0), nonzero(rng, 0.3, 2.0)
    check_f(student, [[x, tx, y, ty], [x, 0.0, y, 0.0]],
            [f"df/dx * {tx!r} + df/dy * {ty!r}", "no input seeded"])


# ---- forward_mode_gradient (4 points) ----

def draw_point(rng, n):
    return [round(nonzero(rng, 0.2, 1.5), 6) for _ in range(n)]


def draw_coeffs(rng, n):
    """n + 2 coefficients, then a large constant term.

    Tangents never see the constant, but the rounding error of a finite
    difference grows with it: with |c| >= 1e5 no step h brings a finite
    difference within 1e-9 of the gradient, so that mistake fails whatever the draw.
    """
    return [rng.uniform(-2, 2) for _ in range(n + 2)] + [rng.choice((-1, 1)) * rng.uniform(1e5, 1e6)]


def check_gradient(student, kind, point, coeffs, what):
    gradient, calls, names = student.probe(forward_mode_run, kind, point, coeffs)
    expected, _, _ = forward_mode_run(REF, kind, point, coeffs)
    checks.all_close(checks.named(gradient, names), expected, f"forward_mode_gradient({what}, point)",
                     f"point = {point}")
    return calls


@pytest.mark.group("forward_mode_gradient", weight=2)
def test_gradient_values(student, rng):
    """forward_mode_gradient gives the gradient for 1 to 6 inputs"""
    for n in range(1, 7):
        check_gradient(student, "mixed", draw_point(rng, n), draw_coeffs(rng, n),
                       f"a function of {n} input{'s' if n > 1 else ''}")


@pytest.mark.group("forward_mode_gradient")
def test_one_call_per_input(student, rng):
    """exactly n calls of func, each seeding tangent 1 on one input and 0 on the others"""
    for n in range(1, 7):
        point = draw_point(rng, n)
        gradient, calls, _ = student.probe(forward_mode_run, "mixed", point, draw_coeffs(rng, n))
        where = f"point = {point}"
        if type(calls) is not list or len(calls) != n:
            raise AssertionError(f"forward_mode_gradient called func {len(calls)} times for "
                                 f"{n} inputs ({where}): expected exactly {n} calls, one per input")
        hot = []
        for k, args in enumerate(calls):
            call = f"call {k + 1} of func ({where})"
            if len(args) != n or not all(a[0] is True for a in args):
                kinds = ["Dual" if a[0] is True else a[1] for a in args]
                raise AssertionError(f"{call}: expected {n} Duals, got {kinds}")
            values = [a[1] for a in args]
            if values != point:
                raise AssertionError(f"{call}: the Duals' values should be the point, got {values}")
            tangents = [a[2] for a in args]
            ones = [i for i, t in enumerate(tangents)
                    if type(t) in (int, float) and t == 1]
            zeros = [i for i, t in enumerate(tangents)
                     if type(t) in (int, float) and t == 0]
            if len(ones) != 1 or len(zeros) != n - 1:
                raise AssertionError(f"{call}: expected tangent 1 on one input and 0 on all the "
                                     f"others, got tangents {tangents}")
            hot.append(ones[0])
        if sorted(hot) != list(range(n)):
            raise AssertionError(f"forward_mode_gradient ({where}) seeded inputs {hot} in its {n} "
                                 "calls: each input must be seeded exactly once")


@pytest.mark.group("forward_mode_gradient")
def test_inputs_that_do_not_matter(student, rng):
    """a function with constant terms and an input it ignores (that partial is 0)"""
    for n in (1, rng.randint(2, 3), rng.randint(4, 6)):
        check_gradient(student, "unused", draw_point(rng, n), draw_coeffs(rng, n),
                       f"a function of {n} input{'s' if n > 1 else ''}, one of them unused")
