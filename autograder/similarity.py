"""Which students handed in the same code: ``python -m autograder similarity SUBMISSIONS``.

Per assignment, every pair of students is compared on the code each of them
wrote: their solution cells (matched by grade id, as the grader runs them) and
the code cells they added, with comments, docstrings and blank lines stripped
and every line that also appears in the release notebook's code removed (the
def lines and docstrings of the stubs, the given engine, the visible tests).

Fingerprints come from ``copydetect`` (winnowing, as MOSS does): its tokenizer
(pygments) replaces every variable, attribute and argument name by one symbol,
function names by another and class names by a third, and drops comments and
whitespace, so renaming variables, reordering functions or rewording comments
hides nothing.  Fingerprints are computed in memory (``CodeFingerprint(fp=...)``),
never through files.  The release notebook's fingerprints, of each code cell and
of all of them in a row, are boilerplate: removed from every student's before
comparing, so code that came with the assignment never makes a pair similar.

A pair's similarity is the larger of the two fractions copydetect gives (how
much of A's fingerprinted code is shared with B, and of B's with A): a student
who copied all of a classmate's work and added a little of their own is still
near 1.  Pairs at or above the threshold are flagged; the instructor report
shows them side by side with the shared parts highlighted.

Nothing here runs a student's code, and nothing leaves the machine.  A notebook
that cannot be read is listed as skipped, with the reason; the run goes on.
"""
import csv
import io
import os
import tokenize
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import combinations

from . import submission as sub
from .batch import discover
from .errors import GraderError, UnreadableNotebook
from .suites import ASSIGNMENTS

DEFAULT_THRESHOLD = 0.6
NOISE = 25         # copydetect's k: shared runs shorter than this (normalised characters) are noise
WINDOW = 1         # every k-gram is a fingerprint (copydetect's default): results do not
#                    depend on the process's string hashing
CSV_COLUMNS = ["assignment", "student_a", "student_b", "similarity", "flagged"]


# ---- the code a student wrote ----

