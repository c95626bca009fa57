"""Checks for chapter 1, the linear autoencoder."""

from __future__ import annotations

import torch
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from ..training import apply_in_batches
from . import expect, expect_tensor, passed, reconstruction_and_average_digit

CHANCE = 0.1  # ten digit classes


def knn_accuracy(codes: torch.Tensor, labels: torch.Tensor, folds: int = 3) -> float:
    """Cross-validated accuracy of a 5-nearest-neighbour classifier on the codes: how well they separate the classes."""
    scores = cross_val_score(
        KNeighborsClassifier(n_neighbors=5), codes.numpy(), labels.numpy(), cv=folds
    )
    return float(scores.mean())


def check_latent_2d(model, codes, images: torch.Tensor, labels: torch.Tensor) -> None:
    """ex-1.1: ``codes`` are the trained 2-D encoder's codes of ``images``, and they separate the digits."""
    ex = "ex-1.1"
    codes = expect_tensor(codes, ex, "codes_2d", shape=(len(images), 2))
    expect(
        hasattr(model, "encode"),
        ex,
        "`model_2d` should be the autoencoder you trained (it has no `encode`).",
        "create it with `LinearAutoencoder(bottleneck=2)` and train it with `fit`.",
    )
    own_codes = apply_in_batches(model.encode, images, module=model)
    expect(
        own_codes.shape == codes.shape
        and torch.allclose(own_codes, codes, atol=1e-4, rtol=1e-3),
        ex,
        "`codes_2d` are not the codes that `model_2d.encode` gives for the test images.",
        "compute them with `apply_in_batches(model_2d.encode, test.images, module=model_2d)` after training.",
    )
    reconstruction_mse, mean_image_mse = reconstruction_and_average_digit(model, images)
    expect(
        reconstruction_mse < mean_image_mse,
        ex,
        f"the 2-D model reconstructs worse (MSE {reconstruction_mse:.4f}) than drawing the average digit "
        f"for every image (MSE {mean_image_mse:.4f}), so it has not learnt yet.",
        "train for more epochs, or check that the loss compares the output with the input.",
    )
    accuracy = knn_accuracy(codes, labels.cpu())
    expect(
        accuracy > 2 * CHANCE,
        ex,
        f"a nearest-neighbour classifier on your codes is right {accuracy:.0%} of the time, "
        f"hardly better than guessing ({CHANCE:.0%}).",
        "the codes should come from the trained encoder, for the same images as `labels`, in the same order.",
    )
    passed(
        ex,
        f"codes of shape {tuple(codes.shape)}, reconstruction MSE {reconstruction_mse:.4f} "
        f"< {mean_image_mse:.4f} (average digit), digits told apart by 5-NN {accuracy:.0%} of the time.",
    )
