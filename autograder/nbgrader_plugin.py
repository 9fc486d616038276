"""The trusted grader inside plain nbgrader: ``nbgrader autograde`` without a kernel.

nbgrader's pipelines are lists of preprocessors, and ``nbgrader_config.py``
replaces them (`configure`):

sanitize (submitted/ -> autograded/)
    `SafeNotebookExporter` reads the submission with the grader's own reader:
    a file that is not a readable notebook becomes an empty notebook marked
    *unreadable* instead of an exception that nbgrader would turn into a failed
    batch.  `RebuildFromTrusted` then rebuilds the notebook from the trusted
    copy: the source notebook's cells in order, the student's solution cells
    matched by grade id (the first one wins), the student's manual answers, the
    cells the student added (kept, without nbgrader metadata, after the cell
    they followed), and every test cell in its *release* form (visible tests
    only) so that nothing derived from this notebook can show hidden tests.
    Edited, deleted, duplicated, re-typed, re-labelled or re-pointed cells
    therefore change nothing, and nbgrader's DeduplicateIds/CheckCellMetadata
    (which abort a whole batch on a duplicated cell) are not needed.

autograde (autograded/ -> autograded/ and the gradebook)
    `GradeWithKit` grades the rebuilt notebook with `grade.grade_submission`
    (student code in the sandbox, hidden suites in the trusted parent; no
    kernel, nothing executed in the student's namespace here) and writes into
    each test cell its group's checks (status, message) and either an
    ``execute_result`` holding the points, which nbgrader reads as partial
    credit, or an error output for zero.  `SaveKitGrades` stores the scores so
    that a regrade (``--force``) recomputes them from scratch and no autograded
    cell is left waiting for a manual grade.

feedback
    `FeedbackWithoutHiddenTests` puts the release version back into every test
    cell and removes any hidden-test or mark-scheme region left anywhere, before
    nbgrader's own ClearHiddenTests/ClearMarkScheme run, so feedback shows check
    statuses and messages, never hidden test code nor a question's rubric.

This module is imported by ``nbgrader_config.py`` for every nbgrader command:
importing it must stay cheap (nbgrader itself is imported lazily, inside the
classes' module-level definitions below only once a pipeline needs them).
"""
import os
import re

KIT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
MARK_BEGIN, MARK_END = "BEGIN MARK SCHEME", "END MARK SCHEME"
_CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")

_PLUGIN = "autograder.nbgrader_plugin."
SANITIZE = [_PLUGIN + "RebuildFromTrusted"]
AUTOGRADE = [_PLUGIN + "GradeWithKit",
             "nbgrader.preprocessors.LimitOutput",
             _PLUGIN + "SaveKitGrades",
             "nbgrader.preprocessors.AssignLatePenalties"]
FEEDBACK_DEFAULT = ["nbgrader.preprocessors.GetGrades",
                    "nbgrader.preprocessors.ClearHiddenTests",
                    "nbgrader.preprocessors.ClearMarkScheme",
                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]


def configure(c):
    """Plug the kit's grader into nbgrader's configurable pipelines (``c`` is the config).

    Keeps everything else in ``c``; the feedback pipeline is extended, not replaced.
    """
    c.ClearMarkScheme.enforce_metadata = False   # rubrics sit in read-only question cells
    c.Autograde.exporter_class = _PLUGIN + "SafeNotebookExporter"
    c.Autograde.sanitize_preprocessors = list(SANITIZE)
    c.Autograde.autograde_preprocessors = list(AUTOGRADE)
    feedback = c.GenerateFeedback.get("preprocessors") or list(FEEDBACK_DEFAULT)
    feedback = [p for p in feedback if p != _PLUGIN + "FeedbackWithoutHiddenTests"]
    at = next((i + 1 for i, p in enumerate(feedback) if str(p).endswith("GetGrades")), 0)
    feedback.insert(at, _PLUGIN + "FeedbackWithoutHiddenTests")
    c.GenerateFeedback.preprocessors = feedback
    return c


