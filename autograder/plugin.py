"""The pytest plugin that runs a hidden suite against one submission.

The suite's tests ask for two fixtures: ``student`` (the proxy to the
submission's code, see `autograder.student`) and ``rng`` (a random generator
seeded when grading starts, so no fixed answer can pass).  Each test belongs
to one point group (``@pytest.mark.group("name")``, optionally ``weight=``); the
plugin records one `Check` per test with a status a student can read, and
never the test's source.
"""
import random
import secrets
from dataclasses import dataclass

import pytest

from .errors import GraderError, StudentError, WrongType


@dataclass
class Check:
    """The outcome of one hidden test."""

    group: str
    name: str
    title: str
    weight: float
    status: str          # passed, failed, wrong type, not implemented, timed out ...
    message: str = ""
    seconds: float = 0.0


def _group_of(item):
    marker = item.get_closest_marker("group")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.group(...) marker")
    return marker.args[0], float(marker.kwargs.get("weight", 1.0))


def _title(item):
    doc = (getattr(item, "function", None).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else item.name.replace("_", " ")


def classify(exc):
    """(status, message) for an exception that ended a test."""
    if isinstance(exc, (StudentError, WrongType)):
        return exc.status, str(exc)
    if isinstance(exc, AssertionError):
        return "failed", str(exc) or "wrong result"
    return "grader error", f"the check itself failed ({type(exc).__name__}: {exc}); tell your instructor"


class GradingPlugin:
    """Give the suite its fixtures, keep only the selected groups, record every outcome."""

    def __init__(self, student, groups=None, seed=None):
        self._student = student
        self.groups = set(groups) if groups else None
        self.seed = secrets.randbits(64) if seed is None else seed
        self.checks = []
        self.grader_errors = []      # the transport failed (the sandbox could not start ...)

    @pytest.fixture
    def student(self):
        return self._student

    @pytest.fixture
    def rng(self, request):
        return random.Random(f"{self.seed}:{request.node.nodeid}")

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "group(name, weight=1): the point group of a check")

    def pytest_collection_modifyitems(self, config, items):
        keep = [item for item in items if self.groups is None or _group_of(item)[0] in self.groups]
        dropped = [item for item in items if item not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and report.failed):
            group, weight = _group_of(item)
            if report.passed:
                status, message = "passed", ""
            elif report.skipped:
                status, message = "skipped", ""
            else:
                status, message = classify(call.excinfo.value)
                if isinstance(call.excinfo.value, GraderError):
                    self.grader_errors.append(str(call.excinfo.value))
            self.checks.append(Check(group, item.name, _title(item), weight, status, message,
                                     report.duration))
