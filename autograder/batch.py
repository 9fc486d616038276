"""Grade a whole class without nbgrader's database: ``python -m autograder grade-all DIR``.

Finds the submissions (nbgrader's ``submitted/<student>/<assignment>/<assignment>.ipynb``
layout, ``<student>/<assignment>.ipynb``, or a flat folder of notebooks), grades
them in parallel worker processes (each grade already runs the student's code in
the sandbox), and writes:

    OUT/scores.csv                 one row per submission, always
    OUT/results/<student>/<assignment>.json   Gradescope-format results
    OUT/reports.json               every report in full (for `instructor_report`)

A worker that raises, hangs past ``timeout`` or dies becomes a row with status
"grader error"; the batch goes on.  Nothing here decides a grade: that is
`grade.grade_notebook`, the same engine as every other path.
"""
import csv
import json
import os
import re
import statistics
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from .suites import ASSIGNMENTS

CSV_COLUMNS = ["student", "assignment", "score", "max", "status", "message", "seconds",
               "submission"]
PROBLEM_STATUSES = ("timed out", "crashed", "memory limit", "unreadable notebook", "grader error")
DEFAULT_TIMEOUT = 600.0


@dataclass
class Submission:
    student: str
    assignment: str | None
    path: str

    @property
    def key(self):
        return f"{self.student}/{self.assignment or '?'}"


def _assignment_in(name):
    for a in sorted(ASSIGNMENTS, key=len, reverse=True):
        if a in name:
            return a
    return None


def discover(root, assignment=None):
    """The submissions under ``root`` (a folder, or one notebook), sorted by student then assignment."""
    root = os.path.abspath(root)
    if os.path.isfile(root):
        stem = os.path.splitext(os.path.basename(root))[0]
        return [Submission(_student_from_stem(stem), assignment or _assignment_in(stem), root)]
    if os.path.isdir(os.path.join(root, "submitted")) and not any(
            f.endswith(".ipynb") for f in os.listdir(root)):
        root = os.path.join(root, "submitted")           # a course directory
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.endswith(".ipynb"):
                continue
            path = os.path.join(dirpath, name)
            parts = os.path.relpath(path, root).split(os.sep)
            stem = os.path.splitext(name)[0]
            if len(parts) >= 3 and parts[-2] in ASSIGNMENTS:        # student/assignment/nb.ipynb
                sub = Submission(parts[-3], parts[-2], path)
            elif len(parts) >= 2 and _assignment_in(stem):            # student/assignment.ipynb
                sub = Submission(parts[-2], _assignment_in(stem), path)
            elif len(parts) == 1:                                     # flat: alice_ex28_1_sigmoid.ipynb
                sub = Submission(_student_from_stem(stem), _assignment_in(stem), path)
            else:
                sub = Submission(parts[-2], None, path)
            if assignment is not None:
                if sub.assignment not in (None, assignment):
                    continue
                sub.assignment = assignment
            found.append(sub)
    found.sort(key=lambda s: (s.student, s.assignment or "", s.path))
    return found


def _student_from_stem(stem):
    a = _assignment_in(stem)
    if a and stem != a:
        stem = stem.replace(a, "")
    stem = re.sub(r"^[\W_]+|[\W_]+$", "", stem)
    return stem or "student"


# ---- the work done in a worker process ----

def _warm():
    """Import what grading needs, and find how sandboxes start here, once for every worker.

    Called in the parent before the workers are forked, so they inherit both.
    """
    from . import grade  # noqa: F401
    from . import run  # noqa: F401
    try:
        from . import sandbox
        sandbox.isolation()          # starts one sandbox to see what the machine allows
    except Exception:  # noqa: BLE001 - each worker will find out (and report) for itself
        pass
    # pytest runs gc.collect() several times per suite run: keep the grader's own
    # long-lived objects out of those collections (and shared copy-on-write with workers)
    import gc
    gc.collect()
    gc.freeze()


def grade_one(path, assignment, student):
    """Grade one notebook; returns a plain-data row (never raises)."""
    started = time.perf_counter()
    try:
        from .grade import grade_notebook
        report = grade_notebook(path, assignment)
        data = report.to_dict()
        data["gradescope"] = report.to_gradescope()
    except Exception as exc:  # noqa: BLE001 - a grader fault is one row, not a stopped batch
        data = grader_error_row(path, assignment, f"{type(exc).__name__}: {exc}")
    data["student"] = student
    data["submission"] = path
    data["seconds"] = round(time.perf_counter() - started, 3)
    return data


