"""The command line: ``python -m autograder COMMAND ...``.

``grade`` grades one notebook (the CI command): it prints a table, writes the
results files asked for, and exits 0 whenever grading completed, whatever the
score.  It exits 1 only when ``--fail-under`` is not met, and 2 when the grader
itself failed (with a message saying what to fix).
"""
import argparse
import sys

from .errors import GraderError


def _grade(args):
    from .grade import grade_notebook
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


def build_parser():
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
