"""Submissions built at test time from the kit's own notebooks.

A *correct* submission is the release notebook with every solution cell
replaced by the source notebook's solution (the markers removed), as a student
who solved everything would hand it in; a *stub* is the release notebook
untouched.  Attacks start from one of them and change cells, metadata or the
file itself.  Nothing here runs student code.
"""
import copy
import json
import os
import re
from functools import lru_cache

from autograder import submission

KIT_ROOT = submission.KIT_ROOT
_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


@lru_cache(maxsize=None)
def _load(kind, assignment):
    with open(os.path.join(KIT_ROOT, kind, assignment, f"{assignment}.ipynb"), encoding="utf-8") as f:
        return json.load(f)


def release(assignment):
    """A fresh copy of the student notebook (the stub)."""
    return copy.deepcopy(_load("release", assignment))


def source(assignment):
    """A fresh copy of the instructor's source notebook."""
    return copy.deepcopy(_load("source", assignment))


def text(cell):
    return submission.cell_source(cell)


def gid(cell):
    return submission.grade_id(cell)


def solutions(assignment):
    """{grade id: the solution as a student would write it} for every code solution cell."""
    return {gid(c): _MARKERS.sub("", text(c)) for c in _load("source", assignment)["cells"]
            if c.get("cell_type") == "code" and submission.is_solution(c)}


def answers(assignment):
    """{grade id: answer text} of the manually graded answers."""
    return {gid(c): text(c) for c in _load("source", assignment)["cells"]
            if c.get("cell_type") == "markdown" and submission.is_solution(c)}


def correct(assignment):
    """The release notebook with every solution and answer filled in from the source."""
    nb = release(assignment)
    filled = dict(solutions(assignment), **answers(assignment))
    for cell in nb["cells"]:
        if gid(cell) in filled:
            cell["source"] = filled[gid(cell)]
    return nb


def stub(assignment):
    return release(assignment)


def find(nb, grade_id):
    """The (first) cell with ``grade_id``."""
    for cell in nb["cells"]:
        if gid(cell) == grade_id:
            return cell
    raise KeyError(grade_id)


def index(nb, grade_id):
    return nb["cells"].index(find(nb, grade_id))


def ids(nb, prefix):
    return [gid(c) for c in nb["cells"] if (gid(c) or "").startswith(prefix)]


def set_source(nb, grade_id, source):
    find(nb, grade_id)["source"] = source
    return nb


def append_to(nb, grade_id, extra):
    cell = find(nb, grade_id)
    cell["source"] = text(cell) + "\n" + extra
    return nb


_ADDED = [0]


def code_cell(source, metadata=None):
    _ADDED[0] += 1
    return {"cell_type": "code", "execution_count": None, "id": f"added-{_ADDED[0]}",
            "metadata": metadata or {}, "outputs": [], "source": source}


def add_after(nb, grade_id, source, metadata=None):
    """Insert a student code cell right after the cell ``grade_id`` (None: at the top)."""
    at = 0 if grade_id is None else index(nb, grade_id) + 1
    nb["cells"].insert(at, code_cell(source, metadata))
    return nb


def add_last(nb, source, metadata=None):
    nb["cells"].append(code_cell(source, metadata))
    return nb


def write(nb, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return path
