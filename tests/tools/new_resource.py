"""``make new-resource name=orders``: write a CRUD resource as a feature of its own.

Renders the templates in ``resource_template/`` into ``app/features/<name>/``:
the blueprint, schemas, service, storage model, its first migration, tests
that run on SQLite and PostgreSQL, and a README whose curl table ``make
smoke`` runs. Then it lists the feature last in ``app.FEATURES`` and formats
what it wrote. It never overwrites anything, and refuses a name that an
existing feature, module, table, blueprint or URL already has.

The names are checked, and the singular derived, in ``naming``.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from string import Template
from typing import Final

from tests.tools.naming import (
    RefusedError,
    Resource,
    resource_named,
    taken,
)

ROOT: Final = Path(__file__).resolve().parents[2]
TEMPLATES: Final = Path(__file__).resolve().parent / "resource_template"
WIDTH: Final = 88  # ruff's line length


class LintError(RuntimeError):
    """The files were written, but ruff finds fault with them: a template's bug."""


def render(resource: Resource) -> dict[Path, str]:
    """Each file of the feature, by its path in the feature's folder."""
    placeholders = resource.placeholders()
    files = {}
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = str(template.relative_to(TEMPLATES).with_suffix(""))
        path = Path(relative.replace("NAME", resource.plural))
        text = Template(template.read_text()).substitute(placeholders)
        files[path] = rewrap(text) if path.suffix == ".py" else text
    return files


def rewrap(source: str) -> str:
    """Re-wrap each docstring paragraph that a long name pushed past ``WIDTH``.

    ruff formats the code, but leaves prose to its author: here, the generator.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source  # clashes() says why
    lines = source.splitlines(keepends=True)
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = [
        node.body[0]
        for node in ast.walk(tree)
        if isinstance(node, documented) and ast.get_docstring(node) is not None
    ]
    for docstring in sorted(docstrings, key=lambda node: -node.lineno):
        start, (end, _) = docstring.lineno - 1, _end(docstring)
        lines[start : end + 1] = _rewrapped(lines[start : end + 1])
    return "".join(lines)


def register(factory: str, name: str) -> str:
    """``app/__init__.py``'s text with the feature imported and last in FEATURES."""
    module = ast.parse(factory)
    features = next(
        (
            node.value
            for node in module.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Tuple)
            and any(_is_name(target, "FEATURES") for target in _targets(node))
        ),
        None,
    )
    if not isinstance(features, ast.Tuple):
        raise RefusedError("app/__init__.py has no FEATURES = (...) to add to")
    lines = factory.splitlines(keepends=True)
    # Insert before the closing parenthesis; ruff formats the result.
    row, column = _end(features)
    before, after = lines[row][: column - 1], lines[row][column - 1 :]
    if before.strip():  # the tuple closes on a line of its own or after an item
        before += "\n"
    lines[row] = f"{before}{name}.feature,\n{after}"
    if features.elts and not _ends_with_comma(lines, features):
        row, column = _end(features.elts[-1])
        lines[row] = f"{lines[row][:column]},{lines[row][column:]}"
    imports = [n for n in module.body if isinstance(n, ast.Import | ast.ImportFrom)]
    from_app = [n for n in imports if isinstance(n, ast.ImportFrom) and _in_app(n)]
    row, _ = _end((from_app or imports)[-1])
    lines.insert(row + 1, f"from app.features import {name}\n")
    return "".join(lines)


def clashes(path: Path, source: str) -> list[str]:
    """Names bound twice at the top of a module, or why it does not parse."""
    try:
        body = ast.parse(source).body
    except SyntaxError as error:
        return [f"{path} would not parse: {error.msg}"]
    bound: list[str] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound += [(a.asname or a.name).partition(".")[0] for a in node.names]
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            bound.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            bound += [t.id for t in _targets(node) if isinstance(t, ast.Name)]
    twice = sorted({name for name in bound if bound.count(name) > 1})
    return [f"{path} would bind {name} twice" for name in twice]


