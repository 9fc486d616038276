"""Take code out of Python modules by reference, as source text.

A reference names a module and, optionally, an object in it::

    solutions.engine                  the whole module (see `include`)
    solutions.engine:Value            a class, a function or a module-level assignment
    solutions.engine:Value.sigmoid    a method (returned dedented, as a plain function)

The text is cut out of the module's own source file with `ast` (line numbers of
the definitions, decorators included), so comments and formatting survive
exactly as written in `solutions/`.  Nothing is imported from the references but
the module itself (to find its file with `inspect`).

Two operations:

* `include(ref, without=())`: the source of ``ref``.  For a module: its body
  without the module docstring and without relative imports (``from .engine
  import Value``: in a notebook the names are defined by earlier cells).
  ``without`` names top-level definitions (for a module) or methods (for a
  class) to leave out.
* `solution(ref, keep=())`: the same source, with the body of the function or of
  every method of the class (but those named in ``keep``) between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``.  Signatures, decorators and
  docstrings stay outside the regions, so the student's stub still shows them.
  Returns the text and the list of the bodies put inside regions.
"""
import ast
import importlib
import inspect
import textwrap

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"


class BadReference(LookupError):
    """A reference that names nothing, or something that cannot be cut out."""


def parse_ref(ref):
    """'pkg.mod:A.b' -> ('pkg.mod', ['A', 'b']);  'pkg.mod' -> ('pkg.mod', [])."""
    module, _, qualname = ref.partition(":")
    if not module or (":" in ref and not qualname):
        raise BadReference(f"bad reference {ref!r}: write module or module:qualname")
    return module, qualname.split(".") if qualname else []


def _module_source(module_name):
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BadReference(f"cannot import {module_name!r}: {exc}") from None
    source = inspect.getsource(module)
    return source, ast.parse(source)


def _name_of(node):
    """The name a top-level or class-level statement defines, or None."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def _find(body, path, ref):
    node = None
    for part in path:
        matches = [n for n in body if _name_of(n) == part]
        if not matches:
            raise BadReference(f"{ref}: no definition of {part!r}")
        if len(matches) > 1:
            raise BadReference(f"{ref}: {part!r} is defined {len(matches)} times")
        node = matches[0]
        body = getattr(node, "body", [])
    return node


def _first_line(node):
    """First line of a statement, decorators included (1-based)."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def _docstring_node(node):
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0]
    return None


def _cut(lines, start, end):
    """Lines start..end (1-based, inclusive) as a list."""
    return lines[start - 1:end]


def _drop_ranges(lines, ranges):
    """Remove 1-based inclusive line ranges, and the blank lines just before each one."""
    drop = set()
    for start, end in ranges:
        drop.update(range(start, end + 1))
        before = start - 1
        while before >= 1 and not lines[before - 1].strip() and before not in drop:
            drop.add(before)
            before -= 1
    return [line for number, line in enumerate(lines, 1) if number not in drop]


def _strip_blank_edges(lines):
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def include(ref, without=()):
    """Source text of ``ref`` (see the module docstring)."""
    module_name, path = parse_ref(ref)
    source, tree = _module_source(module_name)
    lines = source.splitlines()
    without = list(without)
    if not path:
        body = tree.body
        start_index = 1 if body and _docstring_node(tree) is not None else 0
        kept, missing = [], set(without)
        for node in body[start_index:]:
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                continue
            if _name_of(node) in missing:
                missing.discard(_name_of(node))
                continue
            kept.append(node)
        if missing:
            raise BadReference(f"{ref}: without names nothing: {sorted(missing)}")
        if not kept:
            return ""
        chunks = []
        previous_end = None
        for node in kept:
            start, end = _first_line(node), node.end_lineno
            # keep comment lines written just above a definition
            while start > 1 and lines[start - 2].lstrip().startswith("#") and \
                    (previous_end is None or start - 1 > previous_end):
                start -= 1
            chunk = _cut(lines, start, end)
            if previous_end is not None:
                gap = _cut(lines, previous_end + 1, start - 1)
                blank = sum(1 for line in gap if not line.strip())
                chunks.extend([""] * max(1, min(blank, 2)))
            chunks.extend(chunk)
            previous_end = end
        return "\n".join(chunks)
    node = _find(tree.body, path, ref)
    start, end = _first_line(node), node.end_lineno
    if without:
        if not isinstance(node, ast.ClassDef):
            raise BadReference(f"{ref}: 'without' needs a class or a module")
        ranges = []
        for name in without:
            member = _find(node.body, [name], f"{ref}.{name}")
            ranges.append((_first_line(member), member.end_lineno))
        chunk = _cut(lines, start, end)
        chunk = _drop_ranges(chunk, [(a - start + 1, b - start + 1) for a, b in ranges])
    else:
        chunk = _cut(lines, start, end)
    return textwrap.dedent("\n".join(_strip_blank_edges(chunk)))


def _body_range(func, lines):
    """(first, last) 1-based lines of a function's body after its docstring."""
    doc = _docstring_node(func)
    statements = func.body[1:] if doc is not None else func.body
    if not statements:
        raise BadReference(f"{func.name} has nothing but a docstring")
    first = statements[0].lineno
    if doc is not None:
        floor = doc.end_lineno
    else:
        # the header may span lines: the body starts after the line ending with ':'
        floor = func.lineno
        while not lines[floor - 1].rstrip().endswith(":") and floor < first:
            floor += 1
    # comments written at the top of the body belong to the solution
    while first - 1 > floor and lines[first - 2].strip().startswith("#"):
        first -= 1
    return first, func.end_lineno


def solution(ref, keep=()):
    """(text, bodies): ``ref``'s source with solution regions, and the hidden bodies."""
    module_name, path = parse_ref(ref)
    if not path:
        raise BadReference(f"{ref}: a solution names a function, a method or a class")
    source, tree = _module_source(module_name)
    lines = source.splitlines()
    node = _find(tree.body, path, ref)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        functions = [node]
        if keep:
            raise BadReference(f"{ref}: 'keep' needs a class")
    elif isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        unknown = set(keep) - {m.name for m in methods}
        if unknown:
            raise BadReference(f"{ref}: keep names no method: {sorted(unknown)}")
        functions = [m for m in methods if m.name not in keep]
    else:
        raise BadReference(f"{ref}: a solution names a function, a method or a class")
    start, end = _first_line(node), node.end_lineno
    regions = {}
    for func in functions:
        first, last = _body_range(func, lines)
        regions[first] = last
    out, bodies = [], []
    number = start
    while number <= end:
        if number in regions:
            last = regions[number]
            body = _cut(lines, number, last)
            first_stmt = next(line for line in body if line.strip())
            indent = first_stmt[:len(first_stmt) - len(first_stmt.lstrip())]
            out.append(indent + BEGIN_SOLUTION)
            out.extend(body)
            out.append(indent + END_SOLUTION)
            bodies.append(textwrap.dedent("\n".join(body)))
            number = last + 1
        else:
            out.append(lines[number - 1])
            number += 1
    return textwrap.dedent("\n".join(out)), bodies
