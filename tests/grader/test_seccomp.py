"""The seccomp layer: every rule checked from a real child that installed the filter.

Each child is a fresh ``python -I -S -c`` process, its own session leader as in
the sandbox, running the source text of `autograder.sandbox.seccomp` followed by a
small script (as the sandbox will run it: the kit is not on its path), and
prints its findings as JSON.  Calls that the machine itself might refuse are
also made in a control child without the filter, so that a refusal is known to
come from the filter.  Tests skip with the reason where the machine or the
kernel cannot take a filter.
"""
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile

import pytest

from autograder.sandbox import seccomp
from autograder.sandbox import child_sys_path

MODULE_SOURCE = open(seccomp.__file__, encoding="utf-8").read()
INTERPRETER = os.path.realpath(sys.executable)
UNSUPPORTED = seccomp.unsupported_reason()
needs_seccomp = pytest.mark.skipif(UNSUPPORTED is not None, reason=str(UNSUPPORTED))

PRELUDE = '''
import ctypes, errno, json, os, socket, sys
_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.syscall.restype = ctypes.c_long
R = {}

def outcome(call, *args, **kwargs):
    """'ok' or the name of the errno the call failed with."""
    try:
        call(*args, **kwargs)
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    return "ok"

def raw(name, *args):
    """A system call by name, straight to the kernel: 'ok' or the errno's name."""
    number = _NUMBERS[name][0 if machine() == "x86_64" else 1]
    result = _LIBC.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    if result == -1:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return "ok"
'''


def run_child(script, install="install()", timeout=120):
    """Run ``script`` in a fresh child, in a fresh folder of its own, after
    ``install`` (Python source, or None for no filter); return the process and the
    dict ``R`` it printed as its last line (None if it failed)."""
    source = "\n".join([f"import sys\nsys.path[:] = {child_sys_path()!r}", MODULE_SOURCE, PRELUDE,
                        f"R['installed'] = {install}" if install else "", script,
                        "print(json.dumps(R))"])
    with tempfile.TemporaryDirectory() as folder:
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": os.path.join(folder, "mpl"), "HOME": folder, "TMPDIR": folder,
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        proc = subprocess.run([INTERPRETER, "-I", "-S", "-c", source], capture_output=True,
                              text=True, env=env, cwd=folder, timeout=timeout,
                              start_new_session=True)
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    return proc, result


def results(script, install="install()"):
    proc, result = run_child(script, install)
    assert result is not None, (f"the child failed (exit {proc.returncode}):\n"
                                f"{proc.stderr[-3000:]}\nscript:\n{script}")
    if install:
        assert result["installed"]["seccomp"] is True, result["installed"]
    return result


# --- calls that must fail -------------------------------------------------------------

FORBIDDEN = '''
R["ptrace"] = raw("ptrace", 0, 0, 0, 0)                  # PTRACE_TRACEME
R["process_vm_readv"] = raw("process_vm_readv", os.getpid(), 0, 0, 0, 0, 0)
R["process_vm_writev"] = raw("process_vm_writev", os.getpid(), 0, 0, 0, 0, 0)
R["unshare(0)"] = raw("unshare", 0)
R["keyctl"] = raw("keyctl", 0, -3, 0)                    # KEYCTL_GET_KEYRING_ID, session
R["perf_event_open"] = raw("perf_event_open", 0, 0, -1, -1, 0)
R["io_uring_setup"] = raw("io_uring_setup", 1, 0)
R["kcmp"] = raw("kcmp", os.getpid(), os.getpid(), 0, 0, 0)   # KCMP_FILE of fd 0 with itself
R["pidfd_open"] = raw("pidfd_open", os.getpid(), 0)
R["personality(ADDR_NO_RANDOMIZE)"] = raw("personality", 0x0040000)
R["mount"] = raw("mount", 0, 0, 0, 0, 0)
R["umount2"] = raw("umount2", 0, 0)
R["bpf"] = raw("bpf", 5, 0, 0)                           # BPF_PROG_LOAD with no attributes
R["setns"] = raw("setns", -1, 0)
R["chroot"] = raw("chroot", 0)
R["sethostname"] = raw("sethostname", 0, 0)
'''
FORBIDDEN_NAMES = [line.split('"')[1] for line in FORBIDDEN.splitlines() if line.startswith("R[")]


