"""solutions/chapter_mlp.py: the chapter's MLP given in 28.6 is 28.5's MLP with default activations."""
import random

import pytest

from solutions import chapter_mlp, mlp
from solutions.op_counting import OpCounter, xor_loss


def built(module, n_in, sizes, seed):
    random.seed(seed)
    return module.MLP(n_in, sizes)


@pytest.mark.parametrize("n_in, sizes", [(2, [1, 1]), (2, [3, 1]), (2, [4, 4, 1]), (3, [2, 5, 2])])
def test_same_weights_and_outputs_as_the_default_configurable_mlp(n_in, sizes):
    chapter, configurable = built(chapter_mlp, n_in, sizes, 11), built(mlp, n_in, sizes, 11)
    got = [p.data for p in chapter.parameters()]
    expected = [p.data for p in configurable.parameters()]
    assert got == expected, f"MLP({n_in}, {sizes}) from seed 11: {got} != {expected}"
    x = [0.3 * (i + 1) - 0.5 for i in range(n_in)]
    out, ref = chapter(x), configurable(x)
    outs, refs = (out, ref) if isinstance(ref, list) else ([out], [ref])
    assert [o.data for o in outs] == [r.data for r in refs], \
        f"MLP({n_in}, {sizes})({x}): {[o.data for o in outs]} != {[r.data for r in refs]}"


def test_hidden_layers_are_tanh_and_the_output_linear():
    model = built(chapter_mlp, 1, [1, 1], 0)
    ops = [node._op for node in model([0.5]).topological_order() if node._children]
    assert ops.count("tanh") == 1 and ops[-1] == "+", f"operations of MLP(1, [1, 1]): {ops}"


@pytest.mark.parametrize("h", [1, 2, 5])
def test_one_xor_step_counts_the_same(h):
    counts = []
    for module in (chapter_mlp, mlp):
        model = built(module, 2, [h, h, 1], 0)
        with OpCounter() as ops:
            xor_loss(model).backward()
        counts.append((ops.forward, ops.backward, ops.visited))
    assert counts[0] == counts[1], f"h = {h}: chapter MLP {counts[0]}, configurable MLP {counts[1]}"
