"""Instructors: formgrader's manual grading in the browser, on the autograded sample class.

nbgrader 0.9's formgrader is a Jupyter server extension: the course directory is served
with ``jupyter lab`` and graded at /formgrader.  The grader must see each written answer
next to its rubric; a score and a comment typed into the page must reach the gradebook
and ``nbgrader export`` and survive ``nbgrader autograde --force``; autograded cells show
the kit's check statuses; and no page shows a line of the hidden tests.
"""
import csv
import json
import os
import re
import subprocess
import sys
import time

import pytest

from autograder import demo
from autograder.suites import ASSIGNMENTS, suite_path
from tests.instructor.helpers import KIT_ROOT, leaks_in, probe_names

from .helpers import JupyterServer, lab_settings, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# (assignment, the task cell holding the rubric, the answer cell graded by hand)
WRITTEN = [("ex28_2_dual_numbers", "task_cost_comparison", "answer_cost_comparison"),
           ("ex28_4_checkpointing", "task_essay", "answer_essay"),
           ("ex28_5_deeper_mlp", "task_depth_on_xor", "answer_depth_on_xor"),
           ("ex28_6_op_counting", "task_cheap_gradient", "answer_cheap_gradient")]
STUDENT = "full_marks"


def source_cells(assignment):
    with open(os.path.join(KIT_ROOT, "source", assignment, f"{assignment}.ipynb"), encoding="utf-8") as f:
        return json.load(f)["cells"]


def flat(text):
    return re.sub(r"\s+", " ", text).strip()


def rubric_opening(assignment, task):
    """The first sentence of the rubric under BEGIN MARK SCHEME, as the rendered page shows it."""
    cell = next(c for c in source_cells(assignment) if c["metadata"].get("nbgrader", {}).get("grade_id") == task)
    after = "".join(cell["source"]).split("BEGIN MARK SCHEME", 1)[1]
    first = next(line for line in after.splitlines()[1:] if line.strip())
    return flat(re.sub(r"[*`_]", "", first))[:60]


def hidden_lines():
    """Lines only the grader may know: hidden test regions of the source notebooks and the suites.

    Short or generic lines (also found in a release notebook or a sample submission) are
    left out: they could appear in a page for an honest reason.
    """
    public = set()
    for folder in (os.path.join(KIT_ROOT, "release"), os.path.join(KIT_ROOT, "examples", "submitted")):
        for dirpath, _, files in os.walk(folder):
            for name in files:
                if name.endswith(".ipynb"):
                    with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as f:
                        try:
                            cells = json.load(f).get("cells", [])
                        except ValueError:          # the sample class holds broken notebooks
                            continue
                    for cell in cells:
                        public.update(flat(line) for line in "".join(cell.get("source", "")).splitlines())
    secret = set()
    for assignment in ASSIGNMENTS:
        for cell in source_cells(assignment):
            text = "".join(cell["source"])
            for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, re.S):
                secret.update(flat(line) for line in region.splitlines())
        with open(suite_path(assignment), encoding="utf-8") as f:
            secret.update(flat(line) for line in f.read().splitlines())
    return sorted(line for line in secret - public if len(line) >= 30)


