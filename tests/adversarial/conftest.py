"""Fixtures of the adversarial corpus: a fake course folder outside the kit, a listening
port, a subreaper, the baseline scores."""
import os
import random
import shutil
import socket
import tempfile
import threading

import pytest

from . import harness
from . import notebooks as N
from .cases import A3, CASES


def _outside_root():
    """A folder outside the kit, the grader's cwd, its home and /tmp (which the sandbox
    hides anyway): /srv or /opt where this user may write, else the temporary folder."""
    for parent in ("/srv", "/opt", "/mnt"):
        if os.path.isdir(parent) and os.access(parent, os.W_OK):
            return parent
    return tempfile.gettempdir()


@pytest.fixture(scope="session")
def outside():
    """A course folder as an instructor keeps one: a gradebook and another student's
    (correct) submissions, world-readable."""
    root = tempfile.mkdtemp(prefix="adversarial-course-", dir=_outside_root())
    os.chmod(root, 0o755)
    with open(os.path.join(root, "gradebook.db"), "wb") as f:
        f.write(b"SQLite format 3\0" + os.urandom(4096))
    for assignment in {c.assignment for c in CASES} | {A3}:
        folder = os.path.join(root, "submitted", "bob", assignment)
        os.makedirs(folder)
        N.write(N.correct(assignment), os.path.join(folder, f"{assignment}.ipynb"))
    for dirpath, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(dirpath, name), 0o755)
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def listener():
    """A TCP server on 127.0.0.1 that records whatever connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    seen = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            seen.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join(1)
    server.close()


@pytest.fixture(scope="package")
def subreaper():
    """This process adopts the orphans of what it starts while the corpus runs (so that a
    process escaping the sandbox is found); afterwards it stops, and reaps what it adopted."""
    yield harness.become_subreaper()
    harness.become_subreaper(False)
    for pid, state in harness.my_children().items():
        if state in ("Z", "X"):
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


@pytest.fixture(scope="session")
def baselines():
    """Score of a baseline submission, graded once per (builder, limits)."""
    cache = {}

    def score(key, build, limits, tmp_root):
        if key not in cache:
            folder = tempfile.mkdtemp(prefix="baseline-", dir=tmp_root)
            path = build(folder)
            out = harness.run_inprocess(path, os.path.join(folder, "r.json"),
                                        os.path.join(folder, "r.xml"), limits)
            assert out.status == "graded", f"baseline {key} not graded: {out.status}"
            cache[key] = out.score
        return cache[key]

    return score


def new_marker():
    # a number, so that `sleep 600 <marker>` is a valid command (GNU sleep adds its arguments)
    return f"0.{random.randrange(10 ** 11, 10 ** 12)}"
