"""Grade one submitted notebook: the engine behind every grading path.

read the notebook -> assemble the program (trusted given code + the student's
cells) -> run it in the sandbox -> run the hidden suite against it -> points.
Whatever the submission does, the result is a `GradeReport`; only a fault of
the grader itself raises (`GraderError`).

Every text in a report that the submission could have chosen (exception
messages, tracebacks, type names, the values shown in a check's message, the
file's name) goes through `clean_text` before it is kept: control characters,
lone surrogates and bidirectional overrides are escaped (so the table, the JUnit
XML and a CI log show what was there and cannot be corrupted, crash the writer,
or fake a line such as a score), each text is capped in length, and any line
that carries hidden-test text is removed: a line of the hidden suite (the
student's code can read the probes it is sent, and where no layer hides the kit the
suite file, and echo them in an exception), or the markers ``BEGIN HIDDEN
TESTS`` and ``def test_``.  Nothing the child sends can
mark a check passed: that is decided by the suite, here, and every grade is
computed from scratch.
"""
import functools
import os
import re
import time

from . import submission
from .errors import GraderError, UnreadableNotebook
from .report import CheckResult, GradeReport
from .run import run_suite
from .suites import ASSIGNMENTS, suite_path

MAX_MESSAGE = 4000          # characters of one check's message kept in a report
MAX_NOTE = 300
HIDDEN = "[hidden test text removed]"
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     "\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff]")
_ALWAYS_HIDDEN = ("BEGIN HIDDEN", "END HIDDEN", "def test_")


@functools.lru_cache(maxsize=None)
def hidden_lines(assignment):
    """The lines of ``assignment``'s hidden suite that are long enough to be recognised when
    echoed back (stripped), except what the release notebook shows anyway (``with
    OpCounter() as ops:``): never shown in a report.  The probes are sent to the child, so
    its code can always read them; where no layer of the sandbox hides the kit (no namespaces,
    no Landlock) it can read the whole suite file.  Messages are built from these lines' string literals,
    never equal to a whole line (which holds quotes, names and braces), so nothing the suite
    itself says is removed."""
    if assignment not in ASSIGNMENTS:
        return ()
    try:
        with open(suite_path(assignment), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return ()
    try:
        public = "\n".join(submission.cell_source(c)
                           for c in submission.trusted_notebook(assignment, "release")["cells"])
    except GraderError:
        public = ""
    lines = set()
    for line in text.splitlines():
        line = line.strip()
        if len(line) >= 16 and sum(ch.isalpha() for ch in line) >= 6 and line not in public:
            lines.add(line)
    return tuple(sorted(lines, key=len, reverse=True))


def _escape(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean_text(text, assignment=None, limit=MAX_MESSAGE, one_line=False):
    """``text`` safe to show: printable, capped, without hidden-test text (see the module doc)."""
    if not isinstance(text, str):
        text = str(text)
    if len(text) > 4 * limit:
        text = text[:4 * limit]
    text = text.replace("\r\n", "\n")
    text = _UNSAFE.sub(_escape, text)
    secret = hidden_lines(assignment) if assignment else ()
    kept = []
    for line in text.split("\n"):
        if any(marker in line for marker in _ALWAYS_HIDDEN) or any(s in line for s in secret):
            if not kept or kept[-1] != HIDDEN:
                kept.append(HIDDEN)
        else:
            kept.append(line)
    text = (" | " if one_line else "\n").join(kept)
    return text if len(text) <= limit else text[:limit] + " ..."


def sanitised(report):
    """``report`` with every text the submission could influence passed through `clean_text`."""
    a = report.assignment if report.assignment in ASSIGNMENTS else None
    report.submission = clean_text(report.submission, None, 1000, one_line=True)
    report.message = clean_text(report.message, a)
    report.notes = [clean_text(n, a, MAX_NOTE, one_line=True) for n in report.notes]
    for c in report.checks:
        c.message = clean_text(c.message, a)
        c.status = clean_text(c.status, None, 40, one_line=True)
    return report


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
    return sanitised(report)


def _setup_notes(errors):
    notes = []
    for item in errors:
        error = item.get("error", {})
        notes.append(f"cell {item.get('cell')}: {error.get('type', 'error')}: {error.get('message', '')}")
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
        if assignment is None:      # still one row per point group when the name says which
            stem = os.path.splitext(os.path.basename(str(path)))[0]
            assignment = stem if stem in ASSIGNMENTS else None
        report = unchecked_report(path, assignment, exc.status, str(exc))
        report.seconds = time.perf_counter() - started
        return report
    report = grade_submission(notebook, assignment, str(path), limits, seed, student_factory)
    report.seconds = time.perf_counter() - started
    return report


def grade_submission(notebook, assignment, name, limits=None, seed=None, student_factory=None):
    """The `GradeReport` of an already parsed notebook (a dict) of ``assignment``.

    ``student_factory(cells)`` makes the transport; by default the sandbox, with
    ``limits`` or else those of ``$AUTOGRADER_LIMITS`` (see `sandbox.limits_from_environment`).
    """
    started = time.perf_counter()
    cells = submission.assemble(assignment, notebook)
    if student_factory is None:
        from .sandbox import SandboxedStudent, limits_from_environment
        limits = limits or limits_from_environment()

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
    return sanitised(report)
