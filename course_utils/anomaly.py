"""Anomaly detection with a one-class protocol: scores, baselines, ROC AUC, thresholds.

The protocol of the deep one-class literature (Ruff et al., ICML 2018): a detector is
trained on the images of **one** class (the *normal* class) and scores every test image;
the test images of the other classes are the anomalies. A score is "higher means more
anomalous" everywhere in this module, and an image is *flagged* when its score is above
the threshold.
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
from .validation import (
    image_batch,
    integer,
    non_empty,
    non_negative_int,
    number,
    open_fraction,
    optional,
    positive_int,
    requires,
    same_length,
    satisfies,
    validated,
)

NUM_CLASSES = 10


class OneClassSplit(NamedTuple):
    """The normal class's training and validation images, and the labelled test set."""

    normal_class: int
    # normal images the detector learns from
    train: torch.Tensor
    # held-out normal images, e.g. for choosing a threshold
    validation: torch.Tensor
    # every test image, of all classes
    test: torch.Tensor
    test_labels: torch.Tensor
    # True for the test images of the other classes
    test_is_anomaly: torch.Tensor


def _class_holds(train, normal_class, n_train, n_validation, **_) -> bool:
    return int((train.labels == normal_class).sum()) >= n_train + n_validation


@validated(
    requires(
        _class_holds,
        "n_train + n_validation must be at most the training images of class "
        "{normal_class}, got {n_train} + {n_validation}",
    ),
    normal_class=integer(0, maximum=NUM_CLASSES - 1),
    n_train=positive_int,
    n_validation=non_negative_int,
)
def one_class_split(
    train: ImageSet,
    test: ImageSet,
    normal_class: int,
    n_train: int,
    n_validation: int,
) -> OneClassSplit:
    """The first ``n_train`` images of ``normal_class`` in ``train`` to learn from, the
    next ``n_validation`` held out, and all of ``test`` labelled normal (that class) or
    anomalous.

    Fixed numbers make the split the same size whatever the size of ``train``; a class
    with fewer than ``n_train + n_validation`` images raises ``ValueError``.
    """
    members = torch.nonzero(train.labels == normal_class).flatten()
    needed = n_train + n_validation
    return OneClassSplit(
        normal_class=normal_class,
        train=train.images[members[:n_train]],
        validation=train.images[members[n_train:needed]],
        test=test.images,
        test_labels=test.labels,
        test_is_anomaly=test.labels != normal_class,
    )


@validated(images=image_batch)
def reconstruction_scores(
    model: torch.nn.Module, images: torch.Tensor, batch_size: int = 512
) -> torch.Tensor:
    """Anomaly score of each image: the mean squared error of its reconstruction.

    Runs in eval mode, without gradients, batch by batch; returns a CPU tensor of length
    N.
    """
    reconstructions = apply_in_batches(model, images, batch_size=batch_size)
    return mse_per_image(reconstructions, images.detach().cpu()).float()


def _pixels(images) -> np.ndarray:
    """Images as an N x D float64 array of pixels, the layout scikit-learn expects."""
    array = torch.as_tensor(images).detach().cpu().double().numpy()
    return array.reshape(len(array), -1)


# LAPACK's divide-and-conquer SVD (svd_solver="full") fails to converge on the 5,000
# contrast-normalised 2s of the real MNIST; the eigendecomposition of the 784 x 784
# covariance gives the same components, 5x faster.
PCA_SOLVER = "covariance_eigh"


@validated(n_components=positive_int)
def fit_pca(train_images: torch.Tensor, n_components: int) -> PCA:
    """scikit-learn's PCA fitted to the flattened training images."""
    return PCA(n_components, svd_solver=PCA_SOLVER).fit(_pixels(train_images))


def pca_scores(pca: PCA, images: torch.Tensor) -> torch.Tensor:
    """Mean squared error of each image against its projection on the PCA subspace."""
    pixels = _pixels(images)
    reconstructed = pca.inverse_transform(pca.transform(pixels))
    return mse_per_image(
        torch.from_numpy(reconstructed), torch.from_numpy(pixels)
    ).float()


def contrast_normalise(images) -> np.ndarray:
    """Global contrast normalisation with the L1 norm, the preprocessing of Ruff et al.
    (2018): each image minus its mean pixel, divided by its mean absolute deviation (an
    N x D array).

    A constant image (no contrast) becomes all zeros. Their further min-max scaling to
    [0, 1] uses one pair of numbers for the whole class, which changes neither PCA's
    directions nor an Isolation Forest's ranking, so it is left out.
    """
    pixels = _pixels(images)
    centred = pixels - pixels.mean(axis=1, keepdims=True)
    spread = np.abs(centred).mean(axis=1, keepdims=True)
    return centred / np.where(spread > 0, spread, 1.0)


