"""Time every chapter, executed top to bottom, at the tiny or the default scale.

    .venv/bin/python bench/time_chapters.py            # default scale (the book's)
    .venv/bin/python bench/time_chapters.py --tiny     # COURSE_TINY=1 (the tests' scale)
    .venv/bin/python bench/time_chapters.py --tiny book/01_linear_autoencoder.ipynb
    .venv/bin/python bench/time_chapters.py --save /tmp/executed   # keep the executed copies

Prints the wall time of each chapter against its budget. The budgets come from the course
design: the whole book in under 20 minutes on a 2-core CPU at the default scale (offline
MNIST sample), and well under a minute per chapter at the tiny scale. A benchmark, not a
test: it reports and exits 1 when over budget, it asserts nothing about behaviour.
"""

from __future__ import annotations

import argparse
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
    client.execute()
    seconds = time.perf_counter() - start
    if save_to is not None:  # keep the executed copy, to read the numbers it printed
        save_to.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save_to / notebook.name)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tiny", action="store_true", help="run at the tiny scale (COURSE_TINY=1)"
    )
    parser.add_argument(
        "--save", type=Path, help="folder to write the executed notebooks to"
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="chapters to time (default: all)"
    )
    args = parser.parse_args()
    scale = "tiny" if args.tiny else "default"
    os.environ["COURSE_TINY"] = "1" if args.tiny else "0"
    os.environ.setdefault("MPLBACKEND", "Agg")
    notebooks = args.notebooks or sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    print(f"scale: {scale}, CPU cores: {os.cpu_count()}")
    total = 0.0
    over = False
    for notebook in notebooks:
        seconds = run(notebook, args.save)
        total += seconds
        flag = ""
        if scale == "tiny" and seconds > BUDGET_S["tiny"]:
            flag, over = "  over the tiny budget", True
        print(f"{notebook.stem:32s} {seconds:7.1f} s{flag}", flush=True)
    print(f"{'total':32s} {total:7.1f} s")
    if scale == "default" and total > BUDGET_S["default"]:
        print(f"over the book's budget of {BUDGET_S['default'] / 60:.0f} minutes")
        over = True
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