def grader_error_row(path, assignment, message):
    """The row of a submission the grader itself failed on (every check unchecked)."""
    from .grade import unchecked_report
    try:
        report = unchecked_report(path, assignment, "grader error", message)
    except Exception:  # noqa: BLE001 - e.g. the trusted notebooks are missing
        from .report import GradeReport
        report = GradeReport(str(path), assignment, "grader error", message)
    data = report.to_dict()
    data["gradescope"] = report.to_gradescope()
    return data


# ---- scheduling: a pool that survives crashing and hanging workers ----

def _kill(pool):
    for process in list(getattr(pool, "_processes", {}).values()):
        try:
            process.kill()
        except Exception:  # noqa: BLE001
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _new_pool(jobs):
    import multiprocessing
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method))


def run_batch(submissions, jobs=None, timeout=DEFAULT_TIMEOUT, on_done=None, on_tick=None,
              work=None):
    """Grade ``submissions`` in ``jobs`` worker processes; one row per submission, in order.

    Workers are forked from this process (so they start with the grader imported);
    no thread may be running here meanwhile (the progress bar refreshes from ``on_tick``).
    ``work(path, assignment, student)`` grades one submission (default `grade_one`).

    A worker that dies takes every task in flight down with it: those tasks become
    *suspects* and run again one at a time, so only the one that kills a worker when
    it runs alone is recorded as a grader error.  A task running past ``timeout`` is
    stopped (its pool is killed) and recorded; the others in flight run again.
    """
    work = work or grade_one
    jobs = max(1, jobs or os.cpu_count() or 1)
    _warm()  # forked workers inherit the imports
    rows = {}
    queue = deque(range(len(submissions)))
    suspects = deque()
    pool = _new_pool(jobs)
    running = {}                   # future -> [index, suspect?, first seen running]

    def finish(index, row):
        rows[index] = row
        if on_done:
            on_done(submissions[index], row)

    def fail(index, message, seconds=0.0):
        s = submissions[index]
        row = grader_error_row(s.path, s.assignment, message)
        finish(index, dict(row, student=s.student, submission=s.path, seconds=seconds))

    def submit(index, suspect):
        s = submissions[index]
        running[pool.submit(work, s.path, s.assignment, s.student)] = [index, suspect, None]

    try:
        while queue or suspects or running:
            if suspects:
                if not running:                      # a suspect runs alone
                    submit(suspects.popleft(), True)
            else:
                while queue and len(running) < jobs:     # each task in flight has a worker
                    submit(queue.popleft(), False)
            done, _ = wait(list(running), timeout=0.25, return_when=FIRST_COMPLETED)
            if on_tick:
                on_tick()
            broken = False
            for future in done:
                index, suspect, _ = running.pop(future)
                try:
                    finish(index, future.result())
                except BrokenProcessPool:
                    broken = True
                    if suspect:
                        fail(index, "the grading worker died while grading this submission")
                    else:
                        suspects.append(index)
                except Exception as exc:  # noqa: BLE001
                    fail(index, f"{type(exc).__name__}: {exc}")
            now = time.monotonic()
            hung = []
            for future, state in running.items():
                if state[2] is None and future.running():
                    state[2] = now
                if state[2] is not None and now - state[2] > timeout:
                    hung.append(future)
            if hung or broken:
                for future in hung:
                    index, _, _ = running.pop(future)
                    fail(index, f"grading took more than {timeout:g} s and was stopped", timeout)
                for future, (index, suspect, _) in list(running.items()):
                    (suspects if suspect or broken else queue).appendleft(index)
                running.clear()
                _kill(pool)
                pool = _new_pool(jobs)
    finally:
        _kill(pool) if running else pool.shutdown(wait=True)
    return [rows[i] for i in range(len(submissions))]


# ---- what a row says ----

