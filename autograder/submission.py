"""Read a submitted notebook safely and assemble the program the grader runs.

The trusted copy wins: given code comes from the instructor's source notebook,
never from the submission; test cells are never run (the tests run in the
grader); demonstration cells are skipped.  The submission contributes only its
students' cells: the solution cells, matched by their nbgrader grade id (the
first one wins when an id is duplicated; a missing one falls back to the
release stub), and the code cells the student added, which run right after the
cell they follow.  Deleting, duplicating, editing, re-typing or re-labelling
cells therefore changes nothing about which tests run.

Hardening notes (tests/adversarial/ holds the attacks these answer):

* `read_notebook` reads only a regular file and refuses a symbolic link: a
  submission checked out from a student's repository (or unpacked from a zip)
  can be a link to the instructor's source notebook, to another student's
  notebook or to a device, and the grader, not the sandbox, reads it.  It opens
  without blocking (a FIFO cannot hang it) and checks the size of what it
  opened, before parsing.  A UTF-8 byte order mark is accepted.
* `without_magics` neutralises only what IPython would have taken as a magic,
  a shell escape or a help request at the start of a statement (so an honest
  ``files = !ls``, an indented ``%time f()`` or ``f?`` costs nothing), found
  with the tokenizer (never compiled or run here), and leaves every other line
  exactly as written.
"""
import io
import json
import os
import re
import stat
import tokenize
from functools import lru_cache

from .errors import GraderError, UnreadableNotebook
from .suites import ASSIGNMENTS

KIT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
_CELL_MAGIC_WITH_PYTHON_BODY = {"time", "timeit", "capture", "prun", "writefile"}


def source_root():
    """Where the trusted source and release notebooks are (overridable for bundles)."""
    return os.environ.get("AUTOGRADER_KIT_ROOT", KIT_ROOT)


