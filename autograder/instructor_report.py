"""The instructor report: one self-contained HTML page about a graded class.

``python -m autograder report SOURCE -o report.html`` where SOURCE is

* a ``grade-all`` output folder (its ``reports.json``),
* an nbgrader course directory: scores from its gradebook (automatic and
  manual), checks from the autograded notebooks (the kit writes each report
  into the notebook's metadata), or
* an nbgrader ``export`` CSV (scores only).

The page shows, per assignment, the score distribution, the pass rate of every
check, the most common failure messages (numbers folded, so that the same
mistake on different random inputs counts once), and the submissions that timed
out, crashed or could not be read.  Plots are matplotlib PNGs embedded as data
URIs: the file can be mailed or archived as is.

When the submitted notebooks can be found (a course directory's ``submitted/``,
the notebooks a ``grade-all`` run graded, or ``--submissions DIR``), the page
ends with the pairs of students whose code is similar (`autograder.similarity`),
side by side with the shared parts highlighted.
"""
import base64
import csv
import datetime
import html
import io
import json
import os
import re
import statistics
import subprocess
from collections import defaultdict

from .batch import PROBLEM_STATUSES, row_status
from .suites import ASSIGNMENTS

PASS, PARTIAL, FAIL = "#2e7d32", "#f9a825", "#c62828"
INK, MUTED, ACCENT = "#1f2933", "#6b7785", "#3558a8"


# ---- loading: three sources, one list of rows ----

def load_rows(source):
    """(rows, description): one dict per submission with student, assignment, score,
    max_score, status, message, seconds, checks, and pending_manual when known."""
    if os.path.isdir(source) and os.path.exists(os.path.join(source, "reports.json")):
        source = os.path.join(source, "reports.json")
    if os.path.isfile(source) and source.endswith(".json"):
        with open(source, encoding="utf-8") as f:
            data = json.load(f)
        return data["rows"], f"grade-all results ({os.path.abspath(source)})"
    if os.path.isfile(source) and source.endswith(".csv"):
        return _rows_from_export(source), f"nbgrader export ({os.path.abspath(source)})"
    if os.path.isdir(source):
        return _rows_from_gradebook(source), f"nbgrader gradebook of {os.path.abspath(source)}"
    raise FileNotFoundError(f"{source}: expected a grade-all folder, reports.json, an nbgrader "
                            "course directory or an nbgrader export CSV")


