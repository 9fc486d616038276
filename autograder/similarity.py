"""Which students handed in the same code: ``python -m autograder similarity SUBMISSIONS``.

Per assignment, every pair of students is compared on the code each of them
wrote: their solution cells (matched by grade id, as the grader runs them) and
the code cells they added, with comments, docstrings and blank lines stripped,
and every line that also appears in the release notebook's code, names aside
(the def lines of the stubs, the given engine, the visible tests), set apart:
shown in the report, never compared.

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
import builtins
import csv
import io
import keyword
import os
import re
import tokenize
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

from . import submission as sub
from .batch import discover
from .errors import GraderError, UnreadableNotebook
from .suites import ASSIGNMENTS

DEFAULT_THRESHOLD = 0.7
NOISE = 25         # copydetect's k: shared runs shorter than this (normalised characters) are noise
WINDOW = 1         # every k-gram is a fingerprint (copydetect's default): results do not
#                    depend on the process's string hashing
SHOWN = 25         # flagged pairs per assignment shown side by side (the highest); the rest listed
PRINTED = 40       # flagged pairs printed by the command (the highest); all are in --csv and -o
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


_NAME = re.compile(r"\b[A-Za-z_]\w*\b")
_KEPT = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self"}


@lru_cache(maxsize=65536)
def normalised(line):
    """A line with every name other than keywords, builtins and ``self`` replaced by one
    symbol, and no spaces: two lines that differ only by names are the same line."""
    return "".join(_NAME.sub(lambda m: m.group() if m.group() in _KEPT else "V", line).split())


def release_code(assignment):
    """The release notebook's code cells, each stripped (what every student was given)."""
    release = sub.trusted_notebook(assignment, "release")
    return [strip_code(sub.cell_source(c)) for c in release["cells"]
            if isinstance(c, dict) and c.get("cell_type") == "code"]


def own_lines(assignment, notebook, given_lines):
    """The code one student wrote for ``assignment`` (solution and added cells, stripped),
    as (line, given) pairs: ``given`` marks a line that appears in the release notebook, up
    to names (its `normalised` form is in ``given_lines``); those are shown but never
    compared, so renaming a stub's argument does not make its def line the student's own."""
    cells = [c["source"] for c in sub.assemble(assignment, notebook) if c["student"]]
    return [(line, normalised(line) in given_lines)
            for line in strip_code("\n".join(cells)).splitlines()]


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
    return CodeFingerprint("submission.py", NOISE, WINDOW,
                           np.asarray(sorted(boilerplate), dtype=np.int64), language="python",
                           fp=io.StringIO(code))


def boilerplate_of(given):
    """The fingerprints of the release's code: of each cell, and of all of them in a row."""
    hashes = set()
    for text in [*given, "\n".join(given)]:
        hashes |= fingerprint(text).hashes
    return hashes


class Prints:
    """A fingerprint as `score` uses it: copydetect's hashes, the k-gram starts of the
    compared text in order (an array), and where each hash starts (indexes into it)."""

    def __init__(self, fingerprint):
        import numpy as np
        self.fingerprint = fingerprint
        self.hashes = fingerprint.hashes
        order = sorted((p, h) for h, positions in fingerprint.hash_idx.items() for p in positions)
        self.starts = np.array([p for p, _ in order], dtype=np.int64)
        self.index = {}
        for i, (_, h) in enumerate(order):
            self.index.setdefault(h, []).append(i)
        self.coverage = float(fingerprint.token_coverage)

    def shared_length(self, shared):
        """How many characters the k-grams ``shared`` (a set of hashes) cover, as copydetect
        counts them: the union of [start, start + k) over their starts.  The starts are
        picked from the smaller side: the shared hashes, or the ones not shared."""
        import numpy as np
        if 2 * len(shared) <= len(self.hashes):
            starts = self.starts[sorted(i for h in shared for i in self.index[h])]
        else:
            keep = np.ones(len(self.starts), dtype=bool)
            keep[[i for h in self.hashes - shared for i in self.index[h]]] = False
            starts = self.starts[keep]
        if not len(starts):
            return 0.0
        return float(NOISE + np.minimum(np.diff(starts), NOISE).sum())


