"""The similarity report: a copy is flagged, independent work and the given code are not.

For every assignment, a class made of the grader corpus's correct-but-different
solutions (each written in its own style; entries derived from another entry by a
small change are left out), plus

* ``copier``: the first style's code disguised: every local variable renamed,
  the top-level definitions in reverse order, the comments and docstrings
  rewritten;
* ``stub_only`` and ``given_only``: two students who wrote nothing of their own,
  one leaving the stubs as handed out, the other also pasting the given engine
  and a visible test into cells of their own.

The copy must be flagged and nothing else; the two who wrote nothing share no code.
"""
import ast
import copy
import csv
import importlib
import io
import json
import os
import re
import tokenize

import pytest

from autograder import cli, instructor_report, similarity
from autograder import submission as sub
from autograder.suites import ASSIGNMENTS

# corpus entries written as a small change of another entry: not independent work
DERIVED = {"seeds_in_reverse_order", "edges_from_a_list_converted", "getattr_and_product",
           "arity_table"}


def styles(assignment):
    """{name: code} of the corpus's independent correct solutions of ``assignment``."""
    corpus = importlib.import_module(f"tests.grader.corpus.{assignment}")
    return {name: code for name, code in corpus.RIGHT.items() if name not in DERIVED}


def disguise(code):
    """``code`` as a copier hands it in: local names renamed, top-level definitions reversed,
    new comments and docstrings."""
    tree = ast.parse(code)
    top = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    local = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.Lambda)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    local.add(node.id)
    local -= top | {"self"}
    renamed, depth, previous = [], 0, None
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    for i, tok in enumerate(tokens):
        text = tok.string
        if tok.type == tokenize.OP:
            depth += text in "([{"
            depth -= text in ")]}"
        keyword_argument = depth > 0 and i + 1 < len(tokens) and tokens[i + 1].string == "="
        if tok.type == tokenize.NAME and text in local and previous != "." and not keyword_argument:
            text = f"my_{text}_var"
        elif tok.type == tokenize.COMMENT:
            text = "# my own note"
        elif tok.type == tokenize.STRING and text.startswith(('"""', "'''")):
            text = '"""Written by me."""'
        renamed.append(tok._replace(string=text))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok.string
    text = tokenize.untokenize(renamed)
    chunks = [c for c in re.split(r"(?m)^(?=def |class )", text) if c.strip()]
    head = [] if re.match(r"(def|class) ", chunks[0]) else [chunks.pop(0)]
    return "# copied? no, mine\n" + "\n\n".join(head + chunks[::-1])


def notebook(assignment, code=None, extra=()):
    """A student's copy of the release notebook: ``code`` in the first solution cell (the
    other stubs left as they were), ``extra`` as cells the student added at the end."""
    nb = copy.deepcopy(sub.trusted_notebook(assignment, "release"))
    if code is not None:
        first = next(c for c in nb["cells"] if sub.is_solution(c) and c["cell_type"] == "code")
        first["source"] = code
    for text in extra:
        nb["cells"].append({"cell_type": "code", "metadata": {}, "source": text, "outputs": [],
                            "execution_count": None})
    return nb


def given_only(assignment):
    """The stubs as handed out, plus the given engine and a visible test pasted in new cells."""
    release = sub.trusted_notebook(assignment, "release")["cells"]
    given = next(sub.cell_source(c) for c in release
                 if c["cell_type"] == "code" and not sub.is_solution(c) and not sub.is_test(c))
    test = next(sub.cell_source(c) for c in release if sub.is_test(c) and c["cell_type"] == "code")
    return notebook(assignment, extra=[given, test])


def class_of(assignment):
    """{student: notebook}, and the name of the style copier copied."""
    own = styles(assignment)
    original = next(iter(own))
    students = {name: notebook(assignment, code) for name, code in own.items()}
    students["copier"] = notebook(assignment, disguise(own[original]))
    students["stub_only"] = notebook(assignment)
    students["given_only"] = given_only(assignment)
    return students, original


def write_class(root, assignments=ASSIGNMENTS):
    """The classes of ``assignments`` as nbgrader's submitted/<student>/<assignment>/ layout."""
    originals = {}
    for assignment in assignments:
        students, originals[assignment] = class_of(assignment)
        for student, nb in students.items():
            folder = os.path.join(root, student, assignment)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"{assignment}.ipynb"), "w", encoding="utf-8") as f:
                json.dump(nb, f)
    return originals


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("submitted")
    return str(root), write_class(str(root))


@pytest.fixture(scope="module")
def result(folder):
    return similarity.similarity_of_folder(folder[0], jobs=2)


