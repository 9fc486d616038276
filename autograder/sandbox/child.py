"""The child side of the grading boundary: runs a submission's code, answers requests.

This file is run as a script, in a fresh process, by the sandbox (``python -I -S
child.py REQUEST_FD REPLY_FD``) and must therefore need nothing but the standard
library.  It is also imported by the trusted parent for the wire format, so
that both sides speak exactly the same one.

Protocol: one JSON object per line.  The first request is ``setup`` (the program's
cells and the module search path); the reply lists the cells that raised.  While
the cells run, the child writes progress lines ``{"id": ..., "progress": n}``
(n cells finished; 0 before the first one starts) so that the parent knows which
cell was running if the setup never finishes.  Then
each request is a ``call`` of a function the student defined, or a ``probe``: a
small trusted function shipped as source that drives the student's classes and
returns plain data.  Every reply carries the request's id, and either a
``value`` or an ``error``.

Only plain data crosses: None, bool, int, float, str, list, and tagged forms for
tuple, set and dict.  Anything else (a float subclass, a Value, a numpy scalar)
crosses as ``{"$object": type name}``, so the parent sees exactly what type came
back and can refuse it.  Nothing here decides a grade.
"""
import builtins
import json
import linecache
import os
import sys
import traceback

# References taken before any student code runs: student code may patch the
# builtins module, but not these names in this module's globals.
_type, _len, _str, _isinstance, _repr = type, len, str, isinstance, repr
_list, _tuple, _dict, _set, _frozenset = list, tuple, dict, set, frozenset
_BaseException, _Exception = BaseException, Exception
_dumps, _loads = json.dumps, json.loads
_write = os.write
_BUILTINS_SNAPSHOT = dict(builtins.__dict__)

MAX_ITEMS = 100_000
MAX_DEPTH = 32
MAX_MESSAGE = 2_000
MAX_TRACEBACK_FRAMES = 12
MAX_TYPE_NAME = 200


class _TooLarge(Exception):
    pass


def encode(value, _depth=0, _budget=None):
    """Turn ``value`` into JSON-able plain data, tagging what JSON cannot say."""
    if _budget is None:
        _budget = [MAX_ITEMS]
    _budget[0] -= 1
    if _budget[0] < 0 or _depth > MAX_DEPTH:
        raise _TooLarge("the value is too large or too deeply nested to send")
    t = _type(value)
    if value is None or t is bool or t is str or t is float:
        return value
    if t is int:
        if -(10 ** 300) < value < 10 ** 300:
            return value
        return {"$object": "int (too large)"}
    if t is list:
        return [encode(v, _depth + 1, _budget) for v in value]
    if t is tuple:
        return {"$tuple": [encode(v, _depth + 1, _budget) for v in value]}
    if t is set or t is frozenset:
        return {"$set": [encode(v, _depth + 1, _budget) for v in value]}
    if t is dict:
        return {"$dict": [[encode(k, _depth + 1, _budget), encode(v, _depth + 1, _budget)]
                          for k, v in value.items()]}
    return {"$object": _type_name(value)}


_qualname = type.__dict__["__qualname__"].__get__


def _type_name(value):
    """The name of ``value``'s class, read past any metaclass trickery."""
    try:
        name = _qualname(_type(value))
    except _BaseException:
        return "object"
    return name if _type(name) is str else "object"


class Opaque:
    """A value that could not cross as plain data; only its type's name did."""

    __slots__ = ("type_name",)

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object>"

    def __eq__(self, other):
        return _isinstance(other, Opaque) and other.type_name == self.type_name

    def __hash__(self):
        return hash(("Opaque", self.type_name))


def decode(data):
    """The inverse of `encode`: plain Python values, `Opaque` for the rest."""
    t = _type(data)
    if t is list:
        return [decode(v) for v in data]
    if t is dict:
        if "$tuple" in data:
            return tuple(decode(v) for v in data["$tuple"])
        if "$set" in data:
            items = [decode(v) for v in data["$set"]]
            try:
                return set(items)
            except TypeError:
                return Opaque("set")
        if "$dict" in data:
            try:
                return {decode(k): decode(v) for k, v in data["$dict"]}
            except TypeError:
                return Opaque("dict")
        if "$object" in data:     # a forged reply may carry any text here: keep a name's length
            return Opaque(_str(data["$object"])[:MAX_TYPE_NAME])
        return Opaque("dict")
    return data


class _MissingName(Exception):
    """A probe asked for a name the student's code did not define."""


