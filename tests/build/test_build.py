"""The build is deterministic, the committed notebooks are up to date, and nbgrader records
what graders need (slow: runs nbgrader's generate_assignment)."""
import subprocess
import sys
from pathlib import Path

import pytest

from assignments.build import ASSIGNMENTS, ROOT, build, differences

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    build(first, log=lambda *_: None)
    build(second, log=lambda *_: None)
    return first, second


def test_building_twice_gives_identical_bytes(two_builds):
    first, second = two_builds
    assert differences(first, second) == []
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    expected = sorted(Path(top) / a / f"{a}.ipynb" for top in ("source", "release") for a in ASSIGNMENTS)
    assert files == expected, "a build writes the notebooks and nothing else (no gradebook, no log)"


def test_committed_notebooks_equal_a_fresh_build(two_builds):
    stale = differences(two_builds[0], ROOT)
    assert stale == [], f"source/ or release/ is out of date, run `make build`: {stale}"


def test_check_option():
    result = subprocess.run([sys.executable, "-m", "assignments.build", "--check",
                             "ex28_1_sigmoid"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_gradebook_keeps_the_mark_scheme_for_graders(tmp_path):
    """With its database, nbgrader records the source version of the locked cells: the one
    `autograde` puts back into the graded copy, where graders read the mark scheme.  The
    question is no gradebook item: only cells with points are."""
    from nbgrader.api import Gradebook

    build(tmp_path, ["ex28_4_checkpointing"], use_db=True, log=lambda *_: None)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_notebook("ex28_4_checkpointing", "ex28_4_checkpointing")
        assert [cell.name for cell in notebook.task_cells] == []
        source_cell = gradebook.find_source_cell("task_essay", "ex28_4_checkpointing",
                                                 "ex28_4_checkpointing")
        assert source_cell.locked and source_cell.cell_type == "markdown"
        source = source_cell.source
        assert "### BEGIN MARK SCHEME" in source and "Placement (1 point)" in source
        graded = {cell.name: cell.max_score for cell in notebook.grade_cells}
        assert graded == {"test_checkpoint_gradient": 3, "test_checkpoint_memory": 2,
                          "test_segment_and_budget": 1, "answer_essay": 8}
    release = (tmp_path / "release" / "ex28_4_checkpointing" / "ex28_4_checkpointing.ipynb")
    assert "MARK SCHEME" not in release.read_text()
