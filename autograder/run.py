"""Run one exercise's hidden suite against one student, in this process.

A `GraderError` met by any check (the sandbox could not start, isolation was
required and is missing) is raised, not recorded as a check at zero: a machine
problem must fail the grading loudly (exit 2 on the command line), never look
like a graded zero.  Student code cannot cause one.
"""
import contextlib
import io

import pytest

from .errors import GraderError
from .plugin import GradingPlugin
from .suites import SUITES_DIR, suite_path


def run_suite(assignment, student, groups=None, seed=None):
    """The `Check` of every test of ``assignment``'s suite (only ``groups`` if given)."""
    plugin = GradingPlugin(student, groups, seed)
    args = [suite_path(assignment), "-c", f"{SUITES_DIR}/pytest.ini", "--rootdir", SUITES_DIR,
            "-q", "--no-header", "-p", "no:warnings"]
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(args, plugins=[plugin])
    if plugin.grader_errors:
        raise GraderError(plugin.grader_errors[0])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not plugin.checks:
        raise GraderError(f"the hidden suite of {assignment} could not run "
                          f"(pytest exit {int(code)}):\n{output.getvalue()[-3000:]}")
    return plugin.checks, plugin.seed
