"""The confinement layers a child applies to itself, as the bootstrap receives them.

Each layer is a module of the standard library's means only (`landlock`, `seccomp`)
whose compiled code is sent to the child, with the function to call, its options and
the key of its answer that says the layer is in force: the bootstrap runs them after dropping privileges and before it
execs the child's Python, so no student code ever runs unconfined.
"""
import functools

from . import landlock, seccomp
from .bootstrap import layer_code
from .paths import landlock_read_paths


@functools.lru_cache(maxsize=None)
def _code(module):
    return layer_code(module)


def layers(iso, cwd, hide):
    """[(name, {"code", "call", "in_force", "options"})] for a child of ``iso`` in ``cwd``.

    Seccomp goes first: installing it reads /proc/self, which Landlock then closes.
    """
    out = []
    if iso.seccomp:
        # Where Landlock scopes signals (ABI 6+), the filter leaves them alone: a child may
        # then stop one of its own subprocesses, which the filter's pid rules cannot allow.
        out.append(("seccomp", {"code": _code(seccomp), "call": "install",
                                "in_force": "seccomp",
                                "options": {"confine_signals": iso.landlock < 6}}))
    if iso.landlock:
        out.append(("landlock", {"code": _code(landlock), "call": "restrict",
                                 "in_force": "filesystem", "options": {
                                     "read_paths": list(landlock_read_paths(tuple(hide))),
                                     "write_paths": [cwd]}}))
    return out
