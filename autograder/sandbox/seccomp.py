"""A seccomp-bpf filter the sandboxed child applies to itself before any student code runs.

What it refuses (every process the child starts inherits the filter and cannot
remove it):

* sockets of every family but AF_UNIX (``socket``, ``socketpair``): EAFNOSUPPORT,
  what a kernel without that family answers, so no network even where no network
  namespace could be made;
* looking into or changing other processes, the kernel and the machine:
  ptrace, process_vm_readv/writev, kcmp, process_madvise/mrelease, pidfd_open,
  pidfd_getfd, pidfd_send_signal; mount and the new mount API, umount2,
  pivot_root, chroot, unshare, setns and namespace flags to clone; keyctl,
  add_key, request_key, bpf, perf_event_open, userfaultfd, io_uring (which can
  open sockets without the socket call), open_by_handle_at, name_to_handle_at,
  fanotify_init; module, kexec, swap, reboot, acct, quota, clock, host-name,
  syslog, vhangup and legacy calls; device nodes (mknod of a character or block
  device); terminal input injection (ioctl TIOCSTI, TIOCLINUX): EPERM;
* ``setsid`` and ``setpgid``: EPERM, so every process the child starts stays in
  the child's process group, which the grader kills as a whole;
* changing a file's metadata (chmod, chown, utime and xattr calls): EPERM.
  Landlock guards a file's contents, not its mode, owner or times, and a child
  that runs as the grader's uid (an ordinary user's pod) or as root without
  capabilities owns the grader's files;
* reaching a socket by address (connect, bind, listen, accept, sendmsg,
  sendmmsg, sendto with an address): EPERM.  Only AF_UNIX sockets can be made,
  and a unix socket reached by path (a container runtime's, D-Bus) is not a
  file Landlock guards; a socketpair needs none of these calls;
* raising a resource limit (setrlimit, prlimit64 with a new value): EPERM, so a
  child that stays root keeps the grader's limits;
* signals outside the child (see below): EPERM;
* ``clone3``: ENOSYS.  Its flags sit in a struct a filter cannot read, and
  glibc falls back to ``clone`` (whose flags it can) when the call is missing;
* a system call of another ABI (i386 through ``int 0x80``, x32 numbers with
  bit 30 set on x86_64): the process is killed (SIGSYS).  Nothing this
  interpreter runs makes one, and the syscall numbers below mean something
  else there.

A deny-list with the default action ALLOW, not an allow-list: what the child
legitimately calls changes with glibc, CPython, numpy, OpenBLAS and matplotlib
versions (a new glibc using ``rseq``, ``clone3`` or ``faccessat2``, a BLAS using
``sched_getaffinity``) and an allow-list that misses one breaks grading with a
crash nobody can explain on a machine we never saw.  The calls that matter for
escaping are few, old and named here, and the other layers (namespaces,
Landlock, an unprivileged uid) confine files and processes where they exist.

Signals: the filter is built with the child's pid (``install(own_pid)``, the
child being its own session and process-group leader).  ``kill`` is allowed to
that pid, to 0 (the caller's group, which no descendant can leave) and to
``-own_pid`` (the child's group); ``tgkill``, ``rt_tgsigqueueinfo`` and
``rt_sigqueueinfo`` only with that pid as thread group, ``tkill`` only to that
pid; ``fcntl(F_SETOWN)`` (a signal sent later on I/O) only to those targets,
and ``F_SETOWN_EX``, ``FIOSETOWN`` and ``SIOCSPGRP`` not at all.  The
consequence: a subprocess inherits the filter with the child's pid written in
it, so it cannot signal itself by pid (``os.kill(os.getpid(), sig)`` and
``raise()`` fail with EPERM there, though ``signal.raise_signal`` in the child
itself works) and the child cannot signal one of its subprocesses alone, only
its whole group (``os.killpg(0, sig)``): ``Popen.kill()`` and
``multiprocessing`` ``terminate()`` raise PermissionError (so does leaving a
``with Pool()`` block while a worker is still busy; ``close()`` and ``join()``
do not).  Starting, joining and waiting for subprocesses, threads and process
pools work.  Where
Landlock ABI 6 scopes signals to the child's own domain (descendants included)
that is the finer layer: pass ``confine_signals=False`` there and every
signal within the child works.

Why a hand-written BPF program rather than a binding: libseccomp's own Python
module is not published as wheels, ``pyseccomp`` (ctypes over libseccomp.so)
has not been released since 2021 and needs the C library (on Debian and
Ubuntu images because apt depends on it, not on Alpine or distroless ones),
and the pure-Python bindings are young, unproven releases.  This module's
source is sent to the child and run there, where neither the kit nor its
dependencies may be readable, so it uses the standard library only (ctypes,
struct, os, errno): the program is a few dozen ``sock_filter``
instructions, and its tests check every rule from a real child.

The filter is installed with ``seccomp(SECCOMP_SET_MODE_FILTER,
SECCOMP_FILTER_FLAG_TSYNC)`` rather than ``prctl(PR_SET_SECCOMP)`` so that
threads already started (none should be, but a library's background thread would
be) are covered too.  On kernels 5.11 and later, calls whose answer does not
depend on their arguments are cached by the kernel, so ``read``, ``write``,
``mmap`` and the like cost nothing extra.
"""
import ctypes
import errno
import os
import struct