def _rows_from_export(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            submitted = bool(rec.get("timestamp")) and rec.get("timestamp") != "None"
            rows.append({"student": rec["student_id"], "assignment": rec["assignment"],
                         "score": float(rec["score"] or 0), "max_score": float(rec["max_score"] or 0),
                         "status": "graded" if submitted else "no submission", "message": "",
                         "checks": []})
    return rows


def course_db_url(course):
    """The gradebook of a course directory: from its nbgrader_config.py, else ./gradebook.db."""
    config = os.path.join(course, "nbgrader_config.py")
    if os.path.exists(config):
        try:
            from traitlets.config.loader import PyFileConfigLoader
            cfg = PyFileConfigLoader("nbgrader_config.py", path=course).load_config()
            url = cfg.CourseDirectory.get("db_url")
            if url:
                return url
        except Exception:  # noqa: BLE001 - fall back to the default location
            pass
    return "sqlite:///" + os.path.join(os.path.abspath(course), "gradebook.db")


def _rows_from_gradebook(course):
    from nbgrader.api import Gradebook, MissingEntry
    rows = []
    with Gradebook(course_db_url(course)) as gb:
        for assignment in gb.assignments:
            for student in gb.students:
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                except MissingEntry:
                    rows.append({"student": student.id, "assignment": assignment.name, "score": 0.0,
                                 "max_score": assignment.max_score, "status": "no submission",
                                 "message": "", "checks": []})
                    continue
                # automatic points are the code cells' (the kit's test cells); the
                # written answers are graded by a person in formgrader
                row = {"student": student.id, "assignment": assignment.name,
                       "score": float(sub.code_score), "max_score": float(sub.max_code_score),
                       "written_score": float(sub.written_score),
                       "max_written": float(sub.max_written_score), "status": "graded",
                       "message": "", "checks": [], "notes": [], "pending_manual": 0}
                for nb in sub.notebooks:
                    row["pending_manual"] += sum(1 for g in nb.grades
                                                 if g.needs_manual_grade and g.max_score > 0)
                    path = os.path.join(course, "autograded", student.id, assignment.name,
                                        f"{nb.name}.ipynb")
                    report = _kit_report(path)
                    if report:
                        row.update(status=report.get("status", "graded"),
                                   message=report.get("message", ""),
                                   seconds=report.get("seconds", 0.0),
                                   checks=report.get("checks", []), notes=report.get("notes", []))
                rows.append(row)
    return rows


def _kit_report(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f).get("metadata", {}).get("kit", {}).get("report")
    except (OSError, ValueError):
        return None


# ---- analysis ----

def _fold(message):
    """A failure message with its numbers folded, so that random inputs do not split a mistake."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", first)
    return first[:220]


def analyse(rows):
    """Everything the page shows, computed once."""
    by_assignment = defaultdict(list)
    for row in rows:
        by_assignment[row.get("assignment") or "?"].append(row)
    order = [a for a in ASSIGNMENTS if a in by_assignment] + sorted(
        a for a in by_assignment if a not in ASSIGNMENTS)
    summary, checks, failures, problems = [], {}, {}, []
    examples = {}
    for assignment in order:
        group = by_assignment[assignment]
        submitted = [r for r in group if r.get("status") != "no submission"]
        scores = [float(r.get("score", 0)) for r in submitted]
        top = max((float(r.get("max_score", 0)) for r in group), default=0.0)
        summary.append({
            "assignment": assignment, "n": len(submitted), "missing": len(group) - len(submitted),
            "mean": statistics.mean(scores) if scores else 0.0,
            "median": statistics.median(scores) if scores else 0.0,
            "min": min(scores) if scores else 0.0, "max_seen": max(scores) if scores else 0.0,
            "max": top, "full": sum(1 for s in scores if top and abs(s - top) < 1e-6),
            "problems": sum(1 for r in submitted if row_status(r)[0] in PROBLEM_STATUSES),
            "pending": sum(r.get("pending_manual", 0) or 0 for r in submitted),
            "scores": scores,
        })
        stats = {}
        for row in submitted:
            if row.get("status", "graded") != "graded":
                continue                       # nothing was checked: no check-level results
            for c in row.get("checks", []):
                key = (c["group"], c.get("name", c["title"]))
                s = stats.setdefault(key, {"group": c["group"], "title": c["title"], "passed": 0,
                                           "total": 0})
                s["total"] += 1
                s["passed"] += c["status"] == "passed"
                if c["status"] != "passed":
                    fkey = (assignment, c["status"], _fold(c.get("message", "")))
                    entry = failures.setdefault(fkey, {"submissions": set(), "checks": set()})
                    entry["submissions"].add(row["student"])
                    entry["checks"].add(f"{c['group']}: {c['title']}")
                    examples.setdefault(fkey, c.get("message", ""))
        checks[assignment] = list(stats.values())
        for row in submitted:
            status, message = row_status(row)
            if status in PROBLEM_STATUSES:
                problems.append({"student": row["student"], "assignment": assignment,
                                 "status": status, "message": message})
    ranked = sorted(failures.items(), key=lambda kv: (-len(kv[1]["submissions"]),
                                                      -len(kv[1]["checks"]), kv[0]))
    return {"order": order, "summary": summary, "checks": checks, "failures": ranked,
            "examples": examples, "problems": problems, "rows": rows}


# ---- plots ----

def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _style(ax):
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#b8c0ca")
    ax.spines["bottom"].set_color("#b8c0ca")
    ax.tick_params(colors=MUTED, labelsize=8)


def plot_distributions(analysis):
    """Small multiples: one histogram of scores per assignment."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    items = [s for s in analysis["summary"] if s["n"]]
    if not items:
        return None
    cols = min(3, len(items))
    rows = (len(items) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.5 * rows), squeeze=False)
    for ax in axes.flat[len(items):]:
        ax.axis("off")
    for ax, s in zip(axes.flat, items):
        top = s["max"] or 1.0
        bins = [top * i / 10 for i in range(11)]
        values = [min(v, top) for v in s["scores"]]
        counts, edges, patches = ax.hist(values, bins=bins, color=ACCENT, edgecolor="white")
        for patch, left in zip(patches, edges[:-1]):
            frac = (left + top / 20) / top
            patch.set_facecolor(PASS if frac >= 0.9 else PARTIAL if frac >= 0.5 else FAIL)
        ax.axvline(s["median"], color=INK, lw=1, ls="--")
        ax.set_title(f"{s['assignment']}  (n={s['n']}, median {s['median']:.3g}/{top:g})",
                     fontsize=9, color=INK, loc="left")
        ax.set_xlim(0, top)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("score", fontsize=8, color=MUTED)
        _style(ax)
    fig.tight_layout()
    return _png(fig)


