"""Distances between two samples: the maximum mean discrepancy (MMD), Gaussian kernels.

The MMD measures how far apart two distributions are from samples of each alone (Gretton
et al., 2012). With a characteristic kernel ``k`` it is zero exactly when the two
distributions are equal. For samples ``x_1..x_m`` and ``y_1..y_n`` the unbiased estimate
of its square is

    MMD² = mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) - 2 mean_{i,j} k(x_i, y_j),

which fluctuates around zero (and can dip below it) when both samples come from one
distribution. The kernel here is an average of Gaussian kernels over several bandwidths,
``k(a, b) = mean_s exp(-|a - b|² / (2 s²))``, so that differences at several scales
count.
"""

from __future__ import annotations

import torch

from .validation import requires, sample, validated

BANDWIDTHS = (0.25, 0.5, 1.0, 2.0, 4.0)


def gaussian_kernel(
    a: torch.Tensor, b: torch.Tensor, bandwidths=BANDWIDTHS
) -> torch.Tensor:
    """The ``len(a) x len(b)`` matrix of ``mean_s exp(-|a_i - b_j|² / (2 s²))``."""
    squared = torch.cdist(a, b).square()
    total = torch.zeros_like(squared)
    for s in bandwidths:
        total += torch.exp(-squared / (2 * s**2))
    return total / len(bandwidths)


def _same_columns(x, y, **_) -> bool:
    return x.shape[1] == y.shape[1]


def _positive_bandwidths(bandwidths, **_) -> bool:
    return bool(bandwidths) and all(s > 0 for s in bandwidths)


@validated(
    requires(_same_columns, "x and y must have the same number of columns"),
    requires(_positive_bandwidths, "bandwidths must be positive numbers"),
    x=sample,
    y=sample,
)
def mmd2(x: torch.Tensor, y: torch.Tensor, bandwidths=BANDWIDTHS) -> float:
    """Unbiased estimate of the squared MMD of samples ``x`` (m x D) and ``y`` (n x D).

    Symmetric in ``x`` and ``y``; near zero (either sign) for samples of one
    distribution.
    """
    x, y = x.detach().double().cpu(), y.detach().double().cpu()
    m, n = len(x), len(y)
    k_xx = gaussian_kernel(x, x, bandwidths)
    k_yy = gaussian_kernel(y, y, bandwidths)
    k_xy = gaussian_kernel(x, y, bandwidths)
    within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    return float(within_x + within_y - 2 * k_xy.mean())
