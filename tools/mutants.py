"""Mutation testing of the hidden suites: how many wrong solutions do they catch?

A *mutant* is the master solution of one exercise, exactly as a student would
submit it (`tests.grader.harness.solution_code`), with one small change in the
code a student writes.  It is graded by the exercise's hidden suite like any
submission (`tests.grader.harness.grade_code`) and is *killed* when it loses
points in any point group, cannot be graded, or runs past the time guard.

The changes (`expression_mutations`, `statement_mutations`): an arithmetic
operator replaced, the operands of a non-commutative one swapped or one operand
dropped, ``+=`` made ``=`` or ``-=``, a comparison or ``and``/``or`` changed, a
unary ``-`` or ``not`` dropped, a number changed (to 0, by 1, a small step ten
times larger), a string changed, a variable or attribute swapped for a sibling
(x/y/z, self/other, .data/.grad ...), the first two arguments of a call swapped,
min and max exchanged, a call to list, float, reversed ... dropped, the branches
of ``a if c else b`` or the bounds of a slice swapped, a returned value made
None, a statement deleted or moved below the next one.  Not mutated: docstrings,
imports, error messages, ``__repr__``, and the names the notebook's given cells
define (the student does not write them).

A mutant that survives the first seed is graded again under ``--seeds`` more
seeds, because the suites draw their inputs when they run: a bug that only some
inputs reveal is killed there, and listed, since a real student with that bug
could pass under an unlucky seed.  A mutant that survives every seed is looked
up in the reviewed list (`mutants_reviewed.toml`, next to this file), where a
person has judged it:

* ``equivalent``: used as EXERCISES.md describes, it cannot be told from the
  master on any input (up to float rounding far inside the contract's
  tolerances, or a node more under its memory bound), so no test can kill it;
  it is left out of the score;
* ``out of contract``: it can be told apart, but only on inputs or through
  behaviour that EXERCISES.md leaves open (arguments of other types, invalid
  configurations, which exception or message, the random state left behind);
  a suite could kill it only by testing what students are not asked for, so
  it is left out of the gating score and counted in the second one.

Anything else is an *unreviewed survivor*: a suspected gap in a suite, or a new
mutant nobody has judged yet.  Two scores per assignment: the gating one,
killed / (mutants - equivalent - out of contract), is the share of the
mutants that change behaviour EXERCISES.md specifies; the second,
killed / (mutants - equivalent), counts every behaviour change.  The exit
status is 1 when a gating score is below 95% or an unreviewed survivor exists.

    python tools/mutants.py [ASSIGNMENT ...] [--jobs N] [--seeds N]

ASSIGNMENT may be a prefix (``ex28_1``); unreviewed survivors are printed as
ready-to-edit entries of the reviewed list.
"""
import argparse
import ast
import collections
import copy
import json
import multiprocessing
import multiprocessing.connection
import os
import sys
import time
import tomllib
from dataclasses import dataclass
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder.suites import ASSIGNMENTS  # noqa: E402
from tests.grader.harness import given_cells, grade_code, solution_code  # noqa: E402

REVIEWED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mutants_reviewed.toml")
VERDICTS = ("equivalent", "out of contract")
PASS_MARK = 0.95
FIRST_SEED = 1
# The master solutions grade in well under a second; a mutant still being graded
# after ten seconds loops (or is far slower than anything a student could hand in).
SECONDS_PER_GRADING = 10.0

# Code a student writes but no test looks at: not part of the contract.
NOT_GRADED = {"__repr__"}

# --- the mutation operators -------------------------------------------------------

ARITHMETIC = {ast.Add: (ast.Sub, ast.Mult), ast.Sub: (ast.Add,), ast.Mult: (ast.Div, ast.Add),
              ast.Div: (ast.Mult, ast.FloorDiv), ast.FloorDiv: (ast.Div,),
              ast.Mod: (ast.FloorDiv, ast.Mult), ast.Pow: (ast.Mult,)}
NOT_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
COMPARISON = {ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt),
              ast.GtE: (ast.Gt, ast.Lt), ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
              ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,), ast.In: (ast.NotIn,),
              ast.NotIn: (ast.In,)}
