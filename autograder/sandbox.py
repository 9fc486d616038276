"""Run a submission's code in a locked-down child process (`SandboxedStudent`).

Student code is untrusted (ARCHITECTURE.md, principle 2): it never runs in the
grader's process.  `SandboxedStudent` is the `Student` transport that runs it in
a child process speaking the wire format of `autograder.child` over two pipes,
and turns whatever the child does (answers, loops, crashes, floods, forgeries)
into plain data or one of the `autograder.errors` exceptions.

What every sandboxed child gets, on any Linux machine
------------------------------------------------------
* ``python -I -S child.py REQUEST_FD REPLY_FD`` run by the real interpreter
  binary (``realpath(sys.executable)``, not the venv's symlink): isolated mode
  (PYTHON* variables ignored, no user site, not the script's folder on
  ``sys.path``) and no ``site`` (no ``.pth`` files, so the editable install of
  this kit is not on the path).  The module search path is sent in the setup
  request: the standard library and the interpreter's site-packages folders
  (numpy and matplotlib import), never the kit's root, so ``import solutions``
  and ``import autograder`` fail.
* A fresh temporary folder as working directory, ``HOME`` and ``TMPDIR`` (in
  namespace mode a tmpfs at `NAMESPACE_CWD` that exists only inside the
  namespace; otherwise a host folder that `close` removes), stdin from /dev/null, stdout and stderr to /dev/null
  (nothing the child prints is read; printing 50 MB costs the child, not the
  grader), a minimal environment (PATH=/usr/bin:/bin, LANG=C.UTF-8,
  MPLBACKEND=Agg, one BLAS/OpenMP thread, PYTHONHASHSEED=random (``-I``
  ignores it; hash randomisation is on anyway), a random marker variable;
  nothing of the grader's environment).
* Its own session and process group (``start_new_session``), no_new_privs,
  the parent-death signal SIGKILL (so the sandbox also dies if the grader is
  killed; note that Linux sends it when the *thread* that started the child
  ends: use a SandboxedStudent from the thread that first used it), and
  resource limits set by a tiny Python wrapper before it execs the child (see
  `Limits`): RLIMIT_CPU (SIGXCPU at the limit, SIGKILL one second later),
  RLIMIT_AS, RLIMIT_FSIZE (writes beyond it fail with EFBIG), RLIMIT_NOFILE,
  RLIMIT_CORE = 0, and, when the child runs as an unprivileged uid,
  RLIMIT_NPROC = what that uid already runs + `Limits.processes` (the limit
  counts every process of the uid and does nothing for root).
* Deadlines: every write to and read from the child waits with poll() for at
  most the time left (`Limits.call_seconds` per request, `Limits.setup_seconds`
  for running the cells, `Limits.total_seconds` for the whole submission), and
  a pidfd tells at once when the child exits.  A reply line is capped at
  `Limits.max_reply_bytes` (a longer one is skipped up to its newline and, if
  it was the reply, reported as too large); lines that are not a well-formed
  reply carrying the request's random id are discarded (more than
  `MAX_FOREIGN_LINES` per request end the child), and whatever the child wrote
  between two requests is dropped before the next is sent.  On a deadline the
  whole process group and the PID namespace's init (by host pid) are SIGKILLed
  and reaped; the parent never waits on the child without a deadline, whatever
  the child or its descendants do.

Where the machine allows it (detected once per process by starting a sandbox
and checking from inside: uid, PID 1, no network, kit not readable)
--------------------------------------------------------------------------
* Namespaces, made by util-linux ``unshare`` (Python 3.11 has no
  os.unshare): ``--net`` (only a loopback interface that is down: no network
  at all, not even 127.0.0.1), ``--pid --fork --kill-child --mount-proc`` (the
  child is PID 1 of its own PID namespace with its own /proc: it sees no other
  process, and every process it starts, even one that calls setsid() and holds
  the pipes, dies when it dies), ``--ipc``, ``--uts`` and ``--mount`` (a
  private mount namespace, below).  ``setpriv --pdeathsig KILL`` (util-linux
  too) makes unshare die with the grader.  As root these are real namespaces; as an
  ordinary user the same set is made inside a user namespace (``--user
  --map-root-user``).
* In the mount namespace, before the child's Python starts: the kit's root,
  the grader's working directory and home, ``$AUTOGRADER_KIT_ROOT``, any copy
  of the kit's packages in site-packages, every top-level folder and file
  except the system's (`SYSTEM_TOP`: /usr, /etc, /var, /tmp ...; so /home,
  /root, /srv, /opt, /mnt and any course or submissions folder there, other
  students' included, are gone) and the paths listed in
  ``$AUTOGRADER_SANDBOX_HIDE`` (or the ``hide`` paths given) are
  covered by empty read-only tmpfs; /run (unix sockets) is covered too; the
  interpreter's prefix, the site-packages folders and child.py itself are
  bind-mounted back read-only at their own paths (so the venv's site-packages
  and the pyenv interpreter under /root keep working although the kit root and
  /root are hidden); every other mount is remounted read-only (best effort;
  /proc, /sys and /dev are left alone); /tmp, /var/tmp and /dev/shm are fresh
  tmpfs of `Limits.scratch_bytes`, and so is the working directory (owned by
  the child's user).  The child can write only to that RAM-backed, size-capped
  scratch space, which vanishes with it.
* As root, the child drops to ``nobody`` (uid/gid 65534, no supplementary
  groups) after the mounts and before exec.  Folders the interpreter needs that ``nobody`` may not traverse
  (/root is 0700) are covered and bind-mounted back as above.

Where a facility is missing
---------------------------
`isolation` tries, in order: namespaces + unprivileged uid; namespaces as the
current user (root, or root mapped onto the invoking user in a user
namespace); no namespaces + unprivileged uid (needs an interpreter that
``nobody`` can read); no namespaces.  The first that starts, answers and looks
isolated as expected wins, and one warning on stderr says what is missing and
what that means.  Without namespaces: the child can use the network; it can
read the kit's files (solutions included) wherever file permissions allow, and
as the grader's own user also change them; a process that calls setsid() and
clears its environment can outlive the sandbox (the grader kills the process
group and every process whose environment carries the sandbox's marker); and
as root it can do anything the grader can.  Resource limits, deadlines, the
minimal environment and the search path without the kit apply in every mode.

Configuration from the environment (of the grader, never the child's)
--------------------------------------------------------------------
``AUTOGRADER_SANDBOX_HIDE`` more paths to hide (``os.pathsep``-separated), for
course data kept under a system folder (/var/lib/..., /usr/local/...).
``AUTOGRADER_REQUIRE_ISOLATION=1`` makes `isolation` fail (a `GraderError`,
nothing graded) instead of degrading when namespaces are unavailable or, as
root, the child could not drop to an unprivileged uid: for shared machines.
``AUTOGRADER_LIMITS`` overrides `Limits` fields for every submission graded by
this process, e.g. ``call_seconds=20,memory_bytes=2147483648``
(`limits_from_environment`); under nbgrader, ``c.GradeWithKit.limits`` in
``nbgrader_config.py`` overrides them again.

Restarts: the child starts on the first request (or when `setup_errors` is
first read); after a timeout or crash the next request starts a new child and
runs the setup again, up to `Limits.max_restarts` times; after that, or once
`Limits.total_seconds` is spent, requests fail at once with the last error.
The child reports progress per cell during the setup, so a cell that does not
finish within `Limits.setup_seconds` (or ends the process) is skipped by the
restart, which follows at once, and is recorded in `setup_errors`; the
functions defined by the other cells are still graded.

What the sandbox cannot change: the child is the student's process, so a
well-formed reply it writes with the right id is no more than a return value
(it still meets the parent's strict checks), and it can read the requests it
is sent, probe sources included.
"""
import json
import os
import pwd
import resource
import secrets
import select
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field, replace

