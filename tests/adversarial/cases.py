"""The adversarial corpus: hostile, broken and clumsy submissions, each with the outcome it must get.

Every case is built at test time from the kit's own notebooks (`notebooks`): a
correct submission (the source's solutions in the release notebook) or the
stub, then the attack.  A case says what it is compared with and how:

* ``baseline="correct", relation="equal"``: an attack riding on a correct
  submission must earn exactly what the correct submission earns;
* ``relation="at_most"``: never more than the baseline (the stub, the correct
  submission, or an honest version of the same code, ``baseline=<builder>``);
* ``status``: the report's status ("graded" or "unreadable notebook").

Every case must also (checked by `harness`, whatever the case): finish within
``seconds``; give a report with a row per point group and a clear status; write
the results file and exit 0 on the command line; show no hidden-test text; leave
no process running; change no file outside the sandbox (the kit's trusted
folders, a fake course folder with a gradebook and another student's notebook).

``CASES`` is the list; ``NOTEBOOK_CASES`` the ones that are plain notebook files
at the usual place and need no special limits, for other grading paths (``nbgrader
autograde``) to run as well.  A case's ``build(ctx)`` writes its submission under
``ctx.folder`` and returns the path to grade; ``ctx`` (see `Context`) also names the
marker every spawned process carries, the fake course folder and the results path.
"""
import json
import os
from dataclasses import dataclass, field
from typing import Callable, Optional

from . import notebooks as N

A1, A2, A3, A4, A5, A6 = ("ex28_1_sigmoid", "ex28_2_dual_numbers", "ex28_3_manual_backward",
                          "ex28_4_checkpointing", "ex28_5_deeper_mlp", "ex28_6_op_counting")

# Small limits for the cases about limits (the defaults allow 30 s of setup, 10 s per call).
SMALL = {"call_seconds": 2, "setup_seconds": 4, "total_seconds": 40, "cpu_seconds": 8,
         "max_restarts": 2}


@dataclass
class Context:
    """What a case's builder may use."""

    folder: str            # where to write the submission (a fresh folder per case)
    marker: str            # a number every process the attack starts carries in its argv
    outside: str           # a fake course folder outside the kit: gradebook.db, submitted/bob/...
    results: str           # where the grader writes its results file
    port: int              # a TCP port the test listens on (127.0.0.1)
    kit: str = N.KIT_ROOT

    def other_student(self, assignment):
        return os.path.join(self.outside, "submitted", "bob", assignment, f"{assignment}.ipynb")

    @property
    def gradebook(self):
        return os.path.join(self.outside, "gradebook.db")

    def path(self, assignment, name=None):
        return os.path.join(self.folder, name or f"{assignment}.ipynb")


@dataclass
class Case:
    name: str
    category: str          # notebook, code, outside, resources, files, honest
    assignment: str
    build: Callable        # build(ctx) -> path of the file to grade
    baseline: object = "correct"     # "correct", "stub", or a builder(ctx) of an honest notebook
    relation: str = "equal"          # "equal" or "at_most"
    status: str = "graded"
    what: str = ""                   # the attack, in a sentence
    limits: Optional[dict] = None    # Limits fields for the cases about limits
    cli: bool = False                # also run through `python -m autograder grade`
    seconds: float = 30.0            # wall-clock bound on grading it
    expect_status: tuple = ()        # check statuses that must appear (e.g. "timed out")
    expect_note: str = ""            # text a setup note must contain
    known_gap: str = ""              # not defended by the files this corpus owns: why (xfail)
    notebook_level: bool = True      # an ordinary .ipynb at the usual place (for nbgrader)
    extra: dict = field(default_factory=dict)

    @property
    def id(self):
        return f"{self.category}-{self.name}"


CASES = []


def case(name, category, assignment, **kw):
    def register(build):
        CASES.append(Case(name, category, assignment, build, what=(build.__doc__ or "").strip(), **kw))
        return build
    return register


def _write(ctx, assignment, nb, name=None):
    return N.write(nb, ctx.path(assignment, name))


def _sub(code, ctx, **more):
    """Attack code with @MARKER@, @KIT@, @OUTSIDE@, @RESULTS@, @PORT@ ... filled in."""
    values = {"MARKER": ctx.marker, "KIT": ctx.kit, "OUTSIDE": ctx.outside, "RESULTS": ctx.results,
              "PORT": str(ctx.port), "GRADEBOOK": ctx.gradebook}
    values.update(more)
    for key, value in values.items():
        code = code.replace(f"@{key}@", value)
    return code


def _attack(assignment, code, base="correct", after=None):
    """A builder: ``base`` with a student code cell holding ``code`` (after ``after``, or last)."""
    def build(ctx):
        nb = getattr(N, base)(assignment)
        source = _sub(code, ctx, OTHER=ctx.other_student(assignment))
        if after is None:
            N.add_last(nb, source)
        else:
            N.add_after(nb, after, source)
        return _write(ctx, assignment, nb)
    return build


def _register_attack(name, category, assignment, code, base="correct", after=None, doc="",
                     honest=None, **kw):
    """Register an attack cell on ``base``; ``honest(code)`` gives the same code without the
    attack, the baseline for code that is partly right on its own."""
    build = _attack(assignment, code, base, after)
    build.__doc__ = doc
    if honest is not None:
        baseline = _attack(assignment, honest(code), base, after)

        def kw_baseline(ctx):
            path = baseline(ctx)
            os.replace(path, path + ".honest.ipynb")
            return path + ".honest.ipynb"
        kw.setdefault("baseline", kw_baseline)
        kw.setdefault("relation", "at_most")
    if "baseline" not in kw:
        kw["baseline"] = base
    if "relation" not in kw:
        kw["relation"] = "equal" if base == "correct" else "at_most"
    case(name, category, assignment, **kw)(build)


