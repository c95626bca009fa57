"""The cells the grader runs in place of a submission's check cells, and how it reads their verdict.

From the teacher notebook, and from this package's files as they are when grading starts, the
grader works out, per chapter, which check functions each check cell calls and which source files
they need (:func:`chapter_plan`). For each check cell of a submission it then sends the code of
:mod:`course_utils.teaching.harness` with a ``spec``: the teacher's check source, those files,
and a secret made just before the cell runs
(:func:`check_cell_source`). :func:`read_verdict` accepts exactly one report carrying that secret.
"""

from __future__ import annotations

import ast
import os
import secrets
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from . import harness
from .exercises import check_cells

PACKAGE = (
    Path(__file__).resolve().parent.parent
)  # course_utils/, as the grader imported it
HARNESS_SOURCE = Path(harness.__file__).read_text(encoding="utf-8")


def python_roots() -> list[str]:
    """Where trusted code lives: the Python installation, its site-packages and this package."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    return sorted(
        {os.path.realpath(root) + os.sep for root in roots} | {str(PACKAGE) + os.sep}
    )


def module_file(dotted: str) -> Path | None:
    """The file of ``course_utils.<dotted>`` in this package, or None."""
    base = PACKAGE.joinpath(*dotted.split(".")) if dotted else PACKAGE
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def relative_imports(dotted: str, source: str) -> set[str]:
    """The ``course_utils`` modules (dotted below it) that ``course_utils.<dotted>`` imports relatively."""
    is_package = module_file(dotted).name == "__init__.py"
    parts = dotted.split(".") if dotted else []
    package = parts if is_package else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join(base + (node.module.split(".") if node.module else []))
            found.add(target)
            found |= {f"{target}.{a.name}".lstrip(".") for a in node.names}
    return {name for name in found if name and module_file(name)}


def package_sources(needed: set[str]) -> dict[str, list[str]]:
    """``{dotted: [file, source]}`` for ``needed`` and all they import, with their packages."""
    sources, todo = {}, list(needed)
    while todo:
        dotted = todo.pop()
        if dotted in sources or module_file(dotted) is None:
            continue
        file = module_file(dotted)
        source = file.read_text(encoding="utf-8")
        sources[dotted] = [str(file), source]
        parts = dotted.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(relative_imports(dotted, source))
    return sources


def parsed_cells(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            try:
                yield ast.parse(cell.source)
            except SyntaxError:  # IPython magics, say
                continue


@dataclass
class ChapterPlan:
    """What the check cells of one teacher notebook need: names, package aliases, sources."""

    names: dict[str, list[str]] = field(default_factory=dict)
    package_aliases: list[str] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)


def chapter_plan(teacher) -> ChapterPlan:
    """Which check functions the teacher's check cells call and where they come from.

    A name is a check when the teacher notebook imports it from ``course_utils.checks...``, or,
    failing that, when a module of ``course_utils/checks/`` defines it. ``import course_utils as
    cu`` makes ``cu`` a package alias, bound to the fresh package in the check cells.
    """
    imported, aliases = {}, {"course_utils"}
    for tree in parsed_cells(teacher):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                if node.module == "course_utils.checks" or node.module.startswith(
                    "course_utils.checks."
                ):
                    for alias in node.names:
                        imported[alias.asname or alias.name] = [
                            node.module.removeprefix("course_utils."),
                            alias.name,
                        ]
            elif isinstance(node, ast.Import):
                aliases |= {
                    a.asname
                    for a in node.names
                    if a.name == "course_utils" and a.asname
                }
    defined = {}
    for file in sorted((PACKAGE / "checks").glob("*.py")):
        dotted = "checks" if file.stem == "__init__" else f"checks.{file.stem}"
        for node in ast.parse(file.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                defined.setdefault(node.name, [dotted, node.name])
    plan = ChapterPlan()
    for index, _ in check_cells(teacher):
        try:
            tree = ast.parse(teacher.cells[index].source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                if node.id in imported or node.id in defined:
                    plan.names[node.id] = imported.get(node.id) or defined[node.id]
                elif node.id in aliases and node.id not in plan.package_aliases:
                    plan.package_aliases.append(node.id)
    needed = {"checks"} | {module for module, _ in plan.names.values()}
    if plan.package_aliases:
        needed |= {f"checks.{f.stem}" for f in (PACKAGE / "checks").glob("[!_]*.py")}
    plan.sources = package_sources(needed)
    return plan


def check_cell_source(plan: ChapterPlan, exercise: str, source: str) -> tuple[str, str]:
    """The source of the cell that replaces a check cell, and the secret its verdict must carry."""
    secret = secrets.token_hex(16)
    spec = {
        "secret": secret,
        "exercise": exercise,
        "source": source,
        "names": plan.names,
        "package_aliases": plan.package_aliases,
        "sources": plan.sources,
        "roots": python_roots(),
    }
    return f"{HARNESS_SOURCE}\ncourse_grader({spec!r})\n", secret


def read_verdict(cell, secret: str) -> dict:
    """The grader's report in ``cell``: exactly one carrying ``secret``, else an ``error`` verdict."""
    reports = [
        output["data"][harness.MIME]
        for output in cell.get("outputs", [])
        if isinstance(output.get("data", {}).get(harness.MIME), dict)
        and output["data"][harness.MIME].get("secret") == secret
    ]
    if len(reports) == 1 and reports[0].get("status") in {
        "pass",
        "fail",
        "error",
        "skipped",
    }:
        return reports[0]
    return {
        "status": "error",
        "message": f"the grader's check sent {len(reports)} verdicts instead of one",
        "problems": [],
    }
