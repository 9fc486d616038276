"""Which confinement layers this machine gives the child, found by trying them.

Four layers, each independent of the others (`Isolation.layers`):

* ``namespaces``: network, PID, mount, IPC and UTS namespaces (`namespaces`), where
  util-linux ``unshare`` may make them (root, or an ordinary user allowed user
  namespaces); a container without CAP_SYS_ADMIN has none.
* ``landlock``: the child may read only what Python needs and write only its scratch
  folder; from ABI 4 no TCP, from ABI 6 signals and abstract unix sockets only within
  the sandbox (`landlock`).  Needs no privilege: Linux 5.13+ with Landlock enabled.
* ``seccomp``: a system-call filter: no socket but AF_UNIX, no ptrace, no namespace or
  mount calls, no setsid, signals only to the sandbox's own processes (`seccomp`).
  Needs no privilege.
* ``uid``: as root, the child drops to ``nobody`` when ``nobody`` can run the
  interpreter; where it cannot (a pyenv under /root), the child stays uid 0 but keeps no
  capability (it cannot override file permissions, change ownership, raise its limits).

What the layers give together is said as properties (`PROPERTIES`): ``filesystem``
(the kit, the master solutions, the course and other students' work cannot be read,
nothing outside the scratch folder written), ``network``, ``signals`` (the grader and
other processes cannot be signalled), ``processes`` (nothing the child starts outlives
the grading), ``privileges`` (the child is not the grader's root).

`detect` tries the combinations, best first, by starting a child and checking from
inside (uid, PID 1, network, the kit's files, a socket only the filter refuses, a
call that needs a capability); the first that works
wins.  `isolation` caches it for the process and warns once on stderr when a layer is
missing.  From the grader's environment (never the child's):

``AUTOGRADER_SANDBOX_DISABLE=namespaces,landlock,seccomp,uid``
    layers not to use (to work around a machine that misbehaves, and for the tests,
    which force every configuration this way).
``AUTOGRADER_REQUIRE_ISOLATION=filesystem,network,...``
    properties (or layer names) the sandbox must give, else nothing is graded: a
    `GraderError` says what is lacking and how to get it.  ``1`` or ``all`` asks for
    every property.
"""
import os
import pwd
import shutil
import sys
import threading
from dataclasses import dataclass, field, replace

from ..errors import GraderError, StudentError
from . import landlock, seccomp
from .limits import Limits
from .paths import KIT_ROOT

SANDBOX_USER = "nobody"
LAYERS = ("namespaces", "landlock", "seccomp", "uid")
PROPERTIES = ("filesystem", "network", "signals", "processes", "privileges")
_SYSTEM_BIN = "/usr/bin:/bin:/usr/sbin:/sbin"


@dataclass(frozen=True)
class Isolation:
    """How sandboxed children are started here, and what was seen from inside one."""

    mode: str                   # "namespaces", "user-namespace" or "plain"
    uid: object = None          # the uid the child switches to (None: stays as the grader's)
    gid: object = None
    unshare: str = ""
    setpriv: str = ""
    landlock: int = 0           # the Landlock ABI the child applies (0: no Landlock)
    seccomp: bool = False       # the child installs the seccomp filter
    nocaps: bool = False        # a child that stays root drops every capability
    facts: dict = field(default_factory=dict, compare=False)
    missing: tuple = ()

    @property
    def namespaces(self):
        return self.mode != "plain"

    @property
    def layers(self):
        """The layers in force, by name (`LAYERS`)."""
        return tuple(name for name, present in (
            ("namespaces", self.namespaces), ("landlock", self.landlock > 0),
            ("seccomp", self.seccomp), ("uid", self.uid is not None or self.nocaps)) if present)

    @property
    def properties(self):
        """What the layers defend together: property -> the layers that give it."""
        by = {"filesystem": [], "network": [], "signals": [], "processes": [], "privileges": []}
        if self.namespaces:
            for name in ("filesystem", "network", "signals", "processes"):
                by[name].append("namespaces")
            if self.mode == "user-namespace":
                by["privileges"].append("user namespace")
        if self.landlock:
            by["filesystem"].append(f"Landlock ABI {self.landlock}")
            if self.landlock >= 6:
                by["signals"].append(f"Landlock ABI {self.landlock}")
        if self.seccomp:
            for name in ("network", "processes") + (("signals",) if self.landlock < 6 else ()):
                by[name].append("seccomp")
        if self.uid is not None or os.geteuid() != 0:
            by["privileges"].append("unprivileged uid")
        elif self.nocaps:
            by["privileges"].append("no capabilities")
        return {name: tuple(given) for name, given in by.items() if given}

    def describe(self):
        """Every layer in force, in words."""
        parts = []
        if self.namespaces:
            parts.append(f"{self.mode} (network, PID, mount, IPC, UTS)")
        else:
            parts.append("no namespaces")
        parts.append(f"Landlock ABI {self.landlock}" if self.landlock else "no Landlock")
        parts.append("seccomp filter" if self.seccomp else "no seccomp")
        parts.append(f"child runs as uid {self.uid}" if self.uid is not None
                     else f"child runs as the grader's uid {os.geteuid()}"
                     + (" without capabilities" if self.nocaps else ""))
        return "; ".join(parts)