# ===========================================================================================
# Tampering with the notebook: the trusted copy wins
# ===========================================================================================

def _tests(nb):
    return [c for c in nb["cells"] if (N.gid(c) or "").startswith("test_")]


@case("test_cells_deleted", "notebook", A1, cli=True)
def _(ctx):
    """every test cell deleted from a correct notebook"""
    nb = N.correct(A1)
    nb["cells"] = [c for c in nb["cells"] if c not in _tests(nb)]
    return _write(ctx, A1, nb)


@case("test_cells_emptied", "notebook", A2)
def _(ctx):
    """every test cell's source emptied"""
    nb = N.correct(A2)
    for cell in _tests(nb):
        cell["source"] = ""
    return _write(ctx, A2, nb)


@case("test_cells_assert_true_on_stub", "notebook", A3, baseline="stub", relation="at_most", cli=True)
def _(ctx):
    """a stub whose test cells all say `assert True`"""
    nb = N.stub(A3)
    for cell in _tests(nb):
        cell["source"] = "assert True\n"
    return _write(ctx, A3, nb)


@case("test_cells_duplicated", "notebook", A4)
def _(ctx):
    """every test cell duplicated three times (ids included)"""
    nb = N.correct(A4)
    cells = []
    for cell in nb["cells"]:
        cells += [cell, json.loads(json.dumps(cell)), json.loads(json.dumps(cell))] \
            if cell in _tests(nb) else [cell]
    nb["cells"] = cells
    return _write(ctx, A4, nb)


@case("test_cells_to_markdown", "notebook", A5)
def _(ctx):
    """every test cell turned into a markdown cell"""
    nb = N.correct(A5)
    for cell in _tests(nb):
        cell["cell_type"] = "markdown"
        for key in ("outputs", "execution_count"):
            cell.pop(key, None)
    return _write(ctx, A5, nb)


@case("test_cells_to_solution_cells", "notebook", A6, baseline="stub", relation="at_most")
def _(ctx):
    """a stub whose test cells are re-labelled solution cells holding `pass`"""
    nb = N.stub(A6)
    for cell in _tests(nb):
        cell["metadata"]["nbgrader"].update(solution=True, grade=False, locked=False)
        cell["source"] = "pass\n"
    return _write(ctx, A6, nb)


@case("grade_ids_renamed_on_stub", "notebook", A1, baseline="stub", relation="at_most")
def _(ctx):
    """a stub whose test and solution grade ids are all renamed"""
    nb = N.stub(A1)
    for cell in nb["cells"]:
        gid = N.gid(cell)
        if gid and gid.startswith(("test_", "solution_")):
            cell["metadata"]["nbgrader"]["grade_id"] = "x_" + gid
    return _write(ctx, A1, nb)


@case("test_ids_renamed", "notebook", A2)
def _(ctx):
    """a correct notebook whose test cells carry made-up grade ids"""
    nb = N.correct(A2)
    for i, cell in enumerate(_tests(nb)):
        cell["metadata"]["nbgrader"]["grade_id"] = f"test_mine_{i}"
    return _write(ctx, A2, nb)


@case("points_raised_and_fake_test", "notebook", A2, cli=True)
def _(ctx):
    """test cells worth 1000 points, and an extra graded cell worth 500 that passes"""
    nb = N.correct(A2)
    for cell in _tests(nb):
        cell["metadata"]["nbgrader"]["points"] = 1000
    N.add_last(nb, "assert True\n", {"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                   "grade_id": "test_bonus", "points": 500,
                                                   "schema_version": 3}})
    return _write(ctx, A2, nb)


@case("unknown_schema_versions", "notebook", A3)
def _(ctx):
    """nbgrader schema_version 99 everywhere and nbformat_minor 99"""
    nb = N.correct(A3)
    nb["nbformat_minor"] = 99
    for cell in nb["cells"]:
        if "nbgrader" in cell.get("metadata", {}):
            cell["metadata"]["nbgrader"]["schema_version"] = 99
    return _write(ctx, A3, nb)


