"""How long the grader takes for a class: N copies of one chapter's teacher notebook at the tiny scale.

    python bench/grading_speed.py [--n 100] [--chapter 01_linear_autoencoder] [--jobs CORES]

Every copy passes all its checks, so each runs to the end: the slowest case. Prints a Markdown
section that starts with ``## Grading speed``. With ``--n`` below 100 it also extrapolates to a class
of 100 (the time grows linearly with the number of notebooks once all workers are busy). The load
average of the machine is printed beside the numbers: on a shared machine they are inflated.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_utils.teaching.grade import default_jobs  # noqa: E402

CLASS = 100


def grade_class(
    n: int, chapter: str, jobs: int, timeout: float
) -> tuple[float, int, int]:
    """Seconds to grade ``n`` copies, how many notebooks passed every exercise, and how many ran."""
    teacher = ROOT / "book" / f"{chapter}.ipynb"
    if not teacher.is_file():
        raise SystemExit(f"--chapter: no notebook {teacher}")
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as folder:
        submissions = Path(folder) / "submissions"
        submissions.mkdir()
        for index in range(n):
            shutil.copy(teacher, submissions / f"student{index:03d}_{chapter}.ipynb")
        out = Path(folder) / "grades.csv"
        command = [sys.executable, "-m", "course_utils.grade", str(submissions)]
        command += ["--out", str(out), "--jobs", str(jobs), "--timeout", str(timeout)]
        env = {
            **os.environ,
            "COURSE_OFFLINE": "1",
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(ROOT),
        }
        started = time.monotonic()
        subprocess.run(
            command, cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL
        )
        seconds = time.monotonic() - started
        with open(out, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    exercises = [key for key in rows[0] if key.startswith("ex-")]
    good = [all(row[e] in {"pass", "skipped"} for e in exercises) for row in rows]
    for row, ok in zip(rows, good):
        if not ok:
            print(f"{row['student']}: {row['notes']}", file=sys.stderr)
    passed = sum(good)
    return seconds, passed, len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=CLASS, help=f"class size (default: {CLASS})"
    )
    parser.add_argument(
        "--chapter", default="01_linear_autoencoder", help="the chapter graded"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="notebooks at a time (default: cores)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds per notebook"
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n: should be at least 1, got {args.n}")
    if args.jobs < 1:
        parser.error(f"--jobs: should be at least 1, got {args.jobs}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    seconds, passed, graded = grade_class(args.n, args.chapter, args.jobs, args.timeout)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    per_notebook = seconds / args.n
    busy = (
        "other work shared the CPU and the times are inflated"
        if max(load, load_after) > default_jobs()
        else "the machine was otherwise idle"
    )
    print("## Grading speed\n")
    print(
        f"`python bench/grading_speed.py --n {args.n} --chapter {args.chapter} "
        f"--jobs {args.jobs}`: {args.n} copies of the teacher's `{args.chapter}` graded at the "
        f"tiny scale, {args.jobs} at a time, on {default_jobs()} cores, each in its sandbox "
        f"(load average {load:.1f} when it started and {load_after:.1f} when it ended: "
        f"{busy}).\n"
    )
    print("| notebooks | jobs | wall time | per notebook | passed every check |")
    print("|---|---|---|---|---|")
    print(
        f"| {args.n} | {args.jobs} | {seconds:.0f} s ({seconds / 60:.1f} min) "
        f"| {per_notebook:.1f} s | {passed} of {graded} |"
    )
    if args.n < CLASS:
        estimate = per_notebook * CLASS
        print(
            f"\nExtrapolated, not measured: a class of {CLASS} would take about "
            f"{estimate:.0f} s ({estimate / 60:.1f} min) at the same rate."
        )
    return 0 if passed == graded == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
