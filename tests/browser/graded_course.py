"""Build a course directory and ``nbgrader autograde`` the sample class in it, as the demo does.

``python -m tests.browser.graded_course DIR`` writes ``DIR/course`` (the six assignments,
the four sample students collected into ``submitted/``, all autograded with the kit's
configuration, with their feedback) and ``DIR/done`` (``ok`` or the error).  The formgrader tests start it in
the background when the session starts, so it runs while the student tests drive
JupyterLab.
"""
import os
import subprocess
import sys
import traceback

from autograder import demo


def build(folder):
    course, logs = os.path.join(folder, "course"), os.path.join(folder, "logs")
    os.makedirs(logs, exist_ok=True)
    demo.setup_course(course, logs, release=False)
    demo.collect_examples(course)
    for command in (["autograde", "*", "--force"], ["generate_feedback", "*", "--force"]):
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *command], cwd=course,
                              capture_output=True, text=True, env=demo.nbgrader_env(), timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader {command[0]} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return course


def main(folder):
    try:
        build(folder)
        outcome = "ok"
    except Exception:  # noqa: BLE001 - the waiting test reports whatever went wrong
        outcome = traceback.format_exc()
    with open(os.path.join(folder, "done"), "w", encoding="utf-8") as f:
        f.write(outcome)


if __name__ == "__main__":
    main(sys.argv[1])
