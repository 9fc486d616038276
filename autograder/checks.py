"""Strict checks of values that came back from student code, with teaching messages.

Each check raises `WrongType` when the type is wrong (a bool, a float subclass, a
Value, NaN ...) and AssertionError when the value is wrong; the message names
what was checked, the inputs, what was expected and what came back.  Tolerances
are those of EXERCISES.md.
"""
import math

from .sandbox.child import Opaque
from .errors import NotImplementedYet, WrongType

REL, ABS = 1e-9, 1e-12          # against the reference solution
FD_REL, FD_ABS = 1e-6, 1e-7     # against finite differences


def _show(value):
    if type(value) is float:
        return repr(value)
    if isinstance(value, Opaque):
        return f"a {value.type_name} object"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + " ..."


def _where(inputs):
    return f" for {inputs}" if inputs else ""


def stub_raised(exception, what, inputs=""):
    """Raise `NotImplementedYet` when a probe caught the stub's own NotImplementedError.

    Probes that test which exceptions a student's code raises catch them and send
    back their type name (or "Type: message"); a stub left as handed out must then
    read "not implemented", as it does where a check calls it directly, not "failed".
    """
    if type(exception) is str and exception.split(":", 1)[0] == "NotImplementedError":
        raise NotImplementedYet(f"{what}{_where(inputs)}: not implemented yet "
                                "(the stub still raises NotImplementedError)")


def number(got, what, inputs=""):
    """``got`` is an int or a float (never a bool, never a subclass) and finite."""
    if type(got) not in (int, float):
        kind = got.type_name if isinstance(got, Opaque) else type(got).__name__
        raise WrongType(f"{what}{_where(inputs)}: expected a number (int or float), "
                        f"got {kind}: {_show(got)}")
    if not math.isfinite(got):
        raise WrongType(f"{what}{_where(inputs)}: expected a finite number, got {got!r}")
    return float(got)


def close(got, expected, what, inputs="", rel=REL, abs_=ABS):
    """``got`` is a number within the tolerance of ``expected``."""
    value = number(got, what, inputs)
    if not math.isclose(value, expected, rel_tol=rel, abs_tol=abs_):
        raise AssertionError(f"{what}{_where(inputs)}: expected {expected!r}, got {value!r}")
    return value


def sequence(got, n, what, inputs=""):
    """A list (or tuple) of ``n`` items of any kind."""
    if type(got) not in (list, tuple):
        raise WrongType(f"{what}{_where(inputs)}: expected a list of {n} items, got {_show(got)}")
    if len(got) != n:
        raise AssertionError(f"{what}{_where(inputs)}: expected {n} items, got {len(got)}")
    return got


def numbers(got, n, what, inputs=""):
    """A list (or tuple) of ``n`` numbers; returns them as floats."""
    if type(got) not in (list, tuple):
        raise WrongType(f"{what}{_where(inputs)}: expected a list of {n} numbers, got {_show(got)}")
    if len(got) != n:
        raise AssertionError(f"{what}{_where(inputs)}: expected {n} numbers, got {len(got)}: "
                             f"{_show(got)}")
    return [number(v, f"{what}[{i}]", inputs) for i, v in enumerate(got)]


def all_close(got, expected, what, inputs="", rel=REL, abs_=ABS):
    """A list of numbers, each within the tolerance of ``expected``'s."""
    values = numbers(got, len(expected), what, inputs)
    for i, (g, e) in enumerate(zip(values, expected)):
        close(g, e, f"{what}[{i}]", inputs, rel, abs_)
    return values


def keyed_numbers(got, keys, what, inputs=""):
    """A dict with exactly ``keys``, each value a number."""
    if type(got) is not dict:
        raise WrongType(f"{what}{_where(inputs)}: expected a dict, got {_show(got)}")
    if set(got) != set(keys):
        missing = sorted(set(keys) - set(got), key=str)
        extra = sorted(set(got) - set(keys), key=str)
        raise AssertionError(f"{what}{_where(inputs)}: expected exactly the keys {list(keys)}"
                             + (f"; missing {missing}" if missing else "")
                             + (f"; unexpected {extra}" if extra else ""))
    return {k: number(got[k], f"{what}[{k!r}]", inputs) for k in keys}


def keyed_close(got, expected, what, inputs="", rel=REL, abs_=ABS):
    """A dict with exactly ``expected``'s keys, each value close to the expected one."""
    values = keyed_numbers(got, list(expected), what, inputs)
    for k, e in expected.items():
        close(values[k], e, f"{what}[{k!r}]", inputs, rel, abs_)
    return values


def integer(got, what, inputs=""):
    """An int (never a bool)."""
    if type(got) is not int:
        raise WrongType(f"{what}{_where(inputs)}: expected an int, got {_show(got)}")
    return got


def equal(got, expected, what, inputs=""):
    """Exact equality of plain data, for counts, names and structures."""
    if type(got) is not type(expected) and not (
            isinstance(expected, (list, tuple)) and type(got) in (list, tuple)):
        raise WrongType(f"{what}{_where(inputs)}: expected {type(expected).__name__}, "
                        f"got {_show(got)}")
    if got != expected and not (isinstance(expected, (list, tuple)) and list(got) == list(expected)):
        raise AssertionError(f"{what}{_where(inputs)}: expected {_show(expected)}, got {_show(got)}")
    return got


def floating(got, what, inputs=""):
    """``got`` is a float (not an int, a bool or a subclass) and finite."""
    if type(got) is not float:
        kind = got.type_name if isinstance(got, Opaque) else type(got).__name__
        raise WrongType(f"{what}{_where(inputs)}: expected a float, got {kind}: {_show(got)}")
    if not math.isfinite(got):
        raise WrongType(f"{what}{_where(inputs)}: expected a finite number, got {got!r}")
    return got


def float_close(got, expected, what, inputs="", rel=REL, abs_=ABS):
    """``got`` is a float (strictly) within the tolerance of ``expected``."""
    floating(got, what, inputs)
    return close(got, expected, what, inputs, rel, abs_)


def named(got, names):
    """``got`` with each `Opaque` renamed after the type name a probe reported for it.

    ``names`` mirrors ``got``: a type name (str) for a single value, a list for a
    list or tuple, a dict for a dict.  Probes report names because the wire format
    may not carry a useful one; anything that does not line up is left as it is.
    """
    if isinstance(got, Opaque):
        return Opaque(names) if type(names) is str and 0 < len(names) <= 80 else got
    if type(got) in (list, tuple) and type(names) is list and len(names) == len(got):
        return type(got)(named(g, n) for g, n in zip(got, names))
    if type(got) is dict and type(names) is dict:
        return {k: named(v, names.get(k)) for k, v in got.items()}
    return got
