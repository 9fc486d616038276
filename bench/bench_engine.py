"""One training step of MLP(2, [64, 64, 1]) on XOR: this kit's engine against micrograd 0.1.0.

A step is what `solutions.mlp.train` does once: the mean squared error over XOR's four
points, zeroed gradients, backward, an SGD update.  Both models do the same work: relu on
the two hidden layers, linear output (micrograd.nn.MLP's only configuration), the same
weights (both draw them with random.uniform(-1, 1) in the same order after random.seed(0))
and the same loss expression.  The two steps are timed in the same process, interleaved
round by round (alternating which goes first), each after a full garbage collection so that
neither pays for the other's garbage.

Each step is also timed with the cyclic garbage collector off (the "gc off" columns): a
step makes about 35,000 nodes, over a hundred thousand objects the collector tracks, and
the full collections this growth triggers take most of micrograd's step (the kit's engine
makes fewer objects per node, so fewer of them); the second ratio compares the two
engines' own code.

The "in a row" column is what a training loop sees: ten steps one after the other with
no collection between them (the garbage of one step is still there in the next), ms per
step, over fewer rounds.
"""
import gc
import random
import statistics
import time

X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
Y = [0.0, 1.0, 1.0, 0.0]
SIZES = [64, 64, 1]
LR = 0.01
WARMUP = 3
ROUNDS = 15
LOOP_ROUNDS = 5
LOOP_STEPS = 10


def kit_step():
    """A training step of the kit's MLP (solutions.mlp), as train() runs it."""
    from solutions.mlp import MLP, mse_loss

    random.seed(0)
    model = MLP(2, SIZES, ["relu", "relu", "linear"])
    params = model.parameters()

    def step():
        loss = mse_loss(model, X, Y)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data
    return step, len(params)


def micrograd_step():
    """The same step with micrograd's Value and MLP."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(0)
    model = MLP(2, list(SIZES))
    params = model.parameters()

    def step():
        total = sum(((model(x) - y) ** 2 for x, y in zip(X, Y)), Value(0.0))
        loss = total * (1.0 / len(X))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data
    return step, len(params)


def timed(step, collector):
    """Seconds of one step after a full collection, with the cyclic collector on or off."""
    gc.collect()
    if not collector:
        gc.disable()
    try:
        start = time.perf_counter()
        step()
        return time.perf_counter() - start
    finally:
        gc.enable()


def timed_in_a_row(step, steps=LOOP_STEPS):
    """Seconds per step of ``steps`` steps in a row, the collector on, after one full collection."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def run(rounds=ROUNDS, warmup=WARMUP, loop_rounds=LOOP_ROUNDS):
    """Print the table; return {(engine, collector on?): median ms per step}."""
    engines = {"kit (solutions.engine)": kit_step(), "micrograd 0.1.0": micrograd_step()}
    names = list(engines)
    sizes = {engines[n][1] for n in names}
    assert len(sizes) == 1, f"the two models differ in size: {sizes}"
    first_losses = {n: engines[n][0]() for n in names}      # step 1 doubles as a check
    for _ in range(warmup - 1):
        for n in names:
            engines[n][0]()
    times = {(n, collector): [] for n in names for collector in (True, False)}
    for r in range(rounds):
        for collector in (True, False):
            for n in (names if r % 2 == 0 else names[::-1]):
                times[n, collector].append(timed(engines[n][0], collector) * 1e3)
    for n in names:
        times[n, "in a row"] = []
    for r in range(loop_rounds):
        for n in (names if r % 2 == 0 else names[::-1]):
            times[n, "in a row"].append(timed_in_a_row(engines[n][0]) * 1e3)
    medians = {key: statistics.median(t) for key, t in times.items()}

    print(f"one training step of MLP(2, {SIZES}) (relu, relu, linear; {sizes.pop()} parameters) "
          f"on XOR's 4 points: {rounds} interleaved rounds after {warmup} warm-up steps, ms per step")
    print(f"{'engine':<24} {'median':>8} {'min':>8} {'max':>8}   {'gc off: median':>14} {'min':>8}"
          f"   {f'{LOOP_STEPS} in a row':>12}   {'first loss':>10}")
    for n in names:
        on, off = times[n, True], times[n, False]
        print(f"{n:<24} {medians[n, True]:>8.2f} {min(on):>8.2f} {max(on):>8.2f}   "
              f"{medians[n, False]:>14.2f} {min(off):>8.2f}   {medians[n, 'in a row']:>12.2f}   "
              f"{first_losses[n]:>10.6g}")
    kit, micro = names
    print(f"micrograd / kit (medians): {medians[micro, True] / medians[kit, True]:.2f}x; "
          f"with the cyclic garbage collector off during the step: "
          f"{medians[micro, False] / medians[kit, False]:.2f}x; "
          f"{LOOP_STEPS} steps in a row: {medians[micro, 'in a row'] / medians[kit, 'in a row']:.2f}x")
    return medians


if __name__ == "__main__":
    run()
