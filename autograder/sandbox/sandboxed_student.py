"""`SandboxedStudent`: the `Student` transport that runs a submission in a sandboxed child.

It starts a `process.Child` on the first request, sends the program's cells, then each
call or probe, and turns whatever the child does (answers, loops, crashes, floods,
forgeries) into plain data or one of the `autograder.errors` exceptions.  After a
timeout or crash the next request starts a new child and runs the setup again, up to
`Limits.max_restarts` times; a cell that does not finish within `Limits.setup_seconds`
(or ends the process) is skipped by the restart and recorded in `setup_errors`, so the
functions defined by the other cells are still graded.
"""
import secrets
import time
import weakref

from ..errors import GraderError, StudentCrashed, StudentError, StudentMemoryError, StudentTimeout
from ..student import Student
from .levels import isolation as current_isolation
from .limits import Limits
from .paths import child_sys_path, default_hidden_paths
from .process import Child, Ended, Expired

class _Resources:
    """What must be released even if a SandboxedStudent is dropped without close()."""

    def __init__(self):
        self.child = None

    def release(self):
        child, self.child = self.child, None
        if child is not None:
            child.remove()


class SandboxedStudent(Student):
    """A submission's code running in a locked-down child process (see the module's doc).

    ``cells`` are dicts with ``name``, ``source`` and ``student`` (what
    `autograder.submission.assemble` returns).  ``hide`` replaces the default
    list of instructor paths hidden from the child (`default_hidden_paths`);
    ``isolation`` (an `Isolation`) overrides the detected one.
    """

    def __init__(self, cells, limits=None, *, hide=None, isolation=None):
        self.limits = limits or Limits()
        self._cells = [{"name": str(c["name"]), "source": str(c["source"]),
                        "student": bool(c.get("student", True))} for c in cells]
        self._hide = list(default_hidden_paths() if hide is None else hide)
        self._iso = isolation
        self._res = _Resources()
        self._finalizer = weakref.finalize(self, self._res.release)
        self._skipped = {}               # cell index -> setup error dict
        self._errors = []                # cells that raised in the latest setup
        self._ready = False              # the latest child finished its setup
        self._spawns = 0
        self._used = 0.0
        self._last_error = None
        self._closed = False
        self.stats = {"starts": [], "setups": [], "calls": 0}

    # -- the Student interface

    @property
    def setup_errors(self):
        """Cells that raised (as `child.Runner.run_cells` reports them), then skipped cells."""
        if not self._closed and self._res.child is None and not self._ready and self._last_error is None:
            try:
                self._ensure_child()
            except StudentError:
                pass
        order = {c["name"]: i for i, c in enumerate(self._cells)}
        merged = list(self._errors) + list(self._skipped.values())
        return sorted(merged, key=lambda e: order.get(e.get("cell"), len(order)))

    @property
    def restarts(self):
        """How many times a new child was started after the first."""
        return max(0, self._spawns - 1)

    @property
    def isolation(self):
        if self._iso is None:
            self._iso = current_isolation()
        return self._iso

    def _exchange(self, request):
        if self._closed:
            raise GraderError("this SandboxedStudent was closed")
        child = self._ensure_child()
        left = self._remaining()
        seconds = min(self.limits.call_seconds, left)
        started = time.monotonic()
        try:
            reply = child.ask(request, seconds)
        except Expired:
            self._discard_child()
            if seconds < self.limits.call_seconds:
                raise self._fail(StudentTimeout(self._budget_message()))
            raise self._fail(StudentTimeout(
                f"your code did not finish within {self.limits.call_seconds:g} s (the time limit for "
                "one call): look for an infinite loop, or a computation far slower than needed"))
        except Ended as ended:
            self._discard_child()
            raise self._fail(self._ended_error(ended, "while answering this check"))
        finally:
            self._used += time.monotonic() - started
            self.stats["calls"] += 1
        return reply

    def close(self):
        """Kill the child and everything it started, reap it, remove its folder."""
        self._closed = True
        self._res.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals

    def _remaining(self):
        return self.limits.total_seconds - self._used

    def _budget_message(self):
        return (f"your code used up the {self.limits.total_seconds:g} s the grader allows for one "
                "whole submission: the remaining checks were not run")

    def _fail(self, error):
        self._last_error = error
        return error

    def _discard_child(self):
        self._ready = False
        self._res.release()

    def _ended_error(self, ended, where):
        if ended.kind == "grader":
            return GraderError(ended.cause)
        cls = StudentMemoryError if ended.kind == "memory" else StudentCrashed
        return cls(f"{ended.cause} ({where})")

    def _ensure_child(self):
        while self._res.child is None:
            if self._last_error is not None and self._spawns > self.limits.max_restarts:
                raise type(self._last_error)(
                    f"{self._last_error} [not run: the grader already restarted your code "
                    f"{self.restarts} time(s)]")
            if self._remaining() <= 0:
                raise self._fail(StudentTimeout(self._budget_message()))
            self._start()
        return self._res.child

    def _start(self):
        iso = self.isolation
        started = time.monotonic()
        child = Child(iso, self.limits, self._hide)
        self._spawns += 1
        self._res.child = child
        run = [i for i in range(len(self._cells)) if i not in self._skipped]
        request = {"op": "setup", "id": secrets.randbits(62), "cells": [self._cells[i] for i in run],
                   "sys_path": child_sys_path()}
        done = [-1]

        def progress(n):
            if n == 0 and done[0] < 0:
                self.stats["starts"].append(time.monotonic() - started)
                child.find_init()
            done[0] = max(done[0], min(n, len(run)))

        left = self._remaining()
        seconds = min(self.limits.setup_seconds, left)
        try:
            reply = child.ask(request, seconds, progress)
        except (Expired, Ended) as exc:
            self._discard_child()
            self._used += time.monotonic() - started
            if isinstance(exc, Ended) and exc.kind == "grader":
                raise self._fail(GraderError(exc.cause)) from None
            if done[0] < 0:
                if isinstance(exc, Expired):
                    raise self._fail(GraderError(
                        f"the sandbox's Python did not start within {seconds:g} s")) from None
                raise self._fail(GraderError(
                    f"the sandbox's Python ended before running any cell: {exc.cause}")) from None
            if done[0] >= len(run):        # all cells ran; the reply itself went wrong
                raise self._fail(StudentCrashed("the Python process running your code ended "
                                                "right after running your cells")) from None
            index = run[done[0]]
            name = self._cells[index]["name"]
            if isinstance(exc, Expired):
                if seconds < self.limits.setup_seconds:
                    message = self._budget_message()
                    raise self._fail(StudentTimeout(message)) from None
                message = f"cell {name} did not finish within {self.limits.setup_seconds:g} s and was skipped"
                error = {"kind": "timeout", "type": "StudentTimeout", "message": message, "traceback": ""}
                self._last_error = StudentTimeout(f"your code did not finish: {message}")
            else:
                message = f"cell {name} was skipped: while it ran, {exc.cause}"
                error = {"kind": "memory" if exc.kind == "memory" else "crashed",
                         "type": "StudentMemoryError" if exc.kind == "memory" else "StudentCrashed",
                         "message": message, "traceback": ""}
                cls = StudentMemoryError if exc.kind == "memory" else StudentCrashed
                self._last_error = cls(message)
            self._skipped[index] = {"cell": name, "error": error}
            return                          # _ensure_child starts the next child (if allowed)
        self._used += time.monotonic() - started
        self.stats["setups"].append(time.monotonic() - started)
        value = reply.get("value")
        self._errors = [e for e in value if type(e) is dict and type(e.get("error")) is dict] \
            if type(value) is list else []
        self._ready = True

    def _proc_visible_path(self, path):
        """Whether the child can read ``path`` (used to report the isolation)."""
        return self.probe(_can_read_file, path)


def _can_read_file(ns, path):
    try:
        with open(path, "rb") as f:
            f.read(1)
        return True
    except OSError:
        return False
