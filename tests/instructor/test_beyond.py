"""Beyond one machine: the Gradescope bundle and the GitHub workflow grade like grade-all."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder import gradescope
from autograder.batch import grade_one

from tests.container import can_simulate, container_argv

from .helpers import KIT_ROOT, example_path, expected

WORKFLOW = os.path.join(KIT_ROOT, "release", ".github", "workflows", "autograde.yml")
# one of each kind; all of them in the slow end-to-end test
CASES = [("full_marks", "ex28_3_manual_backward"), ("partly_wrong", "ex28_2_dual_numbers"),
         ("broken", "ex28_3_manual_backward"), ("broken", "ex28_2_dual_numbers"),
         ("hostile", "ex28_6_op_counting")]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundles")
    return {a: gradescope.build_bundle(a, str(folder / f"{a}.zip")) for a in {a for _, a in CASES}}


def test_the_bundle_holds_the_kit_and_gradescopes_two_scripts(bundles):
    with zipfile.ZipFile(bundles["ex28_2_dual_numbers"]) as zf:
        names = set(zf.namelist())
        mode = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        requirements = zf.read("requirements.txt").decode()
        kit = json.loads(zf.read("kit.json"))
    for name in ("setup.sh", "run_autograder", "requirements.txt", "autograder/grade.py",
                 "autograder/sandbox/__init__.py", "autograder/sandbox/child.py",
                 "autograder/suites/ex28_2_dual_numbers.py", "solutions/engine.py",
                 "source/ex28_2_dual_numbers/ex28_2_dual_numbers.ipynb",
                 "release/ex28_2_dual_numbers/ex28_2_dual_numbers.ipynb"):
        assert name in names
    assert mode["setup.sh"] & 0o111 and mode["run_autograder"] & 0o111
    assert not any("__pycache__" in n or n.startswith("source/ex28_1") for n in names)
    assert kit["assignment"] == "ex28_2_dual_numbers"
    for pin in gradescope.pinned_requirements():
        assert pin in requirements and "==" in pin


def run_bundle(zip_path, root, notebook=None, name=None, extract=True):
    """Lay the bundle and a submission out as Gradescope does, run run_autograder, read results."""
    if extract:
        gradescope.extract_bundle(zip_path, str(root))
    if notebook:
        shutil.copy(notebook, root / "submission" / (name or os.path.basename(notebook)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "PYTHON"))}
    env.update(AUTOGRADER_GRADESCOPE_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    proc = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, env=env,
                          cwd=str(root), timeout=300)
    with open(root / "results" / "results.json") as f:
        return proc, json.load(f)


@pytest.mark.slow
@pytest.mark.parametrize("student,assignment", CASES)
def test_the_bundle_grades_like_grade_all(bundles, tmp_path, student, assignment):
    path = example_path(student, assignment)
    proc, results = run_bundle(bundles[assignment], tmp_path / "autograder", path,
                               name="my submission.ipynb")      # students rename files
    assert proc.returncode == 0, proc.stderr
    row = grade_one(path, assignment, student)
    assert results["score"] == pytest.approx(row["score"], abs=1e-6)
    assert results["score"] == pytest.approx(expected()[(student, assignment)][0], abs=1e-6)
    assert [t["name"] for t in results["tests"]] == [t["name"] for t in row["gradescope"]["tests"]]
    assert [t["status"] for t in results["tests"]] == [t["status"] for t in row["gradescope"]["tests"]]


@pytest.mark.slow
def test_the_bundle_runs_its_own_copy_of_the_kit(bundles, tmp_path):
    """A bundle whose grader is changed grades with the change: it does not use this checkout."""
    root = tmp_path / "autograder"
    gradescope.extract_bundle(bundles["ex28_3_manual_backward"], str(root))
    suite = root / "source" / "autograder" / "suites" / "ex28_3_manual_backward.py"
    suite.write_text(suite.read_text() + "\n\n@pytest.mark.group('graph_edges')\n"
                     "def test_bundle_marker(student, rng):\n    assert False, 'bundle copy'\n")
    proc, results = run_bundle(bundles["ex28_3_manual_backward"], root,
                               example_path("full_marks", "ex28_3_manual_backward"), extract=False)
    assert any("bundle copy" in t["output"] for t in results["tests"])


@pytest.mark.slow
@pytest.mark.skipif(can_simulate() is not None, reason=str(can_simulate()))
def test_the_bundle_hides_its_kit_in_a_container_without_namespaces(bundles, tmp_path):
    """Gradescope's container has no namespaces: a submission importing the master solutions
    from the bundle's own copy of the kit earns nothing, the correct one full marks, and the
    kit, the results and the submission are root's alone."""
    from autograder.sandbox import landlock
    if not landlock.abi_version():
        pytest.skip("the kit is hidden here by Landlock, which this kernel lacks")
    assignment = "ex28_3_manual_backward"
    scores = {}
    for kind in ("steal", "correct"):
        root = tmp_path / kind
        gradescope.extract_bundle(bundles[assignment], str(root))
        notebook = json.loads(open(example_path("full_marks", assignment)).read())
        if kind == "steal":
            for cell in notebook["cells"]:
                if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                    cell["source"] = (f"import sys\nsys.path.insert(0, {str(root / 'source')!r})\n"
                                      "from solutions.manual_backward import *\n")
        (root / "submission" / f"{assignment}.ipynb").write_text(json.dumps(notebook))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "PYTHON"))}
        env.update(AUTOGRADER_GRADESCOPE_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
        proc = subprocess.run(container_argv([str(root / "run_autograder")], str(tmp_path)),
                              capture_output=True, text=True, env=env, cwd=str(root), timeout=300)
        assert proc.returncode == 0, proc.stderr
        with open(root / "results" / "results.json") as f:
            scores[kind] = json.load(f)["score"]
        for folder in ("source", "results", "submission"):
            assert (root / folder).stat().st_mode & 0o777 == 0o700, folder
    assert scores == {"steal": 0, "correct": 12}


@pytest.mark.slow
def test_no_notebook_still_writes_results(bundles, tmp_path):
    proc, results = run_bundle(bundles["ex28_2_dual_numbers"], tmp_path / "autograder")
    assert proc.returncode == 0
    assert results["score"] == 0 and "no .ipynb file was submitted" in results["output"]


# ---- the GitHub workflow ----

def workflow():
    yaml = pytest.importorskip("yaml")
    with open(WORKFLOW) as f:
        return yaml.safe_load(f)


def test_the_workflow_runs_on_push_and_installs_the_kit_from_a_configurable_source():
    wf = workflow()
    assert "push" in wf[True]                                # YAML reads `on:` as True
    assert "vars.AUTOGRADER_KIT_SOURCE" in wf["env"]["KIT_SOURCE"]
    steps = {s.get("name"): s for s in wf["jobs"]["grade"]["steps"]}
    assert "-m autograder grade" in steps["Grade"]["run"]
    # the grader runs as root so that the child can drop to nobody, and fails closed where the
    # sandbox could read the kit or reach the network
    assert "sudo env" in steps["Grade"]["run"]
    assert "AUTOGRADER_REQUIRE_ISOLATION=filesystem,network" in steps["Grade"]["run"]
    assert "chmod -R go-rwx" in steps["Fetch the grader"]["run"]
    assert "GITHUB_STEP_SUMMARY" in steps["Score"]["run"] and steps["Score"]["if"] == "always()"
    assert "-m autograder.gradescope requirements" in steps["Install the grader's requirements"]["run"]


def run_workflow_steps(repo, kit_source, tmp_path, names=("Fetch the grader", "Grade", "Score")):
    """Run the workflow's shell steps as a GitHub runner would (env, GITHUB_ENV, summary file)."""
    wf = workflow()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "PYTHON"))}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    for key, value in wf["env"].items():
        env[key] = str(value)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    # A runner has passwordless sudo; these tests already run as root, or skip.
    if os.geteuid() != 0:
        pytest.skip("the workflow's steps use sudo: run as root to run them here")
    (runner_temp / "bin").mkdir()
    (runner_temp / "bin" / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (runner_temp / "bin" / "sudo").chmod(0o755)
    env["PATH"] = str(runner_temp / "bin") + os.pathsep + env["PATH"]
    env.update(KIT_SOURCE=str(kit_source), KIT_TOKEN="", KIT_DIR=str(runner_temp / "autograder-kit"),
               RUNNER_TEMP=str(runner_temp), GITHUB_ENV=str(runner_temp / "env"),
               GITHUB_STEP_SUMMARY=str(runner_temp / "step_summary.md"))
    (runner_temp / "env").write_text("")
    steps = {s.get("name"): s for s in wf["jobs"]["grade"]["steps"]}
    for name in names:
        for line in (runner_temp / "env").read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        proc = subprocess.run(["bash", "-e", "-c", steps[name]["run"]], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"step {name!r} failed:\n{proc.stdout}\n{proc.stderr}"
    return (runner_temp / "step_summary.md").read_text()


@pytest.mark.slow
def test_the_workflow_grades_like_grade_all_from_a_bundle_zip(bundles, tmp_path):
    """A student repository with one notebook at the top, the kit from a Gradescope bundle."""
    student, assignment = "partly_wrong", "ex28_2_dual_numbers"
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(example_path(student, assignment), repo / f"{assignment}.ipynb")
    summary = run_workflow_steps(repo, bundles[assignment], tmp_path)
    results = json.loads((repo / "autograder-results" / f"{assignment}.json").read_text())
    row = grade_one(example_path(student, assignment), assignment, student)
    assert results["score"] == pytest.approx(row["score"], abs=1e-6)
    assert (repo / "autograder-results" / f"{assignment}.xml").exists()
    assert f"## Autograder: {row['score']:g} / 12 automatic points" in summary
    assert "| partials_of_f:" in summary


@pytest.mark.slow
def test_the_workflow_grades_a_whole_release_folder_from_a_kit_checkout(tmp_path):
    """All six notebooks in their assignment folders; the kit from a checkout (a directory)."""
    repo = tmp_path / "repo"
    cases = {a: s for s, a in [("full_marks", "ex28_1_sigmoid"), ("broken", "ex28_2_dual_numbers"),
                               ("partly_wrong", "ex28_3_manual_backward"),
                               ("hostile", "ex28_4_checkpointing"),
                               ("partly_wrong", "ex28_5_deeper_mlp"), ("broken", "ex28_6_op_counting")]}
    for assignment, student in cases.items():
        (repo / assignment).mkdir(parents=True)
        shutil.copy(example_path(student, assignment), repo / assignment / f"{assignment}.ipynb")
    kit = tmp_path / "kit"
    for part in ("autograder", "solutions", "source", "release"):
        shutil.copytree(os.path.join(KIT_ROOT, part), kit / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(KIT_ROOT, "pyproject.toml"), kit / "pyproject.toml")
    summary = run_workflow_steps(repo, kit, tmp_path)
    want = expected()
    total = 0.0
    for assignment, student in cases.items():
        results = json.loads((repo / "autograder-results" / f"{assignment}.json").read_text())
        assert results["score"] == pytest.approx(want[(student, assignment)][0], abs=1e-6), assignment
        total += results["score"]
    assert summary.startswith(f"## Autograder: {round(total, 6):g} / ")


def test_summary_renders_results_files(tmp_path):
    data = {"score": 3.5, "output": "ex28_1_sigmoid: 3.5 / 12 automatic points (graded)\nnote: x",
            "tests": [{"name": "a: one | two", "score": 3.5, "max_score": 4, "status": "failed",
                       "output": "failed: wrong\nsecond line"},
                      {"name": "b: three", "score": 0, "max_score": 8, "status": "passed", "output": ""}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    text = gradescope.markdown_summary([str(path), str(tmp_path / "missing.json")])
    assert text.startswith("## Autograder: 3.5 / 12 automatic points")
    assert "### ex28_1_sigmoid: 3.5 / 12" in text and "a: one \\| two" in text
    assert "no results" in text
