"""Student copies of the chapters: the solutions replaced by placeholders,
instructor-only content removed.

    python -m course_utils.teaching.student OUT_DIR [--book BOOK_DIR]

writes ``OUT_DIR/NN_name.ipynb`` for every chapter (``make student`` writes
``student/``): output-free notebooks, ready for Colab, whose ``### BEGIN SOLUTION`` ...
``### END SOLUTION`` regions read ``# YOUR CODE HERE`` and raise NotImplementedError,
and whose check cells say that they are the public checks.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

from .exercises import (
    BEGIN_INSTRUCTOR,
    BEGIN_SOLUTION,
    CHECK,
    END_INSTRUCTOR,
    END_SOLUTION,
    INSTRUCTOR,
    chapter_notebooks,
    describe,
    exercise_id,
    read_notebook,
    tags,
    validate_exercises,
)

# The first cell of every student copy, in Markdown: its lines are the committed copies'
# text, so they keep their length (rewrapping them would change every copy).
STUDENT_NOTE = """\
**Your copy of this chapter.** Each exercise has a cell that says `# YOUR CODE HERE`: replace
that line and the `raise NotImplementedError(...)` below it with your answer (and write where a
cell says `YOUR ANSWER HERE`). The cell after it
that begins with `# Public check` is the exercise's public check: run it to see at once whether
your answer passes (✔) or what is still wrong, with a hint. Your instructor grades the notebook
by running the same checks at the tiny scale (`COURSE_TINY=1`).

**To hand in**, keep the check cells as they are and download the notebook: in Colab,
*File → Download → Download .ipynb* (in Jupyter, *File → Download*). Name the file
`{submission}`, with your name in place of `YOURNAME`: the browser saves it under the
chapter's name, or as `Copy of …` or `… (1).ipynb`, so rename it before you hand it in."""  # noqa: E501


def placeholder(cell, indent: str) -> list[str]:
    """What a student sees in place of a solution region."""
    if cell.cell_type == "markdown":
        return [f"{indent}YOUR ANSWER HERE"]
    return [
        f"{indent}# YOUR CODE HERE",
        f"{indent}raise NotImplementedError("
        f'"{exercise_id(cell)}: write your solution here")',
    ]


def remove_regions(cell, index: int) -> str:
    """The cell's source with solution regions replaced by a placeholder and instructor
    regions dropped."""
    ends = {BEGIN_SOLUTION: END_SOLUTION, BEGIN_INSTRUCTOR: END_INSTRUCTOR}
    kept, open_region = [], None
    for line in cell.source.splitlines():
        marker = line.strip()
        if marker in ends:
            if open_region:
                raise ValueError(
                    f"notebook: {describe(cell, index)} opens {marker!r} inside "
                    f"{open_region!r}"
                )
            open_region = marker
            if marker == BEGIN_SOLUTION:
                kept += placeholder(cell, indent=line[: len(line) - len(line.lstrip())])
        elif marker in ends.values():
            if open_region is None or ends[open_region] != marker:
                raise ValueError(
                    f"notebook: {describe(cell, index)} has {marker!r} without its "
                    "BEGIN line"
                )
            open_region = None
        elif open_region is None:
            kept.append(line)
    if open_region:
        raise ValueError(
            f"notebook: {describe(cell, index)} opens {open_region!r} but never closes "
            f"it with {ends[open_region]!r}"
        )
    return "\n".join(kept)


def student_cell(cell, index: int):
    """The student's version of one cell: regions removed, no outputs, check cells
    labelled."""
    cell = copy.deepcopy(cell)
    cell.source = remove_regions(cell, index)
    cell.metadata.pop("execution", None)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
        if CHECK in tags(cell):
            cell.source = (
                f"# Public check for {exercise_id(cell)}: run this cell to see whether "
                f"your answer passes.\n{cell.source}"
            )
    return cell


def make_student_copy(notebook, chapter: str | None = None) -> nbformat.NotebookNode:
    """A student copy of a teacher ``notebook`` (left unchanged); ``chapter``
    (``01_linear_autoencoder``) names the file to hand in. Raises ValueError, naming the
    cell, where the notebook breaks the convention."""
    validate_exercises(notebook)
    student = copy.deepcopy(notebook)
    # a copy is not paired with the book's .py source
    student.metadata.pop("jupytext", None)
    student.cells = [
        student_cell(cell, index)
        for index, cell in enumerate(notebook.cells)
        if INSTRUCTOR not in tags(cell)
    ]
    submission = (
        f"YOURNAME_{chapter}.ipynb"
        if chapter
        else "YOURNAME_ followed by this file's name"
    )
    note = nbformat.v4.new_markdown_cell(STUDENT_NOTE.format(submission=submission))
    # a fixed id: the same teacher notebook always gives the same copy (the committed
    # copies are compared with freshly made ones)
    note.id = "student-copy-note"
    after_title = 1 if student.cells and student.cells[0].cell_type == "markdown" else 0
    student.cells.insert(after_title, note)
    return student


def write_student_copies(
    out_dir: Path | str, book_dir: Path | str | None = None
) -> list[Path]:
    """Write the student copy of every chapter of ``book_dir`` into ``out_dir``; return
    their paths."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir: {out_dir} exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for teacher in chapter_notebooks(book_dir):
        try:
            student = make_student_copy(read_notebook(teacher), chapter=teacher.stem)
        except ValueError as error:
            raise ValueError(f"{teacher.name}: {error}") from error
        nbformat.validate(student)
        nbformat.write(student, out_dir / teacher.name)
        written.append(out_dir / teacher.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.teaching.student",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "out_dir", metavar="OUT_DIR", help="where to write the student notebooks"
    )
    parser.add_argument(
        "--book",
        metavar="BOOK_DIR",
        help="the teacher notebooks (default: the repository's book/)",
    )
    args = parser.parse_args(argv)
    try:
        written = write_student_copies(args.out_dir, args.book)
    except ValueError as error:
        parser.error(str(error))
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
