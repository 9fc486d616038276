"""The sandbox: student code in a locked-down child process, the grader never blocked.

Every test builds a `SandboxedStudent` from small hand-written cells.  Tests
that need a facility the machine may lack (namespaces, an unprivileged uid)
skip with the reason; the rest run in the detected isolation, and the core
behaviours also in the degraded "plain" mode (no namespaces).
"""
import gc
import math
import os
import random
import socket
import subprocess
import sys
import time

import pytest

from autograder import sandbox
from autograder.sandbox import levels, namespaces, paths, process
from autograder.sandbox.child import Opaque
from autograder.errors import (GraderError, MissingName, NotImplementedYet, StudentCrashed,
                               StudentError, StudentException, StudentMemoryError, StudentTimeout,
                               WrongType)
from autograder.sandbox import Limits, SandboxedStudent
from autograder.student import InProcessStudent

FAST = Limits(call_seconds=1.5, setup_seconds=2.5, total_seconds=60, cpu_seconds=20, max_restarts=3)
SLACK = 3.0          # generous: the machine may be busy with other test runs

ISO = sandbox.isolation()
needs_namespaces = pytest.mark.skipif(not ISO.namespaces, reason=f"no namespaces here: {ISO.missing}")
needs_uid = pytest.mark.skipif(ISO.uid is None, reason="the child cannot switch to an unprivileged uid here")


@pytest.fixture(scope="module")
def plain():
    """The degraded mode (no namespaces), as used where unshare is not allowed."""
    return sandbox.detect("plain")


@pytest.fixture(params=["detected", "plain"])
def mode(request, plain):
    return ISO if request.param == "detected" else plain


def cells(*sources):
    return [{"name": f"c{i}", "source": source, "student": True} for i, source in enumerate(sources)]


@pytest.fixture
def make():
    made = []

    def factory(*sources, limits=FAST, **kwargs):
        student = SandboxedStudent(cells(*sources), limits, **kwargs)
        made.append(student)
        return student

    yield factory
    for student in made:
        student.close()


