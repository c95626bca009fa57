"""The overlap map, the Nyquist share and the artifact strength, each against an independent
computation: loops and NumPy convolutions, NumPy's FFT, closed forms, autograd Jacobians."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers.another_device import OnAnotherDevice
from torch import nn

from course_utils.arithmetic import conv_matrix
from course_utils.artifacts import (
    artifact_strength,
    gain_map,
    nyquist_share,
    output_nyquist_shares,
    overlap_map,
    phase_gains,
    probe_images,
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


def test_gain_map_nyquist_share_of_ones_kernels():
    layers = {kind: upsampler(kind, 1, 1) for kind in UPSAMPLERS}
    for layer in layers.values():
        for parameter in layer.parameters():
            nn.init.ones_(parameter)
    gains = {kind: gain_map(layer, 1, 8)[2:-2, 2:-2] for kind, layer in layers.items()}
    assert nyquist_share(gains["ConvTranspose k3 s2"]) == pytest.approx(0.19)
    assert nyquist_share(gains["ConvTranspose k4 s2"]) == pytest.approx(0.0, abs=1e-12)
    assert nyquist_share(gains["resize + conv"]) == pytest.approx(0.0, abs=1e-12)


def _checkerboard_layer() -> nn.Module:
    """Each input pixel becomes the 2 x 2 tile [[x, -x], [-x, x]]: nothing but a checkerboard."""
    layer = nn.ConvTranspose2d(1, 1, 2, stride=2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
    return layer


def _linear_interpolation_k3_layer() -> nn.Module:
    """A kernel-3 stride-2 transposed convolution with the tent kernel [1/2, 1, 1/2] per axis:
    linear interpolation, so its output for a constant is flat despite the uneven overlap."""
    layer = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)
    tent = torch.tensor([0.5, 1.0, 0.5])
    with torch.no_grad():
        layer.weight.copy_(torch.outer(tent, tent))
        layer.bias.zero_()
    return layer


def test_probe_images_have_no_checkerboard_of_their_own():
    for size in (6, 7, 14):
        for name, probe in probe_images(size).items():
            assert probe.shape == (size, size), name
            assert 0 <= float(probe.min()) and float(probe.max()) <= 1, name
    digit = probe_images(14)["digit"]
    assert float(digit.sum()) > 10 and float(digit[0].abs().sum()) == 0.0


def test_nearest_upsampling_has_no_artifact_at_all():
    for size, channels in ((7, 1), (14, 3)):
        shares = output_nyquist_shares(nn.Upsample(scale_factor=2), channels, size)
        assert set(shares) == {"constant", "ramp", "digit"}
        assert max(shares.values()) == pytest.approx(0.0, abs=1e-12)


def test_smooth_interpolation_has_almost_none():
    bilinear = nn.Upsample(scale_factor=2, mode="bilinear")
    assert artifact_strength(bilinear, 2, 14) < 0.002
    assert artifact_strength(_linear_interpolation_k3_layer(), 1, 14) < 0.002


def test_a_pure_checkerboard_layer_against_its_closed_form():
    """The output is u * c, u the nearest-neighbour upsampled probe and c = (-1)^(i+j): its only
    Nyquist coefficient is at (H/2, W/2) and equals sum(u), so the share is sum(u)^2 / (N sum u^2),
    with N the number of pixels (Parseval)."""
    size, border = 14, 2
    shares = output_nyquist_shares(_checkerboard_layer(), 1, size, border)
    assert shares["constant"] == pytest.approx(1.0)
    for name, probe in probe_images(size).items():
        u = np.kron(probe.numpy().astype(np.float64), np.ones((2, 2)))
        u = u[border:-border, border:-border]
        assert shares[name] == pytest.approx(u.sum() ** 2 / (u.size * (u**2).sum()))
    assert artifact_strength(_checkerboard_layer(), 1, size) > 0.75


def test_the_new_measure_disagrees_with_the_gain_map_where_the_gain_map_is_wrong():
    """A flat output with an uneven gain map, and a pure checkerboard with a flat gain map."""
    flat = _linear_interpolation_k3_layer()
    assert nyquist_share(gain_map(flat, 1, 14)[2:-2, 2:-2]) > 0.05  # the old measure
    assert artifact_strength(flat, 1, 14) < 0.002
    checker = _checkerboard_layer()
    assert (
        nyquist_share(gain_map(checker, 1, 14)[2:-2, 2:-2]) < 1e-12
    )  # the old measure
    assert artifact_strength(checker, 1, 14) > 0.75


def _constant_tile_share(layer: nn.ConvTranspose2d) -> float:
    """Closed form for a constant input to a kernel-4 stride-2 padding-1 transposed
    convolution: inside the border the output repeats a 2 x 2 tile, whose entry (a, b) for
    output channel o sums the weights W[c, o, k, l] with k = a + 1 and l = b + 1 (mod 2)."""
    weight = layer.weight.detach().double().numpy()  # in x out x 4 x 4
    shares_num, shares_den = 0.0, 0.0
    for o in range(weight.shape[1]):
        tile = np.array(
            [
                [weight[:, o, (a + 1) % 2 :: 2, (b + 1) % 2 :: 2].sum() for b in (0, 1)]
                for a in (0, 1)
            ]
        )
        hadamard = np.array([[1, 1], [1, -1]]) @ tile @ np.array([[1, 1], [1, -1]])
        shares_num += (hadamard**2).sum() - hadamard[0, 0] ** 2
        shares_den += (hadamard**2).sum()
    return shares_num / shares_den


def test_transposed_convolution_on_a_constant_against_the_tile_closed_form():
    torch.manual_seed(3)
    layer = upsampler("ConvTranspose k4 s2", 5, 3)
    shares = output_nyquist_shares(layer, 5, 10)
    assert shares["constant"] == pytest.approx(_constant_tile_share(layer), rel=1e-6)


def test_at_initialisation_both_transposed_convolutions_draw_checkerboards():
    """Random zero-mean weights give every frequency the same expected gain, so a transposed
    convolution's output for a constant is about 3/4 period-2 pattern, kernel 3 or 4 alike;
    resize + convolution draws almost none (only the ramp leaks a little at the crop)."""
    strengths = {kind: [] for kind in UPSAMPLERS}
    for seed in range(4):
        for kind in UPSAMPLERS:
            torch.manual_seed(seed)
            strengths[kind].append(artifact_strength(upsampler(kind, 16, 16), 16, 7))
    mean = {kind: sum(values) / len(values) for kind, values in strengths.items()}
    assert mean["resize + conv"] < 0.02
    assert mean["ConvTranspose k3 s2"] > 0.4 and mean["ConvTranspose k4 s2"] > 0.4


def test_the_pattern_catcher_catches_the_old_code():
    output = OnAnotherDevice(nn.Upsample(scale_factor=2))(torch.ones(1, 1, 4, 4))
    with pytest.raises(TypeError, match="float64"):
        output.double().cpu()  # what the old code did
    assert output.cpu().double().dtype == torch.float64


def test_artifact_code_moves_to_the_cpu_before_float64():
    torch.manual_seed(0)
    for kind in UPSAMPLERS:
        layer = upsampler(kind, 2, 2)
        wrapped = OnAnotherDevice(layer)
        assert artifact_strength(wrapped, 2, 6) == pytest.approx(
            artifact_strength(layer, 2, 6)
        )
        torch.testing.assert_close(gain_map(wrapped, 2, 6), gain_map(layer, 2, 6))
        output = wrapped(torch.ones(1, 2, 6, 6))
        assert nyquist_share(output) == pytest.approx(
            nyquist_share(layer(torch.ones(1, 2, 6, 6)))
        )


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="no Apple GPU here")
def test_artifact_code_on_mps():
    layer = upsampler("ConvTranspose k4 s2", 2, 2).to("mps")
    assert 0 <= artifact_strength(layer, 2, 6) <= 1
    assert gain_map(layer, 2, 6).shape == (12, 12)


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
        artifact_strength(upsampler("resize + conv", 1, 1), 1, 4, border=4)
    with pytest.raises(ValueError, match="size"):
        artifact_strength(upsampler("resize + conv", 1, 1), 1, 3)
    with pytest.raises(ValueError, match="layer"):
        artifact_strength(lambda x: x, 1, 8)
    with pytest.raises(ValueError, match="layers"):
        overlap_map(3, layers=0)
    with pytest.raises(ValueError, match="kernel_size"):
        overlap_map(0)
    with pytest.raises(ValueError, match="kind"):
        upsampler("bilinear", 1, 1)
    with pytest.raises(ValueError, match="width"):
        UpsamplingAutoencoder("resize + conv", width=0)


def test_phase_gains_of_resize_then_convolve_against_the_grouped_weights():
    """Nearest resizing then a 3 x 3 convolution: output row 2i sees input rows (i-1, i, i) and
    row 2i+1 sees (i, i, i+1), so phase a applies the grouped kernel P_a K P_b^T with
    P_0 = [[1,0,0],[0,1,1]] and P_1 = [[1,1,0],[0,0,1]]. The sums of the grouped weights (the
    response to a constant) are the same for every phase; their squares (the noise gain) are
    not."""
    torch.manual_seed(5)
    layer = upsampler("resize + conv", 3, 2)
    kernels = (
        layer[1].weight.detach().double().numpy()[1]
    )  # output channel 1: 3 x 3 x 3
    groups = [np.array([[1, 0, 0], [0, 1, 1]]), np.array([[1, 1, 0], [0, 0, 1]])]
    noise = np.array(
        [
            [sum(((ga @ k @ gb.T) ** 2).sum() for k in kernels) for gb in groups]
            for ga in groups
        ]
    )
    got = phase_gains(layer, 3, 8, channel=1)
    np.testing.assert_allclose(got["constant"].numpy(), np.full((2, 2), kernels.sum()))
    np.testing.assert_allclose(got["noise"].numpy(), noise, rtol=1e-5)
    assert (
        noise.max() / noise.min() > 1.05
    )  # the phases differ: not "computed the same way"


def test_overlap_of_stacked_kernel_3_layers():
    """The counts the chapter prints: 1 to 4, 9 and 25 for 1, 2 and 3 stacked layers (1-D:
    1 to 2, 3, 5), with interior periods 2, 4 and 8; kernel 4 stays flat inside."""
    for layers, (top, period) in zip((1, 2, 3), ((4, 2), (9, 4), (25, 8))):
        one_d = _overlap_1d(3, 2, 4, 1, layers)
        assert (one_d.min(), one_d.max() ** 2) == (1, top)
        counts = overlap_map(3, 2, input_size=4, padding=1, layers=layers)
        assert (float(counts.min()), float(counts.max())) == (1.0, float(top))
        inner = one_d[2**layers : -(2**layers)]
        assert np.array_equal(inner[period:], inner[:-period])
        assert not np.array_equal(inner[period // 2 :], inner[: -(period // 2)])
