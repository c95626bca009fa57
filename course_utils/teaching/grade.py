"""The instructor's grader: a folder of submitted notebooks in, a per-student,
per-exercise table out.

    python -m course_utils.grade SUBMISSIONS_DIR [--out grades.csv] [--jobs N]
        [--feedback DIR] [--timeout SECONDS] [--memory GB] [--book BOOK_DIR]
        [--no-sandbox]

A submission is a notebook named ``STUDENT_<chapter>.ipynb``, e.g.
``alice_01_linear_autoencoder.ipynb`` (``<chapter>`` is a teacher notebook's name in
``book/``; ``Copy of ...`` and ``... (1).ipynb``, as browsers and Colab name downloads,
are recognised). The grade is decided in this process, which never runs a submission's
code:

1. which checks each check cell calls is read from the teacher notebook
   (:mod:`course_utils.teaching.trusted_checks`), and each check's inputs are drawn here
   with a secret seed and written into the job's read-only ``handover/inputs``;
2. the notebook, its check cells replaced by the teacher's, runs top to bottom at the
   tiny scale in a sandbox (:mod:`course_utils.teaching.sandbox`,
   :mod:`course_utils.teaching.harness`); its check cells only hand over their answers
   as tensors (safetensors files);
3. each answer is loaded here by a size-capped safetensors reader and judged by the
   check's own ``judge``. No output of the notebook is read as a verdict: a missing
   answer is never a pass.

The grader prints a table and writes a CSV: one row per student, one column per exercise
(see :data:`STATUSES`), the number of exercises passed, and notes that say what went
wrong; with ``--feedback`` also one Markdown file per student.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import queue
import re
import secrets
import shutil
import sys
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import torch
from tqdm import tqdm

from ..checks.protocol import open_inside, save_tensors
from ..tables import format_table
from .exercises import chapter_notebooks, check_cells, exercise_ids, read_notebook
from .feedback import write_feedback
from .sandbox import FIRST_UID, NOTEBOOK_SCALE, UNDEFENDED, Sandbox, private_root
from .trusted_checks import CheckCell, chapter_plan, first_line, judge

HARNESS = Path(__file__).with_name("harness.py")

# seconds per notebook; a chapter takes well under a minute at tiny
DEFAULT_TIMEOUT = 120
DEFAULT_MEMORY_GB = 4  # a chapter's kernel at the tiny scale holds about 1 GB
STARTUP = 60  # seconds on top of the time limit: the kernel's start and end
MAX_NOTEBOOK_BYTES = 50 * 2**20
MAX_REPORT_BYTES = 2**20

STATUSES = {
    "pass": "the grader judged the answer the check handed over, and it passed",
    "fail": (
        "a check found the answer wrong (CheckFailed); the notes say what it expected"
    ),
    "error": (
        "a check raised another exception (e.g. NameError or NotImplementedError when "
        "the solution is missing), the kernel died, or the answer handed over was "
        "unreadable"
    ),
    "skipped": (
        "the check cannot run here (its data set cannot be downloaded): neither pass "
        "nor fail"
    ),
    "missing": (
        "the notebook lacks a check cell of the exercise, or the student handed in no "
        "notebook for that chapter"
    ),
    "timeout": "the notebook ran past the time limit before the check finished",
    "invalid": (
        "the file is not a readable notebook (not valid JSON, or not a Jupyter "
        "notebook)"
    ),
}
WORST_FIRST = ["invalid", "timeout", "missing", "error", "fail", "skipped", "pass"]
TRUSTED = threading.Lock()  # checks seed torch's global generator: one judge at a time
# what browsers and Colab make of a file name: "Copy of x.ipynb", "x (1).ipynb"
DOWNLOADED = re.compile(r"(?:Copy of |Copy_of_)?(?P<stem>.+?)(?: ?\(\d+\))?\.ipynb")


@dataclass
class Result:
    """The grade of one submitted notebook: a status per exercise, what each check said
    (for the student), and notes for the instructor."""

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
    """An exercise passes only when all its checks pass; otherwise it gets its worst
    status."""
    return min(statuses, key=WORST_FIRST.index)


def split_name(path: Path, chapters: list[str]) -> tuple[str, str | None]:
    """``(student, chapter)`` from ``alice_01_linear_autoencoder.ipynb`` (or ``Copy of
    ...``, ``... (1).ipynb``); chapter None when it names none."""
    match = DOWNLOADED.fullmatch(path.name)
    stem = match["stem"] if match else path.stem
    for chapter in chapters:
        if stem.endswith(f"_{chapter}") and len(stem) > len(chapter) + 1:
            return stem[: -len(chapter) - 1], chapter
    return path.stem, None


def pair_check_cells(
    submission, plan: list[CheckCell]
) -> list[tuple[CheckCell, int | None]]:
    """Each teacher check cell with the submission's next check cell of the same
    exercise (None where it lost it)."""
    found = defaultdict(deque)
    for index, exercise in check_cells(submission):
        found[exercise].append(index)
    return [
        (cell, found[cell.exercise].popleft() if found[cell.exercise] else None)
        for cell in plan
    ]


def read_report(path: Path, cells: int) -> dict:
    """The runner's report, read without trusting it: how far the run got, why it
    stopped, and per cell an error's type and one capped line."""
    report = {
        "ran": 0,
        "stopped": "the notebook's run ended without a report",
        "errors": {},
    }
    try:
        with os.fdopen(open_inside(path.parent, Path(path.name)), "rb") as file:
            data = json.loads(file.read(MAX_REPORT_BYTES))
        ran, stopped, errors = data["ran"], data["stopped"], data["errors"]
        report["ran"] = min(max(int(ran), 0), cells)
        report["stopped"] = {
            "timeout": "timeout",
            "the kernel died": "the kernel died",
        }.get(stopped, None if data.get("done") is True else report["stopped"])
        for key, (name, message) in list(errors.items())[:cells]:
            report["errors"][int(key)] = (
                first_line(name, 80),
                first_line(message, 400),
            )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    return report


