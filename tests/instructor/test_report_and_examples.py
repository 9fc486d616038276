"""The instructor report from grade-all results; the sample class is up to date."""
import json
import subprocess
import sys

from autograder import instructor_report as ir

from .helpers import KIT_ROOT


def row(student, assignment, score, checks, status="graded", message="", notes=()):
    return {"student": student, "assignment": assignment, "score": score, "max_score": 4.0,
            "status": status, "message": message, "notes": list(notes), "seconds": 0.5,
            "checks": [{"group": g, "name": n, "title": n.replace("_", " "), "status": st,
                        "message": msg, "score": 0.0, "max_score": 1.0}
                       for g, n, st, msg in checks]}


ROWS = [
    row("ann", "ex28_1_sigmoid", 4.0, [("a", "t1", "passed", ""), ("a", "t2", "passed", "")]),
    row("bob", "ex28_1_sigmoid", 2.0, [("a", "t1", "passed", ""),
                                       ("a", "t2", "failed", "f(1.5): expected 2.25, got 3.0")]),
    row("cat", "ex28_1_sigmoid", 2.0, [("a", "t1", "passed", ""),
                                       ("a", "t2", "failed", "f(0.25): expected 0.0625, got 1.0")]),
    row("dan", "ex28_1_sigmoid", 0.0, [("a", "t1", "timed out", "did not finish within 10 s"),
                                       ("a", "t2", "timed out", "did not finish within 10 s")]),
    row("eve", "ex28_1_sigmoid", 0.0, [("a", "a", "unreadable notebook", "not valid JSON")],
        status="unreadable notebook", message="the notebook is not valid JSON"),
    row("ann", "ex28_3_manual_backward", 4.0, [("b", "t3", "passed", "")]),
]


def test_analysis_folds_numbers_and_lists_the_problems():
    a = ir.analyse(ROWS)
    assert a["order"] == ["ex28_1_sigmoid", "ex28_3_manual_backward"]
    (key, entry), *_ = a["failures"]
    assert key[:2] == ("ex28_1_sigmoid", "failed")                             # one mistake
    assert entry["submissions"] == {"bob", "cat"} and entry["checks"] == {"a: t2"}
    stats = {s["title"]: (s["passed"], s["total"]) for s in a["checks"]["ex28_1_sigmoid"]}
    assert stats == {"t1": (3, 4), "t2": (1, 4)}             # the unreadable one checks nothing
    assert [(p["student"], p["status"]) for p in a["problems"]] == [("dan", "timed out"),
                                                                    ("eve", "unreadable notebook")]


def test_the_page_is_self_contained(tmp_path):
    (tmp_path / "reports.json").write_text(json.dumps({"source": "grade-all", "rows": ROWS}))
    path = ir.write_report(str(tmp_path), str(tmp_path / "r.html"))
    html = open(path).read()
    assert html.count("data:image/png;base64,") == 3         # distributions + 2 assignments
    assert "<script" not in html and "http://" not in html and "https://" not in html
    for text in ("Score distributions", "Pass rate of every check", "Most common failure messages",
                 "Submissions that need a look", "Every grade", "f(1.5): expected 2.25, got 3.0"):
        assert text in html


def test_an_export_csv_gives_scores_only(tmp_path):
    csv = tmp_path / "grades.csv"
    csv.write_text("assignment,duedate,timestamp,student_id,last_name,first_name,email,raw_score,"
                   "late_submission_penalty,score,max_score\n"
                   "ex28_1_sigmoid,,2026-01-01 00:00:00,ann,,,,12.0,0.0,12.0,12.0\n"
                   "ex28_1_sigmoid,,,bob,,,,0.0,0.0,0.0,12.0\n")
    rows, description = ir.load_rows(str(csv))
    assert [(r["student"], r["status"]) for r in rows] == [("ann", "graded"), ("bob", "no submission")]
    assert "export" in description
    assert "scores only" in ir.render(rows, description)


def test_the_committed_sample_class_is_up_to_date():
    proc = subprocess.run([sys.executable, "-m", "examples.make_examples", "--check"], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
