"""The priors' samplers draw from the distributions they name."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from course_utils.priors import circle_means, gaussian_mixture, standard_normal


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
