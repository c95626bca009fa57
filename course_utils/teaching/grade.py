"""The instructor's grader: a folder of submitted notebooks in, a per-student, per-exercise table out.

    python -m course_utils.grade SUBMISSIONS_DIR [--out grades.csv] [--timeout SECONDS] [--book BOOK_DIR]

A submission is a notebook named ``STUDENT_<chapter>.ipynb``, e.g. ``alice_01_linear_autoencoder.ipynb``
(``<chapter>`` is a teacher notebook's name in ``book/``). Each one runs top to bottom in its own fresh
kernel under ``COURSE_TINY=1``, in an empty temporary folder, within ``--timeout`` seconds in all; its
check cells run the teacher's version of the checks, so editing a check does not make it pass. The
grader prints a table and writes a CSV: one row per student, one column per exercise (see
:data:`STATUSES`), the number of exercises passed, and notes that say what went wrong. A broken
submission gets a row saying so; the others are graded all the same.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from ..tables import format_table
from .exercises import chapter_notebooks, check_cells, exercise_ids, read_notebook

DEFAULT_TIMEOUT = (
    120  # seconds per notebook; a chapter takes well under a minute at the tiny scale
)

STATUSES = {
    "pass": "every check cell of the exercise ran and printed its ✔ line",
    "fail": "a check found the answer wrong (CheckFailed); the notes say what it expected",
    "error": "a check cell raised another exception, e.g. NameError or NotImplementedError when the "
    "solution is missing, or the kernel died",
    "skipped": "the check cannot run here (its data set cannot be downloaded): neither pass nor fail",
    "missing": "the notebook lacks a check cell of the exercise, or the student handed in no notebook "
    "for that chapter",
    "timeout": "the notebook ran past the time limit before the check finished",
    "invalid": "the file is not a readable notebook (not valid JSON, or not a Jupyter notebook)",
}
WORST_FIRST = ["invalid", "timeout", "missing", "error", "fail", "skipped", "pass"]


@dataclass
class Result:
    """The grade of one submitted notebook: a status per exercise, and notes for the instructor."""

    statuses: dict[str, str]
    notes: list[str] = field(default_factory=list)


@dataclass
class Row:
    """One student's line of the table, over all the chapters they handed in."""

    student: str
    statuses: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def status(self, exercise: str) -> str:
        return self.statuses.get(exercise, "missing")

    @property
    def total(self) -> int:
        return sum(status == "pass" for status in self.statuses.values())


def worst(statuses: list[str]) -> str:
    """An exercise passes only when all its check cells pass; otherwise it gets its worst status."""
    return min(statuses, key=WORST_FIRST.index)


def first_line(text: str, limit: int = 160) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def split_name(path: Path, chapters: list[str]) -> tuple[str, str | None]:
    """``(student, chapter)`` from ``alice_01_linear_autoencoder.ipynb``; chapter None when it names none."""
    for chapter in chapters:
        suffix = f"_{chapter}.ipynb"
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return path.name[: -len(suffix)], chapter
    return path.stem, None


def pair_check_cells(submission, teacher) -> list[tuple[str, int | None]]:
    """Pair each teacher check cell with the submission's next check cell for the same exercise, and give
    that cell the teacher's source back; ``None`` where the submission lost it."""
    found = defaultdict(deque)
    for index, exercise in check_cells(submission):
        found[exercise].append(index)
    pairs = []
    for teacher_index, exercise in check_cells(teacher):
        index = found[exercise].popleft() if found[exercise] else None
        if index is not None:
            submission.cells[index].source = teacher.cells[teacher_index].source
        pairs.append((exercise, index))
    return pairs


def grading_env() -> dict[str, str]:
    """The kernels' environment: the tiny scale, no plot windows, and one CPU thread unless set otherwise:
    tiny models gain nothing from more, and on a busy machine threads that wait for each other make a
    notebook several times slower."""
    return {
        "OMP_NUM_THREADS": "1",
        **os.environ,
        "COURSE_TINY": "1",
        "MPLBACKEND": "Agg",
    }


