"""Beyond one machine: a Gradescope autograder bundle, and the CI job summary.

``python -m autograder gradescope ID -o ID.zip`` builds a zip that Gradescope
unpacks into ``/autograder/source``::

    setup.sh            run once when Gradescope builds the image: a venv with
                        the grader's pinned requirements (from pyproject.toml)
    run_autograder      run for every submission: grades the notebook found in
                        /autograder/submission with this very kit and writes
                        /autograder/results/results.json
    requirements.txt    pytest, numpy, matplotlib at the kit's pins
    autograder/ solutions/          the grader and the master solutions
    source/ID/ID.ipynb release/ID/ID.ipynb   the trusted notebooks
    kit.json            what was bundled, from which commit

The root (/autograder) can be moved with AUTOGRADER_GRADESCOPE_ROOT, and the
Python with AUTOGRADER_PYTHON, which is how the tests run a bundle in a
temporary folder.  The same zip, unpacked anywhere, is also a kit source for the
GitHub workflow (``release/.github/workflows/autograde.yml``).

This module imports nothing outside the standard library at import time:
``python -m autograder.gradescope requirements`` runs before anything is installed.
"""
import argparse
import json
import os
import subprocess
import sys
import zipfile

KIT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRADER_REQUIREMENTS = ("pytest", "numpy", "matplotlib")
DEFAULT_ROOT = "/autograder"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It makes a virtual environment with the grader's pinned requirements.
set -euo pipefail
ROOT="${AUTOGRADER_GRADESCOPE_ROOT:-/autograder}"
SOURCE="$ROOT/source"
pick_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}
if ! PY="$(pick_python)"; then
    # Gradescope's Ubuntu 22.04 image has Python 3.10; the kit's pins need 3.11
    apt-get update -qq
    apt-get install -y -qq python3.11 python3.11-venv > /dev/null
    PY=python3.11
fi
"$PY" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/venv/bin/python" -m pip install --quiet -r "$SOURCE/requirements.txt"
"$ROOT/venv/bin/python" -c 'import pytest, numpy, matplotlib'
# The student's code runs as nobody: it may run the venv's interpreter and libraries,
# but the kit (grader, master solutions, source notebooks) stays root's alone.
chmod 0711 "$ROOT"
chmod -R go+rX "$ROOT/venv"
chown -R root:root "$SOURCE" 2>/dev/null || true
chmod -R go-rwx "$SOURCE"
echo "autograder ready"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission (as /autograder/run_autograder).
# The student's files are in $ROOT/submission; the results go to
# $ROOT/results/results.json, written even when the notebook is broken.
set -u
ROOT="${{AUTOGRADER_GRADESCOPE_ROOT:-/autograder}}"
SOURCE="$ROOT/source"
PY="${{AUTOGRADER_PYTHON:-}}"
if [ -z "$PY" ]; then
    if [ -x "$ROOT/venv/bin/python" ]; then PY="$ROOT/venv/bin/python"; else PY=python3; fi
fi
mkdir -p "$ROOT/results"
# Only the grader (root) may read the kit, write the results or read the submission;
# the student's code runs as nobody, confined by Landlock and seccomp where the kernel has them.
chmod 0700 "$SOURCE" "$ROOT/results" "$ROOT/submission" 2>/dev/null || true
cd "$SOURCE"
export MPLBACKEND=Agg{require}
AUTOGRADER_KIT_ROOT="$SOURCE" PYTHONPATH="$SOURCE" exec "$PY" -m autograder.gradescope run \\
    --root "$ROOT" --assignment {assignment}
