"""End to end with the real nbgrader commands in a temporary course directory.

The sample class (examples/submitted: 4 students x 6 assignments, and a fifth who handed in
two of them, copied from another under other names: 26 submissions) holds a
duplicated test cell, a deleted one, edited ones, a re-typed one, a forged grade cell, a
malformed and an empty notebook, infinite loops, os._exit and sys.exit.  One
``nbgrader autograde`` must grade all of them with the kit's configuration, give exactly
the designed scores and statuses, leave no autograded cell waiting for a person, and
write feedback that holds no hidden-test text; ``grade-all`` must agree with it.
"""
import html
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograder import batch, demo
from autograder.suites import ASSIGNMENTS

from .helpers import copy_class, expected, leaks_in, probe_names

pytestmark = pytest.mark.slow


def nbgrader(course, *args):
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True,
                          text=True, env=demo.nbgrader_env(), timeout=900)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course, logs = str(root / "course"), str(root / "logs")
    os.makedirs(logs)
    demo.setup_course(course, logs, release=False)
    assert demo.collect_examples(course) == len(expected()) == 26
    runs = {"autograde": nbgrader(course, "autograde", "*", "--force")}
    runs["generate_feedback"] = nbgrader(course, "generate_feedback", "*", "--force")
    runs["export"] = nbgrader(course, "export", "--to", "grades.csv")
    return course, runs


def test_every_command_completed(course):
    course, runs = course
    for name, proc in runs.items():
        assert proc.returncode == 0, f"nbgrader {name} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    for (student, assignment) in expected():
        assert os.path.exists(os.path.join(course, "autograded", student, assignment, f"{assignment}.ipynb"))
        assert os.path.exists(os.path.join(course, "feedback", student, assignment, f"{assignment}.html"))
    log = runs["autograde"].stdout + runs["autograde"].stderr
    assert "ERROR" not in log and "exists multiple times" not in log


def test_scores_and_statuses_are_exactly_as_designed(course):
    course, _ = course
    got = demo.kit_statuses(course)
    want = expected()
    assert set(got) == set(want)
    wrong = {k: (got[k], want[k]) for k in want
             if abs(got[k][0] - want[k][0]) > 1e-6 or got[k][1] != want[k][1]}
    assert not wrong, f"(got, expected): {wrong}"


def test_the_gradebook_and_the_export_hold_the_same_scores(course):
    course, _ = course
    from nbgrader.api import Gradebook
    want = expected()
    exported = demo.read_export(os.path.join(course, "grades.csv"))
    assert len(exported) == len({s for s, _ in want}) * len(ASSIGNMENTS) == 30
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db")) as gb:
        for (student, assignment), (score, _) in want.items():
            sub = gb.find_submission(assignment, student)
            assert sub.code_score == pytest.approx(score, abs=1e-5), (student, assignment)
            # no written answer is graded yet: the export's score is the automatic one
            assert exported[(student, assignment)][0] == pytest.approx(score, abs=1e-5)
            assert exported[(student, assignment)][1] == sub.max_score


def test_no_autograded_cell_waits_for_a_manual_grade(course):
    course, _ = course
    from nbgrader.api import Gradebook
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db")) as gb:
        pending = set()
        for assignment in ASSIGNMENTS:
            for sub in gb.assignment_submissions(assignment):
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        name = grade.cell.name
                        if name.startswith("test_"):
                            assert not grade.needs_manual_grade, (sub.student_id, assignment, name)
                            assert grade.auto_score is not None
                        elif grade.needs_manual_grade:
                            pending.add((sub.student_id, assignment, name))
    # exactly the essays someone wrote (see examples/make_examples.py); unanswered ones and
    # unreadable notebooks' get 0 without a person
    essays = {"ex28_2_dual_numbers": "answer_cost_comparison", "ex28_4_checkpointing": "answer_essay",
              "ex28_5_deeper_mlp": "answer_depth_on_xor", "ex28_6_op_counting": "answer_cheap_gradient"}
    answered = [(s, a) for s in ("full_marks", "partly_wrong") for a in essays] + [
        ("hostile", "ex28_2_dual_numbers"), ("hostile", "ex28_4_checkpointing")]
    assert pending == {(s, a, essays[a]) for s, a in answered}


