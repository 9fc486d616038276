"""Similarity report speed: a class of 200 students x 6 assignments in under a minute on 2 cores.

A synthetic class (BENCH_SIMILARITY_STUDENTS students, default 200, each handing in all
six assignments) is written as nbgrader's ``submitted/`` layout: every student's code is
one of the grader corpus's correct-but-different solutions of the assignment, put in the
release notebook's first solution cell, with the local variables renamed, the top-level
definitions shuffled and comments of their own.  With a handful of styles per assignment,
about a fifth of all pairs are disguised copies: far more flagged pairs than a real
class, so this is the expensive case (every flagged pair is scored in full, and the
highest of each assignment laid out side by side).

Timed: ``python -m autograder similarity submitted/ --jobs 2 --csv pairs.csv -o
similarity.html`` as an instructor types it (the interpreter's start-up and reading
every notebook included); median of BENCH_SIMILARITY_REPEATS runs (default 3).
"""
import ast
import copy
import importlib
import io
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize

KIT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_SECONDS = 60.0


def styles(assignment):
    """The grader corpus's correct solutions of ``assignment`` ({name: code})."""
    if KIT_ROOT not in sys.path:
        sys.path.insert(0, KIT_ROOT)
    return dict(importlib.import_module(f"tests.grader.corpus.{assignment}").RIGHT)


def vary(code, rng):
    """``code`` with its local variables renamed, top-level definitions shuffled, new comments."""
    tree = ast.parse(code)
    top = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    local = {node.id for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
             for node in ast.walk(fn) if isinstance(node, ast.Name)
             and isinstance(node.ctx, ast.Store)} - top - {"self"}
    names = {name: f"{name}{rng.choice('abcdefgh')}{rng.randrange(100)}" for name in local}
    out, depth, previous = [], 0, None
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    for i, tok in enumerate(tokens):
        text = tok.string
        if tok.type == tokenize.OP:
            depth += text in "([{"
            depth -= text in ")]}"
        keyword = depth > 0 and i + 1 < len(tokens) and tokens[i + 1].string == "="
        if tok.type == tokenize.NAME and text in names and previous != "." and not keyword:
            text = names[text]
        elif tok.type == tokenize.COMMENT:
            text = f"# note {rng.randrange(1000)}"
        out.append(tok._replace(string=text))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok.string
    chunks = [c for c in re.split(r"(?m)^(?=def |class )", tokenize.untokenize(out)) if c.strip()]
    head = [] if re.match(r"(def|class) ", chunks[0]) else [chunks.pop(0)]
    rng.shuffle(chunks)
    return "\n\n".join(head + chunks)


def write_class(root, students, seed=28):
    """``students`` x six assignments under ``root/<student>/<assignment>/``; returns the count."""
    from autograder import submission
    from autograder.suites import ASSIGNMENTS
    rng = random.Random(seed)
    count = 0
    for assignment in ASSIGNMENTS:
        release = submission.trusted_notebook(assignment, "release")
        options = list(styles(assignment).values())
        for i in range(students):
            nb = copy.deepcopy(release)
            first = next(c for c in nb["cells"]
                         if submission.is_solution(c) and c["cell_type"] == "code")
            first["source"] = vary(rng.choice(options), rng)
            folder = os.path.join(root, f"student{i:03d}", assignment)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"{assignment}.ipynb"), "w", encoding="utf-8") as f:
                json.dump(nb, f)
            count += 1
    return count


def run():
    students = int(os.environ.get("BENCH_SIMILARITY_STUDENTS", "200"))
    repeats = int(os.environ.get("BENCH_SIMILARITY_REPEATS", "3"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        root = os.path.join(tmp, "submitted")
        n = write_class(root, students)
        cmd = [sys.executable, "-m", "autograder", "similarity", root, "--jobs", "2",
               "--csv", os.path.join(tmp, "pairs.csv"), "-o", os.path.join(tmp, "similarity.html")]
        seconds, cpu = [], []
        for _ in range(repeats):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            proc = subprocess.run(cmd, cwd=KIT_ROOT, capture_output=True, text=True)
            seconds.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        with open(os.path.join(tmp, "pairs.csv"), encoding="utf-8") as f:
            rows = f.read().splitlines()[1:]
        flagged = sum(r.endswith(",true") for r in rows)
        size = os.path.getsize(os.path.join(tmp, "similarity.html"))
    wall, work = statistics.median(seconds), statistics.median(cpu)
    print(f"{os.cpu_count()} cores, load average {load:.1f} at the start (on a busy machine the "
          "wall time grows; the CPU time does not)")
    print(f"similarity of {students} students x 6 assignments ({n} notebooks, {len(rows)} pairs, "
          f"{flagged} flagged), `similarity --jobs 2 --csv -o`, median of {repeats}:")
    print(f"    wall {wall:.1f} s ({', '.join(f'{s:.1f}' for s in seconds)}); CPU {work:.1f} s "
          f"(all processes), {work / 2:.1f} s per core on 2; page {size / 2**20:.1f} MiB")
    print(f"    target: under {TARGET_SECONDS:g} s on 2 cores: wall {_mark(wall < TARGET_SECONDS)}, "
          f"CPU per core {_mark(work / 2 < TARGET_SECONDS)}")


def _mark(ok):
    return "ok" if ok else "MISSED"


if __name__ == "__main__":
    run()
