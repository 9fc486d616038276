"""Landlock: the child confines its own file access, TCP and signals, without privileges.

Landlock (Linux 5.13+) lets any process, root or not, in a container or not, give up
access rights for itself and every process it starts; nothing it does later can take
them back.  `restrict` is called in the sandboxed child before any student code runs:
from then on it may read and execute only the paths it was given to read (the
interpreter, the standard library, site-packages, the system's shared libraries), read
and write only its scratch folder, and, where the kernel can enforce it, make no TCP
connection, bind no TCP port, and signal or reach (through abstract unix sockets) no
process outside its own sandbox.  This works where namespaces cannot be made (a default
container, an ordinary user's pod) and stacks on top of them where they can.

Only the standard library is used and nothing is imported from the kit: the source of
this module is sent to the child as text and run there, at a point where the kit's
folder is (about to become) unreadable.  The published bindings do not fit that:
``landlock`` (1.0.0.dev5, alpha, files only), ``py-landlock`` (0.1.1, alpha) and
``landlockpy`` (0.2.0) are packages of several modules that would have to be imported
from site-packages before the restriction, a dependency of the grader's security on a
young project, for an interface of three system calls and four structures that this
module covers in full.

The kernel's interface (``<linux/landlock.h>``, ``Documentation/userspace-api/landlock``):
``landlock_create_ruleset`` (444), ``landlock_add_rule`` (445) and
``landlock_restrict_self`` (446); system calls added since Linux 5.1 have the same number
on every architecture but alpha (x86_64 and aarch64 included).  Each kernel offers an ABI
version, and each version handles more: 1 files, 2 REFER (rename and link across
folders), 3 TRUNCATE, 4 TCP bind and connect, 5 IOCTL_DEV, 6 scoped signals and abstract
unix sockets, 7 audit flags (not used here).  `restrict` asks for all that the running kernel
offers and reports what is in force.

What Landlock does not restrict (other layers must): reading metadata (``stat``,
``os.path.exists`` on any path), changing mode, owner or times of files the uid owns,
connecting to unix sockets by path, UDP and raw sockets, and files already open when
the restriction starts (inherited descriptors).  Before ABI 3, truncating files the uid
may write; before ABI 4, any TCP.  The restriction applies to the calling thread and
the processes and threads it starts afterwards: call `restrict` while the process has
a single thread (it checks).
"""
import ctypes
import os
import stat
import struct

SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
PR_SET_NO_NEW_PRIVS = 38

CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1

# LANDLOCK_ACCESS_FS_*
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13          # ABI 2
FS_TRUNCATE = 1 << 14       # ABI 3
FS_IOCTL_DEV = 1 << 15      # ABI 5
# LANDLOCK_ACCESS_NET_*, ABI 4
NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
# LANDLOCK_SCOPE_*, ABI 6
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

_FS_ABI1 = (1 << 13) - 1                     # EXECUTE ... MAKE_SYM
FS_ALL = _FS_ABI1 | FS_REFER | FS_TRUNCATE | FS_IOCTL_DEV

# Rights that mean something on a regular file; the others only on a folder (a rule
# giving them on a file is EINVAL).
FS_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ_RIGHTS = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR | FS_IOCTL_DEV
# Everything in the scratch folder except making device nodes: a root child could
# otherwise make a node for the disk there and read the whole filesystem through it.
WRITE_RIGHTS = FS_ALL & ~(FS_MAKE_CHAR | FS_MAKE_BLOCK)

# What a Python child needs from the system besides its interpreter and module folders
# (see `python_read_paths`).  Not /proc: neither CPython, numpy nor matplotlib reads it
# (subprocess closes descriptors with close_range), and a rule on /proc/self would hold
# only for the process that added it (it names /proc/<its pid>), not for its children.
SYSTEM_READ_PATHS = (
    "/lib", "/lib64", "/usr/lib", "/usr/lib64",   # libc, libm, libffi, libz, libstdc++ ...
    "/etc/ld.so.cache",                           # where the dynamic loader finds them
    "/etc/localtime",                             # time.localtime as the grader's
    "/dev/null", "/dev/zero", "/dev/urandom",
    "/sys/devices/system/cpu",                    # CPU count (glibc's sysconf, OpenBLAS)
)

_LIBC = []


def _libc():
    if not _LIBC:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        _LIBC.append(libc)
    return _LIBC[0]


def _syscall(number, *args):
    """``syscall(number, *args)`` returning the result, or raising OSError with errno."""
    result = _libc().syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def abi_version():
    """The Landlock ABI version the running kernel offers; 0 when it offers none.

    0 covers a kernel without Landlock (ENOSYS), one where it is built but not enabled at
    boot (EOPNOTSUPP), a seccomp filter refusing the call (EPERM), and a system that is
    not Linux.  Never raises.
    """
    if os.uname().sysname != "Linux":
        return 0
    try:
        return _syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0


def _paths(paths, name):
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(f"restrict: {name} must be a list of paths, not one path: {paths!r}")
    return [os.fsdecode(p) for p in paths]


