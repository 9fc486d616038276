"""The Landlock layer: a child that restricts itself can run numpy and matplotlib in its
scratch folder and reach nothing else.

Every restriction happens in a fresh ``python -I -S`` child (`landlock_child`), never in
the test process.  Most scripts try the same things before and after `restrict`, so a
denial is shown to come from Landlock.  Tests that need more than the kernel offers
skip, naming the ABI found.
"""
import errno
import os
import secrets
import signal
import socket
import shutil
import stat
import tempfile

import pytest

from autograder.sandbox import landlock
from .landlock_child import KIT_ROOT, run_child

ABI = landlock.abi_version()
DENIED = "PermissionError"


def needs_abi(version, what):
    return pytest.mark.skipif(ABI < version, reason=f"{what} needs Landlock ABI {version}; "
                                                     f"this kernel offers ABI {ABI}")


pytestmark = needs_abi(1, "Landlock")


@pytest.fixture
def scratch(tmp_path):
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


@pytest.fixture
def kit(tmp_path):
    """A folder outside the scratch folder standing for the kit: a secret and a subfolder."""
    folder = tmp_path / "kit"
    (folder / "solutions").mkdir(parents=True)
    (folder / "secret.txt").write_text("the answer")
    (folder / "solutions" / "engine.py").write_text("ANSWER = 42\n")
    return folder


@pytest.fixture
def tcp_listener():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()


@pytest.fixture
def abstract_listener():
    address = f"\0autograder-landlock-test-{secrets.token_hex(8)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(address)
        server.listen(8)
        yield address


def expect(results, expected, script=""):
    """Assert each named result; the message lists every mismatch with what was expected."""
    wrong = {name: (results.get(name), want) for name, want in expected.items()
             if results.get(name) != want}
    assert not wrong, "\n".join(f"{name}: got {got!r}, expected {want!r}"
                                for name, (got, want) in wrong.items()) + f"\nscript:\n{script}"


FULL = {"abi": ABI, "filesystem": True, "truncate": ABI >= 3, "tcp": ABI >= 4,
        "scoped": ABI >= 6}


