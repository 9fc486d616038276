"""Grade a piece of student code against an exercise's hidden suite, in this process.

The program is the trusted source notebook's given cells followed by the
student's code (as one student cell), exactly what the sandbox would run, but
without the sandbox: fast enough to grade hundreds of corpus entries.
"""
import ast
import inspect
from dataclasses import dataclass, field

from autograder import submission
from autograder.run import run_suite
from autograder.student import InProcessStudent


def given_cells(assignment):
    """The given (non-solution, non-test, non-demo) code cells of the trusted source."""
    cells = submission.trusted_notebook(assignment)["cells"]
    return [{"name": submission.grade_id(c) or "given", "source": submission.cell_source(c),
             "student": False}
            for c in cells if c.get("cell_type") == "code" and not submission.is_test(c)
            and not submission.is_demo(c) and not submission.is_solution(c)]


def program(assignment, code):
    """The cells the grader runs: the given cells, then ``code`` as one student cell."""
    return given_cells(assignment) + [{"name": "solution", "source": code, "student": True}]


def _module_without(module, drop):
    """A solutions module's source minus relative imports and the named definitions."""
    tree = ast.parse(inspect.getsource(module))
    body = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            continue
        if getattr(node, "name", None) in drop:
            continue
        if isinstance(node, ast.ClassDef):
            node.body = [n for n in node.body if f"{node.name}.{getattr(n, 'name', '')}" not in drop]
        body.append(node)
    tree.body = body
    return ast.unparse(tree)


@dataclass
class Graded:
    """The outcome of grading one piece of code: checks and the fraction won per group."""

    checks: list
    setup_errors: list
    groups: dict = field(default_factory=dict)

    def lost(self):
        """The groups that did not get full marks."""
        return sorted(g for g, frac in self.groups.items() if frac < 1.0)

    def explain(self):
        return "\n".join(f"{c.group}/{c.name}: {c.status} {c.message[:300]}"
                         for c in self.checks if c.status != "passed") + \
            "".join(f"\nsetup: {e}" for e in self.setup_errors)


def grade_code(assignment, code, seed=None):
    """Grade ``code`` (the student's cells, concatenated) in process."""
    student = InProcessStudent.from_cells(program(assignment, code))
    checks, _ = run_suite(assignment, student, seed=seed)
    weights, won = {}, {}
    for c in checks:
        weights[c.group] = weights.get(c.group, 0.0) + c.weight
        won[c.group] = won.get(c.group, 0.0) + (c.weight if c.status == "passed" else 0.0)
    return Graded(checks, student.setup_errors, {g: won[g] / weights[g] for g in weights})


class RecordingStudent(InProcessStudent):
    """Remembers every argument sent to the student's side."""

    def __init__(self, namespace):
        super().__init__(namespace)
        self.sent = []

    def _ask(self, request):
        self.sent.append(repr(request.get("args")))
        return super()._ask(request)


def requests_per_seed(assignment, seeds):
    """For each seed, the arguments that grading the master solution sent to the
    student's side; the master must get full marks under every seed."""
    sent = []
    for seed in seeds:
        student = RecordingStudent({"__name__": "__main__"})
        assert student._runner.run_cells(program(assignment, solution_code(assignment))) == []
        checks, used = run_suite(assignment, student, seed=seed)
        assert used == seed
        failed = [f"{c.group}/{c.name}: {c.status} {c.message}" for c in checks if c.status != "passed"]
        assert checks and not failed, f"seed {seed}:\n" + "\n".join(failed)
        sent.append(student.sent)
    return sent


def solution_code(assignment):
    """The master solutions as a student would write them (for 'full marks' checks)."""
    from solutions import checkpointing, dual, gradcheck, manual_backward, mlp, op_counting
    from solutions.engine import Value
    if assignment == "ex28_1_sigmoid":
        method = inspect.getsource(Value.sigmoid)
        import textwrap
        return ("import math\n" + textwrap.dedent(method) + "\nValue.sigmoid = sigmoid\n"
                + _module_without(gradcheck, set()))
    module = {"ex28_2_dual_numbers": dual, "ex28_3_manual_backward": manual_backward,
              "ex28_4_checkpointing": checkpointing, "ex28_5_deeper_mlp": mlp,
              "ex28_6_op_counting": op_counting}[assignment]
    keep_given = {"ex28_4_checkpointing": {"Value", "_leaf_backward", "make_chain", "full_backprop"},
                  "ex28_6_op_counting": {"XOR_X", "XOR_Y", "xor_loss"}}.get(assignment, set())
    return _module_without(module, keep_given)
