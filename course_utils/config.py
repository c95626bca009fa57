"""Run configuration: seeds, device choice and the tiny/default scale switch.

``COURSE_TINY=1`` makes every notebook run on tiny data in seconds (CI uses it);
without it the notebooks run at the book's scale.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from .validation import check_int


def is_tiny() -> bool:
    """True when ``COURSE_TINY=1`` asks for the tiny scale (CI, quick checks)."""
    return os.environ.get("COURSE_TINY", "0").strip().lower() in {"1", "true", "yes"}


def by_scale(default, tiny):
    """Pick a value for the current scale: ``epochs = by_scale(default=20, tiny=1)``."""
    return tiny if is_tiny() else default


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch so that a run gives the same numbers twice.

    Returns a ``torch.Generator`` seeded the same way, for code that wants its own stream.
    """
    check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """The fastest device available: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (or the ``COURSE_DEVICE`` environment variable) forces one, e.g. ``"cpu"``.
    """
    choice = prefer or os.environ.get("COURSE_DEVICE")
    if choice:
        if choice not in {"cpu", "cuda", "mps"} and not choice.startswith("cuda:"):
            raise ValueError(f"prefer must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {choice!r}")
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
