"""The instructor's grader: a folder of submitted notebooks in, a per-student, per-exercise table out.

    python -m course_utils.grade SUBMISSIONS_DIR [--out grades.csv] [--jobs N] [--feedback DIR]
                                 [--timeout SECONDS] [--memory GB] [--max-output MB] [--book BOOK_DIR]

A submission is a notebook named ``STUDENT_<chapter>.ipynb``, e.g. ``alice_01_linear_autoencoder.ipynb``
(``<chapter>`` is a teacher notebook's name in ``book/``). Each one runs top to bottom in its own fresh
kernel at the tiny scale, in an empty temporary folder, within ``--timeout`` seconds in all, with an
address-space limit and a cap on its output (:mod:`course_utils.teaching.sandbox`). Its check cells
are replaced by the grader's own (:mod:`course_utils.teaching.trusted_checks`): they run the teacher's
check source with the checks loaded afresh from the package's files and report through a channel
that the student's code cannot write in advance, so redefining, patching or printing does not pass.
The grader prints a table and writes a CSV: one row per student, one column per exercise (see
:data:`STATUSES`), the number of exercises passed, and notes that say what went wrong; with
``--feedback`` also one Markdown file per student. A broken submission gets a row saying so; the
others are graded all the same.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import sys
import tempfile
import time
from collections import defaultdict, deque
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm import tqdm

from ..tables import format_table
from .exercises import chapter_notebooks, check_cells, exercise_ids, read_notebook
from .feedback import write_feedback
from .sandbox import (
    Guard,
    become_subreaper,
    descendants,
    kill_children,
    kill_tree,
    run_cells,
)
from .trusted_checks import (
    PACKAGE,
    ChapterPlan,
    chapter_plan,
    check_cell_source,
    read_verdict,
)

DEFAULT_TIMEOUT = (
    120  # seconds per notebook; a chapter takes well under a minute at the tiny scale
)
DEFAULT_MEMORY_GB = (
    8  # address space of a kernel: importing torch alone takes about 4 GB
)
DEFAULT_MAX_OUTPUT_MB = (
    20  # a chapter's figures and prints at the tiny scale take 1-3 MB
)

STATUSES = {
    "pass": "the grader's own run of every check of the exercise passed",
    "fail": "a check found the answer wrong (CheckFailed); the notes say what it expected",
    "error": "a check raised another exception (e.g. NameError or NotImplementedError when the "
    "solution is missing), the kernel died, or the notebook tampered with the grading",
    "skipped": "the check cannot run here (its data set cannot be downloaded): neither pass nor fail",
    "missing": "the notebook lacks a check cell of the exercise, or the student handed in no notebook "
    "for that chapter",
    "timeout": "the notebook ran past the time limit before the check finished",
    "invalid": "the file is not a readable notebook (not valid JSON, or not a Jupyter notebook)",
}
WORST_FIRST = ["invalid", "timeout", "missing", "error", "fail", "skipped", "pass"]


@dataclass
class Result:
    """The grade of one submitted notebook: a status per exercise, what each check said (for the
    student), and notes for the instructor."""

    statuses: dict[str, str]
    notes: list[str] = field(default_factory=list)
    messages: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Row:
    """One student's line of the table, over all the chapters they handed in."""

    student: str
    statuses: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    messages: dict[str, list[str]] = field(default_factory=dict)

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


def pair_check_cells(submission, teacher) -> list[tuple[str, int | None, str]]:
    """Pair each teacher check cell with the submission's next check cell for the same exercise:
    ``(exercise, the submission's cell index or None where it lost it, the teacher's source)``."""
    found = defaultdict(deque)
    for index, exercise in check_cells(submission):
        found[exercise].append(index)
    return [
        (
            exercise,
            found[exercise].popleft() if found[exercise] else None,
            teacher.cells[teacher_index].source,
        )
        for teacher_index, exercise in check_cells(teacher)
    ]


