"""``make demo`` / ``python -m autograder demo``: the instructor's whole job, end to end.

In a fresh course directory (``./demo-output/course`` by default, replaced on
every run):

1. build the six assignments (``assignments.build``: source notebooks from the
   cell plans and the master solutions),
2. ``nbgrader generate_assignment`` and ``nbgrader release_assignment`` each one
   (into an exchange inside the demo folder),
3. collect the sample class kept in ``examples/submitted`` (five students:
   full marks, partly wrong, broken, hostile, and one who copied partly wrong's
   work under other names) into nbgrader's ``submitted/`` layout,
4. ``nbgrader autograde`` all six with the kit's configuration (the trusted,
   sandboxed grader; no kernel), ``nbgrader generate_feedback``, ``nbgrader export``,
5. compare the students' code pairwise (the similarity report), write the
   instructor report and print the grade table, checked against the scores the
   samples were designed to get, and the pairs flagged as similar.

Everything runs through the real ``nbgrader`` command line of this Python, as an
instructor would type it; each command's log goes to ``demo-output/logs/``.
"""
import csv
import os
import shutil
import subprocess
import sys
import time

from .suites import ASSIGNMENTS

KIT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(KIT_ROOT, "examples", "submitted")


class DemoFailed(Exception):
    pass


def _say(text):
    print(text, flush=True)


def nbgrader_env():
    """The environment for nbgrader commands: this Python's scripts (nbgrader calls `alembic`) first."""
    bin_dir = os.path.dirname(sys.executable)
    return dict(os.environ, MPLBACKEND="Agg",
                PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))


def nbgrader(course, logs, *args, check=True):
    """Run ``nbgrader ARGS`` in ``course``; its output goes to a log file. Returns seconds."""
    started = time.perf_counter()
    name = "_".join(a for a in args if not a.startswith("-"))[:80]
    log = os.path.join(logs, f"nbgrader_{name}.log")
    env = nbgrader_env()
    with open(log, "w", encoding="utf-8") as f:
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, stdout=f,
                              stderr=subprocess.STDOUT, env=env)
    if check and proc.returncode != 0:
        with open(log, encoding="utf-8") as f:
            tail = "".join(f.readlines()[-30:])
        raise DemoFailed(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}); "
                         f"log {log}:\n{tail}")
    return time.perf_counter() - started


def collect_examples(course, source=EXAMPLES):
    """Copy the sample class into ``course/submitted/<student>/<assignment>/``; returns their count."""
    count = 0
    for student in sorted(os.listdir(source)):
        for assignment in sorted(os.listdir(os.path.join(source, student))):
            src = os.path.join(source, student, assignment)
            dst = os.path.join(course, "submitted", student, assignment)
            shutil.copytree(src, dst, dirs_exist_ok=True)
            with open(os.path.join(dst, "timestamp.txt"), "w", encoding="utf-8") as f:
                f.write("2026-11-20 12:00:00.000000 UTC\n")
            count += 1
    return count


def setup_course(course, logs, assignments=ASSIGNMENTS, plain=False, release=True):
    """Build the assignments into ``course``, record them in its gradebook, release them."""
    from assignments import build

    from .nbgrader_plugin import write_course_config
    os.makedirs(course, exist_ok=True)
    write_course_config(course, plain=plain)
    for assignment in assignments:
        build.write_source(assignment, course)
    pattern = assignments[0] if len(assignments) == 1 else "*"
    nbgrader(course, logs, "generate_assignment", pattern, "--force")
    if release:
        # the exchange commands take one assignment each; they only read the gradebook
        procs = [subprocess.Popen([sys.executable, "-m", "nbgrader", "release_assignment", a,
                                   "--force"], cwd=course, env=nbgrader_env(),
                                  stdout=open(os.path.join(logs, f"nbgrader_release_{a}.log"), "w"),
                                  stderr=subprocess.STDOUT) for a in assignments]
        failed = [a for a, p in zip(assignments, procs) if p.wait() != 0]
        if failed:
            raise DemoFailed(f"`nbgrader release_assignment` failed for {failed}: see {logs}")