def prepared(submission, pairs) -> nbformat.NotebookNode:
    """The submission with each paired check cell running the teacher's check source."""
    notebook = nbformat.from_dict(submission)
    for cell, index in pairs:
        if index is not None:
            notebook.cells[index] = nbformat.v4.new_code_cell(cell.source)
    return notebook


@dataclass
class Run:
    """What one grading run shares: the sandbox, its private folder, job slots."""

    sandbox: Sandbox
    folder: Path
    slots: queue.Queue
    unavailable: dict = field(default_factory=dict)

    def skip_reason(self, check) -> str | None:
        # asked at the scale the notebooks ran at (a check may judge at some scales
        # only), not at the one the grader's own environment happens to name
        if check not in self.unavailable:
            scale = NOTEBOOK_SCALE["COURSE_SCALE"]
            reason = check.unavailable(scale) if check.unavailable else None
            self.unavailable[check] = reason
        return self.unavailable[check]


def new_run(sandbox: Sandbox | None = None, jobs: int = 1) -> Run:
    slots = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    return Run(sandbox or default_sandbox(), private_root(), slots)


def default_sandbox() -> Sandbox:
    """bubblewrap where it holds, else (a developer's machine) the notebook
    unconfined."""
    sandbox = Sandbox("bwrap")
    folder = private_root()
    try:
        return sandbox if sandbox.probe(folder) is None else Sandbox("none")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def grade_notebook(
    submission,
    teacher,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    plan: list[CheckCell] | None = None,
    run: Run | None = None,
) -> Result:
    """Run ``submission`` (a notebook) in the sandbox and judge what its check cells
    hand over."""
    own_run = run is None
    run = run or new_run()
    plan = chapter_plan(teacher) if plan is None else plan
    pairs = pair_check_cells(submission, plan)
    slot = run.slots.get()
    job = run.folder / f"job-{secrets.token_hex(8)}"
    try:
        run.sandbox.make_job(job, (FIRST_UID + slot) if run.sandbox.root else None)
        nbformat.write(prepared(submission, pairs), job / "handover" / "notebook.ipynb")
        inputs = {}
        with TRUSTED:
            for cell, index in pairs:
                for check in cell.checks if index is not None else []:
                    if run.skip_reason(check) is None:
                        generator = torch.Generator().manual_seed(secrets.randbits(63))
                        inputs[check] = check.inputs(generator)
                        path = check.path(job / "handover", "inputs")
                        save_tensors(check.handed_in(inputs[check]), path)
                        # safetensors writes 0600: the sandbox reads it
                        path.chmod(0o644)
        paths = run.sandbox.paths(job)
        # by its path, not with -m: importing course_utils would import torch and
        # scikit-learn into the runner, seconds per notebook for nothing
        command = [str(HARNESS)]
        command += [
            f"{paths['handover']}/notebook.ipynb",
            f"{paths['output']}/report.json",
        ]
        killed = run.sandbox.run(job, slot, timeout + STARTUP, [*command, str(timeout)])
        report = read_report(job / "output" / "report.json", len(submission.cells))
        if killed:
            report["stopped"] = "timeout"
        if os.environ.get("COURSE_GRADER_DEBUG"):
            log = (job / "sandbox.log").read_bytes()[-4000:].decode(errors="replace")
            print(f"{job.name}: {report}\n{log}", file=sys.stderr)
        with TRUSTED:
            return verdicts(
                pairs, report, job / "handover" / "answers", inputs, run, timeout
            )
    finally:
        run.slots.put(slot)
        shutil.rmtree(job, ignore_errors=True)
        if own_run:
            shutil.rmtree(run.folder, ignore_errors=True)


