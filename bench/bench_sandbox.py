"""What the confinement layers cost at start-up, side by side in one run.

A child is started, runs an empty program and answers one call, in each isolation
level this machine gives (`autograder.sandbox.levels`): the same start with no
layer at all is the baseline, and each row adds its layers on top.  Rounds are
interleaved (one start of each level per round), so a busy machine slows every
level alike; the figures are medians over BENCH_SANDBOX_ROUNDS rounds (default 25).
Target: Landlock and seccomp together add less than 50 ms to a start.
"""
import os
import statistics
import time

from autograder.sandbox import Limits, SandboxedStudent, detect, landlock, seccomp

LEVELS = {
    "nothing (baseline)": {"namespaces", "landlock", "seccomp"},
    "seccomp": {"namespaces", "landlock"},
    "Landlock + seccomp": {"namespaces"},
    "namespaces + Landlock + seccomp": set(),
}
CELLS = [{"name": "c0", "student": True, "source": "def ping():\n    return 1\n"}]


def _start_once(iso):
    started = time.perf_counter()
    with SandboxedStudent(CELLS, Limits(setup_seconds=20, call_seconds=20), isolation=iso) as student:
        if student.call("ping") != 1:
            raise RuntimeError("the sandbox answered wrong")
    return time.perf_counter() - started


def run():
    rounds = int(os.environ.get("BENCH_SANDBOX_ROUNDS", "25"))
    available = {}
    for name, disable in LEVELS.items():
        try:
            iso = detect(disable=disable)
        except Exception as exc:  # noqa: BLE001 - a level this machine lacks is reported, not fatal
            print(f"{name}: not available here ({exc})")
            continue
        if {"landlock", "seccomp"} - disable - set(iso.layers):
            print(f"{name}: not available here ({iso.describe()})")
            continue
        available[name] = iso
    times = {name: [] for name in available}
    for _ in range(rounds):
        for name, iso in available.items():
            times[name].append(_start_once(iso))
    print(f"child start + setup + one call, median of {rounds} interleaved rounds "
          f"(Landlock ABI {landlock.abi_version()}, seccomp {'yes' if seccomp.supported() else 'no'})")
    base = statistics.median(times["nothing (baseline)"]) if "nothing (baseline)" in times else None
    print(f"{'level':<34}{'median':>10}{'extra':>10}{'ratio':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        extra = f"{(median - base) * 1e3:+.1f} ms" if base is not None else "-"
        ratio = f"{median / base:.2f}x" if base else "-"
        print(f"{name:<34}{median * 1e3:>8.1f} ms{extra:>10}{ratio:>8}")
    if base is not None and "Landlock + seccomp" in times:
        extra = statistics.median(times["Landlock + seccomp"]) - base
        print(f"Landlock + seccomp add {extra * 1e3:.1f} ms to a start "
              f"(target: under 50 ms): {'met' if extra < 0.05 else 'NOT MET'}")