# Names a student could mix up: a variable read becomes another of its group when
# that one is bound in the same function too (else the mutant is a mere NameError).
SIBLING_NAMES = [("self", "other"), ("x", "y", "z"), ("a", "b"), ("i", "j", "k"), ("e", "s"),
                 ("plus", "minus"), ("xs", "point"), ("xv", "yv", "zv"), ("h", "y"),
                 ("start", "out"), ("f_", "d_", "c_", "b_", "a_"), ("x_", "y_", "z_"),
                 ("wi", "xi"), ("n_in", "n_out"), ("X", "Y"), ("layer_sizes", "activations"),
                 ("node", "n")]
SIBLING_ATTRIBUTES = [("value", "tangent"), ("data", "grad"), ("forward", "backward", "visited")]
OTHER_FUNCTION = {"min": "max", "max": "min"}
# Calls a student could forget: the mutant keeps only the argument.
WRAPPERS = {"reversed", "sorted", "list", "tuple", "float", "int", "abs"}


def _others(groups, member):
    """The members of ``member``'s groups other than itself, in group order."""
    return [m for group in groups if member in group for m in group if m != member]


def _number_variants(value):
    """0, value + 1, value - 1, and a small step ten times larger."""
    variants = [0, value + 1, value - 1]
    if 0 < abs(value) < 1e-3:
        variants.append(float(f"{value * 10:.12g}"))
    out = []
    for v in variants:
        v = type(value)(v)
        if v != value and v not in out:
            out.append(v)
    return out