def verdicts(pairs, report, answers: Path, inputs, run: Run, timeout: float) -> Result:
    """The statuses, messages and notes of one notebook from its report and its
    answers."""
    ran, stopped, errors = report["ran"], report["stopped"], report["errors"]
    checks = {index for _, index in pairs if index is not None}
    notes = []
    if stopped:
        why = (
            f"stopped by the {timeout:g} s time limit"
            if stopped == "timeout"
            else stopped
        )
        notes.append(f"{why} in cell {ran}")
    outside = [index for index in sorted(errors) if index not in checks]
    if outside:
        name, message = errors[outside[0]]
        notes.append(f"cell {outside[0]} raised {name}: {first_line(message, 160)}")
    per_exercise, messages = defaultdict(list), defaultdict(list)
    for cell, index in pairs:
        exercise = cell.exercise
        found = []
        if index is None:
            found = [("missing", f"{exercise}: its check cell is missing")]
        elif cell.problem:
            found = [("error", cell.problem)]
        for check in cell.checks if not found else []:
            reason = run.skip_reason(check)
            if reason:
                found.append(("skipped", f"⚠ {exercise} skipped: {reason}"))
            elif (
                index in errors
            ):  # the check cell raised: its error decides, never a pass
                name, message = errors[index]
                if name == "CheckFailed":
                    found.append(("fail", message))
                else:
                    found.append(("error", f"{exercise}: {name}: {message}"))
            elif index >= ran:
                status = "timeout" if stopped == "timeout" else "error"
                why = f"{exercise}: the notebook stopped before this check ({notes[0]})"
                found.append((status, why))
            else:
                status, message = judge(check, answers, inputs[check])
                if status == "missing":
                    status = "error"
                    message += " (did the notebook replace the check function?)"
                found.append((status, message))
        for status, message in found:
            per_exercise[exercise].append(status)
            messages[exercise].append(message)
            if status not in ("pass", "skipped") and (index is None or index < ran):
                notes.append(first_line(message, 160))
    return Result(
        {exercise: worst(statuses) for exercise, statuses in per_exercise.items()},
        notes,
        dict(messages),
    )