# BPF instruction classes and modes (linux/bpf_common.h).
_LD_W_ABS = 0x00 | 0x00 | 0x20      # BPF_LD | BPF_W | BPF_ABS
_ALU_AND_K = 0x04 | 0x50 | 0x00     # BPF_ALU | BPF_AND | BPF_K
_JEQ_K = 0x05 | 0x10 | 0x00         # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x05 | 0x30 | 0x00         # BPF_JMP | BPF_JGE | BPF_K
_JSET_K = 0x05 | 0x40 | 0x00        # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06 | 0x00                # BPF_RET | BPF_K

# Filter results (linux/seccomp.h).
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000

# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6].
# Both supported machines are little-endian: an argument's low 32 bits come first.
_NR_OFFSET = 0
_ARCH_OFFSET = 4


def _arg(index):
    """Offset of the low 32 bits of argument ``index``: every argument checked here
    is an int or unsigned int to the kernel, which ignores the upper half."""
    return 16 + 8 * index


_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_SYSCALL_BIT = 0x40000000
_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}

# System call numbers: (x86_64, aarch64); None where the machine has no such call.
# From the kernel's arch/x86/entry/syscalls/syscall_64.tbl and
# include/uapi/asm-generic/unistd.h (used by aarch64).
_NUMBERS = {
    "accept": (43, 202), "accept4": (288, 242), "bind": (49, 200), "chmod": (90, None),
    "chown": (92, None), "connect": (42, 203), "fchmod": (91, 52), "fchmodat": (268, 53),
    "fchmodat2": (452, 452), "fchown": (93, 55), "fchownat": (260, 54),
    "fremovexattr": (199, 16), "fsetxattr": (190, 7), "futimesat": (261, None),
    "lchown": (94, None), "listen": (50, 201), "lremovexattr": (198, 15),
    "lsetxattr": (189, 6), "prlimit64": (302, 261), "removexattr": (197, 14),
    "removexattrat": (466, 466), "sendmmsg": (307, 269), "sendmsg": (46, 211),
    "sendto": (44, 206), "setrlimit": (160, 164), "setxattr": (188, 5),
    "setxattrat": (463, 463), "utime": (132, None), "utimensat": (280, 88),
    "utimes": (235, None),
    "acct": (163, 89), "add_key": (248, 217), "adjtimex": (159, 171), "bpf": (321, 280),
    "chroot": (161, 51), "clock_adjtime": (305, 266), "clock_settime": (227, 112),
    "clone": (56, 220), "clone3": (435, 435), "delete_module": (176, 106),
    "fanotify_init": (300, 262), "fcntl": (72, 25), "finit_module": (313, 273),
    "fsmount": (432, 432), "fsopen": (430, 430), "fspick": (433, 433),
    "init_module": (175, 105), "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427), "io_uring_setup": (425, 425), "ioctl": (16, 29),
    "ioperm": (173, None), "iopl": (172, None), "kcmp": (312, 272),
    "kexec_file_load": (320, 294), "kexec_load": (246, 104), "keyctl": (250, 219),
    "kill": (62, 129), "lookup_dcookie": (212, 18), "mknod": (133, None),
    "mknodat": (259, 33), "modify_ldt": (154, None), "mount": (165, 40),
    "mount_setattr": (442, 442), "move_mount": (429, 429),
    "name_to_handle_at": (303, 264), "nfsservctl": (180, 42),
    "open_by_handle_at": (304, 265), "open_tree": (428, 428),
    "perf_event_open": (298, 241), "personality": (135, 92), "pidfd_getfd": (438, 438),
    "pidfd_open": (434, 434), "pidfd_send_signal": (424, 424), "pivot_root": (155, 41),
    "process_madvise": (440, 440), "process_mrelease": (448, 448),
    "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "ptrace": (101, 117), "quotactl": (179, 60), "quotactl_fd": (443, 443),
    "reboot": (169, 142), "request_key": (249, 218), "rt_sigqueueinfo": (129, 138),
    "rt_tgsigqueueinfo": (297, 240), "setdomainname": (171, 162),
    "sethostname": (170, 161), "setns": (308, 268), "setpgid": (109, 154),
    "setsid": (112, 157), "settimeofday": (164, 170), "socket": (41, 198),
    "socketpair": (53, 199), "swapoff": (168, 225), "swapon": (167, 224),
    "_sysctl": (156, None), "sysfs": (139, None), "syslog": (103, 116),
    "tgkill": (234, 131), "tkill": (200, 130), "umount2": (166, 39),
    "unshare": (272, 97), "uselib": (134, None), "userfaultfd": (323, 282),
    "ustat": (136, None), "vhangup": (153, 58),
}

