"""Weighing a gradient by its arithmetic: the given measurement of exercise 28.6.

The counting model of 28.6 gives each forward primitive 1 and each backward
contribution 1, so a backward pass costs at most twice its forward pass by
construction.  The chapter's bound, a gradient for at most about five times the
cost T of evaluating the function, counts arithmetic instead.  This module
weighs every node of a graph by the floating-point operations (flops) of its
forward computation and of its backward rule in `solutions.engine`:

* an addition, subtraction, multiplication, division or comparison, and a call
  of exp, log, tanh or a power, is 1 flop; flipping a sign is free;
* a backward rule's flops include the ``+=`` that accumulates each contribution.

`tests/solutions/test_flop_weights.py` reads the numbers of the backward rules
back out of the engine's source, so the table cannot drift from the rules.
"""
import random

from .chapter_mlp import MLP
from .op_counting import xor_loss

# flops of one forward computation, per operation name (_op)
FORWARD_FLOPS = {
    "+": 1,        # a + b
    "*": 1,        # a * b
    "**": 1,       # a ** p
    "relu": 1,     # the comparison a > 0
    "exp": 1,
    "log": 1,
    "tanh": 1,
    "sigmoid": 4,  # the sign test, exp, 1 + e, and the division
}

# flops of one backward rule, accumulations included, per operation name (_op)
BACKWARD_FLOPS = {
    "+": 2,        # a.grad += g; b.grad += g
    "*": 4,        # a.grad += b * g; b.grad += a * g
    "**": 5,       # a.grad += p * a ** (p - 1) * g
    "relu": 3,     # a.grad += (1 if out > 0 else 0) * g
    "exp": 2,      # a.grad += out * g
    "log": 2,      # a.grad += g / a
    "tanh": 4,     # a.grad += (1 - t * t) * g
    "sigmoid": 4,  # a.grad += s * (1 - s) * g
}


def graph_flops(output):
    """(forward flops, backward flops) of the graph that computed the Value ``output``.

    Every operation node of the graph is weighed once; leaves cost nothing.  The
    forward figure is the cost of computing ``output`` when every operation run
    feeds it, as in a loss.
    """
    forward = backward = 0
    for node in output.topological_order():
        if node._children:
            if node._op not in FORWARD_FLOPS:
                raise ValueError(f"no flop weights for the operation {node._op!r}: "
                                 f"known are {', '.join(FORWARD_FLOPS)}")
            forward += FORWARD_FLOPS[node._op]
            backward += BACKWARD_FLOPS[node._op]
    return forward, backward


def flop_weighted_ratios(hidden_sizes, seed=0):
    """Backward flops / forward flops of one training step of MLP(2, [h, h, 1]) on XOR, per h.

    The same step as ``cheap_gradient_ratios``, weighed by arithmetic instead of
    counted.
    """
    ratios = []
    for h in hidden_sizes:
        random.seed(seed)
        forward, backward = graph_flops(xor_loss(MLP(2, [h, h, 1])))
        ratios.append(backward / forward)
    return ratios
