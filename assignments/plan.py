"""Read an exercise's cell plan (``assignments/<id>/notebook.md``) into notebook cells.

The format is described in ``assignments/README.md``.  In short: the file is a
sequence of cells, each opened by a directive on a line of its own::

    <!-- markdown -->
    <!-- given NAME [demo] [needs=a,b] -->
    <!-- solution NAME [demo] [needs=a,b] -->
    <!-- test GROUP points=N -->
    <!-- task NAME -->               a written question and its mark scheme
    <!-- answer NAME points=N -->     the student's answer to it (the points)

Markdown cells (markdown, task, answer) hold the text that follows; in a markdown
cell, a line ``<!-- include FILE.md -->`` is replaced by the text of
``assignments/FILE.md``, for prose shared by several notebooks.  A task cell
becomes a read-only Markdown cell (not an nbgrader task cell: it carries no points).  Code cells
(given, solution, test) hold exactly one fenced ```python block, in which the
lines ``#> include REF [without=a,b]`` and ``#> solution REF [keep=a,b]`` are
replaced by code taken from Python modules (see `assignments.extract`).
"""
import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import extract

KINDS = ("markdown", "given", "solution", "test", "task", "answer")
DIRECTIVE = re.compile(r"^<!--\s*(" + "|".join(KINDS) + r")\b(.*?)-->\s*$")
INCLUDE = re.compile(r"^(\s*)#>\s*(include|solution)\s+(\S+)(.*)$")
NAME = re.compile(r"^[A-Za-z0-9_]+$")
TEXT_INCLUDE = re.compile(r"^<!--\s*include\s+(\S+)\s*-->\s*$")

HIDDEN_TESTS = """### BEGIN HIDDEN TESTS
from autograder.kernel import run_hidden_checks
run_hidden_checks("{assignment}", "{group}", globals())
### END HIDDEN TESTS"""

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME")


class PlanError(ValueError):
    """A cell plan that cannot be built; the message names the file and line."""


@dataclass
class Cell:
    """One planned cell, ready to become a notebook cell."""

    kind: str                 # one of KINDS
    name: str = ""            # NAME or GROUP of the directive ('' for markdown)
    source: str = ""          # the final cell text
    points: float = 0
    demo: bool = False
    needs: list = field(default_factory=list)   # student functions a demo cell calls
    hidden_bodies: list = field(default_factory=list)  # bodies put inside solution regions
    references: list = field(default_factory=list)  # (verb, ref, options) of its #> lines
    line: int = 0             # where the directive is, for messages

    @property
    def grade_id(self):
        prefix = {"given": "given_", "solution": "solution_", "test": "test_",
                  "task": "task_", "answer": "answer_"}.get(self.kind)
        return prefix + self.name if prefix else None


def _options(text, where):
    """'NAME demo needs=a,b points=3' -> (positional, flags, options)."""
    positional, flags, options = [], set(), {}
    for token in text.split():
        if "=" in token:
            key, _, value = token.partition("=")
            options[key] = value
        elif token in ("demo",):
            flags.add(token)
        else:
            positional.append(token)
    if len(positional) > 1:
        raise PlanError(f"{where}: one name expected, got {positional}")
    return (positional[0] if positional else ""), flags, options


def _split_list(value):
    return [item for item in value.split(",") if item]


def _expand_code(code, where, references):
    """Replace the #> lines of a code block; return (code, hidden bodies)."""
    out, bodies = [], []
    for line in code.split("\n"):
        match = INCLUDE.match(line)
        if not match:
            out.append(line)
            continue
        indent, verb, ref, rest = match.groups()
        _, _, options = _options(rest, where)
        allowed = {"include": {"without"}, "solution": {"keep"}}[verb]
        if set(options) - allowed:
            raise PlanError(f"{where}: #> {verb} takes only {sorted(allowed)}, got {sorted(options)}")
        references.append((verb, ref, {k: _split_list(v) for k, v in options.items()}))
        try:
            if verb == "include":
                text = extract.include(ref, _split_list(options.get("without", "")))
            else:
                text, found = extract.solution(ref, _split_list(options.get("keep", "")))
                bodies.extend(found)
        except extract.BadReference as exc:
            raise PlanError(f"{where}: {exc}") from None
        out.extend(indent + piece if piece else piece for piece in text.split("\n"))
    return "\n".join(out), bodies


def _include_text(body, where):
    """Replace each ``<!-- include FILE.md -->`` line of a markdown body by that file's text."""
    out = []
    for line in body.split("\n"):
        match = TEXT_INCLUDE.match(line)
        if not match:
            out.append(line)
            continue
        name = match.group(1)
        path = Path(__file__).resolve().parent / name
        if "/" in name or not name.endswith(".md") or not path.is_file():
            raise PlanError(f"{where}: <!-- include {name} --> needs the name of a .md file "
                            f"in assignments/ ({path.parent})")
        out.append(_trim(path.read_text(encoding="utf-8")))
    return "\n".join(out)


