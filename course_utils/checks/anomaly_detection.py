"""Checks for chapter 8, anomaly detection with reconstruction error.

ex-8.1 hands over the model's reconstruction errors (its scores) of the split's training
and validation digits, of the notebook's test set, and of test digits the judge draws,
with the threshold and recall the notebook chose. The judge recounts everything from
those scores: how many validation digits the threshold flags (exactly as many as 5 %
allows, with "flagged" meaning score > threshold), the recall, whether the detector
tells anomalies from normal digits at all, and whether the validation digits look
unseen, like the judge's fresh normal test digits, rather than seen, like the training
digits (a model retrained on them scores them low).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from ..anomaly import flag_rate, reconstruction_scores
from . import expect, expect_tensor
from .protocol import check

TARGET_PERCENT = 5  # the false-positive rate the exercise asks for, in percent
JUDGED_DIGITS = 1_000  # test digits the judge draws (all of them offline)
MIN_AUC = 0.6  # a detector that has learnt anything ranks anomalies above normal digits
# Validation digits count as seen when fresh normal digits outscore them this clearly
# (three standard errors of the AUC above chance) and at least half as clearly as the
# training digits.
SEEN_Z = 3.0


def allowed_flags(n: int) -> int:
    """How many of ``n`` normal validation digits a 5 % false-positive rate allows."""
    return n * TARGET_PERCENT // 100


def lowest_threshold(validation_scores: torch.Tensor) -> float:
    """The lowest threshold that flags at most 5 % of the scores (flagged: score >
    threshold)."""
    ordered = validation_scores.double().sort().values
    return float(ordered[len(ordered) - allowed_flags(len(ordered)) - 1])


def draw_test_digits(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Test digits of every class, drawn at random with ``generator``."""
    from ..data import load_mnist

    test = load_mnist("test")
    chosen = torch.randperm(len(test.images), generator=generator)[:JUDGED_DIGITS]
    return {"images": test.images[chosen], "labels": test.labels[chosen]}


def _auc(higher, lower) -> float:
    """The chance that a score of ``higher`` exceeds one of ``lower`` (ties: one
    half)."""
    labels = np.r_[np.ones(len(higher)), np.zeros(len(lower))]
    return float(roc_auc_score(labels, np.r_[higher.numpy(), lower.numpy()]))


def _as_number(value, ex: str, name: str, hint: str) -> torch.Tensor:
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
    return torch.tensor(float(value), dtype=torch.float64)


def _as_scores(value, ex: str) -> torch.Tensor:
    try:
        scores = torch.as_tensor(
            value.detach().cpu()
            if isinstance(value, torch.Tensor)
            else np.asarray(value)
        ).double()
    except (TypeError, ValueError, RuntimeError):
        scores = None
    expect(
        scores is not None and scores.ndim >= 1,
        ex,
        "`validation_scores` should hold one score per validation digit, but it is "
        f"{type(value).__name__}.",
        "compute it with `cu.anomaly.reconstruction_scores(model, split.validation)`.",
    )
    return scores.reshape(-1)


