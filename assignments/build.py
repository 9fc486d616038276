"""Build the notebooks: ``assignments/`` + ``solutions/`` -> ``source/`` -> ``release/``.

    python -m assignments.build                 # all six, into the repository
    python -m assignments.build ex28_1_sigmoid  # just one
    python -m assignments.build --out DIR       # into DIR/source and DIR/release
    python -m assignments.build --check         # build elsewhere, compare with the committed files
    python -m assignments.build --db            # also record the assignments in the gradebook

For every exercise, the cell plan ``assignments/<id>/notebook.md`` becomes the
nbgrader source notebook ``source/<id>/<id>.ipynb`` (code taken from
``solutions/`` by reference), and nbgrader's own ``generate_assignment`` turns
that into the student notebook ``release/<id>/<id>.ipynb``.

Every build also reports the given code that defines a function or method another
exercise asks students to write (`given_answers`): the notebooks that hold it are
released after that exercise (the release order in the README).

The output is deterministic: no timestamps, cell ids derived from the plan,
JSON written with sorted keys.  By default nbgrader runs without its database
(``--no-db``), so building touches nothing but the two output folders; run with
``--db`` (or run ``nbgrader generate_assignment <id> --force`` from the
repository root) to record the assignments in the gradebook before autograding.
"""
import argparse
import ast
import filecmp
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from . import extract
from .plan import parse

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS_DIR = Path(__file__).resolve().parent
ASSIGNMENTS = (
    "ex28_1_sigmoid",
    "ex28_2_dual_numbers",
    "ex28_3_manual_backward",
    "ex28_4_checkpointing",
    "ex28_5_deeper_mlp",
    "ex28_6_op_counting",
)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def plan_path(assignment):
    return ASSIGNMENTS_DIR / assignment / "notebook.md"


def nbgrader_metadata(cell):
    """The nbgrader cell metadata (schema 3) of a planned cell, or None."""
    flags = {
        "given": dict(grade=False, solution=False, locked=True),
        "solution": dict(grade=False, solution=True, locked=False),
        "test": dict(grade=True, solution=False, locked=True),
        "task": dict(grade=False, solution=False, locked=True),
        "answer": dict(grade=True, solution=True, locked=False),
    }.get(cell.kind)
    if flags is None:
        return None
    meta = dict(flags, grade_id=cell.grade_id, schema_version=3)
    if cell.kind in ("test", "answer"):
        meta["points"] = cell.points
    # a question ("task" in the plan) is a read-only cell, not an nbgrader task cell: the
    # points sit on its answer cell, and a task cell would be a gradebook item worth 0
    # (a useless score box in formgrader).  Its mark scheme region is still stripped
    # from the release (`nbgrader_config`: ClearMarkScheme.enforce_metadata = False)
    return meta


def notebook(assignment):
    """The source notebook of ``assignment`` as a NotebookNode."""
    cells = []
    markdown_count = 0
    for planned in parse(plan_path(assignment), assignment):
        metadata = {}
        nbgrader = nbgrader_metadata(planned)
        if nbgrader is not None:
            metadata["nbgrader"] = nbgrader
            cell_id = planned.grade_id
        else:
            markdown_count += 1
            cell_id = f"md-{markdown_count:02d}"
        if planned.demo:
            metadata["kit"] = {"demo": True, "needs": list(planned.needs)}
            metadata["tags"] = ["demo"]
        if planned.kind in ("given", "solution", "test"):
            cell = nbformat.v4.new_code_cell(source=planned.source, metadata=metadata)
        else:
            cell = nbformat.v4.new_markdown_cell(source=planned.source, metadata=metadata)
        cell["id"] = cell_id
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nb


def notebook_text(nb):
    """The exact bytes (as text) written for a notebook: sorted keys, one trailing newline."""
    return nbformat.writes(nb) + "\n"


def write_source(assignment, out_root):
    """Write ``out_root/source/<id>/<id>.ipynb``; return its path."""
    folder = Path(out_root) / "source" / assignment
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / f"{assignment}.ipynb"
    path.write_text(notebook_text(notebook(assignment)), encoding="utf-8")
    return path


def nbgrader_config(out_root, use_db):
    """The repository's nbgrader configuration, pointed at ``out_root``."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (ROOT / "nbgrader_config.py").exists():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config())
    config.CourseDirectory.root = str(Path(out_root).resolve())
    config.CourseDirectory.notebook_id = "*"
    config.BaseConverter.force = True
    # the questions' mark schemes sit in read-only cells, not nbgrader task cells
    config.ClearMarkScheme.enforce_metadata = False
    if not use_db:
        # what `nbgrader generate_assignment --no-db` sets
        config.SaveCells.enabled = False
        config.GenerateAssignment.no_database = True
    elif Path(out_root).resolve() != ROOT:
        # a build elsewhere records into a gradebook of its own, never the course's
        config.CourseDirectory.db_url = "sqlite:///" + str(Path(out_root).resolve() / "gradebook.db")
    return config


def generate_release(assignment, out_root, use_db=False):
    """Run nbgrader's generate_assignment on one assignment; return the release notebook's path."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(out_root, use_db)
    if use_db:
        # nbgrader runs the `alembic` command to create a gradebook: make sure the one
        # installed next to this Python is found even when the venv is not activated
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    converter = GenerateAssignment(coursedir=coursedir, config=config)
    converter.log.setLevel(logging.WARNING)
    converter.start()
    path = Path(out_root) / "release" / assignment / f"{assignment}.ipynb"
    if not path.exists():
        raise RuntimeError(f"nbgrader did not write {path}")
    return path


