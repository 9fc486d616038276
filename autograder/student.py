"""The narrow proxy through which hidden tests reach a student's code.

Tests never hold a student object: they send a function's name (or a small
trusted probe function) with plain arguments, and get plain data back, decoded
here from the wire format of `autograder.sandbox.child`.  Whatever went wrong on the
other side arrives as one of the `autograder.errors` exceptions.

Two transports share this interface: `InProcessStudent` runs the code in this
very process (for the notebook's own kernel in plain nbgrader, and for testing
the suites against the master solutions), and `autograder.sandbox` runs it in a
locked-down child process (for every real grade).
"""
import functools
import inspect
import json
import re
import secrets

from .sandbox import child
from .errors import (MissingName, NotImplementedYet, StudentException, StudentMemoryError,
                     WrongType)

@functools.lru_cache(maxsize=None)
def probe_source(function):
    """The source of a probe: a module-level function ``def name(ns, *args)``.

    Probes run on the other side with nothing of the suite around them, so they
    must import what they need inside their body.
    """
    return inspect.getsource(function)


def raise_for(error):
    """Raise the parent-side exception for an error reported by the child."""
    kind = error.get("kind")
    if kind == "missing":
        raise MissingName(f"your notebook does not define {error.get('name')!r}: "
                          "run the cell that defines it and keep its name as given")
    if kind == "not_implemented":
        where = re.findall(r", in (\w+)\n", error.get("traceback") or "")
        what = f"{where[-1]} is" if where else "this is"
        raise NotImplementedYet(f"{what} not implemented yet (the stub still raises NotImplementedError)")
    if kind == "too_large":
        raise WrongType(error.get("message", "the value returned is too large"))
    cls = StudentMemoryError if kind == "memory" else StudentException
    trace = error.get("traceback") or f"{error.get('type')}: {error.get('message')}"
    raise cls(f"your code raised {error.get('type')}: {error.get('message')}\n{trace}")


class Student:
    """Reach a submission's functions with plain data in, plain data out."""

    def call(self, name, *args):
        """``name(*args)`` in the student's namespace; returns the decoded result."""
        return self._ask({"op": "call", "name": name, "args": [child.encode(a) for a in args]})

    def probe(self, function, *args):
        """Run the trusted probe ``function(ns, *args)`` next to the student's code."""
        return self._ask({"op": "probe", "function": function.__name__,
                          "source": probe_source(function),
                          "args": [child.encode(a) for a in args]})

    def _ask(self, request):
        request["id"] = secrets.randbits(62)
        reply = self._exchange(request)
        if "error" in reply:
            raise_for(reply["error"])
        return child.decode(reply.get("value"))

    def _exchange(self, request):
        raise NotImplementedError

    def close(self):
        """Release whatever the transport holds."""


class InProcessStudent(Student):
    """The student's code runs in this process: no isolation, only the same wire format.

    Used where the code is trusted or isolation is not wanted: the notebook's
    own kernel under plain nbgrader, and the kit's tests of its suites.
    """

    def __init__(self, namespace):
        self._runner = child.Runner(namespace)

    @classmethod
    def from_cells(cls, cells):
        """Run ``cells`` (dicts with name, source, student) in a fresh namespace."""
        student = cls({"__name__": "__main__"})
        student.setup_errors = student._runner.run_cells(cells)
        return student

    def _exchange(self, request):
        # The JSON round trip makes the values exactly what a child would send.
        return json.loads(json.dumps(self._runner.handle(request)))
