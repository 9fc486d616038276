"""Hidden checks of exercise 28.5: MLP with per-layer activations, mse_loss, train.

Configurations, inputs and starting parameters are drawn here when grading runs.
Probes build the student's model next to their code and report plain numbers; the
same probe runs here on `solutions.mlp` and the verdicts compare the two.

Apart from the construction checks (which seed ``random`` and compare the drawn
parameters), every check sets the model's parameters itself, in the order of
``model.parameters()`` (layer by layer, neuron by neuron, weights then bias), so
that one mistake in how weights are drawn costs only the construction points.
"""
import pytest

from autograder import checks
from autograder.errors import WrongType
from solutions import mlp as ref
from solutions.engine import Value

NAMES = ("tanh", "relu", "sigmoid", "linear")
REFERENCE_NS = {"MLP": ref.MLP, "Value": Value, "mse_loss": ref.mse_loss, "train": ref.train}


# ---- probes: run beside the student's code, return plain data ----

def drawn_parameters(ns, cases):
    """For each case [seed, n_in, sizes, activations], after random.seed(seed): the
    parameters' data in parameters() order, whether each is a Value, whether they are
    distinct, whether a second parameters() call gives the same objects, and the next
    number random would draw."""
    import random

    MLP, Value = ns["MLP"], ns["Value"]
    results = []
    for seed, n_in, sizes, activations in cases:
        random.seed(seed)
        model = MLP(n_in, sizes) if activations == "omit" else MLP(n_in, sizes, activations)
        params = list(model.parameters())
        again = list(model.parameters())
        results.append([[p.data if isinstance(p, Value) else None for p in params],
                        all(isinstance(p, Value) for p in params),
                        len({id(p) for p in params}) == len(params),
                        len(again) == len(params) and all(a is b for a, b in zip(again, params)),
                        random.random()])
    return results


def construction_errors(ns, configs):
    """For each (n_in, sizes, activations): None if MLP(...) was built, else
    [is a ValueError, the exception's type name]."""
    MLP = ns["MLP"]
    out = []
    for n_in, sizes, activations in configs:
        try:
            if activations == "omit":
                MLP(n_in, sizes)
            else:
                MLP(n_in, sizes, activations)
        except Exception as exc:
            out.append([isinstance(exc, ValueError), type(exc).__name__])
        else:
            out.append(None)
    return out


def forward_outputs(ns, cases):
    """For each case [n_in, sizes, activations, values, inputs]: build the model, set its
    parameters to ``values`` in parameters() order, and report model(x) for each x:
    ["value", data], ["list", [data, ...]] or ["other", type], with the parameters' grads
    after backward() from the sum of the outputs."""
    MLP, Value = ns["MLP"], ns["Value"]
    results = []
    for n_in, sizes, activations, values, inputs in cases:
        model = MLP(n_in, sizes) if activations == "omit" else MLP(n_in, sizes, activations)
        params = list(model.parameters())
        if len(params) != len(values):
            results.append(["parameters", len(params)])
            continue
        for p, v in zip(params, values):
            p.data = v
        rows = []
        for x in inputs:
            y = model(list(x))
            if isinstance(y, Value):
                outputs, row = [y], ["value", y.data]
            elif type(y) is list:
                outputs, row = y, ["list", [v.data if isinstance(v, Value) else None for v in y]]
            else:
                rows.append(["other", type(y).__name__, []])
                continue
            if all(isinstance(v, Value) for v in outputs):
                for p in params:
                    p.grad = 0.0
                total = outputs[0]
                for v in outputs[1:]:
                    total = total + v
                total.backward()
                row.append([p.grad for p in params])
            else:
                row.append([])
            rows.append(row)
        results.append(["outputs", rows])
    return results


def loss_and_gradients(ns, n_in, sizes, activations, values, X, Y):
    """mse_loss(model, X, Y): whether it is a Value, its data, and every parameter's grad
    (in parameters() order) after loss.backward()."""
    MLP, Value = ns["MLP"], ns["Value"]
    model = MLP(n_in, sizes, activations)
    params = list(model.parameters())
    if len(params) != len(values):
        return ["parameters", len(params)]
    for p, v in zip(params, values):
        p.data = v
    loss = ns["mse_loss"](model, [list(x) for x in X], list(Y))
    if not isinstance(loss, Value):
        return ["not a Value", type(loss).__name__]
    loss.backward()
    return ["loss", loss.data, [p.grad for p in params]]


