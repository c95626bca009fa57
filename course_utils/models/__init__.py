"""Reusable autoencoder models; each module holds one family.

The autoencoders themselves are reachable in one hop (``cu.models.ConvAutoencoder``);
their building blocks and training loops stay in their module
(``cu.models.conv.DownBlock``, ``cu.models.aae.train_aae``).
"""

from . import aae, conv, linear, more_autoencoders, upsampling, vae
from .aae import AdversarialAutoencoder
from .conv import BlockAutoencoder, ConvAutoencoder, SuperResolution
from .linear import LinearAutoencoder
from .more_autoencoders import (
    DenseBottleneckAutoencoder,
    OneLayerAutoencoder,
    PoolingAutoencoder,
    StridedAutoencoder,
)
from .upsampling import UpsamplingAutoencoder
from .vae import VAE

__all__ = [
    # the modules
    "aae",
    "conv",
    "linear",
    "more_autoencoders",
    "upsampling",
    "vae",
    # the autoencoders
    "AdversarialAutoencoder",
    "BlockAutoencoder",
    "ConvAutoencoder",
    "DenseBottleneckAutoencoder",
    "LinearAutoencoder",
    "OneLayerAutoencoder",
    "PoolingAutoencoder",
    "StridedAutoencoder",
    "SuperResolution",
    "UpsamplingAutoencoder",
    "VAE",
]