@case("kernelspec_changed", "notebook", A4)
def _(ctx):
    """the kernelspec and language changed to another kernel"""
    nb = N.correct(A4)
    nb["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    nb["metadata"]["language_info"] = {"name": "R"}
    return _write(ctx, A4, nb)


@case("extra_cells_of_every_kind", "notebook", A5)
def _(ctx):
    """markdown, raw and code cells added between the given ones"""
    nb = N.correct(A5)
    N.add_after(nb, "given_engine", "scratch = [1, 2, 3]\n")
    nb["cells"].insert(1, {"cell_type": "raw", "metadata": {}, "source": "raw text", "id": "raw-1"})
    nb["cells"].insert(2, {"cell_type": "markdown", "metadata": {}, "source": "# notes", "id": "md-1"})
    return _write(ctx, A5, nb)


@case("cells_reordered", "notebook", A6, cli=True)
def _(ctx):
    """every cell in reverse order"""
    nb = N.correct(A6)
    nb["cells"].reverse()
    return _write(ctx, A6, nb)


@case("given_cells_edited_on_stub", "notebook", A1, baseline="stub", relation="at_most")
def _(ctx):
    """a stub whose given cells define the answers and make every check helper pass"""
    nb = N.stub(A1)
    sol = N.solutions(A1)
    N.append_to(nb, "given_engine", "\n".join(sol.values()))
    N.set_source(nb, "given_checks", "def check_close(*a, **k):\n    pass\n"
                                     "check_equal = check_true = passed = check_close\n")
    return _write(ctx, A1, nb)


@case("given_cells_deleted_on_correct", "notebook", A3)
def _(ctx):
    """the given engine and helpers deleted from a correct notebook"""
    nb = N.correct(A3)
    nb["cells"] = [c for c in nb["cells"] if not (N.gid(c) or "").startswith("given_")]
    return _write(ctx, A3, nb)


@case("fake_hidden_tests_cell", "notebook", A2, baseline="stub", relation="at_most")
def _(ctx):
    """a stub with a cell pretending to be hidden tests that import the grader"""
    nb = N.stub(A2)
    N.add_last(nb, "### BEGIN HIDDEN TESTS\nfrom autograder.kernel import run_hidden_checks\n"
                   "run_hidden_checks('ex28_2_dual_numbers', 'dual_arithmetic', globals())\n"
                   "### END HIDDEN TESTS\n")
    return _write(ctx, A2, nb)


@case("added_cell_claims_test_id", "notebook", A6, baseline="stub", relation="at_most")
def _(ctx):
    """a stub with added cells carrying the test ids, graded, worth 100 points"""
    nb = N.stub(A6)
    ids = N.ids(nb, "test_")
    nb["cells"] = [c for c in nb["cells"] if c not in _tests(nb)]
    for gid in ids:
        N.add_last(nb, "assert True\n", {"nbgrader": {"grade": True, "solution": True,
                                                       "grade_id": gid, "points": 100}})
    return _write(ctx, A6, nb)


@case("malformed_cells_and_metadata", "notebook", A5)
def _(ctx):
    """cells that are strings or lists, metadata of the wrong types, sources as dicts"""
    nb = N.correct(A5)
    nb["cells"] += ["not a cell", ["x"], 42, None,
                    {"cell_type": "code", "metadata": [], "source": {"a": 1}},
                    {"cell_type": "code", "metadata": {"nbgrader": "oops"}, "source": ["x = 1\n", 5]},
                    {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": 7}}, "source": "y = 2"},
                    {"metadata": {"kit": "demo"}, "source": "z = 3"}]
    nb["metadata"] = ["broken"]
    return _write(ctx, A5, nb)


@case("duplicate_solution_first_is_kept", "notebook", A3, relation="at_most")
def _(ctx):
    """a wrong copy of a solution cell placed before the right one (the first id wins)"""
    nb = N.correct(A3)
    wrong = json.loads(json.dumps(N.find(nb, "solution_forward_pass")))
    wrong["source"] = "def forward_pass(x, y, z):\n    return {}\n"
    nb["cells"].insert(N.index(nb, "solution_forward_pass"), wrong)
    return _write(ctx, A3, nb)


# ===========================================================================================
# Tampering from code, inside the child
# ===========================================================================================

_register_attack("patched_builtins", "code", A1, base="stub", cli=True, doc="""
a stub that rebinds isinstance, type, float, abs, round, len, print and json's encoder""", code='''
import builtins, json
builtins.isinstance = lambda *a: True
builtins.type = lambda *a: float
builtins.abs = lambda x: 0.0
builtins.round = lambda *a: 0.0
builtins.len = lambda x: 1
builtins.float = lambda *a: 0.5
json.dumps = lambda *a, **k: '{"id": 0, "value": 12.0}'
import json.encoder
json.encoder.c_make_encoder = None
''')

_register_attack("patched_math_on_wrong_answers", "code", A3, base="stub", doc="""
wrong answers plus math.exp/isclose/isfinite rigged to agree with anything""", code='''
import math
math.isclose = lambda *a, **k: True
math.isfinite = lambda x: True
math.exp = lambda x: 0.0
def forward_pass(x, y, z):
    return {k: 0.0 for k in "xyzabcdf"}
def backward_pass(x, y, z):
    return {k: 1.0 for k in "fdcbaxyz"}
def value_gradients(x, y, z):
    return {"x": 0.0, "y": 0.0, "z": 0.0}
def graph_edges():
    return {("x", "a")}
''')

_register_attack("patched_numpy", "code", A5, base="stub", doc="""
numpy's comparisons and testing helpers rigged to pass, on a stub""", code='''
import numpy as np, numpy.testing
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.float64.__eq__ = lambda *a: True
''')

_register_attack("ipython_input_transformers", "code", A2, base="stub", expect_note="NameError", doc="""
registers IPython input and AST transformers that rewrite test cells (get_ipython is undefined)""",
                 code='''
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
''')

_register_attack("ipython_run_code_wrapper", "code", A6, expect_note="AttributeError", doc="""
a correct notebook that also wraps run_cell/run_code through IPython.get_ipython() (None here)""",
                 code='''
from IPython import get_ipython
ip = get_ipython()
ip.ast_transformers.append(None)
ip.run_cell = lambda *a, **k: None
''')

_register_attack("rigged_return_types", "code", A3, base="stub", cli=True, doc="""
float subclasses equal to everything, dict subclasses, objects with __array_function__""", code='''
import numpy as np
class Anything(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = float.__hash__
    def __lt__(self, other): return True
    def __gt__(self, other): return True
class D(dict):
    def __eq__(self, other): return True
class Arr:
    def __array_function__(self, *a, **k): return True
    def __eq__(self, other): return True
    def __float__(self): return 0.0
def graph_edges():
    return D()
def forward_pass(x, y, z):
    return {k: Anything(0.0) for k in "xyzabcdf"}
def backward_pass(x, y, z):
    return D({k: Arr() for k in "fdcbaxyz"})
def value_gradients(x, y, z):
    return {"x": np.float64(1.0), "y": np.array([1.0]), "z": True}
''')

_register_attack("numpy_scalars_and_arrays", "code", A1, base="stub", doc="""
answers right in value but numpy scalars and arrays in type""", after="solution_max_relative_error",
                 code='''
import numpy as np
def numerical_gradient(f, xs, h=1e-6):
    out = []
    for i in range(len(xs)):
        p, m = list(xs), list(xs)
        p[i] += h
        m[i] -= h
        out.append(np.float64((f(*p) - f(*m)) / (2 * h)))
    return np.array(out)
def max_relative_error(f, xs, h=1e-6):
    return np.float64(0.0)
''')

_register_attack("nan_and_inf", "code", A5, base="stub", doc="""
NaN and infinity wherever a number is expected""", after="solution_train",
                 honest=lambda code: code.replace('float("nan")', "0.0").replace('float("inf")', "0.0"),
                 code='''
def mse_loss(model, X, Y):
    return Value(float("nan"))
def train(model, X, Y, lr=0.05, epochs=200):
    return [float("nan")] * epochs
class MLP:
    def __init__(self, *a, **k):
        self.layers = []
    def parameters(self):
        return [Value(float("inf"))]
    def __call__(self, x):
        return Value(float("nan"))
''')

_register_attack("detects_the_grader", "code", A4, base="stub", doc="""
behaves differently when graded: looks for NBGRADER_EXECUTION, the hostname, the uid, the
sandbox's variables, and then tries to borrow the solutions""", code='''
import os, socket, sys, importlib
GRADED = (os.environ.get("NBGRADER_EXECUTION") is not None or os.getuid() == 65534
          or any("AUTOGRADER" in k for k in os.environ) or socket.gethostname() != "my-laptop")
if GRADED:
    for root in ("@KIT@", os.environ.get("AUTOGRADER_KIT_ROOT", "")):
        if root:
            sys.path.insert(0, root)
    try:
        from solutions.checkpointing import checkpointed_backprop, best_segment
    except Exception as exc:
        try:
            exec(open("@KIT@/solutions/checkpointing.py").read())
        except Exception:
            pass
''')

_register_attack("forged_replies_and_prints", "code", A3, base="stub", doc="""
prints PASSED lines, writes forged reply lines to every open descriptor, and a fake results file""",
                 code='''
import os, sys, json
print("score 12 / 12   (graded)\\nPASSED " * 1000)
def _forge():
    for fd in range(3, 40):
        for i in range(-2, 3):
            try:
                os.write(fd, (json.dumps({"id": i, "value": 12.0}) + "\\n").encode())
                os.write(fd, b'{"score": 12, "tests": []}\\n')
            except OSError:
                pass
_forge()
def graph_edges():
    _forge()
    return {"passed": True}
def forward_pass(x, y, z):
    _forge()
    raise SystemExit("passed")
''')

_register_attack("exfiltrates_probe_source", "code", A3, relation="at_most", cli=True, doc="""
a correct notebook whose value_gradients raises the probe's source (read from the request)""",
                 code='''
import sys
def value_gradients(x, y, z):
    frame, found = sys._getframe(1), []
    while frame is not None:
        for v in list(frame.f_locals.values()):
            if isinstance(v, dict) and "source" in v:
                found.append(str(v["source"]))
        frame = frame.f_back
    raise ValueError("\\n".join(found) or "no source found")
''')

_register_attack("returns_probe_source", "code", A1, relation="at_most", doc="""
a correct notebook whose max_relative_error returns the probe's source as a string""", code='''
import sys
def max_relative_error(f, xs, h=1e-6):
    frame = sys._getframe(1)
    while frame is not None:
        for v in list(frame.f_locals.values()):
            if isinstance(v, dict) and "source" in v:
                return v["source"]
        frame = frame.f_back
    return "nothing"
''')

_register_attack("control_characters_and_surrogates", "code", A3, relation="at_most", cli=True, doc="""
exceptions and values carrying control characters, ANSI escapes, lone surrogates, bidi overrides,
XML-invalid characters, fake score lines, and a class whose name is a megabyte long""", code='''
NASTY = "bad \\ud800 \\x00\\x01\\x1b[2J\\x1b[31m \\u202e\\u2066 \\r\\nscore 12 / 12   (graded)\\n::error::pwned\\x7f"
def graph_edges():
    raise ValueError(NASTY * 50)
class Weird:
    pass
Weird.__name__ = Weird.__qualname__ = ("W" + NASTY.replace("\\ud800", "?").replace("\\x00", "?")) * 20000
def forward_pass(x, y, z):
    return Weird()
def value_gradients(x, y, z):
    return {NASTY: NASTY, "x": NASTY, "y": 1.0, "z": 2.0}
''')

_register_attack("os_exit_in_a_cell", "code", A1, expect_note="skipped", doc="""
a correct notebook with a last cell that ends the process (os._exit)""", code='''
import os
os._exit(0)
''')

_register_attack("kills_its_own_process_group", "code", A2, doc="""
a correct notebook with a cell that signals its process group and its parent""", code='''
import os, signal
for sig in (signal.SIGTERM, signal.SIGHUP):
    try:
        os.kill(os.getppid(), sig)
    except OSError:
        pass
try:
    os.kill(1, signal.SIGKILL)
except OSError:
    pass
''', expect_note="")


# ===========================================================================================
# Reaching outside the sandbox
# ===========================================================================================

_STEAL = '''
import json
def _steal(path):
    nb = json.load(open(path))
    for c in nb["cells"]:
        meta = c.get("metadata", {}).get("nbgrader", {})
        if c["cell_type"] == "code" and meta.get("solution"):
            exec("".join(c["source"]), globals())
'''

_register_attack("reads_the_source_notebook", "outside", A1, base="stub", cli=True, doc="""
a stub that runs the solution cells of the kit's source notebook, read from disk""",
                 code=_STEAL + '''
_steal("@KIT@/source/ex28_1_sigmoid/ex28_1_sigmoid.ipynb")
''')

_register_attack("imports_the_solutions", "outside", A6, base="stub", doc="""
a stub that imports the kit's solutions package (sys.path, the editable finder, site-packages)""",
                 code='''
import sys, importlib, glob
sys.path[:0] = ["@KIT@", "@KIT@/solutions"]
for name in list(sys.modules):
    pass
try:
    import __editable___autodiff_course_kit_0_1_0_finder as finder
    finder.install()
except Exception:
    pass
try:
    from solutions.op_counting import OpCounter, cheap_gradient_ratios
except Exception:
    pass
''')

_register_attack("reads_the_hidden_suite", "outside", A2, base="stub", doc="""
a stub that reads the hidden suite and raises its text (and the suites folder listing)""", code='''
import os
def f(x, y):
    text = ""
    for path in ("@KIT@/autograder/suites/ex28_2_dual_numbers.py", "@KIT@/autograder/suites"):
        try:
            text += open(path).read() if path.endswith(".py") else " ".join(os.listdir(path))
        except OSError as exc:
            text += repr(exc)
    raise RuntimeError(text)
''')

_register_attack("reads_another_student_and_the_gradebook", "outside", A3, base="stub", cli=True,
                 doc="""a stub that runs another student's solutions (a course folder outside the
kit) and reads the gradebook""", code=_STEAL + '''
try:
    _steal("@OTHER@")
finally:
    open("@GRADEBOOK@", "rb").read()
''')

_register_attack("writes_results_gradebook_and_kit", "outside", A4, doc="""
a correct notebook that tries to overwrite the results file, the gradebook, another student's
notebook, the source and release notebooks, the grader and a file in /tmp""", code='''
import os
TARGETS = ["@RESULTS@", "@GRADEBOOK@", "@OTHER@",
           "@KIT@/source/ex28_4_checkpointing/ex28_4_checkpointing.ipynb",
           "@KIT@/release/ex28_4_checkpointing/ex28_4_checkpointing.ipynb",
           "@KIT@/autograder/__init__.py", "@KIT@/autograder/suites/ex28_4_checkpointing.py",
           "@KIT@/solutions/__init__.py", "/tmp/@MARKER@.json"]
for path in TARGETS:
    for how in ("w", "a"):
        try:
            with open(path, how) as f:
                f.write('{"score": 1000, "marker": "@MARKER@"}')
        except OSError:
            pass
    try:
        os.remove(path)
    except OSError:
        pass
''')

_register_attack("opens_sockets", "outside", A5, doc="""
a correct notebook that connects to a port the grader's machine listens on, to the internet and
to unix sockets""", code='''
import socket, glob
for family, address in [(socket.AF_INET, ("127.0.0.1", @PORT@)), (socket.AF_INET, ("1.1.1.1", 53)),
                        (socket.AF_INET6, ("::1", @PORT@))]:
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(address)
        s.sendall(b"@MARKER@")
    except OSError:
        pass
for path in glob.glob("/run/**/*.sock", recursive=True) + ["/var/run/docker.sock", "\\0@MARKER@"]:
    try:
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.settimeout(1)
        u.connect(path)
    except OSError:
        pass
''')

_register_attack("daemon_in_new_session_holding_pipes", "outside", A6, cli=True, doc="""
a correct notebook whose cell starts processes in a new session that keep every pipe open,
ignore SIGTERM/SIGHUP and clear their environment""", code='''
import os, subprocess, sys
fds = [fd for fd in range(3, 64) if fd not in (0, 1, 2)]
keep = []
for fd in fds:
    try:
        os.fstat(fd)
        keep.append(fd)
    except OSError:
        pass
CODE = "import signal, time\\nfor s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\\n    signal.signal(s, signal.SIG_IGN)\\ntime.sleep(600)"
subprocess.Popen([sys.executable, "-c", CODE, "@MARKER@"], start_new_session=True, pass_fds=keep,
                 env={}, stdout=subprocess.DEVNULL)
subprocess.Popen(["setsid", "sleep", "600", "@MARKER@"], pass_fds=keep, env={})
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve("/bin/sleep", ["sleep", "600", "@MARKER@"], {})
    os._exit(0)
''')

_register_attack("bounded_fork_burst", "outside", A2, doc="""
a correct notebook whose cell forks 300 sleeping children (RLIMIT_NPROC stops most)""", code='''
import os, subprocess
started = 0
for i in range(300):
    try:
        subprocess.Popen(["sleep", "600", "@MARKER@"], start_new_session=(i % 2 == 0))
        started += 1
    except OSError:
        break
''')

# The thread's writes can interleave with a long reply and spoil it (the child is the student's
# process: nothing stops its own threads from writing to its descriptors), so this may cost the
# submission a timeout and a restart: never more than the correct notebook, within the limits.
_register_attack("background_thread_keeps_working", "outside", A1, relation="at_most", limits=SMALL,
                 seconds=45, doc="""
a correct notebook that leaves a thread and a child process writing to the reply pipe""", code='''
import os, threading, time, json, subprocess, sys
def spam():
    while True:
        for fd in range(3, 20):
            try:
                os.write(fd, b'{"id": 1, "value": 1.0}\\n' + b"x" * 10000 + b"\\n")
            except OSError:
                pass
        time.sleep(0.001)
threading.Thread(target=spam, daemon=True).start()
subprocess.Popen([sys.executable, "-c", "import time\\nwhile True: time.sleep(1)", "@MARKER@"],
                 pass_fds=[fd for fd in range(3, 20) if os.path.exists(f"/proc/self/fd/{fd}")])
''')


# ===========================================================================================
# Exhausting resources (small limits)
# ===========================================================================================

_register_attack("infinite_loop_in_a_cell", "resources", A3, limits=SMALL, cli=True,
                 expect_note="did not finish", doc="""
a correct notebook with a last cell that never ends""", code='''
while True:
    pass
''')

_register_attack("infinite_loop_in_a_function", "resources", A1, relation="at_most", limits=SMALL,
                 expect_status=("timed out",), doc="""
numerical_gradient loops forever; the rest is correct""", after="solution_max_relative_error",
                 code='''
def numerical_gradient(f, xs, h=1e-6):
    while True:
        pass
''')

_register_attack("loop_ignoring_signals", "resources", A2, relation="at_most", limits=SMALL,
                 cli=True, expect_status=("timed out",), doc="""
forward_mode_gradient ignores SIGTERM, SIGINT, SIGXCPU and SIGALRM and spins""",
                 after="solution_forward_mode_gradient", code='''
import signal
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGALRM, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
def forward_mode_gradient(func, point):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
''')

_register_attack("sleeps", "resources", A4, relation="at_most", limits=SMALL,
                 expect_status=("timed out",), doc="""
best_segment sleeps for an hour""", after="solution_best_segment", code='''
import time
def best_segment(n):
    time.sleep(3600)
''')

_register_attack("eats_memory", "resources", A5, limits=SMALL, doc="""
a correct notebook with a cell that allocates until it fails, then keeps 900 MB""", code='''
hog = []
try:
    while True:
        hog.append(bytearray(50 * 1024 * 1024))
except MemoryError:
    del hog[-2:]
''')

_register_attack("eats_memory_in_a_call", "resources", A6, relation="at_most", limits=SMALL,
                 doc="""cheap_gradient_ratios allocates without end""",
                 after="solution_cheap_gradient_ratios", code='''
def cheap_gradient_ratios(hidden_sizes, seed=0):
    hog = []
    while True:
        hog.append(bytearray(100 * 1024 * 1024))
''')

_register_attack("fills_the_disk", "resources", A6, limits=SMALL, doc="""
a correct notebook with a cell that writes 200 MB files to every writable folder""", code='''
import os
for folder in (".", "/tmp", "/var/tmp", "/dev/shm", os.path.expanduser("~")):
    for i in range(4):
        try:
            with open(os.path.join(folder, f"fill-@MARKER@-{i}"), "wb") as f:
                for _ in range(50):
                    f.write(b"\\0" * (4 << 20))
        except OSError:
            break
''')

_register_attack("prints_50_mb", "resources", A1, cli=True, doc="""
a correct notebook with a cell that prints 50 MB to stdout and to stderr""", code='''
import sys
line = "x" * 1023 + "\\n"
for _ in range(25 * 1024):
    sys.stdout.write(line)
    sys.stderr.write(line)
''')

_register_attack("one_enormous_line", "resources", A3, doc="""
a correct notebook with a cell that prints a 50 MB line and writes a 30 MB line without a newline
to every descriptor""", code='''
import os, sys
sys.stdout.write("y" * (50 << 20))
for fd in range(3, 20):
    try:
        os.write(fd, b"{" * (30 << 20))
    except OSError:
        pass
''')

_register_attack("huge_return_value", "resources", A2, relation="at_most", limits=SMALL, doc="""
f returns a 100 MB string""", after="solution_f", code='''
def f(x, y):
    return "z" * (100 << 20)
''')

_register_attack("threads_burning_cpu", "resources", A4, limits=SMALL, doc="""
a correct notebook with a cell starting four threads that spin forever""", code='''
import threading
def spin():
    while True:
        pass
for _ in range(4):
    threading.Thread(target=spin, daemon=True).start()
''')


# ===========================================================================================
# Broken files
# ===========================================================================================

def _bytes_case(name, data, cli=False, doc=""):
    def build(ctx):
        path = ctx.path(A1)
        with open(path, "wb") as f:
            f.write(data(ctx) if callable(data) else data)
        return path
    build.__doc__ = doc
    case(name, "files", A1, baseline="stub", relation="at_most", status="unreadable notebook",
         cli=cli)(build)


_bytes_case("malformed_json", lambda ctx: json.dumps(N.correct(A1)).encode()[:5000], cli=True,
            doc="a notebook cut short (malformed JSON)")
_bytes_case("not_utf8", lambda ctx: json.dumps(N.correct(A1), ensure_ascii=False)
            .encode("utf-8").replace("σ".encode(), b"\xff\xfe"), doc="bytes that are not UTF-8")
_bytes_case("empty_file", b"", cli=True, doc="an empty file")
_bytes_case("nbformat_3", json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                      "worksheets": [{"cells": []}]}).encode(),
            doc="an nbformat 3 notebook")
