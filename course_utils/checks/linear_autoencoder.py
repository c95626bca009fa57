"""Checks for chapter 1, the linear autoencoder.

ex-1.1 hands over the model's codes, its reconstructions through them and its forward
pass for test digits the judge draws. The judge measures them: the reconstruction error
must close a good part of the gap between drawing the average digit (what an untrained
or barely trained model does, or worse) and PCA's 2-D reconstruction of the same digits
(the best a linear 2-D projection can do), the forward pass must be that reconstruction,
and the codes must tell the digits apart clearly better than chance.
"""

from __future__ import annotations

import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from ..metrics import mse
from ..training import apply_in_batches
from . import expect, expect_tensor
from .protocol import check

CHANCE = 0.1  # ten digit classes
JUDGED_IMAGES = 500  # test digits the judge draws for ex-1.1
# Share of the way from the average digit's MSE to PCA's 2-D MSE that the model must
# cover. Trained as the task says, the model covers 0.6-0.8 at the tiny scale, about
# 0.33 at the book's and 0.09 at the full scale on a 2,000-digit stand-in (fewer steps);
# an untrained model, one stopped after a few epochs or one trained with fit's default
# learning rate at the tiny scale covers less than nothing. The bar sits above every
# degenerate answer.
GAP_CLOSED = 0.05
# The codes' 5-NN accuracy must cover this share of the way from chance to PCA's codes'.
KNN_SHARE = 0.4
# Reconstructions decoded from a 2-D code change little between neighbouring codes:
# their difference is a small share of the images' (trained models: under 0.01; images
# scaled and handed back as "reconstructions", whatever the codes: about 1).
NEIGHBOUR_SHARE = 0.25


def neighbour_share(codes: torch.Tensor, reconstructions, images) -> float:
    """How much reconstructions differ between each code and its nearest neighbour, as a
    share of how much the images differ: near 0 when they are decoded from the codes."""
    distances = torch.cdist(codes.double(), codes.double())
    distances.fill_diagonal_(float("inf"))
    nearest = distances.argmin(dim=1)
    rebuilt = (reconstructions - reconstructions[nearest]).pow(2).sum()
    return float(rebuilt / (images - images[nearest]).pow(2).sum().clamp_min(1e-12))


def knn_accuracy(codes: torch.Tensor, labels: torch.Tensor, folds: int = 3) -> float:
    """Cross-validated accuracy of a 5-nearest-neighbour classifier on the codes: how
    well they separate the classes."""
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


def pca_2d(images: torch.Tensor) -> tuple[torch.Tensor, float]:
    """PCA's 2-D codes of ``images``, fitted on these very images, and its
    reconstruction MSE: the best any 2-D linear projection (with an affine decoder)
    reconstructs them."""
    flat = images.flatten(start_dim=1).double().numpy()
    pca = PCA(n_components=2, random_state=0).fit(flat)
    codes = pca.transform(flat)
    rebuilt = torch.from_numpy(pca.inverse_transform(codes)).float()
    return torch.from_numpy(codes).float(), mse(rebuilt, images.flatten(start_dim=1))