def run_cells(notebook, timeout: float, cwd: Path) -> tuple[int, str | None]:
    """Run the notebook's cells in place in a fresh kernel, ``timeout`` seconds for all of them.

    Returns the index of the first cell that did not finish (the number of cells when all did) and why:
    None, ``"timeout"`` or ``"the kernel died"``. Errors in cells are kept as their outputs, and the next
    cell runs. The kernel is a process group of its own, killed when the notebook is done or stops.
    """
    client = NotebookClient(
        notebook, kernel_name="python3", allow_errors=True, shutdown_kernel="immediate"
    )
    deadline = time.monotonic() + timeout
    # the kernel's own start-up chatter on stderr would only clutter the grader's report
    with client.setup_kernel(
        env=grading_env(), cwd=str(cwd), stderr=subprocess.DEVNULL
    ):
        for index, cell in enumerate(notebook.cells):
            client.timeout = math.ceil(deadline - time.monotonic())
            if client.timeout <= 0:
                return index, "timeout"
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                return index, "timeout"
            except DeadKernelError:
                return index, "the kernel died"
    return len(notebook.cells), None


def error_of(cell) -> dict | None:
    return next(
        (output for output in cell.get("outputs", []) if output.output_type == "error"),
        None,
    )


def check_status(cell, exercise: str) -> tuple[str, str | None]:
    """The status of one executed check cell, and a note saying why when it did not pass."""
    error = error_of(cell)
    if error is not None:
        if error.ename == "CheckFailed":  # its message starts with the exercise id
            return "fail", first_line(error.evalue)
        return "error", f"{exercise}: {error.ename}: {first_line(error.evalue)}"
    printed = "".join(
        output.get("text", "")
        for output in cell.outputs
        if output.output_type == "stream"
    )
    if f"✔ {exercise} passed" in printed:
        return "pass", None
    if f"⚠ {exercise} skipped" in printed:
        return "skipped", first_line(printed[printed.index(f"⚠ {exercise} skipped") :])
    return (
        "error",
        f"{exercise}: the check cell ran but reported neither ✔ passed nor ⚠ skipped",
    )


def run_notes(
    notebook, stopped_at: int, reason: str | None, timeout: float, checks: set
) -> list[str]:
    """Why the run stopped early, and the first error outside the check cells (a failed import, say)."""
    notes = []
    if reason == "timeout":
        notes.append(f"stopped by the {timeout:g} s time limit in cell {stopped_at}")
    elif reason:
        notes.append(f"{reason} in cell {stopped_at}")
    for index, cell in enumerate(notebook.cells[:stopped_at]):
        error = error_of(cell)
        if error is not None and index not in checks:
            return notes + [
                f"cell {index} raised {error.ename}: {first_line(error.evalue)}"
            ]
    return notes


