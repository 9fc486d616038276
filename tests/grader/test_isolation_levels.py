"""Every isolation level the sandbox claims, forced one by one and attacked.

The configurations are what instructors meet: every layer (a machine or VM that allows
namespaces), namespaces alone (an old kernel), no namespaces with Landlock and seccomp (Gradescope's container as root, a
JupyterHub pod as an ordinary user), seccomp only (a kernel without Landlock) and
nothing (no layer at all).  Each is forced with ``AUTOGRADER_SANDBOX_DISABLE`` (the
same switch an instructor has), detected by starting a child, and then attacked
from inside: for every property the level claims (`Isolation.properties`) the
attack must fail, and for the properties it does not claim the same attack is
shown to work, so that a probe that cannot fail is not mistaken for a defence.
A configuration whose layer this machine lacks skips, naming what is missing.

The last tests simulate a container for real: ``unshare`` hidden by a bind mount in
a private mount namespace, the grader run by ``python -m autograder grade`` as root
and as an ordinary user (a throwaway uid), on the notebook that imports the master
solutions from the kit's folder.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from autograder import sandbox
from autograder.errors import GraderError
from autograder.sandbox import Limits, SandboxedStudent, landlock, levels, seccomp

from tests.container import THROWAWAY_UID, can_simulate, container_argv

from .test_sandbox import cells, new_marker, processes_with, wait_for_processes

FAST = Limits(call_seconds=5, setup_seconds=10, total_seconds=60, cpu_seconds=20, max_restarts=1)
CONFIGS = {
    "every layer": frozenset(),
    "namespaces only": frozenset({"landlock", "seccomp"}),
    "landlock+seccomp": frozenset({"namespaces"}),
    "seccomp only": frozenset({"namespaces", "landlock"}),
    "nothing": frozenset({"namespaces", "landlock", "seccomp"}),
}
EXPECTED_LAYERS = {
    "every layer": {"namespaces", "landlock", "seccomp"},
    "namespaces only": {"namespaces"},
    "landlock+seccomp": {"landlock", "seccomp"},
    "seccomp only": {"seccomp"},
    "nothing": set(),
}

ATTACKS = r'''
import os, signal, socket, subprocess, sys, time

def read(path):
    try:
        with open(path, "rb") as f:
            return "read:" + str(len(f.read(100)))
    except OSError as exc:
        return type(exc).__name__

def listing(path):
    try:
        return "listed:" + str(len(os.listdir(path)))
    except OSError as exc:
        return type(exc).__name__

def write(path):
    try:
        with open(path, "w") as f:
            f.write("written by the sandbox")
        return "wrote"
    except OSError as exc:
        return type(exc).__name__

def connect(port):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        s.sendall(b"hello from the sandbox")
        s.close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__

def signal_pid(pid):
    try:
        os.kill(pid, 0)
        return "signalled"
    except OSError as exc:
        return type(exc).__name__

def escape(marker):
    CODE = "import os, time\ntry:\n    os.setsid()\nexcept OSError:\n    pass\ntime.sleep(60)"
    if os.fork() == 0:
        try:
            os.setsid()
        except OSError:
            pass
        if os.fork() == 0:
            os.execve(sys.executable, [sys.executable, "-c", CODE, marker], {})
        os._exit(0)
    os.wait()
    return "started"

def scratch():
    return write("mine.txt") + " " + read("mine.txt")
'''


def _layers_missing(disable):
    """Why this machine cannot give the configuration, or None."""
    wanted = {"namespaces", "landlock", "seccomp"} - disable
    if "landlock" in wanted and not landlock.abi_version():
        return "the kernel offers no Landlock"
    if "seccomp" in wanted and not seccomp.supported():
        return "the kernel (or this architecture) takes no seccomp filter"
    if "namespaces" in wanted and not sandbox.isolation().namespaces:
        return f"no namespaces here: {sandbox.isolation().missing}"
    return None


@pytest.fixture(scope="module", params=list(CONFIGS))
def level(request):
    disable = CONFIGS[request.param]
    why = _layers_missing(disable)
    if why:
        pytest.skip(f"{request.param}: {why}")
    iso = sandbox.detect(disable=disable)
    got = set(iso.layers) - {"uid"}
    assert got == EXPECTED_LAYERS[request.param], (request.param, iso.describe(), iso.missing)
    return request.param, iso


@pytest.fixture(scope="module")
def course():
    """An instructor's folder outside the kit: a gradebook and another student's notebook,
    world-readable, in a world-writable folder (so only the sandbox can stop a write)."""
    root = tempfile.mkdtemp(prefix="isolation-course-", dir="/srv" if os.access("/srv", os.W_OK) else None)
    os.chmod(root, 0o777)
    for name in ("gradebook.db", "other_student.ipynb"):
        with open(os.path.join(root, name), "w") as f:
            f.write("instructor data\n")
        os.chmod(os.path.join(root, name), 0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def child(level):
    made = []

    def factory():
        student = SandboxedStudent(cells(ATTACKS), FAST, isolation=level[1])
        made.append(student)
        return student
    yield factory
    for student in made:
        student.close()


def _kit(*parts):
    return os.path.join(sandbox.KIT_ROOT, *parts)


def test_every_level_describes_its_layers(level):
    name, iso = level
    text = iso.describe()
    for layer in ("namespaces", "landlock", "seccomp"):
        word = {"namespaces": "namespaces", "landlock": "Landlock", "seccomp": "seccomp"}[layer]
        assert (f"no {word}" in text) == (layer not in iso.layers), (name, text)
    if iso.landlock:
        assert f"Landlock ABI {iso.landlock}" in text


def test_the_kit_and_the_course_folder(level, child, course):
    name, iso = level
    student = child()
    targets = [_kit("solutions", "engine.py"), _kit("source", "ex28_3_manual_backward",
                                                     "ex28_3_manual_backward.ipynb"),
               _kit("autograder", "suites", "ex28_3_manual_backward.py"),
               os.path.join(course, "gradebook.db"), os.path.join(course, "other_student.ipynb")]
    got = {path: student.call("read", path) for path in targets}
    got[_kit("solutions")] = student.call("listing", _kit("solutions"))
    if "filesystem" in iso.properties:
        assert all(not v.startswith(("read", "listed")) for v in got.values()), (name, got)
    else:       # the probe works: without the property, what file permissions allow is readable
        assert got[_kit("solutions", "engine.py")].startswith("read"), (name, got)


def test_writes_outside_the_scratch_folder(level, child, course):
    name, iso = level
    student = child()
    assert student.call("scratch") == "wrote read:22"
    target = os.path.join(course, f"planted-{new_marker()}")
    got = student.call("write", target)
    if "filesystem" in iso.properties:
        assert got != "wrote" and not os.path.exists(target), (name, got)
    else:
        assert got == "wrote" and os.path.exists(target), (name, got)


def test_the_network(level, child):
    name, iso = level
    seen = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        student = child()
        got = student.call("connect", server.getsockname()[1])
        try:
            conn, _ = server.accept()
            seen.append(conn.recv(100))
            conn.close()
        except socket.timeout:
            pass
    if "network" in iso.properties:
        assert got != "connected" and not seen, (name, got, seen)
    else:
        assert got == "connected" and seen == [b"hello from the sandbox"], (name, got, seen)


def test_the_grader_cannot_be_signalled(level, child):
    name, iso = level
    student = child()
    got = student.call("signal_pid", os.getpid())
    if "signals" in iso.properties or iso.uid is not None:
        assert got in ("PermissionError", "ProcessLookupError"), (name, got)
    else:
        assert got == "signalled", (name, got)


def test_no_process_outlives_the_grading(level, child):
    name, iso = level
    marker = new_marker()
    student = child()
    assert student.call("escape", marker) == "started"
    assert wait_for_processes(marker)
    student.close()
    end = time.monotonic() + 3
    while processes_with(marker) and time.monotonic() < end:
        time.sleep(0.05)
    left = processes_with(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    if "processes" in iso.properties:
        assert left == [], (name, left)


def test_the_required_level_fails_closed(level, monkeypatch):
    name, iso = level
    for prop in levels.PROPERTIES:
        monkeypatch.setenv("AUTOGRADER_REQUIRE_ISOLATION", prop)
        if prop in iso.properties:
            levels.require(iso)
        else:
            with pytest.raises(GraderError, match=prop):
                levels.require(iso)


# ---- a container for real: no unshare, the CI command, root and an ordinary user -----------

def _steal_notebook(folder, kind):
    """The 28.3 release notebook with every solution cell replaced: ``correct`` by the master
    solution, ``steal`` by an import of the master solutions from the kit's own folder."""
    from tests.adversarial import notebooks as N
    nb = N.correct("ex28_3_manual_backward") if kind == "correct" else N.stub("ex28_3_manual_backward")
    if kind == "steal":
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                cell["source"] = (f"import sys\nsys.path.insert(0, {sandbox.KIT_ROOT!r})\n"
                                  "from solutions.manual_backward import *\n")
    return N.write(nb, os.path.join(folder, f"{kind}.ipynb"))


