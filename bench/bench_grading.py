"""Grading speed: the kit's grader against plain nbgrader, side by side in one run.

(a) One filled notebook of each exercise (examples/submitted/full_marks):
    ``python -m autograder grade NB`` (the CI command) against ``nbgrader autograde``
    of the same notebook the plain nbgrader way (a course directory whose
    configuration is nbgrader's own: the notebook, visible and hidden tests
    included, executed in a Jupyter kernel), and, for reference, ``nbgrader
    autograde`` with the kit's configuration.  Wall time of each command as an
    instructor types it (the interpreter's start-up included); median of
    BENCH_REPEATS runs (default 3).  Targets: the CI command at least 4x faster
    than plain nbgrader, and under 1 s for ex28_1.

(b) A class: BENCH_CLASS_SIZE submissions of ex28_1 (default 100; the full-marks,
    partly-wrong and broken samples in turn): plain ``nbgrader autograde`` against
    ``nbgrader autograde`` with the kit's configuration against ``python -m
    autograder grade-all --jobs 2``.  Targets: kit nbgrader at least 2x faster than
    plain, grade-all at least 8x.  BENCH_CLASS_SIZE=20 makes a quick run.

(c) Start-up: where the CI command's time goes before it grades anything, from
    ``python -X importtime``; it must not import nbformat (about 1.3 s of jsonschema
    format checkers here) nor nbgrader.

Everything runs in temporary course directories; nothing in the repository changes.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

KIT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(KIT_ROOT, "examples", "submitted")
ASSIGNMENTS = ("ex28_1_sigmoid", "ex28_2_dual_numbers", "ex28_3_manual_backward",
               "ex28_4_checkpointing", "ex28_5_deeper_mlp", "ex28_6_op_counting")
CLASS_ASSIGNMENT = "ex28_1_sigmoid"
CLASS_SAMPLES = ("full_marks", "partly_wrong", "broken")


def _env():
    bin_dir = os.path.dirname(sys.executable)
    return dict(os.environ, MPLBACKEND="Agg", PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))


def timed(args, cwd, check=True):
    """Wall seconds of one command."""
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    seconds = time.perf_counter() - started
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return seconds


def nbgrader_cmd(*args):
    return [sys.executable, "-m", "nbgrader", *args]


def make_course(path, assignments, plain):
    """A course directory with ``assignments`` generated (gradebook included)."""
    sys.path.insert(0, KIT_ROOT)
    from assignments import build

    from autograder.nbgrader_plugin import write_course_config
    write_course_config(path, plain=plain)
    for assignment in assignments:
        build.write_source(assignment, path)
    pattern = assignments[0] if len(assignments) == 1 else "*"
    timed(nbgrader_cmd("generate_assignment", pattern, "--force"), path)
    return path


def submit(course, student, assignment, sample):
    folder = os.path.join(course, "submitted", student, assignment)
    os.makedirs(folder, exist_ok=True)
    shutil.copy(os.path.join(EXAMPLES, sample, assignment, f"{assignment}.ipynb"), folder)


def median(values):
    return statistics.median(values) if values else float("nan")


def _mark(ok):
    return "ok" if ok else "MISSED"


def bench_single(tmp, repeats):
    """(a): per exercise, medians of the CI command, plain nbgrader and kit nbgrader."""
    plain = make_course(os.path.join(tmp, "plain1"), ASSIGNMENTS, plain=True)
    kit = make_course(os.path.join(tmp, "kit1"), ASSIGNMENTS, plain=False)
    for course in (plain, kit):
        for assignment in ASSIGNMENTS:
            submit(course, "s1", assignment, "full_marks")
    rows = []
    for assignment in ASSIGNMENTS:
        notebook = os.path.join(EXAMPLES, "full_marks", assignment, f"{assignment}.ipynb")
        cmd_grade = [sys.executable, "-m", "autograder", "grade", notebook, "--quiet"]
        cmd_nbg = nbgrader_cmd("autograde", assignment, "--student", "s1", "--force")
        ci, pl, kn = [], [], []
        timed(cmd_grade, KIT_ROOT)                              # warm the file cache once
        for _ in range(repeats):                                # interleaved, round by round
            ci.append(timed(cmd_grade, KIT_ROOT))
            pl.append(timed(cmd_nbg, plain))
            kn.append(timed(cmd_nbg, kit))
        rows.append((assignment, median(ci), median(pl), median(kn)))
    print(f"(a) one full-marks notebook per exercise: wall seconds, median of {repeats}")
    print(f"    {'exercise':<24}{'grade (CI)':>11}{'plain nbgrader':>16}{'kit nbgrader':>14}"
          f"{'plain/CI':>10}{'plain/kit':>11}")
    for assignment, ci, pl, kn in rows:
        print(f"    {assignment:<24}{ci:>11.2f}{pl:>16.2f}{kn:>14.2f}{pl / ci:>9.1f}x{pl / kn:>10.1f}x")
    worst = min(pl / ci for _, ci, pl, _ in rows)
    ex1 = rows[0][1]
    print(f"    target: CI command >= 4x faster than plain nbgrader on every exercise "
          f"(worst {worst:.1f}x) {_mark(worst >= 4)}; ex28_1 under 1 s ({ex1:.2f} s) {_mark(ex1 < 1)}")
    return rows


def bench_class(tmp, size, repeats):
    """(b): a class of ``size`` submissions of one exercise, three ways."""
    plain = make_course(os.path.join(tmp, "plainN"), (CLASS_ASSIGNMENT,), plain=True)
    kit = make_course(os.path.join(tmp, "kitN"), (CLASS_ASSIGNMENT,), plain=False)
    for course in (plain, kit):
        for i in range(size):
            submit(course, f"student{i:03d}", CLASS_ASSIGNMENT, CLASS_SAMPLES[i % len(CLASS_SAMPLES)])
    out = os.path.join(tmp, "grade-all-out")
    cmd = nbgrader_cmd("autograde", CLASS_ASSIGNMENT, "--force")
    cmd_all = [sys.executable, "-m", "autograder", "grade-all", os.path.join(kit, "submitted"),
               "--jobs", "2", "--out", out, "--quiet"]
    pl, kn, ga = [], [], []
    for _ in range(repeats):
        pl.append(timed(cmd, plain))
        kn.append(timed(cmd, kit))
        ga.append(timed(cmd_all, KIT_ROOT))
    pl, kn, ga = median(pl), median(kn), median(ga)
    print(f"(b) a class of {size} submissions of {CLASS_ASSIGNMENT} "
          f"({', '.join(CLASS_SAMPLES)} in turn): wall seconds, median of {repeats}")
    print(f"    {'plain nbgrader autograde':<34}{pl:>8.1f} s  {pl / size:>6.2f} s/submission")
    print(f"    {'nbgrader autograde, kit config':<34}{kn:>8.1f} s  {kn / size:>6.2f} s/submission"
          f"  {pl / kn:>5.1f}x faster  target >= 2x {_mark(pl / kn >= 2)}")
    print(f"    {'grade-all --jobs 2':<34}{ga:>8.1f} s  {ga / size:>6.2f} s/submission"
          f"  {pl / ga:>5.1f}x faster  target >= 8x {_mark(pl / ga >= 8)}")
    return pl, kn, ga


def bench_startup():
    """(c): the CI command's imports, and that nbformat/nbgrader are not among them."""
    notebook = os.path.join(EXAMPLES, "full_marks", "ex28_1_sigmoid", "ex28_1_sigmoid.ipynb")
    bare = median([timed([sys.executable, "-c", "pass"], KIT_ROOT) for _ in range(5)])
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "autograder", "grade", notebook,
                           "--quiet"], cwd=KIT_ROOT, env=_env(), capture_output=True, text=True)
    imports = {}
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if not name.startswith("  "):                       # top-level imports only
                try:
                    imports[name.strip()] = int(cumulative) / 1e6
                except ValueError:
                    pass
    top = sorted(imports.items(), key=lambda kv: -kv[1])[:6]
    heavy = [m for m in ("nbformat", "nbgrader", "jsonschema", "nbconvert", "matplotlib", "numpy")
             if any(name == m or name.startswith(m + ".") for name in imports)]
    print(f"(c) start-up of `python -m autograder grade`: bare interpreter {bare:.2f} s; "
          f"imports {sum(imports.values()):.2f} s in all, the largest:")
    for name, seconds in top:
        print(f"    {name:<40}{seconds:>7.3f} s")
    print(f"    heavy packages imported: {', '.join(heavy) or 'none'} "
          f"{_mark('nbformat' not in heavy and 'nbgrader' not in heavy)}")


def run():
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    size = int(os.environ.get("BENCH_CLASS_SIZE", "100"))
    class_repeats = int(os.environ.get("BENCH_CLASS_REPEATS", "1"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start "
          "(the ratios are measured side by side, so they hold under load better than the seconds)")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        bench_startup()
        bench_single(tmp, repeats)
        if size > 0:
            bench_class(tmp, size, class_repeats)


if __name__ == "__main__":
    run()