def grade_notebook(submission, teacher, timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Run ``submission`` (a notebook, changed in place) and grade it against the ``teacher`` notebook."""
    pairs = pair_check_cells(submission, teacher)
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        stopped_at, reason = run_cells(submission, timeout, Path(workdir))
    notes = run_notes(
        submission, stopped_at, reason, timeout, checks={index for _, index in pairs}
    )
    per_exercise = defaultdict(list)
    for exercise, index in pairs:
        if index is None:
            status, note = "missing", f"{exercise}: its check cell is missing"
        elif index >= stopped_at:
            status, note = ("timeout" if reason == "timeout" else "error"), None
        else:
            status, note = check_status(submission.cells[index], exercise)
        per_exercise[exercise].append(status)
        if note:
            notes.append(note)
    return Result(
        {exercise: worst(statuses) for exercise, statuses in per_exercise.items()},
        notes,
    )


def grade_file(path: Path, teacher, timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Grade one submitted file; whatever is wrong with it becomes its result, never an exception."""
    exercises = exercise_ids(teacher)
    try:
        submission = read_notebook(path)
    except Exception as error:  # not JSON, or JSON that is no notebook
        return Result(
            dict.fromkeys(exercises, "invalid"),
            [f"not a valid notebook: {type(error).__name__}: {first_line(error)}"],
        )
    try:
        return grade_notebook(submission, teacher, timeout)
    except (
        Exception
    ) as error:  # e.g. a notebook whose cells lack fields the kernel needs
        return Result(
            dict.fromkeys(exercises, "error"),
            [f"could not be run: {type(error).__name__}: {first_line(error)}"],
        )


def grade_folder(
    submissions_dir: Path | str,
    book_dir: Path | str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    log=print,
) -> tuple[list[str], list[Row]]:
    """Grade every ``*.ipynb`` in ``submissions_dir``: the exercise columns and one row per student."""
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise ValueError(f"submissions_dir: {submissions_dir} is not a folder")
    if not timeout > 0:
        raise ValueError(
            f"timeout: should be a positive number of seconds, got {timeout!r}"
        )
    teachers = {path.stem: path for path in chapter_notebooks(book_dir)}
    named = [
        (path, *split_name(path, list(teachers)))
        for path in sorted(submissions_dir.glob("*.ipynb"))
    ]
    named_chapters = {chapter for _, _, chapter in named}
    handed_in = [
        chapter for chapter in teachers if chapter in named_chapters
    ]  # in book order
    teacher_notebooks = {
        chapter: read_notebook(teachers[chapter]) for chapter in handed_in
    }
    rows: dict[str, Row] = {}
    graded = set()
    for path, student, chapter in named:
        row = rows.setdefault(student, Row(student))
        if chapter is None:
            row.notes.append(
                f"{path.name}: the name should be STUDENT_<chapter>.ipynb with a chapter of the "
                f"book, e.g. {student}_{next(iter(teachers), '01_name')}.ipynb; not graded"
            )
        else:
            graded.add((student, chapter))
            started = time.monotonic()
            result = grade_file(path, teacher_notebooks[chapter], timeout)
            row.statuses.update(result.statuses)
            row.notes += [f"{chapter}: {note}" for note in result.notes]
            log(
                f"graded {path.name} in {time.monotonic() - started:.0f} s: "
                + ", ".join(
                    f"{exercise} {status}"
                    for exercise, status in result.statuses.items()
                )
            )
    for row in rows.values():
        row.notes += [
            f"{chapter}: no notebook handed in"
            for chapter in handed_in
            if (row.student, chapter) not in graded
        ]
    exercises = [
        exercise
        for chapter in handed_in
        for exercise in exercise_ids(teacher_notebooks[chapter])
    ]
    return exercises, sorted(rows.values(), key=lambda row: row.student)


def write_csv(exercises: list[str], rows: list[Row], out: Path | str) -> None:
    with open(out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["student", *exercises, "total", "notes"])
        for row in rows:
            writer.writerow(
                [
                    row.student,
                    *map(row.status, exercises),
                    row.total,
                    "; ".join(row.notes),
                ]
            )


def report(exercises: list[str], rows: list[Row]) -> str:
    """The grades as an aligned text table, the notes below it."""
    table = {
        row.student: {
            **{exercise: row.status(exercise) for exercise in exercises},
            "total": f"{row.total}/{len(exercises)}",
        }
        for row in rows
    }
    notes = [f"  {row.student}: {note}" for row in rows for note in row.notes]
    return "\n".join(
        [format_table(table, "student"), *(["", "notes:", *notes] if notes else [])]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.grade",
        description=__doc__.split("\n\n")[0],
        epilog="statuses: " + "; ".join(f"{k}: {v}" for k, v in STATUSES.items()),
    )
    parser.add_argument(
        "submissions_dir",
        metavar="SUBMISSIONS_DIR",
        help="folder of submitted notebooks named STUDENT_<chapter>.ipynb",
    )
    parser.add_argument(
        "--out", default="grades.csv", help="the CSV to write (default: grades.csv)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit per notebook (default: {DEFAULT_TIMEOUT})",
    )
    parser.add_argument(
        "--book",
        metavar="BOOK_DIR",
        help="the teacher notebooks (default: the repository's book/)",
    )
    args = parser.parse_args(argv)
    if not Path(args.submissions_dir).is_dir():
        parser.error(
            f"SUBMISSIONS_DIR: {args.submissions_dir} is not a folder of submitted notebooks"
        )
    if not args.timeout > 0:
        parser.error(
            f"--timeout: should be a positive number of seconds, got {args.timeout:g}"
        )
    try:
        exercises, rows = grade_folder(args.submissions_dir, args.book, args.timeout)
    except ValueError as error:
        parser.error(str(error))
    write_csv(exercises, rows, args.out)
    print(report(exercises, rows))
    print(f"\nwrote {args.out}: {len(rows)} students, {len(exercises)} exercises")
    return 0


if __name__ == "__main__":
    sys.exit(main())
