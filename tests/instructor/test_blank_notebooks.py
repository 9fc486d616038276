"""A notebook handed in as it was handed out scores zero, in every path that grades it.

Each of the six release notebooks, unmodified (read from ``release/`` when the test runs,
so a rebuilt notebook is checked as it is), is graded by the CI command, ``grade-all``,
``nbgrader autograde`` with the kit's configuration and the Gradescope bundle.  Every path
must give exactly 0 points, and every check must say what is missing (the stub still
raises NotImplementedError, or the name is not defined) rather than "failed" or "passed":
code the notebook gives must never earn points on its own.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from autograder import demo
from autograder.suites import ASSIGNMENTS

from .helpers import KIT_ROOT
from .test_beyond import run_bundle

pytestmark = pytest.mark.slow

# the statuses that say what is missing; anything else means given code was judged
MISSING = ("not implemented", "missing function")
STUDENT = "blank"


def release_notebook(assignment):
    return os.path.join(KIT_ROOT, "release", assignment, f"{assignment}.ipynb")


def kit(*args, cwd=KIT_ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900, env=demo.nbgrader_env())


def status_of(test):
    """The kit's status of one Gradescope-format test: the start of its output."""
    return test["output"].split(":", 1)[0]


def assert_blank(where, score, checks):
    """``score`` is 0 and every (name, status, points, message) check says what is missing."""
    shown = "\n".join(f"  {name}: {status} ({points:g} points) {message[:160]!r}"
                      for name, status, points, message in checks)
    assert checks, f"{where}: no checks were reported"
    assert score == 0, f"{where}: an unmodified release notebook scored {score}, expected 0:\n{shown}"
    wrong = [c for c in checks if c[1] not in MISSING or c[2] != 0]
    assert not wrong, (f"{where}: every check should have status {' or '.join(MISSING)} and 0 "
                       f"points; these do not:\n{shown}")


def gradescope_checks(results):
    return [(t["name"], status_of(t), t["score"], t["output"]) for t in results["tests"]]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_ci_command_gives_zero(assignment, tmp_path):
    submission = tmp_path / f"{assignment}.ipynb"
    shutil.copy(release_notebook(assignment), submission)
    out = tmp_path / "results.json"
    proc = kit("grade", str(submission), "--results", str(out), "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    assert_blank(f"python -m autograder grade {assignment}", results["score"],
                 gradescope_checks(results))


def test_grade_all_gives_zero(tmp_path):
    for assignment in ASSIGNMENTS:
        folder = tmp_path / "submitted" / STUDENT / assignment
        folder.mkdir(parents=True)
        shutil.copy(release_notebook(assignment), folder / f"{assignment}.ipynb")
    out = tmp_path / "grades"
    proc = kit("grade-all", str(tmp_path / "submitted"), "--out", str(out), "--quiet", "--jobs", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "scores.csv", newline="", encoding="utf-8") as f:
        rows = {r["assignment"]: r for r in csv.DictReader(f)}
    assert sorted(rows) == sorted(ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        results = json.loads((out / "results" / STUDENT / f"{assignment}.json").read_text())
        assert float(rows[assignment]["score"]) == results["score"]
        assert_blank(f"grade-all {assignment}", float(rows[assignment]["score"]),
                     gradescope_checks(results))


def test_nbgrader_autograde_gives_zero(tmp_path):
    from nbgrader.api import Gradebook

    course, logs = str(tmp_path / "course"), str(tmp_path / "logs")
    os.makedirs(logs)
    demo.setup_course(course, logs, release=False)
    for assignment in ASSIGNMENTS:
        folder = os.path.join(course, "submitted", STUDENT, assignment)
        os.makedirs(folder)
        shutil.copy(release_notebook(assignment), os.path.join(folder, f"{assignment}.ipynb"))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "*", "--force"], cwd=course,
                          capture_output=True, text=True, env=demo.nbgrader_env(), timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        scores = {a: gb.find_submission(a, STUDENT).score for a in ASSIGNMENTS}
    for assignment in ASSIGNMENTS:
        path = os.path.join(course, "autograded", STUDENT, assignment, f"{assignment}.ipynb")
        with open(path, encoding="utf-8") as f:
            report = json.load(f)["metadata"]["kit"]["report"]
        checks = [(f"{c['group']}: {c['title']}", c["status"], c["score"], c["message"])
                  for c in report["checks"]]
        assert_blank(f"nbgrader autograde {assignment} (the kit's report)", report["score"], checks)
        assert scores[assignment] == 0, (f"nbgrader autograde {assignment}: the gradebook holds "
                                         f"{scores[assignment]}, expected 0")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_gradescope_bundle_gives_zero(assignment, tmp_path):
    bundle = tmp_path / f"{assignment}.zip"
    proc = kit("gradescope", assignment, "-o", str(bundle))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc, results = run_bundle(bundle, tmp_path / "autograder", release_notebook(assignment))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_blank(f"the Gradescope bundle of {assignment}", results["score"], gradescope_checks(results))