class Names:
    """The student's namespace as probes see it: a missing name is reported as such."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getitem__(self, name):
        try:
            return self._namespace[name]
        except KeyError:
            raise _MissingName(name) from None

    def __contains__(self, name):
        return name in self._namespace

    def __setitem__(self, name, value):
        """Rebind a name, for a probe that measures the student's code with a class
        of its own (and binds the student's back when it is done)."""
        self._namespace[name] = value


def _safe_text(exc):
    try:
        text = _str(exc)
    except _BaseException:
        text = "(the exception's message could not be shown)"
    return text if _len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " ..."


def _student_traceback(exc):
    """The traceback with only the notebook's own frames (never the checks')."""
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename.startswith(("<cell", "<given"))]
        omitted = _len(frames) - MAX_TRACEBACK_FRAMES
        frames = frames[-MAX_TRACEBACK_FRAMES:]
        lines = ["Traceback (most recent call last):\n"]
        if omitted > 0:
            lines.append(f"  ... {omitted} earlier frames omitted ...\n")
        lines += traceback.format_list(frames)
        lines.append(f"{_type(exc).__name__}: {_safe_text(exc)}")
        return "".join(lines)
    except _BaseException:
        return f"{_type(exc).__name__}: {_safe_text(exc)}"


def describe_error(exc):
    """Plain data describing an exception raised by (or through) student code."""
    if _isinstance(exc, _MissingName):
        return {"kind": "missing", "type": "NameError", "name": _safe_text(exc),
                "message": f"name {_safe_text(exc)!r} is not defined", "traceback": ""}
    if _isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    elif _isinstance(exc, MemoryError):
        kind = "memory"
    elif _isinstance(exc, _TooLarge):
        kind = "too_large"
    else:
        kind = "exception"
    return {"kind": kind, "type": _type(exc).__name__, "message": _safe_text(exc),
            "traceback": _student_traceback(exc)}


class Runner:
    """Executes a program's cells in one namespace and answers requests about it."""

    def __init__(self, namespace=None):
        self.namespace = {"__name__": "__main__"} if namespace is None else namespace
        self._names = Names(self.namespace)
        self._probes = {}

    def run_cells(self, cells, progress=None):
        """Run each cell; a cell that raises is recorded and the next one runs.

        ``progress(n)``, if given, is called before the first cell (n = 0) and
        after each cell (n cells finished so far).
        """
        errors = []
        if progress is not None:
            progress(0)
        for done, cell in enumerate(cells, 1):
            filename = f"<{'cell' if cell['student'] else 'given'} {cell['name']}>"
            source = cell["source"]
            linecache.cache[filename] = (_len(source), None, source.splitlines(True), filename)
            try:
                exec(compile(source, filename, "exec"), self.namespace)
            except _BaseException as exc:  # SystemExit and KeyboardInterrupt too
                errors.append({"cell": cell["name"], "error": describe_error(exc)})
            if progress is not None:
                progress(done)
        return errors

    def _probe(self, function, source):
        key = (function, source)
        if key not in self._probes:
            scope = {"__builtins__": _BUILTINS_SNAPSHOT, "__name__": "check"}
            exec(compile(source, "<check>", "exec"), scope)
            self._probes[key] = scope[function]
        return self._probes[key]

    def handle(self, request):
        """Answer one request with plain data; never raises."""
        reply = {"id": request.get("id")}
        try:
            op = request["op"]
            args = [decode(a) for a in request.get("args", [])]
            if op == "setup":
                reply["value"] = self.run_cells(request["cells"])
                return reply
            if op == "call":
                target = self._names[request["name"]]
                result = target(*args)
            elif op == "probe":
                result = self._probe(request["function"], request["source"])(self._names, *args)
            else:
                raise ValueError(f"unknown request {op!r}")
            reply["value"] = encode(result)
        except _BaseException as exc:
            reply.pop("value", None)
            reply["error"] = describe_error(exc)
        return reply


def _write_line(fd, data):
    view = memoryview(data)
    while view:
        view = view[_write(fd, view):]


def serve(request_fd, reply_fd):
    """The child's main loop: read a request line, write a reply line, until EOF."""
    requests = os.fdopen(request_fd, "rb", buffering=0)
    runner = Runner()
    buffer = bytearray()
    while True:
        newline = buffer.find(b"\n")
        while newline < 0:              # read on, searching only what is new (large setups)
            start = _len(buffer)
            chunk = requests.read(1 << 20)
            if not chunk:
                return
            buffer += chunk
            newline = buffer.find(b"\n", start)
        line = bytes(buffer[:newline])
        del buffer[:newline + 1]
        request = _loads(line)
        if request.get("op") == "setup":
            sys.path[:] = request.get("sys_path", sys.path)
            reply = _setup(runner, request, reply_fd)
        else:
            reply = runner.handle(request)
        try:
            data = _dumps(reply).encode() + b"\n"
        except _BaseException as exc:
            data = _dumps({"id": reply.get("id"), "error": describe_error(exc)}).encode() + b"\n"
        _write_line(reply_fd, data)


def _setup(runner, request, reply_fd):
    """Run the setup request's cells, writing a progress line before and after each."""
    request_id = request.get("id")

    def progress(done):
        try:
            _write_line(reply_fd, _dumps({"id": request_id, "progress": done}).encode() + b"\n")
        except _BaseException:  # the student's code may have closed or replaced the fd
            pass

    try:
        return {"id": request_id, "value": runner.run_cells(request["cells"], progress)}
    except _BaseException as exc:
        return {"id": request_id, "error": describe_error(exc)}


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
