"""Checks for chapter 8, anomaly detection with reconstruction error."""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from ..anomaly import flag_rate, reconstruction_scores, threshold_at_fpr
from . import expect, expect_tensor, passed

TARGET_FPR = 0.05  # the false-positive rate the exercise asks for


def _as_scores(value, ex: str, name: str) -> torch.Tensor:
    """``value`` (a tensor, NumPy array or list of numbers) as a flat float64 tensor."""
    try:
        scores = (
            value.detach().cpu().double()
            if isinstance(value, torch.Tensor)
            else torch.from_numpy(np.asarray(value, dtype=np.float64))
        )
    except (TypeError, ValueError, RuntimeError):
        scores = None
    expect(
        scores is not None and scores.ndim >= 1,
        ex,
        f"`{name}` should hold one score per validation digit, "
        f"but it is {type(value).__name__}.",
        "compute it with `cu.anomaly.reconstruction_scores(model, split.validation)`.",
    )
    return expect_tensor(scores.reshape(-1), ex, name).double()  # and finite


def _as_number(value, ex: str, name: str, hint: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    elif isinstance(value, (np.ndarray, np.generic)) and value.size == 1:
        value = value.item()
    expect(
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value),
        ex,
        f"`{name}` should be one finite number, but it is {value!r}.",
        hint,
    )
    return float(value)


def _window(normal_scores: torch.Tensor, target: float) -> tuple[float, float]:
    """The thresholds that flag as many normal digits as the target allows: [low, high].

    Above ``low`` up to the next score ``high``, ``score > threshold`` flags the allowed
    number; ``high`` itself flags it with ``score >= threshold``, so both are accepted.
    """
    low = threshold_at_fpr(normal_scores, target)
    above = normal_scores[normal_scores > low]
    return low, float(above.min()) if len(above) else math.inf


def _meets(normal_scores: torch.Tensor, threshold: float, target: float) -> bool:
    low, high = _window(normal_scores, target)
    return low <= threshold <= high


def check_threshold(
    model: torch.nn.Module,
    validation_images: torch.Tensor,
    validation_scores,
    threshold,
    recall,
    test_images: torch.Tensor,
    test_labels,
    normal_class: int,
    target_fpr: float = TARGET_FPR,
) -> None:
    """ex-8.1: a threshold chosen on normal validation digits for a target false-positive rate,
    and the recall it gives on the anomalies of the test set.

    An image is flagged when its score is *above* the threshold. The check recomputes the
    scores from ``model``, the false-positive rate on the validation digits and the recall on
    the test anomalies (the test digits whose label is not ``normal_class``).
    """
    ex = "ex-8.1"
    own_validation = reconstruction_scores(model, validation_images).double()
    scores = _as_scores(validation_scores, ex, "validation_scores")
    test_scores = reconstruction_scores(model, test_images).double()
    same_as_test = len(test_scores) == len(scores) and torch.allclose(
        scores, test_scores, rtol=1e-4, atol=1e-7
    )
    expect(
        not same_as_test,
        ex,
        "`validation_scores` are the scores of the test digits, not of the validation "
        "digits.",
        "score the held-out normal digits, `split.validation`: the test set is kept for "
        "the final measurement.",
    )
    expect(
        len(scores) == len(own_validation),
        ex,
        f"`validation_scores` should hold one score per validation digit "
        f"({len(own_validation)}), but it holds {len(scores)}.",
        "compute it with `cu.anomaly.reconstruction_scores(model, split.validation)`.",
    )
    expect(
        torch.allclose(scores, own_validation, rtol=1e-4, atol=1e-7),
        ex,
        "`validation_scores` are not the reconstruction errors that `model` gives the "
        "validation digits (mean squared error per image)"
        + (
            ": they are 784 times too large, a sum over the pixels rather than a mean."
            if torch.allclose(scores, 784 * own_validation, rtol=1e-4)
            else "."
        ),
        "compute them with `cu.anomaly.reconstruction_scores(model, split.validation)` "
        "after training, with this model and these images.",
    )
    threshold = _as_number(
        threshold,
        ex,
        "threshold",
        "a threshold is a single score value, e.g. `float(torch.quantile(scores, 0.95))`.",
    )
    labels = (
        test_labels.cpu()
        if isinstance(test_labels, torch.Tensor)
        else torch.as_tensor(np.asarray(test_labels))
    ).ravel()
    is_anomaly = labels != normal_class
    fpr = flag_rate(own_validation, threshold)
    low, high = _window(own_validation, target_fpr)
    test_normal = test_scores[~is_anomaly]
    on_test = _meets(test_normal, threshold, target_fpr) or _meets(
        test_scores, threshold, target_fpr
    )
    where = (
        " It looks chosen on the test digits: the test set must not decide the threshold, "
        "or the recall you report is measured on data that tuned the detector."
        if on_test
        else ""
    )
    expect(
        fpr <= target_fpr + 1e-12,
        ex,
        f"your threshold {threshold:.4g} flags {fpr:.1%} of the normal validation digits, "
        f"more than the target false-positive rate of {target_fpr:.0%}.{where}",
        "flagged means score > threshold, so the threshold sits high among the normal "
        f"validation scores: at their {1 - target_fpr:.0%} quantile "
        "(e.g. `torch.quantile(validation_scores, 0.95)`), not the 5% one.",
    )
    expect(
        threshold <= high,
        ex,
        f"your threshold {threshold:.4g} flags only {fpr:.1%} of the normal validation "
        f"digits: a lower one (down to {low:.4g}) still keeps the false-positive rate at "
        f"most {target_fpr:.0%} and catches more anomalies.{where}",
        "take the threshold from the validation scores, at their "
        f"{1 - target_fpr:.0%} quantile.",
    )
    recall = _as_number(
        recall, ex, "recall", "recall is the share of test anomalies that are flagged."
    )
    expected = flag_rate(test_scores[is_anomaly], threshold)
    mistakes = {
        "the share of anomalies *not* flagged (score below the threshold); flagged "
        "means score > threshold": 1 - expected,
        "a percentage; report a fraction between 0 and 1": 100 * expected,
        "the share of all test digits flagged, normal ones included": flag_rate(
            test_scores, threshold
        ),
        "the false-positive rate on the normal test digits": flag_rate(
            test_normal, threshold
        ),
        "the false-positive rate on the validation digits": fpr,
    }
    tolerance = 0.5 / int(is_anomaly.sum())
    guess = next(
        (
            what
            for what, value in mistakes.items()
            if abs(recall - value) < tolerance and abs(expected - value) >= tolerance
        ),
        None,
    )
    expect(
        abs(recall - expected) < tolerance,
        ex,
        f"`recall` is {recall:.4g}, but your threshold flags {expected:.1%} of the "
        f"{int(is_anomaly.sum())} test anomalies"
        + (f"; {recall:.4g} is {guess}." if guess else "."),
        "recall = (number of test anomalies with score > threshold) / (number of test "
        "anomalies); the anomalies are the test digits whose label is not the normal class.",
    )
    passed(
        ex,
        f"threshold {threshold:.4g} flags {fpr:.1%} of {len(own_validation)} normal "
        f"validation digits (target {target_fpr:.0%}) and catches {expected:.1%} of "
        f"{int(is_anomaly.sum())} test anomalies.",
    )