def training_run(ns, n_in, sizes, activations, values, X, Y, lr, epochs, dirty):
    """train(model, X, Y, ...) from the given parameters; returns [history, final data].
    ``lr`` None: the defaults.  ``dirty``: grads the parameters hold before training."""
    MLP = ns["MLP"]
    model = MLP(n_in, sizes, activations)
    params = list(model.parameters())
    if len(params) != len(values):
        return ["parameters", len(params)]
    for i, (p, v) in enumerate(zip(params, values)):
        p.data = v
        if dirty:
            p.grad = dirty[i]
    X, Y = [list(x) for x in X], list(Y)
    if lr is None:
        history = ns["train"](model, X, Y)
    else:
        history = ns["train"](model, X, Y, lr=lr, epochs=epochs)
    return ["history", history, [p.data for p in params]]


# ---- drawing configurations, in the trusted process ----

def parameter_count(n_in, sizes):
    total, fan_in = 0, n_in
    for size in sizes:
        total += size * (fan_in + 1)
        fan_in = size
    return total


def draw_values(rng, n_in, sizes):
    return [rng.uniform(-1.0, 1.0) for _ in range(parameter_count(n_in, sizes))]


def describe(n_in, sizes, activations):
    acts = "" if activations == "omit" else f", {activations!r}"
    return f"MLP({n_in}, {sizes!r}{acts})"


def default_like(sizes):
    """The default activations, passed explicitly."""
    return ["tanh"] * (len(sizes) - 1) + ["linear"]


def draw_net(rng, hidden_low=2):
    """A single-output network: n_in, sizes with hidden widths >= hidden_low."""
    n_in = rng.randint(1, 3)
    sizes = [rng.randint(hidden_low, 4) for _ in range(rng.randint(0, 2))] + [1]
    return n_in, sizes


def draw_data(rng, n_in, count):
    X = [[rng.uniform(-2.0, 2.0) for _ in range(n_in)] for _ in range(count)]
    Y = [rng.uniform(-1.5, 1.5) for _ in range(count)]
    return X, Y


def start_note():
    return ("(the parameters were set in the order of model.parameters(): layer by layer, "
            "neuron by neuron, the neuron's weights in input order, then its bias)")


# ---- construction, validation, parameter count and order (3 points) ----

@pytest.mark.group("mlp_construction", weight=2)
def test_parameters_drawn_in_order(student, rng):
    """after random.seed, parameters() holds random.uniform(-1, 1) weights in order and zero biases"""
    configs = [(2, [3, 2, 1], "omit"), (rng.randint(2, 3), [rng.randint(2, 4), 1], None),
               (1, [1], "omit"), (rng.randint(1, 3), [1, rng.randint(2, 3), 1, 2],
                                  [rng.choice(NAMES) for _ in range(4)])]
    for _ in range(3):
        n_in = rng.randint(1, 4)
        sizes = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        configs.append((n_in, sizes, rng.choice(["omit", [rng.choice(NAMES) for _ in sizes]])))
    cases = [[rng.randrange(10 ** 6), n_in, sizes, activations] for n_in, sizes, activations in configs]
    results = student.probe(drawn_parameters, cases)
    checks.sequence(results, len(cases), "results")
    for (seed, n_in, sizes, activations), got, reference in zip(
            cases, results, drawn_parameters(REFERENCE_NS, cases)):
        checks.sequence(got, 5, "results")
        data, all_values, distinct, stable, next_draw = got
        e_data, _, _, _, e_next = reference
        what = f"{describe(n_in, sizes, activations)} after random.seed({seed})"
        checks.sequence(data, len(e_data), f"model.parameters() of {what} (one per weight and bias)")
        if all_values is not True:
            raise AssertionError(f"model.parameters() of {what}: every item should be a Value")
        if distinct is not True:
            raise AssertionError(f"model.parameters() of {what}: the same Value appears twice")
        if stable is not True:
            raise AssertionError(f"model.parameters() of {what}: a second call should return "
                                 "the same Value objects (the ones the model computes with)")
        for i, (g, e) in enumerate(zip(data, e_data)):
            kind = "a bias (it starts at 0)" if e == 0.0 else "a weight"
            if type(g) is not float or g != e:
                raise AssertionError(
                    f"model.parameters()[{i}].data of {what}: expected {e!r} ({kind}), got "
                    f"{g!r}: draw every weight with random.uniform(-1, 1) in the order of "
                    "parameters() (layer by layer, neuron by neuron, weights in input order, "
                    "then the bias), and start every bias at 0 without drawing")
        if next_draw != e_next:
            raise AssertionError(f"{what}: building the model drew a different number of random "
                                 "values than there are weights (draw exactly one per weight)")