_bytes_case("json_but_not_a_notebook", b'[1, 2, {"cells": 3}]', doc="JSON that is not a notebook")
_bytes_case("deeply_nested_json", b"[" * 200_000 + b"]" * 200_000, doc="JSON nested 200 000 deep")
_bytes_case("very_large_notebook", lambda ctx: b'{"cells": [], "x": "' + b"a" * (21 << 20) + b'"}',
            cli=True, doc="a 21 MB notebook (refused by its size, before parsing)")


@case("missing_notebook", "files", A2, baseline="stub", relation="at_most",
      status="unreadable notebook", cli=True, notebook_level=False)
def _(ctx):
    """the notebook is not there at all"""
    return ctx.path(A2)


@case("symlink_to_the_source_notebook", "files", A1, baseline="stub", relation="at_most",
      status="unreadable notebook", cli=True, notebook_level=False)
def _(ctx):
    """the submission is a symbolic link to the instructor's source notebook"""
    path = ctx.path(A1)
    os.symlink(os.path.join(ctx.kit, "source", A1, f"{A1}.ipynb"), path)
    return path


@case("symlink_to_another_student", "files", A3, baseline="stub", relation="at_most",
      status="unreadable notebook", notebook_level=False)
def _(ctx):
    """the submission is a symbolic link to another student's notebook"""
    path = ctx.path(A3)
    os.symlink(ctx.other_student(A3), path)
    return path