@pytest.fixture(scope="module")
def forbidden_calls():
    """(with the filter, without it) for every call of FORBIDDEN."""
    return results(FORBIDDEN), results(FORBIDDEN, install=None)


@needs_seccomp
@pytest.mark.parametrize("call", FORBIDDEN_NAMES)
def test_forbidden_call_fails_with_eperm_and_only_because_of_the_filter(forbidden_calls, call):
    filtered, control = forbidden_calls
    assert filtered[call] == "EPERM", (f"{call} with the filter: got {filtered[call]}, "
                                       f"expected EPERM")
    if control[call] == "EPERM":
        pytest.skip(f"{call} fails with EPERM here without the filter too (a privilege or a "
                    f"policy of the machine), so this cannot tell that the filter refused it")


@needs_seccomp
def test_namespace_calls_fail_with_eperm():
    r = results('''
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
R["unshare(CLONE_NEWUSER)"] = raw("unshare", CLONE_NEWUSER)
R["unshare(CLONE_NEWNET)"] = raw("unshare", 0x40000000)
R["clone(CLONE_NEWUSER)"] = raw("clone", CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)
if R["clone(CLONE_NEWUSER)"] == "ok" and os.getpid() != R["installed"]["own_pid"]:
    os._exit(0)                                          # the clone's child, if the filter failed
R["clone3"] = raw("clone3", 0, 0)
pid = os.fork()
if pid == 0:
    os._exit(7)
R["fork"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
''')
    expected = {"unshare(CLONE_NEWUSER)": "EPERM", "unshare(CLONE_NEWNET)": "EPERM",
                "clone(CLONE_NEWUSER)": "EPERM", "clone3": "ENOSYS", "fork": 7}
    assert {k: r[k] for k in expected} == expected


@needs_seccomp
@pytest.mark.parametrize("family,name", [(socket.AF_INET, "AF_INET"), (socket.AF_INET6, "AF_INET6"),
                                         (16, "AF_NETLINK"), (17, "AF_PACKET"),
                                         (40, "AF_VSOCK"), (38, "AF_ALG")])
def test_socket_of_another_family_than_unix_fails_with_eafnosupport(family, name):
    r = results(f'''
R["socket"] = outcome(socket.socket, {family}, socket.SOCK_DGRAM if {family} != 17 else 3)
R["socketpair"] = raw("socketpair", {family}, socket.SOCK_STREAM, 0, 0)
R["socket, family in the upper half too"] = raw("socket", {family} | (1 << 32),
                                                socket.SOCK_STREAM, 0)
''')
    for call in ("socket", "socketpair", "socket, family in the upper half too"):
        assert r[call] == "EAFNOSUPPORT", f"{call}({name}): got {r[call]}, expected EAFNOSUPPORT"


@needs_seccomp
def test_a_socketpair_works_and_a_unix_socket_by_address_does_not():
    r = results('''
a, b = socket.socketpair()
a.sendall(b"ping")
R["socketpair"] = b.recv(4).decode()
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
R["bind"] = outcome(server.bind, "sock")
R["listen"] = outcome(server.listen, 1)
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
R["connect"] = outcome(client.connect, "\\0abstract")
''')
    assert r == {"installed": r["installed"], "socketpair": "ping", "bind": "EPERM",
                 "listen": "EPERM", "connect": "EPERM"}, r


@needs_seccomp
def test_tcp_connection_to_a_local_listener_fails():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        r = results(f'''
R["connect"] = outcome(socket.create_connection, ("127.0.0.1", {port}), 5)
''')
        control = results(f'''
R["connect"] = outcome(socket.create_connection, ("127.0.0.1", {port}), 5)
''', install=None)
        listener.settimeout(0.5)
        conn, _ = listener.accept()                   # the control's connection
        conn.close()
        with pytest.raises(socket.timeout):
            listener.accept()                         # and none from the filtered child
    assert (r["connect"], control["connect"]) == ("EAFNOSUPPORT", "ok")


