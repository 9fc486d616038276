"""The grader's hardening, piece by piece (the corpus checks it end to end).

Reading files safely, neutralising magics only where IPython would have run them,
cleaning what a report shows, writing results atomically, limits from the
environment, failing closed when isolation is required, hiding every non-system
top-level folder, and a regrade that recomputes everything.
"""
import json
import os
import subprocess
import sys

import pytest

from autograder import grade, sandbox, submission
from autograder.sandbox import levels, namespaces
from autograder.errors import GraderError, UnreadableNotebook
from autograder.report import CheckResult, GradeReport

from . import notebooks as N
from .harness import SEED

A = "ex28_3_manual_backward"


# ---- reading ---------------------------------------------------------------------------

def test_only_a_regular_file_is_read(tmp_path):
    good = N.write(N.correct(A), str(tmp_path / "good.ipynb"))
    assert submission.read_notebook(good)["nbformat"] == 4
    link = tmp_path / "link.ipynb"
    link.symlink_to(good)
    fifo = tmp_path / "fifo.ipynb"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.ipynb"
    folder.mkdir()
    for path, words in [(link, "symbolic link"), (fifo, "not a regular file"),
                        (folder, "not a regular file"), (tmp_path / "none.ipynb", "cannot open")]:
        with pytest.raises(UnreadableNotebook, match=words):
            submission.read_notebook(str(path))


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(N.correct(A)).encode())
    assert submission.read_notebook(str(path))["nbformat"] == 4


def test_an_unreadable_notebook_named_like_an_assignment_keeps_its_rows(tmp_path):
    path = tmp_path / f"{A}.ipynb"
    path.write_bytes(b"{not json")
    report = grade.grade_notebook(str(path))
    assert report.status == "unreadable notebook" and report.assignment == A
    assert {c.group for c in report.checks} == set(submission.test_points(A))
    assert report.score == 0 and report.max_score == 12


def test_the_assignment_is_inferred_from_solution_ids_too(tmp_path):
    nb = N.correct(A)
    nb["cells"] = [c for c in nb["cells"] if not (N.gid(c) or "").startswith("test_")]
    assert submission.infer_assignment(str(tmp_path / "renamed.ipynb"), nb) == A


# ---- magics ----------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("%matplotlib inline\nx = 1\n", "pass\nx = 1\n"),
    ("!pip install numpy\n", "pass\n"),
    ("files = !ls\n", "files = None\n"),
    ("a, b = %time f()\n", "a, b = None\n"),
    ("for i in range(2):\n    %time f()\n", "for i in range(2):\n    pass\n"),
    ("f?\n?f\nf??\n", "pass\npass\npass\n"),
    ("!pip install x \\\n  y\nz = 1\n", "pass\n\nz = 1\n"),
    ("s = ('%d'\n     % 3)\n", "s = ('%d'\n     % 3)\n"),                  # an operator, not a magic
    ('t = """\n%not a magic\n!nor this\n"""\n', 't = """\n%not a magic\n!nor this\n"""\n'),
    ("x = 10 % 3\ny = x != 1\n", "x = 10 % 3\ny = x != 1\n"),
    ("%%time\nx = 1\n", "\nx = 1\n"),
    ("%%bash\nrm -rf /\n", ""),
])
def test_magics_are_neutralised_only_where_ipython_runs_them(source, expected):
    out = submission.without_magics(source)
    assert out == expected
    compile(out, "<cell>", "exec")


def test_an_untokenizable_cell_falls_back_to_blanking_magic_lines():
    assert submission.without_magics("def f(:\n%time g()\n") == "def f(:\n\n"


# ---- what reports show -----------------------------------------------------------------

def test_clean_text_escapes_caps_and_removes_hidden_lines():
    probe_line = next(line for line in grade.hidden_lines(A) if "def " in line)
    text = ("ok \ud800 \x00\x1b[2J \u202e end\r\nsecond line\n    " + probe_line + "\nBEGIN HIDDEN TESTS\n"
            + "z" * 10000)
    out = grade.clean_text(text, A)
    assert "\\ud800" in out and "\\x00" in out and "\\x1b" in out and "\\u202e" in out
    assert probe_line not in out and "BEGIN HIDDEN" not in out and grade.HIDDEN in out
    assert "second line" in out and len(out) <= grade.MAX_MESSAGE + 4
    assert out.encode("utf-8")          # no lone surrogate left