def grade_file(
    path: Path, teacher, timeout: float = DEFAULT_TIMEOUT, **options
) -> Result:
    """Grade one submitted file; whatever is wrong with it becomes its result, never an
    exception."""
    exercises = exercise_ids(teacher)
    try:
        if Path(path).stat().st_size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
        submission = nbformat.reads(
            Path(path).read_bytes().decode("utf-8"), as_version=4
        )
    except Exception as error:  # not UTF-8, not JSON, or JSON that is no notebook
        note = f"not a valid notebook: {type(error).__name__}: {first_line(error, 160)}"
        return Result(
            dict.fromkeys(exercises, "invalid"), [note], {e: [note] for e in exercises}
        )
    try:
        return grade_notebook(submission, teacher, timeout, **options)
    except Exception as error:  # e.g. a notebook whose cells lack fields nbformat needs
        note = f"could not be run: {type(error).__name__}: {first_line(error, 160)}"
        return Result(
            dict.fromkeys(exercises, "error"), [note], {e: [note] for e in exercises}
        )


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
    sandbox: bool = True,
    progress: bool = True,
) -> tuple[list[str], list[Row]]:
    """Grade every ``*.ipynb`` in ``submissions_dir`` with ``jobs`` notebooks at a time
    (default: the number of cores): the exercise columns and one row per student.

    Raises RuntimeError, saying what to install, when the sandbox does not hold here
    (unless ``sandbox`` is False: the notebooks then run unconfined).
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
    teachers = {path.stem: path for path in chapter_notebooks(book_dir)}
    box = Sandbox("bwrap" if sandbox else "none", memory=int(memory_gb * 2**30))
    run = new_run(box, jobs)
    try:
        problem = box.probe(run.folder)
        if problem:
            raise RuntimeError(problem)
        return grade_named(submissions_dir, teachers, timeout, run, jobs, log, progress)
    finally:
        shutil.rmtree(run.folder, ignore_errors=True)


def grade_named(submissions_dir, teachers, timeout, run, jobs, log, progress):
    named = [
        (path, *split_name(path, list(teachers)))
        for path in sorted(
            submissions_dir.glob("*.ipynb"),
            key=lambda p: ("(" in p.name or p.name.startswith("Copy"), p.name),
        )
    ]
    handed_in = [c for c in teachers if c in {chapter for *_, chapter in named}]
    teacher_notebooks = {
        chapter: read_notebook(teachers[chapter]) for chapter in handed_in
    }
    plans = {chapter: chapter_plan(teacher_notebooks[chapter]) for chapter in handed_in}
    rows: dict[str, Row] = {}
    tasks, seen = [], {}
    for path, student, chapter in named:
        row = rows.setdefault(student, Row(student))
        if chapter is None:
            match = DOWNLOADED.fullmatch(path.name)
            example = f"{student}_{next(iter(teachers), '01_name')}"
            if (
                match and match["stem"] in teachers
            ):  # a chapter's name, but no student's
                example = f"STUDENT_{match['stem']}"
            row.notes.append(
                f"{path.name}: the name should be STUDENT_<chapter>.ipynb with a "
                f"chapter of the book, e.g. {example}.ipynb; not graded"
            )
        elif (student, chapter) in seen:
            row.notes.append(
                f"{path.name}: {seen[student, chapter]} is also {student}'s {chapter} "
                "and was graded instead; keep one file per chapter"
            )
        else:
            seen[student, chapter] = path.name
            tasks.append((path, student, chapter))
    bar = tqdm(
        total=len(tasks),
        desc="grading",
        unit="notebook",
        disable=not progress or not tasks,
    )
    say = log or bar.write
    say(f"each notebook runs in: {run.sandbox.limits}")
    results = {}

    def grade_one(task):
        path, _, chapter = task
        started = time.monotonic()
        options = {"plan": plans[chapter], "run": run}
        result = grade_file(path, teacher_notebooks[chapter], timeout, **options)
        return task, result, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in as_completed([pool.submit(grade_one, task) for task in tasks]):
            (path, student, chapter), result, seconds = future.result()
            results[path] = result
            bar.update()
            say(
                f"graded {path.name} in {seconds:.0f} s: "
                + ", ".join(f"{e} {s}" for e, s in result.statuses.items())
            )
    bar.close()
    graded = set()
    for path, student, chapter in tasks:
        result, row = results[path], rows[student]
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
        e for chapter in handed_in for e in exercise_ids(teacher_notebooks[chapter])
    ]
    return exercises, sorted(rows.values(), key=lambda row: row.student)


def spreadsheet_safe(value) -> str:
    """A CSV cell that no spreadsheet reads as a formula (a leading ``'`` where it
    would)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(exercises: list[str], rows: list[Row], out: Path | str) -> None:
    with open(out, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["student", *exercises, "total", "notes"])
        for row in rows:
            cells = [
                row.student,
                *map(row.status, exercises),
                row.total,
                "; ".join(row.notes),
            ]
            writer.writerow(list(map(spreadsheet_safe, cells)))


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
        help="notebooks graded at the same time (default: the number of cores, "
        f"{default_jobs()})",
    )
    parser.add_argument(
        "--feedback",
        metavar="DIR",
        help="also write one Markdown file per student into DIR: status and message "
        "per exercise",
    )
    parser.add_argument(
        "--memory",
        type=float,
        default=DEFAULT_MEMORY_GB,
        metavar="GB",
        help="memory limit of each notebook, its processes together (default: "
        f"{DEFAULT_MEMORY_GB})",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the notebooks unconfined, without bubblewrap (only for notebooks "
        "you trust)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not Path(args.submissions_dir).is_dir():
        parser.error(
            f"SUBMISSIONS_DIR: {args.submissions_dir} is not a folder of submitted "
            "notebooks"
        )
    for name, value, unit in [
        ("--timeout", args.timeout, "seconds"),
        ("--memory", args.memory, "GB"),
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
    if args.no_sandbox:
        print(f"warning: {UNDEFENDED}", file=sys.stderr)
    try:
        exercises, rows = grade_folder(
            args.submissions_dir,
            args.book,
            args.timeout,
            jobs=args.jobs,
            memory_gb=args.memory,
            sandbox=not args.no_sandbox,
            progress=not args.quiet,
        )
    except ValueError as error:
        parser.error(str(error))
    except RuntimeError as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 2
    write_csv(exercises, rows, args.out)
    print(report(exercises, rows))
    print(f"\nwrote {args.out}: {len(rows)} students, {len(exercises)} exercises")
    if feedback is not None:
        written = write_feedback(exercises, rows, feedback, STATUSES)
        print(f"wrote {len(written)} feedback files into {feedback}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
