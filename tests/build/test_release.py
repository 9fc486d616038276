"""The committed release notebooks leak nothing and keep the source's grading structure.

Fast: these read the committed notebooks; `test_build.py` checks that they equal a
fresh build.
"""
import pytest

from assignments import extract
from assignments.build import ASSIGNMENTS, plan_path
from assignments.plan import parse

from .conftest import grade_id, read, release_path, source_path

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME", "run_hidden_checks", "autograder")


def regions(text, begin, end):
    """The texts between ``begin`` and ``end`` marker lines."""
    found, current = [], None
    for line in text.split("\n"):
        if line.strip() == begin:
            current = []
        elif line.strip() == end:
            found.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return found


def secrets(assignment):
    """(what, text) of everything the release must not show, from the plan and solutions/."""
    found = []
    for cell in parse(plan_path(assignment), assignment):
        for body in cell.hidden_bodies:
            found.append((f"a solution body in {cell.grade_id}", body))
        if cell.kind in ("solution", "answer"):
            for region in regions(cell.source, "### BEGIN SOLUTION", "### END SOLUTION"):
                found.append((f"the solution region of {cell.grade_id}", region))
        if cell.kind == "task":
            for region in regions(cell.source, "### BEGIN MARK SCHEME", "### END MARK SCHEME"):
                found.append((f"the mark scheme of {cell.grade_id}", region))
        if cell.kind == "test":
            for region in regions(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
                found.append((f"the hidden tests of {cell.grade_id}", region))
    return found


def given_lines(assignment):
    """Lines of the code given by reference (the engine...): shared with solution bodies
    by design (``return out``), so they prove nothing."""
    lines = set()
    for cell in parse(plan_path(assignment), assignment):
        for verb, ref, options in cell.references:
            if verb == "include":
                text = extract.include(ref, options.get("without", ()))
                lines |= {line.strip() for line in text.split("\n")}
    return lines


# Lines that solution bodies share with visible tests by design: plain uses of the API the
# exercise asks for, not parts of an algorithm.  Keep this list short and reviewed.
SHARED_WITH_TESTS = {
    "ex28_5_deeper_mlp": {"loss = mse_loss(model, X, Y)", "loss.backward()",
                          "params = model.parameters()"},
    "ex28_6_op_counting": {"with OpCounter() as ops:"},  # the contract's own example
}


def significant(text, generic):
    return {line.strip() for line in text.split("\n")
            if len(line.strip()) >= 8 and not line.strip().startswith("#")
            and line.strip() not in generic}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def assignment(request):
    return request.param


@pytest.fixture(scope="module")
def release(assignment):
    return read(release_path(assignment))


def test_no_markers_in_the_release(assignment):
    text = release_path(assignment).read_text(encoding="utf-8")
    for marker in MARKERS:
        assert marker not in text, marker


def test_no_solution_mark_scheme_model_answer_or_hidden_test_in_the_release(assignment, release):
    release_lines = {line.strip() for cell in release.cells for line in cell.source.split("\n")}
    generic = given_lines(assignment) | SHARED_WITH_TESTS.get(assignment, set())
    checked = 0
    for what, text in secrets(assignment):
        lines = significant(text, generic)
        leaked = sorted(lines & release_lines)
        assert not leaked, f"{assignment}: {what} leaks into the release: {leaked}"
        checked += len(lines)
    assert checked > 10, "the check must have something to check"


def test_every_solution_body_is_checked(assignment):
    """Each body has a line of its own (else the leak test above would prove nothing)."""
    generic = given_lines(assignment)
    for what, text in secrets(assignment):
        if what.startswith("a solution body"):
            assert significant(text, generic) or len(text.strip()) < 8, (what, text)


def test_stubs_keep_signatures_and_docstrings(assignment, release):
    text = "\n".join(cell.source for cell in release.cells)
    for cell in parse(plan_path(assignment), assignment):
        for verb, ref, options in cell.references:
            if verb != "solution":
                continue
            stub = extract.solution(ref, options.get("keep", ()))[0]
            for body in regions(stub, "### BEGIN SOLUTION", "### END SOLUTION"):
                stub = stub.replace(body, "")
            for line in stub.split("\n"):
                stripped = line.strip()
                if stripped.startswith(("def ", "class ", "@")):
                    assert stripped in text, f"{ref}: {stripped}"
    assert text.count("raise NotImplementedError()") >= 2


def test_grading_structure_is_unchanged(assignment, release):
    source = read(source_path(assignment))
    graded = {grade_id(c): c.metadata["nbgrader"].get("points")
              for c in source.cells if "nbgrader" in c.metadata}
    assert {grade_id(c): c.metadata["nbgrader"].get("points")
            for c in release.cells if "nbgrader" in c.metadata} == graded
    assert [c.id for c in release.cells] == [c.id for c in source.cells]
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("locked"):
            assert cell.metadata["editable"] is False and cell.metadata["deletable"] is False
            assert len(cell.metadata["nbgrader"]["checksum"]) == 32


def test_no_outputs_anywhere(assignment, release):
    for nb in (release, read(source_path(assignment))):
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


def test_questions_are_shown_without_their_rubrics(assignment, release):
    for cell in release.cells:
        if (grade_id(cell) or "").startswith("task_"):
            assert "Question" in cell.source or "Essay" in cell.source
        if (grade_id(cell) or "").startswith("answer_"):
            assert cell.source == "YOUR ANSWER HERE"