def plot_checks(assignment, stats):
    """Pass rate of every check of one assignment, as horizontal bars."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if not stats:
        return None
    height = 0.32 * len(stats) + 0.8
    fig, ax = plt.subplots(figsize=(8.5, height))
    labels, rates, colors = [], [], []
    for s in stats:
        rate = s["passed"] / s["total"] if s["total"] else 0.0
        title = s["title"] if len(s["title"]) <= 70 else s["title"][:67] + "..."
        labels.append(f"{s['group']}: {title}")
        rates.append(rate * 100)
        colors.append(PASS if rate >= 0.8 else PARTIAL if rate >= 0.5 else FAIL)
    ys = list(range(len(stats)))[::-1]
    ax.barh(ys, [100] * len(ys), color="#eef1f5", height=0.7)
    ax.barh(ys, rates, color=colors, height=0.7)
    for y, rate, s in zip(ys, rates, stats):
        ax.text(min(rate, 100) + 1, y, f"{rate:.0f}%  ({s['passed']}/{s['total']})", va="center",
                fontsize=7.5, color=INK)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=7.5, color=INK)
    ax.set_xlim(0, 118)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("submissions passing (%)", fontsize=8, color=MUTED)
    _style(ax)
    fig.tight_layout()
    return _png(fig)


# ---- the page ----

CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2933;
margin:0;background:#f6f7f9;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:28px 32px 60px;background:#fff;min-height:100vh}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;border-bottom:1px solid #e3e7ec;
padding-bottom:6px}h3{font-size:15px;margin:22px 0 6px}
.sub{color:#6b7785;font-size:13px}
.cards{display:flex;gap:14px;flex-wrap:wrap;margin:18px 0 6px}
.card{flex:1;min-width:150px;border:1px solid #e3e7ec;border-radius:8px;padding:12px 14px}
.card b{display:block;font-size:24px}.card span{color:#6b7785;font-size:12px}
.card.bad b{color:#c62828}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}
th{text-align:left;color:#6b7785;font-weight:600;border-bottom:2px solid #e3e7ec;padding:6px 8px}
td{border-bottom:1px solid #eef1f5;padding:5px 8px;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pill{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;color:#fff}
.grid td{text-align:center;font-variant-numeric:tabular-nums}
.msg{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;
color:#37424d}
img{max-width:100%}
.note{color:#6b7785;font-size:12px}
.pair{display:flex;gap:10px;margin:6px 0 18px}
.pair>div{flex:1;min-width:0}
.pair pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px;line-height:1.35;
background:#fafbfc;border:1px solid #e3e7ec;border-radius:6px;padding:8px;margin:4px 0 0;
overflow:auto;max-height:520px}
.pair pre span.given{color:#a3acb6}
mark{background:#ffe08a;color:inherit;padding:0}
"""


def _esc(text):
    return html.escape(str(text))


def _pill(status):
    color = {"graded": PASS, "passed": PASS, "no submission": MUTED}.get(status, FAIL)
    return f'<span class="pill" style="background:{color}">{_esc(status)}</span>'


def _shade(score, top):
    if not top:
        return "#fff"
    frac = max(0.0, min(1.0, score / top))
    if frac >= 0.999:
        return "#d7eed9"
    if frac >= 0.5:
        return "#fdf0c8"
    return "#f8d7d5"


