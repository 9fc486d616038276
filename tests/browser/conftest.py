"""Real clients in a real browser: Playwright drives the system's Chromium.

No browser is downloaded: the tests use Debian's ``chromium`` (``/usr/bin/chromium``, or
the path in ``CHROMIUM``); ``.ci/run`` installs it when it is missing.  Where it is
absent the tests skip with the reason, except under CI (``CI=true``), where they fail:
a green CI run must mean the browser tests ran.

Every page visited is saved as a screenshot under ``tests/browser/screenshots/``
(git-ignored) so a person can look at what the tests saw.
"""
import os
import shutil

import pytest

from .helpers import LAPTOP


def chromium_path():
    """The system Chromium, or None."""
    wanted = os.environ.get("CHROMIUM")
    if wanted:
        return wanted if os.access(wanted, os.X_OK) else None
    return next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and os.access(p, os.X_OK)),
                None)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        why = ("Chromium is not installed: the browser tests drive the system's Chromium "
               "(Debian: apt-get install chromium; or set CHROMIUM to its path)")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(why + "; .ci/run installs it", pytrace=False)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def pytest_collection_finish(session):
    """Start building the graded course now if a test will need it (see graded_course.py)."""
    if not any("graded_course" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    import subprocess
    import sys
    import tempfile

    folder = tempfile.mkdtemp(prefix="graded-course-")
    log = open(os.path.join(folder, "build.log"), "w", encoding="utf-8")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    session.config.graded_course = (folder, subprocess.Popen(
        [sys.executable, "-m", "tests.browser.graded_course", folder], cwd=root, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True))


def pytest_sessionfinish(session):
    """Stop the course builder if no test waited for it (e.g. no browser), and remove the course."""
    if not hasattr(session.config, "graded_course"):
        return
    import signal
    folder, proc = session.config.graded_course
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)       # its own process group: nbgrader and kernels too
        proc.wait()
    shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(items):
    """The tests of the graded course last, so it is built while the student tests run."""
    items.sort(key=lambda item: "graded_course" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def graded_course(request):
    """The course directory built by graded_course.py, after its autograde finished."""
    folder, proc = request.config.graded_course
    proc.wait(timeout=1200)
    with open(os.path.join(folder, "done"), encoding="utf-8") as f:
        outcome = f.read()
    assert outcome == "ok", f"building the graded course failed:\n{outcome}"
    return os.path.join(folder, "course")
