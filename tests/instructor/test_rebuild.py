"""The nbgrader sanitizer: a submission rebuilt from the trusted copy (fast, no nbgrader run)."""
import json

import pytest

from autograder import nbgrader_plugin as plugin
from autograder import submission as sub
from autograder.report import CheckResult, GradeReport
from autograder.suites import ASSIGNMENTS

from .helpers import EXAMPLES, deep, expected, leaks_in, load_example, probe_names

A = "ex28_2_dual_numbers"


def cells_by_id(nb):
    out = {}
    for cell in nb["cells"]:
        out.setdefault(sub.grade_id(cell), []).append(cell)
    return out


def rebuilt(nb, assignment=A):
    return plugin.rebuild(assignment, {"cells": plugin.clean_cells(nb), "metadata": {}})


def full(assignment=A):
    return load_example("full_marks", assignment)


def test_rebuild_keeps_the_trusted_cells_in_order_and_the_students_solutions():
    nb = rebuilt(full())
    source_ids = [sub.grade_id(c) for c in sub.trusted_notebook(A)["cells"]]
    assert [sub.grade_id(c) for c in nb["cells"]] == source_ids
    mine = {sub.grade_id(c): sub.cell_source(c) for c in full()["cells"] if sub.is_solution(c)}
    for cell in nb["cells"]:
        if sub.is_solution(cell):
            assert sub.cell_source(cell) == mine[sub.grade_id(cell)]
    assert nb["metadata"]["kit"]["rebuilt"] is True


def test_test_cells_are_the_release_version_without_hidden_tests():
    nb = rebuilt(full())
    release = {sub.grade_id(c): sub.cell_source(c)
               for c in sub.trusted_notebook(A, "release")["cells"] if sub.grade_id(c)}
    tests = [c for c in nb["cells"] if sub.is_test(c)]
    assert tests
    for cell in tests:
        assert sub.cell_source(cell) == release[sub.grade_id(cell)]
    # the question cells keep their rubric here (formgrader shows it); feedback strips it
    assert [m for m in leaks_in(json.dumps(nb), probe_names()) if "MARK SCHEME" not in m] == []


def test_edited_deleted_duplicated_retyped_test_cells_change_nothing():
    nb = full()
    tests = [c for c in nb["cells"] if sub.is_test(c)]
    tests[0]["source"] = "pass"
    tests[0]["metadata"]["nbgrader"]["points"] = 400
    twin = deep(tests[1])
    twin["metadata"]["nbgrader"]["points"] = 99
    twin["source"] = "print('ok')"
    nb["cells"].insert(nb["cells"].index(tests[1]), twin)
    nb["cells"].remove(tests[2])
    tests[3]["cell_type"] = "markdown"
    clean = rebuilt(full())
    dirty = rebuilt(nb)
    strip = [{k: v for k, v in c.items() if k != "id"} for c in clean["cells"]]
    assert [{k: v for k, v in c.items() if k != "id"} for c in dirty["cells"]] == strip


def test_solution_cells_first_copy_wins_and_a_missing_one_is_the_stub():
    nb = full()
    first = next(c for c in nb["cells"] if sub.grade_id(c) == "solution_f")
    second = deep(first)
    second["source"] = "def f(x, y):\n    return 0"
    nb["cells"].insert(nb["cells"].index(first) + 1, second)
    nb["cells"] = [c for c in nb["cells"] if sub.grade_id(c) != "solution_forward_mode_gradient"]
    out = rebuilt(nb)
    by = cells_by_id(out)
    assert len(by["solution_f"]) == 1
    assert sub.cell_source(by["solution_f"][0]) == sub.cell_source(first)
    stub = next(c for c in sub.trusted_notebook(A, "release")["cells"]
                if sub.grade_id(c) == "solution_forward_mode_gradient")
    assert sub.cell_source(by["solution_forward_mode_gradient"][0]) == sub.cell_source(stub)
    notes = " ".join(out["metadata"]["kit"]["notes"])
    assert "second copy of solution_f" in notes and "solution_forward_mode_gradient was missing" in notes


def test_added_cells_are_kept_after_their_cell_without_nbgrader_metadata():
    nb = full()
    at = next(i for i, c in enumerate(nb["cells"]) if sub.grade_id(c) == "solution_f")
    forged = {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": "mine",
                                                             "points": 50}},
              "source": "helper = 1", "outputs": [], "execution_count": None, "id": "x1"}
    note = {"cell_type": "markdown", "metadata": {}, "source": "my notes", "id": "x2"}
    nb["cells"][at + 1:at + 1] = [forged, note]
    out = rebuilt(nb)
    i = next(i for i, c in enumerate(out["cells"]) if sub.grade_id(c) == "solution_f")
    assert [sub.cell_source(c) for c in out["cells"][i + 1:i + 3]] == ["helper = 1", "my notes"]
    assert all(not c["metadata"] for c in out["cells"][i + 1:i + 3])


