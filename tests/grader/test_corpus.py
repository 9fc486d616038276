"""The hidden suites against a corpus of realistic submissions, per exercise.

Every wrong submission must lose exactly the point groups listed for it (losing fewer
means the suite is blind to the mistake, losing more means it over-penalises); every
correct-but-different one and the master solutions must get full marks; no message a
student sees may show the suites' source.  Each entry is graded under several seeds and
must fail the same checks under every one: a verdict that hangs on the draw would give
two students with the same mistake different grades.

Grading runs in process (`tests.grader.harness`), once per entry and seed.  The seeds are
fixed so the run is reproducible; set CORPUS_SEED to an integer, or to ``random``, to
explore other draws, and CORPUS_SEEDS to how many seeds to use (default 3).
"""
import ast
import functools
import importlib
import inspect
import os
import random
import re

import pytest

from autograder.suites import suite_path
from tests.grader import harness

GROUPS = {
    "ex28_1_sigmoid": {"sigmoid_value", "sigmoid_stability", "sigmoid_in_graphs",
                       "numerical_gradient", "max_relative_error"},
    "ex28_2_dual_numbers": {"dual_arithmetic", "dual_functions", "partials_of_f",
                            "forward_mode_gradient"},
    "ex28_3_manual_backward": {"graph_edges", "forward_pass", "backward_pass", "value_gradients"},
    "ex28_4_checkpointing": {"checkpoint_gradient", "checkpoint_memory", "segment_and_budget"},
    "ex28_5_deeper_mlp": {"mlp_construction", "mlp_forward", "loss_gradients", "training"},
    "ex28_6_op_counting": {"forward_counts", "backward_counts", "visited_counts", "ratios"},
}
EXERCISES = tuple(GROUPS)

_seed_setting = os.environ.get("CORPUS_SEED", "284562")
_first = random.randrange(2 ** 32) if _seed_setting == "random" else int(_seed_setting)
SEEDS = tuple(_first + 7919 * k for k in range(int(os.environ.get("CORPUS_SEEDS", "3"))))


def corpus(exercise):
    return importlib.import_module(f"tests.grader.corpus.{exercise}")


def entries(kind):
    return [pytest.param(ex, name, seed, id=f"{ex}:{name}:{seed}")
            for ex in EXERCISES for name in getattr(corpus(ex), kind) for seed in SEEDS]


@functools.lru_cache(maxsize=None)
def graded(exercise, kind, name, seed):
    """Grade one corpus entry (or the master solution, kind 'master') once per session."""
    if kind == "master":
        code = harness.solution_code(exercise)
    elif kind == "WRONG":
        code = corpus(exercise).WRONG[name][0]
    else:
        code = corpus(exercise).RIGHT[name]
    return harness.grade_code(exercise, code, seed=seed)


def report(result, seed):
    lines = [f"seed {seed} (CORPUS_SEED={SEEDS[0]} reproduces the run)"]
    lines += [f"  {c.group}/{c.name}: {c.status}" + (f"\n      {c.message}" if c.message else "")
              for c in result.checks]
    lines += [f"  setup error: {e}" for e in result.setup_errors]
    return "\n".join(lines)


# ---- the corpus ----

def test_corpus_sizes():
    for ex in EXERCISES:
        assert len(corpus(ex).WRONG) >= 10, ex
        assert len(corpus(ex).RIGHT) >= 4, ex
        for name, (code, lost) in corpus(ex).WRONG.items():
            assert lost and lost <= GROUPS[ex], f"{ex}:{name} lists unknown groups {lost}"
        codes = [code for code, _ in corpus(ex).WRONG.values()] + list(corpus(ex).RIGHT.values())
        assert len(set(codes)) == len(codes), f"{ex}: two entries have the same code"


@pytest.mark.parametrize("exercise, name, seed", entries("WRONG"))
def test_wrong_submission_loses_exactly_its_groups(exercise, name, seed):
    expected = corpus(exercise).WRONG[name][1]
    result = graded(exercise, "WRONG", name, seed)
    assert not result.setup_errors, report(result, seed)
    assert set(result.groups) == GROUPS[exercise], report(result, seed)
    lost = set(result.lost())
    assert lost == expected, (f"{exercise}:{name} lost {sorted(lost)}, expected exactly "
                              f"{sorted(expected)}\n{report(result, seed)}")
    assert all(c.status != "grader error" for c in result.checks), report(result, seed)


