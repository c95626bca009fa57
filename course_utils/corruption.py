"""Ways to damage images on purpose, and batch losses that learn to undo the damage.

A denoiser or a super-resolution model is trained like an autoencoder whose *input* is a
corrupted copy of the image and whose *target* is the clean image. The corruption is
drawn afresh for every batch (:class:`RestorationLoss`), so the model never sees the
same noise twice and cannot memorise it.

Random corruptions take an optional ``torch.Generator``: the same generator state gives
the same noise, which makes test-set tables reproducible. Noise is drawn on the CPU
(where generators live) and moved to the images' device.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .validation import (
    fraction,
    func,
    image_batch,
    non_negative_int,
    non_negative_number,
    positive_int,
    requires,
    validated,
)

Corruption = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _uniform(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(x.shape, generator=generator).to(x.device)


@validated(amount=fraction)
def salt_and_pepper(
    x: torch.Tensor, amount: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A copy of ``x`` with a fraction ``amount`` of its pixels set to 0 or 1 (evenly).

    Every pixel is hit independently with probability ``amount``, so about ``amount`` of
    them change (a hit pixel that already was 0 or 1 may keep its value); all others
    stay exactly as they were.
    """
    hit = _uniform(x, generator) < amount
    # salt (1) or pepper (0), drawn for every pixel, used where hit
    salt = _uniform(x, generator) < 0.5
    return torch.where(hit, salt.to(x.dtype), x)


@validated(std=non_negative_number)
def gaussian_noise(
    x: torch.Tensor, std: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``x`` plus independent Gaussian noise of deviation ``std``, clipped to [0, 1]."""
    noise = torch.randn(x.shape, generator=generator).to(x.device)
    return (x + std * noise).clamp(0.0, 1.0)


def _divides(x: torch.Tensor, factor: int) -> bool:
    return not (x.shape[-2] % factor or x.shape[-1] % factor)


@validated(
    requires(_divides, "factor {factor} must divide the image size of x"),
    x=image_batch,
    factor=positive_int,
)
def downscale(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Shrink images ``N x C x H x W`` by an integer ``factor``: each output pixel is
    the mean of a ``factor x factor`` block (area downscaling, what a camera sensor with
    bigger pixels would see).
    """
    return F.avg_pool2d(x, kernel_size=factor)


# the test set's corruption: the same every time it is evaluated
EVALUATION_SEED = 2024


class RestorationLoss:
    """A batch loss for :func:`course_utils.training.fit` that learns to undo
    ``corrupt``: the MSE between ``model(corrupt(batch, generator))`` and the clean
    batch.

    Two independent random streams: training batches get new corruption every time, from
    a generator seeded with ``seed``; :meth:`evaluation` gives a loss whose corruption
    comes from its own generator, seeded with ``evaluation_seed`` afresh on every call,
    so the test set is corrupted the same way at every evaluation, and evaluating never
    changes the training noise.
    """

    @validated(corrupt=func, seed=non_negative_int, evaluation_seed=non_negative_int)
    def __init__(
        self, corrupt: Corruption, seed: int = 0, evaluation_seed: int = EVALUATION_SEED
    ):
        self.corrupt = corrupt
        self.evaluation_seed = evaluation_seed
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(model(self.corrupt(batch, self.generator)), batch)

    def evaluation(self) -> Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]:
        """The loss for one pass over a test set: fixed corruption, own generator."""
        generator = torch.Generator().manual_seed(self.evaluation_seed)

        def loss(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
            return F.mse_loss(model(self.corrupt(batch, generator)), batch)

        return loss
