"""Run configuration in one place: the scale, the data folder, offline mode, seeds and the device.

Environment variables (all optional):

- ``COURSE_SCALE=tiny|book|full``: how much data and how many epochs a chapter uses.
  ``tiny`` is for CI and the grader (seconds per chapter), ``book`` (the default) is what
  ``make book`` builds, with fixed data sizes, and ``full`` uses all the data, for a GPU.
  ``COURSE_TINY=1`` is an alias of ``COURSE_SCALE=tiny``.
- ``COURSE_OFFLINE=1``: never try a download; MNIST comes from the bundled offline sample.
- ``COURSE_DATA_DIR``: where downloaded data sets are cached.
- ``COURSE_DEVICE``: force a device (``cpu``, ``cuda``, ``cuda:N``, ``mps``).
- ``TQDM_DISABLE=1``: no progress bars (tqdm's own switch; the book build sets it, so that a
  built page carries no progress-bar widget).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from .validation import check_int

SCALES = ("tiny", "book", "full")
_TRUE = {"1", "true", "yes"}
_SAME_AS_BOOK = object()  # by_scale's default for ``full``


def _flag(name: str) -> bool:
    return os.environ.get(name, "0").strip().lower() in _TRUE


def scale() -> str:
    """The current scale: ``COURSE_SCALE``, or ``tiny`` when ``COURSE_TINY=1``, else ``book``."""
    chosen = os.environ.get("COURSE_SCALE", "").strip().lower()
    if chosen and chosen not in SCALES:
        raise ValueError(
            f"COURSE_SCALE must be one of {', '.join(SCALES)}, got {chosen!r}"
        )
    if _flag("COURSE_TINY"):
        if chosen not in ("", "tiny"):
            raise ValueError(
                f"COURSE_TINY=1 and COURSE_SCALE={chosen} disagree: set only one"
            )
        return "tiny"
    return chosen or "book"


def is_tiny() -> bool:
    """True at the tiny scale (CI, the grader, quick checks)."""
    return scale() == "tiny"


def by_scale(*, tiny, book, full=_SAME_AS_BOOK):
    """The value for the current scale: ``epochs = by_scale(tiny=2, book=20, full=50)``.

    ``full`` defaults to the ``book`` value; ``full=None`` for a data size means "all there is":
    pass it on as ``load_mnist(limit=...)`` and, wherever the number itself is needed, read
    it from the loaded data (``len(test.images)``), never from the size (it is ``None``).
    """
    current = scale()
    if current == "tiny":
        return tiny
    if current == "full" and full is not _SAME_AS_BOOK:
        return full
    return book


def is_offline() -> bool:
    """True when ``COURSE_OFFLINE=1`` says not to try any download."""
    return _flag("COURSE_OFFLINE")


def progress_bars() -> bool:
    """False when ``TQDM_DISABLE=1``: training loops then draw no progress bar.

    tqdm's notebook bar ignores that variable, so the course's loops ask here.
    """
    return not _flag("TQDM_DISABLE")


def data_dir() -> Path:
    """Where data sets are cached: ``COURSE_DATA_DIR`` or ``~/.cache/autoencoders-course``."""
    configured = os.environ.get("COURSE_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "autoencoders-course"


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so that a run gives the same numbers twice.

    Returns nothing, so that a notebook cell ending with it prints nothing.
    """
    check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """The fastest device available: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (or the ``COURSE_DEVICE`` environment variable) forces one, e.g. ``"cpu"``.
    """
    choice = prefer or os.environ.get("COURSE_DEVICE")
    if choice:
        if choice not in {"cpu", "cuda", "mps"} and not choice.startswith("cuda:"):
            raise ValueError(
                f"prefer must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {choice!r}"
            )
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
