"""Anomaly detection with a one-class protocol: scores, baselines, ROC AUC and thresholds.

The protocol of the deep one-class literature (Ruff et al., ICML 2018): a detector is trained
on the images of **one** class (the *normal* class) and scores every test image; the test
images of the other classes are the anomalies. A score is "higher means more anomalous"
everywhere in this module, and an image is *flagged* when its score is above the threshold.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from scipy.stats import binomtest
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from .data import ImageSet
from .metrics import mse_per_image
from .training import apply_in_batches
from .validation import check_int

NUM_CLASSES = 10


class OneClassSplit(NamedTuple):
    """Training and validation images of the normal class, and the whole labelled test set."""

    normal_class: int
    train: torch.Tensor  # normal images the detector learns from
    validation: torch.Tensor  # held-out normal images, e.g. for choosing a threshold
    test: torch.Tensor  # every test image, of all classes
    test_labels: torch.Tensor
    test_is_anomaly: torch.Tensor  # True for the test images of the other classes


def one_class_split(
    train: ImageSet,
    test: ImageSet,
    normal_class: int,
    n_train: int,
    n_validation: int,
) -> OneClassSplit:
    """The first ``n_train`` images of ``normal_class`` in ``train`` to learn from, the next
    ``n_validation`` held out, and all of ``test`` labelled normal (that class) or anomalous.

    Fixed numbers make the split the same size whatever the size of ``train``; a class with
    fewer than ``n_train + n_validation`` images raises ``ValueError``.
    """
    if (
        not isinstance(normal_class, int)
        or isinstance(normal_class, bool)
        or not 0 <= normal_class < NUM_CLASSES
    ):
        raise ValueError(
            f"normal_class must be an integer from 0 to {NUM_CLASSES - 1}, "
            f"got {normal_class!r}"
        )
    check_int("n_train", n_train)
    check_int("n_validation", n_validation, minimum=0)
    members = torch.nonzero(train.labels == normal_class).flatten()
    needed = n_train + n_validation
    if len(members) < needed:
        raise ValueError(
            f"n_train + n_validation must be at most the {len(members)} training images "
            f"of class {normal_class}, got {n_train} + {n_validation} = {needed}"
        )
    return OneClassSplit(
        normal_class=normal_class,
        train=train.images[members[:n_train]],
        validation=train.images[members[n_train:needed]],
        test=test.images,
        test_labels=test.labels,
        test_is_anomaly=test.labels != normal_class,
    )


def reconstruction_scores(
    model: torch.nn.Module, images: torch.Tensor, batch_size: int = 512
) -> torch.Tensor:
    """Anomaly score of each image: the mean squared error of the model's reconstruction.

    Runs in eval mode, without gradients, batch by batch; returns a CPU tensor of length N.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise ValueError(
            "images must be a tensor N x C x H x W, got "
            f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)}"
        )
    reconstructions = apply_in_batches(model, images, batch_size=batch_size)
    return mse_per_image(reconstructions, images.detach().cpu()).float()


def _pixels(images) -> np.ndarray:
    """Images as an N x D float64 array of pixels, the layout scikit-learn expects."""
    array = torch.as_tensor(images).detach().cpu().double().numpy()
    return array.reshape(len(array), -1)


def fit_pca(train_images: torch.Tensor, n_components: int) -> PCA:
    """scikit-learn's PCA fitted to the flattened training images."""
    check_int("n_components", n_components)
    return PCA(n_components=n_components, svd_solver="full").fit(_pixels(train_images))