@needs_seccomp
def test_device_nodes_and_terminal_injection_fail_but_fifos_and_files_work():
    script = '''
import fcntl, stat
R["mknod char"] = outcome(os.mknod, "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
R["mknod block"] = outcome(os.mknod, "disk", stat.S_IFBLK | 0o600, os.makedev(7, 0))
R["mkfifo"] = outcome(os.mkfifo, "fifo")
R["mknod file"] = outcome(os.mknod, "file", stat.S_IFREG | 0o600)
fd = os.open("/dev/null", os.O_RDONLY)
R["TIOCSTI"] = outcome(fcntl.ioctl, fd, 0x5412, b"x")
R["FIONREAD"] = outcome(fcntl.ioctl, fd, 0x541B, b"\\0" * 4)
R["personality query"] = raw("personality", 0xFFFFFFFF)
'''
    r = results(script)
    expected = {"mknod char": "EPERM", "mknod block": "EPERM", "mkfifo": "ok", "mknod file": "ok",
                "TIOCSTI": "EPERM", "FIONREAD": "ENOTTY", "personality query": "ok"}
    assert {k: r[k] for k in expected} == expected
    control = results(script, install=None)
    assert (control["TIOCSTI"], control["mknod char"] != "EPERM") == ("ENOTTY", True), control


# --- calls of another ABI -------------------------------------------------------------

@needs_seccomp
@pytest.mark.skipif(seccomp.machine() != "x86_64", reason="x32 exists only on x86_64")
def test_x32_syscall_kills_the_process():
    script = 'R["x32 getpid"] = _LIBC.syscall(0x40000000 | 39)'
    proc, _ = run_child(script)
    assert proc.returncode == -signal.SIGSYS, (proc.returncode, proc.stderr[-2000:])
    control, _ = run_child(script, install=None)
    assert control.returncode == 0, control.stderr[-2000:]


I386_GETPID = '''
import mmap
code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])      # mov eax, 20 (i386 getpid); int 0x80; ret
page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(code)
address = ctypes.addressof(ctypes.c_char.from_buffer(page))
R["i386 getpid"] = ctypes.CFUNCTYPE(ctypes.c_int)(address)()
'''


@needs_seccomp
@pytest.mark.skipif(seccomp.machine() != "x86_64", reason="int 0x80 exists only on x86")
def test_i386_syscall_kills_the_process():
    control, r = run_child(I386_GETPID, install=None)
    if control.returncode != 0 or r["i386 getpid"] <= 0:
        pytest.skip(f"this kernel runs no i386 system calls (exit {control.returncode}, {r})")
    proc, _ = run_child(I386_GETPID)
    assert proc.returncode == -signal.SIGSYS, (proc.returncode, proc.stderr[-2000:])


# --- signals --------------------------------------------------------------------------

@needs_seccomp
def test_signals_reach_the_child_and_its_group_but_not_its_parent():
    r = results('''
import signal, threading
got = []
signal.signal(signal.SIGUSR1, lambda *a: got.append("usr1"))
R["kill parent"] = outcome(os.kill, os.getppid(), 0)
R["kill -1"] = outcome(os.kill, -1, 0)
R["kill init"] = outcome(os.kill, 1, 0)
R["kill self"] = outcome(os.kill, os.getpid(), signal.SIGUSR1)
R["killpg own"] = outcome(os.killpg, os.getpid(), 0)
R["kill group 0"] = outcome(os.kill, 0, 0)
R["raise_signal"] = outcome(signal.raise_signal, signal.SIGUSR1)
R["pthread_kill"] = outcome(signal.pthread_kill, threading.get_ident(), 0)
R["tgkill parent"] = raw("tgkill", os.getppid(), os.getppid(), 0)
R["rt_sigqueueinfo parent"] = raw("rt_sigqueueinfo", os.getppid(), 0, 0)
R["pidfd_send_signal"] = raw("pidfd_send_signal", 0, 0, 0, 0)
R["delivered"] = got
import fcntl
r, w = os.pipe()
R["F_SETOWN parent"] = outcome(fcntl.fcntl, r, fcntl.F_SETOWN, os.getppid())
R["F_SETOWN self"] = outcome(fcntl.fcntl, r, fcntl.F_SETOWN, os.getpid())
''')
    expected = {"kill parent": "EPERM", "kill -1": "EPERM", "kill init": "EPERM",
                "kill self": "ok", "killpg own": "ok", "kill group 0": "ok", "raise_signal": "ok",
                "pthread_kill": "ok", "tgkill parent": "EPERM", "rt_sigqueueinfo parent": "EPERM",
                "pidfd_send_signal": "EPERM", "delivered": ["usr1", "usr1"],
                "F_SETOWN parent": "EPERM", "F_SETOWN self": "ok"}
    assert {k: r[k] for k in expected} == expected


