"""Realistic submissions of exercise 28.1 (sigmoid, numerical_gradient, max_relative_error).

A submission is the student's solution cells concatenated; the given engine (without
sigmoid) runs before it.  ``WRONG`` maps a name to (code, the exact set of point groups
it must lose); every entry of ``RIGHT`` must get full marks.
"""

SIGMOID = '''
import math

def sigmoid(self):
    x = self.data
    if x >= 0:
        s = 1 / (1 + math.exp(-x))
    else:
        ex = math.exp(x)
        s = ex / (1 + ex)
    out = Value(s, (self,), 'sigmoid')

    def _backward():
        self.grad += s * (1 - s) * out.grad
    out._backward = _backward
    return out

Value.sigmoid = sigmoid
'''

NUMERICAL = '''
def numerical_gradient(f, xs, h=1e-6):
    grad = []
    for i in range(len(xs)):
        xp = list(xs)
        xm = list(xs)
        xp[i] += h
        xm[i] -= h
        grad.append((f(*xp) - f(*xm)) / (2 * h))
    return grad
'''

MAX_REL = '''
def max_relative_error(f, xs, h=1e-6):
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    analytic = [v.grad for v in leaves]
    numeric = numerical_gradient(lambda *p: f(*[Value(v) for v in p]).data, xs, h)
    worst = 0.0
    for a, n in zip(analytic, numeric):
        if a == 0 and n == 0:
            err = 0.0
        else:
            err = abs(a - n) / max(abs(a) + abs(n), 1e-12)
        worst = max(worst, err)
    return worst
'''


def submission(sigmoid=SIGMOID, numerical=NUMERICAL, max_rel=MAX_REL):
    return sigmoid + numerical + max_rel


def sigmoid_with(old, new):
    assert old in SIGMOID, old
    return submission(sigmoid=SIGMOID.replace(old, new))


def numerical_with(old, new):
    assert old in NUMERICAL, old
    return submission(numerical=NUMERICAL.replace(old, new))


def max_rel_with(old, new):
    assert old in MAX_REL, old
    return submission(max_rel=MAX_REL.replace(old, new))


SIGMOID_VALUE, STABILITY, IN_GRAPHS = "sigmoid_value", "sigmoid_stability", "sigmoid_in_graphs"
NUMERICAL_GRADIENT, MAX_RELATIVE_ERROR = "numerical_gradient", "max_relative_error"