def pca_scores(pca: PCA, images: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each image against its projection on the PCA subspace."""
    pixels = _pixels(images)
    reconstructed = pca.inverse_transform(pca.transform(pixels))
    return mse_per_image(
        torch.from_numpy(reconstructed), torch.from_numpy(pixels)
    ).float()


def contrast_normalise(images) -> np.ndarray:
    """Global contrast normalisation with the L1 norm, the preprocessing of Ruff et al. (2018):
    each image minus its mean pixel, divided by its mean absolute deviation (N x D array).

    A constant image (no contrast) becomes all zeros. Their further min-max scaling to [0, 1]
    uses one pair of numbers for the whole class, which changes neither PCA's directions nor
    an Isolation Forest's ranking, so it is left out.
    """
    pixels = _pixels(images)
    centred = pixels - pixels.mean(axis=1, keepdims=True)
    spread = np.abs(centred).mean(axis=1, keepdims=True)
    return centred / np.where(spread > 0, spread, 1.0)


def fit_isolation_forest(
    train_images: torch.Tensor,
    n_estimators: int = 100,
    seed: int = 0,
    keep_variance: float | None = None,
):
    """scikit-learn's Isolation Forest fitted to the flattened training images.

    ``keep_variance=None`` fits it on the raw pixels. A fraction such as ``0.95`` runs it as
    Ruff et al. (2018) did: contrast-normalised images (:func:`contrast_normalise`), projected
    on the PCA components that keep that share of their variance, fitted on the training
    images; the result is then a scikit-learn pipeline.
    """
    check_int("n_estimators", n_estimators)
    forest = IsolationForest(n_estimators=n_estimators, random_state=seed)
    if keep_variance is None:
        return forest.fit(_pixels(train_images))
    if not (isinstance(keep_variance, float) and 0 < keep_variance < 1):
        raise ValueError(
            f"keep_variance must be a fraction in (0, 1) or None, got {keep_variance!r}"
        )
    pipeline = make_pipeline(
        FunctionTransformer(contrast_normalise),
        PCA(n_components=keep_variance, svd_solver="full"),
        forest,
    )
    return pipeline.fit(_pixels(train_images))


def isolation_forest_scores(forest, images: torch.Tensor):
    """Anomaly score of each image: minus the forest's ``score_samples`` (higher: odder).

    An Isolation Forest isolates points with random splits; anomalies need fewer of them.
    ``forest`` is what :func:`fit_isolation_forest` returned (a forest or a pipeline).
    """
    return torch.from_numpy(-forest.score_samples(_pixels(images))).float()


def _float64(values) -> torch.Tensor:
    """A tensor, array or list as a flat float64 CPU tensor (lists without a float32 detour)."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().ravel()
    return torch.from_numpy(np.asarray(values, dtype=np.float64).ravel())


def _scores_and_labels(scores, is_anomaly) -> tuple[np.ndarray, np.ndarray]:
    scores = _float64(scores).numpy()
    is_anomaly = _float64(is_anomaly).numpy().astype(bool)
    if len(scores) != len(is_anomaly):
        raise ValueError(
            f"is_anomaly must have one entry per score ({len(scores)}), "
            f"got {len(is_anomaly)}"
        )
    if is_anomaly.all() or not is_anomaly.any():
        raise ValueError("is_anomaly must contain both normal and anomalous images")
    return scores, is_anomaly


def auc(scores, is_anomaly) -> float:
    """Area under the ROC curve (``sklearn.metrics.roc_auc_score``): the chance that a random
    anomaly scores higher than a random normal image (ties count one half)."""
    scores, is_anomaly = _scores_and_labels(scores, is_anomaly)
    return float(roc_auc_score(is_anomaly, scores))


def auc_per_class(scores, labels, normal_class: int) -> dict[int, float]:
    """AUC of the normal images against each other class on its own: which anomalies are hard.

    ``labels`` are the class of each scored image; the result maps each class other than
    ``normal_class`` (that has images) to the AUC of normal against that class.
    """
    labels = torch.as_tensor(
        np.asarray(labels.cpu() if torch.is_tensor(labels) else labels)
    )
    scores = _float64(scores)
    if len(scores) != len(labels):
        raise ValueError(
            f"labels must have one entry per score ({len(scores)}), got {len(labels)}"
        )
    normal = labels == normal_class
    if not normal.any():
        raise ValueError(f"normal_class {normal_class!r} has no scored images")
    result = {}
    for other in sorted(set(labels[~normal].tolist())):
        chosen = normal | (labels == other)
        result[int(other)] = auc(scores[chosen], labels[chosen] == other)
    return result


def roc(scores, is_anomaly) -> tuple[np.ndarray, np.ndarray]:
    """False-positive and true-positive rates of every threshold (``sklearn.metrics.roc_curve``)."""
    scores, is_anomaly = _scores_and_labels(scores, is_anomaly)
    fpr, tpr, _ = roc_curve(is_anomaly, scores)
    return fpr, tpr


def flag_rate(scores, threshold: float) -> float:
    """Share of the scores above ``threshold``: the false-positive rate when the scores are of
    normal images, the recall (true-positive rate) when they are of anomalies."""
    scores = _float64(scores)
    if len(scores) == 0:
        raise ValueError("scores must not be empty")
    return float((scores > float(threshold)).double().mean())


def threshold_at_fpr(normal_scores, target_fpr: float) -> float:
    """The lowest threshold that flags at most ``target_fpr`` of ``normal_scores``.

    With the n scores sorted, ``v_1 <= ... <= v_n``, and ``m = floor(target_fpr * n)`` of them
    allowed above the threshold, this is ``v_(n-m)``: every threshold in ``[v_(n-m), v_(n-m+1))``
    flags exactly the m highest, and the lowest one catches the most anomalies.
    """
    if not 0 <= target_fpr < 1:
        raise ValueError(f"target_fpr must be in [0, 1), got {target_fpr!r}")
    values = _float64(normal_scores).sort().values
    if len(values) == 0:
        raise ValueError("normal_scores must not be empty")
    allowed = math.floor(target_fpr * len(values) + 1e-9)
    return float(values[len(values) - allowed - 1])


def _prevalence_weights(is_anomaly: np.ndarray, prevalence: float | None):
    """Sample weights that make the anomalies ``prevalence`` of the total weight (None: 1s)."""
    if prevalence is None:
        return None
    if not (isinstance(prevalence, float) and 0 < prevalence < 1):
        raise ValueError(f"prevalence must be a fraction in (0, 1), got {prevalence!r}")
    n_anomalies, n_normal = is_anomaly.sum(), (~is_anomaly).sum()
    return np.where(is_anomaly, prevalence / n_anomalies, (1 - prevalence) / n_normal)


def average_precision(scores, is_anomaly, prevalence: float | None = None) -> float:
    """Average precision (``sklearn.metrics.average_precision_score``): the area under the
    precision-recall curve, with the anomalies counted as positives.

    Unlike the AUC it depends on how common the anomalies are. ``prevalence`` (e.g. ``0.01``)
    reweights the images so that the anomalies make up that share, as in a deployment where
    they are rare: at each threshold the precision becomes
    ``p * TPR / (p * TPR + (1 - p) * FPR)``; ``None`` takes the test set as it is.
    """
    scores, is_anomaly = _scores_and_labels(scores, is_anomaly)
    weights = _prevalence_weights(is_anomaly, prevalence)
    return float(average_precision_score(is_anomaly, scores, sample_weight=weights))


def precision_recall(
    scores, is_anomaly, prevalence: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall of every threshold (``sklearn.metrics.precision_recall_curve``),
    at the anomalies' share in the data or at ``prevalence`` (see :func:`average_precision`)."""
    scores, is_anomaly = _scores_and_labels(scores, is_anomaly)
    weights = _prevalence_weights(is_anomaly, prevalence)
    precision, recall, _ = precision_recall_curve(
        is_anomaly, scores, sample_weight=weights
    )
    return precision, recall


def rate_interval(
    flagged: int, total: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Exact (Clopper-Pearson) confidence interval of a rate measured as ``flagged`` of
    ``total`` (``scipy.stats.binomtest(...).proportion_ci``): how far a false-positive rate
    measured on a finite set of normal images can be from the true one."""
    check_int("total", total)
    check_int("flagged", flagged, minimum=0)
    if flagged > total:
        raise ValueError(f"flagged must be at most total ({total}), got {flagged}")
    interval = binomtest(flagged, total).proportion_ci(
        confidence_level=confidence, method="exact"
    )
    return float(interval.low), float(interval.high)


def sizes_that_fit(
    labels: torch.Tensor, n_train: int, n_validation: int
) -> tuple[int, int, str | None]:
    """``(n_train, n_validation, note)`` that every class of ``labels`` can supply.

    When the smallest class holds fewer than ``n_train + n_validation`` images (a small
    stand-in data set, or a request beyond MNIST's 5,421 fives), both counts shrink in the
    same proportion to what that class holds, and ``note`` says so (else it is None). A
    class too small to give at least one image to each raises ``ValueError`` naming
    ``n_train``.
    """
    check_int("n_train", n_train)
    check_int("n_validation", n_validation, minimum=0)
    counts = torch.bincount(torch.as_tensor(labels).flatten(), minlength=NUM_CLASSES)
    smallest = int(counts.min())
    wanted = n_train + n_validation
    if wanted <= smallest:
        return n_train, n_validation, None
    validation = n_validation * smallest // wanted
    if n_validation and validation == 0:
        validation = 1
    fitted = smallest - validation
    if fitted < 1:
        raise ValueError(
            f"n_train + n_validation = {n_train} + {n_validation} cannot be met: the "
            f"smallest class has {smallest} images"
        )
    note = (
        f"n_train + n_validation = {n_train:,} + {n_validation:,} is more than the "
        f"smallest class holds ({smallest:,} images): using {fitted:,} + {validation:,} "
        "for every class"
    )
    return fitted, validation, note
