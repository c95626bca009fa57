"""The priors' samplers draw from the distributions they name."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from course_utils.priors import (
    RankGaussian,
    Whitening,
    circle_means,
    gaussian_mixture,
    standard_normal,
)


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_standard_normal_is_n_0_i():
    samples = standard_normal(20_000, generator()).double()
    assert samples.shape == (20_000, 2)
    assert torch.allclose(
        samples.mean(0), torch.zeros(2, dtype=torch.double), atol=0.03
    )
    assert torch.allclose(
        torch.cov(samples.T), torch.eye(2, dtype=torch.double), atol=0.03
    )
    for column in range(2):
        assert stats.kstest(samples[:, column].numpy(), "norm").pvalue > 1e-3


def test_circle_means_are_evenly_spaced_on_the_circle():
    means = circle_means(10, radius=4.0)
    assert torch.allclose(means.norm(dim=1), torch.full((10,), 4.0))
    neighbours = (means - means.roll(1, dims=0)).norm(dim=1)
    side = 2 * 4.0 * math.sin(math.pi / 10)  # chord between neighbouring means
    assert torch.allclose(neighbours, torch.full((10,), side), atol=1e-5)


def test_mixture_has_equal_weights_and_gaussian_components():
    samples = gaussian_mixture(20_000, generator(), radius=4.0, std=0.5)
    means = circle_means(10, 4.0)
    nearest = torch.cdist(samples, means).argmin(dim=1)
    counts = torch.bincount(nearest, minlength=10).numpy()
    assert stats.chisquare(counts).pvalue > 1e-3  # equal weights
    residuals = (samples - means[nearest]).double()
    assert residuals.std().item() == pytest.approx(0.5, rel=0.03)
    assert stats.kstest(residuals[:, 0].numpy(), "norm", args=(0, 0.5)).pvalue > 1e-3


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: standard_normal(0), "n must"),
        (lambda: gaussian_mixture(10, std=0), "std"),
        (lambda: gaussian_mixture(10, radius=-1.0), "radius"),
        (lambda: gaussian_mixture(10, components=0), "components"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def correlated_codes(n: int = 2_000, seed: int = 0) -> torch.Tensor:
    """Codes far from N(0, I): shifted, stretched and correlated."""
    base = torch.randn(n, 2, generator=generator(seed))
    return base @ torch.tensor([[3.0, 0.0], [2.0, 0.5]]) + torch.tensor([5.0, -1.0])


def test_whitening_gives_mean_zero_and_identity_covariance():
    codes = correlated_codes()
    whitened = Whitening(codes)(codes).double()
    torch.testing.assert_close(
        whitened.mean(0), torch.zeros(2, dtype=torch.double), atol=1e-5, rtol=0
    )
    torch.testing.assert_close(
        torch.cov(whitened.T), torch.eye(2, dtype=torch.double), atol=1e-5, rtol=0
    )


def test_whitening_inverse_maps_back():
    codes = correlated_codes()
    whitening = Whitening(codes)
    z = standard_normal(50, generator(1))
    torch.testing.assert_close(whitening(whitening.inverse(z)), z, atol=1e-5, rtol=0)


def test_rank_gaussian_matches_scipy_ranks_and_normal_quantiles():
    codes = correlated_codes(500)
    transformed = RankGaussian(codes)(codes)
    expected = np.stack(
        [
            stats.norm.ppf(stats.rankdata(codes[:, j]) / (len(codes) + 1))
            for j in range(2)
        ],
        axis=1,
    )
    torch.testing.assert_close(
        transformed, torch.from_numpy(expected).float(), atol=1e-4, rtol=0
    )


def test_rank_gaussian_makes_every_coordinate_standard_normal():
    codes = correlated_codes().exp()  # skewed marginals
    transformed = RankGaussian(codes)(codes)
    for column in range(2):
        assert stats.kstest(transformed[:, column].numpy(), "norm").pvalue > 0.5


def test_rank_gaussian_inverse_reads_the_reference_quantiles():
    codes = correlated_codes(1_001)
    ranks = RankGaussian(codes)
    median = ranks.inverse(torch.zeros(2, 2))[0]
    torch.testing.assert_close(median, codes.median(dim=0).values, atol=1e-4, rtol=0)
    z = standard_normal(100, generator(2))
    torch.testing.assert_close(ranks(ranks.inverse(z)), z, atol=0.05, rtol=0)


@pytest.mark.parametrize("transform", [Whitening, RankGaussian])
def test_fitted_transforms_reject_bad_codes(transform):
    with pytest.raises(ValueError, match="codes"):
        transform(torch.zeros(1, 2))
    with pytest.raises(ValueError, match="codes"):
        transform([[0.0, 1.0], [1.0, 0.0]])