WRONG = {
    # ---- sigmoid ----
    "assign_instead_of_accumulate": (
        sigmoid_with("self.grad += s", "self.grad = s"), {SIGMOID_VALUE, IN_GRAPHS}),
    "naive_sigmoid_overflows": (
        submission(sigmoid='''
import math

def sigmoid(self):
    s = 1 / (1 + math.exp(-self.data))
    out = Value(s, (self,), 'sigmoid')

    def _backward():
        self.grad += s * (1 - s) * out.grad
    out._backward = _backward
    return out

Value.sigmoid = sigmoid
'''), {STABILITY}),
    "forgets_out_grad": (
        sigmoid_with("s * (1 - s) * out.grad", "s * (1 - s)"), {SIGMOID_VALUE, IN_GRAPHS}),
    "derivative_is_s": (
        sigmoid_with("s * (1 - s) * out.grad", "s * out.grad"),
        {SIGMOID_VALUE, STABILITY, IN_GRAPHS}),
    "derivative_from_input_not_output": (
        sigmoid_with("s * (1 - s) * out.grad", "self.data * (1 - self.data) * out.grad"),
        {SIGMOID_VALUE, STABILITY, IN_GRAPHS}),
    "returns_float_not_value": (
        submission(sigmoid='''
import math

def sigmoid(self):
    x = self.data
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    return math.exp(x) / (1 + math.exp(x))

Value.sigmoid = sigmoid
'''), {SIGMOID_VALUE, STABILITY, IN_GRAPHS}),
    "wrong_op_label": (
        sigmoid_with("'sigmoid')", "'σ')"), {SIGMOID_VALUE}),
    "forgets_children": (
        sigmoid_with("Value(s, (self,), 'sigmoid')", "Value(s, _op='sigmoid')"),
        {SIGMOID_VALUE, IN_GRAPHS}),
    "tanh_identity_loses_precision_for_negative_x": (
        submission(sigmoid='''
import math

def sigmoid(self):
    s = 0.5 * (1 + math.tanh(self.data / 2))
    out = Value(s, (self,), 'sigmoid')

    def _backward():
        self.grad += s * (1 - s) * out.grad
    out._backward = _backward
    return out

Value.sigmoid = sigmoid
'''), {SIGMOID_VALUE}),
    # ---- numerical_gradient ----
    "forward_difference": (
        submission(numerical='''
def numerical_gradient(f, xs, h=1e-6):
    grad = []
    f0 = f(*xs)
    for i in range(len(xs)):
        xp = list(xs)
        xp[i] += h
        grad.append((f(*xp) - f0) / h)
    return grad
'''), {NUMERICAL_GRADIENT, MAX_RELATIVE_ERROR}),
    "wrong_default_step": (
        numerical_with("h=1e-6", "h=1e-5"), {NUMERICAL_GRADIENT}),
    "divides_by_h_not_2h": (
        numerical_with("/ (2 * h)", "/ h"), {NUMERICAL_GRADIENT, MAX_RELATIVE_ERROR}),
    "modifies_xs_in_place": (
        submission(numerical='''
def numerical_gradient(f, xs, h=1e-6):
    grad = []
    for i in range(len(xs)):
        old = xs[i]
        xs[i] = old + h
        fp = f(*xs)
        xs[i] = old - h
        fm = f(*xs)
        xs[i] = old
        grad.append((fp - fm) / (2 * h))
    return grad
'''), {NUMERICAL_GRADIENT}),
    "calls_f_with_values": (
        submission(numerical='''
def numerical_gradient(f, xs, h=1e-6):
    grad = []
    for i in range(len(xs)):
        xp = [Value(x) for x in xs]
        xm = [Value(x) for x in xs]
        xp[i] = Value(xs[i] + h)
        xm[i] = Value(xs[i] - h)
        grad.append((f(*xp).data - f(*xm).data) / (2 * h))
    return grad
''', max_rel=MAX_REL.replace("lambda *p: f(*[Value(v) for v in p]).data", "f")),
        {NUMERICAL_GRADIENT}),
    "returns_numpy_floats": (
        submission(numerical='''
import numpy as np

def numerical_gradient(f, xs, h=1e-6):
    xs = np.array(xs, dtype=float)
    grad = np.zeros(len(xs))
    for i in range(len(xs)):
        e = np.zeros(len(xs))
        e[i] = h
        grad[i] = (f(*(xs + e)) - f(*(xs - e))) / (2 * h)
    return list(grad)
'''), {NUMERICAL_GRADIENT, MAX_RELATIVE_ERROR}),
    # ---- max_relative_error ----
    "no_floor_in_denominator": (
        max_rel_with("max(abs(a) + abs(n), 1e-12)", "(abs(a) + abs(n))"), {MAX_RELATIVE_ERROR}),
    "only_analytic_in_denominator": (
        max_rel_with("max(abs(a) + abs(n), 1e-12)", "max(abs(a), 1e-12)"), {MAX_RELATIVE_ERROR}),
    "mean_instead_of_max": (
        submission(max_rel='''
def max_relative_error(f, xs, h=1e-6):
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    numeric = numerical_gradient(lambda *p: f(*[Value(v) for v in p]).data, xs, h)
    errors = []
    for leaf, n in zip(leaves, numeric):
        a = leaf.grad
        errors.append(0.0 if a == n == 0 else abs(a - n) / max(abs(a) + abs(n), 1e-12))
    return sum(errors) / len(errors)
'''), {MAX_RELATIVE_ERROR}),
    "absolute_error": (
        max_rel_with("abs(a - n) / max(abs(a) + abs(n), 1e-12)", "abs(a - n)"),
        {MAX_RELATIVE_ERROR}),
    "hard_coded_example_answer": (
        submission(max_rel='''
def max_relative_error(f, xs, h=1e-6):
    # checked in the notebook: the example gives about 1e-10
    return 1e-10
'''), {MAX_RELATIVE_ERROR}),
    "forgets_data_in_numeric": (
        max_rel_with("f(*[Value(v) for v in p]).data", "f(*[Value(v) for v in p])"),
        {MAX_RELATIVE_ERROR}),
    "no_zero_case": (
        submission(max_rel='''
def max_relative_error(f, xs, h=1e-6):
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    numeric = numerical_gradient(lambda *p: f(*[Value(v) for v in p]).data, xs, h)
    return max(abs(l.grad - n) / (abs(l.grad) + abs(n)) for l, n in zip(leaves, numeric))
'''), {MAX_RELATIVE_ERROR}),
    "ignores_h": (
        max_rel_with("xs, h)\n", "xs)\n"), {MAX_RELATIVE_ERROR}),
    "skips_any_zero_gradient": (
        max_rel_with("if a == 0 and n == 0:", "if a == 0 or n == 0:"), {MAX_RELATIVE_ERROR}),
    "backward_called_twice": (
        max_rel_with("    out.backward()\n", "    out.backward()\n    print(out)\n    out.backward()\n"),
        {MAX_RELATIVE_ERROR}),
}

