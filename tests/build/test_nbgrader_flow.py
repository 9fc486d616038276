"""Plain nbgrader on the built notebooks: what the cells rely on (slow).

One assignment goes through `generate_assignment` (with the gradebook), `autograde` of a
correct submission and `generate_feedback`, in a course folder of its own, with the
repository's feedback settings.  It checks that

* the plain `nbgrader generate_assignment` command reproduces the committed release;
* the gradebook holds exactly the cells that carry points (formgrader shows no "/ 0" item);
* the graded copy has the mark scheme back in the question's read-only cell (what a grader
  sees in formgrader), and the manual answer waits for a grader;
* the feedback shows neither the mark scheme nor the hidden tests.
"""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from assignments.build import ROOT

from .conftest import filled, grade_id, read, release_path, source_path

pytestmark = pytest.mark.slow

ASSIGNMENT = "ex28_2_dual_numbers"


def nbgrader(course, *args):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = 'autodiff-ch28'\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
        f"c.ClearMarkScheme.enforce_metadata = {config.ClearMarkScheme.enforce_metadata!r}\n"
        f"c.GenerateFeedback.preprocessors = {list(config.GenerateFeedback.preprocessors)!r}\n")
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    (source / f"{ASSIGNMENT}.ipynb").write_bytes(source_path(ASSIGNMENT).read_bytes())
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    submitted = course / "submitted" / "alice" / ASSIGNMENT
    submitted.mkdir(parents=True)
    nbformat.write(filled(read(release_path(ASSIGNMENT)), read(source_path(ASSIGNMENT))),
                   str(submitted / f"{ASSIGNMENT}.ipynb"))
    nbgrader(course, "autograde", ASSIGNMENT)
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    return course


def test_plain_generate_assignment_reproduces_the_release(course):
    made = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert made.read_bytes() == release_path(ASSIGNMENT).read_bytes()


def test_the_gradebook_holds_only_cells_with_points(course):
    from nbgrader.api import Gradebook

    source = read(source_path(ASSIGNMENT))
    with_points = {grade_id(c): c.metadata["nbgrader"]["points"] for c in source.cells
                   if "points" in c.metadata.get("nbgrader", {})}
    assert "answer_cost_comparison" in with_points and "task_cost_comparison" not in with_points
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "alice")
        grades = {grade.cell.name: grade.max_score for grade in notebook.grades}
    assert grades == with_points, f"gradebook {grades}, cells with points {with_points}"


def test_graders_see_the_mark_scheme(course):
    from nbgrader.api import Gradebook

    graded = read(course / "autograded" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    task = next(c for c in graded.cells if grade_id(c) == "task_cost_comparison")
    assert "### BEGIN MARK SCHEME" in task.source and "Memory (1 point)" in task.source
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, "alice")
        assert submission.max_score == 15
        assert submission.needs_manual_grade
        answer = gradebook.find_grade("answer_cost_comparison", ASSIGNMENT, ASSIGNMENT, "alice")
        assert answer.auto_score is None and answer.needs_manual_grade


def test_feedback_hides_mark_scheme_and_hidden_tests(course):
    html = (course / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Compare the cost of computing the gradient" in html
    for secret in ("MARK SCHEME", "Memory (1 point)", "HIDDEN TESTS", "run_hidden_checks"):
        assert secret not in html, secret