def test_lines_the_release_notebook_shows_are_not_hidden():
    assert "with OpCounter() as ops:" not in grade.hidden_lines("ex28_6_op_counting")


def test_reports_are_written_atomically_and_as_valid_xml(tmp_path):
    report = GradeReport("x.ipynb", A, checks=[
        CheckResult("g", "n", "title \x01", "failed", "bad \x00 \ud800 <&>", 0.0, 1.0)])
    results, junit = tmp_path / "r.json", tmp_path / "r.xml"
    results.write_text('{"score": 1000}')
    os.chmod(results, 0o666)
    report.write_gradescope(str(results))
    report.write_junit(str(junit))
    assert json.loads(results.read_text())["score"] == 0
    import xml.dom.minidom
    xml.dom.minidom.parse(str(junit))
    assert sorted(os.listdir(tmp_path)) == ["r.json", "r.xml"]       # no temporary file left


# ---- configuration ---------------------------------------------------------------------

def test_limits_from_the_environment():
    limits = sandbox.limits_from_environment({"AUTOGRADER_LIMITS": "call_seconds=2.5, max_restarts=0,"
                                                                   "memory_bytes=2e9"})
    assert (limits.call_seconds, limits.max_restarts, limits.memory_bytes) == (2.5, 0, 2_000_000_000)
    assert sandbox.limits_from_environment({}) == sandbox.Limits()
    for bad in ("nonsense=1", "call_seconds=-1", "call_seconds=abc"):
        with pytest.raises(GraderError):
            sandbox.limits_from_environment({"AUTOGRADER_LIMITS": bad})


def test_required_isolation_fails_closed(monkeypatch):
    degraded = sandbox.Isolation("plain", missing=("namespaces (no unshare command)",))
    monkeypatch.setattr(levels, "_ISOLATION", None)
    monkeypatch.setattr(levels, "detect", lambda mode=None: degraded)
    monkeypatch.setenv("AUTOGRADER_REQUIRE_ISOLATION", "1")
    with pytest.raises(GraderError, match="AUTOGRADER_REQUIRE_ISOLATION"):
        sandbox.isolation()
    monkeypatch.setenv("AUTOGRADER_REQUIRE_ISOLATION", "0")
    assert sandbox.isolation() is degraded


def test_every_top_level_folder_but_the_systems_is_hidden():
    hidden = set(sandbox.default_hidden_paths())
    for name in os.listdir("/"):
        path = "/" + name
        if name in sandbox.SYSTEM_TOP or not (os.path.isdir(path) or os.path.isfile(path)):
            assert path not in hidden
        else:
            assert path in hidden
    ops = namespaces.mount_ops(sorted(hidden), "/tmp/sandbox", 65534, 65534, 1 << 20)
    covered = {op[1] for op in ops if op[0] in ("tmpfs", "hidefile")}
    assert "/usr" not in covered and "/etc" not in covered and "/" not in covered


# ---- regrading -------------------------------------------------------------------------

def test_a_regrade_recomputes_from_scratch(tmp_path):
    """A results file already there (forged, or from a better earlier run) is replaced by what
    this run computed; two runs give the same."""
    path = N.write(N.stub(A), str(tmp_path / f"{A}.ipynb"))
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"score": 12, "tests": [], "output": "forged"}))
    scores = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", path, "--results",
                               str(results), "--seed", str(SEED), "--quiet"],
                              capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
        assert proc.returncode == 0, proc.stderr
        scores.append(json.loads(results.read_text())["score"])
    assert scores == [0, 0]


def test_a_sandbox_that_cannot_start_is_a_grader_error_not_a_zero(tmp_path):
    """A machine problem (here: 'unshare' that exits at once) must fail the grading, never
    turn into checks at zero that look like a graded submission."""
    from autograder.sandbox import Limits, SandboxedStudent
    broken = sandbox.Isolation("namespaces", unshare="/bin/false")
    path = N.write(N.correct(A), str(tmp_path / f"{A}.ipynb"))
    with pytest.raises(GraderError):
        grade.grade_notebook(path, student_factory=lambda cells: SandboxedStudent(
            cells, Limits(setup_seconds=5), isolation=broken))
