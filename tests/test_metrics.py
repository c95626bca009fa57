"""PSNR agrees with a hand computation, per image and averaged; bad shapes are refused."""

import math

import pytest
import torch

from course_utils.metrics import format_table, psnr, psnr_per_image


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


def test_format_table_puts_long_column_names_on_two_lines():
    rows = {
        "salt-and-pepper 0.2": {"noisy input": 10.164, "AE, clean-trained": 6.0},
        "Gaussian 0.4": {"noisy input": 11.03},
    }
    assert format_table(rows).splitlines() == [
        "                      noisy            AE,",
        "dB                    input  clean-trained",
        "salt-and-pepper 0.2   10.16           6.00",
        "Gaussian 0.4          11.03              –",
    ]
    # short names keep one header line
    assert format_table({"s&p": {"noisy": 1.0}}, unit="PSNR").splitlines() == [
        "PSNR   noisy",
        "s&p     1.00",
    ]