COURSE_CONFIG = '''"""nbgrader configuration of a chapter-28 course directory (written by the kit)."""
import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "autodiff-ch28"
c.CourseDirectory.root = HERE
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.Exchange.root = os.path.join(HERE, "exchange")
# the rubrics sit in read-only question cells, not in nbgrader task cells (worth 0 points
# each, which formgrader would show as score boxes); nbgrader still strips them from the
# release and from feedback
c.ClearMarkScheme.enforce_metadata = False
'''
KIT_LINES = '''
# The kit's trusted, sandboxed grader inside nbgrader (autograder/nbgrader_plugin.py)
from autograder.nbgrader_plugin import configure  # noqa: E402

configure(c)
'''


def write_course_config(course, plain=False):
    """Write ``course/nbgrader_config.py``: the kit's pipelines, or nbgrader's own (``plain``)."""
    os.makedirs(course, exist_ok=True)
    path = os.path.join(course, "nbgrader_config.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(COURSE_CONFIG + ("" if plain else KIT_LINES))
    return path


# --------------------------------------------------------------------------
# Pure functions: reading, rebuilding, rendering.  No nbgrader needed here,
# so they are tested directly and reused by the demo and the reports.
# --------------------------------------------------------------------------

def clean_cells(raw):
    """The submission's cells reduced to what the rebuild reads (always schema-valid).

    Keeps each cell's type (code/markdown/raw), its source as one string, its
    nbgrader metadata (only to match grade ids) and a valid cell id.
    """
    from .submission import cell_source, nbgrader_meta
    cells = []
    for index, cell in enumerate(raw.get("cells", []) if isinstance(raw, dict) else []):
        if not isinstance(cell, dict):
            continue
        kind = cell.get("cell_type")
        kind = kind if kind in ("code", "markdown", "raw") else "raw"
        cid = cell.get("id")
        new = {"cell_type": kind, "source": cell_source(cell),
               "id": cid if isinstance(cid, str) and _CELL_ID.match(cid) else f"submitted-{index}",
               "metadata": {}}
        nbg = nbgrader_meta(cell)
        if nbg:
            new["metadata"]["nbgrader"] = {k: v for k, v in nbg.items()
                                           if isinstance(v, (str, int, float, bool))}
        if kind == "code":
            new.update(outputs=[], execution_count=None)
        cells.append(new)
    return cells


def empty_notebook(cells=(), kit=None):
    """A minimal valid nbformat 4.5 notebook (plain dicts)."""
    metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                               "name": "python3"},
                "language_info": {"name": "python"}}
    if kit:
        metadata["kit"] = kit
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": list(cells)}


def read_submission(path):
    """The submission at ``path`` as a clean notebook dict; unreadable -> marked, empty."""
    from .errors import UnreadableNotebook
    from .submission import read_notebook
    try:
        raw = read_notebook(path)
    except UnreadableNotebook as exc:
        return empty_notebook(kit={"unreadable": {"status": exc.status, "message": str(exc)}})
    return empty_notebook(clean_cells(raw))


def _fresh(cell, source=None, cell_id=None):
    """A copy of a trusted cell with no outputs (and a new source if given)."""
    new = {"cell_type": cell.get("cell_type", "markdown"), "metadata": _copy(cell.get("metadata", {})),
           "source": source if source is not None else _text(cell)}
    new["id"] = cell_id or cell.get("id") or "cell"
    if new["cell_type"] == "code":
        new.update(outputs=[], execution_count=None)
    return new


def _copy(value):
    import copy
    return copy.deepcopy(value)


def _text(cell):
    from .submission import cell_source
    return cell_source(cell)


