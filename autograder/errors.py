"""What can go wrong with a submission, each with the status a student sees.

A test that meets one of these exceptions loses only its own points; the status
says why in a word, the message in a sentence.  Wrong answers are plain
AssertionErrors (status "failed").
"""


class StudentError(Exception):
    """Base: the student's code could not be checked for the reason in ``status``."""

    status = "error"


class NotImplementedYet(StudentError):
    status = "not implemented"


class MissingName(StudentError):
    status = "missing function"


class StudentException(StudentError):
    """The student's code raised; the message carries their trimmed traceback."""

    status = "exception"


class StudentTimeout(StudentError):
    status = "timed out"


class StudentMemoryError(StudentError):
    status = "memory limit"


class StudentCrashed(StudentError):
    """The child process ended without answering (exit, signal, os._exit ...)."""

    status = "crashed"


class WrongType(AssertionError):
    """A value of the wrong type came back (a float subclass, a bool, a Value ...)."""

    status = "wrong type"


class UnreadableNotebook(Exception):
    """The submission is not a notebook the grader can read; the message says why."""

    status = "unreadable notebook"


class GraderError(Exception):
    """The grader itself failed (not the student's fault): the message says what to fix."""