def row_status(row):
    """One status for a submission: the report's, or the worst thing that happened to a check."""
    if row.get("status") and row["status"] != "graded":
        return row["status"], row.get("message", "")
    notes = row.get("notes", [])
    for status, note_marks in (("timed out", ("StudentTimeout",)), ("crashed", ("StudentCrashed",)),
                               ("memory limit", ("StudentMemoryError", "MemoryError"))):
        for check in row.get("checks", []):
            if check["status"] == status:
                return status, check["message"].splitlines()[0] if check["message"] else ""
        for note in notes:                 # a cell that was skipped while setting up
            if any(f": {mark}:" in note for mark in note_marks):
                return status, note.splitlines()[0]
    return "graded", ""


def write_outputs(rows, out):
    """scores.csv, results/<student>/<assignment>.json and reports.json under ``out``."""
    os.makedirs(os.path.join(out, "results"), exist_ok=True)
    with open(os.path.join(out, "scores.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            status, message = row_status(row)
            writer.writerow([row["student"], row.get("assignment") or "", _number(row.get("score", 0)),
                             _number(row.get("max_score", 0)), status, message,
                             f"{row.get('seconds', 0):.2f}", row.get("submission", "")])
    for row in rows:
        folder = os.path.join(out, "results", _safe(row["student"]))
        os.makedirs(folder, exist_ok=True)
        name = _safe(row.get("assignment") or os.path.splitext(os.path.basename(row["submission"]))[0])
        with open(os.path.join(folder, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(row.get("gradescope", {}), f, indent=2)
            f.write("\n")
    with open(os.path.join(out, "reports.json"), "w", encoding="utf-8") as f:
        json.dump({"source": "grade-all", "rows": [{k: v for k, v in row.items() if k != "gradescope"}
                                                   for row in rows]}, f, indent=1)
        f.write("\n")


def _number(value):
    """A score as written in the CSV: up to six decimals, no trailing zeros."""
    return format(round(float(value or 0), 6), ".6f").rstrip("0").rstrip(".")


def _safe(name):
    return re.sub(r"[^\w.-]+", "_", str(name)) or "_"


def summary(rows):
    """A text summary: per assignment n, mean, median, full marks, problems; then the problems."""
    lines = []
    by_assignment = {}
    for row in rows:
        by_assignment.setdefault(row.get("assignment") or "?", []).append(row)
    lines.append(f"{'assignment':<26}{'n':>4}{'mean':>8}{'median':>8}{'max':>6}{'full':>6}"
                 f"{'problems':>10}")
    for assignment in sorted(by_assignment):
        group = by_assignment[assignment]
        scores = [r.get("score", 0.0) for r in group]
        top = max((r.get("max_score", 0.0) for r in group), default=0.0)
        full = sum(1 for r in group if top and abs(r.get("score", 0) - top) < 1e-6)
        problems = sum(1 for r in group if row_status(r)[0] != "graded")
        lines.append(f"{assignment:<26}{len(group):>4}{statistics.mean(scores):>8.2f}"
                     f"{statistics.median(scores):>8.2f}{top:>6g}{full:>6}{problems:>10}")
    flagged = [(r, *row_status(r)) for r in rows if row_status(r)[0] != "graded"]
    if flagged:
        lines.append("")
        lines.append("needs a look:")
        for row, status, message in flagged:
            text = f"  {row['student']}/{row.get('assignment') or '?'}: {status}"
            if message:
                text += f" ({message[:90]}{'...' if len(message) > 90 else ''})"
            lines.append(text)
    return "\n".join(lines)


def grade_all(root, assignment=None, jobs=None, out="grades", timeout=DEFAULT_TIMEOUT,
              progress=True, console=None):
    """Discover, grade, write; returns the rows."""
    submissions = discover(root, assignment)
    if not submissions:
        return []
    if progress:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        console = console or Console(stderr=True)
        bar = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                       TextColumn("{task.fields[last]}"), console=console, transient=False,
                       auto_refresh=False)       # no refresh thread while workers fork
        with bar:
            task = bar.add_task("grading", total=len(submissions), last="")

            def on_done(sub, row):
                bar.update(task, advance=1, last=f"{sub.key}: {row.get('score', 0):g}/"
                                                 f"{row.get('max_score', 0):g}")
            rows = run_batch(submissions, jobs, timeout, on_done, on_tick=bar.refresh)
    else:
        rows = run_batch(submissions, jobs, timeout)
    if out:
        write_outputs(rows, out)
    return rows
