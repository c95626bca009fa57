"""Autoencoders beyond chapter 4's main model: max-pooling against strided convolutions
and a convolutional encoder with a dense bottleneck (chapter 4's last sections), and the
one-hidden-layer autoencoder whose codes chapter 9 regularises (denoising, sparse,
contractive).

Each model has ``encode`` and ``decode``; the pooling autoencoder's code comes with the
*switches* (where each maximum was), which its decoder needs.
"""

from __future__ import annotations

import torch
from torch import nn

from ..validation import one_of, pair, positive_int, validated

channel_pair = pair(positive_int)


class PoolingAutoencoder(nn.Module):
    """3 x 3 convolutions keep the size; 2 x 2 max-pooling halves it, 28 -> 14 -> 7,
    and remembers where each maximum was; max-unpooling puts values back there."""

    @validated(channels=channel_pair, code_channels=positive_int)
    def __init__(self, channels: tuple[int, int] = (16, 32), code_channels: int = 4):
        super().__init__()
        c1, c2 = channels
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        # the code: 7 x 7 x code_channels
        self.to_code = nn.Conv2d(c2, code_channels, 1)
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2)
        self.from_code = nn.Conv2d(code_channels, c2, 1)
        self.conv3 = nn.Conv2d(c2, c1, 3, padding=1)
        self.conv4 = nn.Conv2d(c1, 1, 3, padding=1)

    def encode(self, images):
        # 28 -> 14 -> 7, keeping where each maximum was
        h, switches1 = self.pool(torch.relu(self.conv1(images)))
        h, switches2 = self.pool(torch.relu(self.conv2(h)))
        return self.to_code(h), (switches1, switches2)

    def decode(self, code, switches):
        switches1, switches2 = switches
        h = torch.relu(self.from_code(code))
        # 7 -> 14 -> 28, each value back where its maximum was
        h = torch.relu(self.conv3(self.unpool(h, switches2)))
        return torch.sigmoid(self.conv4(self.unpool(h, switches1)))

    def forward(self, images):
        return self.decode(*self.encode(images))


def _down(c1: int, c2: int) -> list[nn.Module]:
    """Two stride-2 3 x 3 convolutions with ReLU: 28 -> 14 -> 7."""
    return [
        nn.Conv2d(1, c1, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(c1, c2, 3, stride=2, padding=1),
        nn.ReLU(),
    ]


def _up(c2: int, c1: int) -> list[nn.Module]:
    """Two kernel-4 stride-2 transposed convolutions (even overlap): 7 -> 28."""
    return [
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),
        nn.ReLU(),
        nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),
        nn.Sigmoid(),
    ]


class _EncoderDecoder(nn.Module):
    """``encode`` is ``self.encoder``, ``decode`` is ``self.decoder``."""

    def encode(self, images):
        return self.encoder(images)

    def decode(self, codes):
        return self.decoder(codes)

    def forward(self, images):
        return self.decode(self.encode(images))


class StridedAutoencoder(_EncoderDecoder):
    """The same widths and code, but stride-2 convolutions halve the size and kernel-4
    stride-2 transposed convolutions double it: no switches."""

    @validated(channels=channel_pair, code_channels=positive_int)
    def __init__(self, channels: tuple[int, int] = (16, 32), code_channels: int = 4):
        super().__init__()
        c1, c2 = channels
        self.encoder = nn.Sequential(*_down(c1, c2), nn.Conv2d(c2, code_channels, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(code_channels, c2, 1), nn.ReLU(), *_up(c2, c1)
        )


class DenseBottleneckAutoencoder(_EncoderDecoder):
    """Strided convolutions (28 -> 14 -> 7), then Flatten and Linear down to ``latent``
    numbers; the decoder mirrors it with Linear, Unflatten and transposed
    convolutions."""

    @validated(latent=positive_int, channels=channel_pair)
    def __init__(self, latent: int = 2, channels: tuple[int, int] = (16, 32)):
        super().__init__()
        c1, c2 = channels
        self.encoder = nn.Sequential(
            *_down(c1, c2),
            # c2 x 7 x 7 -> c2 * 49 numbers -> the dense bottleneck
            nn.Flatten(),
            nn.Linear(c2 * 7 * 7, latent),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent, c2 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (c2, 7, 7)),
            *_up(c2, c1),
        )


class OneLayerAutoencoder(_EncoderDecoder):
    """784 -> ``hidden`` code units (ReLU or sigmoid) -> 784: the model of the sparse
    and contractive autoencoders, whose penalties act on the code."""

    @validated(hidden=positive_int, activation=one_of("relu", "sigmoid"))
    def __init__(self, hidden: int = 64, activation: str = "relu"):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, hidden),
            nn.ReLU() if activation == "relu" else nn.Sigmoid(),
        )
        self.decoder = nn.Sequential(
            nn.Linear(hidden, 28 * 28), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))
        )