SUBPROCESS_SIGNALS = '''
import subprocess, time
p = subprocess.Popen([sys.executable, "-I", "-S", "-c", "import time; time.sleep(60)"])
R["kill own subprocess"] = outcome(p.kill)
import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)           # the child itself survives its group's kill
os.killpg(0, signal.SIGTERM)
R["subprocess ended by the group signal"] = p.wait(timeout=30) == -signal.SIGTERM
'''


@needs_seccomp
def test_a_subprocess_can_be_signalled_only_through_the_group():
    r = results(SUBPROCESS_SIGNALS)
    assert (r["kill own subprocess"], r["subprocess ended by the group signal"]) == ("EPERM", True)


@needs_seccomp
def test_without_signal_confinement_a_subprocess_can_be_killed():
    r = results(SUBPROCESS_SIGNALS, install="install(confine_signals=False)")
    assert r["installed"]["signals_confined"] is False
    assert r["kill own subprocess"] == "ok", r


@needs_seccomp
def test_a_subprocess_cannot_leave_the_group_nor_signal_outside_it():
    r = results('''
import subprocess
probe = "import os, socket, json; r = {}\\n" + """
for name, call in [("setsid", os.setsid), ("setpgid", lambda: os.setpgid(0, 0)),
                   ("kill grandparent", lambda: os.kill(%d, 0)),
                   ("kill child", lambda: os.kill(%d, 0)),
                   ("kill itself", lambda: os.kill(os.getpid(), 0)),
                   ("socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))]:
    try:
        call()
        r[name] = "ok"
    except OSError as exc:
        r[name] = exc.errno
print(json.dumps(r))
""" % (os.getppid(), os.getpid())
out = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True)
R["grandchild"] = json.loads(out.stdout)
R["new session"] = outcome(subprocess.run, [sys.executable, "-c", "pass"],
                           start_new_session=True)
''')
    expected = {"setsid": errno.EPERM, "setpgid": errno.EPERM, "kill grandparent": errno.EPERM,
                "kill child": "ok", "kill itself": errno.EPERM, "socket": errno.EAFNOSUPPORT}
    assert r["grandchild"] == expected
    assert r["new session"] == "EPERM"


@needs_seccomp
def test_a_thread_started_before_the_filter_is_covered_too():
    r = results('''
import threading
go, done = threading.Event(), []
def later():
    go.wait()
    done.append(outcome(socket.socket))
thread = threading.Thread(target=later)
thread.start()
R["later install"] = install()["seccomp"]
go.set()
thread.join()
R["socket in the earlier thread"] = done[0]
''', install=None)
    assert r["later install"] is True and r["socket in the earlier thread"] == "EAFNOSUPPORT", r


# --- what a submission legitimately does ---------------------------------------------

@needs_seccomp
def test_numpy_matplotlib_threads_subprocesses_and_pools_work():
    r = results('''
import numpy as np
a = np.arange(6.0).reshape(2, 3)
R["matmul"] = (a @ a.T).tolist()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.plot([0, 1], [1, 0])
plt.savefig("plot.png")
with open("plot.png", "rb") as f:
    R["png"] = f.read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
import subprocess
R["subprocess"] = subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True,
                                 text=True).stdout
import threading
box = []
threads = [threading.Thread(target=lambda i=i: box.append(i * i)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
R["threads"] = sorted(box)
import multiprocessing
def square(x):
    return x * x
pool = multiprocessing.get_context("fork").Pool(2)
R["pool"] = pool.map(square, range(5))
pool.close()
pool.join()
p = multiprocessing.get_context("spawn").Process(target=print, args=("spawned",))
p.start(); p.join()
R["spawn exit"] = p.exitcode
''')
    expected = {"matmul": [[5.0, 14.0], [14.0, 50.0]], "png": True, "subprocess": "1\n",
                "threads": [0, 1, 4, 9], "pool": [0, 1, 4, 9, 16], "spawn exit": 0}
    assert {k: r[k] for k in expected} == expected


