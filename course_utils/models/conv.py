"""Convolutional autoencoders of chapters 4 and 5, and the blocks they are built from.

Sizes follow the arithmetic of chapter 2: a 3 x 3 convolution with stride 2 and padding
1 halves 28 -> 14 -> 7, a 7 x 7 convolution turns the 7 x 7 map into a 1 x 1 bottleneck,
and the decoder mirrors this with transposed convolutions (``output_padding=1`` makes 7
-> 14 -> 28 exact).

The blocks (:class:`UpBlock`, and the last layer of :class:`BlockAutoencoder`) double
the size with a kernel-4, stride-2 transposed convolution instead: the stride divides
the kernel, so every output pixel is covered by the same number of kernel taps and the
layer has no built-in checkerboard (chapter 3).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..validation import pair, positive_int, power_of_two, validated

channel_pair = pair(positive_int)


class ConvAutoencoder(nn.Module):
    """Strided convolutions to a ``latent`` x 1 x 1 code, transposed ones back up."""

    @validated(latent=positive_int, channels=channel_pair)
    def __init__(self, latent: int = 32, channels: tuple[int, int] = (32, 64)):
        super().__init__()
        c1, c2 = channels
        self.encoder = nn.Sequential(
            # 28 -> 14 -> 7: stride-2 convolutions halve the size
            nn.Conv2d(1, c1, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            # 7 -> 1: the bottleneck, `latent` numbers per image
            nn.Conv2d(c2, latent, kernel_size=7),
        )
        self.decoder = nn.Sequential(
            # 1 -> 7
            nn.ConvTranspose2d(latent, c2, kernel_size=7),
            nn.ReLU(),
            # 7 -> 14 -> 28: output_padding=1 makes the sizes exact
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, 3, stride=2, padding=1, output_padding=1),
            # pixels in [0, 1], like the images
            nn.Sigmoid(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(images))


class DownBlock(nn.Sequential):
    """Halve height and width: a 3 x 3 convolution with stride 2, batch norm, ReLU."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class UpBlock(nn.Sequential):
    """Double the height and width: a transposed convolution, batch norm, ReLU.

    Kernel 4 with stride 2 (and padding 1: 2 * (n - 1) - 2 + 4 = 2n): the stride divides
    the kernel, so the overlaps are even and the layer draws no checkerboard of its own
    (chapter 3).
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.ConvTranspose2d(
                in_channels, out_channels, kernel_size=4, stride=2, padding=1
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ResidualBlock(nn.Module):
    """Two 3 x 3 convolutions whose result is *added* to the input: ``relu(x + f(x))``.

    Input and output have the same channels and size, so the skip connection is a plain
    sum. The last batch norm's scale starts at zero (Goyal et al., 2017), so ``f(x) =
    0`` at initialisation and the block starts as ``relu(x)``: close to the identity.
    With ``skip=False`` the block keeps the same layers without the sum: the plain
    baseline (its batch norm keeps the usual scale of 1, or it would output nothing but
    zeros).
    """

    def __init__(self, channels: int, skip: bool = True):
        super().__init__()
        self.skip = skip
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
            nn.BatchNorm2d(channels),
        )
        if skip:
            nn.init.zeros_(self.body[-1].weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return torch.relu(x + out if self.skip else out)


class BlockAutoencoder(nn.Module):
    """:class:`ConvAutoencoder` rebuilt from blocks, with a deeper decoder: a
    :class:`ResidualBlock` after each upsampling step. With ``residual=False`` the same
    layers run without skip connections."""

    @validated(latent=positive_int, channels=channel_pair)
    def __init__(
        self,
        latent: int = 32,
        channels: tuple[int, int] = (32, 64),
        residual: bool = True,
    ):
        super().__init__()
        c1, c2 = channels
        self.encoder = nn.Sequential(
            # 28 -> 14 -> 7 -> 1
            DownBlock(1, c1),
            DownBlock(c1, c2),
            nn.Conv2d(c2, latent, kernel_size=7),
        )
        self.decoder = nn.Sequential(
            # 1 -> 7
            nn.ConvTranspose2d(latent, c2, kernel_size=7),
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            ResidualBlock(c2, skip=residual),
            # 7 -> 14
            UpBlock(c2, c1),
            ResidualBlock(c1, skip=residual),
            # 14 -> 28
            nn.ConvTranspose2d(c1, 1, kernel_size=4, stride=2, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(images))


class SuperResolution(nn.Module):
    """Enlarge images ``factor`` times (a power of 2): features and a
    :class:`ResidualBlock` at the small size, where they are cheap, one :class:`UpBlock`
    per doubling, a 3 x 3 convolution to pixels."""

    @validated(factor=power_of_two, channels=positive_int)
    def __init__(self, factor: int = 2, channels: int = 16, image_channels: int = 1):
        super().__init__()
        self.factor = factor
        doublings = int(math.log2(factor))
        self.layers = nn.Sequential(
            nn.Conv2d(image_channels, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            ResidualBlock(channels),
            # each doubles height and width
            *[UpBlock(channels, channels) for _ in range(doublings)],
            nn.Conv2d(channels, image_channels, kernel_size=3, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, small_images: torch.Tensor) -> torch.Tensor:
        return self.layers(small_images)