def _in_a_container(args, folder, uid=None):
    """``python -m autograder ARGS`` in a simulated container (`tests.container`); its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "PYTEST_"))}
    env.update(HOME=folder, PYTHONPATH=sandbox.KIT_ROOT)
    argv = container_argv([sys.executable, "-m", "autograder"] + list(args), folder, uid)
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=folder, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.skipif(can_simulate() is not None, reason=str(can_simulate()))
@pytest.mark.skipif(not landlock.abi_version(), reason="the kernel offers no Landlock: without "
                    "namespaces nothing hides the kit from the child")
@pytest.mark.parametrize("who", ["root", "ordinary user"])
def test_importing_the_master_solutions_earns_nothing_in_a_container(who, tmp_path_factory):
    folder = tempfile.mkdtemp(prefix="container-")
    os.chmod(folder, 0o755)
    try:
        uid = None if who == "root" else THROWAWAY_UID
        if uid is not None:
            os.chown(folder, uid, uid)
        said = _in_a_container(["sandbox"], folder, uid)
        assert "no namespaces" in said and "namespaces (no unshare command)" in said, said
        assert "Landlock ABI" in said and "seccomp filter" in said, said
        assert "NOT DEFENDED" not in said, said        # every property, by other layers
        scores = {}
        for kind in ("steal", "correct"):
            notebook = _steal_notebook(folder, kind)
            results = os.path.join(folder, f"{kind}.json")
            if uid is not None:
                os.chown(notebook, uid, uid)
            _in_a_container(["grade", notebook, "--results", results, "--assignment",
                             "ex28_3_manual_backward", "--seed", "7", "--quiet"], folder, uid)
            with open(results) as f:
                scores[kind] = json.load(f)["score"]
        assert scores == {"steal": 0, "correct": 12}, (who, scores)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---- the switches ---------------------------------------------------------------------------

def test_a_required_level_or_disabled_layer_with_an_unknown_name_is_refused():
    with pytest.raises(GraderError, match="unknown name.*filesytem"):
        levels.required({"AUTOGRADER_REQUIRE_ISOLATION": "filesytem,network"})
    with pytest.raises(GraderError, match="unknown layer.*landlok"):
        levels.disabled_layers({"AUTOGRADER_SANDBOX_DISABLE": "landlok"})
    assert levels.required({"AUTOGRADER_REQUIRE_ISOLATION": "1"}) == set(levels.PROPERTIES)
    assert levels.required({"AUTOGRADER_REQUIRE_ISOLATION": "0"}) == set()
    assert levels.required({"AUTOGRADER_REQUIRE_ISOLATION": " Filesystem ; seccomp"}) \
        == {"filesystem", "seccomp"}


def test_a_missing_layer_is_named_with_how_to_get_it():
    bare = levels.Isolation("plain", landlock=0, seccomp=True)
    with pytest.raises(GraderError) as error:
        levels.require(bare, {"AUTOGRADER_REQUIRE_ISOLATION": "landlock,filesystem"})
    text = str(error.value)
    assert "the landlock layer (a Linux kernel 5.13+" in text
    assert "filesystem (from any of: namespaces, Landlock)" in text
    levels.require(bare, {"AUTOGRADER_REQUIRE_ISOLATION": "network,seccomp"})   # given: no error