from . import child as _child
from .errors import GraderError, StudentCrashed, StudentError, StudentMemoryError, StudentTimeout
from .student import Student

KIT_ROOT = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHILD_PATH = os.path.realpath(_child.__file__)
KIT_PACKAGES = ("solutions", "autograder", "assignments")
SANDBOX_USER = "nobody"
MAX_FOREIGN_LINES = 1000
ENV_MARKER = "AUTOGRADER_SANDBOX_TOKEN"
NAMESPACE_CWD = "/tmp/sandbox"      # the child's working directory inside its mount namespace

# Folders that must stay visible: never covered even if asked to.
_PROTECTED = ("/", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/dev", "/proc",
              "/sys", "/var")
_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
# Top-level entries left visible (read-only) in namespace mode; every other one is covered.
# nix, gnu and snap hold the interpreter's own libraries on NixOS, Guix and snap installs.
SYSTEM_TOP = frozenset({"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "dev",
                        "proc", "sys", "tmp", "var", "run", "nix", "gnu", "snap"})
_ALWAYS_COVERED = ("/run",)


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
# What the child needs to see, and what it must not

def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _interpreter():
    return os.path.realpath(sys.executable)


def _site_dirs():
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


def _stdlib_dirs():
    prefixes = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}
    dirs = []
    for path in sys.path:
        if not path:
            continue
        real = os.path.realpath(path)
        if any(_inside(real, p) for p in prefixes) and real not in dirs \
                and not real.endswith(("site-packages", "dist-packages")):
            dirs.append(real)
    return dirs


def child_sys_path():
    """The module search path the child gets: the standard library and site-packages, no kit."""
    return _stdlib_dirs() + _site_dirs()


def _needed_paths():
    """What the child's Python must be able to read (real paths, none inside another)."""
    exe = _interpreter()
    paths = [os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix), exe,
             CHILD_PATH] + _site_dirs()
    home = os.path.dirname(os.path.dirname(exe))
    if not _inside(exe, os.path.realpath(sys.base_prefix)) and os.path.exists(os.path.join(home, "pyvenv.cfg")):
        paths.append(os.path.join(home, "pyvenv.cfg"))
    paths = sorted(set(paths), key=len)
    minimal = []
    for path in paths:
        if not any(_inside(path, m) for m in minimal):
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
    for folder in _site_dirs():
        paths += [os.path.join(folder, name) for name in KIT_PACKAGES]
    paths += _top_level_outside_system()
    return paths


def _top_level_outside_system():
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


def _may_traverse(path, uid, gid):
    st = os.stat(path)
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
    return bool(st.st_mode >> shift & 0o1)


