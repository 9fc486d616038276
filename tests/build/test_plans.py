"""The cell plans follow the kit's cell conventions (fast: no kernel, no nbgrader)."""
import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest

import assignments
from assignments import extract, visible_checks
from assignments.build import ASSIGNMENTS, notebook, plan_path
from assignments.plan import HIDDEN_TESTS, PlanError, parse

# Fixed by the grader: grade ids and points of the autograded tests and the manual answers.
EXPECTED_POINTS = {
    "ex28_1_sigmoid": {"test_sigmoid_value": 4, "test_sigmoid_stability": 2,
                       "test_sigmoid_in_graphs": 2, "test_numerical_gradient": 2,
                       "test_max_relative_error": 2},
    "ex28_2_dual_numbers": {"test_dual_arithmetic": 4, "test_dual_functions": 2,
                            "test_partials_of_f": 2, "test_forward_mode_gradient": 4,
                            "answer_cost_comparison": 3},
    "ex28_3_manual_backward": {"test_graph_edges": 2, "test_forward_pass": 2,
                               "test_backward_pass": 6, "test_value_gradients": 2},
    "ex28_4_checkpointing": {"test_checkpoint_gradient": 3, "test_checkpoint_memory": 2,
                             "test_segment_and_budget": 1, "answer_essay": 8},
    "ex28_5_deeper_mlp": {"test_mlp_construction": 3, "test_mlp_forward": 3,
                          "test_loss_gradients": 3, "test_training": 3,
                          "answer_depth_on_xor": 3},
    "ex28_6_op_counting": {"test_forward_counts": 4, "test_backward_counts": 4,
                           "test_visited_counts": 2, "test_ratios": 2,
                           "answer_cheap_gradient": 3},
}

# What each notebook must define once its solution cells are filled in (EXERCISES.md).
CONTRACT_NAMES = {
    "ex28_1_sigmoid": ["Value", "numerical_gradient", "max_relative_error"],
    "ex28_2_dual_numbers": ["Dual", "f", "forward_mode_gradient"],
    "ex28_3_manual_backward": ["graph_edges", "forward_pass", "backward_pass",
                               "value_gradients", "draw_graph"],
    "ex28_4_checkpointing": ["Value", "make_chain", "full_backprop", "checkpointed_backprop",
                             "best_segment"],
    "ex28_5_deeper_mlp": ["MLP", "mse_loss", "train"],
    "ex28_6_op_counting": ["OpCounter", "cheap_gradient_ratios", "MLP", "xor_loss", "XOR_X",
                           "XOR_Y"],
}

# The student functions each exercise asks for: what a solution cell must define.
SOLUTION_NAMES = {
    "ex28_1_sigmoid": {"sigmoid", "numerical_gradient", "max_relative_error"},
    "ex28_2_dual_numbers": {"Dual", "f", "forward_mode_gradient"},
    "ex28_3_manual_backward": {"graph_edges", "forward_pass", "backward_pass", "value_gradients"},
    "ex28_4_checkpointing": {"checkpointed_backprop", "best_segment"},
    "ex28_5_deeper_mlp": {"Neuron", "Layer", "MLP", "mse_loss", "train"},
    "ex28_6_op_counting": {"OpCounter", "cheap_gradient_ratios"},
}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def assignment(request):
    return request.param


@pytest.fixture(scope="module")
def nb(assignment):
    return notebook(assignment)


def meta(cell):
    return cell.metadata.get("nbgrader")


def cells_of(nb, prefix):
    return [c for c in nb.cells if meta(c) and meta(c)["grade_id"].startswith(prefix)]


def defined_names(source):
    tree = ast.parse(source)
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_six_plans_exist():
    assert sorted(p.parent.name for p in plan_path(ASSIGNMENTS[0]).parent.parent.glob("*/notebook.md")) \
        == sorted(ASSIGNMENTS)


def test_grade_ids_and_points(nb, assignment):
    got = {meta(c)["grade_id"]: meta(c)["points"] for c in nb.cells
           if meta(c) and meta(c)["grade"]}
    assert got == EXPECTED_POINTS[assignment]


def test_nbgrader_metadata(nb):
    for cell in nb.cells:
        m = meta(cell)
        if m is None:
            assert cell.cell_type == "markdown", cell.source[:80]
            continue
        assert m["schema_version"] == 3
        kind = m["grade_id"].split("_")[0]
        expected = {
            "given": dict(grade=False, solution=False, locked=True),
            "solution": dict(grade=False, solution=True, locked=False),
            "test": dict(grade=True, solution=False, locked=True),
            "task": dict(grade=False, solution=False, locked=True, task=None, points=None),
            "answer": dict(grade=True, solution=True, locked=False),
        }[kind]
        assert {k: m.get(k) for k in expected} == expected, m["grade_id"]
        assert cell.cell_type == ("markdown" if kind in ("task", "answer") else "code")
        assert cell.id == m["grade_id"]