# Calls that always fail with EPERM.
DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "process_madvise",
    "process_mrelease", "pidfd_open", "pidfd_getfd", "pidfd_send_signal",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsmount", "fspick", "mount_setattr", "unshare", "setns",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_by_handle_at", "name_to_handle_at", "fanotify_init",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "syslog", "vhangup", "lookup_dcookie", "nfsservctl",
    "iopl", "ioperm", "modify_ldt", "uselib", "ustat", "sysfs", "_sysctl",
    "setsid", "setpgid",
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
    "utime", "utimes", "futimesat", "utimensat",
    "setxattr", "lsetxattr", "fsetxattr", "setxattrat",
    "removexattr", "lremovexattr", "fremovexattr", "removexattrat",
    "connect", "bind", "listen", "accept", "accept4", "sendmsg", "sendmmsg", "setrlimit",
)

AF_UNIX = 1
_NAMESPACE_FLAGS = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
                    | 0x20000000 | 0x40000000)   # CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}
_PERSONALITY_QUERY = 0xFFFFFFFF
_S_IFMT, _S_IFCHR, _S_IFBLK = 0o170000, 0o020000, 0o060000
_TIOCSTI, _TIOCLINUX, _FIOSETOWN, _SIOCSPGRP = 0x5412, 0x541C, 0x8901, 0x8902
_F_SETOWN, _F_SETOWN_EX = 8, 15

_PR_SET_NO_NEW_PRIVS = 38
_PR_GET_SECCOMP = 21
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_GET_ACTION_AVAIL = 2
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SYS_SECCOMP = {"x86_64": 317, "aarch64": 277}


def _insn(code, k=0, jt=0, jf=0):
    return (code, jt, jf, k & 0xFFFFFFFF)


def _ret(value):
    return [_insn(_RET_K, value)]


_ALLOW = _ret(_RET_ALLOW)


def _fail(code):
    return _ret(_RET_ERRNO | code)


def _switch(offset, cases, default, mask=None):
    """Load the 32-bit word at ``offset`` (ANDed with ``mask``), run the body of
    the first case whose value it equals, else ``default``.  Every body ends in
    a return on every path, so a skipped body leaves the loaded word in place
    for the next comparison."""
    program = [_insn(_LD_W_ABS, offset)]
    if mask is not None:
        program.append(_insn(_ALU_AND_K, mask))
    for value, body in cases:
        if len(body) > 255:
            raise ValueError("a rule's body is too long for a BPF jump (%d instructions)"
                             % len(body))
        program.append(_insn(_JEQ_K, value, jt=0, jf=len(body)))
        program += body
    return program + default