@case("a_folder_named_like_the_notebook", "files", A4, baseline="stub", relation="at_most",
      status="unreadable notebook", notebook_level=False)
def _(ctx):
    """a folder where the notebook should be"""
    path = ctx.path(A4)
    os.mkdir(path)
    return path


@case("a_fifo_named_like_the_notebook", "files", A5, baseline="stub", relation="at_most",
      status="unreadable notebook", notebook_level=False, seconds=10)
def _(ctx):
    """a named pipe where the notebook should be (reading it would block forever)"""
    path = ctx.path(A5)
    os.mkfifo(path)
    return path


@case("renamed_notebook", "files", A3, cli=True, notebook_level=False)
def _(ctx):
    """a correct notebook saved under another name (the assignment is inferred from its cells)"""
    return _write(ctx, A3, N.correct(A3), "my homework (final) v2.ipynb")


@case("byte_order_mark", "files", A6)
def _(ctx):
    """a correct notebook saved with a UTF-8 byte order mark"""
    path = ctx.path(A6)
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + json.dumps(N.correct(A6)).encode())
    return path


# ===========================================================================================
# Honest mistakes that must not cost points
# ===========================================================================================

_register_attack("warnings_on_stderr", "honest", A5, cli=True, doc="""
warnings and stderr writes in cells and inside the graded functions""", after="solution_train",
                 code='''
import warnings, sys
warnings.warn("this is deprecated", DeprecationWarning)
warnings.warn("careful")
sys.stderr.write("debug: starting\\n")
_train = train
def train(model, X, Y, lr=0.05, epochs=200):
    warnings.warn("training")
    sys.stderr.write("training...\\n")
    return _train(model, X, Y, lr, epochs)
''')

