"""Classical baselines a learned model has to beat: a median filter and interpolation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from scipy import ndimage

from .validation import check_int


def median_filter(images: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Each pixel replaced by the median of its ``size x size`` neighbourhood (per image and channel).

    The classic remedy for salt-and-pepper noise: an isolated 0 or 1 is never the median of its
    neighbours. Uses ``scipy.ndimage.median_filter`` with mirrored borders.
    """
    if images.ndim != 4:
        raise ValueError(
            f"images must be N x C x H x W, got shape {tuple(images.shape)}"
        )
    filtered = ndimage.median_filter(
        images.detach().cpu().numpy(), size=(1, 1, size, size), mode="reflect"
    )
    return torch.from_numpy(filtered)


def upsample(images: torch.Tensor, factor: int, mode: str = "bicubic") -> torch.Tensor:
    """Images enlarged ``factor`` times with ``torch.nn.functional.interpolate`` (``"nearest"`` or
    ``"bicubic"``), clipped to [0, 1] because bicubic interpolation overshoots at sharp edges."""
    if mode not in {"nearest", "bilinear", "bicubic"}:
        raise ValueError(
            f"mode must be 'nearest', 'bilinear' or 'bicubic', got {mode!r}"
        )
    check_int("factor", factor)
    extra = {} if mode == "nearest" else {"align_corners": False}
    return F.interpolate(images, scale_factor=factor, mode=mode, **extra).clamp(
        0.0, 1.0
    )