"""


# ---- requirements, from the one place versions are pinned ----

def pinned_requirements(pyproject=None, names=GRADER_REQUIREMENTS):
    """The kit's pins (``name==version``) of the packages the grader needs at run time."""
    import tomllib
    path = pyproject or os.path.join(KIT_ROOT, "pyproject.toml")
    if not os.path.exists(path):
        bundled = os.path.join(KIT_ROOT, "requirements.txt")
        with open(bundled, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip() and not line.startswith("#")]
    with open(path, "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    pins = {}
    for dep in deps:
        name = dep.split("==")[0].split(">")[0].split("<")[0].split("[")[0].strip().lower()
        pins[name] = dep.strip()
    missing = [n for n in names if n not in pins]
    if missing:
        raise ValueError(f"pyproject.toml pins none of {missing}")
    return [pins[n] for n in names]


# ---- building the bundle ----

def _git_commit():
    try:
        out = subprocess.run(["git", "-C", KIT_ROOT, "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", KIT_ROOT, "status", "--porcelain"], capture_output=True,
                               text=True, timeout=10)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if out.returncode == 0 \
            else None
    except (OSError, subprocess.SubprocessError):
        return None


def _add_tree(zf, folder, arcroot):
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(dirpath, name)
            _add_file(zf, path, os.path.join(arcroot, os.path.relpath(path, folder)))


def _add_file(zf, path, arcname, mode=0o644):
    with open(path, "rb") as f:
        _add_bytes(zf, arcname, f.read(), mode)


def _add_bytes(zf, arcname, data, mode=0o644):
    info = zipfile.ZipInfo(arcname.replace(os.sep, "/"), date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_bundle(assignment, output=None, require=""):
    """Write the Gradescope autograder zip of ``assignment``; return its path.

    ``require`` (properties or layers, e.g. ``"filesystem,network"``) is set as
    ``AUTOGRADER_REQUIRE_ISOLATION`` in ``run_autograder``: where the sandbox cannot give
    it, every submission gets a grader error instead of a grade.
    """
    from .errors import GraderError
    from .suites import ASSIGNMENTS
    if assignment not in ASSIGNMENTS:
        raise GraderError(f"unknown assignment {assignment!r}: expected one of {', '.join(ASSIGNMENTS)}")
    from . import submission
    root = submission.source_root()
    notebooks = {kind: os.path.join(root, kind, assignment, f"{assignment}.ipynb")
                 for kind in ("source", "release")}
    for kind, path in notebooks.items():
        if not os.path.isfile(path):
            raise GraderError(f"{path} is missing: run `make build` first")
    output = output or f"{assignment}.zip"
    if require:
        from .sandbox.levels import required
        names = ",".join(sorted(required({"AUTOGRADER_REQUIRE_ISOLATION": require})))
        require = f"\nexport AUTOGRADER_REQUIRE_ISOLATION={names}"
    manifest = {"assignment": assignment, "kit_commit": _git_commit(),
                "requirements": pinned_requirements()}
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with zipfile.ZipFile(output, "w") as zf:
        _add_bytes(zf, "setup.sh", SETUP_SH.encode(), 0o755)
        _add_bytes(zf, "run_autograder", RUN_AUTOGRADER.format(assignment=assignment, require=require).encode(), 0o755)
        _add_bytes(zf, "requirements.txt", ("\n".join(manifest["requirements"]) + "\n").encode())
        _add_bytes(zf, "kit.json", (json.dumps(manifest, indent=2) + "\n").encode())
        _add_tree(zf, os.path.join(KIT_ROOT, "autograder"), "autograder")
        _add_tree(zf, os.path.join(KIT_ROOT, "solutions"), "solutions")
        for kind, path in notebooks.items():
            _add_file(zf, path, f"{kind}/{assignment}/{assignment}.ipynb")
    return output


def extract_bundle(zip_path, root):
    """Unpack a bundle as Gradescope does: ROOT/source, ROOT/run_autograder (executable)."""
    source = os.path.join(root, "source")
    os.makedirs(source, exist_ok=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, source)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(os.path.join(source, info.filename), mode)
    runner = os.path.join(root, "run_autograder")
    with open(os.path.join(source, "run_autograder"), "rb") as f, open(runner, "wb") as g:
        g.write(f.read())
    os.chmod(runner, 0o755)
    for folder in ("submission", "results"):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
    return root


# ---- inside the bundle: grade what Gradescope put in /autograder/submission ----

def find_notebook(folder, assignment):
    """The submitted notebook: ``ASSIGNMENT.ipynb`` anywhere, else the only (or first) .ipynb."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__MACOSX")
        found += [os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith(".ipynb")]
    exact = [p for p in found if os.path.basename(p) == f"{assignment}.ipynb"]
    return (exact or found or [None])[0]


def run_in_bundle(root, assignment):
    """Grade the submission under ``root`` and write ``root/results/results.json``; exit code."""
    from .grade import grade_notebook, unchecked_report
    results = os.path.join(root, "results", "results.json")
    os.makedirs(os.path.dirname(results), exist_ok=True)
    path = find_notebook(os.path.join(root, "submission"), assignment)
    try:
        if path is None:
            report = unchecked_report("(nothing)", assignment, "no notebook",
                                      f"no .ipynb file was submitted: upload {assignment}.ipynb")
        else:
            report = grade_notebook(path, assignment)
        code = 0
    except Exception as exc:  # noqa: BLE001 - still write results, and tell the instructor
        report = unchecked_report(path or "(nothing)", assignment, "grader error",
                                  f"the grader failed ({type(exc).__name__}: {exc}); "
                                  "your instructor has been told")
        code = 1
    report.write_gradescope(results)
    print(report.table())
    return code


def markdown_summary(paths):
    """A Markdown summary of Gradescope-format results files (for $GITHUB_STEP_SUMMARY)."""
    lines, total, total_max = [], 0.0, 0.0
    sections = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            sections.append(f"### {path}\n\nno results: {exc}\n")
            continue
        tests = data.get("tests", [])
        score = float(data.get("score", 0))
        top = sum(float(t.get("max_score", 0)) for t in tests)
        total, total_max = total + score, total_max + top
        head = (data.get("output") or "").splitlines()
        title = head[0].split(":")[0] if head else os.path.basename(path)
        body = [f"### {title}: {score:g} / {top:g}", ""]
        body += [f"> {line}" for line in head[1:] if line.strip()]
        body += ["", "| check | points | status |", "| --- | ---: | --- |"]
        for t in tests:
            status = "✅" if t.get("status") == "passed" else "❌ " + _cell(t.get("output", ""))
            body.append(f"| {_cell(t.get('name', ''))} | {float(t.get('score', 0)):g} / "
                        f"{float(t.get('max_score', 0)):g} | {status} |")
        sections.append("\n".join(body) + "\n")
    lines.append(f"## Autograder: {total:g} / {total_max:g} automatic points")
    lines.append("")
    lines += sections
    return "\n".join(lines)


def _cell(text, limit=300):
    text = " ".join(str(text).split())
    text = text if len(text) <= limit else text[:limit] + " ..."
    return text.replace("|", "\\|")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="grade /autograder/submission (inside a bundle)")
    run.add_argument("--root", default=os.environ.get("AUTOGRADER_GRADESCOPE_ROOT", DEFAULT_ROOT))
    run.add_argument("--assignment", required=True)
    commands.add_parser("requirements", help="print the grader's pinned requirements")
    args = parser.parse_args(argv)
    if args.command == "requirements":
        print("\n".join(pinned_requirements()))
        return 0
    return run_in_bundle(args.root, args.assignment)


if __name__ == "__main__":
    sys.exit(main())