@pytest.mark.group("mlp_construction")
def test_invalid_configurations_raise(student, rng):
    """MLP raises ValueError for empty layer_sizes, a wrong number of activations, unknown names"""
    n_in = rng.randint(1, 3)
    h = rng.randint(2, 4)
    bad = [
        (n_in, [], "omit"),
        (n_in, [], []),
        (n_in, [h, 1], ["tanh"]),
        (n_in, [h, 1], ["tanh", "linear", "relu"]),
        (n_in, [h, 1], []),
        (n_in, [h], ["tanh", "linear"]),
        (n_in, [h, 1], ["tanh", rng.choice(["softmax", "identity", "elu", "gelu"])]),
        (n_in, [h, 1], [rng.choice(["Tanh", "TANH", "tanH"]), "linear"]),
        (n_in, [h, 1], ["relu", rng.choice(["Linear", "LINEAR"])]),
        (n_in, [h, h, 1], ["ReLU", "sigmoid", "linear"]),
        (n_in, [h, 1], ["sigmoid", "Sigmoid"]),
        (n_in, [h, 1], ["tanh", " linear"]),
    ]
    got = student.probe(construction_errors, bad)
    checks.sequence(got, len(bad), "results")
    for (n, sizes, activations), outcome in zip(bad, got):
        what = describe(n, sizes, activations)
        if outcome is None:
            raise AssertionError(f"{what} should raise ValueError when the model is built "
                                 "(names are exactly 'tanh', 'relu', 'sigmoid', 'linear', one "
                                 "per layer, and there is at least one layer), but it built a model")
        if outcome[0] is not True:
            checks.stub_raised(outcome[1], "MLP")
            raise AssertionError(f"{what} should raise ValueError, raised {outcome[1]}")


@pytest.mark.group("mlp_construction")
def test_valid_configurations_build(student, rng):
    """MLP accepts every activation name, width-1 layers and the default activations"""
    good = [(rng.randint(1, 3), [1], "omit"), (rng.randint(1, 3), [1], None),
            (2, [1, 1, 1], ["relu", "sigmoid", "linear"]),
            (rng.randint(1, 3), [2, 3, 1], list(rng.sample(NAMES, 3))),
            (1, [3, 2], ["linear", "tanh"]),
            (rng.randint(1, 4), [rng.randint(1, 3) for _ in range(4)], list(rng.sample(NAMES, 4)))]
    got = student.probe(construction_errors, good)
    checks.sequence(got, len(good), "results")
    for (n, sizes, activations), outcome in zip(good, got):
        if outcome is not None:
            checks.stub_raised(outcome[1], "MLP")
            raise AssertionError(f"{describe(n, sizes, activations)} is a valid model, but building "
                                 f"it raised {outcome[1]}")


# ---- forward pass with per-layer activations (3 points) ----

def relu_inputs(n_in, sizes, activations, values, inputs):
    """What every relu neuron of the reference model sums (weights times inputs, plus
    bias) for each of ``inputs``, with the parameters set to ``values``."""
    model = ref.MLP(n_in, sizes) if activations == "omit" else ref.MLP(n_in, sizes, activations)
    for p, v in zip(model.parameters(), values):
        p.data = v
    sums = []
    for x in inputs:
        h = [Value(v) for v in x]
        for layer in model.layers:
            sums += [sum((w * v for w, v in zip(neuron.w, h)), neuron.b).data
                     for neuron in layer.neurons if neuron.activation == "relu"]
            h = layer(h)
    return sums


