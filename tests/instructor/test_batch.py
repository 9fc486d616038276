"""grade-all: finding submissions, isolating failures, the files it writes."""
import csv
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from autograder import batch

from .helpers import KIT_ROOT, copy_class, example_path


def test_discover_understands_the_three_layouts(tmp_path):
    # nbgrader's submitted/<student>/<assignment>/<assignment>.ipynb inside a course directory
    copy_class(tmp_path / "course" / "submitted", students={"full_marks", "broken"},
               assignments=["ex28_1_sigmoid", "ex28_3_manual_backward"])
    (tmp_path / "course" / "submitted" / "broken" / "ex28_1_sigmoid" / ".ipynb_checkpoints").mkdir()
    found = batch.discover(tmp_path / "course")
    assert [(s.student, s.assignment) for s in found] == [
        ("broken", "ex28_1_sigmoid"), ("broken", "ex28_3_manual_backward"),
        ("full_marks", "ex28_1_sigmoid"), ("full_marks", "ex28_3_manual_backward")]
    assert [s.student for s in batch.discover(tmp_path / "course", "ex28_3_manual_backward")] == [
        "broken", "full_marks"]
    # <student>/<assignment>.ipynb
    (tmp_path / "two" / "ann").mkdir(parents=True)
    shutil.copy(example_path("full_marks", "ex28_1_sigmoid"), tmp_path / "two" / "ann" / "ex28_1_sigmoid.ipynb")
    assert [(s.student, s.assignment) for s in batch.discover(tmp_path / "two")] == [
        ("ann", "ex28_1_sigmoid")]
    # a flat folder, with or without the assignment in the name
    flat = tmp_path / "flat"
    flat.mkdir()
    shutil.copy(example_path("full_marks", "ex28_1_sigmoid"), flat / "bob_ex28_1_sigmoid.ipynb")
    shutil.copy(example_path("full_marks", "ex28_1_sigmoid"), flat / "carl.ipynb")
    assert [(s.student, s.assignment) for s in batch.discover(flat)] == [
        ("bob", "ex28_1_sigmoid"), ("carl", None)]
    assert [(s.student, s.assignment) for s in batch.discover(flat, "ex28_1_sigmoid")] == [
        ("bob", "ex28_1_sigmoid"), ("carl", "ex28_1_sigmoid")]


# ---- work functions for the isolation tests (module level: they cross to worker processes) ----

def fake_work(path, assignment, student):
    """Stands in for grade_one: dies, hangs or raises by the student's name."""
    if student == "dies":
        os._exit(3)
    if student == "hangs":
        time.sleep(3600)
    if student == "raises":
        raise RuntimeError("a bug in the grader")
    return {"student": student, "assignment": assignment, "submission": path, "score": 1.0,
            "max_score": 1.0, "status": "graded", "message": "", "checks": [], "notes": [],
            "gradescope": {"score": 1.0, "tests": []}, "seconds": 0.0}


def test_a_dying_hanging_or_raising_worker_is_one_row_and_the_batch_goes_on():
    names = ["a", "dies", "b", "hangs", "c", "raises", "d"]
    subs = [batch.Submission(n, "ex28_1_sigmoid", f"/nowhere/{n}.ipynb") for n in names]
    started = time.monotonic()
    rows = batch.run_batch(subs, jobs=2, timeout=3, work=fake_work)
    assert time.monotonic() - started < 60
    by = {r["student"]: r for r in rows}
    assert [r["student"] for r in rows] == names            # one row each, in order
    for ok in "abcd":
        assert by[ok]["status"] == "graded" and by[ok]["score"] == 1.0
    assert by["dies"]["status"] == "grader error" and "worker died" in by["dies"]["message"]
    assert by["hangs"]["status"] == "grader error" and "more than 3 s" in by["hangs"]["message"]
    # raising is caught inside the worker by grade_one; a work function that raises still
    # becomes a row here
    assert by["raises"]["status"] == "grader error" and "a bug in the grader" in by["raises"]["message"]
    assert all(r["max_score"] == 12 for r in (by["dies"], by["hangs"], by["raises"]))


def test_grade_one_never_raises(tmp_path):
    row = batch.grade_one(str(tmp_path / "missing.ipynb"), "ex28_1_sigmoid", "x")
    assert row["status"] == "unreadable notebook" and row["score"] == 0
    row = batch.grade_one(example_path("full_marks", "ex28_1_sigmoid"), "no_such_assignment", "x")
    assert row["status"] == "grader error" and "unknown assignment" in row["message"]


@pytest.mark.slow
def test_grade_all_command_writes_csv_results_and_summary(tmp_path):
    """The CLI end to end on a small class (one unreadable, one timed-out cell included)."""
    copy_class(tmp_path / "in", students={"full_marks", "broken", "partly_wrong"},
               assignments=["ex28_1_sigmoid", "ex28_2_dual_numbers"])
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(tmp_path / "in"),
                           "--jobs", "2", "--out", str(out), "--report"],
                          capture_output=True, text=True, cwd=KIT_ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    with open(out / "scores.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == batch.CSV_COLUMNS
    assert len(rows) == 6
    got = {(r["student"], r["assignment"]): (float(r["score"]), r["status"]) for r in rows}
    assert got[("full_marks", "ex28_1_sigmoid")] == (12.0, "graded")
    assert got[("broken", "ex28_2_dual_numbers")] == (0.0, "unreadable notebook")
    for r in rows:
        data = json.loads((out / "results" / r["student"] / f"{r['assignment']}.json").read_text())
        assert data["score"] == pytest.approx(float(r["score"]), abs=1e-6)
        assert {"name", "score", "max_score", "status", "output"} <= set(data["tests"][0])
    assert "needs a look" in proc.stdout and "broken/ex28_2_dual_numbers: unreadable notebook" in proc.stdout
    assert (out / "report.html").exists() and "data:image/png;base64," in (out / "report.html").read_text()
    assert "grading" in proc.stderr                           # the progress bar
