"""The command line: ``python -m autograder COMMAND ...``.

``grade`` grades one notebook (the CI command): it prints a table, writes the
results files asked for, and exits 0 whenever grading completed, whatever the
score (an unreadable, hostile or crashing submission is a graded result).  It
exits 1 only when ``--fail-under`` is not met, and 2 when the grader itself
failed (with a message saying what to fix).  ``$AUTOGRADER_LIMITS`` changes the
sandbox's limits (see `autograder.sandbox`).
"""
import argparse
import sys

from .errors import GraderError


def _grade(args):
    from .grade import grade_notebook
    _tolerant_output()
    report = grade_notebook(args.notebook, args.assignment, seed=args.seed)
    if args.results:
        report.write_gradescope(args.results)
    if args.junit:
        report.write_junit(args.junit)
    if not args.quiet:
        print(report.table())
    if args.fail_under is not None and report.score < args.fail_under:
        print(f"score {report.score:g} is below --fail-under {args.fail_under:g}", file=sys.stderr)
        return 1
    return 0


def _tolerant_output():
    """Printing a report never fails on an encoding (a CI job with LANG=C or ASCII output):
    what cannot be encoded is shown escaped.  The results files are written before printing."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass


# ---- instructors' commands (batch, reports, bundles, the demo) ----

def _grade_all(args):
    import os

    from . import batch
    if not os.path.exists(args.submissions):
        raise GraderError(f"{args.submissions} does not exist")
    rows = batch.grade_all(args.submissions, args.assignment, args.jobs, args.out,
                           timeout=args.timeout, progress=not args.quiet)
    if not rows:
        print(f"no submissions (.ipynb files) found under {args.submissions}", file=sys.stderr)
        return 1
    print(batch.summary(rows))
    print(f"\nscores: {os.path.join(args.out, 'scores.csv')}\n"
          f"Gradescope results: {os.path.join(args.out, 'results')}/<student>/<assignment>.json")
    if args.report:
        from .instructor_report import write_report
        path = write_report(args.out, os.path.join(args.out, "report.html"))
        print(f"report: {path}")
    return 0


def _report(args):
    import os

    from .instructor_report import write_report
    if not os.path.exists(args.source):
        raise GraderError(f"{args.source} does not exist")
    if args.submissions and not os.path.exists(args.submissions):
        raise GraderError(f"--submissions {args.submissions} does not exist")
    path = write_report(args.source, args.output, png=args.png, submissions=args.submissions,
                        threshold=args.threshold)
    print(path)
    if args.png:
        print(args.png if os.path.exists(args.png) else
              "no PNG: headless chromium was not found (apt-get install chromium)")
    return 0


def _similarity(args):
    from . import similarity
    from .instructor_report import write_similarity_page
    result = similarity.similarity_of_folder(args.submissions, args.assignment, args.threshold,
                                             args.jobs)
    print(similarity.summary(result))
    if args.csv:
        print(f"\nevery pair: {similarity.write_csv(result, args.csv)}")
    if args.output:
        print(f"side by side: {write_similarity_page(result, args.output, args.submissions)}")
    return 0


def _threshold(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number: give a similarity "
                                         "between 0 and 1, e.g. 0.7") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value:g} is not between 0 and 1: a similarity is "
                                         "the shared fraction of a student's code")
    return value


def _gradescope(args):
    from .gradescope import build_bundle
    path = build_bundle(args.assignment, args.output, args.require or "")
    print(path)
    return 0


def _summary(args):
    from .gradescope import markdown_summary
    print(markdown_summary(args.results))
    return 0


def _sandbox(args):
    from .sandbox import levels
    iso = levels.isolation()
    have = iso.properties
    print(f"sandbox: {iso.describe()}")
    width = max(len(p) for p in levels.PROPERTIES)
    for prop in levels.PROPERTIES:
        given = ", ".join(have[prop]) if prop in have else "NOT DEFENDED"
        print(f"  {prop:<{width}}  {given}")
    if iso.missing:
        print("missing: " + "; ".join(iso.missing))
    return 0


def _demo(args):
    from .demo import run_demo
    return run_demo(args.out, keep=args.keep)


def build_parser():
    from .similarity import DEFAULT_THRESHOLD
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="The trusted grader of the chapter 28 exercises.")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade one submitted notebook")
    grade.add_argument("notebook", help="the submitted .ipynb")
    grade.add_argument("--assignment", help="the assignment id (default: inferred from the notebook)")
    grade.add_argument("--results", metavar="OUT.json", help="write Gradescope-format results here")
    grade.add_argument("--junit", metavar="OUT.xml", help="write JUnit XML here")
    grade.add_argument("--fail-under", type=float, metavar="SCORE",
                       help="exit 1 when the score is below SCORE")
    grade.add_argument("--seed", type=int, help="seed of the hidden tests' inputs (to reproduce a run)")
    grade.add_argument("--quiet", action="store_true", help="print nothing but errors")
    grade.set_defaults(run=_grade)

    every = commands.add_parser("grade-all", help="grade a folder of submissions in parallel "
                                "(no nbgrader database)")
    every.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                       help="nbgrader's submitted/ (or a course directory), or a flat folder of .ipynb")
    every.add_argument("--assignment", help="grade only this assignment (and use it for flat folders)")
    every.add_argument("--jobs", type=int, default=None, metavar="N",
                       help="worker processes (default: all cores)")
    every.add_argument("--out", default="grades", metavar="DIR",
                       help="where scores.csv, results/ and reports.json go (default: ./grades)")
    every.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                       help="stop a submission's grading after this long (a grader error)")
    every.add_argument("--report", action="store_true", help="also write OUT/report.html")
    every.add_argument("--quiet", action="store_true", help="no progress bar")
    every.set_defaults(run=_grade_all)

    report = commands.add_parser("report", help="the instructor report (HTML) of a graded class")
    report.add_argument("source", help="a grade-all output folder, or an nbgrader course directory "
                        "(its gradebook and autograded notebooks)")
    report.add_argument("-o", "--output", default="report.html", help="the HTML file to write")
    report.add_argument("--png", metavar="FILE.png",
                        help="also render the page to a PNG (needs headless chromium)")
    report.add_argument("--submissions", metavar="DIR",
                        help="the submitted notebooks, for the similarity section (default: the "
                        "course's submitted/, or the notebooks grade-all graded)")
    report.add_argument("--threshold", type=_threshold, default=None, metavar="T",
                        help="flag pairs of students whose code is at least this similar "
                        f"(0 to 1; default {DEFAULT_THRESHOLD:g})")
    report.set_defaults(run=_report)

    similar = commands.add_parser("similarity", help="pairs of students who handed in similar "
                                  "code, per assignment (nothing leaves the machine)")
    similar.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                         help="nbgrader's submitted/ (or a course directory), or a folder of "
                         ".ipynb, as for grade-all")
    similar.add_argument("--assignment", help="compare only this assignment (and use it for "
                         "flat folders)")
    similar.add_argument("--threshold", type=_threshold, default=None, metavar="T",
                         help=f"flag pairs at least this similar (0 to 1; default "
                         f"{DEFAULT_THRESHOLD:g})")
    similar.add_argument("--csv", metavar="PAIRS.csv", help="write every compared pair here")
    similar.add_argument("-o", "--output", metavar="FILE.html",
                         help="write the flagged pairs side by side (one HTML file)")
    similar.add_argument("--jobs", type=int, default=None, metavar="N",
                         help="worker processes, one assignment each (default: all cores)")
    similar.set_defaults(run=_similarity)

    bundle = commands.add_parser("gradescope", help="build a Gradescope autograder bundle (.zip)")
    bundle.add_argument("assignment", help="the assignment id")
    bundle.add_argument("-o", "--output", help="the zip to write (default: ASSIGNMENT.zip)")
    bundle.add_argument("--require", metavar="PROPERTIES",
                        help="isolation the bundle must have to grade, e.g. filesystem,network "
                             "(sets AUTOGRADER_REQUIRE_ISOLATION in run_autograder)")
    bundle.set_defaults(run=_gradescope)

    box = commands.add_parser("sandbox", help="which isolation layers this machine gives the "
                              "student's code, and what they defend")
    box.set_defaults(run=_sandbox)

    summ = commands.add_parser("summary", help="a Markdown summary of results files "
                               "(for a CI job summary)")
    summ.add_argument("results", nargs="+", help="results.json files written by grade --results")
    summ.set_defaults(run=_summary)

    demo = commands.add_parser("demo", help="build, release, autograde a sample class with nbgrader, "
                               "feedback, export, report")
    demo.add_argument("--out", default="demo-output", help="where the demo course goes "
                      "(default: ./demo-output, replaced on every run)")
    demo.add_argument("--keep", action="store_true", help="keep an existing demo course directory")
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except GraderError as exc:
        print(f"grader error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