def draw_forward_case(rng, n_in, sizes, activations):
    """Parameters and three inputs, drawn again until some relu neuron (if there is one)
    is active on some input and some is not: a relu that is cut off from the graph, or
    that lets negative sums through, then shows on every draw."""
    for _ in range(200):
        values = draw_values(rng, n_in, sizes)
        inputs = [[rng.uniform(-2.0, 2.0) for _ in range(n_in)] for _ in range(3)]
        sums = relu_inputs(n_in, sizes, activations, values, inputs)
        if not sums or (max(sums) > 0.05 and min(sums) < -0.05):
            break
    return [n_in, sizes, activations, values, inputs]


def check_forward(student, rng, configs):
    """Run the configurations with random parameters and inputs; compare with the reference."""
    cases = [draw_forward_case(rng, n_in, sizes, activations) for n_in, sizes, activations in configs]
    results = student.probe(forward_outputs, cases)
    checks.sequence(results, len(cases), "results")
    for (n_in, sizes, activations, values, inputs), got, expected in zip(
            cases, results, forward_outputs(REFERENCE_NS, cases)):
        what = describe(n_in, sizes, activations)
        checks.sequence(got, 2, "results")
        if got[0] == "parameters":
            raise AssertionError(f"{what}: expected {len(values)} parameters, got {got[1]}")
        checks.sequence(got[1], len(inputs), "results")
        for x, row, e_row in zip(inputs, got[1], expected[1]):
            inputs_note = f"x = {x}, parameters = {values} {start_note()}"
            if e_row[0] == "value":
                if row[0] != "value":
                    raise AssertionError(f"{what}(x): one output neuron, so expected a Value, got "
                                         + ("a list" if row[0] == "list" else f"a {row[1]}"))
                checks.close(row[1], e_row[1], f"{what}(x).data", inputs_note)
            else:
                if row[0] != "list":
                    raise AssertionError(
                        f"{what}(x): {sizes[-1]} output neurons, so expected a list of {sizes[-1]} "
                        "Values, got " + ("a Value" if row[0] == "value" else f"a {row[1]}"))
                checks.sequence(row[1], len(e_row[1]), f"{what}(x)")
                if any(v is None for v in row[1]):
                    raise AssertionError(f"{what}(x): every item of the list should be a Value")
                checks.all_close(row[1], e_row[1], f"data of {what}(x)", inputs_note)
            checks.all_close(row[2], e_row[2], f"the parameters' grads after backward() from "
                             f"{'the sum of the outputs of ' if e_row[0] == 'list' else ''}{what}(x) "
                             "(does every activation stay connected to the graph?)", inputs_note)


@pytest.mark.group("mlp_forward", weight=2)
def test_forward_per_layer_activations(student, rng):
    """model(x) applies each layer's own activation"""
    configs = [(rng.randint(1, 3), [rng.randint(2, 3), rng.randint(2, 3), 1], list(rng.sample(NAMES, 3))),
               (rng.randint(1, 3), [rng.randint(2, 3), 2], ["relu", rng.choice(["sigmoid", "tanh"])]),
               (2, [3, 1], ["sigmoid", "linear"]),
               (rng.randint(1, 2), [2, 2, 2, 1], ["linear", "relu", "tanh", "sigmoid"]),
               (1, [2], ["tanh"])]
    for _ in range(3):
        sizes = [rng.randint(2, 4) for _ in range(rng.randint(1, 3))]
        configs.append((rng.randint(1, 3), sizes, [rng.choice(NAMES) for _ in sizes]))
    check_forward(student, rng, configs)


@pytest.mark.group("mlp_forward")
def test_forward_defaults(student, rng):
    """by default tanh on hidden layers and linear on the last (a Value for one output)"""
    configs = [(rng.randint(1, 3), [1], "omit"), (rng.randint(1, 3), [rng.randint(2, 4), 1], "omit"),
               (2, [3, 3, 2], None), (rng.randint(1, 3), [rng.randint(2, 3), rng.randint(2, 3), 1], "omit")]
    check_forward(student, rng, configs)