def strip_code(source):
    """``source`` without comments, docstrings (a string that is a statement on its own)
    or blank lines.  Code that cannot be tokenized loses only its ``#`` lines."""
    lines = source.splitlines()
    drop, cut = set(), {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        return "\n".join(line for line in lines if line.strip() and not line.lstrip().startswith("#"))
    starts_statement = True
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            cut[row] = min(col, cut.get(row, col))
        elif tok.type == tokenize.STRING and starts_statement:
            after = next((t for t in tokens[i + 1:] if t.type not in (tokenize.COMMENT, tokenize.NL)),
                         None)
            if after is None or after.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                drop.update(range(tok.start[0], tok.end[0] + 1))
        if tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            starts_statement = tok.type == tokenize.NEWLINE or (tok.type == tokenize.OP
                                                                and tok.string == ";")
    kept = []
    for row, line in enumerate(lines, start=1):
        if row in drop:
            continue
        line = line[:cut[row]].rstrip() if row in cut else line.rstrip()
        if line.strip():
            kept.append(line)
    return "\n".join(kept)


def release_code(assignment):
    """The release notebook's code cells, each stripped (what every student was given)."""
    release = sub.trusted_notebook(assignment, "release")
    return [strip_code(sub.cell_source(c)) for c in release["cells"]
            if isinstance(c, dict) and c.get("cell_type") == "code"]


def own_lines(assignment, notebook, given_lines):
    """The code one student wrote for ``assignment`` (solution and added cells, stripped),
    as (line, given) pairs: ``given`` marks a line that appears in the release notebook
    (``given_lines``); those are shown but never compared."""
    cells = [c["source"] for c in sub.assemble(assignment, notebook) if c["student"]]
    return [(line, line.strip() in given_lines) for line in strip_code("\n".join(cells)).splitlines()]


def compared_text(lines):
    """What is fingerprinted: the lines the student wrote that were not given."""
    return "\n".join(line for line, given in lines if not given)


def shared_by_line(lines, slices):
    """[[line, given, [[start, end], ...]], ...]: ``slices`` (character ranges of
    `compared_text`) as ranges within each displayed line."""
    out, offset = [], 0
    for line, given in lines:
        ranges = []
        if not given:
            end = offset + len(line)
            for s, e in slices:
                if s < end and e > offset:
                    ranges.append([max(s, offset) - offset, min(e, end) - offset])
            offset = end + 1
        out.append([line, given, ranges])
    return out


# ---- fingerprints ----

def fingerprint(code, boilerplate=()):
    """copydetect's fingerprint of ``code`` (Python, identifiers normalised), minus ``boilerplate``."""
    import numpy as np
    from copydetect import CodeFingerprint
    return CodeFingerprint("submission.py", NOISE, WINDOW, np.asarray(sorted(boilerplate), dtype=np.int64),
                           language="python", fp=io.StringIO(code))


def boilerplate_of(given):
    """The fingerprints of the release's code: of each cell, and of all of them in a row."""
    hashes = set()
    for text in [*given, "\n".join(given)]:
        hashes |= fingerprint(text).hashes
    return hashes


def compare(a, b):
    """(similarity, fraction of a shared, fraction of b shared, slices in a, slices in b)."""
    from copydetect import compare_files
    if not a.hashes & b.hashes:
        return 0.0, 0.0, 0.0, [], []
    _, (share_a, share_b), (slices_a, slices_b) = compare_files(a, b)
    share_a, share_b = float(min(share_a, 1.0)), float(min(share_b, 1.0))
    return (max(share_a, share_b), share_a, share_b,
            [list(map(int, s)) for s in zip(*slices_a)], [list(map(int, s)) for s in zip(*slices_b)])


# ---- one assignment, one class ----

@dataclass
class Flagged:
    """A pair at or above the threshold, with the two codes and the shared parts (character
    ranges of each code)."""

    assignment: str
    student_a: str
    student_b: str
    similarity: float
    share_a: float
    share_b: float
    lines_a: list      # [[line, given, [[start, end], ...]], ...] (see `shared_by_line`)
    lines_b: list


@dataclass
class Result:
    """Every compared pair, the flagged ones in full, and the notebooks that were skipped."""

    threshold: float
    pairs: list = field(default_factory=list)        # (assignment, student_a, student_b, similarity)
    flagged: list = field(default_factory=list)      # Flagged, highest first
    skipped: list = field(default_factory=list)      # {student, assignment, path, reason}
    students: dict = field(default_factory=dict)     # assignment -> students compared

    def to_dict(self):
        return {"threshold": self.threshold, "pairs": [list(p) for p in self.pairs],
                "flagged": [asdict(f) for f in self.flagged], "skipped": self.skipped,
                "students": self.students}

    def summary_rows(self):
        """Per assignment: students compared, pairs, flagged, highest similarity."""
        rows = []
        for assignment in sorted(self.students, key=_assignment_order):
            scores = [p[3] for p in self.pairs if p[0] == assignment]
            rows.append({"assignment": assignment, "students": self.students[assignment],
                         "pairs": len(scores), "flagged": sum(s >= self.threshold for s in scores),
                         "highest": max(scores, default=0.0)})
        return rows


def _assignment_order(assignment):
    return (ASSIGNMENTS.index(assignment) if assignment in ASSIGNMENTS else len(ASSIGNMENTS), assignment)


def compare_assignment(assignment, students, threshold=DEFAULT_THRESHOLD):
    """Compare every pair of ``students`` ({student: notebook dict}) on ``assignment``;
    returns (pairs, flagged), flagged highest first."""
    given = release_code(assignment)
    given_lines = {line.strip() for text in given for line in text.splitlines()}
    boilerplate = boilerplate_of(given)
    lines = {name: own_lines(assignment, nb, given_lines) for name, nb in students.items()}
    prints = {name: fingerprint(compared_text(own), boilerplate) for name, own in lines.items()}
    pairs, flagged = [], []
    for a, b in combinations(sorted(students), 2):
        score, share_a, share_b, shared_a, shared_b = compare(prints[a], prints[b])
        score = round(score, 4)
        pairs.append((assignment, a, b, score))
        if score >= threshold:
            flagged.append(Flagged(assignment, a, b, score, round(share_a, 4), round(share_b, 4),
                                   shared_by_line(lines[a], shared_a),
                                   shared_by_line(lines[b], shared_b)))
    flagged.sort(key=lambda f: (-f.similarity, f.student_a, f.student_b))
    return pairs, flagged


def _read_group(assignment, submissions):
    """({student: notebook}, skipped) for the submissions of one assignment."""
    notebooks, skipped = {}, []
    for s in submissions:
        if s.student in notebooks:
            skipped.append(_skip(s, assignment, "another notebook of this student for this "
                                 "assignment was compared (the first found)"))
            continue
        try:
            notebooks[s.student] = sub.read_notebook(s.path)
        except UnreadableNotebook as exc:
            skipped.append(_skip(s, assignment, str(exc)))
    return notebooks, skipped


def _skip(s, assignment, reason):
    return {"student": s.student, "assignment": assignment or "?", "path": s.path, "reason": reason}


def _work(assignment, submissions, threshold):
    """One assignment in a worker process: plain data back."""
    notebooks, skipped = _read_group(assignment, submissions)
    try:
        pairs, flagged = compare_assignment(assignment, notebooks, threshold)
    except GraderError as exc:
        return [], [], [_skip(s, assignment, str(exc)) for s in submissions], 0
    return pairs, flagged, skipped, len(notebooks)


def group_by_assignment(submissions):
    """({assignment: [Submission]}, skipped): an assignment not told by the folder layout is
    read from the notebook (its file name, else its cells' grade ids)."""
    groups, skipped = {}, []
    for s in submissions:
        assignment = s.assignment
        if assignment is None:
            try:
                assignment = sub.infer_assignment(s.path, sub.read_notebook(s.path))
            except UnreadableNotebook as exc:
                skipped.append(_skip(s, None, str(exc)))
                continue
        groups.setdefault(assignment, []).append(s)
    return groups, skipped


def compare_class(submissions, threshold=DEFAULT_THRESHOLD, jobs=None):
    """Compare a class (a list of `batch.Submission`), one assignment per worker process."""
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0.0 <= threshold <= 1.0:
        raise GraderError(f"the similarity threshold must be between 0 and 1, got {threshold:g}")
    groups, skipped = group_by_assignment(submissions)
    result = Result(threshold, skipped=skipped)
    order = sorted(groups, key=_assignment_order)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(order) or 1))
    if jobs == 1:
        outcomes = [_work(a, groups[a], threshold) for a in order]
    else:
        import multiprocessing
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method)) as pool:
            outcomes = list(pool.map(_work, order, [groups[a] for a in order],
                                     [threshold] * len(order)))
    for assignment, (pairs, flagged, dropped, n) in zip(order, outcomes):
        result.pairs.extend(pairs)
        result.flagged.extend(flagged)
        result.skipped.extend(dropped)
        result.students[assignment] = n
    result.flagged.sort(key=lambda f: (-f.similarity, _assignment_order(f.assignment),
                                       f.student_a, f.student_b))
    return result