def test_every_code_cell_is_an_nbgrader_cell(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert meta(cell), cell.source[:80]


def test_test_cells_end_with_the_hidden_part(nb, assignment):
    for cell in cells_of(nb, "test_"):
        group = meta(cell)["grade_id"][len("test_"):]
        hidden = HIDDEN_TESTS.format(assignment=assignment, group=group)
        assert cell.source.endswith("\n\n" + hidden)
        visible = cell.source[:-len(hidden)]
        assert "HIDDEN" not in visible and "autograder" not in visible
        assert f'passed("{group}")' in visible, "a visible test ends by saying it passed"
        assert visible.count("check_") + visible.count("assert ") >= 1


def test_hidden_part_is_exactly_the_agreed_text():
    assert HIDDEN_TESTS.format(assignment="ex28_1_sigmoid", group="sigmoid_value") == (
        "### BEGIN HIDDEN TESTS\n"
        "from autograder.kernel import run_hidden_checks\n"
        'run_hidden_checks("ex28_1_sigmoid", "sigmoid_value", globals())\n'
        "### END HIDDEN TESTS")


def test_manual_answers_follow_their_question(nb):
    for i, cell in enumerate(nb.cells):
        if meta(cell) and meta(cell)["grade_id"].startswith("answer_"):
            name = meta(cell)["grade_id"][len("answer_"):]
            task = nb.cells[i - 1]
            assert meta(task) and meta(task)["grade_id"] == f"task_{name}"
            assert "### BEGIN MARK SCHEME" in task.source and "### END MARK SCHEME" in task.source
            assert task.source.index("MARK SCHEME") > 100, "the question comes before the rubric"
            assert cell.source.startswith("### BEGIN SOLUTION") and cell.source.endswith(
                "### END SOLUTION"), "the model answer is all solution region"


def test_rubric_points_add_up(nb):
    """Each mark scheme gives as many points as its answer cell is worth."""
    answers = {meta(c)["grade_id"][len("answer_"):]: meta(c)["points"] for c in cells_of(nb, "answer_")}
    for cell in cells_of(nb, "task_"):
        name = meta(cell)["grade_id"][len("task_"):]
        scheme = cell.source.split("### BEGIN MARK SCHEME")[1]
        points = sum(int(p) for p in re.findall(r"\((\d) points?\)", scheme))
        assert points == answers[name], (name, points)


def test_demo_cells(nb, assignment):
    solution_names = set()
    for cell in cells_of(nb, "solution_"):
        solution_names |= defined_names(cell.source.replace("### BEGIN SOLUTION", "")
                                        .replace("### END SOLUTION", ""))
    for cell in nb.cells:
        kit = cell.metadata.get("kit")
        if kit is None:
            assert "tags" not in cell.metadata
            continue
        assert kit["demo"] is True and cell.metadata["tags"] == ["demo"]
        assert set(kit["needs"]) <= solution_names, "needs names student functions"
        assert "get_ipython" not in cell.source and "%matplotlib" not in cell.source


def test_no_magics_in_given_cells(nb):
    for cell in cells_of(nb, "given_"):
        for line in cell.source.split("\n"):
            assert not line.lstrip().startswith(("%", "!")), line


def test_every_notebook_has_plots_where_promised(nb, assignment):
    plots = [c for c in nb.cells if c.metadata.get("kit", {}).get("demo") and "plt." in c.source]
    assert len(plots) == 1, assignment


def test_solution_cells_define_the_exercise(nb, assignment):
    names = set()
    for cell in cells_of(nb, "solution_"):
        names |= defined_names(cell.source)
    assert SOLUTION_NAMES[assignment] <= names


def test_given_and_solution_code_defines_the_contract(nb, assignment):
    """Run the given and solution code (no tests, no demos): the contract's names exist."""
    namespace = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.metadata.get("kit") and \
                not meta(cell)["grade_id"].startswith("test_"):
            exec(compile(cell.source, meta(cell)["grade_id"], "exec"), namespace)
    for name in CONTRACT_NAMES[assignment]:
        assert name in namespace, name


def given_source(nb, name):
    return next(c.source for c in nb.cells if meta(c) and meta(c)["grade_id"] == f"given_{name}")


def methods_of(source, class_name):
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    return {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}


def test_every_engine_after_28_1_has_sigmoid():
    """28.1 asks for sigmoid; after it every given engine includes it (the course's contract),
    which is why the README's release order puts 28.1 first."""
    for assignment, has_sigmoid in [("ex28_1_sigmoid", False), ("ex28_2_dual_numbers", True),
                                    ("ex28_3_manual_backward", True), ("ex28_5_deeper_mlp", True),
                                    ("ex28_6_op_counting", True)]:
        methods = methods_of(given_source(notebook(assignment), "engine"), "Value")
        assert {"__add__", "tanh", "exp", "backward"} <= methods, (assignment, sorted(methods))
        assert ("sigmoid" in methods) == has_sigmoid, \
            f"{assignment}: sigmoid in the given engine is {'sigmoid' in methods}, expected {has_sigmoid}"


def test_28_4_gives_the_cycle_free_engine():
    from solutions import checkpointing

    source = given_source(notebook("ex28_4_checkpointing"), "engine")
    names = defined_names(source)
    assert {"Value", "make_chain", "full_backprop"} <= names
    assert not {"checkpointed_backprop", "best_segment"} & names
    assert inspect.getsource(checkpointing.Value).strip() in source


def test_28_6_gives_the_chapter_mlp_the_loss_and_the_flop_weights():
    from solutions import chapter_mlp, flop_weights, op_counting

    nb = notebook("ex28_6_op_counting")
    assert inspect.getsource(op_counting.xor_loss).strip() in given_source(nb, "xor_loss")
    given_mlp = given_source(nb, "mlp")
    for obj in (chapter_mlp.Neuron, chapter_mlp.Layer, chapter_mlp.MLP):
        assert inspect.getsource(obj).strip() in given_mlp
    # not 28.5's answer: no configurable activations, no validation, no training
    assert not {"activate", "_check_config", "ACTIVATIONS", "train"} & defined_names(given_mlp)
    given_flops = given_source(nb, "flop_weights")
    for obj in (flop_weights.graph_flops, flop_weights.flop_weighted_ratios):
        assert inspect.getsource(obj).strip() in given_flops


ENGINE_NOTE = "**This engine and the chapter's.**"


def test_the_engine_note_is_in_every_notebook_with_the_chapters_engine_once(nb, assignment):
    count = sum(c.source.count(ENGINE_NOTE) for c in nb.cells if c.cell_type == "markdown")
    expected = 0 if assignment == "ex28_4_checkpointing" else 1   # 28.4 has its own engine
    assert count == expected, f"{assignment}: the engine note appears {count} times, expected {expected}"


def test_the_engine_note_names_the_engines_real_details():
    from solutions.engine import Value

    note = (Path(assignments.__file__).parent / "engine_note.md").read_text(encoding="utf-8")
    slots_line = next(line for line in note.split("\n\n")[1].split("\n* ") if "__slots__" in line)
    named = set(re.findall(r"`(\w+)`", slots_line.split(";")[0])) - {"__slots__"}
    assert named == set(Value.__slots__), f"the note names {sorted(named)}, Value has {Value.__slots__}"
    assert isinstance(Value(1.0)._prev, frozenset) and "`frozenset`" in note
    assert hasattr(Value, "topological_order") and "`topological_order()`" in note
    ops = {v._op for v in (Value(1.0) + 1, Value(1.0) * 2, Value(1.0) ** 2, Value(1.0).relu(),
                           Value(1.0).exp(), Value(1.0).log(), Value(1.0).tanh(),
                           Value(1.0).sigmoid())}
    listed = set(re.findall(r"`'([^']+)'`", note.split("**Operation names**")[1].split("\n* ")[0]))
    assert listed - {"ReLU"} == ops, f"the note lists {sorted(listed)}, the engine's ops are {sorted(ops)}"


def test_solution_signatures_and_docstrings_stay_outside_the_regions(nb):
    for cell in cells_of(nb, "solution_"):
        outside = []
        inside = False
        for line in cell.source.split("\n"):
            if line.strip() == "### BEGIN SOLUTION":
                inside = True
            elif line.strip() == "### END SOLUTION":
                inside = False
            elif not inside:
                outside.append(line)
        tree = ast.parse(cell.source)
        functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            functions += [n for n in cls.body if isinstance(n, ast.FunctionDef)]
        for node in functions:
            if True:
                header = cell.source.split("\n")[node.lineno - 1]
                assert header in outside, header
                doc = ast.get_docstring(node, clean=False)
                if doc:
                    assert doc.split("\n")[0].strip() in "\n".join(outside)


# ---- the extraction itself ----

def test_include_a_class_without_a_method():
    text = extract.include("solutions.engine:Value", ["sigmoid"])
    assert text.startswith("class Value:") and "def sigmoid" not in text
    assert "def tanh(self):" in text and "def backward(self):" in text
    ast.parse(text)


def test_include_a_module_drops_docstring_and_relative_imports():
    text = extract.include("solutions.mlp", ["mse_loss", "train"])
    assert text.startswith("import random")
    assert "from .engine" not in text and '"""A multi-layer' not in text
    assert "def mse_loss" not in text and "class MLP:" in text


def test_include_an_assignment():
    assert extract.include("solutions.mlp:ACTIVATIONS") == \
        'ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")'


def test_solution_of_a_method_becomes_a_function_with_a_region():
    text, bodies = extract.solution("solutions.engine:Value.sigmoid")
    lines = text.split("\n")
    assert lines[0] == "def sigmoid(self):"
    doc_end = next(i for i, line in enumerate(lines[1:], 1) if line.strip().endswith('"""') and i > 1)
    assert lines[doc_end + 1] == "    ### BEGIN SOLUTION"
    assert lines[-1] == "    ### END SOLUTION"
    assert len(bodies) == 1 and "math.exp" in bodies[0]
    compile(text, "sigmoid", "exec")


def test_solution_of_a_class_has_one_region_per_method_but_kept_ones():
    text, bodies = extract.solution("solutions.dual:Dual", ["__init__", "__repr__"])
    assert text.count("### BEGIN SOLUTION") == len(bodies) == 13
    assert "self.value = float(value)" in text.split("### BEGIN SOLUTION")[0]
    assert "__radd__ = __add__" in text
    compile(text, "Dual", "exec")


def test_bad_references_are_reported():
    for call in (lambda: extract.include("solutions.engine:Nope"),
                 lambda: extract.include("solutions.nope"),
                 lambda: extract.include("solutions.engine:Value", ["nope"]),
                 lambda: extract.solution("solutions.mlp:ACTIVATIONS"),
                 lambda: extract.solution("solutions.dual:Dual", ["nope"])):
        with pytest.raises(extract.BadReference):
            call()


# ---- the plan format refuses what it cannot build ----

def plan(tmp_path, text):
    path = tmp_path / "notebook.md"
    path.write_text(textwrap.dedent(text))
    return parse(path, "ex_test")


@pytest.mark.parametrize("text, message", [
    ("Some text\n<!-- markdown -->\nHi\n", "before the first cell directive"),
    ("<!-- test t -->\n```python\nassert True\n```\n", "points=N"),
    ("<!-- given g -->\nnot a fence\n", "exactly one ```python"),
    ("<!-- solution s -->\n```python\nx = 1\n```\n", "solution region"),
    ("<!-- given g -->\n```python\n#> include solutions.engine:Nope\n```\n", "no definition"),
    ("<!-- given g -->\n```python\nx = 1\n```\n<!-- given g -->\n```python\ny = 1\n```\n",
     "already used"),
    ("<!-- task t -->\nA question without a rubric\n", "MARK SCHEME"),
    ("<!-- test t points=1 -->\n```python\n1 + 1\n```\n", "end with an expression"),
    ("<!-- given g -->\n```python\n### BEGIN HIDDEN TESTS\n```\n", "written by the builder"),
    ("<!-- test t points=1 demo -->\n```python\nf()\n```\n", "demo cells"),
    ("<!-- markdown -->\n<!-- include no_such_note.md -->\n", "needs the name of a .md file"),
])
def test_plan_errors(tmp_path, text, message):
    with pytest.raises(PlanError, match=message):
        plan(tmp_path, text)


def test_a_small_plan(tmp_path):
    cells = plan(tmp_path, """\
        <!-- a note for authors -->
        <!-- markdown -->
        # Title
        <!-- solution sig -->
        ```python
        #> solution solutions.engine:Value.sigmoid
        ```
        <!-- test sig points=2 -->
        ```python
        check_true("ok", True)
        ```
        """)
    assert [c.kind for c in cells] == ["markdown", "solution", "test"]
    assert cells[0].source == "# Title"
    assert cells[1].grade_id == "solution_sig" and cells[1].hidden_bodies
    assert cells[2].points == 2 and cells[2].source.endswith("### END HIDDEN TESTS")
    assert cells[1].references == [("solution", "solutions.engine:Value.sigmoid", {})]


# ---- the helpers of the visible tests ----

def test_check_close_explains():
    visible_checks.check_close("x", 1.0 + 1e-12, 1.0)
    for bad in (True, None, "1.0"):
        with pytest.raises(AssertionError, match="expected a number"):
            visible_checks.check_close("x", bad, 1.0)
    with pytest.raises(AssertionError, match=r"x: expected 1\.0, got 1\.1"):
        visible_checks.check_close("x", 1.1, 1.0)


def test_check_raises_lets_unfinished_work_through():
    def unfinished():
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        visible_checks.check_raises("f()", ValueError, unfinished)
    with pytest.raises(AssertionError, match="nothing was raised"):
        visible_checks.check_raises("f()", ValueError, lambda: None)
    with pytest.raises(AssertionError, match="got TypeError"):
        visible_checks.check_raises("f()", ValueError, lambda: 1 + "a")
    visible_checks.check_raises("f()", ValueError, int, "x")