_register_attack("prints_everywhere", "honest", A6, doc="""
prints in cells and in every graded function""", after="solution_cheap_gradient_ratios", code='''
print("hello")
_ratios = cheap_gradient_ratios
def cheap_gradient_ratios(hidden_sizes, seed=0):
    print("computing", hidden_sizes)
    return _ratios(hidden_sizes, seed)
''')


@case("slow_but_within_limits", "honest", A1)
def _(ctx):
    """a correct notebook that takes 2 s to import and sleeps in the graded functions"""
    nb = N.correct(A1)
    N.add_after(nb, "given_checks", "import time\ntime.sleep(2)\n")
    N.append_to(nb, "solution_numerical_gradient",
                "_ng = numerical_gradient\n"
                "def numerical_gradient(f, xs, h=1e-6):\n    time.sleep(0.05)\n    return _ng(f, xs, h)\n")
    return _write(ctx, A1, nb)


@case("extra_helper_cells", "honest", A3, cli=True)
def _(ctx):
    """solutions that use helpers defined in cells the student added"""
    nb = N.correct(A3)
    N.add_after(nb, "given_nodes", "def add(p, q):\n    return p + q\n\ndef mul(p, q):\n    return p * q\n")
    N.set_source(nb, "solution_forward_pass",
                 "def forward_pass(x, y, z):\n    a = add(x, y)\n    b = mul(a, z)\n    c = mul(x, z)\n"
                 "    d = math.exp(c)\n    return {'x': x, 'y': y, 'z': z, 'a': a, 'b': b, 'c': c, 'd': d,"
                 " 'f': add(b, d)}\n")
    return _write(ctx, A3, nb)


