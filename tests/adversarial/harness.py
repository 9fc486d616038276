"""Run one corpus case and check everything that must hold whatever the case.

`run_case` grades a case's submission either through the CI command (``python -m
autograder grade NOTEBOOK --results OUT.json --junit OUT.xml`` as a subprocess)
or in this process (`grade.grade_notebook`, then the same files and table), and
returns an `Outcome`.  `check_invariants` asserts what every case must get; the
comparison with the baseline is the test's.

Leftover processes are found two ways: by the case's marker in any process's
command line (every process an attack starts carries it), and, because this
process is made a child subreaper (`become_subreaper`), by any process that was
orphaned while the case ran and is now our child.
"""
import ast
import ctypes
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.dom.minidom
from dataclasses import dataclass, field

import pytest

from autograder.grade import grade_notebook
from autograder.sandbox import Limits
from autograder.suites import ASSIGNMENTS, suite_path

from . import notebooks as N

KIT = N.KIT_ROOT
SEED = 20240611
PYTHON = sys.executable
STATUSES = {"passed", "failed", "wrong type", "not implemented", "missing function", "exception",
            "timed out", "memory limit", "crashed", "error", "skipped", "unreadable notebook"}
REPORT_STATUSES = {"graded", "unreadable notebook"}
_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
ALWAYS_HIDDEN = ("BEGIN HIDDEN", "END HIDDEN", "def test_", "run_hidden_checks", "autograder.kernel")


@dataclass
class Outcome:
    path: str
    how: str                     # "cli" or "inprocess"
    seconds: float
    score: float = None
    max_score: float = None
    status: str = None
    checks: list = field(default_factory=list)      # [(group, status, message)]
    notes: list = field(default_factory=list)
    texts: dict = field(default_factory=dict)        # everything shown or written: name -> text
    returncode: int = 0


# ---- what must never be shown ----------------------------------------------------------

def suite_text():
    """Lines of every hidden suite, stripped, distinctive enough to recognise and not shown
    in the release notebooks anyway, and the names of the suites' probes: none may appear
    in anything the grader shows or writes."""
    lines, names = set(), set()
    for assignment in ASSIGNMENTS:
        with open(suite_path(assignment), encoding="utf-8") as f:
            text = f.read()
        public = json.dumps(N.release(assignment))
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.args.args and node.args.args[0].arg == "ns":
                names.add(node.name)
        for line in text.splitlines():
            line = line.strip()
            if len(line) >= 30 and sum(ch.isalpha() for ch in line) >= 10 \
                    and json.dumps(line)[1:-1] not in public:
                lines.add(line)
    return sorted(lines), sorted(names)


_SUITE_LINES, _PROBE_NAMES = suite_text()


def leaks(text):
    """Hidden-test text found in ``text``."""
    found = [m for m in ALWAYS_HIDDEN if m in text]
    found += [f"probe {name}" for name in _PROBE_NAMES if f"def {name}(" in text]
    found += [f"suite line {line!r}" for line in _SUITE_LINES
              if line in text or json.dumps(line)[1:-1] in text]       # as is, or JSON-escaped
    return found


# ---- processes ---------------------------------------------------------------------------

def become_subreaper(on=True):
    """Orphans of whatever this process starts are re-parented to it (prctl), or no more."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(36, int(on), 0, 0, 0) == 0          # PR_SET_CHILD_SUBREAPER


def _stat(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()
    return fields[0].decode(), int(fields[1])        # state, ppid


def my_children():
    me, found = os.getpid(), {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = _stat(name)
            if info and info[1] == me:
                found[int(name)] = info[0]
    return found


def with_marker(marker):
    """Live processes whose command line carries ``marker``."""
    found = []
    needle = marker.encode()
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if needle in f.read():
                        info = _stat(name)
                        if info and info[0] not in ("Z", "X"):
                            found.append(int(name))
            except OSError:
                pass
    return found


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return "?"


def leftovers(before, marker, grace=2.0):
    """Processes left by the case (then killed and reaped, so one failure does not spill)."""
    end = time.monotonic() + grace
    while True:
        orphans = {pid: state for pid, state in my_children().items() if pid not in before}
        for pid, state in list(orphans.items()):
            if state in ("Z", "X"):
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                orphans.pop(pid)
        marked = with_marker(marker)
        if not orphans and not marked or time.monotonic() > end:
            break
        time.sleep(0.05)
    left = sorted(set(orphans) | set(marked))
    described = [f"{pid}: {_cmdline(pid)}" for pid in left]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in orphans:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    return described


# ---- files -------------------------------------------------------------------------------

def watched_files(outside):
    """The files no case may change: the kit's trusted notebooks, the grader's package entry
    and suites, the solutions' package, and the fake course folder outside the kit."""
    paths = []
    for folder in (os.path.join(KIT, "source"), os.path.join(KIT, "release"), outside):
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            paths += [os.path.join(root, f) for f in files]
    paths += [os.path.join(KIT, "autograder", "__init__.py"), os.path.join(KIT, "solutions", "__init__.py")]
    paths += [suite_path(a) for a in ASSIGNMENTS]
    return sorted(paths)


