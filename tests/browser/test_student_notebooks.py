"""Students: each release notebook in JupyterLab, Run All from the menu, as a student would.

As handed out, the given cells run, the first visible test cell shows why it fails (the
stub's NotImplementedError, pointing at the student's function) and the kernel stays
alive.  Filled in with the master solutions, every cell runs without an error output and
every plot is drawn as an image that is not blank.
"""
import json
import shutil
import time

import pytest

from assignments.build import ASSIGNMENTS
from tests.build.conftest import filled, grade_id, read, release_path, source_path

from .helpers import JupyterServer, lab_settings, pixel_spread, shoot

pytestmark = pytest.mark.browser

CELLS = ".jp-Notebook .jp-Cell"
ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
IMAGES = ".jp-RenderedImage img"
RUN_SECONDS = 240      # one notebook's Run All, kernel start included, on a busy machine


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a folder holding a copy of each release notebook, blank and filled in."""
    root = tmp_path_factory.mktemp("student")
    for assignment in ASSIGNMENTS:
        (root / "blank").mkdir(exist_ok=True)
        shutil.copy(release_path(assignment), root / "blank" / f"{assignment}.ipynb")
        (root / "filled").mkdir(exist_ok=True)
        nb = filled(read(release_path(assignment)), read(source_path(assignment)))
        (root / "filled" / f"{assignment}.ipynb").write_text(json.dumps(nb, indent=1))
    server = JupyterServer(root, lab_settings(root / ".settings"), root / "jupyter.log")
    yield server
    server.stop()


def run_all(page, lab, path, shot):
    """Open ``path`` in JupyterLab, Run > Run All Cells, wait until the kernel is done."""
    page.goto(lab.page_url(f"lab/tree/{path}?reset"))   # no tab of an earlier test
    page.wait_for_selector(CELLS, timeout=90_000)
    indicator = page.locator(".jp-Notebook-ExecutionIndicator")
    deadline = time.monotonic() + 90
    while lab.kernel_state(path) != "idle":
        # JupyterLab asks for a kernel when the notebook opens before the kernel list has
        # loaded; a student takes the one offered (the notebook's own, Python 3)
        dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
        if dialog.count():
            shoot(page, shot + "-select-kernel")
            dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
        assert time.monotonic() < deadline, f"{path}: no kernel became idle within 90 s"
        time.sleep(0.3)
    indicator.and_(page.locator("[data-status='idle']")).wait_for(timeout=90_000)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    deadline = time.monotonic() + RUN_SECONDS
    quiet_since = None
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-InputPrompt").all_inner_texts()
        started = any(any(ch.isdigit() for ch in p) for p in prompts)
        busy = any("*" in p for p in prompts) or indicator.get_attribute("data-status") != "idle"
        if started and not busy:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 1.5:
                break
        else:
            quiet_since = None
        time.sleep(0.3)
    else:
        shoot(page, shot)
        raise AssertionError(f"{path}: Run All did not finish within {RUN_SECONDS} s "
                             f"(prompts: {page.locator('.jp-InputPrompt').all_inner_texts()})")
    page.wait_for_timeout(500)          # let the last outputs render
    shoot(page, shot)
    return page.locator(CELLS)


def kernel_status(page):
    return page.locator(".jp-Notebook-ExecutionIndicator").get_attribute("data-status")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_handed_out_notebook_stops_at_its_first_test_with_the_reason(page, lab, assignment):
    nb = read(release_path(assignment))
    cells = run_all(page, lab, f"blank/{assignment}.ipynb", f"student-{assignment}-handed-out")
    assert cells.count() == len(nb.cells), (f"{assignment}: JupyterLab shows {cells.count()} cells, "
                                            f"the notebook has {len(nb.cells)}")
    first_test = next(i for i, c in enumerate(nb.cells) if (grade_id(c) or "").startswith("test_"))
    failing = [i for i in range(len(nb.cells)) if cells.nth(i).locator(ERROR_OUTPUT).count()]
    assert failing and failing[0] == first_test, (
        f"{assignment}: the first cell with an error should be the first test cell "
        f"({grade_id(nb.cells[first_test])}, cell {first_test}); cells with errors: "
        f"{[(i, grade_id(nb.cells[i])) for i in failing]}")
    cell = cells.nth(first_test)
    cell.scroll_into_view_if_needed()
    shoot(page, f"student-{assignment}-first-test", element=cell)
    message = cell.locator(ERROR_OUTPUT).first.inner_text()
    assert "NotImplementedError" in message and "raise NotImplementedError()" in message, (
        f"{assignment}: the first test cell should show the stub's NotImplementedError and "
        f"where it was raised; it shows:\n{message[:2000]}")
    assert kernel_status(page) == "idle", f"{assignment}: kernel is {kernel_status(page)} after Run All"
    assert page.locator(".jp-Dialog").count() == 0, (
        f"{assignment}: a dialog is open after Run All: {page.locator('.jp-Dialog').inner_text()}")
    lab.shut_down_kernels()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_filled_notebook_runs_clean_and_draws_its_plots(page, lab, assignment):
    nb = filled(read(release_path(assignment)), read(source_path(assignment)))
    cells = run_all(page, lab, f"filled/{assignment}.ipynb", f"student-{assignment}-filled")
    assert cells.count() == len(nb.cells)
    errors = {grade_id(nb.cells[i]) or i: cells.nth(i).locator(ERROR_OUTPUT).first.inner_text()[:1500]
              for i in range(len(nb.cells)) if cells.nth(i).locator(ERROR_OUTPUT).count()}
    assert errors == {}, f"{assignment}: cells show errors or warnings for a correct student: {errors}"
    prompts = page.locator(".jp-InputPrompt").all_inner_texts()
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    not_run = [grade_id(nb.cells[i]) or i for i in code_cells
               if not any(ch.isdigit() for ch in cells.nth(i).locator(".jp-InputPrompt").first.inner_text())]
    assert not_run == [], f"{assignment}: cells that did not run: {not_run} (prompts {prompts})"
    plots = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "plt.show()" in c.source]
    for i in plots:
        images = cells.nth(i).locator(IMAGES)
        name = grade_id(nb.cells[i]) or f"cell{i}"
        assert images.count() >= 1, f"{assignment}: {name} shows no image"
        for k in range(images.count()):
            image = images.nth(k)
            image.scroll_into_view_if_needed()
            natural = image.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
            assert natural[0] and natural[1] > 300 and natural[2] > 200, (
                f"{assignment}: {name} image {k} did not load (complete, width, height = {natural})")
            path = shoot(page, f"student-{assignment}-plot-{name}-{k}", element=image)
            with open(path, "rb") as f:
                height, width, spread = pixel_spread(f.read())
            assert spread > 0.05, (f"{assignment}: {name} image {k} looks blank on screen "
                                   f"({width}x{height} px, pixel std {spread:.3f}, expected > 0.05)")
    assert kernel_status(page) == "idle"
    lab.shut_down_kernels()
