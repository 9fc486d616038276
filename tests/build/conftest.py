"""Shared fixtures of the notebook tests: each notebook is executed once per session.

Executions run two at a time (one kernel per notebook), and every execution time is
printed in the terminal summary.
"""
import base64
import copy
import importlib
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from assignments.build import ASSIGNMENTS, ROOT

EXECUTION_TIMES = {}  # (kind, assignment) -> seconds
MARKER_LINES = ("### BEGIN SOLUTION", "### END SOLUTION")
TIMEOUT = 120         # per cell; the whole-notebook limit (60 s) is asserted by the tests


def source_path(assignment):
    return ROOT / "source" / assignment / f"{assignment}.ipynb"


def release_path(assignment):
    return ROOT / "release" / assignment / f"{assignment}.ipynb"


def read(path):
    return nbformat.read(str(path), as_version=4)


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def nbgrader_flag(cell, flag):
    return bool(cell.metadata.get("nbgrader", {}).get(flag, False))


def is_demo(cell):
    return bool(cell.metadata.get("kit", {}).get("demo", False))


def demo_needs(cell):
    return list(cell.metadata.get("kit", {}).get("needs", []))


def without_markers(text):
    """A solution region's content as a student would type it: the marker lines removed."""
    return "\n".join(line for line in text.split("\n") if line.strip() not in MARKER_LINES)


def filled(release_nb, source_nb):
    """The release notebook with every solution cell replaced by the source's version."""
    solutions = {grade_id(c): c.source for c in source_nb.cells if nbgrader_flag(c, "solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        if nbgrader_flag(cell, "solution"):
            cell.source = without_markers(solutions[grade_id(cell)])
    return nb


def execute(nb, workdir):
    """Execute a copy of ``nb`` in a fresh python3 kernel; return (executed nb, seconds)."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    workdir.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(nb, kernel_name="python3", timeout=TIMEOUT, allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def execute_all(kind, notebooks, workdir):
    """Execute {assignment: nb} two at a time; record the times under ``kind``."""
    def run(item):
        assignment, nb = item
        return assignment, execute(nb, workdir / kind / assignment)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(run, notebooks.items()))
    for assignment, (_, seconds) in results.items():
        EXECUTION_TIMES[(kind, assignment)] = seconds
    return results


def errors(cell):
    """The error outputs of a code cell as (ename, evalue) pairs."""
    return [(o.ename, o.evalue) for o in cell.get("outputs", []) if o.output_type == "error"]


def stdout(cell):
    return "".join(o.text for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.name == "stdout")


def png_outputs(cell):
    return [base64.b64decode(o.data["image/png"]) for o in cell.get("outputs", [])
            if o.output_type in ("display_data", "execute_result") and "image/png" in o.get("data", {})]


def png_spread(png):
    """(height, width, standard deviation of the pixel values in 0..1) of a PNG image."""
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    return pixels.shape[0], pixels.shape[1], float(pixels[..., :3].std())


def hidden_checks_missing(assignment):
    """Why the hidden parts of ``assignment`` cannot run yet, or None when they can."""
    try:
        importlib.import_module("autograder.kernel")
    except Exception as exc:  # noqa: BLE001 - any import failure means "not there yet"
        return f"autograder.kernel is not importable yet ({type(exc).__name__}: {exc})"
    try:
        from autograder.suites import suite_path
    except Exception:  # noqa: BLE001 - no way to ask: let the notebook say
        return None
    if not os.path.exists(suite_path(assignment)):
        return f"the autograder has no hidden suite for {assignment} yet"
    return None


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("notebooks")


@pytest.fixture(scope="session")
def sources():
    return {a: read(source_path(a)) for a in ASSIGNMENTS}


@pytest.fixture(scope="session")
def releases():
    return {a: read(release_path(a)) for a in ASSIGNMENTS}


@pytest.fixture(scope="session")
def filled_releases(sources, releases):
    return {a: filled(releases[a], sources[a]) for a in ASSIGNMENTS}


@pytest.fixture(scope="session")
def executed_sources(sources, workdir):
    runnable = {a: nb for a, nb in sources.items() if hidden_checks_missing(a) is None}
    return execute_all("source", runnable, workdir)


@pytest.fixture(scope="session")
def executed_releases(releases, workdir):
    return execute_all("release (unfilled)", releases, workdir)


@pytest.fixture(scope="session")
def executed_filled(filled_releases, workdir):
    return execute_all("release filled with the solutions", filled_releases, workdir)


def pytest_terminal_summary(terminalreporter):
    if not EXECUTION_TIMES:
        return
    terminalreporter.section("notebook execution times")
    for (kind, assignment), seconds in sorted(EXECUTION_TIMES.items()):
        terminalreporter.write_line(f"{seconds:6.1f} s  {assignment:24s} {kind}")