def judge_latent_2d(answer, inputs) -> str:
    ex = "ex-1.1"
    images, labels = inputs["images"], inputs["labels"]
    codes = expect_tensor(answer.get("codes"), ex, "codes", shape=(len(images), 2))
    reconstructions = expect_tensor(
        answer.get("reconstructions"), ex, "reconstructions", shape=tuple(images.shape)
    )
    outputs = expect_tensor(
        answer.get("outputs"), ex, "model_2d(images)", shape=tuple(images.shape)
    )
    expect(
        torch.allclose(outputs, reconstructions, atol=1e-4),
        ex,
        "`model_2d(images)` is not `model_2d.decode(model_2d.encode(images))`: the "
        "forward pass does not go through the 2-D code.",
        "use `cu.models.linear.LinearAutoencoder(bottleneck=2)` as it is; its "
        "`forward` encodes, then decodes.",
    )
    share = neighbour_share(codes, reconstructions, images)
    expect(
        share < NEIGHBOUR_SHARE,
        ex,
        "the reconstructions are not decoded from the codes: digits with almost the "
        f"same 2-D code get reconstructions that differ {share:.0%} as much as the "
        "digits do.",
        "hand in the model itself: `model_2d.decode(model_2d.encode(images))` is what "
        "the check computes.",
    )
    reconstruction_mse = mse(reconstructions, images)
    mean_image_mse = float(images.var(dim=0, unbiased=False).mean())
    pca_codes, pca_mse = pca_2d(images)
    closed = (mean_image_mse - reconstruction_mse) / (mean_image_mse - pca_mse)
    expect(
        closed >= GAP_CLOSED,
        ex,
        "decoding the 2-D codes gives a reconstruction MSE of "
        f"{reconstruction_mse:.4f}. Drawing the average digit for every image gives "
        f"{mean_image_mse:.4f}, and PCA's 2-D reconstruction of the same digits "
        f"{pca_mse:.4f}; your model covers {closed:.0%} of the way from the first to "
        f"the second, less than the {GAP_CLOSED:.0%} a model trained as the task says "
        "covers.",
        "train `model_2d` with `cu.training.fit` on `train.images` before encoding, "
        "for `EPOCHS_2D` epochs and with `lr=LR` (at the tiny scale `LR` is not fit's "
        "default learning rate).",
    )
    accuracy = knn_accuracy(codes, labels)
    pca_accuracy = knn_accuracy(pca_codes, labels)
    bar = CHANCE + KNN_SHARE * (pca_accuracy - CHANCE)
    expect(
        accuracy > bar,
        ex,
        f"a nearest-neighbour classifier on your codes is right {accuracy:.0%} of the "
        f"time: guessing is right {CHANCE:.0%} of the time, PCA's 2-D codes "
        f"{pca_accuracy:.0%}, and the bar is {bar:.0%}.",
        "the codes should come from the trained encoder, `model_2d.encode`.",
    )
    return (
        f"codes of shape {tuple(codes.shape)}; reconstruction MSE "
        f"{reconstruction_mse:.4f}, {closed:.0%} of the way from the average digit "
        f"({mean_image_mse:.4f}) to PCA ({pca_mse:.4f}); digits told apart by 5-NN "
        f"{accuracy:.0%} of the time (PCA: {pca_accuracy:.0%})."
    )


# The labels stay with the judge: codes arranged by label cannot be handed in.
@check(
    "ex-1.1", judge=judge_latent_2d, draw_inputs=draw_test_digits, private=("labels",)
)
def check_latent_2d(model, codes, images, labels, *, inputs):
    """ex-1.1: ``codes`` are the trained 2-D encoder's codes of ``images``; hands over
    the model's codes, its reconstructions through them and its outputs for the judge's
    digits."""
    ex = "ex-1.1"
    codes = expect_tensor(codes, ex, "codes_2d", shape=(len(images), 2))
    expect(
        hasattr(model, "encode") and hasattr(model, "decode"),
        ex,
        "`model_2d` should be the autoencoder you trained (it has no `encode` or "
        "`decode`).",
        "create it with `LinearAutoencoder(bottleneck=2)` and train it with `fit`.",
    )
    own_codes = apply_in_batches(model.encode, images, module=model)
    expect(
        own_codes.shape == codes.shape
        and torch.allclose(own_codes, codes, atol=1e-4, rtol=1e-3),
        ex,
        "`codes_2d` are not the codes that `model_2d.encode` gives for the test "
        "images.",
        "compute them with `apply_in_batches(model_2d.encode, test.images, "
        "module=model_2d)` after training.",
    )
    judged = apply_in_batches(model.encode, inputs["images"], module=model)
    reconstructions = apply_in_batches(model.decode, judged, module=model)
    outputs = apply_in_batches(model, inputs["images"])
    return {"codes": judged, "reconstructions": reconstructions, "outputs": outputs}