def _code_block(body, where):
    """The contents of the single ```python fence that makes up a code cell's body."""
    text = body.strip("\n")
    match = re.fullmatch(r"```python\n(.*?)\n?```", text.strip(), flags=re.S)
    if not match:
        raise PlanError(f"{where}: a code cell holds exactly one ```python fenced block "
                        "and nothing else")
    return match.group(1)


def _trim(text):
    return text.strip("\n").rstrip()


def parse(path, assignment):
    """The cells planned in ``path`` for ``assignment`` (a list of `Cell`)."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    chunks, current = [], None
    for number, line in enumerate(lines, 1):
        match = DIRECTIVE.match(line)
        if match:
            current = [match.group(1), match.group(2), number, []]
            chunks.append(current)
        elif current is None:
            if line.strip() and not (line.strip().startswith("<!--") or line.strip().endswith("-->")):
                raise PlanError(f"{path}:{number}: text before the first cell directive")
        else:
            current[3].append(line)
    cells = []
    for kind, args, number, body_lines in chunks:
        where = f"{path}:{number}"
        name, flags, options = _options(args, where)
        body = "\n".join(body_lines)
        cell = Cell(kind=kind, name=name, line=number, demo="demo" in flags,
                    needs=_split_list(options.pop("needs", "")))
        if kind == "markdown":
            if name or flags or options or cell.needs:
                raise PlanError(f"{where}: markdown takes no arguments")
        elif not NAME.match(name or "-"):
            raise PlanError(f"{where}: {kind} needs a name of letters, digits and _")
        if kind in ("test", "answer"):
            if "points" not in options:
                raise PlanError(f"{where}: {kind} needs points=N")
            points = float(options.pop("points"))
            cell.points = int(points) if points.is_integer() else points
        if options:
            raise PlanError(f"{where}: unknown options {sorted(options)}")
        if (cell.demo or cell.needs) and kind not in ("given", "solution"):
            raise PlanError(f"{where}: only given and solution cells can be demo cells")
        if cell.needs and not cell.demo:
            raise PlanError(f"{where}: needs= is for demo cells")

        if kind in ("markdown", "task", "answer"):
            cell.source = _trim(_include_text(body, where) if kind == "markdown" else body)
            for marker in MARKERS:
                if marker in cell.source and not (
                        (kind == "task" and "MARK SCHEME" in marker)
                        or (kind == "answer" and "SOLUTION" in marker)):
                    raise PlanError(f"{where}: '{marker}' does not belong in a {kind} cell")
            if kind == "task" and "### BEGIN MARK SCHEME" not in cell.source:
                raise PlanError(f"{where}: a task cell carries a ### BEGIN MARK SCHEME region")
        else:
            code = _code_block(body, where)
            for marker in MARKERS[2:]:
                if marker in code:
                    raise PlanError(f"{where}: '{marker}' is written by the builder, not by hand")
            if kind != "solution" and "SOLUTION" in code.replace("#> solution", ""):
                raise PlanError(f"{where}: solution regions belong in solution cells")
            code, bodies = _expand_code(code, where, cell.references)
            if kind != "solution" and bodies:
                raise PlanError(f"{where}: #> solution belongs in solution cells")
            cell.hidden_bodies = bodies
            if kind == "test":
                _check_no_result(code, where)
                code = code.rstrip() + "\n\n" + HIDDEN_TESTS.format(assignment=assignment,
                                                                     group=name)
            if kind == "solution" and extract.BEGIN_SOLUTION not in code:
                raise PlanError(f"{where}: a solution cell needs a solution region "
                                "(#> solution REF, or ### BEGIN/END SOLUTION by hand)")
            cell.source = code.strip("\n")
        cells.append(cell)
    _check_unique(cells, path)
    return cells


def _check_no_result(code, where):
    """A test cell must not end with an expression: nbgrader would read its value as a score."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise PlanError(f"{where}: the test does not parse: {exc}") from None
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not isinstance(last.value, ast.Call):
        raise PlanError(f"{where}: a test cell must not end with an expression (nbgrader "
                        "would take its value for a partial score)")


def _check_unique(cells, path):
    seen = {}
    for cell in cells:
        if cell.grade_id is None:
            continue
        if cell.grade_id in seen:
            raise PlanError(f"{path}:{cell.line}: {cell.grade_id} already used on line "
                            f"{seen[cell.grade_id]}")
        seen[cell.grade_id] = cell.line
