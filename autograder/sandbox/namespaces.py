"""Namespaces and mounts: the strongest layer, where the machine lets the grader make them.

util-linux ``unshare`` (Python 3.11 has no os.unshare) puts the child in its own network
(no interface up: no network at all), PID (it is PID 1 and sees no other process; all it
starts dies with it), IPC, UTS and mount namespaces; as an ordinary user the same set is
made inside a user namespace.  In the mount namespace the bootstrap runs `mount_ops`
before the child's Python starts: instructor folders are covered by empty read-only tmpfs,
what Python needs is bound back read-only, every other mount is remounted read-only, and
/tmp, /var/tmp, /dev/shm and the working directory are fresh size-capped tmpfs.
"""
import os

from .paths import inside, needed_paths

NAMESPACE_CWD = "/tmp/sandbox"      # the child's working directory inside its mount namespace
NAMESPACE_FLAGS = ("--net", "--pid", "--ipc", "--uts", "--mount", "--fork", "--kill-child",
                   "--mount-proc")

# Folders that must stay visible: never covered even if asked to.
_PROTECTED = ("/", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/dev", "/proc",
              "/sys", "/var")
_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
_ALWAYS_COVERED = ("/run",)


def unshare_argv(iso, argv):
    """``argv`` run in fresh namespaces, dying with the grader (``setpriv --pdeathsig``)."""
    flags = ["--user", "--map-root-user"] if iso.mode == "user-namespace" else []
    argv = [iso.unshare] + flags + list(NAMESPACE_FLAGS) + ["--"] + list(argv)
    if iso.setpriv:     # unshare dies with the grader (its init, with unshare)
        argv = [iso.setpriv, "--pdeathsig", "KILL", "--"] + argv
    return argv

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
    return path in _PROTECTED or any(inside(p, path) for p in _PROTECTED if p != "/")


def scratch_dirs():
    return [p for p in _SCRATCH if os.path.isdir(p) and not os.path.islink(p)]


def mount_ops(hide, cwd, uid, gid, scratch_bytes):
    """The bootstrap's list of mount operations (see `_BOOTSTRAP`)."""
    covers = {}                       # path -> "ro" | "file" | "scratch"
    for path in hide:
        real = os.path.realpath(path)
        if os.path.lexists(real) and not _protected(real):
            covers[real] = "ro" if os.path.isdir(real) else "file"
    needed = needed_paths()
    if uid is not None:
        for path in needed:
            closed = _first_closed_ancestor(path, uid, gid)
            if closed is not None and not _protected(closed):
                covers.setdefault(closed, "ro")
    for path in _ALWAYS_COVERED:
        if os.path.isdir(path) and not os.path.islink(path):
            covers.setdefault(path, "ro")
    for path in scratch_dirs():
        covers[path] = "scratch"
    top = sorted(c for c in covers if not any(o != c and inside(c, o) for o in covers))
    binds = [n for n in needed if any(inside(n, c) for c in top)]
    inner = sorted(c for c in covers if c not in top and any(inside(c, b) for b in binds))

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
