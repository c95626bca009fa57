"""The exercise convention, read from a notebook's cell tags.

- A solution cell is tagged ``solution`` and the exercise id (``ex-1.1``); its answer
  sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines.
- A check cell is tagged ``check`` and the same id; it calls a check from
  ``course_utils.checks``. An exercise may have several check cells; it passes when all
  of them pass.
- A cell tagged ``instructor``, and any ``### BEGIN INSTRUCTOR`` /
  ``### END INSTRUCTOR`` region, is left out of the student copy.

The teacher notebooks in ``book/`` say which exercises a chapter has; the student copies
(:mod:`course_utils.teaching.student`) and the grader
(:mod:`course_utils.teaching.grade`) both read them from here.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

SOLUTION, CHECK, INSTRUCTOR = "solution", "check", "instructor"
EXERCISE_ID = re.compile(r"ex-\d+\.\d+")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_INSTRUCTOR, END_INSTRUCTOR = "### BEGIN INSTRUCTOR", "### END INSTRUCTOR"


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercise_id(cell) -> str | None:
    """The cell's exercise id (a tag such as ``ex-1.1``), or None."""
    return next((tag for tag in tags(cell) if EXERCISE_ID.fullmatch(tag)), None)


def check_cells(notebook) -> list[tuple[int, str]]:
    """``(cell index, exercise id)`` of every check cell, in notebook order."""
    return [
        (index, exercise_id(cell))
        for index, cell in enumerate(notebook.cells)
        if CHECK in tags(cell) and exercise_id(cell)
    ]


def exercise_ids(notebook) -> list[str]:
    """The ids of the exercises the notebook checks, in order of their first check
    cell."""
    return list(dict.fromkeys(exercise for _, exercise in check_cells(notebook)))


def has_line(cell, marker: str) -> bool:
    """Whether a line of the cell is exactly ``marker`` (indentation aside): prose may
    mention markers."""
    return any(line.strip() == marker for line in cell.source.splitlines())


def describe(cell, index: int) -> str:
    """A cell as an author finds it again: its position and its tags."""
    return f"cell {index} (tags {tags(cell)})" if tags(cell) else f"cell {index}"


def validate_exercises(notebook) -> None:
    """Raise ValueError, naming the cell, where a notebook breaks the convention
    above."""
    solved, checked = set(), set()
    for index, cell in enumerate(notebook.cells):
        exercise = exercise_id(cell)
        for role, seen in ((SOLUTION, solved), (CHECK, checked)):
            if role in tags(cell):
                if exercise is None:
                    raise ValueError(
                        f"notebook: {describe(cell, index)} is tagged {role!r} but has "
                        "no exercise id tag such as 'ex-1.1'"
                    )
                seen.add(exercise)
        if has_line(cell, BEGIN_SOLUTION) and SOLUTION not in tags(cell):
            raise ValueError(
                f"notebook: {describe(cell, index)} holds {BEGIN_SOLUTION!r} but is "
                "not tagged 'solution' and an exercise id"
            )
        if SOLUTION in tags(cell) and not has_line(cell, BEGIN_SOLUTION):
            raise ValueError(
                f"notebook: {describe(cell, index)} is tagged 'solution' but has no "
                f"{BEGIN_SOLUTION!r} region, so the student copy would keep the answer"
            )
    for exercise in sorted(
        solved ^ checked
    ):  # an exercise needs both: an answer and a check
        lacking = CHECK if exercise in solved else SOLUTION
        raise ValueError(
            f"notebook: exercise {exercise} has no cell tagged {lacking!r}"
        )


def default_book_dir() -> Path:
    """The teacher notebooks: ``book/`` beside this package in the repository."""
    return Path(__file__).resolve().parent.parent.parent / "book"


def chapter_notebooks(book_dir: Path | str | None = None) -> list[Path]:
    """The teacher notebooks ``NN_name.ipynb`` of ``book_dir``, in chapter order."""
    book_dir = Path(book_dir) if book_dir is not None else default_book_dir()
    if not book_dir.is_dir():
        raise ValueError(
            f"book_dir: {book_dir} is not a folder of chapter notebooks (NN_name.ipynb)"
        )
    return sorted(book_dir.glob("[0-9][0-9]_*.ipynb"))


def read_notebook(path: Path | str) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)
