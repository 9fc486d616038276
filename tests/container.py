"""Run a command as it would run in a default container: no util-linux ``unshare``.

Gradescope runs its bundle as root in a container that cannot make namespaces, and a
JupyterHub pod runs the grader as an ordinary user; both lack what the sandbox's
strongest layer needs.  `container_argv` simulates that on a machine that has it,
without changing the machine: in a private mount namespace, ``unshare`` is covered
by /dev/null, then the command runs as root or as a throwaway uid (one no account
uses, as a pod's random uid).  For that uid the interpreter's prefix is made
reachable when a folder above it is closed to others (a pyenv under /root): the
prefix is bound back under an open tmpfs, in that namespace only.
"""
import os
import shutil
import stat
import sys

THROWAWAY_UID = 47913
SYSTEM_BIN = "/usr/bin:/bin:/usr/sbin:/sbin"


def can_simulate():
    """Why a container cannot be simulated here, or None."""
    if os.geteuid() != 0:
        return "making a private mount namespace and switching to a throwaway uid need root"
    for tool in ("unshare", "setpriv", "mount"):
        if not shutil.which(tool, path=SYSTEM_BIN):
            return f"util-linux's {tool} is missing"
    return None


def _closed_ancestor(path):
    """The highest folder above ``path`` that others may not traverse, or None."""
    current = ""
    for part in path.split("/")[1:-1]:
        current += "/" + part
        if not os.stat(current).st_mode & stat.S_IXOTH:
            return current
    return None


def _expose(prefix, scratch):
    closed = _closed_ancestor(prefix + "/")
    if closed is None:
        return []
    keep = os.path.join(scratch, "prefix")
    return [f"mkdir -p {keep}", f"mount --bind {prefix} {keep}",
            f"mount -t tmpfs -o mode=755 tmpfs {closed}", f"mkdir -p {prefix}",
            f"mount --move {keep} {prefix}"]


def container_argv(argv, scratch, uid=None):
    """``argv`` run where ``unshare`` is hidden, as root or as ``uid`` (``scratch``: a folder
    the setup may use)."""
    hide = shutil.which("unshare", path=SYSTEM_BIN)
    steps = [f"mount --bind /dev/null {hide}"]
    if uid is not None:
        steps += _expose(os.path.realpath(sys.base_prefix), scratch)
        argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"] + list(argv)
    script = " && ".join(steps) + ' && exec "$@"'
    return [hide, "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + list(argv)
