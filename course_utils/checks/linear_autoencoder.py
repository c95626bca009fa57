"""Checks for chapter 1, the linear autoencoder.

ex-1.1 hands over the model's codes and reconstructions of test digits the judge draws, and the
judge measures them: reconstruction through the 2-D code against the average digit and against an
untrained model of the same architecture, and how well the codes separate the digits.
"""

from __future__ import annotations

import torch
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from ..training import apply_in_batches
from . import expect, expect_tensor
from .protocol import check

CHANCE = 0.1  # ten digit classes
JUDGED_IMAGES = 500  # test digits the judge draws for ex-1.1


def knn_accuracy(codes: torch.Tensor, labels: torch.Tensor, folds: int = 3) -> float:
    """Cross-validated accuracy of a 5-nearest-neighbour classifier on the codes: how well they separate the classes."""
    scores = cross_val_score(
        KNeighborsClassifier(n_neighbors=5), codes.numpy(), labels.numpy(), cv=folds
    )
    return float(scores.mean())


def draw_test_digits(generator: torch.Generator, count: int = JUDGED_IMAGES):
    """``count`` test digits (images, labels) drawn at random with ``generator``."""
    from ..data import load_mnist

    test = load_mnist("test")
    chosen = torch.randperm(len(test.images), generator=generator)[:count]
    return {"images": test.images[chosen], "labels": test.labels[chosen]}


def untrained_reconstruction_mse(images: torch.Tensor, seeds=range(3)) -> float:
    """The best reconstruction MSE of a few untrained 2-D linear autoencoders: what no training gives."""
    from ..metrics import mse
    from ..models.linear import LinearAutoencoder

    errors = []
    for seed in seeds:
        torch.manual_seed(seed)
        errors.append(mse(apply_in_batches(LinearAutoencoder(2), images), images))
    return min(errors)


def judge_latent_2d(answer, inputs) -> str:
    ex = "ex-1.1"
    images, labels = inputs["images"], inputs["labels"]
    codes = expect_tensor(answer.get("codes"), ex, "codes", shape=(len(images), 2))
    reconstructions = expect_tensor(
        answer.get("reconstructions"), ex, "reconstructions", shape=tuple(images.shape)
    )
    from ..metrics import mse

    reconstruction_mse = mse(reconstructions, images)
    mean_image_mse = float(images.var(dim=0, unbiased=False).mean())
    untrained_mse = untrained_reconstruction_mse(images)
    expect(
        reconstruction_mse < mean_image_mse and reconstruction_mse < untrained_mse,
        ex,
        f"decoding the 2-D codes gives a reconstruction MSE of {reconstruction_mse:.4f}: no "
        f"better than drawing the average digit for every image ({mean_image_mse:.4f}) or an "
        f"untrained model of the same architecture ({untrained_mse:.4f}).",
        "train `model_2d` with `cu.training.fit` before encoding, with the chapter's `LR`.",
    )
    accuracy = knn_accuracy(codes, labels)
    expect(
        accuracy > 2 * CHANCE,
        ex,
        f"a nearest-neighbour classifier on your codes is right {accuracy:.0%} of the time, "
        f"hardly better than guessing ({CHANCE:.0%}).",
        "the codes should come from the trained encoder, `model_2d.encode`.",
    )
    return (
        f"codes of shape {tuple(codes.shape)}, reconstruction MSE {reconstruction_mse:.4f} "
        f"< {mean_image_mse:.4f} (average digit) and {untrained_mse:.4f} (untrained), "
        f"digits told apart by 5-NN {accuracy:.0%} of the time."
    )


@check("ex-1.1", judge=judge_latent_2d, draw_inputs=draw_test_digits)
def check_latent_2d(model, codes, images, labels, *, inputs):
    """ex-1.1: ``codes`` are the trained 2-D encoder's codes of ``images``; hands over the
    model's codes and its reconstructions through them for the judge's digits."""
    ex = "ex-1.1"
    codes = expect_tensor(codes, ex, "codes_2d", shape=(len(images), 2))
    expect(
        hasattr(model, "encode") and hasattr(model, "decode"),
        ex,
        "`model_2d` should be the autoencoder you trained (it has no `encode` or `decode`).",
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
    judged = apply_in_batches(model.encode, inputs["images"], module=model)
    reconstructions = apply_in_batches(model.decode, judged, module=model)
    return {"codes": judged, "reconstructions": reconstructions}
