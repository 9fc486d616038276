"""The adversarial corpus (`cases.CASES`), each case graded and checked.

Cases marked ``cli`` go through the CI command (``python -m autograder grade`` as a
subprocess, limits through ``$AUTOGRADER_LIMITS``); the others through
`grade.grade_notebook` in this process.  Besides the case's own expectation (its
score against its baseline, its status), every case must: finish in bounded time,
write its results (exit code 0 on the command line), give one row per point group
with a clear status, show no hidden-test text, leave no process running, change no
file outside the sandbox, and let no connection reach this machine.

Known gaps (``case.known_gap``) are strict xfails on the score alone: every other
promise still holds for them, and the day the gap is closed they fail as XPASS so
that the mark is removed.
"""
import os

import pytest

from . import harness
from . import notebooks as N
from .cases import CASES, Context
from .conftest import new_marker


def _baseline_builder(case, outside, port):
    if isinstance(case.baseline, str):
        kind = case.baseline
        return lambda folder: N.write(getattr(N, kind)(case.assignment),
                                      os.path.join(folder, f"{case.assignment}.ipynb"))

    def build(folder):
        ctx = Context(folder, new_marker(), outside, os.path.join(folder, "unused.json"), port)
        return case.baseline(ctx)
    return build


def grade_case(case, tmp_path, outside, port, student_factory=None, cli=None, run_cli=None):
    """Build the case under ``tmp_path`` and grade it (``run_cli(path, results, junit, case)``
    replaces the plain CI command); the outcome and every broken promise."""
    marker = new_marker()
    folder = tmp_path / "submission"
    folder.mkdir()
    results, junit = str(tmp_path / "results.json"), str(tmp_path / "results.xml")
    ctx = Context(str(folder), marker, outside, results, port)
    path = case.build(ctx)
    files_before = harness.snapshot(outside)
    children_before = set(harness.my_children())
    cli = case.cli if cli is None else cli
    if cli and run_cli is not None:
        outcome = run_cli(path, results, junit, case)
    elif cli:
        outcome = harness.run_cli(path, results, junit, case.limits, cwd=str(tmp_path))
    else:
        outcome = harness.run_inprocess(path, results, junit, case.limits, student_factory)
    problems = harness.check_invariants(outcome, case, case.seconds + (10 if cli else 0))
    left = harness.leftovers(children_before, marker)
    if left:
        problems.append(f"processes left running: {left}")
    files_after = harness.snapshot(outside)
    changed = sorted(p for p in set(files_before) | set(files_after)
                     if files_before.get(p) != files_after.get(p))
    if changed:
        problems.append(f"files outside the sandbox changed: {changed}")
    if os.path.exists(f"/tmp/{marker}.json"):
        problems.append("the child wrote into the grader's /tmp")
    for status in case.expect_status:
        if not any(s == status for _, s, _ in outcome.checks):
            problems.append(f"no check has the status {status!r}: {[s for _, s, _ in outcome.checks]}")
    if case.expect_note and not any(case.expect_note in n for n in outcome.notes) and not cli:
        problems.append(f"no setup note mentions {case.expect_note!r}: {outcome.notes}")
    return outcome, problems


HOSTILE = ("code", "outside")


def _unsafe_here():
    """Why hostile code must not run here, or None: a child with neither namespaces nor
    another uid than the grader's could rewrite the kit this test suite runs from."""
    from autograder import sandbox
    iso = sandbox.isolation()
    if not iso.namespaces and iso.uid is None:
        return (f"the sandbox here runs the child as the grader's own user without namespaces "
                f"({iso.describe()}): hostile cases would damage this checkout")
    return None


@pytest.mark.parametrize("case", [harness.case_param(c) for c in CASES])
def test_case(case, tmp_path, outside, listener, subreaper, baselines):
    if case.category in HOSTILE and _unsafe_here():
        pytest.skip(_unsafe_here())
    port, seen = listener
    connections = len(seen)
    outcome, problems = grade_case(case, tmp_path, outside, port)
    if len(seen) > connections:
        problems.append(f"a connection from the sandbox reached this machine: {seen[connections:]}")
    _check_against_baseline(case, outcome, problems, outside, port, baselines, tmp_path)