def _first_closed_ancestor(path, uid, gid):
    """The highest folder above ``path`` that ``uid`` may not traverse, or None."""
    parts = path.split("/")[1:-1]
    current = ""
    for part in parts:
        current += "/" + part
        if not _may_traverse(current, uid, gid):
            return current
    return None


def _protected(path):
    return path in _PROTECTED or any(_inside(p, path) for p in _PROTECTED if p != "/")


def _scratch_dirs():
    return [p for p in _SCRATCH if os.path.isdir(p) and not os.path.islink(p)]


def _mount_ops(hide, cwd, uid, gid, scratch_bytes):
    """The bootstrap's list of mount operations (see `_BOOTSTRAP`)."""
    covers = {}                       # path -> "ro" | "file" | "scratch"
    for path in hide:
        real = os.path.realpath(path)
        if os.path.lexists(real) and not _protected(real):
            covers[real] = "ro" if os.path.isdir(real) else "file"
    needed = _needed_paths()
    if uid is not None:
        for path in needed:
            closed = _first_closed_ancestor(path, uid, gid)
            if closed is not None and not _protected(closed):
                covers.setdefault(closed, "ro")
    for path in _ALWAYS_COVERED:
        if os.path.isdir(path) and not os.path.islink(path):
            covers.setdefault(path, "ro")
    for path in _scratch_dirs():
        covers[path] = "scratch"
    top = sorted(c for c in covers if not any(o != c and _inside(c, o) for o in covers))
    binds = [n for n in needed if any(_inside(n, c) for c in top)]
    inner = sorted(c for c in covers if c not in top and any(_inside(c, b) for b in binds))

    ops = [("open", path) for path in binds]
    for path in sorted(top, key=len):
        if covers[path] == "file":
            ops.append(("hidefile", path))
        elif covers[path] == "scratch":
            ops.append(("tmpfs", path, f"mode=1777,size={scratch_bytes},nr_inodes=16384"))
        else:
            ops.append(("tmpfs", path, "mode=755,size=1m,nr_inodes=1024"))
    for i, path in enumerate(binds):
        ops.append(("bind", i, path, os.path.isdir(path)))
    for path in inner:
        ops.append(("hidefile", path) if covers[path] == "file"
                   else ("tmpfs", path, "mode=755,size=64k,nr_inodes=64"))
    owner = "" if uid is None else f",uid={uid},gid={gid}"
    ops.append(("mkdir", cwd))
    ops.append(("tmpfs", cwd, f"mode=700,size={scratch_bytes},nr_inodes=16384{owner}"))
    ops += [("ro", path) for path in top + inner if covers[path] != "scratch"]
    ours = top + inner + binds + [cwd, "/proc", "/sys", "/dev"]
    ops.append(("ro_others", ours))
    return ops


# ---------------------------------------------------------------------------
# The bootstrap: run (as root where we are root) between unshare and the child

_BOOTSTRAP = r'''
import os
C = @CONFIG@
os.set_inheritable(C["status_fd"], False)
try:
    import resource
    if True:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                               ctypes.c_char_p)
        libc.prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                               ctypes.c_ulong)

        def check(result, what):
            if result != 0:
                e = ctypes.get_errno()
                raise OSError(e, "%s: %s" % (what, os.strerror(e)))

    if C["ops"]:
        RDONLY, NOSUID, NODEV, REMOUNT, BIND, REC = 1, 2, 4, 32, 4096, 16384
        KEEP = {b"nosuid": 2, b"nodev": 4, b"noexec": 8, b"noatime": 1024, b"nodiratime": 2048,
                b"relatime": 1 << 21}

        def enc(s):
            return None if s is None else os.fsencode(s)

        def mount(src, target, fstype, flags, data=None):
            check(libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)),
                  "mount %s" % target)

        def unescape(b):
            for code, char in ((b"\\040", b" "), (b"\\011", b"\t"), (b"\\012", b"\n"),
                               (b"\\134", b"\\")):
                b = b.replace(code, char)
            return os.fsdecode(b)

        mounts = {}
        with open("/proc/self/mountinfo", "rb") as f:
            for line in f:
                fields = line.split()
                flags = 0
                for opt in fields[5].split(b","):
                    flags |= KEEP.get(opt, 0)
                mounts[unescape(fields[4])] = flags

        def flags_of(path):
            best = max((p for p in mounts if path == p or path.startswith(p.rstrip("/") + "/")),
                       key=len, default="/")
            return mounts.get(best, 0)

        def inside(path, folders):
            return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)

        fds = []
        for op in C["ops"]:
            kind = op[0]
            if kind == "open":
                fds.append((os.open(op[1], os.O_PATH | os.O_CLOEXEC), flags_of(op[1])))
            elif kind == "tmpfs":
                mount("tmpfs", op[1], "tmpfs", NOSUID | NODEV, op[2])
            elif kind == "hidefile":
                mount("/dev/null", op[1], None, BIND)
            elif kind == "bind":
                fd, flags = fds[op[1]]
                if op[3]:
                    os.makedirs(op[2], exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(op[2]), exist_ok=True)
                    os.close(os.open(op[2], os.O_WRONLY | os.O_CREAT, 0o644))
                mount("/proc/self/fd/%d" % fd, op[2], None, BIND | REC)
                mount(None, op[2], None, REMOUNT | BIND | RDONLY | NOSUID | NODEV | flags)
            elif kind == "mkdir":
                os.makedirs(op[1], exist_ok=True)
            elif kind == "ro":
                mount(None, op[1], None, REMOUNT | BIND | RDONLY | NOSUID | NODEV)
            elif kind == "ro_others":
                for point, flags in mounts.items():
                    if not inside(point, op[1]):
                        try:
                            mount(None, point, None, REMOUNT | BIND | RDONLY | flags)
                        except OSError:
                            pass
        for fd, _ in fds:
            os.close(fd)
    for which, soft, hard in C["rlimits"]:
        resource.setrlimit(which, (soft, hard))
    os.chdir(C["cwd"])
    os.umask(0o077)
    if C["uid"] is not None:
        os.setgroups([])
        os.setgid(C["gid"])
        os.setuid(C["uid"])
    check(libc.prctl(38, 1, 0, 0, 0), "no_new_privs")
    check(libc.prctl(1, 9, 0, 0, 0), "pdeathsig")   # SIGKILL when the parent (thread) ends
    if os.getppid() != C["ppid"]:
        raise OSError("the parent ended during the start")
    os.execve(C["argv"][0], C["argv"], C["env"])
except BaseException as exc:
    try:
        os.write(C["status_fd"], ("%s: %s" % (type(exc).__name__, exc)).encode("utf-8", "replace")[:4000])
    finally:
        os._exit(125)
'''