def test_a_retyped_solution_cell_is_graded_as_the_stub_and_its_text_kept():
    nb = full()
    cell = next(c for c in nb["cells"] if sub.grade_id(c) == "solution_f")
    cell["cell_type"] = "markdown"
    out = rebuilt(nb)
    i = next(i for i, c in enumerate(out["cells"]) if sub.grade_id(c) == "solution_f")
    assert out["cells"][i]["cell_type"] == "code"
    assert "raise NotImplementedError" in sub.cell_source(out["cells"][i])
    assert out["cells"][i + 1]["cell_type"] == "markdown"
    assert sub.cell_source(out["cells"][i + 1]) == sub.cell_source(cell)


def test_manual_answers_come_from_the_submission():
    out = rebuilt(full())
    answer = next(c for c in out["cells"] if sub.grade_id(c) == "answer_cost_comparison")
    assert "Forward mode" in sub.cell_source(answer)
    assert answer["metadata"]["nbgrader"]["points"] == 3


@pytest.mark.parametrize("student,assignment", sorted(expected()))
def test_the_rebuilt_notebook_runs_exactly_the_program_of_the_submission(student, assignment):
    """assemble() of the rebuilt notebook == assemble() of the raw submission, for every sample."""
    path = f"{EXAMPLES}/{student}/{assignment}/{assignment}.ipynb"
    clean = plugin.read_submission(path)
    if clean["metadata"].get("kit", {}).get("unreadable"):
        with pytest.raises(Exception):
            sub.read_notebook(path)
        return
    raw = sub.read_notebook(path)
    nb = plugin.rebuild(assignment, clean)
    assert sub.assemble(assignment, nb) == sub.assemble(assignment, raw)


def test_unreadable_files_become_a_marked_empty_notebook(tmp_path):
    for name, data in {"empty": b"", "cut": b'{"cells": [', "list": b"[1, 2]", "v3": b'{"nbformat": 3}',
                       "latin1": '{"cells": "\xe9"}'.encode("latin-1")}.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_bytes(data)
        nb = plugin.read_submission(str(path))
        assert nb["cells"] == []
        assert nb["metadata"]["kit"]["unreadable"]["status"] == "unreadable notebook"
        out = plugin.rebuild(A, nb)
        assert out["metadata"]["kit"]["unreadable"]
        assert sum(sub.is_test(c) for c in out["cells"]) == len(sub.test_points(A))


def test_clean_cells_survive_garbage():
    raw = {"cells": [None, 3, {"cell_type": "weird", "source": ["a", 1, "b"], "id": "bad id!"},
                     {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "x", "points": [1]}},
                      "source": "x = 1", "outputs": "junk"}]}
    cells = plugin.clean_cells(raw)
    assert [c["cell_type"] for c in cells] == ["raw", "code"]
    assert cells[0]["source"] == "ab" and cells[0]["id"] == "submitted-2"
    assert cells[1]["metadata"]["nbgrader"] == {"grade_id": "x"} and cells[1]["outputs"] == []


def _report(statuses, points=4.0):
    checks = [CheckResult("g", f"t{i}", f"check {i}", s, "" if s == "passed" else "wrong: 1 != 2",
                          points / len(statuses) if s == "passed" else 0.0, points / len(statuses))
              for i, s in enumerate(statuses)]
    return GradeReport("x", A, checks=checks)


@pytest.mark.parametrize("statuses,score", [(["passed", "passed", "passed"], 4.0),
                                            (["passed", "failed", "timed out"], 4 / 3),
                                            (["failed", "exception"], 0.0)])
def test_cell_outputs_give_nbgrader_the_points(statuses, score):
    import nbformat
    from nbgrader.utils import determine_grade
    report = _report(statuses)
    outputs, got = plugin.cell_outputs("g", report.checks, 4, report)
    assert got == pytest.approx(score)
    cell = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "solution": False, "grade_id": "test_g", "points": 4, "locked": True}})
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    auto, top = determine_grade(cell)
    assert auto == pytest.approx(score, abs=1e-6) and top == 4
    text = outputs[0]["text"]
    for i, status in enumerate(statuses):
        assert f"[{status}] check {i}" in text
    if score == 0:
        assert outputs[-1]["output_type"] == "error"
        assert not any(o["output_type"] == "stream" and o["name"] == "stderr" for o in outputs)


def test_long_check_messages_are_wrapped_to_fit_feedback_and_formgrader():
    """Both cut lines longer than their output box; the end of a message is what matters."""
    where = ", ".join(f"x{i} = {0.1234567890123456 * i!r}" for i in range(8))
    message = f"f({where}): expected 0.09449025158145974, got 1.2962128040360885\nsecond line"
    report = _report(["failed"])
    report.checks[0].message = message
    text = plugin.cell_outputs("g", report.checks, 4, report)[0][0]["text"]
    lines = text.splitlines()
    assert all(len(line) <= plugin.MESSAGE_WIDTH for line in lines), lines
    body = [line.strip() for line in lines[2:]]
    assert " ".join(body) == " ".join(message.split()), f"words lost or changed:\n{text}"
    assert "1.2962128040360885" in body[-2] and body[-1] == "second line", text