# ---- the same cases where no namespaces can be made (containers) -------------------------
#
# Gradescope runs its bundle as root in a container without namespaces, a JupyterHub pod runs
# nbgrader as an ordinary user: there the child confines itself with Landlock and seccomp (and,
# as root, loses its uid or its capabilities).  Every case must come out as it does with
# namespaces, every promise included: nothing outside the sandbox read or changed, no
# connection, no process left.  As root the cases run in this process with the namespaces
# layer disabled; as an ordinary user each goes through the CI command run as a throwaway uid
# in a simulated container (unshare hidden, `tests.container`).

def _container_isolation():
    from autograder.sandbox import detect, landlock, seccomp
    if not landlock.abi_version() or not seccomp.supported():
        pytest.skip("without namespaces the kit is hidden by Landlock and the network closed by "
                    f"seccomp; here Landlock ABI {landlock.abi_version()}, seccomp "
                    f"{'yes' if seccomp.supported() else 'no'}")
    iso = detect(disable={"namespaces"})
    assert not iso.namespaces and {"landlock", "seccomp"} <= set(iso.layers), iso.describe()
    return iso


CONTAINER_CASES = [c for c in CASES if c.category != "files"]


@pytest.fixture(scope="module")
def container_isolation():
    return _container_isolation()


def _check_against_baseline(case, outcome, problems, outside, port, baselines, tmp_path):
    key = (case.baseline if isinstance(case.baseline, str) else case.id, case.assignment,
           tuple(sorted((case.limits or {}).items())))
    base_dir = tmp_path / "baseline"
    base_dir.mkdir()
    expected = baselines(key, _baseline_builder(case, outside, port), case.limits, str(base_dir))
    got = outcome.score
    assert not problems, f"{case.id} ({case.what}):\n- " + "\n- ".join(problems)
    if case.relation == "equal" and got != expected or got > expected + 1e-9:
        raise harness.UndeservedPoints(
            f"{case.id} ({case.what}): {got:g} points, the "
            f"{case.baseline if isinstance(case.baseline, str) else 'honest'} baseline has "
            f"{expected:g} and the case must get "
            f"{'exactly that' if case.relation == 'equal' else 'no more'}"
            + "".join(f"\n  {g}: {s}: {m[:300]}" for g, s, m in outcome.checks if s != "passed"))


@pytest.mark.parametrize("case", [harness.case_param(c) for c in CONTAINER_CASES])
def test_case_as_root_without_namespaces(case, tmp_path, outside, listener, subreaper, baselines,
                                         container_isolation):
    from autograder.sandbox import Limits, SandboxedStudent
    limits = Limits(**case.limits) if case.limits else Limits()

    def factory(cells):
        return SandboxedStudent(cells, limits, isolation=container_isolation)

    port, seen = listener
    connections = len(seen)
    outcome, problems = grade_case(case, tmp_path, outside, port, student_factory=factory, cli=False)
    if len(seen) > connections:
        problems.append(f"a connection from the sandbox reached this machine: {seen[connections:]}")
    _check_against_baseline(case, outcome, problems, outside, port, baselines, tmp_path)


@pytest.mark.parametrize("case", [harness.case_param(c) for c in CONTAINER_CASES])
def test_case_as_an_ordinary_user_without_namespaces(case, outside, listener, subreaper, baselines,
                                                      tmp_path):
    import pathlib
    import shutil
    import tempfile

    from tests.container import THROWAWAY_UID, can_simulate, container_argv
    if can_simulate():
        pytest.skip(can_simulate())
    _container_isolation()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="ordinary-user-"))
    os.chmod(folder, 0o755)

    def run_as_user(path, results, junit, case):
        for dirpath, dirs, files in os.walk(folder):
            for name in [dirpath] + [os.path.join(dirpath, f) for f in dirs + files]:
                os.lchown(name, THROWAWAY_UID, THROWAWAY_UID)
        return harness.run_cli(path, results, junit, case.limits, cwd=str(folder),
                               wrap=lambda argv: container_argv(argv, str(folder), THROWAWAY_UID),
                               env={"HOME": str(folder), "PYTHONPATH": N.KIT_ROOT})

    try:
        port, seen = listener
        connections = len(seen)
        outcome, problems = grade_case(case, folder, outside, port, cli=True, run_cli=run_as_user)
        if len(seen) > connections:
            problems.append(f"a connection from the sandbox reached this machine: {seen[connections:]}")
        _check_against_baseline(case, outcome, problems, outside, port, baselines, tmp_path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