def rebuild(assignment, submitted):
    """The notebook that nbgrader grades and shows, rebuilt from the trusted copy.

    ``submitted`` is a clean notebook dict (`read_submission`).  Returns a new
    notebook dict whose metadata ``kit`` records the assignment, whether the
    submission was readable, and notes on what was ignored.
    """
    from . import submission as sub

    source = sub.trusted_notebook(assignment, "source")
    release_cells = sub.trusted_notebook(assignment, "release")["cells"]
    release = {sub.grade_id(c): c for c in release_cells if sub.grade_id(c)}
    trusted_ids = {c.get("id") for c in release_cells} | {c.get("id") for c in source["cells"]}
    known = {sub.grade_id(c) for c in source["cells"]} - {None}
    solution_ids = {sub.grade_id(c) for c in source["cells"] if sub.is_solution(c)} - {None}

    kit = dict(submitted.get("metadata", {}).get("kit", {}) or {})
    kit.update(assignment=assignment, rebuilt=True)
    notes = []
    mine, added, anchor, seen = {}, {}, None, set()
    for cell in submitted.get("cells", []):
        gid = sub.grade_id(cell)
        if gid in known:
            anchor = gid
            if gid in solution_ids and gid not in mine:
                mine[gid] = cell
            elif gid in solution_ids:
                notes.append(f"a second copy of {gid} was ignored (the first one is graded)")
            elif gid in seen:
                notes.append(f"a copy of the locked cell {gid} was ignored")
            seen.add(gid)
            continue
        if cell.get("cell_type") != "code" and cell.get("id") in trusted_ids:
            continue                      # the release's own text cells come from the trusted copy
        added.setdefault(anchor, []).append(cell)

    cells, n_added = [], 0

    def add_student_cells(key):
        nonlocal n_added
        for cell in added.get(key, []):
            n_added += 1
            new = {"cell_type": cell["cell_type"], "metadata": {}, "source": cell["source"],
                   "id": f"added-{n_added}"}
            if new["cell_type"] == "code":
                new.update(outputs=[], execution_count=None)
            cells.append(new)

    add_student_cells(None)
    for index, cell in enumerate(source["cells"]):
        gid = sub.grade_id(cell)
        shown = release.get(gid, cell) if gid else cell     # metadata (checksums) as released
        cell_id = shown.get("id") or cell.get("id") or f"cell-{index}"
        if gid and sub.is_solution(cell):
            theirs = mine.get(gid)
            kind = cell.get("cell_type")
            if theirs is None:
                notes.append(f"{gid} was missing from the submission: graded as the empty stub")
                text = _text(shown)
            elif kind == "code" and theirs.get("cell_type") != "code":
                notes.append(f"{gid} was turned into a {theirs.get('cell_type')} cell: "
                             "graded as the empty stub (its text is kept below it)")
                text = _text(shown)
            else:
                text = theirs["source"]
            cells.append(_fresh(shown, text, cell_id))
            if theirs is not None and kind == "code" and theirs.get("cell_type") != "code":
                cells.append({"cell_type": "markdown", "metadata": {}, "id": f"retyped-{gid}"[:64],
                              "source": theirs["source"]})
        elif gid and sub.is_test(cell):
            cells.append(_fresh(shown, _text(shown), cell_id))       # visible tests only
        else:
            # given code, questions (with their mark scheme, for formgrader; feedback
            # strips it), plain text: the instructor's text
            cells.append(_fresh(shown, _text(cell), cell_id))
        if gid:
            add_student_cells(gid)
    kit["notes"] = notes
    nb = empty_notebook(cells, kit)
    if "kernelspec" in source.get("metadata", {}):
        nb["metadata"]["kernelspec"] = _copy(source["metadata"]["kernelspec"])
    return nb


# Feedback and formgrader show outputs in a box about 130 characters wide on a laptop and
# cut longer lines (the end, where "expected ..., got ..." is, scrolls out of sight).
MESSAGE_WIDTH = 100
INDENT = "       "


def _message_lines(message):
    """A check's message as indented lines that fit MESSAGE_WIDTH (a number is never split)."""
    import textwrap
    lines = []
    for line in message.splitlines()[:30]:
        lines += textwrap.wrap(line, MESSAGE_WIDTH, initial_indent=INDENT, subsequent_indent=INDENT + "  ",
                               break_long_words=False, break_on_hyphens=False,
                               drop_whitespace=True) or [INDENT]
    return lines


