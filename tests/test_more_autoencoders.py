"""The models of chapter 9: sizes, and max-unpooling against a NumPy re-implementation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.models.more_autoencoders import (
    DenseBottleneckAutoencoder,
    OneLayerAutoencoder,
    PoolingAutoencoder,
    StridedAutoencoder,
)


def test_shapes_and_code_sizes():
    images = torch.rand(3, 1, 28, 28)
    pooling = PoolingAutoencoder(channels=(4, 6), code_channels=2)
    code, (switches1, switches2) = pooling.encode(images)
    assert code.shape == (3, 2, 7, 7)
    assert switches1.shape == (3, 4, 14, 14) and switches2.shape == (3, 6, 7, 7)
    assert pooling(images).shape == images.shape
    strided = StridedAutoencoder(channels=(4, 6), code_channels=2)
    assert strided.encode(images).shape == (3, 2, 7, 7)
    assert strided(images).shape == images.shape
    for latent in (2, 10):
        dense = DenseBottleneckAutoencoder(latent, channels=(4, 6))
        assert dense.encode(images).shape == (3, latent)
        assert dense(images).shape == images.shape
    for activation in ("relu", "sigmoid"):
        one = OneLayerAutoencoder(16, activation)
        assert one.encode(images).shape == (3, 16)
        assert one(images).shape == images.shape
    assert OneLayerAutoencoder(16, "relu").encode(images).min().item() >= 0


def test_max_pooling_and_unpooling_against_numpy():
    """Unpooling writes each pooled maximum back where it came from, zeros elsewhere."""
    model = PoolingAutoencoder(channels=(2, 2), code_channels=1)
    x = torch.randn(1, 2, 6, 6, generator=torch.Generator().manual_seed(0))
    pooled, switches = model.pool(x)
    restored = model.unpool(pooled, switches).numpy()
    values = x.numpy()
    expected = np.zeros_like(values)
    for c in range(2):
        for i in range(3):
            for j in range(3):
                block = values[0, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                a, b = np.unravel_index(block.argmax(), (2, 2))
                expected[0, c, 2 * i + a, 2 * j + b] = block.max()
    np.testing.assert_array_equal(restored, expected)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="channels"):
        PoolingAutoencoder(channels=(4,))
    with pytest.raises(ValueError, match="code_channels"):
        StridedAutoencoder(code_channels=0)
    with pytest.raises(ValueError, match="latent"):
        DenseBottleneckAutoencoder(0)
    with pytest.raises(ValueError, match="activation"):
        OneLayerAutoencoder(8, "tanh")