@pytest.fixture(scope="module")
def formgrader(graded_course, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formgrader")
    server = JupyterServer(graded_course, lab_settings(folder / "settings"), folder / "jupyter.log")
    yield graded_course, server
    server.stop()


def submission_id(course, assignment, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        return gb.find_submission_notebook(assignment, assignment, student).id


def open_page(page, server, path, shot):
    if not page.context.cookies():
        server.log_in(page)
    page.goto(server.page_url(path))
    page.wait_for_load_state("networkidle")
    shoot(page, shot)
    return page


def nbgrader(course, *args):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True,
                          text=True, env=demo.nbgrader_env(), timeout=900)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    return proc


def manual_grade(course, assignment, student, cell):
    """(manual score, manual comment) of ``cell`` in the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        grade = gb.find_grade(cell, assignment, assignment, student)
        comment = gb.find_comment(cell, assignment, assignment, student)
        return grade.manual_score, comment.manual_comment


def exported_score(course, assignment, student):
    nbgrader(course, "export", "--to", "grades.csv")
    with open(os.path.join(course, "grades.csv"), newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == assignment and r["student_id"] == student]
    assert len(rows) == 1, rows
    return float(rows[0]["score"])


@pytest.mark.parametrize("assignment,task,answer", WRITTEN)
def test_the_grader_sees_the_rubric_beside_the_answer(page, formgrader, assignment, task, answer):
    course, server = formgrader
    sub = submission_id(course, assignment, STUDENT)
    open_page(page, server, f"formgrader/submissions/{sub}", f"formgrader-{assignment}-{STUDENT}")
    opening = rubric_opening(assignment, task)
    # The question is a read-only cell carrying no points: its rubric is shown, with no score
    # box of its own, right before the answer's panel, which has the score box.
    assert page.locator(f"input.score#{task}").count() == 0, f"{assignment}: {task} has a score box"
    answer_box = page.locator(f"input.score#{answer}")
    assert answer_box.count() == 1 and answer_box.is_editable(), f"{assignment}: no score box for {answer}"
    assert page.locator(f"textarea.comment#{answer}-comment").count() == 1
    before = flat(page.evaluate(
        """(answer) => {
            const panel = document.querySelector(`input.score#${answer}`).closest(".nbgrader_cell");
            const range = document.createRange();
            range.setStart(document.body, 0);
            range.setEndBefore(panel);
            return range.toString();
        }""", answer))
    rubric = before.rsplit("BEGIN MARK SCHEME", 1)
    assert len(rubric) == 2 and opening in rubric[1], (
        f"{assignment}: the rubric starting {opening!r} should come right before the {answer} "
        f"panel; before it the page shows ...{before[-600:]!r}")


def test_a_manual_score_and_comment_reach_the_gradebook_and_export_and_survive_a_regrade(page, formgrader):
    course, server = formgrader
    assignment, answer = "ex28_4_checkpointing", "answer_essay"
    before = exported_score(course, assignment, STUDENT)
    sub = submission_id(course, assignment, STUDENT)
    open_page(page, server, f"formgrader/submissions/{sub}", "formgrader-essay-before")
    comment = "Stored and recomputed are right; the memory bound needs the sqrt(n) argument."
    score_box = page.locator(f"input.score#{answer}")
    assert "needs_manual_grade" in score_box.get_attribute("class"), "the essay is not flagged for a person"
    score_box.fill("6.5")
    score_box.press("Tab")                 # formgrader saves a box when it changes
    comment_box = page.locator(f"textarea.comment#{answer}-comment")
    comment_box.fill(comment)
    comment_box.press("Tab")
    deadline = time.monotonic() + 20
    while manual_grade(course, assignment, STUDENT, answer) != (6.5, comment) and time.monotonic() < deadline:
        time.sleep(0.3)
    shoot(page, "formgrader-essay-graded")
    assert manual_grade(course, assignment, STUDENT, answer) == (6.5, comment), \
        "the score and comment typed into formgrader are not in the gradebook"
    after = exported_score(course, assignment, STUDENT)
    assert after == pytest.approx(before + 6.5), f"nbgrader export: {after}, expected {before} + 6.5"

    open_page(page, server, f"formgrader/gradebook/{assignment}/{assignment}", "formgrader-essay-list")
    assert f"{after:g} / 14" in page.inner_text("body"), "the submission list does not show the new score"

    nbgrader(course, "autograde", assignment, "--student", STUDENT, "--force")
    assert manual_grade(course, assignment, STUDENT, answer) == (6.5, comment), \
        "nbgrader autograde --force lost the manual score or comment"
    assert exported_score(course, assignment, STUDENT) == pytest.approx(after)
    sub = submission_id(course, assignment, STUDENT)
    open_page(page, server, f"formgrader/submissions/{sub}", "formgrader-essay-after-regrade")
    assert page.locator(f"input.score#{answer}").input_value() == "6.5"
    assert page.locator(f"textarea.comment#{answer}-comment").input_value() == comment


def test_autograded_cells_show_the_kits_check_statuses(page, formgrader):
    course, server = formgrader
    sub = submission_id(course, "ex28_2_dual_numbers", "partly_wrong")
    open_page(page, server, f"formgrader/submissions/{sub}", "formgrader-checks-partly_wrong")
    # a cell: the grading panel with the test's code, then its outputs (the kit's checks)
    cell = page.locator(".cell", has=page.locator("input.score#test_partials_of_f"))
    text = cell.inner_text()
    assert "[failed]" in text and "partials_of_f: 0 / 2 points" in text, text[-2000:]
    # formgrader shows an automatic score as the score box's placeholder
    assert page.locator("input.score#test_partials_of_f").get_attribute("placeholder") == "0"
    passed = page.locator(".cell", has=page.locator("input.score#test_dual_functions"))
    assert "[passed]" in passed.inner_text()
    assert page.locator("input.score#test_dual_functions").get_attribute("placeholder") == "2"


def test_no_page_shows_hidden_test_text(page, formgrader):
    course, server = formgrader
    secret, probes = hidden_lines(), probe_names()
    assert len(secret) > 100, "too few hidden lines to look for: the test would prove nothing"
    pages = ["formgrader/manage_assignments", "formgrader/gradebook", "formgrader/manage_students"]
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        for assignment in ASSIGNMENTS:
            pages += [f"formgrader/gradebook/{assignment}", f"formgrader/gradebook/{assignment}/{assignment}",
                      f"formgrader/manage_submissions/{assignment}"]
            pages += [f"formgrader/submissions/{s.id}" for s in gb.notebook_submissions(assignment, assignment)]
    for path in pages:
        open_page(page, server, path, "formgrader-" + path.replace("formgrader/", "").replace("/", "-"))
        html, text = page.content(), flat(page.inner_text("body"))
        # the rubrics (BEGIN MARK SCHEME) are meant for the grader: only hidden tests count
        found = [line for line in secret if line in text] + [
            leak for leak in leaks_in(html, probes) if leak != "BEGIN MARK SCHEME"]
        assert found == [], f"{path} shows hidden test text: {found[:5]}"
