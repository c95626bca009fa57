"""Shared test set-up: a headless matplotlib, and quick access to the repository's paths."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))


def tiny_env(**extra: str) -> dict[str, str]:
    """The environment for running notebooks in tests: tiny scale, headless plotting."""
    env = dict(os.environ, COURSE_TINY="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    env.update(extra)
    return env
