"""The hidden test suites, one pytest module per exercise.

Tests run in the trusted grader and reach the submission only through the
``student`` fixture.  Inputs are drawn from ``rng`` when grading runs; expected
values come from `solutions`.  See `autograder.plugin` for the fixtures and
markers, `autograder.checks` for the assertions.
"""
import os

SUITES_DIR = os.path.dirname(os.path.abspath(__file__))
ASSIGNMENTS = ("ex28_1_sigmoid", "ex28_2_dual_numbers", "ex28_3_manual_backward",
               "ex28_4_checkpointing", "ex28_5_deeper_mlp", "ex28_6_op_counting")


def suite_path(assignment):
    """The file of ``assignment``'s hidden suite."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}: expected one of {', '.join(ASSIGNMENTS)}")
    return os.path.join(SUITES_DIR, f"{assignment}.py")
