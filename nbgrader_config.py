"""nbgrader configuration of the chapter-28 kit (read by every `nbgrader ...` command
run from the repository root, and by `python -m assignments.build`).

Kept small on purpose: the course, where its folders are, where the gradebook is.
Custom grading preprocessors are added below this block.
"""
import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "autodiff-ch28"
# source/<id>/<id>.ipynb (built by `make build`) and release/<id>/<id>.ipynb live
# at the repository root; submitted/, autograded/ and feedback/ would too.
c.CourseDirectory.root = ROOT

# The gradebook: a sqlite file under course/, which .gitignore keeps out of git.
# sqlite cannot create the folder, so make sure it exists.
os.makedirs(os.path.join(ROOT, "course"), exist_ok=True)
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "course", "gradebook.db")

# A written question is a read-only (locked) Markdown cell holding the question and,
# in a ### BEGIN/END MARK SCHEME region, its rubric; the points sit on the answer cell.
# It is not an nbgrader *task* cell, which would be a gradebook item worth 0 (a useless
# score box in formgrader).  ClearMarkScheme still strips the region from the release and
# from feedback; by default it refuses a mark scheme outside a task cell.
c.ClearMarkScheme.enforce_metadata = False

# Feedback is made from the autograded notebook, in which nbgrader has put the
# instructor's version of locked cells back (hidden tests, mark schemes of the
# essay questions).  Strip both again before students see their feedback.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The trusted grader inside nbgrader (autograder/nbgrader_plugin.py): `nbgrader autograde`
# rebuilds every submission from the trusted copy and grades it with the kit's sandboxed
# grader (no kernel, nothing run in the student's namespace; partial credit per test cell);
# `nbgrader generate_feedback` shows each check's status and message, never hidden tests.
# configure() replaces the autograde pipelines and extends the feedback list above.
from autograder.nbgrader_plugin import configure  # noqa: E402

configure(c)

# Sandbox limits for `nbgrader autograde` (fields of autograder.sandbox.Limits), e.g.
# c.GradeWithKit.limits = {"cpu_seconds": 120, "call_seconds": 20}