@validated(n_estimators=positive_int, keep_variance=optional(open_fraction))
def fit_isolation_forest(
    train_images: torch.Tensor,
    n_estimators: int = 100,
    seed: int = 0,
    keep_variance: float | None = None,
):
    """scikit-learn's Isolation Forest fitted to the flattened training images.

    ``keep_variance=None`` fits it on the raw pixels. A fraction such as ``0.95`` runs
    it as Ruff et al. (2018) did: contrast-normalised images
    (:func:`contrast_normalise`), projected on the PCA components that keep that share
    of their variance, fitted on the training images; the result is then a scikit-learn
    pipeline.
    """
    forest = IsolationForest(n_estimators=n_estimators, random_state=seed)
    if keep_variance is None:
        return forest.fit(_pixels(train_images))
    pipeline = make_pipeline(
        FunctionTransformer(contrast_normalise),
        PCA(n_components=keep_variance, svd_solver=PCA_SOLVER),
        forest,
    )
    return pipeline.fit(_pixels(train_images))


def isolation_forest_scores(forest, images: torch.Tensor):
    """Anomaly score of each image: minus ``score_samples`` (higher: odder).

    An Isolation Forest isolates points with random splits; anomalies need fewer of
    them. ``forest`` is what :func:`fit_isolation_forest` returned (a forest or a
    pipeline).
    """
    return torch.from_numpy(-forest.score_samples(_pixels(images))).float()


def _float64(values) -> torch.Tensor:
    """A tensor, array or list as a flat float64 CPU tensor (no float32 detour)."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().ravel()
    return torch.from_numpy(np.asarray(values, dtype=np.float64).ravel())


def _has_both_kinds(is_anomaly) -> bool:
    flags = _float64(is_anomaly).bool()
    return bool(flags.any()) and not bool(flags.all())


# the labels of scored images: both normal (False) and anomalous (True) ones
both_kinds = satisfies(
    _has_both_kinds, "flags of both normal (False) and anomalous (True) images"
)
one_flag_per_score = same_length("scores", "is_anomaly")


def _scores_and_labels(scores, is_anomaly) -> tuple[np.ndarray, np.ndarray]:
    return _float64(scores).numpy(), _float64(is_anomaly).numpy().astype(bool)


@validated(one_flag_per_score, is_anomaly=both_kinds)
def auc(scores, is_anomaly) -> float:
    """Area under the ROC curve (``sklearn.metrics.roc_auc_score``): the chance that a
    random anomaly scores higher than a random normal image (ties count one half)."""
    scores, is_anomaly = _scores_and_labels(scores, is_anomaly)
    return float(roc_auc_score(is_anomaly, scores))


def _has_normal_images(labels, normal_class, **_) -> bool:
    return bool((torch.as_tensor(labels).cpu() == normal_class).any())


@validated(
    same_length("scores", "labels"),
    requires(_has_normal_images, "normal_class {normal_class!r} has no scored images"),
)
def auc_per_class(scores, labels, normal_class: int) -> dict[int, float]:
    """AUC of the normal images against each other class: which anomalies are hard.

    ``labels`` are the class of each scored image; the result maps each class other than
    ``normal_class`` (that has images) to the AUC of normal against that class.
    """
    labels = torch.as_tensor(
        np.asarray(labels.cpu() if torch.is_tensor(labels) else labels)
    )
    scores = _float64(scores)
    normal = labels == normal_class
    result = {}
    for other in sorted(set(labels[~normal].tolist())):
        chosen = normal | (labels == other)
        result[int(other)] = auc(scores[chosen], labels[chosen] == other)
    return result


@validated(one_flag_per_score, is_anomaly=both_kinds)
def roc(scores, is_anomaly) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates of every threshold (sklearn's ``roc_curve``)."""
    scores, is_anomaly = _scores_and_labels(scores, is_anomaly)
    fpr, tpr, _ = roc_curve(is_anomaly, scores)
    return fpr, tpr


@validated(scores=non_empty)
def flag_rate(scores, threshold: float) -> float:
    """Share of the scores above ``threshold``: the false-positive rate when the scores
    are of normal images, the recall (true-positive rate) when they are of anomalies."""
    scores = _float64(scores)
    return float((scores > float(threshold)).double().mean())