def _only(arg, values, code):
    """Allow when argument ``arg`` is one of ``values``, else fail with ``code``."""
    return _switch(_arg(arg), [(v, _ALLOW) for v in values], _fail(code))


def _never(arg, values, code, mask=None):
    """Fail with ``code`` when argument ``arg`` (ANDed with ``mask``) is one of ``values``."""
    return _switch(_arg(arg), [(v, _fail(code)) for v in values], _ALLOW, mask)


def _null(arg, code):
    """Allow when argument ``arg`` (a pointer: both 32-bit halves) is NULL, else fail."""
    return ([_insn(_LD_W_ABS, _arg(arg)), _insn(_JEQ_K, 0, jt=0, jf=2),
             _insn(_LD_W_ABS, _arg(arg) + 4), _insn(_JEQ_K, 0, jt=1, jf=0)]
            + _fail(code) + _ALLOW)


def _rules(machine, own_pid, confine_signals):
    """(name, body) for every call the filter looks at, on ``machine``."""
    rules = [(name, _fail(errno.EPERM)) for name in DENIED]
    rules += [
        ("socket", _only(0, [AF_UNIX], errno.EAFNOSUPPORT)),
        ("socketpair", _only(0, [AF_UNIX], errno.EAFNOSUPPORT)),
        ("clone", [_insn(_LD_W_ABS, _arg(0)),
                   _insn(_JSET_K, _NAMESPACE_FLAGS, jt=0, jf=1)]
         + _fail(errno.EPERM) + _ALLOW),
        ("clone3", _fail(errno.ENOSYS)),
        ("personality", _only(0, [_PERSONALITY_QUERY], errno.EPERM)),
        ("mknod", _never(1, [_S_IFCHR, _S_IFBLK], errno.EPERM, mask=_S_IFMT)),
        ("mknodat", _never(2, [_S_IFCHR, _S_IFBLK], errno.EPERM, mask=_S_IFMT)),
        ("sendto", _null(4, errno.EPERM)),
        ("prlimit64", _null(2, errno.EPERM)),
        ("ioctl", _never(1, [_TIOCSTI, _TIOCLINUX]
                         + ([_FIOSETOWN, _SIOCSPGRP] if confine_signals else []),
                         errno.EPERM)),
    ]
    if confine_signals:
        itself, its_group = [own_pid], [own_pid, 0, -own_pid]
        rules += [
            ("kill", _only(0, its_group, errno.EPERM)),
            ("tkill", _only(0, itself, errno.EPERM)),
            ("tgkill", _only(0, itself, errno.EPERM)),
            ("rt_sigqueueinfo", _only(0, itself, errno.EPERM)),
            ("rt_tgsigqueueinfo", _only(0, itself, errno.EPERM)),
            ("fcntl", _switch(_arg(1), [(_F_SETOWN_EX, _fail(errno.EPERM)),
                                        (_F_SETOWN, _only(2, its_group, errno.EPERM))],
                              _ALLOW)),
        ]
    column = 0 if machine == "x86_64" else 1
    return [(name, _NUMBERS[name][column], body) for name, body in rules
            if _NUMBERS[name][column] is not None]


def build(machine, own_pid, confine_signals=True):
    """The filter for ``machine`` ("x86_64" or "aarch64") as a list of
    ``(code, jt, jf, k)`` instructions, and the rules' names it covers."""
    if machine not in _AUDIT_ARCH:
        raise ValueError("no seccomp filter for the machine %r: only x86_64 and aarch64 "
                         "are supported" % (machine,))
    if type(own_pid) is not int or own_pid <= 0:
        raise ValueError("own_pid must be the child's process id (a positive int), got %r"
                         % (own_pid,))
    program = [_insn(_LD_W_ABS, _ARCH_OFFSET),
               _insn(_JEQ_K, _AUDIT_ARCH[machine], jt=1, jf=0),
               _insn(_RET_K, _RET_KILL_PROCESS),
               _insn(_LD_W_ABS, _NR_OFFSET)]
    if machine == "x86_64":
        program += [_insn(_JGE_K, _X32_SYSCALL_BIT, jt=0, jf=1),
                    _insn(_RET_K, _RET_KILL_PROCESS)]
    rules = _rules(machine, own_pid, confine_signals)
    cases = [(number, body) for _, number, body in rules]
    program += _switch(_NR_OFFSET, cases, _ALLOW)[1:]      # the number is already loaded
    if len(program) > 4096:
        raise ValueError("the filter has %d instructions, more than the kernel's 4096"
                         % len(program))
    return program, [name for name, _, _ in rules]


