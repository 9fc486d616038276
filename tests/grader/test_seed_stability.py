"""A verdict must not hang on the inputs a seed draws.

Grading draws fresh inputs every time, so a check that a wrong submission fails only
for some draws gives two students with the same mistake different grades, and makes a
regrade change a score.  So every mistake must fail the same checks whatever the draw.
Here the sample class's (`examples`) full-marks, partly-wrong, broken and copier notebooks must
get their designed scores under every seed, graded in process; `test_corpus` asks the
same of every submission of the grader's corpus.  (The hostile notebooks need the
sandbox; `tests.instructor` grades them.)

SEED_ROUNDS sets how many seeds each notebook is graded with (default 12).
"""
import os

import pytest

from autograder.grade import grade_notebook
from autograder.student import InProcessStudent
from examples.make_examples import EXPECTED, OUT

ROUNDS = int(os.environ.get("SEED_ROUNDS", "12"))
SAMPLES = sorted(key for key in EXPECTED
                 if key[0] in ("full_marks", "partly_wrong", "broken", "copier"))


@pytest.mark.parametrize("student,assignment", SAMPLES, ids=["/".join(k) for k in SAMPLES])
def test_designed_score_under_every_seed(student, assignment):
    score, status = EXPECTED[(student, assignment)]
    path = OUT / student / assignment / f"{assignment}.ipynb"
    wrong = {}
    for seed in range(1, ROUNDS + 1):
        report = grade_notebook(path, assignment, seed=seed,
                                student_factory=InProcessStudent.from_cells)
        if report.status == "unreadable notebook":
            assert (report.score, report.status) == (score, status)
            return                                   # nothing was drawn: one try says it all
        if abs(report.score - score) > 1e-6:
            lost = [f"{c.group}/{c.name}: {c.message[:200]}" for c in report.checks if not c.passed]
            wrong[seed] = (report.score, lost)
    assert not wrong, (f"designed score {score:.4f}; these seeds gave another:\n" + "\n".join(
        f"seed {seed}: {got:.4f}, failed: " + "; ".join(lost) for seed, (got, lost) in wrong.items()))

