"""The checks the grader judges with, found by reading (never running) the teacher
notebook.

Each check cell of a teacher notebook calls one or more
:class:`~course_utils.checks.Check` objects, imported from ``course_utils.checks`` in
some cell of the notebook (``from course_utils.checks.linear_autoencoder import
check_latent_2d``) or reached through the package
(``cu.checks.linear_autoencoder.check_latent_2d``). :func:`chapter_plan` finds them with
:mod:`ast` and resolves them in this (the grader's) process; :func:`judge` loads what a
notebook handed over and runs the check's ``judge`` on it.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import Check, CheckFailed
from ..checks.protocol import load_answer
from .exercises import check_cells

PACKAGE = "course_utils"


@dataclass
class CheckCell:
    """One check cell of a teacher notebook: its exercise, source and the checks it
    calls."""

    exercise: str
    source: str
    checks: list[Check] = field(default_factory=list)
    # why the grader cannot judge this cell (no hand-over check)
    problem: str | None = None


def parsed_code(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            try:
                yield ast.parse(cell.source)
            except SyntaxError:  # IPython magics, say
                continue


def dotted(node) -> str | None:
    """``a.b.c`` for an attribute chain on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def imported_names(teacher) -> dict[str, str]:
    """``{name in the notebook: dotted path it stands for}`` for the notebook's imports
    of ``course_utils`` (``cu`` -> ``course_utils``, ``check_x`` ->
    ``course_utils.checks.m.check_x``)."""
    names = {PACKAGE: PACKAGE}
    for tree in parsed_code(teacher):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                if node.module.split(".")[0] == PACKAGE:
                    for alias in node.names:
                        names[alias.asname or alias.name] = (
                            f"{node.module}.{alias.name}"
                        )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        names[alias.asname or alias.name.split(".")[0]] = (
                            alias.name if alias.asname else PACKAGE
                        )
    return names


def resolve(path: str):
    """The object at ``course_utils....name``, imported here; None when there is
    none."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute, None)
        return found
    return None


def calls_in(source: str, names: dict[str, str]) -> list[str]:
    """The dotted ``course_utils`` paths of what ``source`` calls, in order."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            head, _, rest = (name or "").partition(".")
            if head in names:
                found.append(".".join(filter(None, [names[head], rest])))
    return list(dict.fromkeys(found))


def chapter_plan(teacher) -> list[CheckCell]:
    """The teacher notebook's check cells, in order, with the checks each one calls."""
    names = imported_names(teacher)
    plan = []
    for index, exercise in check_cells(teacher):
        cell = CheckCell(exercise, teacher.cells[index].source)
        try:
            called = calls_in(cell.source, names)
        except SyntaxError:
            called = []
        cell.checks = [c for c in map(resolve, called) if isinstance(c, Check)]
        if not cell.checks:
            cell.problem = (
                f"{exercise}: its check cell calls no hand-over check of "
                f"course_utils.checks ({', '.join(called) or 'nothing'}), so the "
                "grader cannot judge it"
            )
        plan.append(cell)
    return plan


def first_line(text, limit: int = 300) -> str:
    """``text`` on one line (its lines joined), at most ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def judge(check: Check, answers: Path, inputs: dict) -> tuple[str, str]:
    """``(status, message)`` for the answer the notebook handed over for ``check``:
    ``pass`` (the check's summary), ``fail`` (its lesson), ``error`` (an unreadable
    answer, or a check that could not judge it), or ``missing`` when there is no answer
    file."""
    try:
        answer = load_answer(answers, Path(check.exercise, f"{check.name}.safetensors"))
    except FileNotFoundError:
        return "missing", f"{check.exercise}: no answer was handed over"
    except ValueError as error:
        return "error", f"{check.exercise}: the answer handed over was refused: {error}"
    try:
        return "pass", f"{check.exercise} passed: {check.judge(answer, inputs)}"
    except CheckFailed as failure:
        return "fail", str(failure)
    except Exception as error:  # a check that cannot judge this answer
        return "error", first_line(
            f"{check.exercise}: the check could not judge the answer handed over: "
            f"{type(error).__name__}: {error}"
        )
