"""Samplers for the priors that an adversarial autoencoder's codes are pushed towards.

Every sampler has the signature ``sample(n, generator=None) -> Tensor n x 2``: the
adversarial autoencoder needs nothing else from a prior, only samples of it. None of
them needs a density in closed form.
"""

from __future__ import annotations

import math

import torch

from .validation import positive_int, positive_number, sample, validated


@validated(n=positive_int)
def standard_normal(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` draws from N(0, I) in two dimensions."""
    return torch.randn(n, 2, generator=generator)


@validated(components=positive_int, radius=positive_number)
def circle_means(components: int = 10, radius: float = 4.0) -> torch.Tensor:
    """The ``components x 2`` mixture means, evenly spaced on a circle of ``radius``."""
    angles = 2 * math.pi * torch.arange(components) / components
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


@validated(n=positive_int, std=positive_number)
def gaussian_mixture(
    n: int,
    generator: torch.Generator | None = None,
    *,
    components: int = 10,
    radius: float = 4.0,
    std: float = 0.5,
) -> torch.Tensor:
    """``n`` draws from an equal mixture of ``components`` Gaussians N(m_k, std² I).

    The means ``m_k`` are evenly spaced on a circle of ``radius``
    (:func:`circle_means`).
    """
    means = circle_means(components, radius)
    which = torch.randint(components, (n,), generator=generator)
    return means[which] + std * torch.randn(n, 2, generator=generator)


def _float64(codes: torch.Tensor) -> torch.Tensor:
    return codes.detach().double().cpu()


class Whitening:
    """The affine map fitted to a plain autoencoder's codes *after* training, so that
    they have mean 0 and covariance I: ``w(z) = L⁻¹ (z − m)``, with ``m`` the codes'
    mean and ``L L^T`` their covariance (Cholesky). ``inverse`` maps prior samples back
    into the autoencoder's code space, where its decoder can read them.
    """

    @validated(codes=sample)
    def __init__(self, codes: torch.Tensor):
        codes = _float64(codes)
        self.mean = codes.mean(dim=0)
        self.cholesky = torch.linalg.cholesky(
            torch.cov(codes.T).reshape(len(self.mean), -1)
        )

    @validated(codes=sample)
    def __call__(self, codes: torch.Tensor) -> torch.Tensor:
        centred = (_float64(codes) - self.mean).T
        whitened = torch.linalg.solve_triangular(self.cholesky, centred, upper=False)
        return whitened.T.float()

    @validated(z=sample)
    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        return (_float64(z) @ self.cholesky.T + self.mean).float()


class RankGaussian:
    """A per-coordinate fitted transform: each coordinate's rank among the reference
    codes, then the standard normal's inverse distribution function, ``Φ⁻¹(r / (n +
    1))`` for the r-th smallest of ``n`` (van der Waerden's normal scores), so that
    every coordinate of the reference codes becomes standard normal (their joint
    distribution need not be). ``inverse`` maps prior samples back through the reference
    codes' quantiles.
    """

    @validated(codes=sample)
    def __init__(self, codes: torch.Tensor):
        # one contiguous row of sorted values per coordinate, for searchsorted
        self.sorted = _float64(codes).T.sort(dim=1).values.contiguous()
        self._normal = torch.distributions.Normal(0.0, 1.0)

    @validated(codes=sample)
    def __call__(self, codes: torch.Tensor) -> torch.Tensor:
        codes = _float64(codes).T.contiguous()
        below = torch.searchsorted(self.sorted, codes)
        above = torch.searchsorted(self.sorted, codes, right=True)
        # 1-based; ties share their mean rank
        rank = (below + above).double() / 2 + 0.5
        n = self.sorted.shape[1]
        return self._normal.icdf(rank / (n + 1)).T.float()

    @validated(z=sample)
    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        z = _float64(z).T
        n = self.sorted.shape[1]
        # 0-based
        position = (self._normal.cdf(z) * (n + 1) - 1).clamp(0, n - 1)
        low = position.floor().long().clamp(max=n - 1)
        high = (low + 1).clamp(max=n - 1)
        weight = position - low
        values = (1 - weight) * self.sorted.gather(
            1, low
        ) + weight * self.sorted.gather(1, high)
        return values.T.float()
