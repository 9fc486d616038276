"""Resource limits and deadlines of one sandboxed submission.

`Limits` holds every number the sandbox enforces; `rlimits` turns it into the
setrlimit calls the child's bootstrap makes on itself before any student code
runs.  The numbers come from the defaults here, ``$AUTOGRADER_LIMITS`` (whoever
runs the grader) and, under nbgrader, ``c.GradeWithKit.limits``.
"""
import os
import resource
from dataclasses import dataclass, replace

from ..errors import GraderError
@dataclass(frozen=True)
class Limits:
    """Resource limits and deadlines of one sandboxed submission."""

    cpu_seconds: float = 60              # RLIMIT_CPU of the child (SIGKILL one second later)
    memory_bytes: int = 1 << 30          # RLIMIT_AS: address space
    file_size_bytes: int = 16 << 20      # RLIMIT_FSIZE: largest file the child may write
    open_files: int = 64                 # RLIMIT_NOFILE
    processes: int = 32                  # RLIMIT_NPROC above what the uid runs (unprivileged uid only)
    setup_seconds: float = 30            # wall clock for running the cells
    call_seconds: float = 10             # wall clock per call/probe
    total_seconds: float = 120           # wall clock budget for the whole submission
    max_reply_bytes: int = 8 << 20       # largest reply line
    max_restarts: int = 3                # new children after timeouts/crashes
    scratch_bytes: int = 64 << 20        # size of each scratch tmpfs (namespace mode)


def changed_limits(base, changes, source):
    """``base`` with the `Limits` fields named in ``changes`` (name -> number, or text
    that reads as one) set; ``source`` says where the changes come from, for the error.

    An unknown name or a value that is not a positive number (``max_restarts`` may
    be 0) is a `GraderError` naming both.
    """
    fields = Limits.__dataclass_fields__
    values = {}
    for name, value in changes.items():
        name = str(name).strip()
        if name not in fields:
            raise GraderError(f"{source}: unknown limit {name!r}; known: {', '.join(fields)}")
        kind = fields[name].type
        try:
            number = int(float(value)) if kind in (int, "int") else float(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not number > 0 and not (name == "max_restarts" and number == 0):
            raise GraderError(f"{source}: {name} must be a positive number, got {value!r}")
        values[name] = number
    return replace(base, **values)


def limits_from_environment(environ=None):
    """`Limits` with the fields named in ``$AUTOGRADER_LIMITS`` (``name=value,...``) changed.

    Set by whoever runs the grader (a CI job's configuration, an instructor's shell), so that
    a course can allow slower code or tests can use small limits through the command line.
    """
    text = (os.environ if environ is None else environ).get("AUTOGRADER_LIMITS", "").strip()
    changes = {}
    for item in text.replace(";", ",").split(","):
        if item.strip():
            name, _, value = item.partition("=")
            changes[name] = value
    return changed_limits(Limits(), changes, "AUTOGRADER_LIMITS")


# ---------------------------------------------------------------------------


def rlimits(limits, uid):
    """The (resource, soft, hard) triples the child sets on itself.

    RLIMIT_CPU ends with SIGXCPU at the limit and SIGKILL a second later; RLIMIT_NPROC is
    set only for an unprivileged ``uid`` (it counts every process of the uid and does
    nothing for root), at what that uid already runs plus `Limits.processes`, so that one
    fork bomb cannot stop other sandboxes from starting.
    """
    cpu = max(1, int(-(-limits.cpu_seconds // 1)))
    out = [(resource.RLIMIT_CPU, cpu, cpu + 1),
           (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
           (resource.RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes),
           (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
           (resource.RLIMIT_CORE, 0, 0)]
    if uid is not None:
        nproc = count_processes(uid) + limits.processes
        out.append((resource.RLIMIT_NPROC, nproc, nproc))
    return out


def count_processes(uid):
    """How many processes ``uid`` runs now."""
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                count += os.stat(f"/proc/{name}").st_uid == uid
            except OSError:
                pass
    return count
