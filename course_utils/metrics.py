"""Image quality per image: mean squared error and peak signal-to-noise ratio."""

from __future__ import annotations

import torch

from .validation import positive_number, same_shape, tensor, validated

batch_of_images = tensor("N x ... (a batch of images)", min_ndim=2)


@validated(same_shape("prediction", "target"), prediction=batch_of_images)
def mse_per_image(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each image (over all but the first dimension), in float64.

    Works on any device: the difference is taken where the tensors are, then moved to
    the CPU before the conversion to float64 (Apple's MPS has no float64).
    """
    difference = prediction.detach() - target.detach().to(prediction.device)
    return difference.cpu().double().pow(2).flatten(start_dim=1).mean(dim=1)


def mse(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """Mean squared error over a batch of images (the mean of :func:`mse_per_image`)."""
    return float(mse_per_image(prediction, target).mean())


@validated(data_range=positive_number)
def psnr_per_image(
    prediction: torch.Tensor, target: torch.Tensor, data_range: float = 1.0
) -> torch.Tensor:
    """PSNR in dB of each image: ``10 log10(data_range² / MSE)``, one per leading index.

    The first dimension indexes images (``N x C x H x W`` or ``N x H x W``); the mean
    squared error is taken over all other dimensions. Identical images give ``inf``.
    """
    # mse == 0 gives inf, as it should
    return 10 * torch.log10(data_range**2 / mse_per_image(prediction, target))


def psnr(
    prediction: torch.Tensor, target: torch.Tensor, data_range: float = 1.0
) -> float:
    """Mean PSNR in dB over a batch of images, computed per image and then averaged.

    Averaging per-image PSNRs is the usual way results are reported. It is not the PSNR
    of the batch's mean squared error: dB are a logarithm, so a few nearly perfect
    images raise the mean. Identical images give ``inf``.
    """
    return float(psnr_per_image(prediction, target, data_range).mean())