def read_notebook(path):
    """The notebook at ``path`` as a dict, or UnreadableNotebook saying what is wrong.

    Only a regular file is read, never through a symbolic link, and never more
    than `MAX_NOTEBOOK_BYTES` (checked on the opened file, before parsing).
    """
    name = os.path.basename(str(path))
    try:
        info = os.lstat(path)
    except (OSError, ValueError) as exc:
        raise UnreadableNotebook(f"cannot open {name}: {getattr(exc, 'strerror', None) or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise UnreadableNotebook(f"{name} is a symbolic link, not a notebook: submit the .ipynb "
                                 "file itself")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableNotebook(f"{name} is not a regular file (a folder, a device or a pipe): "
                                 "submit the .ipynb file itself")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableNotebook(f"cannot open {name}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):      # replaced between the two looks
            raise UnreadableNotebook(f"{name} is not a regular file: submit the .ipynb file itself")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise UnreadableNotebook(
                f"the notebook is {info.st_size / 2**20:.1f} MiB, more than the "
                f"{MAX_NOTEBOOK_BYTES // 2**20} MiB limit: clear the outputs (Kernel > Restart & "
                "Clear Output), save, and submit again")
        try:
            data = f.read(MAX_NOTEBOOK_BYTES + 1)
        except OSError as exc:
            raise UnreadableNotebook(f"cannot read {name}: {exc.strerror}") from None
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise UnreadableNotebook(f"the notebook is larger than the {MAX_NOTEBOOK_BYTES // 2**20} MiB "
                                 "limit: clear the outputs, save, and submit again")
    return parse_notebook(data)


def parse_notebook(data):
    """Parse notebook bytes; check only the structure the grader relies on."""
    if not data.strip():
        raise UnreadableNotebook("the notebook file is empty: save the notebook in Jupyter and submit again")
    try:
        text = data.decode("utf-8-sig")     # a byte order mark (some editors add one) is fine
    except UnicodeDecodeError as exc:
        raise UnreadableNotebook(f"the notebook is not UTF-8 text (byte {exc.start}): "
                                 "submit the .ipynb file as Jupyter saved it") from None
    try:
        nb = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if hasattr(exc, "lineno") else ""
        raise UnreadableNotebook(f"the notebook is not valid JSON{where}: it was probably edited "
                                 "outside Jupyter or cut short; restore it from a checkpoint") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else None
        if version is not None and version < 4:
            raise UnreadableNotebook(f"this is an nbformat {version} notebook: open it in a current "
                                     "Jupyter and save it to convert it to version 4")
        raise UnreadableNotebook("the file is JSON but not a Jupyter notebook (no list of cells)")
    if nb.get("nbformat") != 4:
        raise UnreadableNotebook(f"unsupported notebook format {nb.get('nbformat')!r}: "
                                 "save it with a current Jupyter (nbformat 4)")
    return nb


def cell_source(cell):
    """A cell's source as one string (notebooks store a string or a list of lines)."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def nbgrader_meta(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def grade_id(cell):
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def is_demo(cell):
    meta = cell.get("metadata", {})
    kit = meta.get("kit") if isinstance(meta, dict) else None
    return bool(isinstance(kit, dict) and kit.get("demo"))


def is_test(cell):
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_solution(cell):
    return bool(nbgrader_meta(cell).get("solution"))


@lru_cache(maxsize=None)
def trusted_notebook(assignment, kind="source"):
    """The instructor's ``source`` (or ``release``) notebook of ``assignment``."""
    path = os.path.join(source_root(), kind, assignment, f"{assignment}.ipynb")
    try:
        with open(path, "rb") as f:
            return parse_notebook(f.read())
    except (OSError, UnreadableNotebook) as exc:
        raise GraderError(f"cannot read the trusted {kind} notebook {path}: {exc}; "
                          "run `make build`") from None


def test_points(assignment):
    """{group: points} from the trusted source's autograded test cells (grade id test_<group>)."""
    points = {}
    for cell in trusted_notebook(assignment)["cells"]:
        gid = grade_id(cell)
        if cell.get("cell_type") == "code" and is_test(cell) and gid and gid.startswith("test_"):
            points[gid[len("test_"):]] = float(nbgrader_meta(cell).get("points", 0))
    return points


def manual_points(assignment):
    """{grade id: points} of the manually graded answers."""
    return {grade_id(c): float(nbgrader_meta(c).get("points", 0))
            for c in trusted_notebook(assignment)["cells"]
            if is_solution(c) and nbgrader_meta(c).get("grade") and c.get("cell_type") == "markdown"}


def _own_ids(assignment):
    """The grade ids of ``assignment``'s test, solution and answer cells that no other
    assignment uses (given cells share ids such as given_engine)."""
    def ids(a):
        return {grade_id(c) for c in trusted_notebook(a)["cells"]
                if is_test(c) or is_solution(c)} - {None}
    others = set().union(*(ids(a) for a in ASSIGNMENTS if a != assignment))
    return ids(assignment) - others


def infer_assignment(path, notebook):
    """Which assignment a submission belongs to: by file name, else by its cells' ids."""
    stem = os.path.splitext(os.path.basename(str(path)))[0]
    if stem in ASSIGNMENTS:
        return stem
    ids = {grade_id(c) for c in notebook.get("cells", []) if isinstance(c, dict)} - {None}
    matches = [a for a in ASSIGNMENTS if ids & _own_ids(a)]
    if len(matches) == 1:
        return matches[0]
    raise UnreadableNotebook(f"cannot tell which assignment {os.path.basename(str(path))} belongs to: "
                             "name it like the assignment (e.g. ex28_1_sigmoid.ipynb) or pass --assignment")


_MAYBE_MAGIC = re.compile(r"^[ \t]*[%!?]|=[ \t]*[%!]|\?[ \t]*$", re.M)
_LHS = re.compile(r"^[ \t]*[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*[ \t]*$")


def _statements(source):
    """(first row, last row, tokens) of every logical line, or None if it cannot be tokenized."""
    out, current = [], []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if current:
                    out.append((current[0].start[0], tok.start[0], current))
                current = []
            elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT) \
                    and not (tok.type == tokenize.ERRORTOKEN and not tok.string.strip()):
                current.append(tok)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return out


