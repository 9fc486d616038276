"""Run the benchmarks: every module ``bench/bench_*.py`` exposes ``run()``, which prints its
own table.

    python -m bench            run them all, in name order
    python -m bench engine     run only those whose name contains "engine"
"""
import importlib
import pkgutil
import sys

import bench


def modules(selected=()):
    """The benchmark modules' names, sorted; only those matching a selection if one is given."""
    names = sorted(info.name for info in pkgutil.iter_modules(bench.__path__)
                   if info.name.startswith("bench_"))
    return [n for n in names if not selected or any(s in n for s in selected)]


def main(argv):
    names = modules(argv)
    if not names:
        print(f"no benchmark module matches {argv!r}", file=sys.stderr)
        return 2
    for i, name in enumerate(names):
        if i:
            print()
        print(f"== {name} ==")
        importlib.import_module(f"bench.{name}").run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
