"""The linear autoencoder of chapter 1: 784 -> k -> 784."""

from __future__ import annotations

import torch
from torch import nn

from ..validation import one_of, positive_int, validated


class LinearAutoencoder(nn.Module):
    """One linear layer down to a ``bottleneck`` of size k, one linear layer back up.

    With ``output="sigmoid"`` the decoder squashes pixels into [0, 1], like the images.
    With ``output="linear"`` the whole model is linear: the case that recovers PCA's
    subspace.
    """

    @validated(bottleneck=positive_int, output=one_of("sigmoid", "linear"))
    def __init__(
        self, bottleneck: int, input_size: int = 28 * 28, output: str = "sigmoid"
    ):
        super().__init__()
        self.input_size = input_size
        self.encoder = nn.Linear(input_size, bottleneck)
        self.decoder = nn.Linear(bottleneck, input_size)
        self.output = nn.Sigmoid() if output == "sigmoid" else nn.Identity()

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Images ``N x 1 x 28 x 28`` (or flat ``N x 784``) to codes ``N x k``."""
        return self.encoder(images.flatten(start_dim=1))

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes ``N x k`` back to images ``N x 1 x 28 x 28``."""
        side = int(self.input_size**0.5)
        return self.output(self.decoder(codes)).view(-1, 1, side, side)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))