def render(rows, source_description, title="Chapter 28 (automatic differentiation): grading report",
           similarity=None):
    """The HTML page (a string) for ``rows``; ``similarity`` is `class_similarity`'s answer."""
    a = analyse(rows)
    submitted = [r for r in rows if r.get("status") != "no submission"]
    students = sorted({r["student"] for r in rows})
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{_esc(title)}</title>"
             f"<style>{CSS}</style></head><body><main>",
             f"<h1>{_esc(title)}</h1>",
             f"<div class='sub'>{_esc(source_description)} &middot; generated {now}</div>"]
    total_checks = sum(len(r.get("checks", [])) for r in submitted)
    passed_checks = sum(c["status"] == "passed" for r in submitted for c in r.get("checks", []))
    pending = sum(r.get("pending_manual", 0) or 0 for r in submitted)
    cards = [(len(students), "students"), (len(submitted), "submissions graded"),
             (f"{100 * passed_checks / total_checks:.0f}%" if total_checks else "-", "of all checks passed"),
             (len(a["problems"]), "timed out, crashed or unreadable")]
    if any("pending_manual" in r for r in rows):
        cards.append((pending, "written answers waiting for a person"))
    parts.append("<div class='cards'>" + "".join(
        f"<div class='card{' bad' if label.startswith('timed') and value else ''}'><b>{_esc(value)}</b>"
        f"<span>{_esc(label)}</span></div>" for value, label in cards) + "</div>")

    # per assignment
    parts.append("<h2>Assignments</h2><table><tr><th>assignment</th><th class='num'>graded</th>"
                 "<th class='num'>mean</th><th class='num'>median</th><th class='num'>min</th>"
                 "<th class='num'>max points</th><th class='num'>full marks</th>"
                 "<th class='num'>problems</th>"
                 + ("<th class='num'>manual pending</th>" if pending else "") + "</tr>")
    for s in a["summary"]:
        parts.append(f"<tr><td>{_esc(s['assignment'])}</td><td class='num'>{s['n']}"
                     + (f" <span class='note'>(+{s['missing']} missing)</span>" if s["missing"] else "")
                     + f"</td><td class='num'>{s['mean']:.2f}</td><td class='num'>{s['median']:.2f}</td>"
                     f"<td class='num'>{s['min']:.2f}</td><td class='num'>{s['max']:g}</td>"
                     f"<td class='num'>{s['full']}</td><td class='num'>{s['problems']}</td>"
                     + (f"<td class='num'>{s['pending']}</td>" if pending else "") + "</tr>")
    parts.append("</table>")

    dist = plot_distributions(a)
    if dist:
        parts.append("<h2>Score distributions</h2>"
                     "<p class='note'>Bars: green at 90% or more of the points, amber from 50%, red "
                     "below; dashed line: the median.</p>"
                     f"<img alt='score distributions' src='{dist}'>")

    # problems
    parts.append("<h2>Submissions that need a look</h2>")
    if a["problems"]:
        parts.append("<table><tr><th>student</th><th>assignment</th><th>status</th><th>message</th></tr>")
        for p in a["problems"]:
            parts.append(f"<tr><td>{_esc(p['student'])}</td><td>{_esc(p['assignment'])}</td>"
                         f"<td>{_pill(p['status'])}</td><td class='msg'>{_esc(p['message'][:400])}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>None: every submission ran to the end.</p>")

    # checks
    parts.append("<h2>Pass rate of every check</h2>")
    any_checks = False
    for assignment in a["order"]:
        img = plot_checks(assignment, a["checks"].get(assignment, []))
        if img:
            any_checks = True
            parts.append(f"<h3>{_esc(assignment)}</h3><img alt='checks of {_esc(assignment)}' src='{img}'>")
    if not any_checks:
        parts.append("<p class='note'>No check-level results in this source (an export CSV has "
                     "scores only).</p>")

    # failures
    parts.append("<h2>Most common failure messages</h2>"
                 "<p class='note'>Numbers are folded (#) so that one mistake met on different "
                 "random inputs counts once; one full example is shown, with the checks it failed.</p>")
    common = a["failures"][:15]
    if common:
        parts.append("<table><tr><th class='num'>submissions</th><th>assignment / checks</th>"
                     "<th>status</th><th>example message</th></tr>")
        for (assignment, status, _), entry in common:
            example = a["examples"][(assignment, status, _)].strip().splitlines()
            example = "\n".join(example[:4])[:500]
            names = sorted(entry["checks"])
            shown = "<br>".join(_esc(n if len(n) <= 90 else n[:87] + "...") for n in names[:3])
            more = f"<br>and {len(names) - 3} more" if len(names) > 3 else ""
            parts.append(f"<tr><td class='num'>{len(entry['submissions'])}</td><td>{_esc(assignment)}"
                         f" <span class='note'>({len(names)} check{'s' if len(names) > 1 else ''})"
                         f"</span><br><span class='note'>{shown}{more}</span></td>"
                         f"<td>{_pill(status)}</td><td class='msg'>{_esc(example)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No failures.</p>")

    # the grade grid
    parts.append("<h2>Every grade</h2><table class='grid'><tr><th>student</th>"
                 + "".join(f"<th>{_esc(x.replace('_', ' '))}</th>" for x in a["order"])
                 + "<th>total</th></tr>")
    cell = {(r["student"], r.get("assignment")): r for r in rows}
    tops = {s["assignment"]: s["max"] for s in a["summary"]}
    for student in students:
        total = 0.0
        tds = []
        for assignment in a["order"]:
            r = cell.get((student, assignment))
            if r is None or r.get("status") == "no submission":
                tds.append("<td class='note'>-</td>")
                continue
            total += float(r.get("score", 0))
            status = row_status(r)[0]
            mark = "" if status == "graded" else f"<br><span class='note'>{_esc(status)}</span>"
            tds.append(f"<td style='background:{_shade(float(r.get('score', 0)), tops[assignment])}'>"
                       f"{float(r.get('score', 0)):.3g}{mark}</td>")
        parts.append(f"<tr><td style='text-align:left'>{_esc(student)}</td>{''.join(tds)}"
                     f"<td><b>{total:.4g}</b></td></tr>")
    parts.append("</table>")
    if similarity is not None:
        parts.extend(similarity_section(*similarity))
    parts.append("</main></body></html>")
    return "\n".join(parts)


