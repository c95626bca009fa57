"""Three ways to upsample by 2, and a small convolutional autoencoder using one.

Chapter 3 trains the same autoencoder three times, changing only the two upsampling
layers of its decoder, to compare their checkerboard artifacts.
"""

from __future__ import annotations

import torch
from torch import nn

from ..validation import one_of, positive_int, validated

UPSAMPLERS = {
    "ConvTranspose k3 s2": "transposed convolution, kernel 3, stride 2: uneven overlap",
    "ConvTranspose k4 s2": "transposed convolution, kernel 4, stride 2: even overlap",
    "resize + conv": "nearest-neighbour resize by 2, then a 3 x 3 convolution",
}


@validated(kind=one_of(*UPSAMPLERS))
def upsampler(kind: str, in_channels: int, out_channels: int) -> nn.Module:
    """A layer that doubles height and width: one of the names in ``UPSAMPLERS``."""
    if kind == "ConvTranspose k3 s2":
        # (n - 1) * 2 - 2 + 3 + 1 = 2n: output_padding=1 adds the row that rounding lost
        return nn.ConvTranspose2d(
            in_channels, out_channels, 3, stride=2, padding=1, output_padding=1
        )
    if kind == "ConvTranspose k4 s2":
        # (n - 1) * 2 - 2 + 4 = 2n
        return nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1)
    # "resize + conv"
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
    )


class UpsamplingAutoencoder(nn.Module):
    """28 x 28 -> 7 x 7 x ``code_channels`` -> 28 x 28, upsampling with ``kind``.

    The encoder halves the size twice with stride-2 convolutions; the decoder doubles it
    twice with the chosen upsampler. Everything else is the same for every ``kind``.
    """

    @validated(kind=one_of(*UPSAMPLERS), width=positive_int, code_channels=positive_int)
    def __init__(self, kind: str, width: int = 32, code_channels: int = 4):
        super().__init__()
        self.kind = kind
        self.encoder = nn.Sequential(
            # 28 -> 14 -> 7
            nn.Conv2d(1, width, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, stride=2, padding=1),
            nn.ReLU(),
            # the bottleneck: 7 x 7 x code_channels
            nn.Conv2d(width, code_channels, 1),
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(code_channels, width, 1),
            nn.ReLU(),
            # 7 -> 14 -> 28
            upsampler(kind, width, width),
            nn.ReLU(),
            upsampler(kind, width, 1),
            nn.Sigmoid(),
        )

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.encoder(images)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder(codes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))
