"""PSNR agrees with a hand computation, per image and averaged; bad shapes are refused."""

import math

import pytest
import torch

from course_utils.metrics import psnr, psnr_per_image


def test_psnr_by_hand():
    target = torch.zeros(2, 1, 2, 2)
    prediction = target.clone()
    prediction[0, 0, 0, 0] = 0.2  # image 0: MSE = 0.04 / 4 = 0.01 -> 20 dB
    prediction[1] = 0.1
    prediction[1, 0, 0, 0] = 0.3  # image 1: MSE = (0.09 + 3 * 0.01) / 4 = 0.03
    expected = [10 * math.log10(1 / 0.01), 10 * math.log10(1 / 0.03)]
    assert torch.allclose(
        psnr_per_image(prediction, target), torch.tensor(expected, dtype=torch.float64)
    )
    assert psnr(prediction, target) == pytest.approx(sum(expected) / 2)
    # with data_range 255 the same relative error gives the same PSNR
    assert psnr(prediction * 255, target * 255, data_range=255) == pytest.approx(
        sum(expected) / 2
    )


def test_psnr_is_infinite_for_identical_images():
    images = torch.rand(3, 1, 28, 28)
    assert psnr(images, images.clone()) == math.inf


def test_psnr_of_a_constant_error():
    target = torch.rand(4, 1, 8, 8)
    assert psnr((target + 0.1), target) == pytest.approx(20.0)  # MSE 0.01


@pytest.mark.parametrize(
    "prediction, target, kwargs, argument",
    [
        (torch.rand(2, 1, 28, 28), torch.rand(2, 1, 14, 14), {}, "same shape"),
        (torch.rand(2, 1, 28, 28), torch.rand(3, 1, 28, 28), {}, "same shape"),
        (torch.rand(5), torch.rand(5), {}, "prediction"),
        (torch.rand(2, 4), torch.rand(2, 4), {"data_range": 0}, "data_range"),
    ],
)
def test_bad_arguments_name_the_argument(prediction, target, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        psnr(prediction, target, **kwargs)


def test_mse_per_image_matches_torch():
    import torch.nn.functional as F

    from course_utils.metrics import mse, mse_per_image

    generator = torch.Generator().manual_seed(0)
    a = torch.rand(5, 1, 28, 28, generator=generator)
    b = torch.rand(5, 1, 28, 28, generator=generator)
    expected = F.mse_loss(a, b, reduction="none").flatten(1).mean(1).double()
    assert torch.allclose(mse_per_image(a, b), expected)
    assert abs(mse(a, b) - F.mse_loss(a, b).item()) < 1e-7
    with pytest.raises(ValueError, match="same shape"):
        mse_per_image(a, b[:3])