def read_export(path):
    """{(student, assignment): (score, max_score)} from ``nbgrader export``'s CSV."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[(row["student_id"], row["assignment"])] = (float(row["score"]), float(row["max_score"]))
    return out


def kit_statuses(course):
    """{(student, assignment): (automatic score, status)} from the autograded notebooks."""
    from .batch import row_status
    from .instructor_report import _kit_report
    out = {}
    root = os.path.join(course, "autograded")
    for student in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        for assignment in sorted(os.listdir(os.path.join(root, student))):
            report = _kit_report(os.path.join(root, student, assignment, f"{assignment}.ipynb"))
            if report:
                out[(student, assignment)] = (float(report["score"]), row_status(report)[0])
    return out


def grade_table(export, statuses, expected=None):
    """The table printed at the end: one row per student, one column per assignment."""
    students = sorted({s for s, _ in export})
    assignments = [a for a in ASSIGNMENTS if any(a == b for _, b in export)]
    width = 13
    def short(a):
        parts = a.split("_")
        return f"28.{parts[1]} {parts[2]}"[:width - 1] if len(parts) > 2 else a[:width - 1]
    head = f"{'student':<14}" + "".join(f"{short(a):<{width}}" for a in assignments) + "total"
    lines = [head, "-" * (len(head) + 4)]
    marks = {"timed out": "T", "crashed": "C", "unreadable notebook": "U", "no submission": "-"}
    mismatches = []
    for student in students:
        cells, total = [], 0.0
        for a in assignments:
            score, top = export.get((student, a), (0.0, 0.0))
            total += score
            auto, status = statuses.get((student, a), (None, "no submission"))
            flag = "" if status == "graded" else " " + marks.get(status, "!")
            if expected is not None and (student, a) in expected:
                want_score, want_status = expected[(student, a)]
                if auto is None or abs(auto - want_score) > 1e-3 or status != want_status:
                    flag += " X"
                    mismatches.append((student, a, (auto, status), (want_score, want_status)))
            cells.append(f"{score:.4g}/{top:g}{flag}")
        lines.append(f"{student:<14}" + "".join(f"{c:<{width}}" for c in cells) + f"{total:.4g}")
    lines.append("")
    lines.append("points: automatic so far / the assignment's total (written answers wait for "
                 "formgrader)")
    lines.append("T timed out   C crashed   U unreadable notebook"
                 + ("   X not the designed result" if mismatches else ""))
    return "\n".join(lines), mismatches


def run_demo(out="demo-output", keep=False):
    """The whole demo; returns the exit code (0 when every sample got its designed score)."""
    started = time.perf_counter()
    out = os.path.abspath(out)
    course, logs = os.path.join(out, "course"), os.path.join(out, "logs")
    if os.path.exists(out) and not keep:
        shutil.rmtree(out)
    os.makedirs(logs, exist_ok=True)
    if KIT_ROOT not in sys.path:
        sys.path.insert(0, KIT_ROOT)
    try:
        from examples.make_examples import EXPECTED
    except ImportError:
        EXPECTED = None

    def step(text):
        _say(f"[{time.perf_counter() - started:6.1f} s] {text}")

    try:
        step(f"course directory: {course}")
        step("building the six assignments (assignments.build), `nbgrader generate_assignment`, "
             "`nbgrader release_assignment` ...")
        setup_course(course, logs)
        step("source/, release/ and the gradebook are ready; released to exchange/")
        n = collect_examples(course)
        step(f"collected {n} sample submissions into submitted/<student>/<assignment>/")
        step("nbgrader autograde, all six assignments (the kit's grader; the two hostile "
             "infinite loops cost about a minute of deadlines) ...")
        seconds = nbgrader(course, logs, "autograde", "*", "--force")
        step(f"nbgrader autograde: autograded/ and the gradebook ({seconds:.0f} s)")
        nbgrader(course, logs, "generate_feedback", "*", "--force")
        step("nbgrader generate_feedback: feedback/<student>/<assignment>/<assignment>.html")
        nbgrader(course, logs, "export", "--to", "grades.csv")
        step("nbgrader export: grades.csv")
        from .instructor_report import class_similarity, write_report
        similar = class_similarity(course, [])
        step("similarity: every pair of students compared per assignment")
        report = write_report(course, os.path.join(out, "report.html"), similarity=similar)
        step("instructor report written")
    except DemoFailed as exc:
        _say(f"\ndemo failed: {exc}")
        return 1
    export = read_export(os.path.join(course, "grades.csv"))
    table, mismatches = grade_table(export, kit_statuses(course), EXPECTED)
    _say("\n" + table + "\n")
    _say(similarity_lines(similar[0]) + "\n")
    leaks = feedback_leaks(course)
    _say(f"feedback:  {os.path.join(course, 'feedback')}  "
         f"({'no hidden test text in any file' if not leaks else 'HIDDEN TEST TEXT IN ' + ', '.join(leaks)})")
    _say(f"grades:    {os.path.join(course, 'grades.csv')}")
    _say(f"report:    {report}")
    _say(f"logs:      {logs}")
    _say(f"done in {time.perf_counter() - started:.0f} s")
    if mismatches:
        _say("\nNOT AS DESIGNED (student, assignment, got, expected):")
        for m in mismatches:
            _say(f"  {m}")
    return 1 if mismatches or leaks else 0


def similarity_lines(result):
    """The flagged pairs, for the demo's closing summary."""
    if result is None:
        return "similarity: no submitted notebooks found"
    lines = [f"similar code (at least {result.threshold:g} shared; a reason to look, not a verdict; "
             "the report shows each pair side by side):"]
    lines += [f"  {f.assignment:<24}{f.student_a} ~ {f.student_b}  {f.similarity:.2f}"
              for f in result.flagged] or ["  none"]
    lines.append("  (full_marks, partly_wrong, broken and hostile were all made from the master "
                 "solutions, so they match one another too; copier ~ partly_wrong is the copy "
                 "under other names)")
    return "\n".join(lines)


HIDDEN_MARKERS = ("BEGIN HIDDEN", "END HIDDEN", "run_hidden_checks", "autograder.kernel")


def feedback_leaks(course, markers=HIDDEN_MARKERS):
    """Feedback files that contain hidden-test text (there must be none)."""
    leaks = []
    root = os.path.join(course, "feedback")
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if any(m in text for m in markers):
                leaks.append(os.path.relpath(path, course))
    return leaks