def judge_threshold(answer, inputs) -> str:
    ex = "ex-8.1"
    validation = expect_tensor(
        answer.get("validation"), ex, "validation scores"
    ).double()
    given = expect_tensor(answer.get("given_validation"), ex, "validation_scores")
    given = given.double()
    train = expect_tensor(answer.get("train"), ex, "training scores").double()
    test = expect_tensor(answer.get("test"), ex, "test scores").double()
    test_anomaly = answer["test_is_anomaly"].bool()
    judged = expect_tensor(answer.get("judged"), ex, "scores").double()
    normal_class = int(answer["normal_class"])
    threshold = float(answer["threshold"])
    recall = float(answer["recall"])
    n = len(validation)

    same_as_test = len(given) == len(test) and torch.allclose(given, test, rtol=1e-4)
    expect(
        not same_as_test,
        ex,
        "`validation_scores` are the scores of the test digits, not of the validation "
        "digits.",
        "score the held-out normal digits, `split.validation`: the test set is kept "
        "for the final measurement.",
    )
    matches = len(given) == n and torch.allclose(
        given, validation, rtol=1e-4, atol=1e-7
    )
    expect(
        matches,
        ex,
        f"`validation_scores` ({len(given)} numbers) are not the reconstruction errors "
        f"that `model` gives the {n} validation digits (mean squared error per image)"
        + (
            ": they are 784 times too large, a sum over the pixels rather than a mean."
            if len(given) == n and torch.allclose(given, 784 * validation, rtol=1e-4)
            else "."
        ),
        "compute them with `cu.anomaly.reconstruction_scores(model, split.validation)` "
        "after training, with this model and these images.",
    )
    # a detector at all: anomalies outrank fresh normal digits (the judge's own test
    # digits)
    labels = inputs["labels"]
    fresh, anomalies = judged[labels == normal_class], judged[labels != normal_class]
    auc = _auc(anomalies, fresh)
    expect(
        auc > MIN_AUC,
        ex,
        "the model's reconstruction errors rank the check's test anomalies above its "
        f"normal test digits only {auc:.0%} of the time (chance: 50%): it is no "
        "detector.",
        "train the autoencoder on the normal training digits, `split.train`, as the "
        "chapter does (an untrained model or the identity map gives no useful score).",
    )
    # the validation digits must be unseen: fresh normal digits should not outscore them
    # much more than chance, as they outscore the training digits
    over_validation, over_train = _auc(fresh, validation), _auc(fresh, train)
    standard_error = math.sqrt((len(fresh) + n + 1) / (12 * len(fresh) * n))
    seen = over_validation > 0.5 + SEEN_Z * standard_error and (
        over_validation - 0.5 > 0.5 * (over_train - 0.5)
    )
    expect(
        not seen,
        ex,
        "the model reconstructs the validation digits as if it had learnt from them: "
        f"fresh normal digits score above them {over_validation:.0%} of the time "
        f"(unseen digits: about 50%; the training digits: {over_train:.0%}).",
        "train on `split.train` only; the validation digits must stay unseen, or a "
        "threshold chosen on them flags more new normal digits than 5%.",
    )
    allowed = allowed_flags(n)
    lowest = lowest_threshold(validation)
    wanted = int((validation > lowest).sum())  # `allowed`, fewer only if scores tie
    flagged = int((validation > threshold).sum())
    on_test = (
        any(
            int((scores > threshold).sum())
            == int((scores > lowest_threshold(scores)).sum())
            for scores in (test, test[~test_anomaly])
        )
        and abs(threshold - lowest) > 1e-12
    )
    where = (
        " It looks chosen on the test digits: the test set must not decide the "
        "threshold."
        if on_test
        else ""
    )
    expect(
        flagged <= wanted,
        ex,
        f"your threshold {threshold:.4g} flags {flagged} of the {n} normal validation "
        f"digits ({flagged / n:.1%}), more than the {allowed} ({TARGET_PERCENT}%) "
        f"allowed.{where}",
        "flagged means score > threshold: sort `validation_scores` and take the score "
        f"with exactly {allowed} scores above it (`sorted[n - {allowed} - 1]`, "
        "counting from 0), not the 5 % quantile from the bottom.",
    )
    expect(
        flagged == wanted,
        ex,
        f"your threshold {threshold:.4g} flags only {flagged} of the {n} normal "
        f"validation digits ({flagged / n:.1%}): the lowest threshold with at most "
        f"{TARGET_PERCENT}% flagged is {lowest:.4g}, which flags {wanted} and catches "
        f"more anomalies.{where}",
        "flagged means score > threshold (strictly): the threshold is the score with "
        f"exactly {allowed} scores above it, not the lowest of those {allowed}.",
    )
    expected = flag_rate(test[test_anomaly], threshold)
    anomalies_in_test = int(test_anomaly.sum())
    mistakes = {
        "the share of anomalies *not* flagged": 1 - expected,
        "a percentage; report a fraction between 0 and 1": 100 * expected,
        "the share of all test digits flagged, normal ones included": flag_rate(
            test, threshold
        ),
        "the false-positive rate on the normal test digits": flag_rate(
            test[~test_anomaly], threshold
        ),
        "the false-positive rate on the validation digits": flagged / n,
    }
    guess = next(
        (
            what
            for what, value in mistakes.items()
            if abs(recall - value) < 1e-6 and abs(expected - value) >= 1e-6
        ),
        None,
    )
    expect(
        abs(recall - expected) < 1e-6,
        ex,
        f"`recall` is {recall:.6g}, but your threshold flags "
        f"{round(expected * anomalies_in_test)} of the {anomalies_in_test} test "
        "anomalies, "
        f"{expected:.6g}" + (f"; {recall:.4g} is {guess}." if guess else "."),
        "recall = (number of test anomalies with score > threshold) / (number of test "
        "anomalies), as a fraction, not rounded; the anomalies are "
        "`split.test_is_anomaly`.",
    )
    own_recall = flag_rate(anomalies, threshold)
    fresh_rate = flag_rate(fresh, threshold)
    return (
        f"threshold {threshold:.4g} flags {flagged} of {n} validation digits "
        f"({flagged / n:.0%}, the most {TARGET_PERCENT}% allows); on the check's own "
        f"test digits it flags {fresh_rate:.0%} of {len(fresh)} fresh normal digits "
        f"and catches {own_recall:.0%} of {len(anomalies)} anomalies (AUC {auc:.2f}); "
        f"your recall {recall:.4f} recounted."
    )


@check("ex-8.1", judge=judge_threshold, draw_inputs=draw_test_digits)
def check_threshold(model, split, validation_scores, threshold, recall, *, inputs):
    """ex-8.1: ``threshold``, chosen on the scores of the normal validation digits of
    ``split`` for a 5 % false-positive rate, and the ``recall`` it gives on the test
    anomalies. Hands over the model's scores of the split's digits and of the judge's
    test digits."""
    ex = "ex-8.1"
    expect(
        isinstance(model, torch.nn.Module),
        ex,
        f"`model` should be the trained autoencoder, but it is {type(model).__name__}.",
        "pass the detector `model` that the chapter trained.",
    )
    for name in ("train", "validation", "test", "test_is_anomaly", "normal_class"):
        expect(
            hasattr(split, name),
            ex,
            f"`split` has no `{name}`: it should be the chapter's one-class split.",
            "pass `split`, from `cu.anomaly.one_class_split`.",
        )
    threshold = _as_number(
        threshold, ex, "threshold", "a threshold is one score value, e.g. `float(...)`."
    )
    recall = _as_number(
        recall, ex, "recall", "recall is the share of test anomalies that are flagged."
    )
    return {
        "train": reconstruction_scores(model, split.train),
        "validation": reconstruction_scores(model, split.validation),
        "given_validation": _as_scores(validation_scores, ex).float(),
        "test": reconstruction_scores(model, split.test),
        "test_is_anomaly": torch.as_tensor(split.test_is_anomaly).bool(),
        "judged": reconstruction_scores(model, inputs["images"]),
        "normal_class": torch.tensor(int(split.normal_class)),
        "threshold": threshold,
        "recall": recall,
    }
