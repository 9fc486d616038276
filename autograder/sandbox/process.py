"""One sandboxed child process: how it is started, spoken to, and ended.

`Child` starts the bootstrap (`bootstrap.program`) with the layers the machine's
`levels.Isolation` names, then speaks the child's wire format (`child.py`, replies
checked by `wire.parse_reply`) over two pipes.  Every wait is bounded: writes and reads
poll with the time left, a pidfd tells at once when the child exits, and `Child.kill`
SIGKILLs the whole process tree (the PID namespace's init where there is one, the
process group, and without namespaces every process carrying the sandbox's random
marker in its environment) and reaps it within a grace period.
"""
import json
import os
import resource
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from ..errors import GraderError
from .bootstrap import child_argv, config_file, program
from .layers import layers
from .limits import rlimits
from .namespaces import NAMESPACE_CWD, mount_ops, scratch_dirs, unshare_argv
from .paths import interpreter
from .wire import parse_reply

ENV_MARKER = "AUTOGRADER_SANDBOX_TOKEN"
MAX_FOREIGN_LINES = 1000

class Expired(Exception):
    pass


class Ended(Exception):
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


class Child:
    """One running child: its process, pipes and temporary folder."""

    def __init__(self, iso, limits, hide):
        self.limits = limits
        self.iso = iso
        self.token = secrets.token_hex(16)
        if iso.namespaces and "/tmp" in scratch_dirs():
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
        config_fd = None
        try:
            for fd in (self.req_w, self.rep_r, self.status_r):
                os.set_blocking(fd, False)
            if iso.uid is not None and self.tmpdir is not None:
                os.chown(self.tmpdir, iso.uid, iso.gid)
            python = interpreter()
            env = {"PATH": "/usr/bin:/bin", "HOME": self.cwd, "TMPDIR": self.cwd,
                   "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg",
                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                   "PYTHONHASHSEED": "random", ENV_MARKER: self.token}
            ops = mount_ops(hide, self.cwd, iso.uid, iso.gid, limits.scratch_bytes) \
                if iso.namespaces else []
            # The wrapper's parent: unshare, outside the PID namespace (so it sees 0), or us.
            ppid = 0 if iso.namespaces else os.getpid()
            config = {"status_fd": status_w, "ops": ops, "rlimits": rlimits(limits, iso.uid),
                      "cwd": self.cwd, "uid": iso.uid, "gid": iso.gid, "ppid": ppid,
                      "drop_caps": iso.nocaps,
                      "layers": layers(iso, self.cwd, hide),
                      "argv": child_argv(python, req_r, rep_w), "env": env}
            config_fd = config_file(config)
            argv = [python, "-I", "-S", "-c", program(config_fd)]
            if iso.namespaces:
                argv = unshare_argv(iso, argv)
            with _CORE_LOCK:        # no core file from unshare if the child dies of a signal
                core = resource.getrlimit(resource.RLIMIT_CORE)
                if core[0] != 0:
                    resource.setrlimit(resource.RLIMIT_CORE, (0, core[1]))
                try:
                    self.proc = subprocess.Popen(
                        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL, cwd=self.tmpdir or "/", env=env, close_fds=True,
                        pass_fds=(req_r, rep_w, status_w, config_fd), start_new_session=True)
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
            remove_tree(self.tmpdir)
            raise
        finally:
            for fd in (req_r, rep_w, status_w, config_fd):
                if fd is not None:
                    os.close(fd)

    # -- talking

    def ask(self, request, seconds, on_progress=None):
        """Send ``request``, return its reply dict; raise Expired or Ended."""
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
        """Wait until ``fd`` is ready; raise Expired at the deadline, Ended if the child exits."""
        poller = select.poll()
        poller.register(fd, event)
        if self.pidfd is not None:
            poller.register(self.pidfd, select.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Expired()
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
                    message = parse_reply(line, request_id, setup)
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
            message = parse_reply(line, request_id, setup)
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
            return Ended(f"the sandbox could not start: {status_text.decode('utf-8', 'replace')}",
                          "grader")
        if what is None and not exited:
            what = "closed its connection to the grader (the reply pipe) and kept running"
        if what is not None:
            return Ended(f"your code {what}")
        return Ended(*self._cause())

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
        remove_tree(self.tmpdir)


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


def remove_tree(path):
    def fix(function, failed, _):
        try:
            os.chmod(os.path.dirname(failed), 0o700)
            os.chmod(failed, 0o700)
            function(failed)
        except OSError:
            pass
    if path and os.path.lexists(path):
        shutil.rmtree(path, onerror=fix)

