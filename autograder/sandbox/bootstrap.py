"""The bootstrap: the program that turns a fresh process into the sandboxed child.

It runs as ``python -I -S -c PROGRAM`` (inside the namespaces where there are any, as
root where the grader is root), before any student code, and in this order: the mount
operations of `namespaces.mount_ops`, the resource limits, the working directory and
umask, the switch to the unprivileged uid (or, for a child that must stay root, the
loss of every capability), no_new_privs and the parent-death signal,
then each confinement layer in turn (`landlock`, `seccomp`: each module's code is
sent compiled with the function to call and its options; a layer that cannot be
applied stops the start with a message, so a child never runs with less than the
grader expects), and last it execs the child's Python with the child's program
(`child.py`) given as text.  The configuration and the layers' code reach it in a
memory file (`config_file`), marshalled, so that it compiles nothing.  Nothing here
reads a file of the kit, so the kit's folder may be unreadable to the child by every
means.

Whatever fails is written to the status pipe and the process exits with 125: the
grader reports it as "the sandbox could not start".
"""

import marshal
import os

from . import child

with open(child.__file__, encoding="utf-8") as _f:
    CHILD_SOURCE = _f.read()

_PROGRAM = r'''
import marshal, os
with os.fdopen(@CONFIG_FD@, "rb") as f:
    C = marshal.loads(f.read())
os.set_inheritable(C["status_fd"], False)
try:
    import ctypes
    import resource
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
    if C["drop_caps"]:
        # Root that stays root (nobody cannot run the interpreter) keeps no capability:
        # empty bounding set, no ambient ones, and nothing effective, permitted or inheritable,
        # so the exec below gives none back.
        import struct
        for cap in range(64):
            if libc.prctl(24, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:   # PR_CAPBSET_DROP
                check(-1, "dropping capability %d" % cap)
        libc.prctl(47, 4, 0, 0, 0)                  # PR_CAP_AMBIENT_CLEAR_ALL
        check(libc.capset(struct.pack("=Ii", 0x20080522, 0), bytes(24)), "capset")
    check(libc.prctl(38, 1, 0, 0, 0), "no_new_privs")
    check(libc.prctl(1, 9, 0, 0, 0), "pdeathsig")   # SIGKILL when the parent (thread) ends
    import types
    for name, layer in C["layers"]:
        module = types.ModuleType(name)
        exec(layer["code"], module.__dict__)
        got = getattr(module, layer["call"])(**layer["options"])
        if not got.get(layer["in_force"]):
            raise OSError("the %s layer could not be applied: %s" % (name, got))
    if os.getppid() != C["ppid"]:
        raise OSError("the parent ended during the start")
    os.execve(C["argv"][0], C["argv"], C["env"])
except BaseException as exc:
    try:
        os.write(C["status_fd"], ("%s: %s" % (type(exc).__name__, exc)).encode("utf-8", "replace")[:4000])
    finally:
        os._exit(125)
'''


def program(config_fd):
    '''The bootstrap's source; it reads its configuration from ``config_fd`` (`config_file`).'''
    return _PROGRAM.replace("@CONFIG_FD@", str(int(config_fd)))


def config_file(config):
    '''A memory file holding ``config`` (plain data and the layers' compiled code, marshalled
    for the interpreter that runs the bootstrap, the grader's own), ready to be read.'''
    fd = os.memfd_create("autograder-sandbox-config")      # close-on-exec but for the bootstrap
    data = marshal.dumps(config)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def layer_code(module):
    '''A confinement layer's module, compiled once, for the child to run.'''
    with open(module.__file__, encoding="utf-8") as f:
        return compile(f.read(), f"<sandbox {module.__name__.rpartition('.')[2]}>", "exec")


def child_argv(python, request_fd, reply_fd):
    '''The command the bootstrap execs: the child's program as text, never a kit file.'''
    return [python, "-I", "-S", "-c", CHILD_SOURCE, str(request_fd), str(reply_fd)]