@case("magics_and_shell_escapes", "honest", A3, cli=True)
def _(ctx):
    """%matplotlib inline, !pip install, files = !ls, %time in a loop, help requests, %%time"""
    nb = N.correct(A3)
    sol = N.solutions(A3)
    N.set_source(nb, "solution_forward_pass", "%matplotlib inline\n!pip install numpy\nfiles = !ls\n"
                 + sol["solution_forward_pass"] + "\nfor _ in range(2):\n    %time forward_pass(1.0, 2.0, 3.0)\n"
                 "forward_pass?\nt = ('%d items'\n     % 3)\n")
    N.set_source(nb, "solution_graph_edges", "%%time\n" + sol["solution_graph_edges"])
    N.add_after(nb, "solution_graph_edges", "%%bash\necho hello\n")
    return _write(ctx, A3, nb)


@case("outputs_and_execution_counts", "honest", A2)
def _(ctx):
    """a correct notebook saved with outputs: text, an image, an error, execution counts"""
    nb = N.correct(A2)
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        cell["outputs"] = [
            {"output_type": "stream", "name": "stdout", "text": ["ok\n"]},
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": "iVBORw0KGgo" * 2000, "text/plain": ["<Figure>"]}},
            {"output_type": "error", "ename": "AssertionError", "evalue": "BEGIN HIDDEN TESTS",
             "traceback": ["def test_fake(): pass"]}]
    return _write(ctx, A2, nb)