@validated(normal_scores=non_empty, target_fpr=number(0, 1, high_open=True))
def threshold_at_fpr(normal_scores, target_fpr: float) -> float:
    """The lowest threshold that flags at most ``target_fpr`` of ``normal_scores``.

    With the n scores sorted, ``v_1 <= ... <= v_n``, and ``m = floor(target_fpr * n)``
    of them allowed above the threshold, this is ``v_(n-m)``: every threshold in
    ``[v_(n-m), v_(n-m+1))`` flags exactly the m highest, and the lowest one catches the
    most anomalies.
    """
    values = _float64(normal_scores).sort().values
    allowed = math.floor(target_fpr * len(values) + 1e-9)
    return float(values[len(values) - allowed - 1])


def _prevalence_weights(is_anomaly: np.ndarray, prevalence: float | None):
    """Sample weights giving the anomalies ``prevalence`` of the total (None: all 1)."""
    if prevalence is None:
        return None
    n_anomalies, n_normal = is_anomaly.sum(), (~is_anomaly).sum()
    return np.where(is_anomaly, prevalence / n_anomalies, (1 - prevalence) / n_normal)


@validated(
    one_flag_per_score, is_anomaly=both_kinds, prevalence=optional(open_fraction)
)
def average_precision(scores, is_anomaly, prevalence: float | None = None) -> float:
    """Average precision (``sklearn.metrics.average_precision_score``): the area under
    the precision-recall curve, with the anomalies counted as positives.

    Unlike the AUC it depends on how common the anomalies are. ``prevalence`` (e.g.
    ``0.01``) reweights the images so that the anomalies make up that share, as in a
    deployment where they are rare: at each threshold the precision becomes ``p * TPR /
    (p * TPR + (1 - p) * FPR)``; ``None`` takes the test set as it is.
    """
    scores, is_anomaly = _scores_and_labels(scores, is_anomaly)
    weights = _prevalence_weights(is_anomaly, prevalence)
    return float(average_precision_score(is_anomaly, scores, sample_weight=weights))


@validated(
    one_flag_per_score, is_anomaly=both_kinds, prevalence=optional(open_fraction)
)
def precision_recall(
    scores, is_anomaly, prevalence: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall of every threshold
    (``sklearn.metrics.precision_recall_curve``), at the anomalies' share in the data or
    at ``prevalence`` (see :func:`average_precision`)."""
    scores, is_anomaly = _scores_and_labels(scores, is_anomaly)
    weights = _prevalence_weights(is_anomaly, prevalence)
    precision, recall, _ = precision_recall_curve(
        is_anomaly, scores, sample_weight=weights
    )
    return precision, recall


@validated(
    requires(
        lambda flagged, total, **_: flagged <= total,
        "flagged must be at most total ({total}), got {flagged}",
    ),
    flagged=non_negative_int,
    total=positive_int,
)
def rate_interval(
    flagged: int, total: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Exact (Clopper-Pearson) confidence interval of a rate measured as ``flagged`` of
    ``total`` (``scipy.stats.binomtest(...).proportion_ci``): how far a false-positive
    rate measured on a finite set of normal images can be from the true one."""
    interval = binomtest(flagged, total).proportion_ci(
        confidence_level=confidence, method="exact"
    )
    return float(interval.low), float(interval.high)


def _smallest_class(labels) -> int:
    return int(
        torch.bincount(torch.as_tensor(labels).flatten(), minlength=NUM_CLASSES).min()
    )


def _every_class_can_give(labels, n_validation, **_) -> bool:
    # at least one training image, and one validation image if any are asked for
    return _smallest_class(labels) >= 1 + (n_validation > 0)


@validated(
    requires(
        _every_class_can_give,
        "n_train + n_validation = {n_train} + {n_validation} cannot be met: the "
        "smallest class has too few images",
    ),
    n_train=positive_int,
    n_validation=non_negative_int,
)
def sizes_that_fit(
    labels: torch.Tensor, n_train: int, n_validation: int
) -> tuple[int, int, str | None]:
    """``(n_train, n_validation, note)`` that every class of ``labels`` can supply.

    When the smallest class holds fewer than ``n_train + n_validation`` images (a small
    stand-in data set, or a request beyond MNIST's 5,421 fives), both counts shrink in
    the same proportion to what that class holds, and ``note`` says so (else it is
    None). A class too small to give at least one image to each raises ``ValueError``
    naming ``n_train``.
    """
    smallest = _smallest_class(labels)
    wanted = n_train + n_validation
    if wanted <= smallest:
        return n_train, n_validation, None
    validation = n_validation * smallest // wanted
    if n_validation and validation == 0:
        validation = 1
    fitted = smallest - validation
    note = (
        f"n_train + n_validation = {n_train:,} + {n_validation:,} is more than the "
        f"smallest class holds ({smallest:,} images): using {fitted:,} + "
        f"{validation:,} for every class"
    )
    return fitted, validation, note
