"""The GitHub workflow template passes actionlint (syntax, expressions, contexts, shell).

GitHub only reports a mistake in a workflow when a student's push runs it; actionlint
finds the same mistakes (a context used where it is not available, a bad expression, a
shellcheck warning in a `run:` script) before the template is handed out.
"""
import os
import shutil
import subprocess
import sys

from .helpers import KIT_ROOT

WORKFLOW = os.path.join(KIT_ROOT, "release", ".github", "workflows", "autograde.yml")


def actionlint():
    """The actionlint executable installed with the kit's test requirements."""
    here = os.path.join(os.path.dirname(sys.executable), "actionlint")
    found = here if os.path.exists(here) else shutil.which("actionlint")
    assert found, ("actionlint is not installed: `make setup` installs it with the test "
                   "requirements of pyproject.toml (pip install -e '.[test]')")
    return found


def test_the_workflow_template_passes_actionlint():
    proc = subprocess.run([actionlint(), "-no-color", WORKFLOW], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"actionlint {WORKFLOW} (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"


def test_actionlint_reports_a_context_used_where_it_is_not_available(tmp_path):
    """The check is live: the mistake the template once had is reported."""
    with open(WORKFLOW, encoding="utf-8") as f:
        text = f.read()
    broken = tmp_path / "autograde.yml"
    broken.write_text(text.replace("\nenv:\n", "\nenv:\n  PLACE: ${{ runner.temp }}/x\n", 1))
    proc = subprocess.run([actionlint(), "-no-color", str(broken)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1 and 'context "runner" is not allowed here' in proc.stdout, proc.stdout
