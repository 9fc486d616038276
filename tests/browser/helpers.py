"""What the browser tests share: screenshots, pixels, a Jupyter server on a free port."""
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SCREENSHOTS = os.path.join(HERE, "screenshots")
LAPTOP = {"width": 1366, "height": 768}      # the window every page is opened in


def shoot(page, name, full_page=True, element=None):
    """Save a screenshot of ``page`` (or of ``element``) as screenshots/NAME.png; return the path."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, f"{name}.png")
    if element is not None:
        element.screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=full_page)
    return path


def pixel_spread(png):
    """(height, width, standard deviation of the RGB values in 0..1) of a PNG image."""
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    return pixels.shape[0], pixels.shape[1], float(pixels[..., :3].std())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """``jupyter lab`` (with nbgrader's formgrader extension) on a free localhost port."""

    def __init__(self, root, settings, log):
        self.root = str(root)
        self.port = free_port()
        self.token = os.urandom(12).hex()
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}   # plots inline
        env.update(JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(settings / "workspaces"),
                   PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        self.log = open(log, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
             f"--port={self.port}", "--ip=127.0.0.1", f"--ServerApp.root_dir={self.root}",
             f"--IdentityProvider.token={self.token}"],
            cwd=self.root, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(self.api("status"), timeout=2).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    with open(log, encoding="utf-8") as f:
                        raise RuntimeError(f"jupyter lab did not start:\n{f.read()[-3000:]}")
                time.sleep(0.3)

    def api(self, path):
        return f"{self.url}/api/{path}?token={self.token}"

    def page_url(self, path):
        return f"{self.url}/{path.lstrip('/')}{'&' if '?' in path else '?'}token={self.token}"

    def log_in(self, page):
        """Log the browser in as a person does: the server's root URL with the token.

        The login cookie gets the path of the URL that carried the token; from a deep URL
        (/formgrader/submissions/ID?token=...) it would not cover /formgrader/api, and
        formgrader would show empty score boxes and save nothing."""
        page.goto(self.page_url("tree"))
        page.wait_for_load_state("domcontentloaded")

    def sessions(self):
        import json
        return json.loads(urllib.request.urlopen(self.api("sessions")).read())

    def kernel_state(self, path):
        """The execution state of the kernel of the notebook at ``path``, or None."""
        for session in self.sessions():
            if session.get("path") == path and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def shut_down_kernels(self):
        for session in self.sessions():
            req = urllib.request.Request(self.api(f"sessions/{session['id']}"), method="DELETE")
            urllib.request.urlopen(req).read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def lab_settings(folder):
    """JupyterLab user settings for the tests: every cell rendered (no windowing), no news."""
    import json
    tracker = folder / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    notes = folder / "@jupyterlab" / "apputils-extension"
    notes.mkdir(parents=True)
    (notes / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return folder
