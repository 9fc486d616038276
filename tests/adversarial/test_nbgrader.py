"""The notebook-level corpus cases through plain ``nbgrader autograde`` with the kit's configuration.

Every case of `cases.NOTEBOOK_CASES` (ordinary notebook files, default limits) becomes one
student of a temporary course, next to students holding the baselines; one ``nbgrader
autograde "*" --force`` grades them all (the batch must complete and exit 0).  Each case
must then get its expected status and score relative to its baseline, its test cells
(sources and outputs) and the log must hold no hidden-test text, no process may be left
running, and no file outside the sandbox may change.  Slow: it builds and grades a course.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from . import harness
from . import notebooks as N
from .cases import NOTEBOOK_CASES, Context
from .conftest import new_marker

pytestmark = pytest.mark.slow


def _nbgrader_path_missing():
    """Why the nbgrader path cannot run here, or None."""
    try:
        import importlib
        importlib.import_module("nbgrader")
        from autograder import demo, nbgrader_plugin
        nbgrader_plugin.configure, demo.setup_course, demo.nbgrader_env  # noqa: B018
    except Exception as exc:  # noqa: BLE001 - whatever is missing, say it
        return f"the nbgrader path is not available: {type(exc).__name__}: {exc}"
    return None


def _student(case):
    return "case_" + case.id.replace("-", "_")


def _baseline_student(case):
    name = case.baseline if isinstance(case.baseline, str) else case.id.replace("-", "_")
    return f"baseline_{name}_{case.assignment}"


@pytest.fixture(scope="module")
def course(tmp_path_factory, outside, listener, subreaper):
    missing = _nbgrader_path_missing()
    if missing:
        pytest.skip(missing)
    from .test_corpus import _unsafe_here
    if _unsafe_here():
        pytest.skip(_unsafe_here())
    from autograder import demo
    port, seen = listener
    root = tmp_path_factory.mktemp("nbgrader-adversarial")
    course, logs, work = str(root / "course"), str(root / "logs"), root / "work"
    os.makedirs(logs)
    work.mkdir()
    demo.setup_course(course, logs, release=False)

    def place(student, assignment, path):
        folder = os.path.join(course, "submitted", student, assignment)
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(path, os.path.join(folder, f"{assignment}.ipynb"))

    markers = {}
    for case in NOTEBOOK_CASES:
        folder = work / _student(case)
        folder.mkdir()
        markers[case.id] = new_marker()
        ctx = Context(str(folder), markers[case.id], outside, str(folder / "results.json"), port)
        place(_student(case), case.assignment, case.build(ctx))
        base = folder / "baseline"
        base.mkdir()
        if isinstance(case.baseline, str):
            path = N.write(getattr(N, case.baseline)(case.assignment), str(base / "b.ipynb"))
        else:
            path = case.baseline(Context(str(base), new_marker(), outside, str(base / "r.json"), port))
        place(_baseline_student(case), case.assignment, path)

    files_before = harness.snapshot(outside)
    children_before = set(harness.my_children())
    connections = len(seen)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "*", "--force"], cwd=course,
                          capture_output=True, text=True, env=demo.nbgrader_env(), timeout=1800)
    left = {cid: harness.leftovers(children_before, marker, grace=0.5) for cid, marker in markers.items()}
    files_after = harness.snapshot(outside)
    changed = sorted(p for p in set(files_before) | set(files_after)
                     if files_before.get(p) != files_after.get(p))
    return {"course": course, "proc": proc, "left": left, "changed": changed,
            "connections": seen[connections:]}


def _report(course, student, assignment):
    path = os.path.join(course, "autograded", student, assignment, f"{assignment}.ipynb")
    if not os.path.exists(path):
        return None, None
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    return nb.get("metadata", {}).get("kit", {}).get("report"), nb


def test_the_batch_completed_and_left_nothing_behind(course):
    proc = course["proc"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not harness.leaks(proc.stdout + proc.stderr)
    assert not course["changed"], course["changed"]
    assert not course["connections"], course["connections"]
    assert not any(course["left"].values()), {k: v for k, v in course["left"].items() if v}


@pytest.mark.parametrize("case", [harness.case_param(c) for c in NOTEBOOK_CASES])
def test_case_through_nbgrader(case, course):
    report, nb = _report(course["course"], _student(case), case.assignment)
    assert report is not None, f"no autograded notebook with a kit report for {case.id}"
    base, _ = _report(course["course"], _baseline_student(case), case.assignment)
    assert base is not None, f"no autograded baseline for {case.id}"
    assert report["status"] == case.status, (report["status"], report.get("message"))
    assert report["checks"], "no row per point group"
    assert all(c["status"] in harness.STATUSES for c in report["checks"])
    shown = [c for c in nb["cells"] if (c.get("metadata", {}).get("nbgrader", {}).get("grade_id") or "")
             .startswith("test_")]
    found = harness.leaks(json.dumps(shown) + json.dumps(report))
    assert not found, found
    assert not course["left"].get(case.id)
    got, expected = report["score"], base["score"]
    if case.relation == "equal" and got != pytest.approx(expected) or got > expected + 1e-9:
        raise harness.UndeservedPoints(f"{case.id} ({case.what}): {got:g} points, the baseline has "
                                       f"{expected:g} and the case must get "
                                       f"{'exactly that' if case.relation == 'equal' else 'no more'}")