def similarity_of_folder(root, assignment=None, threshold=DEFAULT_THRESHOLD, jobs=None):
    """Discover the submissions under ``root`` as ``grade-all`` does, and compare them."""
    if not os.path.exists(root):
        raise GraderError(f"{root} does not exist: give nbgrader's submitted/ folder, a course "
                          "directory, a grade-all input folder or a folder of notebooks")
    if assignment is not None and assignment not in ASSIGNMENTS:
        raise GraderError(f"unknown assignment {assignment!r}: one of {', '.join(ASSIGNMENTS)}")
    submissions = discover(root, assignment)
    if not submissions:
        raise GraderError(f"no notebooks (.ipynb files) found under {root}")
    return compare_class(submissions, threshold, jobs)


def write_csv(result, path):
    """Every compared pair: assignment, student_a, student_b, similarity (0 to 1), flagged."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for assignment, a, b, score in result.pairs:
            writer.writerow([assignment, a, b, f"{score:.4f}",
                             "true" if score >= result.threshold else "false"])
    return path


def summary(result):
    """A text summary: per assignment, then the flagged pairs, then what was skipped."""
    lines = [f"{'assignment':<26}{'students':>9}{'pairs':>7}{'flagged':>9}{'highest':>9}"]
    for row in result.summary_rows():
        lines.append(f"{row['assignment']:<26}{row['students']:>9}{row['pairs']:>7}"
                     f"{row['flagged']:>9}{row['highest']:>9.2f}")
    lines.append("")
    if result.flagged:
        lines.append(f"pairs at or above the threshold {result.threshold:g} (a reason to look, "
                     "not a verdict):")
        for f in result.flagged:
            lines.append(f"  {f.assignment}: {f.student_a} ~ {f.student_b}  {f.similarity:.2f}")
    else:
        lines.append(f"no pair at or above the threshold {result.threshold:g}")
    if result.skipped:
        lines.append("")
        lines.append("skipped:")
        for s in result.skipped:
            lines.append(f"  {s['student']}/{s['assignment']}: {s['reason']}")
    return "\n".join(lines)
