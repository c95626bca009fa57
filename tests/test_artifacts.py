"""The overlap map, the Nyquist share and the artifact strength, each against an independent
computation: loops and NumPy convolutions, NumPy's FFT, closed forms, autograd Jacobians."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.arithmetic import conv_matrix
from course_utils.artifacts import (
    artifact_strength,
    gain_map,
    nyquist_share,
    overlap_map,
)
from course_utils.models.upsampling import UPSAMPLERS, UpsamplingAutoencoder, upsampler


def _overlap_1d(kernel_size, stride, input_size, padding, layers):
    """1-D counts with NumPy: insert stride - 1 zeros between samples, convolve with ones, crop the padding."""
    counts = np.ones(input_size)
    for _ in range(layers):
        spread = np.zeros((len(counts) - 1) * stride + 1)
        spread[::stride] = counts
        full = np.convolve(spread, np.ones(kernel_size))
        counts = full[padding : len(full) - padding]
    return counts


@pytest.mark.parametrize(
    "kernel_size, stride, input_size, padding, layers",
    [
        (3, 2, 6, 0, 1),
        (4, 2, 6, 1, 1),
        (3, 2, 5, 1, 2),
        (4, 2, 4, 1, 3),
        (5, 3, 4, 0, 1),
        (2, 2, 3, 0, 2),
    ],
)
def test_overlap_map_counts_the_taps(kernel_size, stride, input_size, padding, layers):
    one_d = _overlap_1d(kernel_size, stride, input_size, padding, layers)
    expected = np.outer(
        one_d, one_d
    )  # a kernel of ones is separable, so the 2-D map is an outer product
    np.testing.assert_allclose(
        overlap_map(kernel_size, stride, input_size, padding, layers).numpy(), expected
    )


def test_overlap_map_interior_patterns():
    k3 = overlap_map(3, 2, input_size=6)
    assert k3[2:4, 2:4].tolist() == [[4, 2], [2, 1]]  # uneven: 1, 2 and 4 taps
    assert set(overlap_map(4, 2, input_size=6)[3:-3, 3:-3].flatten().tolist()) == {
        4.0
    }  # even: 4 everywhere


def test_nyquist_share_against_numpy_fft():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(3, 2, 8, 6))
    energy = np.abs(np.fft.fft2(images)) ** 2
    share = (energy[..., 4, 0] + energy[..., 0, 3] + energy[..., 4, 3]) / energy.sum(
        axis=(-2, -1)
    )
    assert nyquist_share(torch.from_numpy(images)) == pytest.approx(
        share.mean(), rel=1e-10
    )


def test_nyquist_share_closed_forms():
    rows, cols = torch.meshgrid(torch.arange(8), torch.arange(8), indexing="ij")
    checkerboard = (-1.0) ** (rows + cols)
    assert nyquist_share(checkerboard) == pytest.approx(1.0)
    assert nyquist_share(torch.ones(8, 8)) == 0.0
    assert (
        nyquist_share(torch.zeros(2, 8, 8)) == 0.0
    )  # nothing at all counts as no pattern
    # a constant A plus a checkerboard B: energies (A N)^2 at DC and (B N)^2 at the corner frequency
    a, b = 3.0, 0.5
    assert nyquist_share(a + b * checkerboard) == pytest.approx(b**2 / (a**2 + b**2))
    # rows alternating 1, 2 and columns 1, 2: the 1-2-2-4 tile of a kernel-3 stride-2 overlap
    tile = torch.tensor([[1.0, 2.0], [2.0, 4.0]]).repeat(4, 4)
    hadamard = [
        (1 + 2 + 2 + 4) / 4,
        (1 + 2 - 2 - 4) / 4,
        (1 - 2 + 2 - 4) / 4,
        (1 - 2 - 2 + 4) / 4,
    ]
    assert nyquist_share(tile) == pytest.approx(
        sum(h**2 for h in hadamard[1:]) / sum(h**2 for h in hadamard)
    )


def test_gain_map_of_a_transposed_convolution_is_the_column_norms_of_its_conv_matrix():
    layer = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)
    weight = layer.weight.detach()[0, 0].double()
    expected = (
        (conv_matrix(weight, 13, stride=2, padding=1) ** 2).sum(dim=0).reshape(13, 13)
    )
    torch.testing.assert_close(gain_map(layer, 1, 7), expected, rtol=1e-5, atol=1e-7)


def test_gain_map_with_ones_is_the_overlap_map():
    layer = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)
    nn.init.ones_(layer.weight)
    torch.testing.assert_close(gain_map(layer, 1, 6), overlap_map(4, 2, 6, padding=1))


@pytest.mark.parametrize("kind", list(UPSAMPLERS))
def test_gain_map_against_the_autograd_jacobian(kind):
    torch.manual_seed(0)
    layer = upsampler(kind, 3, 2)
    jacobian = torch.autograd.functional.jacobian(
        layer, torch.randn(1, 3, 5, 5), vectorize=True
    )  # 1x2x10x10 x 1x3x5x5
    expected = (jacobian.reshape(2, 10, 10, -1) ** 2).sum(dim=-1).mean(dim=0).double()
    torch.testing.assert_close(gain_map(layer, 3, 5), expected, rtol=1e-5, atol=1e-8)


def test_artifact_strength_of_ones_kernels():
    layers = {kind: upsampler(kind, 1, 1) for kind in UPSAMPLERS}
    for layer in layers.values():
        for parameter in layer.parameters():
            nn.init.ones_(parameter)
    assert artifact_strength(layers["ConvTranspose k3 s2"], 1, 8) == pytest.approx(
        0.19
    )  # see the closed form above
    assert artifact_strength(layers["ConvTranspose k4 s2"], 1, 8) == pytest.approx(
        0.0, abs=1e-12
    )
    assert artifact_strength(layers["resize + conv"], 1, 8) == pytest.approx(
        0.0, abs=1e-12
    )


def test_at_initialisation_k3_is_the_worst():
    for seed in range(3):
        torch.manual_seed(seed)
        strengths = {
            kind: artifact_strength(upsampler(kind, 16, 16), 16, 7)
            for kind in UPSAMPLERS
        }
        assert strengths["ConvTranspose k3 s2"] > 5 * max(
            strengths["ConvTranspose k4 s2"], strengths["resize + conv"]
        )


def test_the_autoencoders_keep_the_image_size():
    for kind in UPSAMPLERS:
        model = UpsamplingAutoencoder(kind, width=4, code_channels=2)
        assert model.encode(torch.zeros(2, 1, 28, 28)).shape == (2, 2, 7, 7)
        assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 1, 28, 28)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="even height and width"):
        nyquist_share(torch.ones(7, 8))
    with pytest.raises(ValueError, match="images"):
        nyquist_share(torch.ones(8))
    with pytest.raises(ValueError, match="layer"):
        gain_map(lambda x: x, 1, 4)
    with pytest.raises(ValueError, match="in_channels"):
        gain_map(nn.Identity(), 0, 4)
    with pytest.raises(ValueError, match="border"):
        artifact_strength(upsampler("resize + conv", 1, 1), 1, 4, border=1)
    with pytest.raises(ValueError, match="border"):
        artifact_strength(upsampler("resize + conv", 1, 1), 1, 2, border=2)
    with pytest.raises(ValueError, match="layers"):
        overlap_map(3, layers=0)
    with pytest.raises(ValueError, match="kernel_size"):
        overlap_map(0)
    with pytest.raises(ValueError, match="kind"):
        upsampler("bilinear", 1, 1)
    with pytest.raises(ValueError, match="width"):
        UpsamplingAutoencoder("resize + conv", width=0)