def error_of(cell) -> dict | None:
    return next(
        (output for output in cell.get("outputs", []) if output.output_type == "error"),
        None,
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


def grade_notebook(
    submission,
    teacher,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    plan: ChapterPlan | None = None,
    memory_gb: float = DEFAULT_MEMORY_GB,
    max_output_mb: float = DEFAULT_MAX_OUTPUT_MB,
) -> Result:
    """Run ``submission`` (a notebook, changed in place) and grade it against the ``teacher`` notebook.

    Each check cell is replaced by the grader's own run of the teacher's check; a verdict counts
    only when it carries the secret made for that cell just before it ran.
    """
    plan = plan or chapter_plan(teacher)
    pairs = pair_check_cells(submission, teacher)
    checks = {
        index: (exercise, source)
        for exercise, index, source in pairs
        if index is not None
    }
    secrets = {}

    def before_cell(index, cell):
        if index not in checks:
            return None
        code, secrets[index] = check_cell_source(plan, *checks[index])
        cell.clear()
        cell.update(nbformat.v4.new_code_cell(code))
        return secrets[index]

    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        stopped_at, reason, cut_in = run_cells(
            submission,
            timeout,
            Path(workdir),
            memory=int(memory_gb * 2**30),
            max_output=int(max_output_mb * 10**6),
            before_cell=before_cell,
        )
    notes = run_notes(submission, stopped_at, reason, timeout, checks=set(checks))
    if cut_in is not None:
        notes.append(
            f"output cut at {max_output_mb:g} MB in cell {cut_in}, which was interrupted"
        )
    per_exercise, messages = defaultdict(list), defaultdict(list)
    for exercise, index, _ in pairs:
        if index is None:
            status, message = "missing", f"{exercise}: its check cell is missing"
        elif index >= stopped_at:
            status = "timeout" if reason == "timeout" else "error"
            message = f"{exercise}: the notebook stopped before this check ({notes[0]})"
        else:
            verdict = read_verdict(submission.cells[index], secrets[index])
            status, message = verdict["status"], verdict["message"]
            if status != "fail" and not message.startswith(exercise):
                message = f"{exercise}: {message}"
        per_exercise[exercise].append(status)
        messages[exercise].append(message)
        if status != "pass" and (index is None or index < stopped_at):
            notes.append(first_line(message))
    return Result(
        {exercise: worst(statuses) for exercise, statuses in per_exercise.items()},
        notes,
        dict(messages),
    )


def grade_bytes(
    data: bytes, teacher, timeout: float = DEFAULT_TIMEOUT, **options
) -> Result:
    """Grade one submitted file's contents; whatever is wrong with it becomes its result, never an
    exception."""
    exercises = exercise_ids(teacher)
    try:
        submission = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as error:  # not UTF-8, not JSON, or JSON that is no notebook
        note = f"not a valid notebook: {type(error).__name__}: {first_line(error)}"
        return Result(
            dict.fromkeys(exercises, "invalid"), [note], {e: [note] for e in exercises}
        )
    try:
        return grade_notebook(submission, teacher, timeout, **options)
    except (
        Exception
    ) as error:  # e.g. a notebook whose cells lack fields the kernel needs
        note = f"could not be run: {type(error).__name__}: {first_line(error)}"
        return Result(
            dict.fromkeys(exercises, "error"), [note], {e: [note] for e in exercises}
        )


def grade_file(
    path: Path, teacher, timeout: float = DEFAULT_TIMEOUT, **options
) -> Result:
    """Grade one submitted file; whatever is wrong with it becomes its result, never an exception."""
    return grade_bytes(Path(path).read_bytes(), teacher, timeout, **options)


def grade_task(task: tuple) -> tuple:
    """One submission in a worker process: graded, then every process it left behind killed."""
    key, data, teacher, timeout, options = task
    started = time.time()
    try:
        result = grade_bytes(data, teacher, timeout, **options)
    finally:
        kill_children()
    return key, result, started, time.time()


def pool_context():
    """Workers forked from the grader start at once; elsewhere they are spawned."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_tasks(tasks: list[tuple], jobs: int, finished) -> None:
    """Grade ``tasks`` in ``jobs`` worker processes, calling ``finished(key, result, started,
    ended)`` for each. A task whose worker died (a notebook that killed it, say) is graded again
    alone, and gets an ``error`` result if its worker dies again."""
    retry = []
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=pool_context(), initializer=become_subreaper
    ) as pool:
        futures = {pool.submit(grade_task, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                finished(*future.result())
            except BrokenProcessPool:
                retry.append(futures[future])
    for task in retry:
        started = time.time()
        with ProcessPoolExecutor(
            max_workers=1, mp_context=pool_context(), initializer=become_subreaper
        ) as pool:
            try:
                finished(*pool.submit(grade_task, task).result())
                continue
            except BrokenProcessPool:
                pass
        key, teacher = task[0], task[2]
        note = "the grader's worker process died while running this notebook"
        exercises = exercise_ids(teacher)
        result = Result(
            dict.fromkeys(exercises, "error"), [note], {e: [note] for e in exercises}
        )
        finished(key, result, started, time.time())


def protected_files(
    submissions_dir: Path, teachers: list[Path], out: Path | None
) -> list[Path]:
    """What a submission must not change: the submissions, the teacher notebooks, this package's
    files and the CSV."""
    files = [p for p in sorted(submissions_dir.iterdir()) if p.is_file()]
    files += list(teachers)
    files += sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
    return files + ([Path(out).resolve()] if out is not None else [])


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def grade_folder(
    submissions_dir: Path | str,
    book_dir: Path | str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    log=None,
    *,
    jobs: int | None = None,
    memory_gb: float = DEFAULT_MEMORY_GB,
    max_output_mb: float = DEFAULT_MAX_OUTPUT_MB,
    out: Path | str | None = None,
    progress: bool = True,
) -> tuple[list[str], list[Row]]:
    """Grade every ``*.ipynb`` in ``submissions_dir`` with ``jobs`` kernels at a time (default: the
    number of cores): the exercise columns and one row per student.

    Every file a submission must not change (:func:`protected_files`) is read before grading
    starts; one that changes is put back, and the notebooks that ran meanwhile get ``error``.
    """
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise ValueError(f"submissions_dir: {submissions_dir} is not a folder")
    if not timeout > 0:
        raise ValueError(
            f"timeout: should be a positive number of seconds, got {timeout!r}"
        )
    jobs = default_jobs() if jobs is None else jobs
    if not (isinstance(jobs, int) and jobs >= 1):
        raise ValueError(f"jobs: should be a whole number of at least 1, got {jobs!r}")
    if not memory_gb > 0:
        raise ValueError(
            f"memory_gb: should be a positive number of GB, got {memory_gb!r}"
        )
    if not max_output_mb > 0:
        raise ValueError(
            f"max_output_mb: should be a positive number of MB, got {max_output_mb!r}"
        )
    teachers = {path.stem: path for path in chapter_notebooks(book_dir)}
    guard = Guard(
        protected_files(submissions_dir, list(teachers.values()), out),
        folders=[submissions_dir, *{path.parent for path in teachers.values()}],
    )
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
    plans = {chapter: chapter_plan(teacher_notebooks[chapter]) for chapter in handed_in}
    options = {"memory_gb": memory_gb, "max_output_mb": max_output_mb}
    rows: dict[str, Row] = {}
    tasks = []
    for path, student, chapter in named:
        row = rows.setdefault(student, Row(student))
        if chapter is None:
            row.notes.append(
                f"{path.name}: the name should be STUDENT_<chapter>.ipynb with a chapter of the "
                f"book, e.g. {student}_{next(iter(teachers), '01_name')}.ipynb; not graded"
            )
        else:
            data = guard.contents.get(path) or b""
            teacher = teacher_notebooks[chapter]
            task_options = {**options, "plan": plans[chapter]}
            tasks.append(
                ((path.name, student, chapter), data, teacher, timeout, task_options)
            )
    results, windows, changes = {}, {}, []
    last_clean = time.time()
    bar = tqdm(
        total=len(tasks),
        desc="grading",
        unit="notebook",
        disable=not progress or not tasks,
    )
    say = log or bar.write

    def finished(key, result, started, ended):
        nonlocal last_clean
        name = key[0]
        results[name], windows[name] = result, (started, ended)
        checked = time.time()
        changed = guard.changed()
        if changed:
            guard.restore(changed)
            changes.append((last_clean, checked, changed))
        last_clean = checked
        bar.update()
        say(
            f"graded {name} in {ended - started:.0f} s: "
            + ", ".join(
                f"{exercise} {status}" for exercise, status in result.statuses.items()
            )
        )

    before = {process.pid for process in descendants()}
    become_subreaper()  # a kernel whose worker died is left to this process, to be killed
    try:
        run_tasks(tasks, jobs, finished)
    finally:
        kill_tree([p for p in descendants() if p.pid not in before])
        become_subreaper(False)
    bar.close()
    graded = set()
    for path, student, chapter in named:
        if chapter is None:
            continue
        result, (started, ended) = results[path.name], windows[path.name]
        for (
            since,
            until,
            changed,
        ) in changes:  # this notebook ran while those files changed
            if started < until and ended > since:
                listed = ", ".join(str(p) for p in changed[:3])
                note = (
                    f"files the grader protects changed while this notebook ran: {listed} "
                    f"(put back; with --jobs above 1, regrade alone to tell who did it)"
                )
                result.statuses = dict.fromkeys(result.statuses, "error")
                result.notes.append(note)
                for messages in result.messages.values():
                    messages.append(note)
        row = rows[student]
        graded.add((student, chapter))
        row.statuses.update(result.statuses)
        row.messages.update(result.messages)
        row.notes += [f"{chapter}: {note}" for note in result.notes]
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
    return exercises, list(rows.values())


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
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        metavar="N",
        help=f"notebooks graded at the same time (default: the number of cores, {default_jobs()})",
    )
    parser.add_argument(
        "--feedback",
        metavar="DIR",
        help="also write one Markdown file per student into DIR: status and message per exercise",
    )
    parser.add_argument(
        "--memory",
        type=float,
        default=DEFAULT_MEMORY_GB,
        metavar="GB",
        help=f"address-space limit of each kernel (default: {DEFAULT_MEMORY_GB})",
    )
    parser.add_argument(
        "--max-output",
        type=float,
        default=DEFAULT_MAX_OUTPUT_MB,
        metavar="MB",
        help=f"output kept per notebook; past it the cell is interrupted (default: {DEFAULT_MAX_OUTPUT_MB})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not Path(args.submissions_dir).is_dir():
        parser.error(
            f"SUBMISSIONS_DIR: {args.submissions_dir} is not a folder of submitted notebooks"
        )
    for name, value, unit in [
        ("--timeout", args.timeout, "seconds"),
        ("--memory", args.memory, "GB"),
        ("--max-output", args.max_output, "MB"),
    ]:
        if not value > 0:
            parser.error(
                f"{name}: should be a positive number of {unit}, got {value:g}"
            )
    if args.jobs < 1:
        parser.error(f"--jobs: should be at least 1, got {args.jobs}")
    feedback = Path(args.feedback) if args.feedback else None
    if feedback is not None and feedback.exists() and not feedback.is_dir():
        parser.error(f"--feedback: {feedback} exists and is not a folder")
    try:
        exercises, rows = grade_folder(
            args.submissions_dir,
            args.book,
            args.timeout,
            jobs=args.jobs,
            memory_gb=args.memory,
            max_output_mb=args.max_output,
            out=args.out,
            progress=not args.quiet,
        )
    except ValueError as error:
        parser.error(str(error))
    write_csv(exercises, rows, args.out)
    print(report(exercises, rows))
    print(f"\nwrote {args.out}: {len(rows)} students, {len(exercises)} exercises")
    if feedback is not None:
        written = write_feedback(exercises, rows, feedback, STATUSES)
        print(f"wrote {len(written)} feedback files into {feedback}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