# ---------------------------------------------------------------------------
# Detecting what this machine allows

@dataclass(frozen=True)
class Isolation:
    """How sandboxed children are started here, and what was seen from inside one."""

    mode: str                   # "namespaces", "user-namespace" or "plain"
    uid: object = None          # the uid the child switches to (None: stays as the grader's)
    gid: object = None
    unshare: str = ""
    setpriv: str = ""
    facts: dict = field(default_factory=dict, compare=False)
    missing: tuple = ()

    @property
    def namespaces(self):
        return self.mode != "plain"

    def describe(self):
        user = f"uid {self.uid}" if self.uid is not None else f"the grader's uid {os.getuid()}"
        if self.namespaces:
            return (f"{self.mode} (network, PID, mount, IPC, UTS); kit root hidden; child runs as {user}")
        return f"no namespaces; child runs as {user}"


_ISOLATION = None
_ISOLATION_LOCK = threading.Lock()


def _candidates():
    unshare = shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin")
    setpriv = shutil.which("setpriv", path="/usr/bin:/bin:/usr/sbin:/sbin") or ""
    root = os.geteuid() == 0
    try:
        entry = pwd.getpwnam(SANDBOX_USER)
        ids = (entry.pw_uid, entry.pw_gid)
    except KeyError:
        ids = (65534, 65534)
    out = []
    if unshare:
        if root:
            out += [Isolation("namespaces", *ids, unshare=unshare, setpriv=setpriv),
                    Isolation("namespaces", unshare=unshare, setpriv=setpriv)]
        else:
            out.append(Isolation("user-namespace", unshare=unshare, setpriv=setpriv))
    if root:
        out.append(Isolation("plain", *ids))
    out.append(Isolation("plain"))
    return out, unshare


def _inspect_sandbox(ns):
    """Probe: what the child sees of its isolation (run inside the sandbox)."""
    import errno
    import os
    import socket
    facts = {"uid": os.getuid(), "pid": os.getpid(), "kit_visible": None, "network": True}
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", 9))
        finally:
            s.close()
    except OSError as exc:
        facts["network"] = exc.errno not in (errno.ENETUNREACH, errno.EADDRNOTAVAIL)
    return facts


def detect(mode=None):
    """Try the ways of starting a sandbox, best first; the first that works (uncached)."""
    candidates, unshare = _candidates()
    if mode is not None:
        candidates = [c for c in candidates if c.mode == mode] or candidates[-1:]
    failures = []
    for candidate in candidates:
        student = SandboxedStudent([], Limits(setup_seconds=10, call_seconds=10, total_seconds=30,
                                              max_restarts=0), isolation=candidate)
        try:
            facts = student.probe(_inspect_sandbox)
            facts["kit_visible"] = _kit_visible(student)
            wrong = [what for what, bad in [
                ("uid", candidate.uid is not None and facts["uid"] != candidate.uid),
                ("network", candidate.namespaces and facts["network"]),
                ("kit hidden", candidate.namespaces and facts["kit_visible"]),
                ("pid", candidate.namespaces and facts["pid"] != 1)] if bad]
            if wrong:
                raise GraderError("started, but not isolated as expected: " + ", ".join(wrong))
        except (StudentError, GraderError) as exc:
            failures.append(f"{candidate.describe()}: {str(exc).splitlines()[0][:300]}")
            continue
        finally:
            student.close()
        missing = []
        if candidate.mode == "plain":
            missing.append("namespaces" + ("" if unshare else " (no unshare command)"))
        if candidate.uid is None and os.geteuid() == 0:
            missing.append("unprivileged uid")
        return Isolation(candidate.mode, candidate.uid, candidate.gid, candidate.unshare,
                         candidate.setpriv, dict(facts, start_seconds=(student.stats["starts"] or [None])[0]),
                         tuple(missing) + tuple(failures))
    raise GraderError("the sandbox cannot start a child process on this machine:\n  "
                      + "\n  ".join(failures))