@needs_seccomp
def test_status_shows_the_filter_and_it_cannot_be_lifted():
    r = results('''
with open("/proc/self/status") as f:
    R["status"] = [line.split()[1] for line in f if line.startswith("Seccomp:")]
R["second install"] = install()["seccomp"]
R["socket"] = outcome(socket.socket)
''')
    assert r["status"] == ["2"] and r["second install"] is True and r["socket"] == "EAFNOSUPPORT"


# --- the program itself, without a child ----------------------------------------------

def _run_bpf(program, data):
    """A classic-BPF interpreter for the instructions `seccomp.build` uses."""
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:
            acc = int.from_bytes(data[k:k + 4], "little")
        elif code == 0x54:
            acc &= k
        elif code in (0x15, 0x35, 0x45):
            hit = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += jt if hit else jf
        elif code == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected BPF code {code:#x}")
        pc += 1


def _data(arch, nr, *args):
    args = list(args) + [0] * (6 - len(args))
    return (nr.to_bytes(4, "little", signed=True) + arch.to_bytes(4, "little")
            + bytes(8) + b"".join((a & (2**64 - 1)).to_bytes(8, "little") for a in args))


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_program_decisions_on_each_supported_machine(machine):
    program, names = seccomp.build(machine, 4242)
    arch = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}[machine]
    n = {name: seccomp._NUMBERS[name][0 if machine == "x86_64" else 1] for name in names}
    allow, kill = 0x7FFF0000, 0x80000000

    def fail(code):
        return 0x00050000 | code

    cases = [
        (arch, n["socket"], (1, 1, 0), allow), (arch, n["socket"], (2, 1, 0), fail(97)),
        (arch, n["socketpair"], (10, 1, 0), fail(97)), (arch, n["ptrace"], (0,), fail(1)),
        (arch, n["kill"], (4242, 9), allow), (arch, n["kill"], (-4242, 9), allow),
        (arch, n["kill"], (0, 9), allow), (arch, n["kill"], (4241, 9), fail(1)),
        (arch, n["kill"], (-1, 9), fail(1)), (arch, n["tgkill"], (4242, 4250, 9), allow),
        (arch, n["tgkill"], (1, 1, 9), fail(1)), (arch, n["clone"], (0x11 | 0x01000000,), allow),
        (arch, n["clone"], (0x10000011,), fail(1)), (arch, n["clone3"], (0, 88), fail(38)),
        (arch, n["mknodat"], (-100, 0, 0o020600, 0), fail(1)),
        (arch, n["mknodat"], (-100, 0, 0o010600, 0), allow),
        (arch, n["fcntl"], (3, 8, 4242), allow), (arch, n["fcntl"], (3, 8, 1), fail(1)),
        (arch, n["fcntl"], (3, 15, 0), fail(1)), (arch, n["fcntl"], (3, 1, 0), allow),
        (arch, 0 if machine == "x86_64" else 63, (0, 0, 0), allow),        # read
        (0x40000003, n["socket"], (1,), kill),                            # i386
        (0xC00000B7 if machine == "x86_64" else 0xC000003E, 0, (), kill),
    ]
    if machine == "x86_64":
        cases.append((arch, 0x40000000 | 41, (1,), kill))                 # x32 socket
    for arch_value, nr, args, expected in cases:
        got = _run_bpf(program, _data(arch_value, nr, *args))
        assert got == expected, (f"{machine}: arch {arch_value:#x} nr {nr} args {args}: "
                                 f"got {got:#x}, expected {expected:#x}")


