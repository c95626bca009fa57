"""Time every chapter, executed top to bottom, at the tiny, the book or the full scale.

    .venv/bin/python bench/time_chapters.py            # default scale (the book's)
    .venv/bin/python bench/time_chapters.py --tiny     # COURSE_TINY=1 (the tests' scale)
    .venv/bin/python bench/time_chapters.py --tiny book/01_linear_autoencoder.ipynb
    .venv/bin/python bench/time_chapters.py --save /tmp/executed   # keep the executed copies
    COURSE_DATA_DIR=/work/realmnist .venv/bin/python bench/time_chapters.py --scale full \
        --results /tmp/rows book/04_denoising.ipynb   # quality rows on the real MNIST

Prints the wall time of each chapter against its budget, and the load average before and
after it (on a shared machine the wall time grows with the load). The budgets come from the course
design: the whole book in under 20 minutes on a 2-core CPU at the default scale (offline
MNIST sample), and well under a minute per chapter at the tiny scale. A benchmark, not a
test: it reports and exits 1 when over budget, it asserts nothing about behaviour.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = {"tiny": 60, "default": 20 * 60}  # per chapter (tiny), whole book (default)


def run(notebook: Path, save_to: Path | None) -> float:
    """Execute ``notebook`` in a fresh kernel from its own folder; return the wall time in seconds."""
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=None,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        if save_to is not None:  # the executed copy, to read what it printed (or where
            save_to.mkdir(parents=True, exist_ok=True)  # it stopped)
            nbformat.write(nb, save_to / notebook.name)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tiny", action="store_true", help="run at the tiny scale (COURSE_TINY=1)"
    )
    parser.add_argument(
        "--scale",
        choices=("tiny", "book", "full"),
        help="COURSE_SCALE for the chapters (default: the book's)",
    )
    parser.add_argument(
        "--save", type=Path, help="folder to write the executed notebooks to"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="folder for the quality rows each chapter records (NN_name.json), "
        "the rows of make bench's quality table",
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="chapters to time (default: all)"
    )
    args = parser.parse_args()
    if args.tiny and args.scale not in (None, "tiny"):
        parser.error("--tiny and --scale disagree: give one")
    scale = "tiny" if args.tiny else (args.scale or "default")
    os.environ["COURSE_TINY"] = "1" if scale == "tiny" else "0"
    if args.scale:
        os.environ["COURSE_SCALE"] = args.scale
    os.environ.setdefault("MPLBACKEND", "Agg")
    if args.results:
        args.results.mkdir(parents=True, exist_ok=True)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    print(f"scale: {scale}, CPU cores: {os.cpu_count()}")
    total = 0.0
    over = False
    for notebook in notebooks:
        if args.results:
            os.environ["COURSE_RESULTS_FILE"] = str(
                args.results.resolve() / f"{notebook.stem}.json"
            )
        load_before = os.getloadavg()[0]
        flag = ""
        try:
            seconds = run(notebook, args.save)
        except Exception as error:  # the other chapters are still timed
            last = [line for line in str(error).splitlines() if line.strip()]
            seconds, over = float("nan"), True
            flag = f"  failed: {type(error).__name__}: {last[-1] if last else ''}"
        total += 0.0 if math.isnan(seconds) else seconds
        if scale == "tiny" and seconds > BUDGET_S["tiny"]:
            flag, over = "  over the tiny budget", True
        print(
            f"{notebook.stem:32s} {seconds:7.1f} s  (load average {load_before:.1f} "
            f"before, {os.getloadavg()[0]:.1f} after){flag}",
            flush=True,
        )
    print(f"{'total':32s} {total:7.1f} s")
    if scale in ("default", "book") and total > BUDGET_S["default"]:
        print(f"over the book's budget of {BUDGET_S['default'] / 60:.0f} minutes")
        over = True
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
