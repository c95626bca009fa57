"""The code penalties of chapter 9 against independent computations: the Jacobian from
``torch.autograd.functional.jacobian``, Rifai et al.'s closed form, NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.losses import (
    contractive_penalty,
    l1_sparsity,
    sigmoid_contractive_penalty,
)


def test_l1_sparsity_against_numpy():
    codes = torch.randn(5, 3, 4, generator=torch.Generator().manual_seed(0))
    expected = np.abs(codes.numpy()).reshape(5, -1).sum(axis=1)
    np.testing.assert_allclose(l1_sparsity(codes).numpy(), expected, rtol=1e-6)
    assert l1_sparsity(torch.zeros(2, 7)).tolist() == [0.0, 0.0]


def test_contractive_penalty_against_the_autograd_jacobian():
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.Tanh(), nn.Linear(6, 3))
    images = torch.randn(4, 1, 3, 4)
    expected = [
        float(
            torch.autograd.functional.jacobian(encoder, image[None]).pow(2).sum()
        )  # 1 x 3 x 1 x 1 x 3 x 4: every derivative of every code unit, for this image
        for image in images
    ]
    got = contractive_penalty(encoder, images)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-5)


def test_contractive_penalty_of_a_sigmoid_layer_against_the_closed_form():
    """Rifai et al. (2011): for h = sigmoid(W x + b), ‖J‖²_F = Σ_j (h_j (1 - h_j))² Σ_i W_ji²."""
    torch.manual_seed(1)
    layer = nn.Linear(10, 5)
    images = torch.rand(3, 10)
    with torch.no_grad():
        h = torch.sigmoid(layer(images)).double()
        weight = layer.weight.double()
    expected = ((h * (1 - h)) ** 2 * weight.pow(2).sum(dim=1)).sum(dim=1)
    got = contractive_penalty(lambda x: torch.sigmoid(layer(x)), images)
    np.testing.assert_allclose(got.detach().numpy(), expected.numpy(), rtol=1e-5)


def test_the_sigmoid_closed_form_against_the_autograd_jacobian():
    torch.manual_seed(4)
    layer = nn.Linear(10, 5)
    images = torch.rand(3, 10)
    expected = [
        float(
            torch.autograd.functional.jacobian(lambda x: torch.sigmoid(layer(x)), image)
            .pow(2)
            .sum()
        )
        for image in images
    ]
    codes = torch.sigmoid(layer(images))
    got = sigmoid_contractive_penalty(codes, layer.weight)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-5)


def test_contractive_penalty_can_be_minimised():
    torch.manual_seed(2)
    layer = nn.Linear(8, 4)
    penalty = contractive_penalty(layer, torch.randn(3, 8)).sum()
    penalty.backward()
    # for a linear layer the penalty is N ‖W‖²_F, whose gradient is 2 N W
    torch.testing.assert_close(layer.weight.grad, 2 * 3 * layer.weight.detach())


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="codes"):
        l1_sparsity(torch.ones(3))
    with pytest.raises(ValueError, match="images"):
        contractive_penalty(nn.Identity(), torch.ones(0, 3))
    with pytest.raises(ValueError, match="weight"):
        sigmoid_contractive_penalty(torch.ones(2, 3), torch.ones(4, 5))
    with pytest.raises(ValueError, match="one code per image"):
        contractive_penalty(lambda x: x.sum(dim=0, keepdim=True), torch.ones(3, 2))
