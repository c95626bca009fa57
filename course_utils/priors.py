"""Samplers for the priors that an adversarial autoencoder's codes are pushed towards.

Every sampler has the signature ``sample(n, generator=None) -> Tensor n x 2``: the
adversarial autoencoder needs nothing else from a prior, only samples of it. None of them
needs a density in closed form.
"""

from __future__ import annotations

import math

import torch

from .validation import check_int


def _check_positive(name: str, value: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def standard_normal(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` draws from N(0, I) in two dimensions."""
    check_int("n", n)
    return torch.randn(n, 2, generator=generator)


def circle_means(components: int = 10, radius: float = 4.0) -> torch.Tensor:
    """The ``components x 2`` means of the mixture: evenly spaced on a circle of ``radius``."""
    check_int("components", components)
    _check_positive("radius", radius)
    angles = 2 * math.pi * torch.arange(components) / components
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def gaussian_mixture(
    n: int,
    generator: torch.Generator | None = None,
    *,
    components: int = 10,
    radius: float = 4.0,
    std: float = 0.5,
) -> torch.Tensor:
    """``n`` draws from an equal-weight mixture of ``components`` Gaussians N(m_k, std² I).

    The means ``m_k`` are evenly spaced on a circle of ``radius`` (:func:`circle_means`).
    """
    check_int("n", n)
    _check_positive("std", std)
    means = circle_means(components, radius)
    which = torch.randint(components, (n,), generator=generator)
    return means[which] + std * torch.randn(n, 2, generator=generator)