def score(a, b):
    """(similarity, fraction of a shared, fraction of b shared) of two `Prints`: copydetect's
    two fractions (`copydetect.compare_files`), computed without building its highlight
    slices, which only the pairs shown side by side need."""
    shared = a.hashes & b.hashes
    if not shared:
        return 0.0, 0.0, 0.0
    share_a = min(a.shared_length(shared) / a.coverage, 1.0)
    share_b = min(b.shared_length(shared) / b.coverage, 1.0)
    return max(share_a, share_b), share_a, share_b


def shared_slices(a, b):
    """The character ranges of a's and b's compared text that the two share (copydetect's)."""
    from copydetect import compare_files
    _, _, (slices_a, slices_b) = compare_files(a.fingerprint, b.fingerprint)
    return ([list(map(int, s)) for s in zip(*slices_a)], [list(map(int, s)) for s in zip(*slices_b)])


# ---- one assignment, one class ----

@dataclass
class Flagged:
    """A pair at or above the threshold; for the highest, the two codes and the shared parts."""

    assignment: str
    student_a: str
    student_b: str
    similarity: float
    share_a: float
    share_b: float
    lines_a: list | None = None    # [[line, given, [[start, end], ...]], ...] (`shared_by_line`)
    lines_b: list | None = None    # None: not among the pairs shown side by side


@dataclass
class Result:
    """Every compared pair, the flagged ones in full, and the notebooks that were skipped."""

    threshold: float
    pairs: list = field(default_factory=list)        # (assignment, student_a, student_b, similarity)
    flagged: list = field(default_factory=list)      # Flagged, highest first
    skipped: list = field(default_factory=list)      # {student, assignment, path, reason}
    students: dict = field(default_factory=dict)     # assignment -> students compared

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


def compare_assignment(assignment, students, threshold=DEFAULT_THRESHOLD, shown=SHOWN):
    """Compare every pair of ``students`` ({student: notebook dict}) on ``assignment``;
    returns (pairs, flagged), flagged highest first, the first ``shown`` with their code."""
    given = release_code(assignment)
    given_lines = {normalised(line) for text in given for line in text.splitlines()}
    boilerplate = boilerplate_of(given)
    lines = {name: own_lines(assignment, nb, given_lines) for name, nb in students.items()}
    prints = {name: Prints(fingerprint(compared_text(own), boilerplate))
              for name, own in lines.items()}
    pairs, flagged = [], []
    for a, b in combinations(sorted(students), 2):
        similarity, share_a, share_b = score(prints[a], prints[b])
        similarity = round(similarity, 4)
        pairs.append((assignment, a, b, similarity))
        if similarity >= threshold:
            flagged.append(Flagged(assignment, a, b, similarity, round(share_a, 4),
                                   round(share_b, 4)))
    flagged.sort(key=lambda f: (-f.similarity, f.student_a, f.student_b))
    for f in flagged[:shown]:
        shared_a, shared_b = shared_slices(prints[f.student_a], prints[f.student_b])
        f.lines_a = shared_by_line(lines[f.student_a], shared_a)
        f.lines_b = shared_by_line(lines[f.student_b], shared_b)
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
    import copydetect  # noqa: F401 - once here, not in every worker: it loads matplotlib (1 s)
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
        for f in result.flagged[:PRINTED]:
            lines.append(f"  {f.assignment}: {f.student_a} ~ {f.student_b}  {f.similarity:.2f}")
        if len(result.flagged) > PRINTED:
            lines.append(f"  ... and {len(result.flagged) - PRINTED} more (--csv lists every pair, "
                         "-o shows them)")
    else:
        lines.append(f"no pair at or above the threshold {result.threshold:g}")
    if result.skipped:
        lines.append("")
        lines.append("skipped:")
        for s in result.skipped:
            lines.append(f"  {s['student']}/{s['assignment']}: {s['reason']}")
    return "\n".join(lines)