def build(out_root=ROOT, assignments=ASSIGNMENTS, use_db=False, log=print):
    """Build the source and release notebooks of ``assignments`` under ``out_root``."""
    out_root = Path(out_root)
    for assignment in assignments:
        if assignment not in ASSIGNMENTS:
            raise SystemExit(f"unknown assignment {assignment!r}: one of {', '.join(ASSIGNMENTS)}")
    for assignment in assignments:
        source = write_source(assignment, out_root)
        release = generate_release(assignment, out_root, use_db)
        log(f"{assignment}: {source.relative_to(out_root)} -> {release.relative_to(out_root)}")
    for line in release_order_report():
        log(line)


def _defined_names(code):
    """Qualified names of the functions, classes and methods ``code`` defines at top level."""
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            names.update(f"{node.name}.{item.name}" for item in node.body
                         if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return names


def _solved_names(cells):
    """Qualified names of what the solution cells of a plan ask students to write.

    A ``#> solution module:Class`` reference asks for the class and every method
    not kept whole; ``module:Class.method`` and ``module:function`` for that one.
    """
    names = set()
    for cell in cells:
        if cell.kind != "solution":
            continue
        for verb, ref, options in cell.references:
            if verb != "solution" or ":" not in ref:
                continue
            qualname = ref.split(":", 1)[1]
            defined = _defined_names(extract.include(ref, []))
            if "." in qualname:
                names.add(qualname)
            else:
                names.add(qualname)
                names.update(f"{qualname}.{name.split('.')[-1]}" for name in defined
                             if "." in name and name.split(".")[-1] not in options.get("keep", []))
    return names


def given_answers(assignments=ASSIGNMENTS):
    """Given code that holds another exercise's answer, as sorted (notebook, cell, name, exercise).

    A given cell of ``notebook`` that defines ``name`` (a function, class or method
    of that qualified name), which the solution cells of ``exercise`` ask students
    to write: released before ``exercise``, that notebook would hand out its answer.
    """
    plans = {a: parse(plan_path(a), a) for a in assignments}
    solved = {a: _solved_names(cells) for a, cells in plans.items()}
    found = []
    for notebook_id, cells in plans.items():
        for cell in cells:
            if cell.kind != "given":
                continue
            defined = _defined_names(cell.source)
            for exercise, names in solved.items():
                if exercise != notebook_id:
                    found.extend((notebook_id, cell.grade_id, name, exercise)
                                 for name in sorted(defined & names))
    return sorted(found)


def release_order_report(assignments=ASSIGNMENTS):
    """Lines saying which notebook gives which other exercise's answer, and what follows."""
    found = given_answers(assignments)
    if not found:
        return ["no given code holds another exercise's answer"]
    grouped = {}
    for notebook, cell, name, exercise in found:
        grouped.setdefault((notebook, cell, exercise), []).append(name)
    lines = [f"{notebook} {cell} defines what {exercise} asks students to write: {', '.join(names)}"
             for (notebook, cell, exercise), names in grouped.items()]
    pairs = sorted({(exercise, notebook) for notebook, _, _, exercise in found})
    lines.append("release " + "; ".join(f"{a} before {b}" for a, b in pairs))
    return lines


def differences(root_a, root_b, assignments=ASSIGNMENTS):
    """Paths under source/ and release/ whose bytes differ between two build roots."""
    different = []
    for top in ("source", "release"):
        for assignment in assignments:
            a, b = Path(root_a) / top / assignment, Path(root_b) / top / assignment
            names = sorted({p.name for p in a.glob("*")} | {p.name for p in b.glob("*")})
            if not names:
                different.append(f"{top}/{assignment}/ (missing)")
            for name in names:
                if not ((a / name).is_file() and (b / name).is_file()
                        and filecmp.cmp(a / name, b / name, shallow=False)):
                    different.append(f"{top}/{assignment}/{name}")
    return different


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m assignments.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS),
                        help="assignment ids (default: all six)")
    parser.add_argument("--out", type=Path, default=ROOT,
                        help="write DIR/source and DIR/release (default: the repository)")
    parser.add_argument("--check", action="store_true",
                        help="build into a temporary folder and fail if the committed files differ")
    parser.add_argument("--db", action="store_true",
                        help="also record the assignments in nbgrader's gradebook (nbgrader_config.py)")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(tmp, args.assignments, log=lambda *_: None)
            stale = differences(tmp, ROOT, args.assignments)
        if stale:
            print("out of date (run `make build`):\n  " + "\n  ".join(stale))
            return 1
        print("source/ and release/ are up to date")
        return 0
    build(args.out, args.assignments, use_db=args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