def test_abi_version_is_zero_when_the_kernel_has_no_landlock(monkeypatch):
    assert type(ABI) is int and ABI >= 1, f"abi_version() = {ABI!r}, expected an int >= 1 here"
    for code in (errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        def refuse(*args, _code=code):
            raise OSError(_code, os.strerror(_code))
        monkeypatch.setattr(landlock, "_syscall", refuse)
        assert landlock.abi_version() == 0, \
            f"abi_version() = {landlock.abi_version()} with the call failing with " \
            f"{errno.errorcode[code]}, expected 0"


def test_numpy_and_matplotlib_work_confined(scratch):
    script = """
status = restrict(READ, [SCRATCH])
import numpy as np
solution = np.linalg.solve(np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([3.0, 5.0]))
import matplotlib
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1, 2], [1, 0, 1])
ax.set_title("confined")
fig.savefig("plot.png")
report(status=status, solution=solution.tolist())
"""
    results = run_child(script, scratch)
    expect(results, {"status": FULL}, script)
    assert results["solution"] == pytest.approx([0.8, 1.4]), results
    png = (scratch / "plot.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000, f"plot.png starts {png[:16]!r}"


def test_the_kit_and_the_rest_of_the_system_are_unreadable(scratch, kit):
    targets = {"secret": ("read", kit / "secret.txt"), "kit_listing": ("listdir", kit),
               "kit_engine": ("read", os.path.join(KIT_ROOT, "solutions", "engine.py")),
               "kit_root_listing": ("listdir", KIT_ROOT), "passwd": ("read", "/etc/passwd"),
               "root_listing": ("listdir", "/")}
    trials = "{" + ", ".join(f"{name!r}: attempt({how}, {str(path)!r})"
                             for name, (how, path) in targets.items()) + "}"
    script = f"""
before = {trials}
status = restrict(READ, [SCRATCH])
report(status=status, before=before, after={trials})
"""
    results = run_child(script, scratch)
    expect(results, {"status": FULL, "before": dict.fromkeys(targets, "ok"),
                     "after": dict.fromkeys(targets, DENIED)}, script)


def test_writes_only_in_the_scratch_folder(scratch, kit):
    outside = f"/tmp/autograder-landlock-test-{secrets.token_hex(8)}"
    secret = str(kit / "secret.txt")
    script = f"""
status = restrict(READ, [SCRATCH])
outside = {{
    "write_tmp": attempt(write, {outside!r}),
    "write_kit": attempt(write, {str(kit / "new.txt")!r}),
    "overwrite_kit": attempt(write, {secret!r}),
    "truncate_kit": attempt(os.truncate, {secret!r}, 0),
    "remove_kit": attempt(os.remove, {secret!r}),
    "mkdir_kit": attempt(os.mkdir, {str(kit / "made")!r}),
    "rename_into_scratch": attempt(os.rename, {secret!r}, "stolen.txt"),
    "symlink_then_read": attempt(os.symlink, {secret!r}, "link") + attempt(read, "link"),
    "mknod_in_scratch": attempt(os.mknod, "disk", 0o20600, os.makedev(1, 3)),
}}
inside = {{
    "write": attempt(write, "inside.txt"),
    "truncate": attempt(os.truncate, "inside.txt", 3),
    "mkdir": attempt(os.mkdir, "sub"),
    "write_sub": attempt(write, "sub/file.txt"),
    "rename": attempt(os.rename, "sub/file.txt", "moved.txt"),
    "remove": attempt(os.remove, "moved.txt"),
    "rmdir": attempt(os.rmdir, "sub"),
}}
report(status=status, outside=outside, inside=inside,
       hard_link=attempt(os.link, {secret!r}, "hard"))
"""
    try:
        results = run_child(script, scratch)
    finally:
        leaked = os.path.exists(outside)
        if leaked:
            os.remove(outside)
    expect(results, {
        "status": FULL,
        "outside": {"write_tmp": DENIED, "write_kit": DENIED, "overwrite_kit": DENIED,
                    "truncate_kit": DENIED if ABI >= 3 else "ok", "remove_kit": DENIED,
                    "mkdir_kit": DENIED, "rename_into_scratch": DENIED,
                    "symlink_then_read": "ok" + DENIED, "mknod_in_scratch": DENIED},
        "inside": dict.fromkeys(["write", "truncate", "mkdir", "write_sub", "rename", "remove",
                                 "rmdir"], "ok"),
        # Landlock refuses a link that would carry a file out of its rules with EXDEV.
        "hard_link": "OSError"}, script)
    assert not leaked, f"{outside} was written from the sandbox"
    assert (kit / "secret.txt").read_text() == "the answer"
    assert sorted(os.listdir(kit)) == ["secret.txt", "solutions"]
    assert sorted(p.name for p in scratch.iterdir() if p.name != ".mpl") == ["inside.txt", "link"]
    assert (scratch / "inside.txt").read_text() == "wri"


def test_a_file_given_to_read_allows_that_file_only(scratch, kit):
    script = f"""
status = restrict(READ + [{str(kit / "secret.txt")!r}, {str(kit / "missing")!r}],
                  [SCRATCH, "/nonexistent/folder"])
report(status=status, file=attempt(read, {str(kit / "secret.txt")!r}),
       sibling=attempt(read, {str(kit / "solutions" / "engine.py")!r}),
       listing=attempt(listdir, {str(kit)!r}), write=attempt(write, {str(kit / "secret.txt")!r}))
"""
    expect(run_child(script, scratch), {"status": FULL, "file": "ok", "sibling": DENIED,
                                        "listing": DENIED, "write": DENIED}, script)


def test_a_second_restrict_cannot_widen_the_first(scratch, kit):
    secret = str(kit / "secret.txt")
    script = f"""
first = restrict(READ, [SCRATCH])
second = restrict(READ + [{str(kit)!r}], [SCRATCH, {str(kit)!r}])
report(first=first, second=second, read=attempt(read, {secret!r}),
       write=attempt(write, {secret!r}))
"""
    expect(run_child(script, scratch),
           {"first": FULL, "second": FULL, "read": DENIED, "write": DENIED}, script)


def test_a_grandchild_is_confined_too(scratch, kit):
    outside = f"/tmp/autograder-landlock-test-{secrets.token_hex(8)}"
    grandchild = f"""
import json
def attempt(action):
    try:
        action()
    except Exception as exc:
        return type(exc).__name__
    return "ok"
print(json.dumps({{"read_kit": attempt(lambda: open({str(kit / "secret.txt")!r}).read()),
                   "write_tmp": attempt(lambda: open({outside!r}, "w").write("x")),
                   "write_scratch": attempt(lambda: open("grandchild.txt", "w").write("x"))}}))
"""
    script = f"""
import subprocess
status = restrict(READ, [SCRATCH])
run = subprocess.run([_sys.executable, "-I", "-S", "-c", {grandchild!r}], capture_output=True,
                     text=True, timeout=60)
report(status=status, code=run.returncode, results=_json.loads(run.stdout or "null"),
       stderr=run.stderr[-2000:])
"""
    try:
        results = run_child(script, scratch)
    finally:
        leaked = os.path.exists(outside)
        if leaked:
            os.remove(outside)
    expect(results, {"status": FULL, "code": 0,
                     "results": {"read_kit": DENIED, "write_tmp": DENIED, "write_scratch": "ok"}},
           script)
    assert not leaked and (scratch / "grandchild.txt").exists()


@needs_abi(4, "TCP restriction")
def test_no_tcp_connect_or_bind(scratch, tcp_listener):
    script = f"""
before = attempt(connect, {tcp_listener!r})
status = restrict(READ, [SCRATCH])
report(status=status, before=before, connect=attempt(connect, {tcp_listener!r}),
       bind=attempt(bind, ("127.0.0.1", 0)))
"""
    expect(run_child(script, scratch),
           {"status": FULL, "before": "ok", "connect": DENIED, "bind": DENIED}, script)


@needs_abi(4, "TCP restriction")
def test_network_true_leaves_tcp_alone(scratch, tcp_listener):
    script = f"""
status = restrict(READ, [SCRATCH], network=True)
report(status=status, connect=attempt(connect, {tcp_listener!r}))
"""
    expect(run_child(script, scratch), {"status": {**FULL, "tcp": False}, "connect": "ok"}, script)


@needs_abi(6, "Scoping signals and abstract unix sockets")
def test_signals_and_abstract_sockets_stay_inside(scratch, abstract_listener):
    script = f"""
import subprocess
before = {{"signal_parent": attempt(os.kill, os.getppid(), 0),
          "abstract_unix": attempt(connect, {abstract_listener!r})}}
status = restrict(READ, [SCRATCH])
sleeper = subprocess.Popen([_sys.executable, "-I", "-S", "-c", "import time; time.sleep(60)"])
after = {{"signal_parent": attempt(os.kill, os.getppid(), 0),
         "signal_own_child": attempt(os.kill, sleeper.pid, {int(signal.SIGKILL)}),
         "abstract_unix": attempt(connect, {abstract_listener!r})}}
report(status=status, before=before, after=after, sleeper_exit=sleeper.wait(timeout=30))
"""
    expect(run_child(script, scratch), {
        "status": FULL, "before": {"signal_parent": "ok", "abstract_unix": "ok"},
        "after": {"signal_parent": DENIED, "signal_own_child": "ok", "abstract_unix": DENIED},
        "sleeper_exit": -signal.SIGKILL}, script)


@needs_abi(6, "Scoping signals")
def test_scoped_false_leaves_signals_alone(scratch):
    script = """
status = restrict(READ, [SCRATCH], scoped=False)
report(status=status, signal_parent=attempt(os.kill, os.getppid(), 0))
"""
    expect(run_child(script, scratch),
           {"status": {**FULL, "scoped": False}, "signal_parent": "ok"}, script)


@needs_abi(3, "Pretending ABI 3")
def test_an_older_abi_is_reported_and_still_confines_files(scratch, kit, tcp_listener):
    """As on a 6.2 kernel: files and truncation confined, TCP and signals not, and said so."""
    script = f"""
abi_version = lambda: 3
status = restrict(READ, [SCRATCH])
report(status=status, read=attempt(read, {str(kit / "secret.txt")!r}),
       truncate=attempt(os.truncate, {str(kit / "secret.txt")!r}, 0),
       connect=attempt(connect, {tcp_listener!r}), signal_parent=attempt(os.kill, os.getppid(), 0))
"""
    expect(run_child(script, scratch), {
        "status": {"abi": 3, "filesystem": True, "truncate": True, "tcp": False, "scoped": False},
        "read": DENIED, "truncate": DENIED, "connect": "ok", "signal_parent": "ok"}, script)


def test_abi_1_says_truncation_is_not_confined(scratch, kit):
    script = f"""
abi_version = lambda: 1
status = restrict(READ, [SCRATCH])
report(status=status, read=attempt(read, {str(kit / "secret.txt")!r}),
       truncate=attempt(os.truncate, {str(kit / "secret.txt")!r}, 3))
"""
    expect(run_child(script, scratch), {
        "status": {"abi": 1, "filesystem": True, "truncate": False, "tcp": False, "scoped": False},
        "read": DENIED, "truncate": "ok"}, script)
    assert (kit / "secret.txt").read_text() == "the"


def test_without_landlock_nothing_is_restricted_and_it_says_so(scratch, kit):
    script = f"""
abi_version = lambda: 0
status = restrict(READ, [SCRATCH])
report(status=status, read=attempt(read, {str(kit / "secret.txt")!r}))
"""
    expect(run_child(script, scratch), {
        "status": {"abi": 0, "filesystem": False, "truncate": False, "tcp": False, "scoped": False},
        "read": "ok"}, script)


def test_a_failing_rule_raises_naming_the_call_and_the_path(scratch, kit):
    # A namespace file is on an internal filesystem, where the kernel refuses rules (EBADFD).
    script = f"""
try:
    restrict(READ + ["/proc/self/ns/net"], [SCRATCH])
    error = None
except OSError as exc:
    error = str(exc)
report(error=error, read=attempt(read, {str(kit / "secret.txt")!r}))
"""
    results = run_child(script, scratch)
    assert results["error"] and "landlock_add_rule(/proc/self/ns/net)" in results["error"], \
        f"got {results['error']!r}, expected an OSError naming landlock_add_rule and the path"
    expect(results, {"read": "ok"}, script)       # nothing was restricted


def test_bad_arguments_and_threads_are_refused_with_the_reason(scratch):
    script = """
import threading

def message(action, *args):
    try:
        action(*args)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"

one_string = message(restrict, "/usr", [SCRATCH])
one_write_path = message(restrict, READ, SCRATCH)
stop = threading.Event()
thread = threading.Thread(target=stop.wait)
thread.start()
threaded = message(restrict, READ, [SCRATCH])
stop.set()
thread.join()
report(one_string=one_string, one_write_path=one_write_path, threaded=threaded,
       still_free=attempt(read, "/etc/passwd"))
"""
    results = run_child(script, scratch)
    expect(results, {
        "one_string": "TypeError: restrict: read_paths must be a list of paths, not one path: "
                      "'/usr'",
        "one_write_path": f"TypeError: restrict: write_paths must be a list of paths, not one "
                          f"path: {str(scratch)!r}",
        "still_free": "ok"}, script)
    assert results["threaded"].startswith("RuntimeError: restrict: this process has 2 threads"), \
        results["threaded"]


def test_python_read_paths_lists_real_existing_paths_none_inside_another(tmp_path):
    prefix = tmp_path / "prefix"
    (prefix / "lib" / "python3.x").mkdir(parents=True)
    (prefix / "lib" / "libpython3.x.so.1.0").write_bytes(b"")
    (prefix / "lib" / "libpython3.x.so").symlink_to("libpython3.x.so.1.0")
    (prefix / "lib" / "libother.so").write_bytes(b"")
    (prefix / "bin").mkdir()
    (prefix / "bin" / "python3.x").write_bytes(b"")
    (tmp_path / "venv-python").symlink_to(prefix / "bin" / "python3.x")
    got = landlock.python_read_paths(str(tmp_path / "venv-python"), [str(prefix), str(prefix)],
                                     [str(prefix / "lib" / "python3.x"),
                                      str(prefix / "lib" / "python3.x" / "lib-dynload"),
                                      str(tmp_path / "missing")])
    system = [os.path.realpath(p) for p in landlock.SYSTEM_READ_PATHS if os.path.exists(p)]
    expected = [str(prefix / "bin" / "python3.x"), str(prefix / "lib" / "libpython3.x.so.1.0"),
                str(prefix / "lib" / "python3.x")]
    assert got[:3] == expected, f"got {got[:3]}, expected {expected}"
    assert set(got[3:]) == set(system), f"got {got[3:]}, expected the system paths {system}"
    assert all(not stat.S_ISLNK(os.lstat(p).st_mode) for p in got), got


@pytest.mark.skipif(os.geteuid() != 0, reason="switching the child to nobody needs root")
def test_paths_the_process_cannot_reach_are_skipped(kit):
    """A child that dropped to nobody may be given paths under /root or a 0700 kit."""
    kit.chmod(0o700)
    scratch = tempfile.mkdtemp(prefix="autograder-landlock-test-")
    os.chmod(scratch, 0o777)
    script = f"""
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
status = restrict(READ + [{str(kit / "secret.txt")!r}], [SCRATCH])
report(status=status, uid=os.getuid(), write=attempt(write, "inside.txt"),
       read_tmp=attempt(listdir, "/tmp"))
"""
    try:
        expect(run_child(script, scratch),
               {"status": FULL, "uid": 65534, "write": "ok", "read_tmp": DENIED}, script)
    finally:
        shutil.rmtree(scratch)