# ---- similar code ----

def class_similarity(source, rows, submissions=None, threshold=None):
    """(similarity result or None, a note): the class's notebooks compared pairwise.

    The notebooks are ``submissions`` (a folder, found as grade-all finds them), else a
    course directory's ``submitted/``, else the ones the rows were graded from."""
    from . import similarity
    from .batch import Submission, discover
    if submissions:
        found = discover(submissions)
        where = os.path.abspath(submissions)
    elif os.path.isdir(source) and os.path.isdir(os.path.join(source, "submitted")):
        found = discover(os.path.join(source, "submitted"))
        where = os.path.abspath(os.path.join(source, "submitted"))
    else:
        found = [Submission(r["student"], r.get("assignment"), r["submission"])
                 for r in rows if r.get("submission")]
        where = "the notebooks graded"
    if not found:
        return None, ("Not computed: no submitted notebooks were found; pass --submissions DIR "
                      "(nbgrader's submitted/ or the folder given to grade-all).")
    return similarity.compare_class(found, threshold), f"Notebooks compared: {where}."


def _code_html(lines):
    """A student's code, given lines greyed, shared ranges marked."""
    out = []
    for text, given, ranges in lines:
        if given:
            out.append(f"<span class='given'>{_esc(text)}</span>")
            continue
        html_line, last = "", 0
        for start, end in ranges:
            html_line += _esc(text[last:start]) + f"<mark>{_esc(text[start:end])}</mark>"
            last = end
        out.append(html_line + _esc(text[last:]))
    return "\n".join(out)


