"""Run configuration in one place: scale, data folder, offline mode, seeds and device.

Environment variables (all optional):

- ``COURSE_SCALE=tiny|book|full``: how much data and how many epochs a chapter uses.
  ``tiny`` is for CI and the grader (seconds per chapter), ``book`` (the default) is
  what ``make book`` builds, with fixed data sizes, and ``full`` uses all the data, for
  a GPU. ``COURSE_TINY=1`` is an alias of ``COURSE_SCALE=tiny``.
- ``COURSE_OFFLINE=1``: never try a download; MNIST comes from the bundled offline
  sample.
- ``COURSE_DATA_DIR``: where downloaded data sets are cached.
- ``COURSE_DEVICE``: force a device (``cpu``, ``cuda``, ``cuda:N``, ``mps``).
- ``TQDM_DISABLE=1``: no progress bars (tqdm's own switch; the book build sets it, so
  that a built page carries no progress-bar widget).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from .validation import non_negative_int, one_of, reject, satisfies, validated

SCALES = ("tiny", "book", "full")
_TRUE = {"1", "true", "yes"}
# by_scale's default for ``full``
_SAME_AS_BOOK = object()


def _flag(name: str) -> bool:
    return os.environ.get(name, "0").strip().lower() in _TRUE


def scale() -> str:
    """The scale: ``COURSE_SCALE``, ``tiny`` when ``COURSE_TINY=1``, else ``book``."""
    # read from the environment, so checked here rather than by @validated
    chosen = os.environ.get("COURSE_SCALE", "").strip().lower()
    if chosen:
        one_of(*SCALES)("COURSE_SCALE", chosen)
    if _flag("COURSE_TINY"):
        if chosen not in ("", "tiny"):
            reject("COURSE_SCALE", "tiny or unset when COURSE_TINY=1 is set", chosen)
        return "tiny"
    return chosen or "book"


def is_tiny() -> bool:
    """True at the tiny scale (CI, the grader, quick checks)."""
    return scale() == "tiny"


def by_scale(*, tiny, book, full=_SAME_AS_BOOK):
    """The value for the current scale: ``epochs = by_scale(tiny=2, book=20, full=50)``.

    ``full`` defaults to the ``book`` value; ``full=None`` for a data size means "all
    there is": pass it on as ``load_mnist(limit=...)`` and, wherever the number itself
    is needed, read it from the loaded data (``len(test.images)``), never from the size
    (it is ``None``).
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
    """The data sets' cache: ``COURSE_DATA_DIR`` or ``~/.cache/autoencoders-course``."""
    configured = os.environ.get("COURSE_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "autoencoders-course"


@validated(seed=non_negative_int)
def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so that a run gives the same numbers twice.

    Returns nothing, so that a notebook cell ending with it prints nothing.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _is_device_name(name) -> bool:
    return name in {"cpu", "cuda", "mps"} or str(name).startswith("cuda:")


device_name = satisfies(_is_device_name, "'cpu', 'cuda', 'cuda:N' or 'mps'")


def get_device(prefer: str | None = None) -> torch.device:
    """The fastest device available: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (or the ``COURSE_DEVICE`` environment variable) forces one, e.g.
    ``"cpu"``.
    """
    # prefer, or else the environment: checked here, as either may give the name
    choice = prefer or os.environ.get("COURSE_DEVICE")
    if choice:
        device_name("prefer" if prefer else "COURSE_DEVICE", choice)
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