_ISOLATION = None
_ISOLATION_LOCK = threading.Lock()


def disabled_layers(environ=None):
    """The layers ``$AUTOGRADER_SANDBOX_DISABLE`` turns off (an unknown name is an error)."""
    text = (os.environ if environ is None else environ).get("AUTOGRADER_SANDBOX_DISABLE", "")
    names = {n.strip() for n in text.replace(";", ",").split(",") if n.strip()}
    unknown = names - set(LAYERS)
    if unknown:
        raise GraderError(f"AUTOGRADER_SANDBOX_DISABLE: unknown layer(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(LAYERS)}")
    return frozenset(names)


def _candidates(disable):
    unshare = "" if "namespaces" in disable else \
        shutil.which("unshare", path=_SYSTEM_BIN) or ""
    setpriv = shutil.which("setpriv", path=_SYSTEM_BIN) or ""
    root = os.geteuid() == 0
    try:
        entry = pwd.getpwnam(SANDBOX_USER)
        ids = (entry.pw_uid, entry.pw_gid)
    except KeyError:
        ids = (65534, 65534)
    drop = root and "uid" not in disable
    uids = ([ids] if drop else []) + [(None, None)]
    abi = 0 if "landlock" in disable else landlock.abi_version()
    filtering = "seccomp" not in disable and seccomp.supported()
    # Best first: every layer; then without the one most likely refused by a container's
    # own policy (Landlock's calls), then neither.
    kits = [(abi, filtering)] + ([(0, filtering)] if abi else []) + \
        ([(0, False)] if filtering else [])
    out = []
    modes = (["namespaces"] if root else ["user-namespace"]) if unshare else []
    for mode in modes + ["plain"]:
        for ll, sc in kits:
            for uid, gid in uids:
                out.append(Isolation(mode, uid, gid, unshare if mode != "plain" else "",
                                     setpriv, landlock=ll, seccomp=sc,
                                     nocaps=drop and uid is None and mode != "user-namespace"))
    return out, unshare


def _inspect_sandbox(ns, kit_file):
    """Probe: what the child sees of its isolation (run inside the sandbox)."""
    import errno
    import os
    import socket
    facts = {"uid": os.getuid(), "pid": os.getpid(), "network": False, "seccomp": False,
             "kit_visible": False, "privileged": False}
    try:            # needs CAP_SETGID; harmless where it works (this child is thrown away)
        os.setgroups([])
        facts["privileged"] = True
    except OSError:
        pass
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", 9))
            facts["network"] = True
        finally:
            s.close()
    except OSError as exc:
        facts["network"] = exc.errno in (errno.ECONNREFUSED, errno.ETIMEDOUT, None)
    try:            # a datagram netlink socket needs no privilege: only the filter refuses it
        socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0).close()
    except OSError as exc:
        facts["seccomp"] = exc.errno == errno.EAFNOSUPPORT
    try:
        with open(kit_file, "rb") as f:
            f.read(1)
        facts["kit_visible"] = True
    except OSError:
        pass
    return facts


def _wrong(candidate, facts):
    """What the child saw that the candidate promised otherwise."""
    return [what for what, bad in [
        ("uid", candidate.uid is not None and facts["uid"] != candidate.uid),
        ("network", (candidate.namespaces or candidate.seccomp) and facts["network"]),
        ("kit hidden", (candidate.namespaces or candidate.landlock) and facts["kit_visible"]),
        ("pid", candidate.namespaces and facts["pid"] != 1),
        ("seccomp", candidate.seccomp and not facts["seccomp"]),
        ("capabilities", candidate.nocaps and facts["privileged"])] if bad]


