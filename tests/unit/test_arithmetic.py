"""The output-size formulas agree with PyTorch (including when PyTorch refuses), and conv_matrix
reproduces F.conv2d and, transposed, F.conv_transpose2d."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from course_utils.arithmetic import (
    conv_matrix,
    conv_output_size,
    conv_transpose_output_size,
)

SIZES = [1, 2, 3, 5, 7, 8, 14, 28]
KERNELS = [1, 2, 3, 4, 5, 7]
STRIDES = [1, 2, 3]
PADDINGS = [0, 1, 2, 3]
DILATIONS = [1, 2, 3]


def _torch_conv_size(size, kernel, stride, padding, dilation):
    """Height of F.conv2d's output, or None when PyTorch rejects the arguments."""
    try:
        out = F.conv2d(
            torch.zeros(1, 1, size, 1),
            torch.zeros(1, 1, kernel, 1),
            stride=(stride, 1),
            padding=(padding, 0),
            dilation=(dilation, 1),
        )
    except RuntimeError:
        return None
    return out.shape[2]


def _torch_transpose_size(size, kernel, stride, padding, output_padding, dilation):
    """Height of F.conv_transpose2d's output, or None when PyTorch rejects the arguments."""
    try:
        out = F.conv_transpose2d(
            torch.zeros(1, 1, size, 1),
            torch.zeros(1, 1, kernel, 1),
            stride=(stride, 1),
            padding=(padding, 0),
            output_padding=(output_padding, 0),
            dilation=(dilation, 1),
        )
    except RuntimeError:
        return None
    return out.shape[2]


def test_conv_output_size_agrees_with_pytorch_on_a_grid():
    checked = rejected = 0
    for size, kernel, stride, padding, dilation in itertools.product(
        SIZES, KERNELS, STRIDES, PADDINGS, DILATIONS
    ):
        expected = _torch_conv_size(size, kernel, stride, padding, dilation)
        case = dict(
            size=size,
            kernel_size=kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
        )
        if expected is None:
            with pytest.raises(ValueError, match="size"):
                conv_output_size(**case)
            rejected += 1
        else:
            assert conv_output_size(**case) == expected, case
            checked += 1
    assert (
        checked > 1000 and rejected > 50
    )  # the grid covers both sides of the boundary


def test_conv_transpose_output_size_agrees_with_pytorch_on_a_grid():
    checked = rejected = 0
    for size, kernel, stride, padding, output_padding, dilation in itertools.product(
        SIZES, KERNELS, STRIDES, PADDINGS, [0, 1, 2], DILATIONS
    ):
        expected = _torch_transpose_size(
            size, kernel, stride, padding, output_padding, dilation
        )
        case = dict(
            size=size,
            kernel_size=kernel,
            stride=stride,
            padding=padding,
            output_padding=output_padding,
            dilation=dilation,
        )
        if expected is None:
            with pytest.raises(ValueError, match="output_padding|output size"):
                conv_transpose_output_size(**case)
            rejected += 1
        else:
            assert conv_transpose_output_size(**case) == expected, case
            checked += 1
    assert checked > 2000 and rejected > 500


def test_the_course_encoder_and_its_mirror():
    assert [
        conv_output_size(28, 3, 2, 1),
        conv_output_size(14, 3, 2, 1),
        conv_output_size(7, 7),
    ] == [14, 7, 1]
    assert conv_transpose_output_size(1, 7) == 7
    assert conv_transpose_output_size(7, 3, 2, 1, output_padding=1) == 14
    assert conv_transpose_output_size(14, 3, 2, 1, output_padding=1) == 28


@pytest.mark.parametrize(
    "argument, value",
    [
        ("size", 0),
        ("kernel_size", 0),
        ("stride", 0),
        ("dilation", 0),
        ("padding", -1),
        ("size", 2.5),
        ("stride", True),
        ("kernel_size", "3"),
    ],
)
def test_bad_arguments_name_the_argument(argument, value):
    case = dict(size=7, kernel_size=3, stride=2, padding=1, dilation=1)
    case[argument] = value
    with pytest.raises(ValueError, match=argument):
        conv_output_size(**case)
    with pytest.raises(ValueError, match=argument):
        conv_transpose_output_size(**case)


def test_bad_output_padding_names_the_argument():
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose_output_size(7, 3, stride=2, padding=1, output_padding=-1)
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose_output_size(7, 3, stride=2, padding=1, output_padding=2)
    assert (
        conv_transpose_output_size(
            7, 3, stride=1, padding=1, output_padding=1, dilation=2
        )
        == 10
    )