def test_cell_outputs_never_exceed_the_cells_points():
    report = _report(["passed"] * 7, points=2.0)          # 7 * (2/7) may round above 2
    outputs, got = plugin.cell_outputs("g", report.checks, 2, report)
    assert got <= 2.0
    assert float(outputs[-1]["data"]["text/plain"]) <= 2.0


def test_configure_extends_the_feedback_pipeline_and_keeps_other_settings():
    from traitlets.config import Config
    c = Config()
    c.CourseDirectory.course_id = "x"
    c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades", "other.Thing"]
    plugin.configure(c)
    plugin.configure(c)                                      # twice: still one of ours
    assert c.CourseDirectory.course_id == "x"
    assert c.GenerateFeedback.preprocessors == [
        "nbgrader.preprocessors.GetGrades", "autograder.nbgrader_plugin.FeedbackWithoutHiddenTests",
        "other.Thing"]
    assert "Execute" not in " ".join(map(str, c.Autograde.autograde_preprocessors))
    assert c.Autograde.sanitize_preprocessors == ["autograder.nbgrader_plugin.RebuildFromTrusted"]


def test_the_repositorys_nbgrader_config_plugs_the_kit_in():
    from traitlets.config.loader import PyFileConfigLoader
    from .helpers import KIT_ROOT
    c = PyFileConfigLoader("nbgrader_config.py", path=KIT_ROOT).load_config()
    assert c.CourseDirectory.course_id                     # the other settings are kept
    assert c.Autograde.exporter_class == "autograder.nbgrader_plugin.SafeNotebookExporter"
    assert "autograder.nbgrader_plugin.GradeWithKit" in c.Autograde.autograde_preprocessors
    assert "autograder.nbgrader_plugin.FeedbackWithoutHiddenTests" in c.GenerateFeedback.preprocessors


@pytest.mark.parametrize("where", ["configure", "repository", "course", "plain course"])
def test_every_kit_configuration_strips_rubrics_from_the_read_only_question_cells(where, tmp_path):
    """The questions are locked Markdown cells, not nbgrader task cells (no "/ 0" items in
    formgrader): nbgrader's ClearMarkScheme must strip their rubric instead of refusing it."""
    import nbformat
    from nbgrader.preprocessors import ClearMarkScheme
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
    from .helpers import KIT_ROOT
    if where == "configure":
        c = plugin.configure(Config())
    elif where == "repository":
        c = PyFileConfigLoader("nbgrader_config.py", path=KIT_ROOT).load_config()
    else:
        plugin.write_course_config(str(tmp_path), plain=where == "plain course")
        c = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    question = nbformat.v4.new_markdown_cell(
        "Explain.\n### BEGIN MARK SCHEME\nMemory (1 point)\n### END MARK SCHEME",
        metadata={"nbgrader": {"grade": False, "solution": False, "locked": True,
                               "grade_id": "task_explain", "schema_version": 3}})
    nb = nbformat.v4.new_notebook(cells=[question])
    nb, _ = ClearMarkScheme(config=c).preprocess(nb, {})
    assert nb.cells[0].source == "Explain.", (where, nb.cells[0].source)


def test_sandbox_limits_come_from_the_nbgrader_config(monkeypatch):
    import nbformat
    from traitlets import TraitError
    from traitlets.config import Config
    from autograder import grade, sandbox
    used = []

    def grade_submission(notebook, assignment, name, limits=None, *args, **kw):
        used.append(limits)
        return grade.unchecked_report(name, assignment, "graded", "")
    monkeypatch.setattr(grade, "grade_submission", grade_submission)
    monkeypatch.setattr(plugin, "_freeze_heap", lambda: None)
    monkeypatch.setenv("AUTOGRADER_LIMITS", "call_seconds=20,max_restarts=1")
    c = Config()
    c.GradeWithKit.limits = {"cpu_seconds": 120, "call_seconds": "30"}
    nb = nbformat.from_dict(plugin.rebuild(A, {"cells": [], "metadata": {}}))
    plugin.GradeWithKit(config=c).preprocess(nb, {"nbgrader": {"assignment": A, "student": "ann"}})
    # the course's configuration wins over the environment, which wins over the defaults
    assert used == [sandbox.Limits(cpu_seconds=120, call_seconds=30.0, max_restarts=1)]
    for bad, message in (({"cpu": 1}, "unknown limit 'cpu'"),
                         ({"call_seconds": -1}, "call_seconds must be a positive number")):
        with pytest.raises(TraitError, match=message):
            plugin.GradeWithKit(config=Config({"GradeWithKit": {"limits": bad}}))


def test_every_assignment_rebuilds():
    for assignment in ASSIGNMENTS:
        out = plugin.rebuild(assignment, {"cells": [], "metadata": {}})
        assert len(out["cells"]) == len(sub.trusted_notebook(assignment)["cells"])
