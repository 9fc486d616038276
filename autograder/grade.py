"""Grade one submitted notebook: the engine behind every grading path.

read the notebook -> assemble the program (trusted given code + the student's
cells) -> run it in the sandbox -> run the hidden suite against it -> points.
Whatever the submission does, the result is a `GradeReport`; only a fault of
the grader itself raises (`GraderError`).
"""
import time

from . import submission
from .errors import GraderError, UnreadableNotebook
from .report import CheckResult, GradeReport
from .run import run_suite
from .suites import ASSIGNMENTS


def score_checks(assignment, checks):
    """Spread each group's points over its checks by weight; only passed checks score."""
    points = submission.test_points(assignment)
    weights = {}
    for c in checks:
        weights[c.group] = weights.get(c.group, 0.0) + c.weight
    unknown = set(weights) - set(points)
    unchecked = set(points) - set(weights)
    if unknown or unchecked:
        raise GraderError(f"{assignment}: the hidden suite and the source notebook disagree on the "
                          f"point groups (only in the suite: {sorted(unknown)}; only in the "
                          f"notebook: {sorted(unchecked)}); rebuild or fix the suite")
    results = []
    for c in checks:
        share = points[c.group] * c.weight / weights[c.group]
        results.append(CheckResult(c.group, c.name, c.title, c.status, c.message,
                                   share if c.status == "passed" else 0.0, share))
    return results


def unchecked_report(path, assignment, status, message):
    """A report for a submission that could not be run: every check at zero."""
    report = GradeReport(str(path), assignment, status, message)
    if assignment in ASSIGNMENTS:
        for group, pts in submission.test_points(assignment).items():
            report.checks.append(CheckResult(group, group, group.replace("_", " "), status,
                                             message, 0.0, pts))
        report.manual_points = submission.manual_points(assignment)
    return report


def _setup_notes(errors):
    notes = []
    for item in errors:
        error = item.get("error", {})
        text = f"cell {item.get('cell')}: {error.get('type', 'error')}: {error.get('message', '')}"
        notes.append(text if len(text) <= 300 else text[:300] + " ...")
    return notes


def grade_notebook(path, assignment=None, limits=None, seed=None, student_factory=None):
    """The `GradeReport` of the notebook file at ``path``."""
    if assignment is not None and assignment not in ASSIGNMENTS:
        raise GraderError(f"unknown assignment {assignment!r}: expected one of {', '.join(ASSIGNMENTS)}")
    started = time.perf_counter()
    try:
        notebook = submission.read_notebook(path)
        assignment = assignment or submission.infer_assignment(path, notebook)
    except UnreadableNotebook as exc:
        report = unchecked_report(path, assignment, exc.status, str(exc))
        report.seconds = time.perf_counter() - started
        return report
    report = grade_submission(notebook, assignment, str(path), limits, seed, student_factory)
    report.seconds = time.perf_counter() - started
    return report


def grade_submission(notebook, assignment, name, limits=None, seed=None, student_factory=None):
    """The `GradeReport` of an already parsed notebook (a dict) of ``assignment``.

    ``student_factory(cells)`` makes the transport; by default the sandbox.
    """
    started = time.perf_counter()
    cells = submission.assemble(assignment, notebook)
    if student_factory is None:
        from .sandbox import SandboxedStudent

        def student_factory(cells):
            return SandboxedStudent(cells, limits)
    student = student_factory(cells)
    try:
        checks, seed = run_suite(assignment, student, seed=seed)
        notes = _setup_notes(getattr(student, "setup_errors", []) or [])
    finally:
        student.close()
    report = GradeReport(name, assignment, checks=score_checks(assignment, checks),
                         manual_points=submission.manual_points(assignment), notes=notes, seed=seed)
    report.seconds = time.perf_counter() - started
    return report