def _require(found):
    """Fail closed when ``$AUTOGRADER_REQUIRE_ISOLATION`` asks for full isolation and this
    machine cannot give it (see the module doc)."""
    if os.environ.get("AUTOGRADER_REQUIRE_ISOLATION", "").strip() in ("", "0"):
        return
    lacking = []
    if not found.namespaces:
        lacking.append("namespaces (network, PID, mount): install util-linux's unshare, allow "
                       "user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu "
                       "kernel.apparmor_restrict_unprivileged_userns=0) or grade as root in a "
                       "container started with CAP_SYS_ADMIN")
    if found.uid is None and os.geteuid() == 0:
        lacking.append(f"an unprivileged uid for the child (user {SANDBOX_USER!r})")
    if lacking:
        raise GraderError("AUTOGRADER_REQUIRE_ISOLATION is set, but this machine cannot give the "
                          "sandbox " + "; ".join(lacking) + ". Details: " + "; ".join(found.missing))


def _kit_visible(student):
    return student._proc_visible_path(os.path.join(KIT_ROOT, "autograder", "__init__.py"))


def isolation():
    """How this process starts sandboxes (detected once, cached; warns once if degraded)."""
    global _ISOLATION
    with _ISOLATION_LOCK:
        if _ISOLATION is None:
            found = detect()
            _require(found)
            if found.missing:
                lost = []
                if not found.namespaces:
                    lost.append("the child can use the network, read the kit's files (solutions "
                                "included) wherever file permissions allow, and a process that "
                                "calls setsid() and clears its environment can outlive it")
                if found.uid is None and found.namespaces:
                    lost.append("it runs as the grader's own user inside its namespaces (the "
                                "filesystem outside its scratch space is read-only)")
                elif found.uid is None:
                    lost.append("it runs as the grader's own user" +
                                (", root: it can do anything the grader can (read and change "
                                 "any file, signal any process)" if os.geteuid() == 0 else
                                 ": it can change any file the grader can, the kit included"))
                sys.stderr.write(
                    "autograder.sandbox: WARNING: degraded isolation on this machine: "
                    f"{found.describe()}.\n  Not available: " + "; ".join(found.missing) +
                    ".\n  Consequence: " + "; ".join(lost) + ". Resource limits, deadlines and the "
                    "minimal environment still apply.\n")
            _ISOLATION = found
    return _ISOLATION


# ---------------------------------------------------------------------------
# One child process

class _Expired(Exception):
    pass


class _Ended(Exception):
    """The child ended (or broke its pipes) before replying; ``args[0]`` says why."""

    def __init__(self, cause, kind="crashed"):
        super().__init__(cause)
        self.cause = cause
        self.kind = kind        # "crashed", "memory", "cpu", "grader"


_CORE_LOCK = threading.Lock()