def _status_line(check):
    mark = "ok  " if check.status == "passed" else "FAIL"
    return f"{mark} [{check.status}] {check.title}"


def cell_outputs(group, checks, points, report):
    """The outputs of one test cell: the checks, then the points or an error for zero."""
    score = min(round(sum(c.score for c in checks), 6), float(points))
    lines = [f"{group}: {score:g} / {float(points):g} points"]
    if report.status != "graded" and report.message:
        lines.append(f"{report.status}: {report.message}")
    for check in checks:
        lines.append(_status_line(check))
        if check.status != "passed" and check.message:
            lines += _message_lines(check.message)
    text = "\n".join(lines) + "\n"
    outputs = [{"output_type": "stream", "name": "stdout", "text": text}]
    if score > 0:
        outputs.append({"output_type": "execute_result", "execution_count": None,
                        "metadata": {}, "data": {"text/plain": repr(score)}})
    else:
        failed = [c for c in checks if c.status != "passed"]
        status = failed[0].status if failed else report.status
        passed = sum(c.status == "passed" for c in checks)
        outputs.append({"output_type": "error", "ename": "NoPoints",
                        "evalue": f"{passed} of {len(checks)} checks passed ({status})",
                        "traceback": [f"NoPoints: {passed} of {len(checks)} checks passed "
                                      f"({status}); see the messages above"]})
    return outputs, score


def group_status(checks):
    """One word for a group: passed, or the first status that was not."""
    for check in checks:
        if check.status != "passed":
            return check.status
    return "passed"


def annotate(nb, report):
    """Write ``report`` into the rebuilt notebook ``nb`` (dicts, changed in place)."""
    from dataclasses import asdict

    from .submission import grade_id, is_test
    by_group = {}
    for check in report.checks:
        by_group.setdefault(check.group, []).append(check)
    raised = {}
    for note in report.notes:
        match = re.match(r"cell (\S+): (.*)", note, flags=re.S)
        if match:
            raised.setdefault(match.group(1), []).append(match.group(2))
    n_added = 0
    for cell in nb["cells"]:
        gid = grade_id(cell)
        if cell.get("cell_type") != "code":
            continue
        if gid and is_test(cell) and gid.startswith("test_"):
            group = gid[len("test_"):]
            checks = by_group.get(group, [])
            points = cell["metadata"]["nbgrader"].get("points", 0)
            outputs, score = cell_outputs(group, checks, points, report)
            cell["outputs"] = outputs
            cell["metadata"]["kit"] = {"group": group, "score": score, "max_score": float(points),
                                       "status": group_status(checks) if checks else report.status,
                                       "checks": [asdict(c) for c in checks]}
            continue
        name = gid
        if not gid:
            n_added += 1
            name = f"added-{n_added}"
        if name in raised:
            cell["outputs"] = [{"output_type": "stream", "name": "stdout",
                                "text": "While grading, running this cell raised:\n"
                                        + "\n".join(raised[name]) + "\n"}]
    kit = nb["metadata"].setdefault("kit", {})
    kit["report"] = report.to_dict()
    return nb


def strip_regions(text, begin, end):
    """``text`` without the regions between lines holding ``begin`` and ``end`` (lenient)."""
    out, inside = [], False
    for line in text.split("\n"):
        if begin in line:
            inside = True
        elif end in line and inside:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def course_trusted_root(course_root, assignment):
    """The course directory when it holds this assignment's source and release notebooks."""
    if course_root:
        paths = [os.path.join(course_root, kind, assignment, f"{assignment}.ipynb")
                 for kind in ("source", "release")]
        if all(os.path.isfile(p) for p in paths):
            return os.path.abspath(course_root)
    return None


def use_trusted_root(root):
    """Make the grader read the trusted notebooks under ``root`` from now on."""
    from . import submission
    if root and os.path.abspath(root) != os.path.abspath(submission.source_root()):
        os.environ["AUTOGRADER_KIT_ROOT"] = os.path.abspath(root)
        submission.trusted_notebook.cache_clear()


