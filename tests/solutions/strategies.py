"""Every hypothesis strategy of the solutions' test suite, in one place.

Domains are chosen so that the quantity under test is well defined and the
finite differences used as a reference are accurate: inputs stay a little away
from kinks (relu at 0), poles (1/x at 0) and the edge of a domain (log at 0).
"""
from hypothesis import strategies as st


def floats(lo, hi):
    """Finite floats in [lo, hi]."""
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo, hi):
    """Floats with lo <= |x| <= hi, either sign."""
    return st.one_of(floats(lo, hi), floats(-hi, -lo))


# ---- scalars ----

any_finite = st.floats(allow_nan=False, allow_infinity=False)
small = floats(-3.0, 3.0)                 # where exp, tanh, sigmoid, products are tame
positive = floats(0.05, 20.0)             # log's domain, kept off the pole at 0
nonzero = away_from_zero(0.25, 4.0)       # divisors, bases of negative powers
off_kink = away_from_zero(1e-3, 5.0)      # relu's input, off its kink at 0

int_constants = st.integers(-5, 5)
float_constants = floats(-5.0, 5.0)
nonzero_int_constants = st.one_of(st.integers(-5, -1), st.integers(1, 5))
nonzero_float_constants = away_from_zero(0.25, 5.0)
constants_of_type = {int: int_constants, float: float_constants}
nonzero_constants_of_type = {int: nonzero_int_constants, float: nonzero_float_constants}

int_exponents = st.integers(-3, 4)
float_exponents = st.sampled_from([0.5, 1.5, 2.5, -0.5, -1.5, 0.25, 3.0, -2.0])

seeds = st.integers(0, 2**32 - 1)


def distinct_points(n, lo=-2.0, hi=2.0, min_gap=0.1):
    """n floats in [lo, hi], pairwise at least ``min_gap`` apart (asymmetric points)."""
    return st.lists(floats(lo, hi), min_size=n, max_size=n).filter(
        lambda xs: all(abs(x - y) >= min_gap for i, x in enumerate(xs) for y in xs[:i]))


# ---- dual numbers ----

tangents = floats(-3.0, 3.0)


# ---- MLP configurations ----

ACTIVATION_NAMES = ("tanh", "relu", "sigmoid", "linear")
SMOOTH_ACTIVATIONS = ("tanh", "sigmoid", "linear")   # no kink: finite differences are exact enough


@st.composite
def mlp_configs(draw, activations=ACTIVATION_NAMES, max_layers=3, max_width=4, max_in=3):
    """(n_in, layer_sizes, activation names): small networks, width 1 allowed everywhere."""
    n_in = draw(st.integers(1, max_in))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers))
    acts = draw(st.lists(st.sampled_from(activations), min_size=len(sizes), max_size=len(sizes)))
    return n_in, sizes, acts


@st.composite
def datasets(draw, n_in, min_size=1, max_size=4):
    """(X, Y): a few samples of n_in inputs and one target each."""
    size = draw(st.integers(min_size, max_size))
    X = draw(st.lists(st.lists(small, min_size=n_in, max_size=n_in), min_size=size, max_size=size))
    Y = draw(st.lists(floats(-1.0, 1.0), min_size=size, max_size=size))
    return X, Y


# ---- random expression trees (op counting) ----
#
# A tree is a nested tuple: ("var", i) is input i (inputs may be shared, so the graph is a DAG
# at its leaves), (op, child) a unary operation, (op, child, p) a power or an operation with a
# Python constant p, (op, left, right) a binary operation between two Values.

N_TREE_VARS = 3
UNARY_TREE_OPS = ("neg", "relu", "exp", "log", "tanh", "sigmoid")
BINARY_TREE_OPS = ("add", "mul", "sub", "div")
CONSTANT_TREE_OPS = ("add_c", "radd", "mul_c", "rmul", "sub_c", "rsub", "div_c", "rdiv")


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY_TREE_OPS), children),
        st.tuples(st.just("pow"), children, st.sampled_from([2, 3, -1, 0.5, -2.0])),
        st.tuples(st.sampled_from(BINARY_TREE_OPS), children, children),
        st.tuples(st.sampled_from(CONSTANT_TREE_OPS), children,
                  st.one_of(nonzero_int_constants, nonzero_float_constants)),
    )


expression_trees = st.recursive(
    st.tuples(st.just("var"), st.integers(0, N_TREE_VARS - 1)), _extend, max_leaves=10)
tree_inputs = st.lists(away_from_zero(0.3, 2.0), min_size=N_TREE_VARS, max_size=N_TREE_VARS)


# ---- checkpointing ----

@st.composite
def chains(draw, max_n=60):
    """(n, segment, seed, x0) with 1 <= segment <= n; segment 1 and n are drawn often."""
    n = draw(st.integers(1, max_n))
    segment = draw(st.one_of(st.just(1), st.just(n), st.integers(1, n)))
    return n, segment, draw(seeds), draw(floats(-2.0, 2.0))
