"""Ways to damage images on purpose, and batch losses that learn to undo the damage.

A denoiser or a super-resolution model is trained like an autoencoder whose *input* is a
corrupted copy of the image and whose *target* is the clean image. The corruption is drawn
afresh for every batch (:func:`restoration_loss`), so the model never sees the same noise twice
and cannot memorise it.

Random corruptions take an optional ``torch.Generator``: the same generator state gives the same
noise, which makes test-set tables reproducible. Noise is drawn on the CPU (where generators
live) and moved to the images' device.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .validation import check_int

Corruption = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _uniform(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(x.shape, generator=generator).to(x.device)


def salt_and_pepper(
    x: torch.Tensor, amount: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A copy of ``x`` with a fraction ``amount`` of its pixels set to 0 or 1 (each with probability 1/2).

    Every pixel is hit independently with probability ``amount``, so about ``amount`` of them change
    (a hit pixel that already was 0 or 1 may keep its value); all others stay exactly as they were.
    """
    if not isinstance(amount, numbers.Real) or not 0.0 <= float(amount) <= 1.0:
        raise ValueError(
            f"amount must be a fraction of pixels in [0, 1], got {amount!r}"
        )
    hit = _uniform(x, generator) < amount
    # salt (1) or pepper (0), drawn for every pixel, used where hit
    salt = _uniform(x, generator) < 0.5
    return torch.where(hit, salt.to(x.dtype), x)


def gaussian_noise(
    x: torch.Tensor, std: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``x`` plus independent Gaussian noise of standard deviation ``std``, clipped back to [0, 1]."""
    if not isinstance(std, numbers.Real) or float(std) < 0:
        raise ValueError(f"std must be a non-negative number, got {std!r}")
    noise = torch.randn(x.shape, generator=generator).to(x.device)
    return (x + std * noise).clamp(0.0, 1.0)


def downscale(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Shrink images ``N x C x H x W`` by an integer ``factor``: each output pixel is the mean of a
    ``factor x factor`` block (area downscaling, what a camera sensor with bigger pixels would see).
    """
    check_int("factor", factor)
    if x.ndim != 4:
        raise ValueError(
            f"x must be a batch of images N x C x H x W, got shape {tuple(x.shape)}"
        )
    height, width = x.shape[-2:]
    if height % factor or width % factor:
        raise ValueError(
            f"factor {factor} must divide the image size {height} x {width}"
        )
    return F.avg_pool2d(x, kernel_size=factor)


def restoration_loss(
    corrupt: Corruption, seed: int = 0
) -> Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]:
    """A batch loss for :func:`course_utils.training.fit`: the MSE between ``model(corrupt(batch))``
    and the clean batch, with the corruption drawn afresh for every batch.

    ``corrupt(images, generator)`` damages a batch; the loss owns a generator seeded with ``seed``,
    so training is reproducible while every batch gets new noise.
    """
    generator = torch.Generator().manual_seed(seed)

    def loss(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(model(corrupt(batch, generator)), batch)

    return loss
