"""The convolutional models keep the sizes chapter 2 designs, and the residual block adds its input."""

import pytest
import torch
from torch import nn

from course_utils.baselines import median_filter, upsample
from course_utils.models.conv import (
    BlockAutoencoder,
    ConvAutoencoder,
    DownBlock,
    ResidualBlock,
    SuperResolution,
    UpBlock,
)


def test_conv_autoencoder_goes_through_a_1x1_bottleneck():
    model = ConvAutoencoder(latent=12, channels=(4, 8))
    x = torch.rand(5, 1, 28, 28)
    code = model.encoder(x)
    assert code.shape == (5, 12, 1, 1)
    out = model(x)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("residual", [True, False])
def test_block_autoencoder_shapes(residual):
    model = BlockAutoencoder(latent=6, channels=(4, 8), residual=residual)
    x = torch.rand(3, 1, 28, 28)
    assert model.encoder(x).shape == (3, 6, 1, 1)
    assert model(x).shape == x.shape


def test_down_and_up_blocks_halve_and_double():
    x = torch.rand(2, 3, 14, 14)
    assert DownBlock(3, 5)(x).shape == (2, 5, 7, 7)
    assert UpBlock(3, 5)(x).shape == (2, 5, 28, 28)


def test_residual_block_adds_its_input():
    block = ResidualBlock(4).eval()
    plain = ResidualBlock(4, skip=False).eval()
    plain.load_state_dict(block.state_dict())
    x = torch.randn(2, 4, 7, 7)
    inner = block.body(x)
    assert torch.allclose(block(x), torch.relu(x + inner))
    assert torch.allclose(plain(x), torch.relu(inner))
    # with the last batch norm scaled to zero, the residual block is the identity on non-negative inputs
    nn.init.zeros_(block.body[-1].weight)
    nn.init.zeros_(block.body[-1].bias)
    assert torch.allclose(block(x.abs()), x.abs())


@pytest.mark.parametrize("factor, side", [(2, 14), (4, 7), (8, 4)])
def test_super_resolution_enlarges_by_factor(factor, side):
    model = SuperResolution(factor=factor, channels=4)
    assert model(torch.rand(2, 1, side, side)).shape == (
        2,
        1,
        side * factor,
        side * factor,
    )
    assert SuperResolution(factor=2, channels=4, image_channels=3)(
        torch.rand(1, 3, 16, 16)
    ).shape == (1, 3, 32, 32)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: SuperResolution(factor=3), "factor"),
        (lambda: SuperResolution(factor=0), "factor"),
        (lambda: ConvAutoencoder(latent=0), "latent"),
        (lambda: upsample(torch.rand(1, 1, 4, 4), 2, mode="area"), "mode"),
        (lambda: median_filter(torch.rand(4, 4)), "images"),
    ],
)
def test_bad_arguments_name_the_argument(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_median_filter_removes_an_isolated_speck():
    images = torch.zeros(1, 1, 5, 5)
    images[0, 0, 2, 2] = 1.0
    assert torch.equal(median_filter(images), torch.zeros(1, 1, 5, 5))
    ones = torch.ones(1, 1, 5, 5)
    ones[0, 0, 1, 3] = 0.0
    assert torch.equal(median_filter(ones), torch.ones(1, 1, 5, 5))


def test_upsample_nearest_repeats_pixels_and_bicubic_stays_in_range():
    x = torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]])
    assert torch.equal(
        upsample(x, 2, "nearest"),
        x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3),
    )
    bicubic = upsample(x, 4, "bicubic")
    assert bicubic.shape == (1, 1, 8, 8) and bicubic.min() >= 0 and bicubic.max() <= 1


@pytest.mark.parametrize("channels", [4, 16])
def test_residual_block_is_the_identity_at_initialisation(channels):
    """Goyal et al. (2017): the branch's last batch-norm scale starts at 0, so F(x) = 0."""
    torch.manual_seed(0)
    block = ResidualBlock(channels)
    x = torch.randn(8, channels, 7, 7)
    branch = block.body(x)
    assert branch.norm() / x.norm() < 1e-6
    assert torch.allclose(block(x), torch.relu(x))
    # the plain block keeps a live branch (a zero scale there would output only zeros)
    plain = ResidualBlock(channels, skip=False)
    assert plain.body(x).norm() / x.norm() > 0.5


def _transposed_convolutions(module: nn.Module) -> list[nn.ConvTranspose2d]:
    return [m for m in module.modules() if isinstance(m, nn.ConvTranspose2d)]


@pytest.mark.parametrize(
    "module",
    [
        UpBlock(3, 5),
        SuperResolution(factor=4, channels=4),
        BlockAutoencoder(latent=6, channels=(4, 8)),
    ],
    ids=["UpBlock", "SuperResolution", "BlockAutoencoder"],
)
def test_block_upsamplers_cover_every_output_pixel_evenly(module):
    """Chapter 3's rule, computed independently: a transposed convolution with an all-ones
    kernel applied to an all-ones image counts the kernel taps landing on each output pixel;
    away from the border the count must be the same everywhere (no built-in checkerboard)."""
    strided = [m for m in _transposed_convolutions(module) if m.stride[0] > 1]
    assert strided, "the model should upsample with a strided transposed convolution"
    for layer in strided:
        k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
        counts = torch.nn.functional.conv_transpose2d(
            torch.ones(1, 1, 8, 8), torch.ones(1, 1, k, k), stride=s, padding=p
        )[0, 0]
        interior = counts[k:-k, k:-k]
        assert interior.min() == interior.max(), (layer, interior)