def score(result, assignment, a, b):
    a, b = sorted((a, b))
    return next(p[3] for p in result.pairs if p[:3] == (assignment, a, b))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_copy_is_flagged_and_nothing_else(result, folder, assignment):
    original = folder[1][assignment]
    flagged = [(f.student_a, f.student_b, f.similarity) for f in result.flagged
               if f.assignment == assignment]
    pairs = {p[1:3]: p[3] for p in result.pairs if p[0] == assignment}
    assert [f[:2] for f in flagged] == [tuple(sorted(("copier", original)))], (
        f"{assignment}: flagged {flagged}; expected only copier ~ {original}; all pairs: {pairs}")
    assert flagged[0][2] >= 0.9, f"{assignment}: the disguised copy scores only {flagged[0][2]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_given_code_alone_never_makes_a_pair_similar(result, assignment):
    got = {other: score(result, assignment, "given_only", other)
           for other in ("stub_only", *styles(assignment))}
    assert got["stub_only"] == 0.0, f"{assignment}: given_only ~ stub_only scored {got['stub_only']}"
    assert max(got.values()) == 0.0, f"{assignment}: the given code matched: {got}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_independent_solutions_stay_below_the_threshold(result, assignment):
    names = sorted(styles(assignment))
    got = {(a, b): score(result, assignment, a, b) for i, a in enumerate(names) for b in names[i + 1:]}
    assert len(got) >= 3, f"{assignment}: only {len(got)} independent pairs: {sorted(got)}"
    assert max(got.values()) < similarity.DEFAULT_THRESHOLD, (
        f"{assignment}: independent pairs above {similarity.DEFAULT_THRESHOLD}: "
        f"{ {k: v for k, v in got.items() if v >= similarity.DEFAULT_THRESHOLD} }")


def test_every_pair_is_compared_once_per_assignment(result, folder):
    for assignment in ASSIGNMENTS:
        n = len(styles(assignment)) + 3
        assert result.students[assignment] == n, (assignment, result.students[assignment], n)
        pairs = [p for p in result.pairs if p[0] == assignment]
        assert len(pairs) == n * (n - 1) // 2, (assignment, len(pairs))
        assert all(p[1] < p[2] and 0.0 <= p[3] <= 1.0 for p in pairs), pairs
    assert result.skipped == []


def test_one_worker_and_two_give_the_same_pairs(folder, result):
    alone = similarity.similarity_of_folder(folder[0], "ex28_3_manual_backward", jobs=1)
    assert alone.pairs == [p for p in result.pairs if p[0] == "ex28_3_manual_backward"]


def test_comments_docstrings_and_blank_lines_are_stripped():
    code = 'def f(x):\n    """Doc\n    string."""\n\n    y = x  # why\n    # alone\n    s = "#"\n    return y\n'
    assert similarity.strip_code(code) == 'def f(x):\n    y = x\n    s = "#"\n    return y'
    broken = "def f(x)\n    # note\n    return (x\n"            # cannot be tokenized
    assert similarity.strip_code(broken) == "def f(x)\n    return (x"


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_csv_holds_every_pair_with_its_flag(folder, result, tmp_path, capsys):
    path = tmp_path / "pairs.csv"
    code, out, _ = run_cli(capsys, "similarity", folder[0], "--csv", str(path), "--jobs", "2")
    assert code == 0 and str(path) in out
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["assignment", "student_a", "student_b", "similarity", "flagged"]
    assert len(rows) - 1 == len(result.pairs)
    flagged = sorted((r[0], r[1], r[2]) for r in rows[1:] if r[4] == "true")
    want = sorted((a, *sorted(("copier", o))) for a, o in folder[1].items())
    assert flagged == want, (flagged, want)
    assert {r[4] for r in rows[1:]} == {"true", "false"}
    for r in rows[1:]:
        assert 0.0 <= float(r[3]) <= 1.0 and (float(r[3]) >= similarity.DEFAULT_THRESHOLD) == (r[4] == "true"), r
    assert "copier" in out and "a reason to look, not a verdict" in out


def test_the_threshold_changes_what_is_flagged(folder, tmp_path, capsys):
    path = tmp_path / "low.csv"
    code, out, _ = run_cli(capsys, "similarity", folder[0], "--assignment", "ex28_2_dual_numbers",
                           "--threshold", "0.2", "--csv", str(path))
    assert code == 0
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["assignment"] for r in rows} == {"ex28_2_dual_numbers"}
    low = [r for r in rows if r["flagged"] == "true"]
    assert len(low) > 1 and all(float(r["similarity"]) >= 0.2 for r in low), low
    assert "threshold 0.2" in out


def test_the_page_shows_the_pair_side_by_side(folder, tmp_path, capsys):
    path = tmp_path / "similarity.html"
    code, _, _ = run_cli(capsys, "similarity", folder[0], "--assignment", "ex28_1_sigmoid",
                         "-o", str(path))
    assert code == 0
    page = path.read_text(encoding="utf-8")
    original = folder[1]["ex28_1_sigmoid"]
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "class='pair'" in page and page.count("<pre>") == 2
    pre_a, pre_b = re.findall(r"<pre>(.*?)</pre>", page, re.S)
    assert "<mark>" in pre_a and "<mark>" in pre_b
    assert "my_" in pre_a + pre_b                              # the copier's renamed variables
    assert f"ex28_1_sigmoid: copier and {original}" in page or \
        f"ex28_1_sigmoid: {original} and copier" in page
    assert f"default {similarity.DEFAULT_THRESHOLD:g}" in page and "a reason to look, not a verdict" in page


