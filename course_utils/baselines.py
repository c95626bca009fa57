"""Classical baselines a learned model has to beat: a median filter, interpolation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from scipy import ndimage

from .validation import image_batch, one_of, positive_int, validated


@validated(images=image_batch, size=positive_int)
def median_filter(images: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Each pixel replaced by the median of its ``size x size`` neighbours, per channel.

    The classic remedy for salt-and-pepper noise: an isolated 0 or 1 is never the median
    of its neighbours. Uses ``scipy.ndimage.median_filter`` with mirrored borders.
    """
    filtered = ndimage.median_filter(
        images.detach().cpu().numpy(), size=(1, 1, size, size), mode="reflect"
    )
    return torch.from_numpy(filtered)


@validated(factor=positive_int, mode=one_of("nearest", "bilinear", "bicubic"))
def upsample(images: torch.Tensor, factor: int, mode: str = "bicubic") -> torch.Tensor:
    """Images enlarged ``factor`` times with ``torch.nn.functional.interpolate``
    (``"nearest"``, ``"bilinear"`` or ``"bicubic"``), clipped to [0, 1] because bicubic
    interpolation overshoots at sharp edges."""
    extra = {} if mode == "nearest" else {"align_corners": False}
    return F.interpolate(images, scale_factor=factor, mode=mode, **extra).clamp(
        0.0, 1.0
    )