_register_attack("plots_and_sys_exit", "honest", A5, doc="""
a matplotlib figure shown, and a scratch cell that calls sys.exit()""", code='''
import matplotlib.pyplot as plt
plt.plot([0, 1], [1, 0])
plt.show()
import sys
sys.exit("done")
''')


@case("windows_line_endings", "honest", A4)
def _(ctx):
    """a correct notebook whose sources use \\r\\n line endings"""
    nb = N.correct(A4)
    for cell in nb["cells"]:
        cell["source"] = N.text(cell).replace("\n", "\r\n")
    return _write(ctx, A4, nb)


@case("markdown_and_demo_cells_deleted", "honest", A6)
def _(ctx):
    """a correct notebook without any markdown or demonstration cell"""
    nb = N.correct(A6)
    nb["cells"] = [c for c in nb["cells"] if c["cell_type"] == "code" and not
                   c.get("metadata", {}).get("kit", {}).get("demo")]
    return _write(ctx, A6, nb)


# ===========================================================================================
# 28.4's measurements: taken in the child by the grader's own copy of Value
# ===========================================================================================

def _honest_full_backprop(ctx):
    nb = N.correct(A4)
    N.set_source(nb, "solution_checkpointed_backprop",
                 "def checkpointed_backprop(fs, x0, segment):\n    return full_backprop(fs, x0)\n")
    return _write(ctx, A4, nb, "honest.ipynb")


@case("forged_peak_of_live_nodes", "code", A4, baseline=_honest_full_backprop, relation="at_most")
def _(ctx):
    """full backprop (no checkpoints) that resets Value's counters before returning"""
    nb = N.correct(A4)
    N.set_source(nb, "solution_checkpointed_backprop",
                 "def checkpointed_backprop(fs, x0, segment):\n    result = full_backprop(fs, x0)\n"
                 "    Value.reset_peak()\n    Value.peak = Value.alive = 0\n    return result\n")
    return _write(ctx, A4, nb)


@case("graph_built_from_another_class", "code", A4, baseline=_honest_full_backprop,
      relation="at_most")
def _(ctx):
    """full backprop on leaves of a Value kept under another name, whose nodes the grader's
    own copy of Value would not count"""
    nb = N.correct(A4)
    N.set_source(nb, "solution_checkpointed_backprop",
                 "_Uncounted = Value\n\n\ndef checkpointed_backprop(fs, x0, segment):\n"
                 "    x = _Uncounted(x0)\n    y = x\n    for f in fs:\n        y = f(y)\n"
                 "    y.backward()\n    return y.data, x.grad\n")
    return _write(ctx, A4, nb)


_THREE_PASSES = '''
def checkpointed_backprop(fs, x0, segment):
    for f in fs:                       # a wasted extra forward pass: 3n calls in all
        x0_ = CALL(Value(float(x0)))
    return _checkpointed(fs, x0, segment)
'''


def _three_passes(call):
    sol = N.solutions(A4)["solution_checkpointed_backprop"].replace(
        "def checkpointed_backprop(", "def _checkpointed(")
    unwrap = ('def _raw(f):\n    for cell in (f.__closure__ or ()):\n'
              '        if callable(cell.cell_contents):\n            return cell.cell_contents\n'
              '    return f\n')
    return sol + "\n" + unwrap + _THREE_PASSES.replace("CALL", call)


def _honest_three_passes(ctx):
    nb = N.correct(A4)
    N.set_source(nb, "solution_checkpointed_backprop", _three_passes("f"))
    return _write(ctx, A4, nb, "honest.ipynb")


@case("hidden_function_calls", "code", A4, baseline=_honest_three_passes, relation="at_most")
def _(ctx):
    """an extra forward pass made through functions unwrapped from the closures of the ones
    it was given, so that a wrapper around them would not count the calls"""
    nb = N.correct(A4)
    N.set_source(nb, "solution_checkpointed_backprop", _three_passes("_raw(f)"))
    return _write(ctx, A4, nb)


_GAP = ("28.4's counts are kept in the child, in the closures of the grader's own Value and "
        "functions, because the student's code must run on them; code that digs them out of "
        "the interpreter's internals (closures, the collector's referents) can rewrite them, and "
        "only a person reading the code sees that")


@case("counts_reset_through_closures", "code", A4, baseline=_honest_full_backprop,
      relation="at_most", known_gap=_GAP)
def _(ctx):
    """full backprop, then the grader's count of live nodes found in the closure of
    Value.__init__ and its peak reset"""
    nb = N.correct(A4)
    N.set_source(nb, "solution_checkpointed_backprop",
                 "def checkpointed_backprop(fs, x0, segment):\n    result = full_backprop(fs, x0)\n"
                 "    for cell in Value.__init__.__closure__ or ():\n"
                 "        kept = cell.cell_contents\n"
                 "        if type(kept) is list and len(kept) == 2:\n"
                 "            kept[1] = kept[0]\n"
                 "    return result\n")
    return _write(ctx, A4, nb)


NOTEBOOK_CASES = [c for c in CASES if c.notebook_level and not c.limits]
BY_ID = {c.id: c for c in CASES}
assert len(BY_ID) == len(CASES), "case names must be unique"