def processes_with(marker):
    """Pids of live processes whose command line holds ``marker``."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


def new_marker():
    # A number, so that `sleep 60 <marker>` is valid: GNU sleep adds its arguments.
    return f"0.{random.randrange(10**11, 10**12)}"


BASICS = '''
import math

def add(x, y):
    return x + y

def describe(values):
    return {"n": len(values), "sum": sum(values), "pair": (values[0], values[-1]),
            "set": set(values), "nested": [[1, 2.5], ("a", None, True)], "nan": math.nan}

def todo(x):
    raise NotImplementedError

class Counter:
    def __init__(self):
        self.value = 0
    def inc(self, by=1):
        self.value += by
        return self

class F(float):
    pass

def subclass():
    return F(1.5)

def nan():
    return float("nan")

def boom(x):
    return helper(x)

def helper(x):
    raise ValueError("bad input " + str(x))
'''


def probe_counter(ns, n):
    counter = ns["Counter"]()
    for i in range(n):
        counter.inc(i)
    return counter.value, type(counter).__name__


def probe_boom(ns, x):
    return ns["boom"](x)


def probe_missing(ns):
    return ns["not_there"]()


# ---- normal operation -----------------------------------------------------------------

def test_calls_and_probes_match_in_process(mode):
    reference = InProcessStudent.from_cells(cells(BASICS))
    with SandboxedStudent(cells(BASICS), FAST, isolation=mode) as student:
        for name, args in [("add", (1, 2)), ("add", (0.1, 0.2)), ("add", ("a", "b")),
                           ("add", ([1], [2, 3])), ("describe", ([1, 2, 3],))]:
            got, want = student.call(name, *args), reference.call(name, *args)
            assert repr(got) == repr(want)
        assert student.probe(probe_counter, 5) == reference.probe(probe_counter, 5) == (10, "Counter")
        assert student.setup_errors == reference.setup_errors == []


def test_float_subclass_and_nan_arrive_as_opaque_and_nan(make):
    student = make(BASICS)
    got = student.call("subclass")
    assert type(got) is Opaque and got == InProcessStudent.from_cells(cells(BASICS)).call("subclass")
    assert math.isnan(student.call("nan"))
    assert type(student.call("describe", [1.0])["nan"]) is float


def test_error_kinds(make):
    student = make(BASICS)
    with pytest.raises(NotImplementedYet):
        student.call("todo", 1)
    with pytest.raises(MissingName):
        student.call("not_there")
    with pytest.raises(MissingName):
        student.probe(probe_missing)
    with pytest.raises(StudentException) as info:
        student.probe(probe_boom, 3)
    message = str(info.value)
    assert "bad input 3" in message and "<cell c0>" in message and "in helper" in message
    assert "<check>" not in message and "probe_boom" not in message
    assert student.call("add", 2, 3) == 5 and student.restarts == 0


def test_setup_errors_are_recorded_and_sys_exit_in_a_cell_is_not_fatal(make):
    student = make("def f():\n    return 1\n", "raise ValueError('oops')\n", "import sys\nsys.exit(0)\n",
                   "def g():\n    return 2\n")
    errors = student.setup_errors          # reading them runs the setup
    assert [(e["cell"], e["error"]["type"]) for e in errors] == [("c1", "ValueError"),
                                                                   ("c2", "SystemExit")]
    assert student.call("f") == 1 and student.call("g") == 2 and student.restarts == 0


def test_numpy_and_matplotlib_work_in_the_child(make):
    student = make("import numpy as np\nimport matplotlib.pyplot as plt\n"
                   "def go():\n    plt.plot(np.arange(3))\n    plt.savefig('plot.png')\n"
                   "    import os\n    return float(np.sum(np.arange(4))), os.path.getsize('plot.png') > 0\n",
                   limits=Limits(setup_seconds=30, call_seconds=30))   # a busy machine's imports
    assert student.call("go") == (6.0, True)


# ---- deadlines, crashes and restarts --------------------------------------------------------

LOOPS = '''
import os, signal, sys, time

def add(x, y):
    return x + y

def spin():
    while True:
        pass

def stubborn():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            time.sleep(0.01)
        except BaseException:
            pass

def leave():
    os._exit(0)

def allocate():
    return len(bytearray(4 << 30))
'''


def timed(function, *args):
    started = time.monotonic()
    try:
        return function(*args), time.monotonic() - started
    except Exception as exc:   # noqa: BLE001 - the test looks at it
        return exc, time.monotonic() - started


def test_infinite_loop_times_out_and_the_next_call_restarts(mode):
    with SandboxedStudent(cells(LOOPS), FAST, isolation=mode) as student:
        assert student.call("add", 1, 1) == 2
        error, seconds = timed(student.call, "spin")
        assert isinstance(error, StudentTimeout), error
        assert "did not finish within 1.5 s" in str(error)
        assert FAST.call_seconds <= seconds < FAST.call_seconds + SLACK
        assert student.call("add", 2, 2) == 4 and student.restarts == 1


def test_a_loop_ignoring_sigint_and_sigterm_is_killed(make):
    student = make(LOOPS)
    error, seconds = timed(student.call, "stubborn")
    assert isinstance(error, StudentTimeout) and seconds < FAST.call_seconds + SLACK
    assert student.call("add", 1, 2) == 3


def test_os_exit_during_a_call_is_a_crash_and_the_next_call_restarts(mode):
    with SandboxedStudent(cells(LOOPS), FAST, isolation=mode) as student:
        error, seconds = timed(student.call, "leave")
        assert isinstance(error, StudentCrashed), error
        assert "ended the Python process" in str(error) and "exit code 0" in str(error)
        assert seconds < SLACK
        assert student.call("add", 1, 2) == 3 and student.restarts == 1


def test_a_huge_allocation_is_a_memory_error_without_restart(make):
    student = make(LOOPS)
    with pytest.raises(StudentMemoryError):
        student.call("allocate")
    assert student.call("add", 1, 2) == 3 and student.restarts == 0


def test_cpu_time_limit(make):
    # In a PID namespace the child is its init, which ignores SIGXCPU: the kernel's SIGKILL
    # at the hard limit (one second later) ends it.  Wall time depends on the machine's load.
    student = make(LOOPS, limits=Limits(cpu_seconds=1, call_seconds=20, setup_seconds=5))
    error, seconds = timed(student.call, "spin")
    assert isinstance(error, StudentCrashed), error
    assert "CPU time" in str(error)
    assert student.call("add", 1, 2) == 3


def test_a_cell_that_never_finishes_is_skipped_and_the_others_are_graded(make):
    student = make("def f():\n    return 1\n", "while True:\n    pass\n", "def g():\n    return 2\n",
                   "import os\nos._exit(3)\n", "def h():\n    return 3\n")
    started = time.monotonic()
    assert student.call("f") == 1
    assert student.call("g") == 2 and student.call("h") == 3
    assert time.monotonic() - started < FAST.setup_seconds + 2 * SLACK
    errors = {e["cell"]: e["error"]["message"] for e in student.setup_errors}
    assert errors["c1"] == "cell c1 did not finish within 2.5 s and was skipped"
    assert "cell c3 was skipped" in errors["c3"] and "exit code 3" in errors["c3"]
    assert student.restarts == 2


def test_restarts_run_out_then_requests_fail_fast(make):
    student = make(LOOPS, limits=Limits(call_seconds=0.5, setup_seconds=5, max_restarts=1))
    for _ in range(2):
        with pytest.raises(StudentTimeout):
            student.call("spin")
    error, seconds = timed(student.call, "add", 1, 2)
    assert isinstance(error, StudentTimeout) and "restarted your code 1 time" in str(error)
    assert seconds < 0.1


def test_the_total_budget_bounds_the_whole_submission(make):
    student = make(LOOPS, limits=Limits(call_seconds=30, setup_seconds=5, total_seconds=1.5))
    error, seconds = timed(student.call, "spin")
    assert isinstance(error, StudentTimeout) and "1.5 s the grader allows" in str(error)
    assert seconds < 1.5 + SLACK
    error, seconds = timed(student.call, "add", 1, 2)
    assert isinstance(error, StudentTimeout) and seconds < 0.1


ATEXIT = '''
import atexit, os, signal, sys

def forever():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    while True:
        pass

atexit.register(forever)

def hang_up():
    os.close(int(sys.argv[1]))     # the request pipe: the child's loop ends, atexit runs

def add(x, y):
    return x + y
'''


def test_atexit_tricks_do_not_hang_the_grader(mode):
    with SandboxedStudent(cells(ATEXIT), FAST, isolation=mode) as student:
        assert student.call("hang_up") is None
        error, seconds = timed(student.call, "add", 1, 2)
        assert isinstance(error, StudentError) and seconds < FAST.call_seconds + SLACK
        assert student.call("add", 1, 2) == 3
        started = time.monotonic()
    assert time.monotonic() - started < SLACK


def test_printing_50_mb_is_fast(make):
    student = make("import sys\nfor _ in range(25000):\n    print('x' * 1000)\n",
                   "import sys\ndef shout():\n    for _ in range(25000):\n"
                   "        sys.stderr.write('y' * 1000 + '\\n')\n    return 1\n")
    error, seconds = timed(student.call, "shout")
    assert error == 1 and seconds < 5


# ---- descendants, pipes and forgeries --------------------------------------------------------

CHILDREN = '''
import os, sys, time

def add(x, y):
    return x + y

def spawn(marker, setsid, then_spin=False, flood=False):
    started_r, started_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            if setsid:
                try:
                    os.setsid()
                except OSError:     # the seccomp filter keeps it in the sandbox's group
                    pass
            if flood:
                fd = int(sys.argv[2])
                os.write(fd, b"x" * 100)
                os.write(started_w, b"!")
                while True:
                    os.write(fd, b"x" * 65536)
            os.execv("/bin/sleep", ["sleep", "60", marker])
        finally:
            os._exit(1)
    if flood:
        os.read(started_r, 1)       # the flood has begun: this reply will be buried in it
    while then_spin:
        pass
    return pid

def burst(marker, n):
    made = 0
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.execv("/bin/sleep", ["sleep", "60", marker])
            finally:
                os._exit(1)
        made += 1
    return made
'''


def wait_for_processes(marker, seconds=3.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if processes_with(marker):
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("setsid", [False, True])
def test_a_background_process_holding_the_pipes_dies_with_the_sandbox(mode, setsid):
    marker = new_marker()
    student = SandboxedStudent(cells(CHILDREN), FAST, isolation=mode)
    try:
        assert isinstance(student.call("spawn", marker, setsid), int)
        assert wait_for_processes(marker)
        assert student.call("add", 1, 2) == 3        # the grandchild holds the pipes: no matter
    finally:
        started = time.monotonic()
        student.close()
    assert time.monotonic() - started < SLACK
    assert processes_with(marker) == []


def test_a_background_process_and_a_timeout(mode):
    marker = new_marker()
    with SandboxedStudent(cells(CHILDREN), FAST, isolation=mode) as student:
        error, seconds = timed(student.call, "spawn", marker, True, True)
        assert isinstance(error, StudentTimeout) and seconds < FAST.call_seconds + SLACK
        assert processes_with(marker) == []            # killed before the error was raised
        assert student.call("add", 1, 2) == 3


def test_a_background_process_flooding_the_reply_pipe(make):
    marker = new_marker()
    student = make(CHILDREN)
    error, seconds = timed(student.call, "spawn", marker, True, False, True)
    assert isinstance(error, StudentTimeout) and seconds < FAST.call_seconds + SLACK
    assert student.call("add", 1, 2) == 3


def test_a_bounded_burst_of_forks(make):
    marker = new_marker()
    student = make(CHILDREN)
    made, seconds = timed(student.call, "burst", marker, 64)
    assert isinstance(made, int) and 0 <= made <= 64 and seconds < SLACK
    if ISO.uid is not None:   # RLIMIT_NPROC: `processes` more than the uid ran at the start
        assert made <= Limits().processes + 8         # (other sandboxes' processes may end meanwhile)
    assert student.call("add", 1, 2) == 3
    student.close()
    assert processes_with(marker) == []


FORGERIES = r'''
import json, os, sys

def _request_id():
    frame = sys._getframe()
    while "request" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals["request"]["id"]

def _say(data):
    os.write(int(sys.argv[2]), data)

def garbage():
    _say(b"garbage\n{not json\n[1, 2]\n\"text\"\n\n" + b'{"id": 5, "value": 1}\n')
    return 42

def malformed():
    rid = _request_id()
    for reply in ({"id": rid, "value": {"$tuple": 5}}, {"id": rid, "error": "boom"},
                  {"id": rid, "value": {"$weird": []}}, {"id": rid},
                  {"id": rid, "value": json.loads("[" * 150 + "]" * 150)}):
        _say(json.dumps(reply).encode() + b"\n")
    _say(b'{"id": %d, "value": [' % rid + b"[" * 100000 + b"\n")
    return 7

def forged():
    _say(json.dumps({"id": _request_id(), "value": 99}).encode() + b"\n")
    return 7

def many_lines():
    _say(b"nope\n" * 5000)
    return 1

def no_newline():
    while True:
        _say(b"x" * 65536)

def huge(n):
    return "x" * n

def later(data, seconds):
    import threading, time
    def write():
        time.sleep(seconds)
        _say(data.encode())
    threading.Thread(target=write, daemon=True).start()

def add(x, y):
    return x + y
'''


def test_garbage_and_malformed_replies_are_ignored(make):
    student = make(FORGERIES)
    assert student.call("garbage") == 42
    assert student.call("malformed") == 7
    assert student.call("add", 1, 2) == 3 and student.restarts == 0


def test_a_forged_reply_with_the_right_id_is_no_more_than_a_return_value(make):
    # The child is the student's process: a well-formed reply it writes is what it returned,
    # and still goes through the parent's strict type checks.  No desynchronisation follows.
    student = make(FORGERIES)
    assert student.call("forged") == 99
    assert student.call("add", 1, 2) == 3


def test_too_many_foreign_lines_or_no_newline_end_in_a_clear_error(make):
    student = make(FORGERIES)
    error, seconds = timed(student.call, "many_lines")
    assert isinstance(error, StudentCrashed) and "too many lines" in str(error)
    error, seconds = timed(student.call, "no_newline")
    assert isinstance(error, StudentTimeout) and seconds < FAST.call_seconds + SLACK
    assert student.call("add", 1, 2) == 3


def test_writing_between_requests_does_not_desynchronise(make):
    student = make(FORGERIES)
    student.call("later", "half a line, no newline", 0.1)
    time.sleep(0.4)
    assert student.call("add", 1, 2) == 3 and student.restarts == 0


def test_a_reply_too_large_is_a_wrong_type_without_restart(make):
    student = make(FORGERIES, limits=Limits(call_seconds=5, max_reply_bytes=1 << 20))
    assert len(student.call("huge", 1000)) == 1000
    with pytest.raises(WrongType, match="too large"):
        student.call("huge", 3 << 20)
    assert student.call("add", 1, 2) == 3 and student.restarts == 0


# ---- what the child can reach ----------------------------------------------------------------

REACH = r'''
import glob, os, sys

def try_import(name):
    try:
        __import__(name)
        return "imported"
    except ImportError as exc:
        return type(exc).__name__

def try_harder(kit_root):
    sys.path.append(kit_root)
    for finder in [p for d in list(sys.path) for p in glob.glob(os.path.join(d, "__editable__*finder.py"))]:
        name = os.path.basename(finder)[:-3]
        try:
            __import__(name).install()
        except Exception:
            pass
    try:
        from solutions import engine
        return "imported " + engine.__file__
    except ImportError as exc:
        return type(exc).__name__

def read(path):
    try:
        with open(path, "rb") as f:
            return "read %d bytes" % len(f.read())
    except OSError as exc:
        return type(exc).__name__

def write(path, size=10):
    try:
        with open(path, "wb") as f:
            f.write(b"x" * size)
        return "wrote"
    except OSError as exc:
        return type(exc).__name__

def connect(port):
    import errno, socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return "connected"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, type(exc).__name__)

def who():
    try:
        visible = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:         # Landlock: /proc is not for the child to read
        visible = None
    return os.getuid(), os.getgid(), os.getpid(), os.getcwd(), visible
'''


def test_the_kit_packages_are_not_importable(mode):
    with SandboxedStudent(cells(REACH), FAST, isolation=mode) as student:
        assert student.call("try_import", "solutions") == "ModuleNotFoundError"
        assert student.call("try_import", "autograder") == "ModuleNotFoundError"
        assert student.call("try_import", "assignments") == "ModuleNotFoundError"
        assert student.call("try_import", "numpy") == "imported"


@needs_namespaces
def test_the_kit_root_is_hidden(make):
    student = make(REACH)
    assert student.call("read", os.path.join(sandbox.KIT_ROOT, "solutions", "engine.py")) \
        == "FileNotFoundError"
    assert student.call("read", os.path.join(sandbox.KIT_ROOT, "pyproject.toml")) == "FileNotFoundError"
    assert student.call("try_harder", sandbox.KIT_ROOT) == "ModuleNotFoundError"
    # The child's own program comes as text: not even the sandbox's code needs to be readable.
    assert student.call("read", os.path.join(sandbox.KIT_ROOT, "autograder", "sandbox", "child.py")) \
        == "FileNotFoundError"


@needs_namespaces
def test_no_network(make):
    student = make(REACH)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        # the loopback is down too; the seccomp filter refuses the socket before that
        assert student.call("connect", port) == ("EAFNOSUPPORT" if ISO.seccomp else "ENETUNREACH")


@needs_namespaces
def test_writes_land_only_in_capped_scratch_space(make):
    student = make(REACH)
    assert student.call("write", "mine.txt") == "wrote"
    # the namespace's /tmp is a private tmpfs; Landlock allows only the working folder
    assert student.call("write", "/tmp/mine.txt") == ("PermissionError" if ISO.landlock else "wrote")
    assert student.call("write", "big.bin", 17 << 20) == "OSError"          # RLIMIT_FSIZE: EFBIG
    for path in ("/etc/autograder-test", os.path.join(paths.site_dirs()[0], "evil.pth"),
                 os.path.join(sandbox.KIT_ROOT, "autograder", "evil.py"), "/var/autograder-test"):
        assert student.call("write", path) in ("PermissionError", "OSError", "FileNotFoundError")
        assert not os.path.exists(path)
    assert not os.path.exists("/tmp/mine.txt")


@needs_uid
def test_the_child_runs_as_an_unprivileged_user(make):
    student = make(REACH)
    uid, gid, pid, cwd, visible = student.call("who")
    assert (uid, gid) == (ISO.uid, ISO.gid)
    if ISO.namespaces:        # PID 1 of its own namespace, seeing only its own processes
        assert pid == 1 and visible in (["1"], None)


def test_the_temporary_folder_is_removed(mode):
    student = SandboxedStudent(cells(REACH), FAST, isolation=mode)
    assert student.call("write", "mine.txt") == "wrote"
    child = student._res.child
    assert student.call("who")[3] == child.cwd
    if mode.namespaces:       # a tmpfs inside the namespace: nothing on the host at all
        assert child.tmpdir is None and not os.path.exists(os.path.join(child.cwd, "mine.txt"))
    else:
        assert os.path.isfile(os.path.join(child.tmpdir, "mine.txt"))
    student.close()
    assert child.tmpdir is None or not os.path.exists(child.tmpdir)
    with pytest.raises(GraderError):
        student.call("who")


def test_the_sandbox_dies_with_a_killed_grader(tmp_path):
    marker = new_marker()
    script = tmp_path / "grader.py"
    script.write_text(
        "import sys\n"
        "from autograder.sandbox import SandboxedStudent, Limits\n"
        f"cells = [{{'name': 'c0', 'student': True, 'source': {CHILDREN!r}}},\n"
        "         {'name': 'c1', 'student': True, 'source': 'import time\\ndef nap():\\n    time.sleep(600)\\n'}]\n"
        "s = SandboxedStudent(cells, Limits(call_seconds=600))\n"
        f"s.call('spawn', {marker!r}, True)\n"
        "print('ready', flush=True)\n"
        "s.call('nap')\n")
    grader = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                              cwd=sandbox.KIT_ROOT)
    try:
        assert grader.stdout.readline().strip() == b"ready"
        assert wait_for_processes(marker)
    finally:
        grader.kill()
        grader.wait()
    end = time.monotonic() + SLACK
    while processes_with(marker) and time.monotonic() < end:
        time.sleep(0.05)
    assert processes_with(marker) == []


def test_a_dropped_student_is_cleaned_up(make):
    student = SandboxedStudent(cells(REACH), FAST)
    student.call("who")
    child = student._res.child
    del student
    gc.collect()
    assert child.dead and (child.tmpdir is None or not os.path.exists(child.tmpdir))


def test_a_broken_machine_is_a_grader_error():
    broken = sandbox.Isolation("namespaces", unshare="/nonexistent/unshare")
    with SandboxedStudent(cells(BASICS), FAST, isolation=broken) as student:
        with pytest.raises(GraderError):
            student.call("add", 1, 2)


class _Usage:
    def __init__(self, cpu=0.1, rss_kib=10_000):
        self.ru_utime, self.ru_stime, self.ru_maxrss = cpu, 0.0, rss_kib


@pytest.mark.parametrize("status, usage, kind, words", [
    (0 << 8, _Usage(), "crashed", "exit code 0"),
    (3 << 8, _Usage(), "crashed", "exit code 3"),
    (9, _Usage(rss_kib=800_000), "memory", "out of memory"),
    (9, _Usage(), "crashed", "SIGKILL"),
    (9, _Usage(cpu=2.0), "cpu", "CPU time"),
    (1 << 8, _Usage(cpu=2.0), "cpu", "CPU time"),           # how unshare reports a SIGKILLed init
    (24, _Usage(), "cpu", "CPU time"),                       # SIGXCPU
    (11, _Usage(), "crashed", "SIGSEGV"),
    (6, _Usage(rss_kib=900_000), "memory", "SIGABRT"),
])
def test_how_a_death_is_explained(status, usage, kind, words):
    child = object.__new__(process.Child)
    child.limits, child.status, child.rusage = Limits(cpu_seconds=1, memory_bytes=1 << 30), status, usage
    cause, got = child._cause()
    assert got == kind and words in cause


def test_degraded_isolation_is_announced_once(monkeypatch, capsys):
    degraded = sandbox.Isolation("plain", missing=("namespaces (no unshare command)",))
    monkeypatch.setattr(levels, "_ISOLATION", None)
    monkeypatch.setattr(levels, "detect", lambda mode=None: degraded)
    assert sandbox.isolation() is degraded and sandbox.isolation() is degraded
    err = capsys.readouterr().err
    assert err.count("WARNING") == 1 and "no unshare command" in err and "network" in err


def test_extra_hidden_paths_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_HIDE", f"{tmp_path}{os.pathsep}/nonexistent")
    assert str(tmp_path) in sandbox.default_hidden_paths()


def test_the_mount_plan_hides_the_kit_and_binds_back_what_python_needs(tmp_path):
    ops = namespaces.mount_ops(sandbox.default_hidden_paths(), str(tmp_path), 65534, 65534, 1 << 20)
    covered = {op[1] for op in ops if op[0] in ("tmpfs", "hidefile")}
    bound = {op[2] for op in ops if op[0] == "bind"}
    assert sandbox.KIT_ROOT in covered or any(paths.inside(sandbox.KIT_ROOT, c) for c in covered)
    for path in paths.site_dirs():
        if any(paths.inside(path, c) for c in covered if c != str(tmp_path)):
            assert any(paths.inside(path, b) for b in bound)
    assert "/" not in covered and "/usr" not in covered


# ---- speed ---------------------------------------------------------------------------------

def test_start_up_and_round_trip_are_fast(make, capsys):
    engine = "import math, random\n" + "\n".join(
        f"def f{i}(x):\n    return math.tanh(x) + {i}\n" for i in range(50))
    starts, round_trips = [], []
    for _ in range(5):
        student = make(engine)
        started = time.perf_counter()
        student.call("f1", 0.5)
        starts.append(time.perf_counter() - started)
        began = time.perf_counter()
        for i in range(50):
            student.call("f1", 0.5)
        round_trips.append((time.perf_counter() - began) / 50)
        student.close()
    starts.sort()
    round_trips.sort()
    with capsys.disabled():
        print(f"\n[sandbox] {ISO.describe()}: first call (start + setup + call) median "
              f"{starts[2] * 1e3:.0f} ms, round trip median {round_trips[2] * 1e6:.0f} us")
    assert starts[2] < 1.0 and round_trips[2] < 0.01