def machine():
    """The name this module uses for the running machine, or None if unsupported."""
    return _MACHINES.get(os.uname().machine.lower())


def _seccomp(libc, operation, flags, argument):
    return libc.syscall(ctypes.c_long(_SYS_SECCOMP[machine()]), ctypes.c_ulong(operation),
                        ctypes.c_ulong(flags), argument)


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong)
    libc.prctl.restype = ctypes.c_int
    libc.syscall.restype = ctypes.c_long
    return libc


def unsupported_reason():
    """Why no filter can be installed here, or None if one can."""
    if machine() is None:
        return ("seccomp filter not built for this machine (%s); only x86_64 and aarch64 "
                "are supported" % os.uname().machine)
    try:
        with open("/proc/self/status") as status:
            if not any(line.startswith("Seccomp:") for line in status):
                return "the kernel has no seccomp support (no Seccomp field in /proc/self/status)"
    except OSError as exc:
        return "cannot read /proc/self/status to check for seccomp: %s" % exc
    libc = _libc()
    if libc.prctl(_PR_GET_SECCOMP, 0, 0, 0, 0) < 0:
        return "prctl(PR_GET_SECCOMP) failed: %s" % os.strerror(ctypes.get_errno())
    for action, name in ((_RET_KILL_PROCESS, "SECCOMP_RET_KILL_PROCESS (Linux 4.14+)"),
                         (_RET_ERRNO, "SECCOMP_RET_ERRNO")):
        if _seccomp(libc, _SECCOMP_GET_ACTION_AVAIL, 0, ctypes.byref(ctypes.c_uint32(action))):
            return "the kernel offers no seccomp filters with %s: %s" % (
                name, os.strerror(ctypes.get_errno()))
    return None


def supported():
    """True if this machine's kernel accepts the filter this module builds."""
    return unsupported_reason() is None


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install(own_pid=None, confine_signals=True):
    """Apply the filter to this process (all its threads) and everything it starts.

    ``own_pid`` is this process's pid (read here if not given).  Sets
    no_new_privs first (the kernel requires it of an unprivileged process; it
    is harmless if already set).  Returns what is in force, e.g.
    ``{"seccomp": True, "arch": "x86_64", "own_pid": 42, "denied": [...],
    "restricted": [...], "signals_confined": True}`` (``denied``: calls that
    always fail; ``restricted``: calls that fail for some arguments), or
    ``{"seccomp": False, "reason": ...}`` where no filter can be installed.
    Raises OSError if the kernel refuses a filter it should accept.
    """
    reason = unsupported_reason()
    if reason is not None:
        return {"seccomp": False, "reason": reason}
    if own_pid is None:
        own_pid = os.getpid()
    arch = machine()
    program, names = build(arch, own_pid, confine_signals)
    code = b"".join(struct.pack("=HBBI", *insn) for insn in program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(program), ctypes.addressof(buffer))
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, "prctl(PR_SET_NO_NEW_PRIVS): %s" % os.strerror(error))
    result = _seccomp(libc, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC,
                      ctypes.byref(fprog))
    if result > 0:      # TSYNC: the id of a thread that could not take the filter
        raise OSError(errno.EBUSY, "seccomp(SECCOMP_SET_MODE_FILTER): thread %d of this "
                      "process has a filter of its own and cannot take this one" % result)
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, "seccomp(SECCOMP_SET_MODE_FILTER): %s" % os.strerror(error))
    always = set(DENIED) | {"clone3"}
    return {"seccomp": True, "arch": arch, "own_pid": own_pid,
            "denied": sorted(name for name in names if name in always),
            "restricted": sorted(name for name in names if name not in always),
            "signals_confined": bool(confine_signals)}
