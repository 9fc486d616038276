"""Hidden checks run inside the notebook's own kernel: plain nbgrader's way.

The hidden part of every test cell in the source notebooks calls
`run_hidden_checks`.  Under plain nbgrader (``nbgrader autograde`` executing the
test cells in the student's kernel) this runs the same pytest group against the
kernel's namespace, without isolation; it is how the kit's source notebooks
check themselves, and the baseline the benchmarks compare with.  The kit's own
configuration never executes test cells: it grades with the sandboxed grader.
"""
from .run import run_suite
from .student import InProcessStudent


def run_hidden_checks(assignment, group, namespace):
    """Run ``group``'s hidden checks on ``namespace``; raise AssertionError if any fails."""
    checks, _ = run_suite(assignment, InProcessStudent(namespace), groups=[group])
    if not checks:
        raise AssertionError(f"no hidden checks found for {assignment}:{group}")
    failed = [c for c in checks if c.status != "passed"]
    for check in checks:
        print(f"{'ok  ' if check.status == 'passed' else 'FAIL'} {check.title}")
    if failed:
        details = "\n".join(f"- {c.title}: {c.status}: {c.message}" for c in failed)
        raise AssertionError(f"{len(failed)} of {len(checks)} hidden checks failed:\n{details}")
