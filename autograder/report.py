"""A submission's grade, and the forms it is written in: a table, Gradescope JSON, JUnit XML.

Files are written atomically (a temporary file in the same folder, then renamed
over the target): a grader killed mid-write, or a second write that fails,
never leaves a truncated results file or destroys the previous one; and a file
someone else created at that path beforehand is replaced, not written through.
Text that cannot appear in XML 1.0 (control characters, lone surrogates) is
escaped in the JUnit form, whoever built the report.
"""
import json
import os
import re
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text):
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def write_atomically(path, text):
    """Write ``text`` (UTF-8) to ``path`` through a temporary file renamed over it.

    A path that is a symbolic link or not a regular file (/dev/stdout, a pipe) is written
    through, as before: renaming over it would replace the link or the device node.
    """
    if os.path.islink(path) or os.path.exists(path) and not os.path.isfile(path):
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(text)
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path)[-40:], dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@dataclass
class CheckResult:
    """One hidden check with the points it carries."""

    group: str
    name: str
    title: str
    status: str
    message: str
    score: float
    max_score: float

    @property
    def passed(self):
        return self.status == "passed"


@dataclass
class GradeReport:
    """Everything the grader decided about one submission."""

    submission: str
    assignment: str | None
    status: str = "graded"          # graded, unreadable notebook, grader error
    message: str = ""
    checks: list = field(default_factory=list)
    manual_points: dict = field(default_factory=dict)   # answers left to a person
    notes: list = field(default_factory=list)           # e.g. cells that raised
    seed: int | None = None
    seconds: float = 0.0

    @property
    def score(self):
        return round(sum(c.score for c in self.checks), 6)

    @property
    def max_score(self):
        return round(sum(c.max_score for c in self.checks), 6)

    def to_dict(self):
        data = asdict(self)
        data.update(score=self.score, max_score=self.max_score)
        return data

    # ---- Gradescope ----

    def to_gradescope(self):
        """Gradescope's results.json: score, tests (name, score, max_score, status, output, visibility)."""
        tests = [{"name": f"{c.group}: {c.title}",
                  "score": round(c.score, 6), "max_score": round(c.max_score, 6),
                  "status": "passed" if c.passed else "failed",
                  "output": c.status if c.passed else f"{c.status}: {c.message}",
                  "visibility": "visible"} for c in self.checks]
        summary = [f"{self.assignment or 'unknown assignment'}: {self.score:g} / {self.max_score:g} "
                   f"automatic points ({self.status})"]
        if self.message:
            summary.append(self.message)
        summary += self.notes
        if self.manual_points:
            summary.append("Graded by a person later: " + ", ".join(
                f"{k} ({v:g} points)" for k, v in self.manual_points.items()))
        return {"score": self.score, "output": "\n".join(summary), "visibility": "visible",
                "execution_time": round(self.seconds, 3), "tests": tests}

    def write_gradescope(self, path):
        write_atomically(path, json.dumps(self.to_gradescope(), indent=2) + "\n")

    # ---- JUnit ----

    def to_junit(self):
        """JUnit XML, one testcase per check, for CI systems that show test reports."""
        suite = ET.Element("testsuite", name=_xml_text(self.assignment or "submission"),
                           tests=str(len(self.checks)),
                           failures=str(sum(not c.passed for c in self.checks)),
                           time=f"{self.seconds:.3f}")
        for c in self.checks:
            case = ET.SubElement(suite, "testcase", classname=_xml_text(f"{self.assignment}.{c.group}"),
                                 name=_xml_text(c.title))
            if not c.passed:
                failure = ET.SubElement(case, "failure", message=_xml_text(c.status),
                                        type=_xml_text(c.status))
                failure.text = _xml_text(c.message)
        if self.status != "graded":
            ET.SubElement(suite, "system-err").text = _xml_text(f"{self.status}: {self.message}")
        return ET.tostring(suite, encoding="unicode")

    def write_junit(self, path):
        write_atomically(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + self.to_junit() + "\n")

    # ---- text ----

    def table(self, width=100):
        """What a person reads in a terminal: each point group with its checks and messages."""
        lines = [f"{self.assignment or '?'}  {self.submission}",
                 f"score {self.score:g} / {self.max_score:g}   ({self.status})"]
        if self.message:
            lines += textwrap.wrap(self.message, width)
        lines += [f"note: {n}" for n in self.notes]
        groups = {}
        for c in self.checks:
            groups.setdefault(c.group, []).append(c)
        for group, checks in groups.items():
            got, out_of = sum(c.score for c in checks), sum(c.max_score for c in checks)
            lines.append("")
            lines.append(f"{group:<{width - 16}} {got:>6.2f} / {out_of:g}")
            for c in checks:
                lines.append(f"  {c.status:<16} {c.title}")
                if not c.passed and c.message:
                    for para in c.message.splitlines()[:12]:
                        lines += textwrap.wrap(para, width - 8, initial_indent="        ",
                                               subsequent_indent="        ") or [""]
        if self.manual_points:
            lines.append("")
            lines.append("graded by a person: " + ", ".join(
                f"{k} ({v:g} pts)" for k, v in self.manual_points.items()))
        return "\n".join(lines)
