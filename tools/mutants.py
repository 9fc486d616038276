"""Mutation testing of the hidden suites: how many wrong solutions do they catch?

Each mutant is the master solution of one exercise, as a student would submit
it, with one small change in one function a student writes (an operator
swapped, `+=` turned into `=`, a comparison loosened, a constant nudged, a
sign or a statement dropped).  It is graded by the exercise's hidden suite like
any submission; it is *killed* when it loses points.  A surviving mutant is
either equivalent (it behaves exactly like the original) or a gap in the suite.

    python tools/mutants.py [ASSIGNMENT ...] [--jobs N] [--list-survivors]
"""
import argparse
import ast
import multiprocessing
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from autograder.suites import ASSIGNMENTS  # noqa: E402
from tests.grader.harness import grade_code, solution_code  # noqa: E402

# Functions that are shown but not graded (EXERCISES.md) are not mutated.
NOT_GRADED = {"draw_graph", "__repr__"}
SECONDS_PER_CHECK = 10

_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
          ast.Pow: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv}
_AUG = {ast.Add: [None, ast.Sub], ast.Sub: [None, ast.Add], ast.Mult: [None, ast.Div],
        ast.Div: [None, ast.Mult]}
_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
        ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
        ast.NotIn: ast.In}


def _mutations(node):
    """The (description, apply) pairs for one AST node; apply() changes it in place."""
    out = []
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOP:
        new = _BINOP[type(node.op)]
        out.append((f"{type(node.op).__name__} -> {new.__name__}",
                    lambda n=node, new=new: setattr(n, "op", new())))
    elif isinstance(node, ast.AugAssign) and type(node.op) in _AUG:
        for new in _AUG[type(node.op)]:
            if new is None:
                out.append((f"{type(node.op).__name__}= -> =", lambda n=node: ("assign", n)))
            else:
                out.append((f"{type(node.op).__name__}= -> {new.__name__}=",
                            lambda n=node, new=new: setattr(n, "op", new())))
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _CMP:
                new = _CMP[type(op)]
                out.append((f"{type(op).__name__} -> {new.__name__}",
                            lambda n=node, i=i, new=new: n.ops.__setitem__(i, new())))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        for value in ({0: [1], 1: [0, 2]}.get(node.value, [node.value + 1])):
            out.append((f"constant {node.value!r} -> {value!r}",
                        lambda n=node, v=value: setattr(n, "value", type(n.value)(v))))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        out.append((f"drop {type(node.op).__name__}", lambda n=node: ("unwrap", n)))
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        out.append((f"{type(node.op).__name__} -> {new.__name__}",
                    lambda n=node, new=new: setattr(n, "op", new())))
    return out


class _Rewrite(ast.NodeTransformer):
    """Replace one node (for mutations that change the node's kind)."""

    def __init__(self, target, kind):
        self.target, self.kind = target, kind

    def visit(self, node):
        if node is self.target:
            if self.kind == "assign":
                return ast.copy_location(ast.Assign(targets=[node.target], value=node.value,
                                                    lineno=node.lineno), node)
            if self.kind == "unwrap":
                return node.operand
            if self.kind == "delete":
                return ast.copy_location(ast.Pass(), node)
        return self.generic_visit(node)


def _targets(tree):
    """The functions a student writes, with their qualified names."""
    found = []

    def walk(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in NOT_GRADED:
                found.append((prefix + node.name, node))
            elif isinstance(node, ast.ClassDef):
                walk(node.body, prefix + node.name + ".")
    walk(tree.body, "")
    return found


def _sites(function):
    """Every mutation of one function: (description, node, apply)."""
    sites = []
    for node in ast.walk(function):
        if node is function:
            continue
        sites += [(d, node, a) for d, a in _mutations(node)]
        body = getattr(node, "body", None)
        if isinstance(body, list) and len(body) > 1:
            for stmt in body:
                if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Expr)) and not (
                        isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
                    sites.append(("delete statement", stmt, lambda n=stmt: ("delete", n)))
    return sites


def mutants(assignment):
    """(label, code) for every mutant of ``assignment``'s master solution."""
    source = solution_code(assignment)
    count = sum(len(_sites(f)) for _, f in _targets(ast.parse(source)))
    for k in range(count):
        tree = ast.parse(source)
        flat = [(name, s) for name, f in _targets(tree) for s in _sites(f)]
        name, (description, node, apply) = flat[k]
        result = apply()
        if isinstance(result, tuple):
            tree = _Rewrite(node, result[0]).visit(tree)
        ast.fix_missing_locations(tree)
        try:
            code = ast.unparse(tree)
            compile(code, "<mutant>", "exec")
        except (SyntaxError, ValueError):
            continue
        yield f"{name}: {description} (line {getattr(node, 'lineno', '?')})", code


class _CheckTookTooLong(Exception):
    pass


def _alarm(signum, frame):
    raise _CheckTookTooLong(f"no answer within {SECONDS_PER_CHECK} s")


def _grade(job):
    assignment, label, code = job
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_CHECK, SECONDS_PER_CHECK)
    try:
        lost = grade_code(assignment, code).lost()
        outcome = "killed" if lost else "survived"
    except BaseException as exc:  # a mutant that breaks the process is caught too
        lost, outcome = [type(exc).__name__], "killed"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return assignment, label, outcome, lost


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    jobs = [(a, label, code) for a in args.assignments for label, code in mutants(a)]
    started = time.perf_counter()
    tally = {}
    survivors = []
    with multiprocessing.get_context("fork").Pool(args.jobs, maxtasksperchild=50) as pool:
        for assignment, label, outcome, lost in pool.imap_unordered(_grade, jobs):
            killed, total = tally.get(assignment, (0, 0))
            tally[assignment] = (killed + (outcome == "killed"), total + 1)
            if outcome == "survived":
                survivors.append((assignment, label))
    print(f"{'assignment':<26} {'mutants':>8} {'killed':>7} {'score':>7}")
    for assignment in args.assignments:
        killed, total = tally.get(assignment, (0, 0))
        print(f"{assignment:<26} {total:>8} {killed:>7} {killed / max(total, 1):>7.1%}")
    killed = sum(k for k, _ in tally.values())
    total = sum(t for _, t in tally.values())
    print(f"{'all':<26} {total:>8} {killed:>7} {killed / max(total, 1):>7.1%}"
          f"   ({time.perf_counter() - started:.0f} s)")
    if survivors:
        print("\nsurvivors (equivalent, or a gap in the suite):")
        for assignment, label in sorted(survivors):
            print(f"  {assignment}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
