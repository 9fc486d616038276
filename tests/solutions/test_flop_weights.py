"""solutions/flop_weights.py: the flops of each rule, and the flop-weighted ratios of 28.6."""
import ast
import inspect
import textwrap

import pytest

from solutions.engine import Value
from solutions.flop_weights import BACKWARD_FLOPS, FORWARD_FLOPS, flop_weighted_ratios, graph_flops

# the method of Value that makes the nodes of each operation name
METHODS = {"+": "__add__", "*": "__mul__", "**": "__pow__", "relu": "relu", "exp": "exp",
           "log": "log", "tanh": "tanh", "sigmoid": "sigmoid"}


def rule_flops(method_name):
    """Flops of the ``_backward`` defined in ``Value.<method_name>``, read from its source.

    Every binary operator, comparison and ``+=`` is one flop (the rules call no functions).
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(Value, method_name))))
    rules = [node for node in ast.walk(tree)
             if isinstance(node, ast.FunctionDef) and node.name == "_backward"]
    assert len(rules) == 1, f"Value.{method_name} defines {len(rules)} _backward rules"
    nodes = list(ast.walk(rules[0]))
    assert not any(isinstance(n, ast.Call) for n in nodes), \
        f"the rule of Value.{method_name} calls a function: weigh it by hand"
    return sum(isinstance(n, (ast.BinOp, ast.AugAssign)) for n in nodes) + \
        sum(len(n.ops) for n in nodes if isinstance(n, ast.Compare))


def test_every_operation_has_both_weights():
    assert set(FORWARD_FLOPS) == set(BACKWARD_FLOPS) == set(METHODS), \
        f"forward {sorted(FORWARD_FLOPS)}, backward {sorted(BACKWARD_FLOPS)}, ops {sorted(METHODS)}"


@pytest.mark.parametrize("op", sorted(METHODS))
def test_backward_flops_are_the_rules_arithmetic(op):
    counted = rule_flops(METHODS[op])
    assert BACKWARD_FLOPS[op] == counted, \
        f"BACKWARD_FLOPS[{op!r}] = {BACKWARD_FLOPS[op]}, the engine's rule does {counted} flops"


@pytest.mark.parametrize("build, expected", [
    (lambda x, y: x * y + x, (1 + 1, 4 + 2)),
    (lambda x, y: x.sigmoid(), (4, 4)),
    (lambda x, y: (x * y).tanh() / y, (1 + 1 + 1 + 1, 4 + 4 + 5 + 4)),   # / is * and ** -1
    (lambda x, y: x, (0, 0)),                                              # a leaf costs nothing
])
def test_graph_flops_of_small_graphs(build, expected):
    out = build(Value(0.5), Value(-1.5))
    assert graph_flops(out) == expected, f"graph_flops: got {graph_flops(out)}, expected {expected}"


def test_a_node_used_twice_is_weighed_once():
    s = Value(2.0) * Value(3.0)
    assert graph_flops(s + s) == (2, 6), f"got {graph_flops(s + s)}, expected (2, 6)"


def test_an_operation_without_weights_is_named():
    node = Value(1.0, (Value(2.0),), "cube")
    with pytest.raises(ValueError, match="'cube'"):
        graph_flops(node)


@pytest.mark.parametrize("h", [1, 2, 3, 4, 16])
def test_ratios_of_the_xor_step_in_closed_form(h):
    """One step of MLP(2, [h, h, 1]) on XOR, weighed by hand.

    Per sample: h² + 3h multiplications; as many additions, plus the subtraction of
    the target and the accumulation into the loss; 2h tanh; one square.  Then one
    multiplication by 1/4.  Forward 8h² + 32h + 13 flops, backward 24h² + 104h + 40.
    """
    forward, backward = 8 * h * h + 32 * h + 13, 24 * h * h + 104 * h + 40
    got = flop_weighted_ratios([h])
    assert got == [pytest.approx(backward / forward, rel=1e-12)], \
        f"flop_weighted_ratios([{h}]) = {got}, expected {backward}/{forward}"


def test_ratios_do_not_depend_on_the_weights_and_keep_the_order():
    assert flop_weighted_ratios([3, 1], seed=7) == flop_weighted_ratios([3, 1]) == \
        [flop_weighted_ratios([3])[0], flop_weighted_ratios([1])[0]]
