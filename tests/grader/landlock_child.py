"""Start a ``python -I -S`` child the way the sandbox does, with `autograder.sandbox.landlock` in it.

The child gets the module's source text (not an import: the kit is not on its path),
a working directory of its own (the scratch folder), a minimal environment and a
module search path of the standard library and site-packages only.  The test's
script runs after a short prelude that defines:

``READ``       `python_read_paths` for this interpreter and search path
``SCRATCH``    the working directory
``attempt(f, *args)``  ``"ok"`` if ``f(*args)`` returns, else the exception's class name
``read(path)``, ``write(path)``, ``listdir(path)``, ``connect(address)``, ``bind(address)``
``report(**results)``  hands ``results`` (JSON) back to the test

`start_cost` measures what the restriction adds to a child's start, for the benchmarks
(``python -m tests.grader.landlock_child [RUNS]`` prints it).
"""
import json
import os
import subprocess
import sys

import autograder.sandbox.landlock as landlock_module

KIT_ROOT = os.path.realpath(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
with open(landlock_module.__file__, encoding="utf-8") as _source:
    LANDLOCK_SOURCE = _source.read()
PYTHON = os.path.realpath(sys.executable)
PREFIXES = sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)})
RESULT_MARK = "LANDLOCK-TEST-RESULT "


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def child_sys_path():
    """This interpreter's standard library and site-packages folders; never the kit's root."""
    dirs = []
    for path in filter(None, sys.path):
        real = os.path.realpath(path)
        wanted = real.endswith(("site-packages", "dist-packages")) \
            or any(_inside(real, p) for p in PREFIXES)
        if wanted and os.path.isdir(real) and real not in dirs:
            dirs.append(real)
    return dirs


PRELUDE = r'''
import json as _json
import socket as _socket
import sys as _sys
_sys.path[:] = @SYS_PATH@
READ = python_read_paths(@PYTHON@, @PREFIXES@, _sys.path)
SCRATCH = os.getcwd()


def attempt(action, *args):
    try:
        action(*args)
    except Exception as exc:
        return type(exc).__name__
    return "ok"


def read(path):
    with open(path, "rb") as f:
        f.read()


def write(path):
    with open(path, "w") as f:
        f.write("written from the sandbox")


def listdir(path):
    os.listdir(path)


def _socket_for(address):
    family = _socket.AF_UNIX if isinstance(address, str) else _socket.AF_INET
    return _socket.socket(family, _socket.SOCK_STREAM)


def connect(address):
    with _socket_for(address) as s:
        s.settimeout(5)
        s.connect(address)


def bind(address):
    with _socket_for(address) as s:
        s.bind(address)


def report(**results):
    print(@MARK@ + _json.dumps(results), flush=True)

'''


def child_source(script):
    """The program text of a child: the Landlock module, the prelude, then ``script``."""
    prelude = (PRELUDE.replace("@SYS_PATH@", repr(child_sys_path()))
               .replace("@PYTHON@", repr(PYTHON)).replace("@PREFIXES@", repr(PREFIXES))
               .replace("@MARK@", repr(RESULT_MARK)))
    return LANDLOCK_SOURCE + "\n" + prelude + "\n" + script


def child_env(scratch):
    return {"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(scratch, ".mpl"),
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run_child(script, scratch, timeout=120):
    """Run ``script`` in a fresh child in ``scratch``; the dict it passed to ``report``."""
    proc = subprocess.run([PYTHON, "-I", "-S", "-c", child_source(script)], cwd=scratch,
                          env=child_env(scratch), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if proc.returncode != 0 or len(lines) != 1:
        raise AssertionError(f"the child exited with {proc.returncode} and reported {len(lines)} "
                             f"results, expected 0 and 1\nscript:\n{script}\nstdout:\n"
                             f"{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return json.loads(lines[0][len(RESULT_MARK):])