def test_formgrader_lists_only_the_cells_that_carry_points(course):
    """Every gradebook item of every submitted notebook is a cell with points (a test or a
    written answer): the questions, which hold the rubrics, are no "/ 0" items."""
    course, _ = course
    from nbgrader.api import Gradebook
    wrong = {}
    with Gradebook("sqlite:///" + os.path.join(course, "gradebook.db")) as gb:
        for assignment in ASSIGNMENTS:
            with open(os.path.join(course, "source", assignment, f"{assignment}.ipynb"),
                      encoding="utf-8") as f:
                with_points = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
                               for c in json.load(f)["cells"]
                               if "points" in c["metadata"].get("nbgrader", {})}
            assert with_points and all(p > 0 for p in with_points.values()), (assignment, with_points)
            for sub in gb.assignment_submissions(assignment):
                for nb in sub.notebooks:
                    grades = {g.cell.name: g.max_score for g in nb.grades}
                    if grades != with_points:
                        wrong[(sub.student_id, assignment)] = (grades, with_points)
    assert not wrong, f"(gradebook items, cells with points): {wrong}"


def rubric_labels(course, assignment):
    """The criteria of the mark schemes in ``assignment``'s source notebook, as a reader sees
    them once Markdown is rendered (``**Memory (1 point).**`` -> ``Memory (1 point)``)."""
    with open(os.path.join(course, "source", assignment, f"{assignment}.ipynb"), encoding="utf-8") as f:
        text = "\n".join("".join(c["source"]) for c in json.load(f)["cells"])
    schemes = re.findall(r"### BEGIN MARK SCHEME\n(.*?)### END MARK SCHEME", text, flags=re.S)
    return [label for scheme in schemes
            for label in re.findall(r"\*\*([^*\n]+\(\d points?\))\.?\*\*", scheme)]


def test_graders_see_every_rubric_and_feedback_shows_none(course):
    """The graded copy (what formgrader shows) has each question's mark scheme in its
    read-only question cell; the feedback made from it holds none of its criteria."""
    course, _ = course
    questions = {"ex28_2_dual_numbers": "task_cost_comparison", "ex28_4_checkpointing": "task_essay",
                 "ex28_5_deeper_mlp": "task_depth_on_xor", "ex28_6_op_counting": "task_cheap_gradient"}
    for assignment in ASSIGNMENTS:
        labels = rubric_labels(course, assignment)
        assert bool(labels) == (assignment in questions), (assignment, labels)
        for student in ("full_marks", "hostile"):
            folder = os.path.join(course, "autograded", student, assignment)
            if assignment in questions:
                with open(os.path.join(folder, f"{assignment}.ipynb"), encoding="utf-8") as f:
                    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c
                             for c in json.load(f)["cells"]}
                question = cells[questions[assignment]]
                assert question["cell_type"] == "markdown" and question["metadata"]["nbgrader"]["locked"]
                missing = [label for label in labels if label not in "".join(question["source"])]
                assert not missing, (student, assignment, missing)
            path = os.path.join(course, "feedback", student, assignment, f"{assignment}.html")
            with open(path, encoding="utf-8") as f:
                feedback = html.unescape(f.read())
            shown = [label for label in labels if label in feedback]
            assert shown == [] and "MARK SCHEME" not in feedback, (path, shown)


def test_feedback_shows_checks_and_never_hidden_tests(course):
    course, _ = course
    probes = probe_names()
    for (student, assignment) in expected():
        path = os.path.join(course, "feedback", student, assignment, f"{assignment}.html")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert leaks_in(text, probes) == [], path
    with open(os.path.join(course, "feedback", "partly_wrong", "ex28_2_dual_numbers",
                           "ex28_2_dual_numbers.html"), encoding="utf-8") as f:
        text = f.read()
    assert "[failed]" in text and "[passed]" in text and "partials_of_f: 0 / 2 points" in text
    with open(os.path.join(course, "feedback", "broken", "ex28_2_dual_numbers",
                           "ex28_2_dual_numbers.html"), encoding="utf-8") as f:
        assert "not valid JSON" in f.read()


def test_formgrader_sees_the_essay_rubric_and_the_students_answer(course):
    course, _ = course
    with open(os.path.join(course, "autograded", "full_marks", "ex28_4_checkpointing",
                           "ex28_4_checkpointing.ipynb"), encoding="utf-8") as f:
        cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"])
                 for c in json.load(f)["cells"]}
    assert "BEGIN MARK SCHEME" in cells["task_essay"]            # the rubric, for the grader
    assert "checkpoint" in cells["answer_essay"] and "YOUR ANSWER HERE" not in cells["answer_essay"]