def write(resource: Resource, root: Path = ROOT) -> list[Path]:
    """Write the feature under ``root`` and register it; return the files written.

    Everything is checked before the first file is written. ``LintError`` if
    ruff finds fault with what was written (it printed what).
    """
    if reasons := taken(resource, root):
        raise RefusedError(f"{resource.plural!r} is taken: {'; '.join(reasons)}")
    folder = resource.folder(root)
    files = {folder / path: text for path, text in render(resource).items()}
    factory = root / "app" / "__init__.py"
    registered = register(factory.read_text(), resource.plural)
    problems = [
        problem
        for path, text in [*files.items(), (factory, registered)]
        if path.suffix == ".py"
        for problem in clashes(path.relative_to(root), text)
    ]
    if problems:
        raise RefusedError(
            f"the names of {resource.plural!r} clash with the code: "
            f"{'; '.join(problems)}; pick another name or --singular"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x") as new:  # "x": never overwrite
            new.write(text)
    factory.write_text(registered)
    if not _format(root, [folder, factory]):
        raise LintError(f"wrote {folder.relative_to(root)}, but ruff found faults")
    return sorted(files)


def _rewrapped(docstring: list[str]) -> list[str]:
    out: list[str] = []
    paragraph: list[str] = []
    for line in docstring:
        if line.strip() in ("", '"""'):
            out += [*_wrapped(paragraph), line]
            paragraph = []
        else:
            paragraph.append(line)
    return out + _wrapped(paragraph)


def _wrapped(paragraph: list[str]) -> list[str]:
    if all(len(line.rstrip("\n")) <= WIDTH for line in paragraph):
        return paragraph
    indent = paragraph[0][: len(paragraph[0]) - len(paragraph[0].lstrip())]
    words = " ".join(line.strip() for line in paragraph)
    wrapped = textwrap.wrap(
        words,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"{line}\n" for line in wrapped]


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _in_app(node: ast.ImportFrom) -> bool:
    return node.module is not None and node.module.partition(".")[0] == "app"


def _end(node: ast.stmt | ast.expr) -> tuple[int, int]:
    """Where ``node`` ends: a 0-based line and the column after it (ASCII source)."""
    assert node.end_lineno is not None  # parsed nodes always have their place
    assert node.end_col_offset is not None
    return node.end_lineno - 1, node.end_col_offset


def _ends_with_comma(lines: Sequence[str], features: ast.Tuple) -> bool:
    (row, column), (end_row, _) = _end(features.elts[-1]), _end(features)
    between = "".join(lines[row : end_row + 1])[column:]
    return between.lstrip().startswith(",")


def _format(root: Path, paths: Iterable[Path]) -> bool:
    """Format, sort imports, lint; False if ruff found what it cannot fix."""
    ruff = str(Path(sys.executable).parent / "ruff")
    for step in ("format", "check --fix", "format"):
        command = [ruff, *step.split(), "--quiet", *map(str, paths)]
        if subprocess.run(command, cwd=root, check=False).returncode:
            return False
    return True


def _report(resource: Resource, written: Sequence[Path]) -> str:
    name, names = resource.plural, resource.placeholders()
    singular = names["Singular"]
    return "\n".join(
        [
            f"new-resource: {name}, one {resource.singular} (classes {singular}, "
            f"Stored{singular}, {singular}Row; the service {names['Plural']})",
            *(f"  wrote {path.relative_to(ROOT)}" for path in written),
            f"  added {name}.feature last in FEATURES (app/__init__.py)",
            "Next:",
            f"  make migrate   # creates the {name} table (make run does it too)",
            "  make run",
            "  curl -s -H 'Content-Type: application/json' "
            f"""-d '{{"name": "First"}}' 127.0.0.1:5000/{name}""",
            f"  make test      # runs app/features/{name}/tests with the rest",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Write the resource that ``argv`` names; exit 2 with the reason if refused."""
    parser = argparse.ArgumentParser(
        prog="make new-resource", description=__doc__.splitlines()[0]
    )
    parser.add_argument("name", help="the plural, in snake_case: orders, line_items")
    parser.add_argument("--singular", help="the singular, when the rules get it wrong")
    arguments = parser.parse_args(argv)
    try:
        resource = resource_named(arguments.name, arguments.singular)
        written = write(resource)
    except RefusedError as error:
        print(f"new-resource: {error}", file=sys.stderr)
        return 2
    except LintError as error:
        print(f"new-resource: {error}", file=sys.stderr)
        return 1
    print(_report(resource, written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