def similarity_section(result, note):
    """The HTML of the similarity section: per assignment, then each flagged pair side by side."""
    from .similarity import DEFAULT_THRESHOLD, SHOWN
    parts = ["<h2 id='similarity'>Similar code</h2>"]
    if result is None:
        return parts + [f"<p class='note'>{_esc(note)}</p>"]
    parts.append(
        f"<p>Every pair of students is compared per assignment on the code they wrote (solution "
        f"cells and cells they added; comments, docstrings, blank lines and the code that came "
        f"with the assignment left out; names of variables and functions do not count). A pair is "
        f"flagged when one of the two has at least <b>{result.threshold:g}</b> of their code in "
        f"common with the other (default {DEFAULT_THRESHOLD:g}; <code>--threshold</code> changes "
        f"it). Similar code is a reason to look, not a verdict: short exercises have few ways to "
        f"be written. Nothing was sent anywhere.</p><p class='note'>{_esc(note)}</p>")
    parts.append("<table><tr><th>assignment</th><th class='num'>students</th><th class='num'>pairs"
                 "</th><th class='num'>flagged</th><th class='num'>highest similarity</th></tr>")
    for row in result.summary_rows():
        parts.append(f"<tr><td>{_esc(row['assignment'])}</td><td class='num'>{row['students']}</td>"
                     f"<td class='num'>{row['pairs']}</td><td class='num'>{row['flagged']}</td>"
                     f"<td class='num'>{row['highest']:.2f}</td></tr>")
    parts.append("</table>")
    if result.skipped:
        parts.append("<h3>Not compared</h3><table><tr><th>student</th><th>assignment</th>"
                     "<th>why</th></tr>")
        for s in result.skipped:
            parts.append(f"<tr><td>{_esc(s['student'])}</td><td>{_esc(s['assignment'])}</td>"
                         f"<td class='msg'>{_esc(s['reason'][:300])}</td></tr>")
        parts.append("</table>")
    if not result.flagged:
        parts.append(f"<p>No pair at or above {result.threshold:g}.</p>")
        return parts
    parts.append("<h3>Flagged pairs</h3><p class='note'>Highlighted: the code the two have in "
                 "common (after names are set aside); grey: lines that came with the assignment, "
                 "never compared. Comments and docstrings are not shown.</p>")
    for f in (f for f in result.flagged if f.lines_a is not None):
        parts.append(
            f"<h3>{_esc(f.assignment)}: {_esc(f.student_a)} and {_esc(f.student_b)}, similarity "
            f"{f.similarity:.2f}</h3><div class='pair'>"
            f"<div><b>{_esc(f.student_a)}</b> <span class='note'>{f.share_a:.0%} of their code shared"
            f"</span><pre>{_code_html(f.lines_a)}</pre></div>"
            f"<div><b>{_esc(f.student_b)}</b> <span class='note'>{f.share_b:.0%} of their code shared"
            f"</span><pre>{_code_html(f.lines_b)}</pre></div></div>")
    rest = [f for f in result.flagged if f.lines_a is None]
    if rest:
        parts.append(f"<h3>{len(rest)} more flagged pairs</h3><p class='note'>Below the "
                     f"{SHOWN} highest of their assignment; <code>python -m autograder similarity "
                     f"--assignment ID -o FILE.html --threshold T</code> with a higher T shows "
                     f"them side by side.</p><table><tr><th>assignment</th><th>student</th>"
                     f"<th>student</th><th class='num'>similarity</th></tr>")
        parts.extend(f"<tr><td>{_esc(f.assignment)}</td><td>{_esc(f.student_a)}</td>"
                     f"<td>{_esc(f.student_b)}</td><td class='num'>{f.similarity:.2f}</td></tr>"
                     for f in rest)
        parts.append("</table>")
    return parts


def write_similarity_page(result, output, source):
    """The similarity section alone, as one HTML file; returns the path."""
    title = "Chapter 28 (automatic differentiation): similar code"
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    page = "\n".join([f"<!doctype html><html><head><meta charset='utf-8'><title>{_esc(title)}"
                      f"</title><style>{CSS}</style></head><body><main><h1>{_esc(title)}</h1>",
                      f"<div class='sub'>{_esc(os.path.abspath(source))} &middot; generated {now}"
                      "</div>",
                      *similarity_section(result, f"Notebooks compared: {os.path.abspath(source)}."),
                      "</main></body></html>"])
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w", encoding="utf-8") as f:
        f.write(page)
    return output


def write_report(source, output="report.html", png=None, submissions=None, threshold=None,
                 similarity=None):
    """Write the report of ``source`` to ``output`` (and a PNG screenshot if asked); return the path.

    The similarity section compares the notebooks under ``submissions`` (default: found
    from ``source``) and flags pairs at ``threshold`` (default: the similarity module's),
    unless ``similarity`` is a `class_similarity` answer computed already."""
    rows, description = load_rows(source)
    if similarity is None:
        similarity = class_similarity(source, rows, submissions, threshold)
    page = render(rows, description, similarity=similarity)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w", encoding="utf-8") as f:
        f.write(page)
    if png:
        screenshot(output, png)
    return output


def screenshot(html_path, png_path, width=1200, height=None):
    """Render the page with headless chromium, if there is one; returns whether it did."""
    import shutil
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        return False
    height = height or 6000
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={os.path.abspath(png_path)}",
                    "file://" + os.path.abspath(html_path)], capture_output=True, timeout=120)
    return os.path.exists(png_path)
