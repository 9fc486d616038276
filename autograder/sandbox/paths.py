"""What the child's Python needs to read, and which instructor paths it must not see.

Both confinement layers that decide what the child can read use these lists: the
mount namespace binds `needed_paths` back under the folders it covers, and
Landlock allows reading only them (`landlock_read_paths`).  The kit's root is
never among them: the child gets its own code as text (`bootstrap`), so the kit
can be unreadable to it.
"""
import functools
import os
import site
import sys

KIT_ROOT = os.path.realpath(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KIT_PACKAGES = ("solutions", "autograder", "assignments")
# Top-level entries that belong to the system; every other one (home folders, course and
# submissions folders, /srv, /opt, /work ...) holds instructor or student data.
# nix, gnu and snap hold the interpreter's own libraries on NixOS, Guix and snap installs.
SYSTEM_TOP = frozenset({"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "dev",
                        "proc", "sys", "tmp", "var", "run", "nix", "gnu", "snap"})

def inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def interpreter():
    return os.path.realpath(sys.executable)


def site_dirs():
    dirs = []
    try:
        candidates = site.getsitepackages()
    except AttributeError:  # pragma: no cover - very old virtualenv
        candidates = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    for path in candidates:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in dirs:
            dirs.append(real)
    return dirs


def stdlib_dirs():
    prefixes = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}
    dirs = []
    for path in sys.path:
        if not path:
            continue
        real = os.path.realpath(path)
        if any(inside(real, p) for p in prefixes) and real not in dirs \
                and not real.endswith(("site-packages", "dist-packages")):
            dirs.append(real)
    return dirs


def child_sys_path():
    """The module search path the child gets: the standard library and site-packages, no kit."""
    return stdlib_dirs() + site_dirs()


def needed_paths():
    """What the child's Python must be able to read (real paths, none inside another)."""
    exe = interpreter()
    paths = [os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix), exe] + site_dirs()
    home = os.path.dirname(os.path.dirname(exe))
    if not inside(exe, os.path.realpath(sys.base_prefix)) and os.path.exists(os.path.join(home, "pyvenv.cfg")):
        paths.append(os.path.join(home, "pyvenv.cfg"))
    paths = sorted(set(paths), key=len)
    minimal = []
    for path in paths:
        if not any(inside(path, m) for m in minimal):
            minimal.append(path)
    return minimal


def default_hidden_paths():
    """Instructor paths hidden from the child: the kit, the grader's cwd and home, copies of the
    kit's packages in site-packages, and the paths in ``$AUTOGRADER_SANDBOX_HIDE`` (separated
    by ``os.pathsep``)."""
    paths = [KIT_ROOT] + [p for p in os.environ.get("AUTOGRADER_SANDBOX_HIDE", "").split(os.pathsep) if p]
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    for candidate in (cwd, os.path.expanduser("~"), os.environ.get("AUTOGRADER_KIT_ROOT")):
        if candidate:
            paths.append(candidate)
    for folder in site_dirs():
        paths += [os.path.join(folder, name) for name in KIT_PACKAGES]
    paths += top_level_outside_system()
    return paths


def top_level_outside_system():
    """Every folder and regular file directly under / that is not the system's (`SYSTEM_TOP`).

    Course folders, other students' submissions, gradebooks and home folders can be anywhere
    outside the kit; hiding everything but the system means none has to be listed.  What the
    child's Python needs under them (a pyenv or a venv under /root or /opt) is bound back.
    """
    try:
        names = os.listdir("/")
    except OSError:
        return []
    found = []
    for name in sorted(names):
        path = "/" + name
        if name in SYSTEM_TOP:
            continue
        try:
            if os.path.isdir(path) or os.path.isfile(path):
                found.append(path)
        except OSError:
            pass
    return found



# The system's programs: a submission that runs `sleep` or `ls` behaves as under namespaces
# (no_new_privs makes set-uid programs ordinary, and they are as confined as the child).
SYSTEM_PROGRAMS = ("/usr/bin", "/bin")


@functools.lru_cache(maxsize=8)
def landlock_read_paths(hide):
    """What Landlock lets the child read (`landlock.python_read_paths`: the interpreter,
    the standard library, site-packages, the system's shared libraries; and
    `SYSTEM_PROGRAMS`), less every
    hidden path inside them (``hide``: the kit's packages in site-packages ...).

    Landlock only allows, never subtracts, so an allowed folder holding a hidden path is
    replaced by its entries, recursively, leaving the hidden ones out.
    """
    from .landlock import python_read_paths
    hidden = {os.path.realpath(p) for p in hide if os.path.lexists(p)}
    out = []

    def allow(path):
        if path in hidden:
            return
        if not os.path.isdir(path) or not any(h != path and inside(h, path) for h in hidden):
            out.append(path)
            return
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        for name in names:
            allow(os.path.join(path, name))

    prefixes = [os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)]
    for path in python_read_paths(interpreter(), prefixes, child_sys_path()) + list(SYSTEM_PROGRAMS):
        path = os.path.realpath(path)
        if os.path.exists(path) and not any(inside(path, o) for o in out):
            allow(path)
    return tuple(out)