def test_an_output_below_one_is_refused():
    with pytest.raises(ValueError, match="output size"):
        conv_output_size(2, 5)
    with pytest.raises(ValueError, match="output size"):
        conv_transpose_output_size(1, 1, padding=1)


MATRIX_CASES = [  # (height, width, kernel h, kernel w, stride, padding)
    (5, 5, 3, 3, 1, 0),
    (4, 4, 3, 3, 1, 1),
    (6, 6, 3, 3, 2, 1),
    (7, 7, 3, 3, 2, 1),
    (7, 5, 4, 2, 2, 1),
    (8, 8, 4, 4, 2, 1),
    (6, 7, 2, 3, 3, 2),
    (3, 3, 3, 3, 1, 2),
]


@pytest.mark.parametrize("height, width, kh, kw, stride, padding", MATRIX_CASES)
def test_conv_matrix_is_conv2d_and_its_transpose_is_conv_transpose2d(
    height, width, kh, kw, stride, padding
):
    generator = torch.Generator().manual_seed(height * 100 + kh * 10 + stride)
    weight = torch.randn(1, 1, kh, kw, generator=generator, dtype=torch.float64)
    x = torch.randn(1, 1, height, width, generator=generator, dtype=torch.float64)
    matrix = conv_matrix(weight, (height, width), stride=stride, padding=padding)
    y = F.conv2d(x, weight, stride=stride, padding=padding)
    assert matrix.shape == (y.numel(), height * width)
    torch.testing.assert_close((matrix @ x.flatten()).reshape(y.shape), y)

    g = torch.randn(y.shape, generator=generator, dtype=torch.float64)
    # conv_transpose2d gives back the input size when output_padding restores the rows rounding dropped
    output_padding = tuple(
        (size + 2 * padding - k) % stride for size, k in ((height, kh), (width, kw))
    )
    back = F.conv_transpose2d(
        g, weight, stride=stride, padding=padding, output_padding=output_padding
    )
    assert back.shape[2:] == (height, width)
    torch.testing.assert_close((matrix.T @ g.flatten()).reshape(back.shape), back)


def test_conv_matrix_transpose_is_the_gradient_of_conv2d():
    """Cᵀ is also what autograd computes for conv2d's backward pass: the adjoint."""
    weight = torch.randn(3, 3, dtype=torch.float64)
    x = torch.randn(1, 1, 7, 7, dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, weight[None, None], stride=2, padding=1)
    g = torch.randn_like(y)
    (grad,) = torch.autograd.grad(y, x, g)
    torch.testing.assert_close(
        conv_matrix(weight, 7, stride=2, padding=1).T @ g.flatten(), grad.flatten()
    )


def test_conv_matrix_rejects_bad_arguments():
    with pytest.raises(ValueError, match="weight"):
        conv_matrix(torch.ones(2, 1, 3, 3), 5)
    with pytest.raises(ValueError, match="weight"):
        conv_matrix(torch.ones(3), 5)
    with pytest.raises(ValueError, match="weight"):
        conv_matrix([[1.0]], 5)
    with pytest.raises(ValueError, match="input_size"):
        conv_matrix(torch.ones(3, 3), 0)
    with pytest.raises(ValueError, match="input_size"):
        conv_matrix(torch.ones(3, 3), (5, 5, 5))
    with pytest.raises(ValueError, match="stride"):
        conv_matrix(torch.ones(3, 3), 5, stride=0)
    with pytest.raises(ValueError, match="padding"):
        conv_matrix(torch.ones(3, 3), 5, padding=-1)
    with pytest.raises(ValueError, match="output size"):
        conv_matrix(torch.ones(3, 3), 2)


def test_shapes_through_lists_every_layer():
    from torch import nn

    from course_utils.arithmetic import shapes_through

    layers = nn.Sequential(
        nn.Conv2d(1, 2, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(2, 3, 7)
    )
    shapes = shapes_through(layers, torch.zeros(5, 1, 28, 28))
    assert [shape for _, shape in shapes] == [
        (5, 1, 28, 28),
        (5, 2, 14, 14),
        (5, 2, 14, 14),
        (5, 3, 8, 8),
    ]
    assert shapes[1][0].startswith("Conv2d(1, 2")
    with pytest.raises(ValueError, match="layers"):
        shapes_through(lambda x: x, torch.zeros(1))