RIGHT = {
    "exp_with_overflow_guard": '''
import math

def sigmoid(self):
    try:
        e = math.exp(-self.data)
    except OverflowError:
        e = float('inf')
    s = 1.0 / (1.0 + e)
    out = Value(s, (self,), 'sigmoid')

    def _backward():
        self.grad += out.data * (1.0 - out.data) * out.grad

    out._backward = _backward
    return out

Value.sigmoid = sigmoid


def numerical_gradient(f, xs, h=1e-6):
    result = []
    for i, x in enumerate(xs):
        up = xs[:i] + [x + h] + xs[i + 1:]
        down = xs[:i] + [x - h] + xs[i + 1:]
        result.append((f(*up) - f(*down)) / (2 * h))
    return result


def relative_error(a, b):
    if a == 0 and b == 0:
        return 0.0
    return abs(a - b) / max(abs(a) + abs(b), 1e-12)


def max_relative_error(f, xs, h=1e-6):
    vs = [Value(x) for x in xs]
    f(*vs).backward()

    def g(*p):
        return f(*[Value(v) for v in p]).data

    num = numerical_gradient(g, xs, h)
    return max([relative_error(v.grad, n) for v, n in zip(vs, num)], default=0.0)
''',
    "tanh_for_positive_exp_for_negative": '''
import math

def sigmoid(self):
    x = self.data
    if x > 0:
        s = 0.5 * (1.0 + math.tanh(0.5 * x))
    else:
        t = math.exp(x)
        s = t / (1.0 + t)
    out = Value(s, (self,), "sigmoid")

    def _backward():
        ds = s * (1 - s)
        self.grad += ds * out.grad
    out._backward = _backward
    return out

Value.sigmoid = sigmoid


def numerical_gradient(f, xs, h=1e-6):
    def shifted(i, step):
        return [x + step if j == i else x for j, x in enumerate(xs)]
    return tuple((f(*shifted(i, h)) - f(*shifted(i, -h))) / (2 * h) for i in range(len(xs)))


def max_relative_error(f, xs, h=1e-6):
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()
    numeric = numerical_gradient(lambda *args: f(*map(Value, args)).data, xs, h)
    worst = 0.0
    for leaf, n in zip(leaves, numeric):
        a = leaf.grad
        denom = max(abs(a) + abs(n), 1e-12)
        if a != 0 or n != 0:
            worst = max(worst, abs(a - n) / denom)
    return worst
''',
    "symmetric_exp_of_minus_abs": '''
import math

def _sigmoid(self):
    e = math.exp(-abs(self.data))
    s = 1 / (1 + e) if self.data >= 0 else e / (1 + e)
    out = Value(s, _children=(self,), _op='sigmoid')

    def _backward():
        self.grad = self.grad + s * (1 - s) * out.grad
    out._backward = _backward
    return out

Value.sigmoid = _sigmoid

def numerical_gradient(f, xs, h=1e-6):
    xs = [float(x) for x in xs]
    grads = []
    for i in range(len(xs)):
        x_plus = xs.copy()
        x_minus = xs.copy()
        x_plus[i] = xs[i] + h
        x_minus[i] = xs[i] - h
        grads.append((f(*x_plus) - f(*x_minus)) / (2.0 * h))
    return grads

def max_relative_error(f, xs, h=1e-6):
    inputs = [Value(x) for x in xs]
    y = f(*inputs)
    y.backward()
    num = numerical_gradient(lambda *p: f(*[Value(q) for q in p]).data, xs, h=h)
    errs = []
    for v, n in zip(inputs, num):
        a = v.grad
        errs.append(0.0 if (a == 0 and n == 0) else abs(a - n) / max(abs(a) + abs(n), 1e-12))
    return max(errs) if errs else 0.0
''',
    "clamped_like_numpy_clip_with_tolist": '''
import math
import numpy as np

def sigmoid(self):
    x = min(max(self.data, -500.0), 500.0)
    s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    out = Value(s, (self,), 'sigmoid')
    def _backward():
        self.grad += s * (1.0 - s) * out.grad
    out._backward = _backward
    return out

Value.sigmoid = sigmoid

def numerical_gradient(f, xs, h=1e-6):
    base = np.array(xs, dtype=float)
    out = np.zeros(len(xs))
    for i in range(len(xs)):
        step = np.zeros(len(xs))
        step[i] = h
        out[i] = (f(*(base + step).tolist()) - f(*(base - step).tolist())) / (2 * h)
    return out.tolist()

def max_relative_error(f, xs, h=1e-6):
    leaves = [Value(float(x)) for x in xs]
    f(*leaves).backward()
    analytic = [leaf.grad for leaf in leaves]
    numeric = numerical_gradient(lambda *p: f(*(Value(v) for v in p)).data, list(xs), h)
    errors = [0.0 if a == n == 0 else abs(a - n) / max(abs(a) + abs(n), 1e-12)
              for a, n in zip(analytic, numeric)]
    return float(max(errors, default=0.0))
''',
    "master_solution_style": submission(),
}
