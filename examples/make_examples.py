"""Make the sample class: ``examples/submitted/<student>/<assignment>/<assignment>.ipynb``.

    python -m examples.make_examples          # (re)write the notebooks
    python -m examples.make_examples --check  # fail if the committed ones are out of date

Every sample starts from the release notebook a student gets (``release/``) and is
changed the way a student would change it: solution cells filled in with the
master solutions (``source/``), then broken on purpose.  Four students hand in all
six assignments:

full_marks    every function right, every essay answered
partly_wrong  a realistic mistake or two per assignment (wrong formula, a
              forgotten term, an off-by-one budget, grads never zeroed ...)
broken        what breaks a notebook: a syntax error, a cut-off (malformed) file,
              an empty file, a typo that raises, stubs left as they were
hostile       what a grader must survive: an infinite loop at the top level and
              inside a function, os._exit, test cells edited / deleted /
              duplicated / re-typed / given new points, forged grade cells,
              a re-labelled solution cell, stderr noise, huge output

A fifth student, copier, hands in only 28.1 and 28.3: partly_wrong's work with
the variables renamed, the comments and docstrings rewritten and two functions
swapped, mistakes included (what the similarity report must flag).

``EXPECTED`` is what the kit's grader must give each of them (automatic points
and the submission's status); the tests and the demo check it.
"""
import argparse
import copy
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(os.environ.get("AUTOGRADER_KIT_ROOT") or Path(__file__).resolve().parent.parent)
OUT = Path(__file__).resolve().parent / "submitted"
ASSIGNMENTS = ("ex28_1_sigmoid", "ex28_2_dual_numbers", "ex28_3_manual_backward",
               "ex28_4_checkpointing", "ex28_5_deeper_mlp", "ex28_6_op_counting")
STUDENTS = ("full_marks", "partly_wrong", "broken", "hostile", "copier")
# the assignments copier handed in (the others were not submitted)
COPIED = ("ex28_1_sigmoid", "ex28_3_manual_backward")

# (student, assignment) -> (automatic points, status).  Out of 12 for every assignment.
EXPECTED = {
    ("full_marks", "ex28_1_sigmoid"): (12.0, "graded"),
    ("full_marks", "ex28_2_dual_numbers"): (12.0, "graded"),
    ("full_marks", "ex28_3_manual_backward"): (12.0, "graded"),
    ("full_marks", "ex28_4_checkpointing"): (6.0, "graded"),
    ("full_marks", "ex28_5_deeper_mlp"): (12.0, "graded"),
    ("full_marks", "ex28_6_op_counting"): (12.0, "graded"),
    # naive sigmoid overflows (1 of 2 stability checks); forward differences (numerical
    # gradient, and the max_relative_error built on it)
    ("partly_wrong", "ex28_1_sigmoid"): (26 / 3, "graded"),
    # cos instead of sin in f (partials 0/2); one extra call of func (3/4)
    ("partly_wrong", "ex28_2_dual_numbers"): (9.0, "graded"),
    # the exp(x z) path into x forgotten (backward 0/6)
    ("partly_wrong", "ex28_3_manual_backward"): (6.0, "graded"),
    # every segment's graph kept (memory 0/2); ceil(sqrt(n)) as the best segment (0.5/1)
    ("partly_wrong", "ex28_4_checkpointing"): (3.5, "graded"),
    # grads never zeroed between epochs (training 0/3)
    ("partly_wrong", "ex28_5_deeper_mlp"): (9.0, "graded"),
    # leaves not counted as visited (visited 0/2)
    ("partly_wrong", "ex28_6_op_counting"): (10.0, "graded"),
    # SyntaxError: no Value.sigmoid (the other two functions still score)
    ("broken", "ex28_1_sigmoid"): (4.0, "graded"),
    ("broken", "ex28_2_dual_numbers"): (0.0, "unreadable notebook"),      # cut-off JSON
    # NameError in forward_pass, which backward_pass calls too
    ("broken", "ex28_3_manual_backward"): (4.0, "graded"),
    ("broken", "ex28_4_checkpointing"): (0.0, "unreadable notebook"),     # an empty file
    ("broken", "ex28_5_deeper_mlp"): (6.0, "graded"),                     # two stubs left
    ("broken", "ex28_6_op_counting"): (0.0, "graded"),                    # IndentationError
    # the looping cell is skipped after 30 s; the edited test cell changes nothing
    ("hostile", "ex28_1_sigmoid"): (12.0, "timed out"),
    # a duplicated test cell with 40 points, a deleted one, a re-typed one: no effect
    ("hostile", "ex28_2_dual_numbers"): (12.0, "graded"),
    # os._exit(0) inside backward_pass: that group only
    ("hostile", "ex28_3_manual_backward"): (6.0, "crashed"),
    # stderr noise, 1 MB of output, a re-typed test cell: no effect; the re-labelled
    # solution cell is not the student's best_segment any more (graded as the stub)
    ("hostile", "ex28_4_checkpointing"): (5.5, "graded"),
    # an infinite loop inside train (training 0/3)
    ("hostile", "ex28_5_deeper_mlp"): (9.0, "timed out"),
    # a forged grade cell worth 100, a second OpCounter after the first, sys.exit(0)
    ("hostile", "ex28_6_op_counting"): (12.0, "graded"),
    # partly_wrong's code under other names: the same mistakes, the same points
    ("copier", "ex28_1_sigmoid"): (26 / 3, "graded"),
    ("copier", "ex28_3_manual_backward"): (6.0, "graded"),
}