def test_the_instructor_report_has_the_section(folder, tmp_path):
    rows = [{"student": "x", "assignment": "ex28_4_checkpointing", "score": 1.0, "max_score": 6.0,
             "status": "graded", "message": "", "checks": []}]
    (tmp_path / "reports.json").write_text(json.dumps({"source": "grade-all", "rows": rows}))
    path = instructor_report.write_report(str(tmp_path), str(tmp_path / "r.html"),
                                          submissions=folder[0], threshold=0.5)
    page = open(path, encoding="utf-8").read()
    assert "<h2 id='similarity'>Similar code</h2>" in page
    assert "at least <b>0.5</b>" in page and page.count("<div class='pair'>") >= len(ASSIGNMENTS)


def test_the_report_finds_the_notebooks_grade_all_graded(folder, tmp_path):
    root, originals = folder
    original = originals["ex28_6_op_counting"]
    rows = [{"student": s, "assignment": "ex28_6_op_counting", "score": 0.0, "max_score": 12.0,
             "status": "graded", "message": "", "checks": [],
             "submission": os.path.join(root, s, "ex28_6_op_counting", "ex28_6_op_counting.ipynb")}
            for s in ("copier", original, "stub_only")]
    (tmp_path / "reports.json").write_text(json.dumps({"source": "grade-all", "rows": rows}))
    page = open(instructor_report.write_report(str(tmp_path), str(tmp_path / "r.html"))).read()
    assert page.count("<div class='pair'>") == 1 and "copier" in page


def test_without_notebooks_the_report_says_how_to_get_the_section(tmp_path):
    export = tmp_path / "grades.csv"
    export.write_text("assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
                      "late_submission_penalty,score,max_score\n"
                      "ex28_1_sigmoid,,2026-01-01 00:00:00,ann,,,,12.0,0.0,12.0,12.0\n")
    page = open(instructor_report.write_report(str(export), str(tmp_path / "r.html"))).read()
    assert "Similar code" in page and "--submissions DIR" in page


def test_unreadable_notebooks_are_skipped_and_the_rest_compared(tmp_path, capsys):
    students, original = class_of("ex28_3_manual_backward")
    for name in ("copier", original):
        (tmp_path / f"{name}_ex28_3_manual_backward.ipynb").write_text(json.dumps(students[name]))
    (tmp_path / "cut_ex28_3_manual_backward.ipynb").write_text(json.dumps(students["stub_only"])[:500])
    (tmp_path / "empty_ex28_3_manual_backward.ipynb").write_text("")
    (tmp_path / "mystery.ipynb").write_text(json.dumps({"cells": [], "metadata": {},
                                                        "nbformat": 4, "nbformat_minor": 5}))
    code, out, _ = run_cli(capsys, "similarity", str(tmp_path))
    assert code == 0
    assert "skipped:" in out
    for text in ("cut/ex28_3_manual_backward: the notebook is not valid JSON",
                 "empty/ex28_3_manual_backward: the notebook file is empty",
                 "mystery/?: cannot tell which assignment mystery.ipynb belongs to"):
        assert text in out, f"{text!r} not in:\n{out}"
    assert f"ex28_3_manual_backward: {min('copier', original)} ~ {max('copier', original)}" in out


@pytest.mark.parametrize("argv,message", [
    (["similarity", "/no/such/folder"], "/no/such/folder does not exist"),
    (["similarity", "{empty}"], "no notebooks (.ipynb files) found under"),
    (["similarity", "{empty}", "--assignment", "ex99"], "unknown assignment 'ex99'"),
    (["report", "{empty}", "--submissions", "/no/such/folder"], "--submissions /no/such/folder does not exist"),
])
def test_bad_input_gets_a_clear_message(tmp_path, capsys, argv, message):
    argv = [a.replace("{empty}", str(tmp_path)) for a in argv]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and message in err, (argv, code, err)


@pytest.mark.parametrize("value,message", [("1.5", "1.5 is not between 0 and 1"),
                                           ("high", "'high' is not a number")])
def test_a_bad_threshold_is_refused(tmp_path, capsys, value, message):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["similarity", str(tmp_path), "--threshold", value])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_the_score_is_copydetects_own_measure():
    """`similarity.score` counts what `copydetect.compare_files` counts, without its slices."""
    from copydetect import compare_files
    assignment = "ex28_2_dual_numbers"
    students, original = class_of(assignment)
    given = similarity.release_code(assignment)
    given_lines = {similarity.normalised(line) for text in given for line in text.splitlines()}
    boilerplate = similarity.boilerplate_of(given)
    prints = {name: similarity.fingerprint(similarity.compared_text(
        similarity.own_lines(assignment, nb, given_lines)), boilerplate)
        for name, nb in students.items()}
    names = sorted(n for n in prints if prints[n].hashes)
    checked = 0
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            _, (want_a, want_b), _ = compare_files(prints[a], prints[b])
            got = similarity.score(similarity.Prints(prints[a]), similarity.Prints(prints[b]))
            assert got[1:] == pytest.approx((min(want_a, 1.0), min(want_b, 1.0)), abs=1e-12), (
                a, b, got, (want_a, want_b))
            checked += 1
    assert checked >= 10