def _magic_kind(tokens, line):
    """'statement' (a magic, shell escape or help request), ('assign', lhs), or None."""
    first, last = tokens[0].string, tokens[-1].string
    if first in ("%", "!", "?") or last == "?":
        return "statement"
    for i, tok in enumerate(tokens[:-1]):
        if tok.string == "=" and tokens[i + 1].string in ("%", "!") and tok.start[0] == tokens[0].start[0]:
            lhs = line[:tok.start[1]]
            return ("assign", lhs.strip()) if _LHS.match(lhs) else "statement"
    return None


def _line_based(lines):
    """The fallback when the cell cannot be tokenized: blank every line starting with % or !."""
    return ["" if line.lstrip().startswith(("%", "!")) else line for line in lines]


def without_magics(source):
    """Python source with IPython magics, shell escapes and help requests neutralised, line
    numbers kept.

    A cell magic (``%%...`` on the first line) runs its body only for the magics whose body
    is Python (time, timeit, capture, prun); any other cell magic makes the cell empty.  A
    statement that is a line magic, a shell escape (``!cmd``) or a help request (``f?``,
    ``?f``) becomes ``pass``; ``x = %magic`` and ``x = !cmd`` become ``x = None``.  Statements
    are found with the tokenizer, so a line that merely starts with ``%`` inside an
    expression (``("%d"\n % n)``) or a string is left alone.
    """
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = re.match(r"%%(\w+)", lines[0].lstrip())
        if not magic or magic.group(1) not in _CELL_MAGIC_WITH_PYTHON_BODY or magic.group(1) == "writefile":
            return ""
        lines[0] = ""
    if not _MAYBE_MAGIC.search("\n".join(lines)):
        return "\n".join(lines) + "\n"
    statements = _statements("\n".join(lines) + "\n")
    if statements is None:
        return "\n".join(_line_based(lines)) + "\n"
    for first, last, tokens in statements:
        kind = _magic_kind(tokens, lines[first - 1])
        if kind is None:
            continue
        line = lines[first - 1]
        indent = line[:len(line) - len(line.lstrip())]
        lines[first - 1] = indent + ("pass" if kind == "statement" else f"{kind[1]} = None")
        for row in range(first, min(last, len(lines))):
            lines[row] = ""
    return "\n".join(lines) + "\n"


def assemble(assignment, submission):
    """The cells to run, in order: dicts with ``name``, ``source`` and ``student``."""
    source_cells = trusted_notebook(assignment)["cells"]
    known = {grade_id(c) for c in source_cells} - {None}
    stubs = {grade_id(c): cell_source(c) for c in trusted_notebook(assignment, "release")["cells"]}

    submitted, added, anchor, n_added = {}, {}, None, 0
    for cell in submission.get("cells", []):
        if not isinstance(cell, dict):
            continue
        gid = grade_id(cell)
        if gid in known:
            anchor = gid
            submitted.setdefault(gid, cell)
        elif cell.get("cell_type") == "code":
            n_added += 1
            added.setdefault(anchor, []).append({"name": f"added-{n_added}",
                                                 "source": without_magics(cell_source(cell)),
                                                 "student": True})

    program = list(added.get(None, []))
    for cell in source_cells:
        gid = grade_id(cell)
        if cell.get("cell_type") == "code" and not is_test(cell) and not is_demo(cell):
            if is_solution(cell):
                mine = submitted.get(gid)
                text = cell_source(mine) if mine is not None and mine.get("cell_type") == "code" \
                    else stubs.get(gid, "")
                program.append({"name": gid, "source": without_magics(text), "student": True})
            else:
                program.append({"name": gid or "given", "source": cell_source(cell), "student": False})
        program.extend(added.get(gid, []) if gid else [])
    return program