def _read_proc(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return None


def _start_time(pid):
    stat = _read_proc(pid, "stat")
    if not stat:
        return None
    fields = stat[stat.rfind(b")") + 2:].split()
    return fields[19], fields[0]          # (start time, state)


class _Child:
    """One running child: its process, pipes and temporary folder."""

    def __init__(self, iso, limits, hide):
        self.limits = limits
        self.iso = iso
        self.token = secrets.token_hex(16)
        if iso.namespaces and "/tmp" in _scratch_dirs():
            # A tmpfs made inside the namespace's private /tmp: nothing on the host, so
            # nothing is left behind even if the grader is killed.
            self.tmpdir, self.cwd = None, NAMESPACE_CWD
        else:
            self.tmpdir = self.cwd = tempfile.mkdtemp(prefix="autograder-sandbox-")
        self.proc = None
        self.pidfd = None
        self.init = None                   # (pid, start time) of the namespace's init
        self.buffer = bytearray()
        self.discarding = None             # first bytes of an over-long line being skipped
        self.dead = False
        self.status = None
        self.rusage = None
        self.started = time.monotonic()
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        self.status_r, status_w = os.pipe()
        try:
            for fd in (self.req_w, self.rep_r, self.status_r):
                os.set_blocking(fd, False)
            if iso.uid is not None and self.tmpdir is not None:
                os.chown(self.tmpdir, iso.uid, iso.gid)
            python = _interpreter()
            env = {"PATH": "/usr/bin:/bin", "HOME": self.cwd, "TMPDIR": self.cwd,
                   "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg",
                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                   "PYTHONHASHSEED": "random", ENV_MARKER: self.token}
            cpu = max(1, int(-(-limits.cpu_seconds // 1)))
            rlimits = [(resource.RLIMIT_CPU, cpu, cpu + 1),
                       (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
                       (resource.RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes),
                       (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
                       (resource.RLIMIT_CORE, 0, 0)]
            if iso.uid is not None:
                # RLIMIT_NPROC counts every process of the uid, other sandboxes' included: allow
                # `processes` more than it has now, so one fork bomb cannot stop other starts.
                nproc = _count_processes(iso.uid) + limits.processes
                rlimits.append((resource.RLIMIT_NPROC, nproc, nproc))
            ops = _mount_ops(hide, self.cwd, iso.uid, iso.gid, limits.scratch_bytes) \
                if iso.namespaces else []
            # The wrapper's parent: unshare, outside the PID namespace (so it sees 0), or us.
            ppid = 0 if iso.namespaces else os.getpid()
            config = {"status_fd": status_w, "ops": ops, "rlimits": rlimits, "cwd": self.cwd,
                      "uid": iso.uid, "gid": iso.gid, "ppid": ppid,
                      "argv": [python, "-I", "-S", CHILD_PATH, str(req_r), str(rep_w)], "env": env}
            argv = [python, "-I", "-S", "-c", _BOOTSTRAP.replace("@CONFIG@", repr(config))]
            if iso.namespaces:
                flags = ["--user", "--map-root-user"] if iso.mode == "user-namespace" else []
                argv = [iso.unshare] + flags + ["--net", "--pid", "--ipc", "--uts", "--mount",
                                                "--fork", "--kill-child", "--mount-proc", "--"] + argv
                if iso.setpriv:     # unshare dies with the grader (its init, with unshare)
                    argv = [iso.setpriv, "--pdeathsig", "KILL", "--"] + argv
            with _CORE_LOCK:        # no core file from unshare if the child dies of a signal
                core = resource.getrlimit(resource.RLIMIT_CORE)
                if core[0] != 0:
                    resource.setrlimit(resource.RLIMIT_CORE, (0, core[1]))
                try:
                    self.proc = subprocess.Popen(
                        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL, cwd=self.tmpdir or "/", env=env, close_fds=True,
                        pass_fds=(req_r, rep_w, status_w), start_new_session=True)
                except OSError as exc:
                    raise GraderError(f"the sandbox could not start {argv[0]}: {exc}") from None
                finally:
                    if core[0] != 0:
                        resource.setrlimit(resource.RLIMIT_CORE, core)
            try:
                self.pidfd = os.pidfd_open(self.proc.pid)
            except (AttributeError, OSError):
                self.pidfd = None
        except BaseException:
            self._close_fds()
            _remove_tree(self.tmpdir)
            raise
        finally:
            for fd in (req_r, rep_w, status_w):
                os.close(fd)

    # -- talking

    def ask(self, request, seconds, on_progress=None):
        """Send ``request``, return its reply dict; raise _Expired or _Ended."""
        deadline = time.monotonic() + max(0.0, seconds)
        self._resync()
        self._send((json.dumps(request) + "\n").encode(), deadline)
        return self._receive(request["id"], deadline, on_progress, request.get("op") == "setup")

    def _resync(self):
        """Drop what the child wrote since the last reply: the next reply can only follow the
        next request, so anything already there is the student's writing, not an answer."""
        self.buffer.clear()
        self.discarding = None
        for _ in range(64):
            try:
                if not os.read(self.rep_r, 1 << 20):
                    return
            except (BlockingIOError, OSError):
                return

    def _send(self, data, deadline):
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.req_w, view):]
                continue
            except BlockingIOError:
                pass
            except BrokenPipeError:
                raise self._ended("broke the connection to the grader (it closed its end of "
                                  "the request pipe)") from None
            if self._wait_for(self.req_w, select.POLLOUT, deadline) == "exited":
                raise self._ended(None)

    def _wait_for(self, fd, event, deadline):
        """Wait until ``fd`` is ready; raise _Expired at the deadline, _Ended if the child exits."""
        poller = select.poll()
        poller.register(fd, event)
        if self.pidfd is not None:
            poller.register(self.pidfd, select.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Expired()
            slice_ms = left * 1000 if self.pidfd is not None else min(left, 0.05) * 1000
            ready = dict(poller.poll(max(1, int(slice_ms + 0.999))))
            if fd in ready:
                return ready[fd]
            if self.pidfd is not None and self.pidfd in ready or self.pidfd is None and self._exited():
                return "exited"

    def _exited(self):
        try:
            info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def _receive(self, request_id, deadline, on_progress, setup=False):
        foreign = 0
        prefix = b'{"id": %d,' % request_id
        cap = self.limits.max_reply_bytes
        while True:
            while True:
                newline = self.buffer.find(b"\n")
                if newline < 0:
                    break
                line = bytes(self.buffer[:newline])
                del self.buffer[:newline + 1]
                if self.discarding is not None:
                    head, self.discarding = self.discarding, None
                    if head.startswith(prefix):
                        return {"id": request_id, "error": {
                            "kind": "too_large", "type": "ValueError", "traceback": "",
                            "message": f"the value returned is too large to send back "
                                       f"(more than {cap / 2**20:g} MiB as JSON)"}}
                    foreign += 1
                else:
                    message = _parse_reply(line, request_id, setup)
                    if message is not None and "progress" in message:
                        if on_progress is not None:
                            on_progress(message["progress"])
                        continue
                    if message is not None:
                        return message
                    foreign += 1
                if foreign > MAX_FOREIGN_LINES:
                    raise self._ended("wrote too many lines that are not replies on the grader's "
                                      "reply channel")
            if len(self.buffer) > cap and self.discarding is None:
                self.discarding = bytes(self.buffer[:64])
            if self.discarding is not None:
                self.buffer.clear()
            ready = self._wait_for(self.rep_r, select.POLLIN, deadline)
            if ready == "exited":
                message = self._drain(request_id, on_progress, setup)
                if message is not None:
                    return message
                raise self._ended(None)
            try:
                chunk = os.read(self.rep_r, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise self._ended(None)
            if self.discarding is not None:
                newline = chunk.find(b"\n")
                if newline < 0:
                    continue
                self.buffer += b"\n" + chunk[newline + 1:]
            else:
                self.buffer += chunk

    def _drain(self, request_id, on_progress, setup=False):
        """After the child exited: what it wrote before, if that holds the reply."""
        for _ in range(64):
            try:
                chunk = os.read(self.rep_r, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.buffer += chunk
            if len(self.buffer) > self.limits.max_reply_bytes:
                break
        for line in bytes(self.buffer).split(b"\n")[:-1]:
            message = _parse_reply(line, request_id, setup)
            if message is not None and "progress" in message:
                if on_progress is not None:
                    on_progress(message["progress"])
            elif message is not None:
                return message
        return None

    # -- ending

    def _ended(self, what):
        """Kill what is left, reap, and describe how the child ended."""
        exited = what is None and self._wait_exit(0.25)
        status_text = b""
        try:
            status_text = os.read(self.status_r, 4096)
        except OSError:
            pass
        self.kill(grace=0.5)
        if status_text:
            return _Ended(f"the sandbox could not start: {status_text.decode('utf-8', 'replace')}",
                          "grader")
        if what is None and not exited:
            what = "closed its connection to the grader (the reply pipe) and kept running"
        if what is not None:
            return _Ended(f"your code {what}")
        return _Ended(*self._cause())

    def _wait_exit(self, seconds):
        """Wait up to ``seconds`` for the child to exit on its own (without reaping it)."""
        end = time.monotonic() + seconds
        while True:
            if self.pidfd is not None:
                if select.select([self.pidfd], [], [], max(0.0, end - time.monotonic()))[0]:
                    return True
            elif self._exited():
                return True
            if time.monotonic() >= end:
                return False
            if self.pidfd is None:
                time.sleep(0.005)

    def _cause(self):
        status, usage = self.status, self.rusage
        cpu = (usage.ru_utime + usage.ru_stime) if usage else 0.0
        limits = self.limits
        if usage is not None and cpu >= limits.cpu_seconds - 0.05:
            return (f"your code used more than its {limits.cpu_seconds:g} s of CPU time "
                    "(the CPU time limit) and was stopped", "cpu")
        if status is None:
            return ("the Python process running your code stopped answering", "crashed")
        code = os.waitstatus_to_exitcode(status)
        big = usage is not None and usage.ru_maxrss * 1024 >= 0.6 * limits.memory_bytes
        if code < 0:
            sig = -code
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            if sig == signal.SIGXCPU:
                return (f"your code used more than its {limits.cpu_seconds:g} s of CPU time "
                        "(the CPU time limit) and was stopped", "cpu")
            if sig == signal.SIGXFSZ:
                return (f"your code wrote a file larger than {limits.file_size_bytes / 2**20:g} MiB",
                        "crashed")
            if big:
                return (f"the Python process running your code was killed ({name}), most likely "
                        f"because it ran out of memory (the limit is "
                        f"{limits.memory_bytes / 2**30:g} GiB)", "memory")
            if sig == signal.SIGKILL:
                return (f"the Python process running your code was killed ({name}); it may have "
                        "run out of memory", "crashed")
            return f"the Python process running your code crashed ({name})", "crashed"
        if big:
            return (f"the Python process running your code ended (exit code {code}) close to the "
                    f"{limits.memory_bytes / 2**30:g} GiB memory limit", "memory")
        return (f"your code ended the Python process (sys.exit/os._exit or a fatal error; exit "
                f"code {code})", "crashed")

    def find_init(self):
        """Remember the host pid of the PID namespace's init (our child's only child)."""
        if self.init is not None or not self.iso.namespaces or self.dead:
            return
        pid = self.proc.pid
        children = _read_proc(pid, f"task/{pid}/children")
        if children is None:  # no CONFIG_PROC_CHILDREN: scan /proc for the parent pid
            children = b" ".join(name.encode() for name in os.listdir("/proc") if name.isdigit()
                                 and (_read_proc(name, "stat") or b"").rsplit(b")", 1)[-1].split()[1:2]
                                 == [str(pid).encode()])
        for word in children.split():
            info = _start_time(int(word))
            if info is not None:
                self.init = (int(word), info[0])
                return

    def kill(self, grace=5.0):
        """SIGKILL everything the child started, reap it; bounded in time."""
        if self.dead:
            return
        if self.init is None:
            self.find_init()
        killed_init = False
        if self.init is not None:
            # The namespace's init first: its death kills every process in the namespace, and
            # unshare reaps it and exits, so nothing is left for the host's init to reap.
            info = _start_time(self.init[0])
            if info is not None and info[0] == self.init[1]:
                try:
                    os.kill(self.init[0], signal.SIGKILL)
                    killed_init = True
                except (ProcessLookupError, PermissionError):
                    pass
        if killed_init:
            self._wait_exit(min(grace, 1.0))
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if not self.iso.namespaces:
            _kill_marked(self.token)
        self._reap(grace)
        if self.init is not None:
            end = time.monotonic() + grace
            while time.monotonic() < end:
                info = _start_time(self.init[0])
                if info is None or info[0] != self.init[1] or info[1] in (b"Z", b"X"):
                    break
                time.sleep(0.002)
        if not self.iso.namespaces:
            _kill_marked(self.token)
        self.dead = True
        self._close_fds()

    def _reap(self, grace):
        end = time.monotonic() + grace
        while True:
            try:
                pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            except ChildProcessError:
                return
            if pid:
                self.status, self.rusage = status, usage
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                return
            left = end - time.monotonic()
            if left <= 0:
                return
            if self.pidfd is not None:
                select.select([self.pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.005))

    def _close_fds(self):
        for name in ("req_w", "rep_r", "status_r", "pidfd"):
            fd = getattr(self, name, None)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)

    def remove(self):
        self.kill()
        _remove_tree(self.tmpdir)


def _count_processes(uid):
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                count += os.stat(f"/proc/{name}").st_uid == uid
            except OSError:
                pass
    return count


def _kill_marked(token):
    """SIGKILL every process whose environment carries the sandbox's marker (no-namespace mode)."""
    needle = f"{ENV_MARKER}={token}".encode()
    for _ in range(5):
        found = False
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != os.getpid():
                environ = _read_proc(name, "environ")
                if environ and needle in environ:
                    try:
                        os.kill(int(name), signal.SIGKILL)
                        found = True
                    except (ProcessLookupError, PermissionError):
                        pass
        if not found:
            return
        time.sleep(0.01)


def _remove_tree(path):
    def fix(function, failed, _):
        try:
            os.chmod(os.path.dirname(failed), 0o700)
            os.chmod(failed, 0o700)
            function(failed)
        except OSError:
            pass
    if path and os.path.lexists(path):
        shutil.rmtree(path, onerror=fix)


def _well_formed(value):
    """Is ``value`` what `child.encode` produces (so `child.decode` cannot fail on it)?"""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 3 * _child.MAX_DEPTH + 8:
            return False
        t = type(item)
        if item is None or t in (bool, int, float, str):
            continue
        if t is list:
            stack.extend((v, depth + 1) for v in item)
            continue
        if t is not dict or len(item) != 1:
            return False
        (tag, inner), = item.items()
        if tag == "$object":
            if type(inner) is not str:
                return False
        elif tag in ("$tuple", "$set"):
            if type(inner) is not list:
                return False
            stack.extend((v, depth + 1) for v in inner)
        elif tag == "$dict":
            if type(inner) is not list:
                return False
            for pair in inner:
                if type(pair) is not list or len(pair) != 2:
                    return False
                stack.extend((v, depth + 2) for v in pair)
        else:
            return False
    return True


_ERROR_FIELDS = ("kind", "type", "name", "message", "traceback")


def _setup_value(value):
    """Is ``value`` what the setup reply carries: a list of {"cell": str, "error": {str: str}}?"""
    return type(value) is list and all(
        type(item) is dict and type(item.get("cell")) is str and type(item.get("error")) is dict
        and all(type(item["error"].get(k, "")) is str for k in _ERROR_FIELDS) for item in value)


def _parse_reply(line, request_id, setup=False):
    """The reply (or progress line) in ``line`` if it is one for ``request_id``, else None."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError, MemoryError):
        return None
    if type(message) is not dict or type(message.get("id")) is not int or message["id"] != request_id:
        return None
    if "progress" in message:
        return message if type(message["progress"]) is int and len(message) == 2 else None
    if "error" in message:
        error = message["error"]
        if type(error) is not dict or not all(type(error.get(k, "")) is str for k in _ERROR_FIELDS):
            return None
        return {"id": request_id, "error": {k: error[k][:20000] for k in _ERROR_FIELDS if k in error}}
    if "value" in message and (_setup_value if setup else _well_formed)(message["value"]):
        return {"id": request_id, "value": message["value"]}
    return None


# ---------------------------------------------------------------------------
# The transport

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
            self._iso = isolation()
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
        except _Expired:
            self._discard_child()
            if seconds < self.limits.call_seconds:
                raise self._fail(StudentTimeout(self._budget_message()))
            raise self._fail(StudentTimeout(
                f"your code did not finish within {self.limits.call_seconds:g} s (the time limit for "
                "one call): look for an infinite loop, or a computation far slower than needed"))
        except _Ended as ended:
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
        child = _Child(iso, self.limits, self._hide)
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
        except (_Expired, _Ended) as exc:
            self._discard_child()
            self._used += time.monotonic() - started
            if isinstance(exc, _Ended) and exc.kind == "grader":
                raise self._fail(GraderError(exc.cause)) from None
            if done[0] < 0:
                if isinstance(exc, _Expired):
                    raise self._fail(GraderError(
                        f"the sandbox's Python did not start within {seconds:g} s")) from None
                raise self._fail(GraderError(
                    f"the sandbox's Python ended before running any cell: {exc.cause}")) from None
            if done[0] >= len(run):        # all cells ran; the reply itself went wrong
                raise self._fail(StudentCrashed("the Python process running your code ended "
                                                "right after running your cells")) from None
            index = run[done[0]]
            name = self._cells[index]["name"]
            if isinstance(exc, _Expired):
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