@pytest.mark.parametrize("exercise, name, seed", entries("RIGHT"))
def test_correct_submission_gets_full_marks(exercise, name, seed):
    result = graded(exercise, "RIGHT", name, seed)
    assert not result.setup_errors, report(result, seed)
    assert set(result.groups) == GROUPS[exercise], report(result, seed)
    assert result.lost() == [], f"{exercise}:{name} lost {result.lost()}\n{report(result, seed)}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_master_solution_gets_full_marks(exercise, seed):
    result = graded(exercise, "master", "", seed)
    assert not result.setup_errors, report(result, seed)
    assert set(result.groups) == GROUPS[exercise], report(result, seed)
    assert result.lost() == [], report(result, seed)
    assert all(c.status == "passed" for c in result.checks), report(result, seed)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_verdicts_are_the_same_under_every_seed(exercise):
    varying = []
    for kind in ("WRONG", "RIGHT"):
        for name in getattr(corpus(exercise), kind):
            outcomes = {}
            for seed in SEEDS:
                failed = tuple(sorted(c.name for c in graded(exercise, kind, name, seed).checks
                                      if c.status != "passed"))
                outcomes.setdefault(failed, []).append(seed)
            if len(outcomes) > 1:
                varying.append(f"{kind.lower()} {name}: " + "; ".join(
                    f"seeds {seeds} fail {list(failed)}" for failed, seeds in outcomes.items()))
    assert not varying, "these submissions fail different checks under different seeds:\n" + \
        "\n".join(varying)


# ---- messages never show the suites' source ----

def suite_names(exercise):
    """Names of the suite's module-level functions (probes, helpers, tests)."""
    with open(suite_path(exercise)) as f:
        tree = ast.parse(f.read())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and (node.name.startswith("test_") or "_" in node.name)}


def suite_lines(exercise):
    """Lines of the suite that look like code and are long enough to be recognised."""
    with open(suite_path(exercise)) as f:
        lines = [line.strip() for line in f]
    return [line for line in lines if len(line) >= 30 and any(c in line for c in "(=[")
            and not line.startswith(("#", '"""'))]


FORBIDDEN = ["def ", "lambda", "student.probe", "student.call", "checks.", "ns[", "<check>",
             "assert ", "pytest", "solutions.", "autograder", "rng.", "REFERENCE_NS"]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_messages_do_not_show_suite_source(exercise):
    results = [graded(exercise, kind, name, seed) for kind in ("WRONG", "RIGHT")
               for name in getattr(corpus(exercise), kind) for seed in SEEDS]
    names, lines = suite_names(exercise), suite_lines(exercise)
    seen = 0
    for result in results:
        for check in result.checks:
            text = check.message + " " + check.title
            seen += bool(check.message)
            for token in FORBIDDEN:
                assert token not in text, f"{check.group}/{check.name} shows {token!r}: {text}"
            for name in names:
                assert not re.search(rf"\b{re.escape(name)}\b", text), (
                    f"{check.group}/{check.name} names the suite's {name!r}: {text}")
            for line in lines:
                assert line not in text, f"{check.group}/{check.name} quotes the suite: {line!r}"
            for frame in re.findall(r'File "([^"]*)"', text):
                assert frame.startswith(("<cell", "<given")), (
                    f"{check.group}/{check.name} shows a frame outside the notebook: {text}")
    assert seen > 20, "the corpus should produce plenty of failure messages"


# ---- probes run alone in the child ----

@pytest.mark.parametrize("exercise", EXERCISES)
def test_probes_are_self_contained(exercise):
    """Probes are shipped as source and run with nothing of the suite around them: every
    global name they use must be a builtin (imports go inside their body)."""
    import builtins
    import dis
    module = importlib.import_module(f"autograder.suites.{exercise}")
    probes = [f for f in vars(module).values() if inspect.isfunction(f)
              and f.__module__ == module.__name__ and list(inspect.signature(f).parameters)[:1] == ["ns"]]
    assert len(probes) >= 3
    for function in probes:
        scope = {"__builtins__": builtins}
        exec(compile(inspect.getsource(function), "<check>", "exec"), scope)
        stack = [scope[function.__name__].__code__]
        while stack:
            code = stack.pop()
            stack.extend(k for k in code.co_consts if inspect.iscode(k))
            for ins in dis.get_instructions(code):
                if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                    assert hasattr(builtins, ins.argval), (
                        f"probe {function.__name__} uses the suite's global {ins.argval!r}")


# ---- different seeds draw different inputs ----

# Requests that carry numbers and stay the same under another seed, by design: 28.1
# asks for the gradient of a function of no inputs.
FIXED_REQUESTS = {"ex28_1_sigmoid": 1}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_each_seed_draws_new_inputs(exercise):
    first, second = harness.requests_per_seed(exercise, (SEEDS[0] + 1, SEEDS[0] + 2))
    assert len(first) == len(second)
    with_inputs = [(a, b) for a, b in zip(first, second) if re.search(r"\d\.\d", a)]
    assert len(with_inputs) >= 5, "the suite sends (almost) no inputs"
    same = [a for a, b in with_inputs if a == b]
    assert len(same) <= FIXED_REQUESTS.get(exercise, 0), (
        f"these inputs did not change with the seed: {same[:3]}")