def handled_fs(abi):
    """The file access rights ABI ``abi`` can handle (deny unless a rule allows)."""
    if abi >= 5:
        return FS_ALL
    if abi >= 3:
        return FS_ALL & ~FS_IOCTL_DEV
    if abi == 2:
        return _FS_ABI1 | FS_REFER
    return _FS_ABI1


def _thread_count():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1            # no /proc to tell; a child that has not started threads has one


def _add_path_rule(ruleset_fd, path, rights):
    """Allow ``rights`` beneath ``path`` (only the file rights if it is not a folder).

    A path that does not exist is skipped, so that one list serves machines laid out
    differently (/lib64 or not, a venv or not); so is one that this process may not
    reach (a folder under /root for a child that runs as nobody): it has no use for it.
    """
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return
    except OSError as exc:
        raise OSError(exc.errno, f"landlock: cannot open {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FS_FILE_RIGHTS
        attr = struct.pack("=Qi", rights, fd)       # struct landlock_path_beneath_attr (packed)
        _syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset_fd),
                 ctypes.c_int(RULE_PATH_BENEATH), attr, ctypes.c_uint32(0))
    except OSError as exc:
        raise OSError(exc.errno, f"landlock_add_rule({path}): {exc.strerror}") from None
    finally:
        os.close(fd)


def restrict(read_paths, write_paths, *, network=False, scoped=True):
    """Confine this process and all it starts from now on; return what is in force.

    It may read and execute only beneath ``read_paths``, and read, write, create, rename,
    remove and truncate only beneath ``write_paths`` (files or folders; paths that do not
    exist or that this process may not reach are skipped); everything else is denied.
    With ABI 4+, TCP bind and connect are denied unless ``network``; with ABI 6+ and
    ``scoped``, signals and abstract unix sockets reach only processes inside this
    restriction.  Sets no_new_privs first (which
    Landlock requires of a process without CAP_SYS_ADMIN).

    Returns ``{"abi": n, "filesystem": bool, "truncate": bool, "tcp": bool,
    "scoped": bool}``: each true when that restriction is enforced by the kernel.  Without
    Landlock (ABI 0) it restricts nothing and says so, without raising.  When Landlock is
    there but a call fails, raises OSError naming the call (and the path); the process is
    then not restricted.
    """
    read_paths = _paths(read_paths, "read_paths")
    write_paths = _paths(write_paths, "write_paths")
    threads = _thread_count()
    if threads > 1:
        raise RuntimeError(f"restrict: this process has {threads} threads; Landlock would "
                           f"confine only the calling one, so call restrict before any "
                           f"thread starts")
    if _libc().prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0),
                     ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(code)}")
    abi = abi_version()
    if abi < 1:
        return {"abi": 0, "filesystem": False, "truncate": False, "tcp": False, "scoped": False}
    fs = handled_fs(abi)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 and not network else 0
    scope = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 and scoped else 0
    # struct landlock_ruleset_attr; a kernel older than a field accepts it as long as it is 0.
    attr = struct.pack("=QQQ", fs, net, scope)
    try:
        ruleset = _syscall(SYS_LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)),
                           ctypes.c_uint32(0))
    except OSError as exc:
        raise OSError(exc.errno, f"landlock_create_ruleset(ABI {abi}): {exc.strerror}") from None
    try:
        for path in read_paths:
            _add_path_rule(ruleset, path, READ_RIGHTS & fs)
        for path in write_paths:
            _add_path_rule(ruleset, path, WRITE_RIGHTS & fs)
        try:
            _syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
        except OSError as exc:
            raise OSError(exc.errno, f"landlock_restrict_self: {exc.strerror}") from None
    finally:
        os.close(ruleset)
    return {"abi": abi, "filesystem": True, "truncate": abi >= 3, "tcp": bool(net),
            "scoped": bool(scope)}


def python_read_paths(executable, prefixes, module_dirs):
    """What a ``python -I -S`` child must be able to read to start and import its modules.

    ``executable`` the interpreter binary the child runs, ``prefixes`` its
    ``sys.base_prefix`` and ``sys.base_exec_prefix`` (for the shared ``libpython`` in
    ``PREFIX/lib``), ``module_dirs`` the child's ``sys.path`` (the standard library,
    lib-dynload, the site-packages folders); then `SYSTEM_READ_PATHS`.  Real paths, those
    that exist, none beneath another, in that order.
    """
    paths = [executable]
    for prefix in prefixes:
        libdir = os.path.join(prefix, "lib")
        try:
            names = sorted(os.listdir(libdir))
        except OSError:
            continue
        paths += [os.path.join(libdir, name) for name in names if name.startswith("libpython")]
    paths += list(module_dirs) + list(SYSTEM_READ_PATHS)
    real = []
    for path in paths:
        path = os.path.realpath(path)
        if os.path.exists(path) and path not in real:
            real.append(path)
    return [p for p in real
            if not any(o != p and p.startswith(o.rstrip("/") + "/") for o in real)]