def detect(mode=None, disable=None):
    """Try the ways of starting a sandbox, best first; the first that works (uncached).

    ``mode`` keeps only the candidates of that mode ("plain": no namespaces);
    ``disable`` (default: ``$AUTOGRADER_SANDBOX_DISABLE``) names layers not to use.
    """
    from .sandboxed_student import SandboxedStudent     # it asks this module for the default
    disable = disabled_layers() if disable is None else frozenset(disable)
    candidates, unshare = _candidates(disable)
    if mode is not None:
        candidates = [c for c in candidates if c.mode == mode] or candidates[-1:]
    kit_file = os.path.join(KIT_ROOT, "autograder", "__init__.py")
    failures = []
    for candidate in candidates:
        student = SandboxedStudent([], Limits(setup_seconds=10, call_seconds=10, total_seconds=30,
                                              max_restarts=0), isolation=candidate)
        try:
            facts = student.probe(_inspect_sandbox, kit_file)
            wrong = _wrong(candidate, facts)
            if wrong:
                raise GraderError("started, but not isolated as expected: " + ", ".join(wrong))
        except (StudentError, GraderError) as exc:
            failures.append(f"{candidate.describe()}: {str(exc).splitlines()[0][:300]}")
            continue
        finally:
            student.close()
        missing = [f"{name} (disabled by AUTOGRADER_SANDBOX_DISABLE)" for name in LAYERS
                   if name in disable]
        if not candidate.namespaces and "namespaces" not in disable:
            missing.append("namespaces" + ("" if unshare else " (no unshare command)"))
        if not candidate.landlock and "landlock" not in disable:
            missing.append("landlock" + ("" if landlock.abi_version() else
                                         " (the kernel offers none)"))
        if not candidate.seccomp and "seccomp" not in disable:
            missing.append("seccomp")
        if candidate.uid is None and os.geteuid() == 0 and "uid" not in disable:
            missing.append("unprivileged uid" + (" (the child stays root, without capabilities)"
                                                 if candidate.nocaps else ""))
        return replace(candidate, facts=dict(facts, start_seconds=(student.stats["starts"] or [None])[0]),
                       missing=tuple(missing) + tuple(failures))
    raise GraderError("the sandbox cannot start a child process on this machine:\n  "
                      + "\n  ".join(failures))


_HOW = {
    "namespaces": "install util-linux's unshare, allow user namespaces (sysctl "
                  "kernel.unprivileged_userns_clone=1; on Ubuntu "
                  "kernel.apparmor_restrict_unprivileged_userns=0) or grade as root in a "
                  "container started with CAP_SYS_ADMIN",
    "landlock": "a Linux kernel 5.13+ with Landlock enabled (lsm=...,landlock), and a container "
                "runtime whose seccomp profile allows the landlock_* calls",
    "seccomp": "a kernel with seccomp filters (CONFIG_SECCOMP_FILTER) on x86_64 or aarch64",
    "uid": f"grade as root with a user {SANDBOX_USER!r} that can run the interpreter",
}


def required(environ=None):
    """The properties and layers ``$AUTOGRADER_REQUIRE_ISOLATION`` asks for."""
    text = (os.environ if environ is None else environ).get("AUTOGRADER_REQUIRE_ISOLATION", "")
    names = {n.strip().lower() for n in text.replace(";", ",").split(",") if n.strip()}
    names.discard("0")
    if names & {"1", "all", "yes", "true"}:
        names = (names - {"1", "all", "yes", "true"}) | set(PROPERTIES)
    unknown = names - set(PROPERTIES) - set(LAYERS)
    if unknown:
        raise GraderError(f"AUTOGRADER_REQUIRE_ISOLATION: unknown name(s) "
                          f"{', '.join(sorted(unknown))}; give properties ({', '.join(PROPERTIES)}), "
                          f"layers ({', '.join(LAYERS)}) or 1 for every property")
    return names


def require(found, environ=None):
    """Fail closed when ``$AUTOGRADER_REQUIRE_ISOLATION`` asks for what ``found`` lacks."""
    lacking = []
    have = found.properties
    for name in sorted(required(environ)):
        if name in LAYERS and name not in found.layers:
            lacking.append(f"the {name} layer ({_HOW[name]})")
        elif name in PROPERTIES and name not in have:
            lacking.append(f"{name} (from any of: {_givers(name)})")
    if lacking:
        raise GraderError("AUTOGRADER_REQUIRE_ISOLATION is set, but the sandbox here lacks "
                          + "; ".join(lacking) + f". In force: {found.describe()}. Missing: "
                          + "; ".join(found.missing))


def _givers(prop):
    return {"filesystem": "namespaces, Landlock", "network": "namespaces, seccomp",
            "signals": "namespaces, Landlock ABI 6, seccomp", "processes": "namespaces, seccomp",
            "privileges": "an unprivileged uid, a user namespace, or a grader that is not root"}[prop]


_LOST = {
    "filesystem": "the child can read the kit's files (master solutions and hidden suites "
                  "included), the course folder and other students' work wherever file "
                  "permissions allow, and write wherever its uid may",
    "network": "the child can use the network",
    "signals": "the child can signal processes of its uid, the grader's included when they share it",
    "processes": "a process that calls setsid() and clears its environment can outlive the grading",
    "privileges": "the child runs as root: it can do anything the grader can",
}


def isolation():
    """How this process starts sandboxes (detected once, cached; warns once if degraded)."""
    global _ISOLATION
    with _ISOLATION_LOCK:
        if _ISOLATION is None:
            found = detect()
            require(found)
            lost = [_LOST[p] for p in PROPERTIES if p not in found.properties]
            if lost:
                sys.stderr.write(
                    "autograder.sandbox: WARNING: degraded isolation on this machine: "
                    f"{found.describe()}.\n  Not available: " + "; ".join(found.missing) +
                    ".\n  Consequence: " + "; ".join(lost) + ". Resource limits, deadlines and "
                    "the minimal environment still apply.\n")
            _ISOLATION = found
    return _ISOLATION
