"""The notebooks run in a real kernel, as instructors and students run them (slow).

* source: top to bottom, hidden parts included (needs the real `autograder.kernel`);
* release as distributed: only cells that wait for student work fail, and only with
  NotImplementedError;
* release filled in by a student who got everything right: every visible test passes and
  every plot renders;
* `nbgrader validate` accepts the filled notebook and reports the unfilled one's failures.

Each notebook runs once per session (fixtures in conftest.py); the terminal summary lists
every execution time.
"""
import re
import subprocess
import sys

import nbformat
import pytest

from assignments.build import ASSIGNMENTS

from .conftest import (demo_needs, errors, grade_id, hidden_checks_missing, is_demo,
                       nbgrader_flag, png_outputs, png_spread, stdout)

pytestmark = pytest.mark.slow

LIMIT = 60  # seconds per notebook


def failures(nb):
    return {grade_id(c) or c.id: errors(c) for c in nb.cells if c.cell_type == "code" and errors(c)}


def visible_test_cells(nb):
    return [c for c in nb.cells if (grade_id(c) or "").startswith("test_")]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_runs_with_its_hidden_tests(assignment, executed_sources):
    reason = hidden_checks_missing(assignment)
    if reason:
        pytest.skip(f"hidden parts cannot run: {reason}")
    nb, seconds = executed_sources[assignment]
    assert failures(nb) == {}, f"{assignment}: cells failed in the source notebook"
    for cell in visible_test_cells(nb):
        assert "all visible checks passed" in stdout(cell), grade_id(cell)
    assert seconds < LIMIT, f"{assignment} took {seconds:.1f} s"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_fails_only_where_students_have_work_to_do(assignment, executed_releases):
    nb, seconds = executed_releases[assignment]
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        name = grade_id(cell) or cell.id
        waits_for_student = (nbgrader_flag(cell, "solution") or name.startswith("test_")
                             or (is_demo(cell) and demo_needs(cell)))
        if not waits_for_student:
            assert errors(cell) == [], f"{assignment}: {name} fails without student work"
        for ename, evalue in errors(cell):
            assert ename == "NotImplementedError", f"{assignment}: {name}: {ename}: {evalue}"
        if name.startswith("test_"):
            assert errors(cell), f"{assignment}: {name} passes on the unfilled stubs"
        if is_demo(cell) and demo_needs(cell):
            assert errors(cell), f"{assignment}: {name} says it needs student work but ran"
    assert seconds < LIMIT


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_filled_release_passes_its_visible_tests_and_draws(assignment, executed_filled):
    nb, seconds = executed_filled[assignment]
    assert failures(nb) == {}, f"{assignment}: cells failed for a student who got everything right"
    for cell in visible_test_cells(nb):
        assert "all visible checks passed" in stdout(cell), grade_id(cell)
    plots = [c for c in nb.cells if c.cell_type == "code" and "plt.show()" in c.source]
    for cell in plots:
        pngs = png_outputs(cell)
        assert pngs, f"{assignment}: {grade_id(cell)} drew nothing"
        for png in pngs:
            height, width, spread = png_spread(png)
            assert height > 200 and width > 300, (height, width)
            assert spread > 0.05, f"{assignment}: {grade_id(cell)} looks blank (std {spread:.3f})"
    assert seconds < LIMIT, f"{assignment} took {seconds:.1f} s"


def validate(paths, cwd):
    """Run `nbgrader validate` on notebooks; return its verdict per notebook, in order."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", "validate", *map(str, paths)],
                            capture_output=True, text=True, cwd=cwd, timeout=900)
    verdicts = re.findall(r"Success! Your notebook passes all the tests\.|"
                          r"VALIDATION FAILED ON (\d+) CELL\(S\)", result.stdout)
    return verdicts, result.stdout + result.stderr


def test_nbgrader_validate(filled_releases, releases, tmp_path):
    filled_paths, stub_paths = [], []
    for assignment in ASSIGNMENTS:
        for nb, folder, paths in ((filled_releases[assignment], "filled", filled_paths),
                                  (releases[assignment], "stub", stub_paths)):
            path = tmp_path / folder / f"{assignment}.ipynb"
            path.parent.mkdir(exist_ok=True)
            nbformat.write(nb, str(path))
            paths.append(path)

    verdicts, output = validate(filled_paths, tmp_path)
    assert verdicts == [""] * len(ASSIGNMENTS), output[-3000:]  # "" = the success message

    verdicts, output = validate(stub_paths, tmp_path)
    expected = [str(sum(1 for c in releases[a].cells
                        if nbgrader_flag(c, "grade"))) for a in ASSIGNMENTS]
    assert verdicts == expected, (
        "the unfilled notebook should fail on every test cell and every unanswered question\n"
        + output[-3000:])
