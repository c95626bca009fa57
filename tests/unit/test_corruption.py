"""Corruptions change what they should, and only that; bad arguments say which argument is wrong."""

import math
from functools import partial

import pytest
import torch

from course_utils.corruption import (
    RestorationLoss,
    downscale,
    gaussian_noise,
    salt_and_pepper,
)


@pytest.fixture
def images():
    # mid-grey values away from 0 and 1, so every changed pixel is visible as a change
    return torch.full((64, 1, 28, 28), 0.5) + 0.1 * torch.rand(
        64, 1, 28, 28, generator=torch.Generator().manual_seed(3)
    )


@pytest.mark.parametrize("amount", [0.0, 0.05, 0.2, 0.5, 1.0])
def test_salt_and_pepper_changes_about_amount_of_pixels_to_0_or_1(images, amount):
    noisy = salt_and_pepper(images, amount, generator=torch.Generator().manual_seed(0))
    changed = noisy != images
    fraction = changed.float().mean().item()
    n = images.numel()
    assert (
        abs(fraction - amount) <= 5 * math.sqrt(amount * (1 - amount) / n) + 1e-9
    )  # binomial spread
    assert set(noisy[changed].unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(noisy[~changed], images[~changed])
    if 0 < amount:  # salt and pepper in roughly equal parts
        salt = (noisy[changed] == 1).float().mean().item()
        assert 0.4 < salt < 0.6


def test_salt_and_pepper_is_reproducible_and_fresh(images):
    first = salt_and_pepper(images, 0.2, generator=torch.Generator().manual_seed(7))
    again = salt_and_pepper(images, 0.2, generator=torch.Generator().manual_seed(7))
    assert torch.equal(first, again)
    generator = torch.Generator().manual_seed(7)
    assert not torch.equal(
        salt_and_pepper(images, 0.2, generator), salt_and_pepper(images, 0.2, generator)
    )


def test_gaussian_noise_stays_in_range_and_has_the_requested_std(images):
    std = 0.1
    noisy = gaussian_noise(images, std, generator=torch.Generator().manual_seed(0))
    assert noisy.min() >= 0 and noisy.max() <= 1
    # the same draw, recomputed by hand: before clipping the noise is std * a standard normal
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(noisy, (images + std * noise).clamp(0, 1))
    assert (
        abs(noise.std().item() * std - std) < 0.01 * std
    )  # requested std (images stay inside [0, 1] here)
    assert abs((noisy - images).std().item() - std) < 0.02 * std


def test_gaussian_noise_clips_at_the_borders():
    noisy = gaussian_noise(
        torch.zeros(1000), 0.5, generator=torch.Generator().manual_seed(0)
    )
    assert noisy.min() == 0 and noisy.max() <= 1 and (noisy == 0).float().mean() > 0.4


def test_downscale_averages_blocks():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    expected = (
        torch.tensor(
            [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]
        )
        / 4
    )
    assert torch.equal(downscale(x, 2), expected.reshape(1, 1, 2, 2))
    assert downscale(torch.rand(3, 1, 28, 28), 2).shape == (3, 1, 14, 14)
    assert downscale(torch.rand(3, 3, 28, 28), 4).shape == (3, 3, 7, 7)
    assert torch.allclose(downscale(x, 4), x.mean().reshape(1, 1, 1, 1))


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda x: salt_and_pepper(x, -0.1), "amount"),
        (lambda x: salt_and_pepper(x, 1.5), "amount"),
        (lambda x: gaussian_noise(x, -0.1), "std"),
        (lambda x: downscale(x, 3), "factor"),
        (lambda x: downscale(x, 0), "factor"),
        (lambda x: downscale(x[0], 2), "x"),
    ],
)
def test_bad_arguments_name_the_argument(images, call, argument):
    with pytest.raises(ValueError, match=argument):
        call(images)


def test_restoration_loss_draws_fresh_noise_every_batch(images):
    seen = []

    def corrupt(x, generator):
        noisy = salt_and_pepper(x, 0.3, generator)
        seen.append(noisy)
        return noisy

    loss = RestorationLoss(corrupt, seed=0)
    model = torch.nn.Identity()
    first, second = loss(model, images), loss(model, images)
    assert not torch.equal(seen[0], seen[1])
    assert torch.isclose(first, ((seen[0] - images) ** 2).mean())
    assert second.item() > 0
    # a new loss with the same seed draws the same sequence: training is reproducible
    again = RestorationLoss(corrupt, seed=0)
    again(model, images)
    assert torch.equal(seen[0], seen[2])


def test_restoration_loss_evaluates_with_its_own_fixed_corruption(images):
    """The test loss is the same at every evaluation, and it leaves the training stream alone."""
    corrupt = partial(_salt_and_pepper_with, amount=0.3)
    loss = RestorationLoss(corrupt, seed=0, evaluation_seed=7)
    model = torch.nn.Identity()
    first, second = loss.evaluation()(model, images), loss.evaluation()(model, images)
    assert torch.equal(first, second)
    expected = salt_and_pepper(images, 0.3, torch.Generator().manual_seed(7))
    assert torch.isclose(first, ((expected - images) ** 2).mean())
    # evaluating does not advance the training generator: training noise is unchanged
    untouched = RestorationLoss(corrupt, seed=0, evaluation_seed=7)
    assert torch.equal(loss(model, images), untouched(model, images))


def _salt_and_pepper_with(x, generator, amount):
    return salt_and_pepper(x, amount, generator)