def expression_mutations(node, bound, strings, called):
    """(operator, make) for each mutation of one expression node; make(copy) -> replacement.

    ``bound`` are the names bound in the enclosing function, ``strings`` the
    string literals of the enclosing function (or top-level statement);
    ``called`` says the node is the function of a call (``out.backward()``: a
    sibling attribute there would be a mere AttributeError).
    """
    found = []
    if isinstance(node, ast.BinOp):
        for op in ARITHMETIC.get(type(node.op), ()):
            found.append(("arithmetic", lambda n, op=op: ast.BinOp(n.left, op(), n.right)))
        if isinstance(node.op, NOT_COMMUTATIVE):
            found.append(("swap operands", lambda n: ast.BinOp(n.right, n.op, n.left)))
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            found.append(("keep left operand", lambda n: n.left))
            found.append(("keep right operand", lambda n: n.right))
    elif isinstance(node, ast.AugAssign):
        found.append(("augmented to plain assignment", lambda n: ast.Assign([n.target], n.value)))
        for op in ARITHMETIC.get(type(node.op), ())[:1]:
            found.append(("augmented operator",
                          lambda n, op=op: ast.AugAssign(n.target, op(), n.value)))
    elif isinstance(node, ast.Compare):
        for i, old in enumerate(node.ops):
            for op in COMPARISON.get(type(old), ()):
                found.append(("comparison", lambda n, i=i, op=op: ast.Compare(
                    n.left, n.ops[:i] + [op()] + n.ops[i + 1:], n.comparators)))
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        found.append(("boolean operator", lambda n, other=other: ast.BoolOp(other(), n.values)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        found.append(("drop unary operator", lambda n: n.operand))
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        found.append(("boolean constant", lambda n: ast.Constant(not n.value)))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        for v in _number_variants(node.value):
            found.append(("number", lambda n, v=v: ast.Constant(v)))
    elif isinstance(node, ast.Constant) and type(node.value) is str and node.value:
        variants = [node.value + "_", node.value.upper()]
        ordered = sorted(strings | {node.value})          # then the next literal, cyclically
        variants.append(ordered[(ordered.index(node.value) + 1) % len(ordered)])
        for v in dict.fromkeys(variants):
            if v != node.value:
                found.append(("string", lambda n, v=v: ast.Constant(v)))
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        for other in _others(SIBLING_NAMES, node.id):
            if other in bound:
                found.append(("variable", lambda n, o=other: ast.Name(o, ast.Load())))
    elif isinstance(node, ast.Attribute) and not called:
        for other in _others(SIBLING_ATTRIBUTES, node.attr):
            found.append(("attribute", lambda n, o=other: ast.Attribute(n.value, o, n.ctx)))
    elif isinstance(node, ast.Call):
        if len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
            found.append(("swap arguments", lambda n: ast.Call(
                n.func, [n.args[1], n.args[0]] + n.args[2:], n.keywords)))
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in OTHER_FUNCTION:
            found.append(("other function", lambda n: ast.Call(
                ast.Name(OTHER_FUNCTION[n.func.id], ast.Load()), n.args, n.keywords)))
        if name in WRAPPERS and len(node.args) == 1 and not node.keywords:
            found.append(("drop call", lambda n: n.args[0]))
    elif isinstance(node, ast.IfExp):
        found.append(("swap branches", lambda n: ast.IfExp(n.test, n.orelse, n.body)))
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) \
            and (node.slice.lower or node.slice.upper):
        found.append(("swap slice bounds", lambda n: ast.Subscript(
            n.value, ast.Slice(n.slice.upper, n.slice.lower, n.slice.step), n.ctx)))
    elif isinstance(node, ast.Return) and node.value is not None \
            and not (isinstance(node.value, ast.Constant) and node.value.value is None):
        found.append(("return None", lambda n: ast.Return(ast.Constant(None))))
    return found


def _is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
        and isinstance(node.value.value, str)


def _first_line(node):
    return ast.unparse(node).splitlines()[0]


def _commute(a, b):
    """Definitions commute: the order of two defs (or classes) never changes behaviour."""
    definitions = (ast.FunctionDef, ast.ClassDef)
    return isinstance(a, definitions) and isinstance(b, definitions)


def statement_mutations(body):
    """(index, operator, detail, make) for deleting or moving one statement of ``body``.

    ``make(body) -> new body``.  A statement is not moved below a ``return``
    (that only deletes it, which is already a mutant of its own).
    """
    found = []
    for i, stmt in enumerate(body):
        found.append((i, "delete statement", "", lambda b, i=i: b[:i] + [ast.Pass()] + b[i + 1:]))
        if i + 1 < len(body) and not isinstance(body[i + 1], ast.Return) \
                and not _commute(stmt, body[i + 1]):
            found.append((i, "move statement", f" below `{_first_line(body[i + 1])}`",
                          lambda b, i=i: b[:i] + [b[i + 1], b[i]] + b[i + 2:]))
    return found


@dataclass(frozen=True)
class Site:
    """One mutation: where (a position in ``ast.walk`` order), how, and its identifier.

    ``make`` gets the node at ``position`` in a fresh copy of the tree and returns
    its replacement.  (function, mutation, context) identify the mutant in the
    reviewed list: no line number, so that edits elsewhere do not invalidate it.
    """

    position: int
    make: Callable[[ast.AST], ast.AST]
    function: str
    mutation: str
    context: str


@dataclass(frozen=True)
class Scope:
    """Where a node sits: its function's qualified name (``<module>`` at top level),
    the names bound there (and in enclosing functions) and its string literals."""

    function: str
    bound: frozenset
    strings: frozenset


class _SiteFinder:
    """Walk the student's code and collect every `Site`, skipping what is not graded.

    Skipped: imports, docstrings, the top-level names that the notebook's given
    cells define (the student does not write them), `NOT_GRADED` functions,
    f-strings and the exception of a ``raise`` (messages are not graded; the
    ``raise`` itself can still be deleted).
    """

    def __init__(self, tree, given_names):
        self.position = {id(node): i for i, node in enumerate(ast.walk(tree))}
        self.callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        self.given_names = given_names
        self.sites = []

    def skipped(self, stmt, top_level):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) or _is_docstring(stmt):
            return True
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            return stmt.name in NOT_GRADED or (top_level and stmt.name in self.given_names)
        if top_level and isinstance(stmt, ast.Assign):
            return any(isinstance(t, ast.Name) and t.id in self.given_names for t in stmt.targets)
        return False

    def add(self, node, make, function, mutation, context):
        self.sites.append(Site(self.position[id(node)], make, function, mutation, context))

    def visit_body(self, owner, field, scope, top_level=False):
        """Delete or move each graded statement of ``owner.field``, then visit each."""
        def graded(body):
            return [s for s in body if not self.skipped(s, top_level)]

        def put_back(body, new):          # the graded statements replaced, the rest kept
            new = iter(new)
            return [s if self.skipped(s, top_level) else next(new) for s in body]

        statements = graded(getattr(owner, field))
        for i, operator, detail, make in statement_mutations(statements):
            def make_owner(node, make=make):
                body = getattr(node, field)
                setattr(node, field, put_back(body, make(graded(body))))
                return node
            self.add(owner, make_owner, scope.function, operator + detail,
                     _first_line(statements[i]))
        for stmt in statements:
            if top_level:
                scope = Scope(scope.function, scope.bound, _strings(stmt))
            self.visit(stmt, scope, stmt)

    def visit(self, node, scope, statement):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            name = node.name if scope.function == "<module>" else f"{scope.function}.{node.name}"
            if isinstance(node, ast.ClassDef):
                self.visit_body(node, "body", Scope(name, frozenset(), _strings(node)))
                return
            bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)    # nested
                     and isinstance(n.ctx, ast.Store)}                         # defs too
            bound |= {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
            scope = Scope(name, scope.bound | bound, scope.strings | _strings(node))
            self.visit(node.args, scope, node)
            self.visit_body(node, "body", scope)
            return
        if isinstance(node, ast.JoinedStr):
            return
        if isinstance(node, ast.stmt):
            statement = node
        for operator, make in expression_mutations(node, scope.bound, scope.strings,
                                                   id(node) in self.callees):
            after = ast.unparse(_replacement(copy.deepcopy(node), make))
            self.add(node, make, scope.function, f"{operator}: {ast.unparse(node)} -> {after}",
                     _first_line(statement))
        if isinstance(node, ast.Raise):
            return
        for field, value in ast.iter_fields(node):
            if field in ("body", "orelse", "finalbody") and isinstance(value, list):
                self.visit_body(node, field, scope)
            elif isinstance(value, ast.AST):
                self.visit(value, scope, statement)
            elif isinstance(value, list):
                for child in value:
                    if isinstance(child, ast.AST):
                        self.visit(child, scope, statement)


def _strings(node):
    """The non-empty string literals of ``node`` that are graded (no docstring, no message)."""
    unseen = set()
    for n in ast.walk(node):
        if _is_docstring(n) or isinstance(n, (ast.JoinedStr, ast.Raise)):
            unseen.update(id(c) for c in ast.walk(n))
    return frozenset(n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
                     and type(n.value) is str and n.value and id(n) not in unseen)


def _given_names(assignment):
    """The top-level names that the notebook's given cells define."""
    names = set()
    for cell in given_cells(assignment):
        for node in ast.parse(cell["source"]).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _replacement(node, make):
    """``make(node)``, placed where ``node`` was (ast.unparse needs line numbers)."""
    return ast.fix_missing_locations(ast.copy_location(make(node), node))


class _Replace(ast.NodeTransformer):
    def __init__(self, target, make):
        self.target, self.make = target, make

    def visit(self, node):
        return _replacement(node, self.make) if node is self.target else self.generic_visit(node)


@dataclass(frozen=True)
class Mutant:
    """One mutant: its identifier in the reviewed list, and the student code to grade."""

    assignment: str
    function: str
    mutation: str
    context: str
    code: str

    @property
    def key(self):
        return self.assignment, self.function, self.mutation, self.context


def mutants(assignment):
    """Every distinct mutant of ``assignment``'s master solution, in source order.

    A mutant whose code does not compile, or equals the master's or an earlier
    mutant's, is dropped.  Two different mutants with the same identifier (the
    same change twice in one statement) are told apart by a ``#2``, ``#3`` suffix.
    """
    tree = ast.parse(solution_code(assignment))
    finder = _SiteFinder(tree, _given_names(assignment))
    finder.visit_body(tree, "body", Scope("<module>", frozenset(), frozenset()), top_level=True)
    seen, found, keys = {ast.unparse(tree)}, [], set()
    for site in finder.sites:
        mutated = copy.deepcopy(tree)
        target = next(n for i, n in enumerate(ast.walk(mutated)) if i == site.position)
        mutated = _Replace(target, site.make).visit(mutated)
        try:
            code = ast.unparse(mutated)
            compile(code, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if code in seen:
            continue
        seen.add(code)
        mutation, n = site.mutation, 1
        while (site.function, mutation, site.context) in keys:
            n += 1
            mutation = f"{site.mutation} #{n}"
        keys.add((site.function, mutation, site.context))
        found.append(Mutant(assignment, site.function, mutation, site.context, code))
    return found


# --- grading -------------------------------------------------------------------

def _grade_in_child(writer, assignment, code, seed):
    try:
        lost = grade_code(assignment, code, seed=seed).lost()
    except BaseException as exc:  # the mutant broke the grading itself: killed too
        lost = [f"grader raised {type(exc).__name__}"]
    writer.send(lost)


def grade_all(jobs, workers):
    """Grade (assignment, code, seed) jobs; yield (job index, lost groups) as they finish.

    Each grading runs in a child forked for it alone, at most ``workers`` at a
    time: whatever a mutant changes in its process (a patched class, the random
    state) dies with it, and a child still running after `SECONDS_PER_GRADING`
    is killed, so a looping mutant costs ten seconds and cannot hang the run.
    An empty list of lost groups means the mutant got full marks.
    """
    context = multiprocessing.get_context("fork")
    waiting = list(enumerate(jobs))[::-1]
    running = {}                                # reader -> (job index, child, deadline)
    while waiting or running:
        while waiting and len(running) < workers:
            index, job = waiting.pop()
            reader, writer = context.Pipe(duplex=False)
            child = context.Process(target=_grade_in_child, args=(writer, *job), daemon=True)
            child.start()
            writer.close()
            running[reader] = (index, child, time.monotonic() + SECONDS_PER_GRADING)
        next_deadline = min(deadline for _, _, deadline in running.values())
        ready = multiprocessing.connection.wait(list(running),
                                                max(0.0, next_deadline - time.monotonic()))
        for reader, (index, child, deadline) in list(running.items()):
            if reader in ready:
                try:
                    lost = reader.recv()
                except EOFError:                # the child died without an answer
                    lost = ["crashed"]
            elif time.monotonic() >= deadline:
                child.kill()
                lost = ["timed out"]
            else:
                continue
            child.join()
            reader.close()
            del running[reader]
            yield index, lost


def check_masters(assignments, seeds):
    """Stop unless every master solution gets full marks under every seed used.

    This also runs each suite once in this process, so that the forked children
    start with pytest and the suites already imported.
    """
    for assignment in assignments:
        for seed in seeds:
            lost = grade_code(assignment, solution_code(assignment), seed=seed).lost()
            if lost:
                sys.exit(f"the master solution of {assignment} loses {', '.join(lost)} "
                         f"with seed {seed}: fix that before testing the suite with mutants")


# --- the reviewed list ------------------------------------------------------------

def load_reviewed(path):
    """{mutant key: (verdict, reason)} from the reviewed list, checked for mistakes."""
    with open(path, "rb") as file:
        entries = tomllib.load(file).get("survivor", [])
    fields = {"assignment", "function", "mutation", "context", "verdict", "reason"}
    reviewed = {}
    for n, entry in enumerate(entries, 1):
        if set(entry) != fields:
            problem = f"has the fields {sorted(entry)}, not {sorted(fields)}"
        elif entry["verdict"] not in VERDICTS:
            problem = f"has the verdict {entry['verdict']!r}, not one of {VERDICTS}"
        elif not entry["reason"].strip():
            problem = "gives no reason"
        else:
            key = (entry["assignment"], entry["function"], entry["mutation"], entry["context"])
            if key not in reviewed:
                reviewed[key] = (entry["verdict"], entry["reason"])
                continue
            problem = "repeats an earlier entry"
        sys.exit(f"{path}: survivor entry {n} {problem}")
    return reviewed


def as_entry(mutant):
    """A reviewed-list entry for ``mutant``, with the verdict and reason left to fill in."""
    def text(value):
        return json.dumps(value, ensure_ascii=False)   # a valid TOML basic string
    return "\n".join(["[[survivor]]", f"assignment = {text(mutant.assignment)}",
                      f"function = {text(mutant.function)}", f"mutation = {text(mutant.mutation)}",
                      f"context = {text(mutant.context)}",
                      'verdict = ""  # "equivalent" or "out of contract"', 'reason = ""', ""])


# --- the run ----------------------------------------------------------------------

def _selected(names):
    """The assignments named, each as a full name or a prefix of exactly one."""
    if not names:
        return list(ASSIGNMENTS)
    chosen = []
    for name in names:
        matches = [a for a in ASSIGNMENTS if a.startswith(name)]
        if len(matches) != 1:
            sys.exit(f"{name!r} names {len(matches)} assignments: "
                     f"use one of {', '.join(ASSIGNMENTS)}")
        chosen += matches
    return [a for a in ASSIGNMENTS if a in chosen]


def grade_population(population, jobs, extra_seeds):
    """Grade every mutant with the first seed, then each survivor with the extra seeds.

    Returns (lost groups of each mutant under the first seed, {mutant index:
    (first seed that killed it, lost groups)} for those killed only later, the
    mutants that survived every seed).
    """
    print(f"grading {len(population)} mutants with seed {FIRST_SEED} ...", file=sys.stderr,
          flush=True)
    lost = dict(grade_all([(m.assignment, m.code, FIRST_SEED) for m in population], jobs))
    first_survivors = [i for i in range(len(population)) if not lost[i]]
    recheck = [(i, seed) for i in first_survivors for seed in extra_seeds]
    print(f"grading the {len(first_survivors)} survivors again with seeds {extra_seeds} ...",
          file=sys.stderr, flush=True)
    late_kills = {}
    for job, groups in grade_all([(population[i].assignment, population[i].code, seed)
                                  for i, seed in recheck], jobs):
        i, seed = recheck[job]
        if groups and (i not in late_kills or seed < late_kills[i][0]):
            late_kills[i] = (seed, groups)
    return lost, late_kills, [population[i] for i in first_survivors if i not in late_kills]


def _cause(lost):
    """Why a mutant was killed: it lost points, or its grading failed (and how)."""
    failure = lost[0]
    if failure in ("timed out", "crashed") or failure.startswith("grader raised"):
        return failure
    return "lost points"


def report(assignments, population, lost, late_kills, survivors, reviewed):
    """Print the table and the lists; True if a score is low or a survivor unreviewed."""
    print(f"{'assignment':<24}{'mutants':>8}{'killed':>8}{'equivalent':>11}"
          f"{'out of contract':>16}{'unreviewed':>11}{'score':>8}{'all changes':>12}")
    failed = False
    rows = [(a, [m for m in population if m.assignment == a],
             [reviewed.get(m.key, ("unreviewed",))[0] for m in survivors if m.assignment == a])
            for a in assignments]
    if len(rows) > 1:
        rows.append(("all", population, [v for _, _, verdicts in rows for v in verdicts]))
    for assignment, mine, verdicts in rows:
        killed, equivalent = len(mine) - len(verdicts), verdicts.count("equivalent")
        outside = verdicts.count("out of contract")
        score = killed / max(len(mine) - equivalent - outside, 1)
        every_change = killed / max(len(mine) - equivalent, 1)
        failed |= assignment != "all" and (score < PASS_MARK or "unreviewed" in verdicts)
        print(f"{assignment:<24}{len(mine):>8}{killed:>8}{equivalent:>11}"
              f"{outside:>16}{verdicts.count('unreviewed'):>11}"
              f"{score:>8.1%}{every_change:>12.1%}")

    causes = collections.Counter(_cause(groups) for groups in lost.values() if groups)
    print(f"\nkilled by seed {FIRST_SEED}: "
          + ", ".join(f"{count} {cause}" for cause, count in sorted(causes.items())))
    if late_kills:
        print("\nkilled only by a later seed (a student with this bug could pass under an "
              "unlucky seed):")
        for i, (seed, groups) in sorted(late_kills.items()):
            m = population[i]
            print(f"  {m.assignment}  {m.function}: {m.mutation}  [{m.context}]  "
                  f"seed {seed}: {', '.join(groups)}")
    unreviewed = [m for m in survivors if m.key not in reviewed]
    if unreviewed:
        print(f"\nunreviewed survivors ({len(unreviewed)}): a gap in a suite, or review them in "
              f"{os.path.relpath(REVIEWED, ROOT)}:\n")
        print("\n".join(as_entry(m) for m in unreviewed))
    surviving = {m.key for m in survivors}
    stale = [(key, verdict) for key, (verdict, _) in reviewed.items()
             if key[0] in assignments and key not in surviving]
    if stale:
        existing = {m.key for m in population}
        print("\nreviewed entries without a surviving mutant (update the reviewed list):")
        for key, verdict in stale:
            status = "now killed" if key in existing else "no such mutant"
            print(f"  {status} ({verdict}): {key[0]}  {key[1]}: {key[2]}  [{key[3]}]")
    return failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                        help="assignments to run (default: all six); a prefix will do")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="gradings at once (default: the number of CPUs)")
    parser.add_argument("--seeds", type=int, default=3,
                        help="extra seeds under which survivors are graded again (default: 3)")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.seeds < 0:
        parser.error("--jobs must be at least 1 and --seeds at least 0")
    started = time.perf_counter()
    assignments = _selected(args.assignments)
    reviewed = load_reviewed(REVIEWED)
    extra_seeds = list(range(FIRST_SEED + 1, FIRST_SEED + 1 + args.seeds))
    check_masters(assignments, [FIRST_SEED] + extra_seeds)
    population = [m for a in assignments for m in mutants(a)]
    lost, late_kills, survivors = grade_population(population, args.jobs, extra_seeds)
    failed = report(assignments, population, lost, late_kills, survivors, reviewed)
    print(f"\n{len(population)} mutants graded in {time.perf_counter() - started:.0f} s "
          f"with {args.jobs} jobs")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