def _read(kind, assignment):
    path = ROOT / kind / assignment / f"{assignment}.ipynb"
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def master_solution(assignment, gid):
    """The source notebook's solution cell ``gid`` without nbgrader's region markers."""
    for cell in _read("source", assignment)["cells"]:
        if _gid(cell) == gid:
            lines = _text(cell).split("\n")
            return "\n".join(line for line in lines
                             if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    raise KeyError(f"{assignment} has no cell {gid}")


class Draft:
    """A student's copy of a release notebook, edited by grade id."""

    def __init__(self, assignment):
        self.assignment = assignment
        self.nb = copy.deepcopy(_read("release", assignment))
        self._added = 0

    def index(self, gid):
        for i, cell in enumerate(self.nb["cells"]):
            if _gid(cell) == gid:
                return i
        raise KeyError(f"{self.assignment}: no cell {gid}")

    def cell(self, gid):
        return self.nb["cells"][self.index(gid)]

    def solve_all(self):
        """Fill every code solution cell with the master solution."""
        for cell in self.nb["cells"]:
            nbg = cell.get("metadata", {}).get("nbgrader", {})
            if nbg.get("solution") and cell["cell_type"] == "code":
                cell["source"] = master_solution(self.assignment, nbg["grade_id"])
        return self

    def set(self, gid, source):
        self.cell(gid)["source"] = source
        return self

    def replace(self, gid, old, new):
        text = _text(self.cell(gid))
        if old not in text:
            raise ValueError(f"{self.assignment}/{gid}: {old!r} not found")
        self.cell(gid)["source"] = text.replace(old, new)
        return self

    def append(self, gid, code):
        self.cell(gid)["source"] = _text(self.cell(gid)).rstrip("\n") + "\n\n\n" + code.strip("\n")
        return self

    def rename(self, gid, names):
        """Rename variables in cell ``gid`` ({old: new}); attributes (after a dot) and the
        text of strings other than docstrings are left alone."""
        pattern = re.compile(r"(?<![.\w\"'])(" + "|".join(map(re.escape, names)) + r")\b(?![\"'])")
        self.cell(gid)["source"] = pattern.sub(lambda m: names[m.group(1)], _text(self.cell(gid)))
        return self

    def reword(self, gid, comment):
        """New comments: every comment and docstring of cell ``gid`` replaced by ``comment``."""
        text = re.sub(r"[ \t]*#[^\n]*", "", _text(self.cell(gid)))
        text = re.sub(r'"""(?:.|\n)*?"""', f'"""{comment}"""', text)
        self.cell(gid)["source"] = f"# {comment}\n" + text
        return self

    def swap(self, gid, first, second):
        """Cell ``gid`` with the top-level definitions ``first`` and ``second`` swapped."""
        parts = re.split(r"(?m)^(?=def |class )", _text(self.cell(gid)))
        names = [re.match(r"(?:def|class) (\w+)", p).group(1) if p[:4] in ("def ", "clas") else None
                 for p in parts]
        i, j = names.index(first), names.index(second)
        parts[i], parts[j] = parts[j], parts[i]
        self.cell(gid)["source"] = "\n\n\n".join(p.strip("\n") for p in parts if p.strip())
        return self

    def answer(self, gid, text):
        return self.set(gid, text)

    def answer_all(self, text):
        for cell in self.nb["cells"]:
            nbg = cell.get("metadata", {}).get("nbgrader", {})
            if nbg.get("solution") and cell["cell_type"] == "markdown":
                cell["source"] = text
        return self

    def delete(self, gid):
        del self.nb["cells"][self.index(gid)]
        return self

    def duplicate(self, gid, source=None, points=None, before=True):
        """A copy of cell ``gid`` with the same grade id (as Jupyter's copy/paste makes it)."""
        i = self.index(gid)
        twin = copy.deepcopy(self.nb["cells"][i])
        twin["id"] = f"{twin.get('id', 'cell')}-copy"
        if source is not None:
            twin["source"] = source
        if points is not None:
            twin["metadata"]["nbgrader"]["points"] = points
        self.nb["cells"].insert(i if before else i + 1, twin)
        return self

    def edit_test(self, gid, source=None, points=None):
        cell = self.cell(gid)
        if source is not None:
            cell["source"] = source
        if points is not None:
            cell["metadata"]["nbgrader"]["points"] = points
        return self

    def retype(self, gid, cell_type):
        cell = self.cell(gid)
        cell["cell_type"] = cell_type
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
        cell["metadata"]["nbgrader"]["cell_type"] = cell_type
        return self

    def relabel(self, gid, new_gid):
        self.cell(gid)["metadata"]["nbgrader"]["grade_id"] = new_gid
        return self

    def add_after(self, gid, source, cell_type="code", nbgrader=None):
        """A cell the student added after ``gid`` (None: at the very top)."""
        self._added += 1
        cell = {"cell_type": cell_type, "id": f"student-{self._added}", "metadata": {},
                "source": source}
        if nbgrader:
            cell["metadata"]["nbgrader"] = nbgrader
        if cell_type == "code":
            cell.update(outputs=[], execution_count=None)
        at = 0 if gid is None else self.index(gid) + 1
        self.nb["cells"].insert(at, cell)
        return self

    def text(self):
        return json.dumps(self.nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


ESSAYS = {
    "ex28_2_dual_numbers": (
        "Forward mode carries one tangent per pass, so a gradient of n inputs needs n passes, each "
        "costing a small constant times one evaluation of f: O(n) evaluations in all. Reverse mode "
        "needs one forward pass and one backward pass whatever n is, a small constant times one "
        "evaluation, at the price of storing the graph. For a loss of many parameters and one "
        "output, reverse mode wins by a factor of about n; for one input and many outputs, forward "
        "mode does."),
    "ex28_4_checkpointing": (
        "Backpropagation normally keeps every intermediate value of the forward pass, so memory "
        "grows like O(n) in the depth n. Gradient checkpointing (Chen et al., 2016) stores only "
        "the activations at a few checkpoints, every k steps, and drops the rest. During the "
        "backward pass each segment is recomputed from its checkpoint, backpropagated, and "
        "dropped again. Memory is about n/k checkpoints plus one live segment of k steps; k = "
        "sqrt(n) makes it O(sqrt n), for the price of about one extra forward pass. Checkpoints go "
        "at layer boundaries where the stored tensors are small. It pays off when activations, not "
        "weights, fill the memory: long sequences, deep nets, big batches. Its limits: extra "
        "compute, randomness (dropout) that must be replayed, and little gain for shallow nets."),
    "ex28_5_deeper_mlp": (
        "On XOR one hidden layer of three tanh units already solves the task for most seeds; two "
        "hidden layers converge in fewer epochs for some seeds but not reliably, and three layers "
        "are slower to start because the gradient shrinks through more tanh layers. My experiment "
        "(six seeds per depth, lr 0.1, 300 epochs) and the plot of the loss curves back this: "
        "depth does not help much on a problem this small."),
    "ex28_6_op_counting": (
        "The ratios stay near a small constant (about 1 to 2) as the width grows: the backward "
        "pass costs a constant multiple of the forward pass whatever the number of parameters, "
        "which is the cheap gradient principle. Forward mode would need one pass per parameter, "
        "so its cost grows with the parameter count: for h = 16 that is hundreds of forward "
        "passes instead of one backward pass."),
}


def full_marks(assignment):
    draft = Draft(assignment).solve_all()
    if assignment in ESSAYS:
        draft.answer_all(ESSAYS[assignment])
    return draft.text()


def partly_wrong(assignment):
    """Realistic mistakes; each fails the same checks whatever inputs the hidden tests draw."""
    d = partly_wrong_draft(assignment)
    if assignment in ESSAYS:
        d.answer_all("Reverse mode is cheaper.")
    return d.text()


def partly_wrong_draft(assignment):
    d = Draft(assignment).solve_all()
    if assignment == "ex28_1_sigmoid":
        # the textbook formula overflows for x below about -709 ...
        d.append("solution_sigmoid", """\
def sigmoid(self):
    s = 1.0 / (1.0 + math.exp(-self.data))
    out = Value(s, (self,), "sigmoid")

    def _backward():
        self.grad += s * (1.0 - s) * out.grad
    out._backward = _backward
    return out


Value.sigmoid = sigmoid""")
        # ... and a forward difference instead of a central one
        d.set("solution_numerical_gradient", """\
def numerical_gradient(f, xs, h=1e-6):
    point = [float(x) for x in xs]
    base = f(*point)
    gradient = []
    for i in range(len(point)):
        shifted = list(point)
        shifted[i] += h
        gradient.append((f(*shifted) - base) / h)
    return gradient""")
    elif assignment == "ex28_2_dual_numbers":
        d.replace("solution_f", "(x * y).sin()", "(x * y).cos()")
        d.replace("solution_forward_mode_gradient", "    gradient = []\n",
                  "    func(*[Dual(x) for x in point])      # a first call, to see that it runs\n"
                  "    gradient = []\n")
    elif assignment == "ex28_3_manual_backward":
        d.replace("solution_backward_pass", 'x_ = a_ * 1.0 + c_ * v["z"]', "x_ = a_ * 1.0")
    elif assignment == "ex28_4_checkpointing":
        d.set("solution_best_segment", """\
def best_segment(n):
    return math.ceil(math.sqrt(n))""")
        d.replace("solution_checkpointed_backprop", "        del start, out\n",
                  "        kept.append(out)              # keeps every segment's graph alive\n")
        d.replace("solution_checkpointed_backprop", "    checkpoints = []\n",
                  "    checkpoints, kept = [], []\n")
    elif assignment == "ex28_5_deeper_mlp":
        d.replace("solution_train", "            p.grad = 0.0\n", "            pass\n")
    elif assignment == "ex28_6_op_counting":
        d.replace("solution_op_counter", "self.visited += len(order)",
                  "self.visited += sum(1 for n in order if n._prev)")
    return d


def copier(assignment):
    """partly_wrong's work, disguised: renamed variables, new comments, swapped functions."""
    d = partly_wrong_draft(assignment)
    if assignment == "ex28_1_sigmoid":
        d.rename("solution_sigmoid", {"x": "val", "s": "sig", "e": "ex", "out": "node"})
        d.reword("solution_sigmoid", "logistic function, split by sign so exp never overflows")
        d.rename("solution_numerical_gradient", {"point": "pts", "base": "f0", "gradient": "grads",
                                                 "shifted": "moved", "i": "k"})
        d.reword("solution_numerical_gradient", "finite differences, one input at a time")
        d.rename("solution_max_relative_error", {"a": "u", "b": "w", "floor": "tiny",
                                                 "leaves": "inputs", "numeric": "approx",
                                                 "leaf": "inp", "n": "num", "p": "q"})
        d.swap("solution_max_relative_error", "relative_error", "max_relative_error")
        d.reword("solution_max_relative_error", "compare backprop with the numeric estimate")
    elif assignment == "ex28_3_manual_backward":
        d.rename("solution_forward_pass", {"a": "s1", "b": "p1", "c": "p2", "d": "ep"})
        d.reword("solution_forward_pass", "evaluate the graph node by node")
        d.rename("solution_backward_pass", {"v": "vals", "f_": "gf", "d_": "gd", "b_": "gb",
                                            "c_": "gc", "a_": "ga", "z_": "gz", "x_": "gx",
                                            "y_": "gy"})
        d.reword("solution_backward_pass", "chain rule from the output back to the inputs")
        d.rename("solution_value_gradients", {"xv": "X", "yv": "Y", "zv": "Z", "out": "res"})
        d.reword("solution_value_gradients", "check with the engine")
    return d.text()


def broken(assignment):
    """What breaks a notebook, one way per assignment."""
    d = Draft(assignment).solve_all()
    if assignment == "ex28_1_sigmoid":
        d.replace("solution_sigmoid", "def sigmoid(self):", "def sigmoid(self)")  # SyntaxError
    elif assignment == "ex28_2_dual_numbers":
        text = d.text()
        return text[: len(text) * 2 // 3]                  # cut off: not valid JSON
    elif assignment == "ex28_3_manual_backward":
        d.replace("solution_forward_pass", "d = math.exp(c)", "d = math.exp(cc)")  # NameError
    elif assignment == "ex28_4_checkpointing":
        return ""                                           # an empty file
    elif assignment == "ex28_5_deeper_mlp":
        release = Draft(assignment)
        for gid in ("solution_mse_loss", "solution_train"):  # left as the stubs
            d.set(gid, _text(release.cell(gid)))
    elif assignment == "ex28_6_op_counting":
        d.replace("solution_op_counter", "    def __enter__(self):",
                  "   def __enter__(self):")                 # IndentationError
    return d.text()


def hostile(assignment):
    """Everything a grader must survive; the right code is there unless said otherwise."""
    d = Draft(assignment).solve_all()
    if assignment == "ex28_1_sigmoid":
        d.edit_test("test_sigmoid_value", source='print("all checks passed")', points=400)
        d.add_after("test_max_relative_error", "while True:      # never ends\n    pass")
    elif assignment == "ex28_2_dual_numbers":
        d.duplicate("test_dual_arithmetic", source="pass", points=40)
        d.delete("test_partials_of_f")
        d.retype("test_forward_mode_gradient", "markdown")
        d.answer_all(ESSAYS[assignment])
    elif assignment == "ex28_3_manual_backward":
        d.replace("solution_backward_pass", "    v = forward_pass(x, y, z)\n",
                  "    import os\n    os._exit(0)\n    v = forward_pass(x, y, z)\n")
    elif assignment == "ex28_4_checkpointing":
        d.add_after(None, 'import sys\nprint("DeprecationWarning: this is fine", file=sys.stderr)')
        d.add_after("solution_checkpointed_backprop", 'print("spam " * 200_000)')
        d.retype("test_checkpoint_memory", "markdown")
        d.relabel("solution_best_segment", "solution_best_segment_v2")
        d.answer_all(ESSAYS[assignment])
    elif assignment == "ex28_5_deeper_mlp":
        d.replace("solution_train", "    history = []\n",
                  "    while epochs:                      # an infinite loop\n        pass\n"
                  "    history = []\n")
    elif assignment == "ex28_6_op_counting":
        forged = {"grade": True, "grade_id": "test_ratios", "locked": True, "points": 100,
                  "schema_version": 3, "solution": False}
        d.add_after("solution_cheap_gradient_ratios", "pass", nbgrader=forged)
        d.duplicate("solution_op_counter", before=False,
                    source="class OpCounter:\n    forward = backward = visited = 0\n")
        d.add_after("test_ratios", "import sys\nsys.exit(0)")
    return d.text()


MAKERS = {"full_marks": full_marks, "partly_wrong": partly_wrong, "broken": broken,
          "hostile": hostile, "copier": copier}


def notebooks():
    """{relative path: text} of every sample submission."""
    out = {}
    for student in STUDENTS:
        for assignment in COPIED if student == "copier" else ASSIGNMENTS:
            text = MAKERS[student](assignment)
            out[f"{student}/{assignment}/{assignment}.ipynb"] = text
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m examples.make_examples",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if the committed notebooks differ from freshly made ones")
    args = parser.parse_args(argv)
    made = notebooks()
    if args.check:
        stale = [rel for rel, text in made.items()
                 if not (OUT / rel).exists() or (OUT / rel).read_bytes() != text.encode("utf-8")]
        if stale:
            print("out of date (run python -m examples.make_examples):\n  " + "\n  ".join(stale))
            return 1
        print(f"{len(made)} sample submissions are up to date")
        return 0
    for rel, text in made.items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    print(f"wrote {len(made)} sample submissions under {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