# --------------------------------------------------------------------------
# nbgrader/nbconvert classes.  Defined lazily: nbgrader_config.py imports this
# module for every nbgrader command, and most never grade anything.
# --------------------------------------------------------------------------

def _classes():
    import nbformat
    from nbconvert.exporters import NotebookExporter
    from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades
    from traitlets import Bool, Dict, TraitError, validate

    def coursedir_of(preprocessor):
        exporter = getattr(preprocessor, "parent", None)
        converter = getattr(exporter, "parent", None)
        coursedir = getattr(converter, "coursedir", None)
        return getattr(coursedir, "root", None) or os.getcwd()

    class SafeNotebookExporter(NotebookExporter):
        """Reads submissions with the grader's reader: nothing a student submits raises here."""

        def from_filename(self, filename, resources=None, **kw):
            converter = getattr(self, "parent", None)
            if not getattr(converter, "_sanitizing", False):
                return super().from_filename(filename, resources, **kw)
            if resources is None:
                resources = {}
            resources.setdefault("metadata", {})
            resources["metadata"]["name"] = os.path.splitext(os.path.basename(filename))[0]
            resources["metadata"]["path"] = os.path.dirname(filename)
            nb = read_submission(filename)
            unreadable = nb["metadata"].get("kit", {}).get("unreadable")
            if unreadable:
                self.log.warning("%s: %s (graded as zero)", filename, unreadable["message"])
            return self.from_notebook_node(nbformat.from_dict(nb), resources, **kw)

    class RebuildFromTrusted(NbGraderPreprocessor):
        """Rebuild the submission from the trusted copy (see the module's docstring)."""

        def preprocess(self, nb, resources):
            assignment = resources["nbgrader"]["assignment"]
            use_trusted_root(course_trusted_root(coursedir_of(self), assignment))
            rebuilt = rebuild(assignment, nb)
            for note in rebuilt["metadata"]["kit"].get("notes", []):
                self.log.warning("%s/%s: %s", resources["nbgrader"]["student"], assignment, note)
            return nbformat.from_dict(rebuilt), resources

    class GradeWithKit(NbGraderPreprocessor):
        """Grade with the trusted, sandboxed grader and write the points into the test cells."""

        limits = Dict(help="Sandbox limits for every submission, as fields of "
                           "autograder.sandbox.Limits, e.g. {'cpu_seconds': 120, 'call_seconds': 20}; "
                           "applied over $AUTOGRADER_LIMITS").tag(config=True)

        @validate("limits")
        def _valid_limits(self, proposal):
            from .errors import GraderError
            from .sandbox import Limits, changed_limits
            try:
                changed_limits(Limits(), proposal["value"], "c.GradeWithKit.limits")
            except GraderError as exc:
                raise TraitError(str(exc)) from None
            return proposal["value"]

        def preprocess(self, nb, resources):
            from .grade import grade_submission, unchecked_report
            from .sandbox import changed_limits, limits_from_environment
            assignment = resources["nbgrader"]["assignment"]
            student = resources["nbgrader"]["student"]
            use_trusted_root(course_trusted_root(coursedir_of(self), assignment))
            kit = nb.metadata.get("kit", {})
            name = f"{student}/{assignment}"
            if not kit.get("rebuilt"):
                raise RuntimeError("the notebook was not rebuilt from the trusted copy: "
                                   "configure nbgrader with autograder.nbgrader_plugin.configure(c)")
            _freeze_heap()
            if kit.get("unreadable"):
                report = unchecked_report(name, assignment, kit["unreadable"]["status"],
                                          kit["unreadable"]["message"])
            else:
                limits = changed_limits(limits_from_environment(), self.limits, "c.GradeWithKit.limits")
                report = grade_submission(_plain(nb), assignment, name, limits)
            self.log.info("%s: %g / %g (%s) in %.2f s", name, report.score, report.max_score,
                          report.status, report.seconds)
            plain = annotate(_plain(nb), report)
            resources["nbgrader"]["kit_report"] = report.to_dict()
            return nbformat.from_dict(plain), resources

    class SaveKitGrades(SaveAutoGrades):
        """SaveAutoGrades, except that the kit's test cells never wait for a manual grade.

        A regrade recomputes their score from scratch: a manual override of an
        autograded cell is dropped (and logged) unless ``keep_manual_overrides``.
        """

        keep_manual_overrides = Bool(False, help="keep manual scores given to autograded "
                                                 "test cells across a regrade").tag(config=True)

        def _add_score(self, cell, resources):
            super()._add_score(cell, resources)
            if "kit" not in cell.metadata or "score" not in cell.metadata["kit"]:
                return
            grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"],
                                              self.notebook_id, self.assignment_id, self.student_id)
            if grade.manual_score is not None and not self.keep_manual_overrides:
                self.log.warning("%s/%s %s: dropping the manual score %s (regraded: %s)",
                                 self.student_id, self.assignment_id, grade.cell.name,
                                 grade.manual_score, grade.auto_score)
                grade.manual_score = None
            # nbgrader asks for a review when a manual score sits on top of the auto score
            grade.needs_manual_grade = grade.manual_score is not None
            self.gradebook.db.commit()

    class FeedbackWithoutHiddenTests(NbGraderPreprocessor):
        """Feedback shows the release version of each test cell and never a hidden region."""

        def preprocess(self, nb, resources):
            from . import submission as sub
            assignment = resources["nbgrader"]["assignment"]
            use_trusted_root(course_trusted_root(coursedir_of(self), assignment))
            try:
                release = {sub.grade_id(c): c for c in
                           sub.trusted_notebook(assignment, "release")["cells"] if sub.grade_id(c)}
            except Exception:  # noqa: BLE001 - without the release, strip regions only
                release = {}
            for cell in nb.cells:
                gid = sub.grade_id(cell)
                if gid and sub.is_test(cell) and gid in release:
                    cell.source = sub.cell_source(release[gid])
                cell.source = strip_regions(cell.source, HIDDEN_BEGIN, HIDDEN_END)
                # the questions' rubrics (read-only cells, put back for formgrader), and
                # any region a student wrote: gone before nbgrader's ClearMarkScheme
                cell.source = strip_regions(cell.source, MARK_BEGIN, MARK_END)
                cell.metadata.pop("kit", None)
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "stream":
                        output["text"] = strip_regions(output["text"], HIDDEN_BEGIN, HIDDEN_END)
            nb.metadata.pop("kit", None)
            return nb, resources

    for cls in (SafeNotebookExporter, RebuildFromTrusted, GradeWithKit, SaveKitGrades,
                FeedbackWithoutHiddenTests):
        cls.__module__ = __name__
    return {cls.__name__: cls for cls in (SafeNotebookExporter, RebuildFromTrusted, GradeWithKit,
                                           SaveKitGrades, FeedbackWithoutHiddenTests)}


_FROZEN = []


def _freeze_heap():
    """Move nbgrader's long-lived objects out of the garbage collector's sight, once.

    The hidden suites run under pytest, which calls gc.collect() several times per run;
    in nbgrader's process (SQLAlchemy, nbconvert, traitlets ...) each full collection
    walks hundreds of thousands of objects that live as long as the process anyway.
    """
    if not _FROZEN:
        import gc
        gc.collect()
        gc.freeze()
        _FROZEN.append(True)


def _plain(node):
    """A NotebookNode as plain dicts and lists."""
    import json
    return json.loads(json.dumps(node))


_LAZY = ("SafeNotebookExporter", "RebuildFromTrusted", "GradeWithKit", "SaveKitGrades",
         "FeedbackWithoutHiddenTests")
_CACHE = {}


def __getattr__(name):
    if name in _LAZY:
        if not _CACHE:
            _CACHE.update(_classes())
        return _CACHE[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