def test_autograded_notebooks_hold_the_release_tests_only(course):
    course, _ = course
    probes = probe_names()
    for (student, assignment) in expected():
        with open(os.path.join(course, "autograded", student, assignment, f"{assignment}.ipynb"),
                  encoding="utf-8") as f:
            text = f.read()
        assert [m for m in leaks_in(text, probes) if "MARK SCHEME" not in m] == []


def test_grade_all_gives_the_same_scores_as_nbgrader(course, tmp_path):
    course, _ = course
    rows = batch.grade_all(os.path.join(course, "submitted"), jobs=2, out=str(tmp_path / "out"),
                           progress=False)
    assert len(rows) == len(expected())
    mine = {(r["student"], r["assignment"]): (r["score"], batch.row_status(r)[0]) for r in rows}
    theirs = demo.kit_statuses(course)
    assert set(mine) == set(theirs)
    for key in theirs:
        assert mine[key][0] == pytest.approx(theirs[key][0], abs=1e-6), key
        assert mine[key][1] == theirs[key][1], key


def test_the_instructor_report_reads_the_gradebook(course, tmp_path):
    course, _ = course
    from autograder.instructor_report import load_rows, write_report
    rows, description = load_rows(course)
    # every student x every assignment: copier's four missing ones are "no submission"
    assert len(rows) == 30 and "gradebook" in description
    assert sum(r["status"] == "no submission" for r in rows) == 4
    html = open(write_report(course, str(tmp_path / "report.html"))).read()
    # the similarity section, from the course's submitted/: the copy is among the flagged
    for assignment in ("ex28_1_sigmoid", "ex28_3_manual_backward"):
        assert f"<h3>{assignment}: copier and partly_wrong, similarity 1.00</h3>" in html
    assert html.count("data:image/png;base64,") >= 7         # distributions + one per assignment
    for student, assignment, status in [("broken", "ex28_2_dual_numbers", "unreadable notebook"),
                                        ("hostile", "ex28_1_sigmoid", "timed out"),
                                        ("hostile", "ex28_3_manual_backward", "crashed")]:
        assert f"<td>{student}</td><td>{assignment}</td><td><span class=\"pill\"" in html.replace("'", '"')
        assert status in html


def test_force_regrade_recomputes_from_scratch(course):
    course, _ = course
    from nbgrader.api import Gradebook
    db = "sqlite:///" + os.path.join(course, "gradebook.db")
    with Gradebook(db) as gb:
        grade = gb.find_grade("test_sigmoid_value", "ex28_1_sigmoid", "ex28_1_sigmoid", "full_marks")
        grade.manual_score = 1.0                      # an old manual override
        gb.db.commit()
    target = os.path.join(course, "submitted", "full_marks", "ex28_1_sigmoid", "ex28_1_sigmoid.ipynb")
    os.chmod(target, 0o644)
    shutil.copy(os.path.join(course, "submitted", "broken", "ex28_1_sigmoid", "ex28_1_sigmoid.ipynb"),
                target)                                # a new submission from the same student
    proc = nbgrader(course, "autograde", "ex28_1_sigmoid", "--student", "full_marks", "--force")
    assert proc.returncode == 0, proc.stderr[-2000:]
    with Gradebook(db) as gb:
        sub = gb.find_submission("ex28_1_sigmoid", "full_marks")
        assert sub.code_score == pytest.approx(expected()[("broken", "ex28_1_sigmoid")][0])
        grade = gb.find_grade("test_sigmoid_value", "ex28_1_sigmoid", "ex28_1_sigmoid", "full_marks")
        assert grade.manual_score is None and not grade.needs_manual_grade


def test_a_submission_tree_with_a_stray_notebook_is_still_graded(tmp_path):
    """A second notebook that nbgrader does not know is skipped; the batch goes on."""
    course, logs = str(tmp_path / "course"), str(tmp_path / "logs")
    os.makedirs(logs)
    demo.setup_course(course, logs, assignments=("ex28_3_manual_backward",), release=False)
    copy_class(os.path.join(course, "submitted"), students={"full_marks", "partly_wrong"},
               assignments=["ex28_3_manual_backward"])
    stray = os.path.join(course, "submitted", "full_marks", "ex28_3_manual_backward", "scratch.ipynb")
    with open(stray, "w") as f:
        json.dump({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, f)
    proc = nbgrader(course, "autograde", "ex28_3_manual_backward")
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = demo.kit_statuses(course)
    assert got[("full_marks", "ex28_3_manual_backward")] == (12.0, "graded")
    assert got[("partly_wrong", "ex28_3_manual_backward")][0] == pytest.approx(
        expected()[("partly_wrong", "ex28_3_manual_backward")][0])
