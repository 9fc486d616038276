"""What instructors and students read after grading, opened in Chromium at a laptop's width.

The instructor report (``python -m autograder report``) of the autograded sample class
and a student's feedback page (``nbgrader generate_feedback``): no console error, every
image loads, nothing wider than the window, no table cell whose text is cut off, and the
feedback shows each check's status without hidden test text.

With ``KIT_DOCS_SCREENSHOTS=1`` (``make screenshots``) the tests also write the pictures
the README shows, ``docs/report.png`` and ``docs/feedback.png``.
"""
import os
import subprocess
import sys

import pytest

from tests.instructor.helpers import KIT_ROOT, leaks_in, probe_names

from .helpers import LAPTOP, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = os.path.join(KIT_ROOT, "docs")
WRITE_DOCS = os.environ.get("KIT_DOCS_SCREENSHOTS") == "1"

LAYOUT = """() => {
  const page = document.documentElement;
  const clipped = [];
  for (const cell of document.querySelectorAll('td, th, h1, h2, h3, p, .card')) {
    if (cell.scrollWidth > cell.clientWidth + 1 && getComputedStyle(cell).overflowX !== 'visible') {
      clipped.push(cell.tagName + ': ' + cell.innerText.slice(0, 80));
    }
  }
  const wide = [...document.querySelectorAll('table, img, pre')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().right) + ' px: '
              + (e.alt || e.innerText || '').slice(0, 60));
  const images = [...document.images].map(i => [i.alt, i.complete, i.naturalWidth]);
  return {scrollWidth: page.scrollWidth, innerWidth: window.innerWidth, clipped, wide, images};
}"""


def check_layout(page, what):
    layout = page.evaluate(LAYOUT)
    broken = [img for img in layout["images"] if not (img[1] and img[2] > 0)]
    assert broken == [], f"{what}: images that did not load (alt, complete, naturalWidth): {broken}"
    assert layout["scrollWidth"] <= layout["innerWidth"], (
        f"{what}: the page is {layout['scrollWidth']} px wide in a {layout['innerWidth']} px window; "
        f"too wide: {layout['wide']}")
    assert layout["wide"] == [], f"{what}: elements past the window's right edge: {layout['wide']}"
    assert layout["clipped"] == [], f"{what}: text cut off in: {layout['clipped']}"
    return layout


def test_the_instructor_report_reads_well_at_a_laptops_width(page, graded_course, tmp_path):
    report = tmp_path / "report.html"
    # as the README says: from the course directory, on its gradebook
    proc = subprocess.run([sys.executable, "-m", "autograder", "report", ".", "-o", str(report)],
                          cwd=graded_course, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    shoot(page, "report")
    assert page.console_errors == [], f"console errors in the report: {page.console_errors}"
    layout = check_layout(page, "the instructor report")
    assert len(layout["images"]) >= 7, f"expected the distributions and six check plots: {layout['images']}"
    text = page.inner_text("body")
    for expected in ("full_marks", "hostile", "timed out", "Most common failure messages"):
        assert expected in text, f"the report does not show {expected!r}"
    if WRITE_DOCS:
        os.makedirs(DOCS, exist_ok=True)
        # the README's copy names the course folder as a reader's own would be, not the temporary one
        page.evaluate("folder => { const sub = document.querySelector('.sub');"
                      " sub.textContent = sub.textContent.replace(folder, 'mycourse'); }", graded_course)
        page.screenshot(path=os.path.join(DOCS, "report.png"),
                        clip={"x": 0, "y": 0, "width": LAPTOP["width"], "height": 900}, full_page=True)


def test_a_students_feedback_shows_every_check_and_no_hidden_test(page, graded_course):
    assignment, student = "ex28_2_dual_numbers", "partly_wrong"
    path = os.path.join(graded_course, "feedback", student, assignment, f"{assignment}.html")
    page.goto("file://" + path)
    page.wait_for_load_state("load")
    shoot(page, f"feedback-{student}-{assignment}")
    assert [e for e in page.console_errors if "ERR_NAME_NOT_RESOLVED" not in e
            and "ERR_INTERNET_DISCONNECTED" not in e] == [], page.console_errors
    check_layout(page, f"the feedback of {student} on {assignment}")
    html, text = page.content(), page.inner_text("body")
    assert "[failed]" in text and "[passed]" in text and "partials_of_f: 0 / 2 points" in text
    assert leaks_in(html, probe_names()) == [], "the feedback shows hidden test text"
    cell = page.locator(".cell", has_text="partials_of_f: 0 / 2 points").last
    cell.scroll_into_view_if_needed()
    shoot(page, f"feedback-{student}-{assignment}-partials", element=cell)
    if WRITE_DOCS:
        os.makedirs(DOCS, exist_ok=True)
        cell.screenshot(path=os.path.join(DOCS, "feedback.png"))