def test_program_refuses_a_machine_or_pid_it_cannot_serve():
    with pytest.raises(ValueError, match="riscv64.*only x86_64 and aarch64"):
        seccomp.build("riscv64", 4242)
    with pytest.raises(ValueError, match="own_pid must be"):
        seccomp.build("x86_64", 0)


def test_install_on_an_unsupported_machine_says_so_without_raising(monkeypatch):
    real = os.uname()
    monkeypatch.setattr(seccomp.os, "uname", lambda: os.uname_result(
        (real.sysname, real.nodename, real.release, real.version, "riscv64")))
    assert not seccomp.supported()
    described = seccomp.install()
    assert described["seccomp"] is False and "riscv64" in described["reason"], described


def _header_numbers(path):
    numbers = {}
    with open(path) as header:
        for line in header:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "#define" and parts[2].isdigit():
                for prefix in ("__NR_", "__NR3264_"):      # __NR3264_: 64-bit-only names
                    if parts[1].startswith(prefix):
                        numbers[parts[1][len(prefix):]] = int(parts[2])
    return numbers


@pytest.mark.parametrize("column,header", [
    (0, "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    (1, "/usr/include/asm-generic/unistd.h")])
def test_syscall_numbers_match_the_kernel_headers(column, header):
    if not os.path.exists(header):
        pytest.skip(f"no kernel headers at {header} (Debian's linux-libc-dev)")
    known = _header_numbers(header)
    newest = max(n for n in known.values() if n is not None)
    # A call newer than these headers (fchmodat2, setxattrat ...) has a number past their last.
    wrong = {name: (numbers[column], known.get(name))
             for name, numbers in seccomp._NUMBERS.items() if numbers[column] != known.get(name)
             and not (name not in known and numbers[column] is not None and numbers[column] > newest)}
    assert not wrong, f"name: (table, header) where they differ: {wrong}"


# --- metadata, sockets by address, limits ---------------------------------------------------

METADATA_AND_ADDRESSES = '''
import resource, stat
with open("mine.txt", "w") as f:
    f.write("x")
R["chmod"] = outcome(os.chmod, "mine.txt", 0o777)
R["chown"] = outcome(os.chown, "mine.txt", os.getuid(), os.getgid())
R["utime"] = outcome(os.utime, "mine.txt", (1, 1))
R["setxattr"] = outcome(os.setxattr, "mine.txt", "user.sandbox", b"1")
R["mode"] = oct(stat.S_IMODE(os.stat("mine.txt").st_mode))
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
R["bind"] = outcome(server.bind, os.path.abspath("server.sock"))
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
R["connect"] = outcome(client.connect, "@SOCKET@")
datagram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
R["sendto with an address"] = outcome(datagram.sendto, b"x", "@SOCKET@")
a, b = socket.socketpair()
R["socketpair send"] = outcome(a.send, b"hello")
R["socketpair received"] = b.recv(10).decode()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
try:                    # Python reports the kernel's EPERM here as a ValueError
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 1, hard))
    R["lower a limit"] = "ok"
except ValueError:
    R["lower a limit"] = "EPERM"
R["getrlimit"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
'''


@needs_seccomp
def test_metadata_sockets_by_address_and_limits(tmp_path):
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = str(tmp_path / "grader.sock")
    listening.bind(path)
    listening.listen()
    os.chmod(path, 0o777)
    script = METADATA_AND_ADDRESSES.replace("@SOCKET@", path)
    try:
        filtered, control = results(script), results(script, install=None)
    finally:
        listening.close()
    for call in ("chmod", "chown", "utime", "setxattr", "bind", "connect",
                 "sendto with an address", "lower a limit"):
        assert filtered[call] == "EPERM", (call, filtered[call], control[call])
    assert filtered["mode"] != "0o777" and control["mode"] == "0o777"
    assert control["chmod"] == control["connect"] == control["bind"] == "ok", control
    assert control["lower a limit"] == "ok", control
    assert filtered["socketpair send"] == "ok" and filtered["socketpair received"] == "hello"
    assert filtered["getrlimit"] == control["getrlimit"] + 1 > 1     # read, and never lowered