@pytest.mark.group("mlp_forward")
def test_forward_width_one_layers(student, rng):
    """width-1 hidden layers pass a one-item list on; only the last layer's single output is unwrapped"""
    configs = [(rng.randint(1, 3), [1, 1, 1], "omit"), (2, [1, 3, 1], ["tanh", "relu", "linear"]),
               (rng.randint(1, 3), [rng.randint(2, 3), 1, 2], [rng.choice(NAMES) for _ in range(3)]),
               (1, [1, 2], ["sigmoid", "tanh"])]
    check_forward(student, rng, configs)


# ---- mse_loss and its gradients (3 points) ----

@pytest.mark.group("loss_gradients")
def test_mse_loss_and_gradients(student, rng):
    """mse_loss is the mean of squared errors, and backward gives every parameter's gradient"""
    for count in (1, rng.randint(2, 4), rng.randint(5, 8)):
        n_in, sizes = draw_net(rng)
        activations = default_like(sizes)
        values = draw_values(rng, n_in, sizes)
        X, Y = draw_data(rng, n_in, count)
        got = student.probe(loss_and_gradients, n_in, sizes, activations, values, X, Y)
        expected = loss_and_gradients(REFERENCE_NS, n_in, sizes, activations, values, X, Y)
        what = describe(n_in, sizes, activations)
        inputs = f"X = {X}, Y = {Y}, parameters = {values} {start_note()}"
        if got[0] == "parameters":
            raise AssertionError(f"{what}: expected {len(values)} parameters, got {got[1]}")
        if got[0] != "loss":
            raise AssertionError(f"mse_loss(model, X, Y) should return a Value, got a {got[1]}")
        checks.close(got[1], expected[1], f"mse_loss(model, X, Y).data with model = {what}", inputs)
        checks.all_close(got[2], expected[2], f"the parameters' grads after mse_loss(...).backward() "
                         f"with model = {what}", inputs)


# ---- training trajectory from a given start (3 points) ----

def check_training(student, rng, lr, epochs, dirty=False, hidden=None):
    n_in, sizes = draw_net(rng) if hidden is None else (rng.randint(1, 2), hidden + [1])
    activations = default_like(sizes)
    values = draw_values(rng, n_in, sizes)
    X, Y = draw_data(rng, n_in, rng.randint(3, 5))
    grads = [rng.uniform(-3.0, 3.0) for _ in values] if dirty else None
    got = student.probe(training_run, n_in, sizes, activations, values, X, Y, lr, epochs, grads)
    expected = training_run(REFERENCE_NS, n_in, sizes, activations, values, X, Y, lr, epochs, grads)
    call = "train(model, X, Y)" if lr is None else f"train(model, X, Y, lr={lr!r}, epochs={epochs})"
    what = f"{call} with model = {describe(n_in, sizes, activations)}"
    inputs = f"X = {X}, Y = {Y}, parameters = {values} {start_note()}" + (
        ", the parameters' grads not zero before training" if dirty else "")
    if got[0] == "parameters":
        raise AssertionError(f"{what}: expected {len(values)} parameters, got {got[1]}")
    history = checks.sequence(got[1], len(expected[1]), f"the losses returned by {what} (one per epoch)",
                              inputs)
    if type(got[1]) is not list:
        raise WrongType(f"{what} should return a list of floats, got a {type(got[1]).__name__}")
    checks.all_close(history, expected[1], f"the losses returned by {what}", inputs)
    checks.all_close(got[2], expected[2], f"the parameters after {what}", inputs)


@pytest.mark.group("training", weight=2)
def test_training_trajectory(student, rng):
    """train records the loss, zeroes the grads, runs backward and updates, every epoch"""
    for _ in range(2):
        check_training(student, rng, lr=rng.uniform(0.02, 0.2), epochs=rng.randint(4, 8))


@pytest.mark.group("training")
def test_training_defaults_and_stale_grads(student, rng):
    """train's defaults are lr=0.05, epochs=200; grads left from before training do not matter"""
    check_training(student, rng, lr=None, epochs=None, hidden=[])
    check_training(student, rng, lr=rng.uniform(0.02, 0.2), epochs=rng.randint(3, 5), dirty=True)