def snapshot(outside):
    out = {}
    for path in watched_files(outside):
        try:
            with open(path, "rb") as f:
                out[path] = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            out[path] = None
    return out


# ---- running ----------------------------------------------------------------------------

def _limits_env(limits):
    return ",".join(f"{k}={v}" for k, v in (limits or {}).items())


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def run_cli(path, results, junit, limits=None, cwd=None, timeout=180, wrap=None, env=None):
    """The CI command on ``path``; ``wrap(argv)`` may change how it is run (another user, a
    simulated container) and ``env`` adds to its environment."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "PYTEST_"))},
           **(env or {})}
    if limits:
        env["AUTOGRADER_LIMITS"] = _limits_env(limits)
    argv = [PYTHON, "-m", "autograder", "grade", path, "--results", results, "--junit", junit,
            "--seed", str(SEED)]
    started = time.monotonic()
    proc = subprocess.run(wrap(argv) if wrap else argv,
                          capture_output=True, cwd=cwd or os.path.dirname(results), env=env,
                          timeout=timeout)
    seconds = time.monotonic() - started
    out = Outcome(path, "cli", seconds, returncode=proc.returncode)
    out.texts["stdout"] = proc.stdout.decode("utf-8", "replace")
    out.texts["stderr"] = proc.stderr.decode("utf-8", "replace")
    data = _read(results)
    out.texts["results"] = data
    out.texts["junit"] = _read(junit)
    if data:
        parsed = json.loads(data)
        out.score = parsed["score"]
        out.max_score = round(sum(t["max_score"] for t in parsed["tests"]), 6)
        first = parsed["output"].splitlines()[0]
        out.status = first[first.rfind("(") + 1:first.rfind(")")]
        out.checks = [(t["name"].split(":")[0], t["output"].split(":")[0] if t["status"] == "failed"
                       else "passed", t["output"]) for t in parsed["tests"]]
    return out


def run_inprocess(path, results, junit, limits=None, student_factory=None):
    started = time.monotonic()
    report = grade_notebook(path, limits=Limits(**limits) if limits else None, seed=SEED,
                            student_factory=student_factory)
    seconds = time.monotonic() - started
    report.write_gradescope(results)
    report.write_junit(junit)
    out = Outcome(path, "inprocess", seconds, report.score, report.max_score, report.status)
    out.checks = [(c.group, c.status, c.message) for c in report.checks]
    out.notes = list(report.notes)
    out.texts = {"table": report.table(), "results": _read(results), "junit": _read(junit),
                 "dict": json.dumps(report.to_dict())}
    return out


def check_invariants(outcome, case, bound):
    """What every case must get, whatever it is (see the module doc of `cases`)."""
    problems = []
    if outcome.seconds > bound:
        problems.append(f"took {outcome.seconds:.1f} s, more than {bound:g} s")
    if outcome.how == "cli":
        if outcome.returncode != 0:
            problems.append(f"exit code {outcome.returncode}: {outcome.texts.get('stderr', '')[-2000:]}")
        if not outcome.texts.get("results"):
            problems.append("no results file")
        if "Traceback" in outcome.texts.get("stderr", ""):
            problems.append("a traceback on stderr: " + outcome.texts["stderr"][-2000:])
    if outcome.status not in REPORT_STATUSES:
        problems.append(f"report status {outcome.status!r}")
    elif outcome.status != case.status:
        problems.append(f"status {outcome.status!r}, expected {case.status!r}")
    if not outcome.checks:
        problems.append("no row per point group in the report")
    for group, status, message in outcome.checks:
        if status not in STATUSES:
            problems.append(f"check of {group}: unclear status {status!r} ({message[:300]})")
        if status != "passed" and not message.strip():
            problems.append(f"check of {group}: status {status!r} without a message")
    junit = outcome.texts.get("junit")
    if junit is None:
        problems.append("no JUnit file")
    else:
        try:
            xml.dom.minidom.parseString(junit.encode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - any parse failure is the finding
            problems.append(f"the JUnit file is not valid XML: {exc}")
    for name in ("stdout", "stderr", "table"):
        raw = sorted({repr(ch) for ch in outcome.texts.get(name) or "" if _RAW_CONTROL.match(ch)})
        if raw:
            problems.append(f"raw control characters in {name}: {raw[:10]}")
    for name, text in outcome.texts.items():
        found = leaks(text or "")
        if found:
            problems.append(f"hidden-test text in {name}: {found[:5]}")
    return problems


class UndeservedPoints(AssertionError):
    """The only failure a known gap may have."""


def case_param(case):
    """The case as a pytest parameter; a known gap is a strict xfail that may fail only by
    giving undeserved points, so it turns into a failure once the gap is closed."""
    marks = [pytest.mark.xfail(strict=True, raises=UndeservedPoints, reason=case.known_gap)] \
        if case.known_gap else []
    return pytest.param(case, id=case.id, marks=marks)
