"""The models of chapters 4 (pooling, dense bottleneck) and 9 (one layer): sizes, and max-unpooling against a NumPy re-implementation; chapter 9's penalties and measurements against independent computations."""

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


# ---- chapter 9's penalties and measurements (course_utils.regularisers)


def test_kl_sparsity_against_torch_distributions():
    from course_utils.regularisers import kl_sparsity

    codes = torch.rand(30, 5, generator=torch.Generator().manual_seed(0)) * 0.9 + 0.05
    mean = codes.mean(dim=0)
    expected = torch.distributions.kl_divergence(
        torch.distributions.Bernoulli(probs=torch.full_like(mean, 0.05)),
        torch.distributions.Bernoulli(probs=mean),
    ).sum()
    torch.testing.assert_close(kl_sparsity(codes, 0.05), expected)
    at_target = torch.full((4, 3), 0.2)
    assert float(kl_sparsity(at_target, 0.2)) == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match="target"):
        kl_sparsity(codes, 1.5)


def test_code_sensitivity_of_a_linear_code_is_the_projected_length():
    from course_utils.regularisers import code_sensitivity, near_zero_share

    basis = torch.eye(784)[:3]  # the code is the first three pixels
    encode = lambda x: x.flatten(1) @ basis.T  # noqa: E731
    images = torch.zeros(2, 1, 28, 28)
    steps = torch.zeros(2, 1, 28, 28)
    steps.view(2, -1)[:, 0] = 3.0  # inside the code's subspace
    steps.view(2, -1)[:, 100] = 4.0  # outside it
    assert code_sensitivity(encode, images, steps) == pytest.approx(3 / 5)
    with pytest.raises(ValueError, match="images and steps must have the same shape"):
        code_sensitivity(encode, images, steps[:1])
    assert near_zero_share(torch.tensor([[0.0, 0.01, 0.5, -0.02]])) == 0.75


def measured_denoising_error(model, images, std, draws, seed=0):
    """``E_ε ‖r(x + std ε) − x‖² / D`` per image by plain Monte Carlo over antithetic
    pairs, drawn as denoising_terms draws them: the independent measurement its terms
    must add up to."""
    generator = torch.Generator().manual_seed(seed)
    total = torch.zeros(len(images), dtype=torch.float64)
    with torch.no_grad():
        for _ in range(draws // 2):
            noise = torch.randn(images.shape, generator=generator)
            for sign in (1.0, -1.0):
                out = model(images + sign * std * noise)
                total += (out - images).pow(2).flatten(1).mean(dim=1).double()
    return total / draws


def test_denoising_terms_match_the_closed_form_of_a_linear_model():
    """For r(x) = A x, E‖A(x + σε) − x‖² = ‖Ax − x‖² + σ² ‖A‖²_F exactly, and the
    curvature part of the increase is 0."""
    from course_utils.regularisers import denoising_terms

    # not seed 0: the noise is drawn from a generator seeded 0, and weights drawn from
    # the same stream would correlate with it
    torch.manual_seed(1)
    layer = torch.nn.Linear(784, 784, bias=False)
    model = torch.nn.Sequential(
        torch.nn.Flatten(), layer, torch.nn.Unflatten(1, (1, 28, 28))
    )
    images = torch.rand(3, 1, 28, 28)
    std = 0.1
    expected = std**2 * layer.weight.pow(2).sum() / 784
    increase, _, curvature_part = denoising_terms(model, images, std, draws=400)
    torch.testing.assert_close(
        increase.float(), expected.detach().expand(3), rtol=0.02, atol=0
    )
    # zero up to float32 rounding
    assert curvature_part.abs().max() < 1e-4 * expected


def test_denoising_terms_add_up_and_match_the_measured_error():
    from course_utils.regularisers import denoising_terms

    torch.manual_seed(0)
    model = OneLayerAutoencoder(8, "sigmoid")
    images = torch.rand(4, 1, 28, 28)
    increase, jacobian_part, curvature_part = denoising_terms(model, images, 0.2, 8)
    torch.testing.assert_close(increase, jacobian_part + curvature_part)
    clean = (model(images) - images).pow(2).flatten(1).mean(1).double()
    measured = measured_denoising_error(model, images, 0.2, draws=8)
    torch.testing.assert_close(
        increase, measured - clean.detach(), rtol=1e-4, atol=1e-7
    )
    with pytest.raises(ValueError, match="draws must be an even"):
        denoising_terms(model, images, 0.2, 7)
