"""Run a submission's code in a locked-down child process (`SandboxedStudent`).

Student code is untrusted (ARCHITECTURE.md, principle 2): it never runs in the
grader's process.  `SandboxedStudent` runs it in a child process that speaks the
wire format of `child` over two pipes, and turns whatever the child does
(answers, loops, crashes, floods, forgeries) into plain data or one of the
`autograder.errors` exceptions.  One module per layer, each readable alone:

=====================  ==============================================================
`limits`               CPU, memory, file size, open files, processes; the deadlines
`paths`                what the child's Python must read, which instructor paths it must not
`namespaces`           network, PID, mount, IPC, UTS namespaces and the mounts (where allowed)
`landlock`             files (read only what Python needs, write only the scratch folder),
                       TCP, signal and abstract-socket scoping; needs no privilege
`seccomp`              a system-call filter: sockets, ptrace, namespaces, mounts, setsid,
                       signals; needs no privilege
`bootstrap`            the program that applies all of it, then execs the child's Python
`child`                the child's program: runs the cells, answers calls and probes
`wire`                 the parent's checks of every line the child sends
`process`              one child: start, talk with deadlines, kill the whole tree, reap
`levels`               which layers this machine gives, detected by trying; what to require
`sandboxed_student`    the `Student` transport: setup, restarts, skipped cells
=====================  ==============================================================

What every child gets, on any Linux machine: ``python -I -S -c PROGRAM`` run by
the real interpreter binary (isolated mode, no ``site``: the kit's editable
install is not on the path; the module search path is the standard library and
site-packages, never the kit's root), its own program sent as text (so the kit's
folder need not be readable to it), a fresh scratch folder as working directory,
``HOME`` and ``TMPDIR``, stdin/stdout/stderr on /dev/null (nothing it prints is
read), a minimal environment (PATH=/usr/bin:/bin, LANG=C.UTF-8, MPLBACKEND=Agg,
one BLAS thread, a random marker variable), its own session and process group,
no_new_privs, the parent-death signal, the resource limits of `limits.Limits`,
and deadlines after which its whole process tree is killed.  Then every layer
`levels.isolation` found usable here: namespaces where they can be made,
Landlock and seccomp wherever the kernel has them (containers included), and the
switch to ``nobody`` when the grader is root.  `levels.Isolation.describe`
names the layers in force; ``AUTOGRADER_REQUIRE_ISOLATION`` makes grading fail
closed when a property an instructor needs is missing.

Configuration from the grader's environment (never the child's):
``AUTOGRADER_SANDBOX_HIDE`` more paths to hide (``os.pathsep``-separated);
``AUTOGRADER_SANDBOX_DISABLE`` layers not to use; ``AUTOGRADER_REQUIRE_ISOLATION``
properties or layers required; ``AUTOGRADER_LIMITS`` overrides `Limits` fields
(e.g. ``call_seconds=20,memory_bytes=2147483648``); under nbgrader,
``c.GradeWithKit.limits`` in ``nbgrader_config.py`` overrides them again.

What the sandbox cannot change: the child is the student's process, so a
well-formed reply it writes with the right id is no more than a return value (it
still meets the parent's strict checks), and it can read the requests it is
sent, probe sources included.
"""
from .levels import Isolation, detect, disabled_layers, isolation
from .limits import Limits, changed_limits, limits_from_environment
from .paths import KIT_ROOT, SYSTEM_TOP, child_sys_path, default_hidden_paths

__all__ = ["Isolation", "KIT_ROOT", "Limits", "SYSTEM_TOP", "SandboxedStudent", "changed_limits",
           "child_sys_path", "default_hidden_paths", "detect", "disabled_layers", "isolation",
           "limits_from_environment"]


def __getattr__(name):
    # Imported on first use: `SandboxedStudent` subclasses `autograder.student.Student`,
    # which itself imports this package's wire format (`child`).
    if name == "SandboxedStudent":
        from .sandboxed_student import SandboxedStudent
        return SandboxedStudent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
