"""Shared helpers of the instructor-workflow tests: the sample class, suites' probe names."""
import ast
import copy
import json
import os
import shutil

from autograder.suites import ASSIGNMENTS, suite_path

KIT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(KIT_ROOT, "examples", "submitted")

# Text that must never reach a student: hidden-test markers, the kernel hook, rubrics.
LEAK_MARKERS = ("BEGIN HIDDEN", "END HIDDEN", "run_hidden_checks", "autograder.kernel",
                "BEGIN MARK SCHEME")


def expected():
    """{(student, assignment): (automatic points, status)} the samples were designed for."""
    import sys
    if KIT_ROOT not in sys.path:
        sys.path.insert(0, KIT_ROOT)
    from examples.make_examples import EXPECTED
    return dict(EXPECTED)


def example_path(student, assignment):
    return os.path.join(EXAMPLES, student, assignment, f"{assignment}.ipynb")


def load_example(student, assignment):
    with open(example_path(student, assignment), encoding="utf-8") as f:
        return json.load(f)


def probe_names():
    """Names of the probe functions (``def name(ns, ...)``) of every hidden suite."""
    names = set()
    for assignment in ASSIGNMENTS:
        with open(suite_path(assignment), encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.args.args and node.args.args[0].arg == "ns":
                names.add(node.name)
    return names


def leaks_in(text, probes=None):
    """The hidden-test markers and probe names (as definitions or calls) found in ``text``."""
    found = [m for m in LEAK_MARKERS if m in text]
    for name in probes or ():
        if f"def {name}(" in text or f"{name}(ns" in text:
            found.append(name)
    return found


def copy_class(dest, students=None, assignments=ASSIGNMENTS):
    """Copy the sample class into ``dest/<student>/<assignment>/<assignment>.ipynb``."""
    for student in sorted(os.listdir(EXAMPLES)):
        if students and student not in students:
            continue
        for assignment in assignments:
            src = os.path.join(EXAMPLES, student, assignment)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(dest, student, assignment), dirs_exist_ok=True)
    return dest


def deep(nb):
    return copy.deepcopy(nb)
