"""The ex-8.1 check passes thresholds chosen on validation digits however they are computed,
and fails, with a hint, thresholds chosen on the test set, thresholds that miss the target
rate, recalls measured on the wrong set or with the wrong sign, and scores not from the model."""

import numpy as np
import pytest
import torch

from course_utils.anomaly import (
    fit_pca,
    flag_rate,
    pca_scores,
    reconstruction_scores,
)
from course_utils.checks import CheckFailed
from course_utils.checks.anomaly_detection import check_threshold
from course_utils.models.conv import ConvAutoencoder

NORMAL = 3


@pytest.fixture(scope="module")
def setting():
    """A small (untrained, fixed) model, 100 validation and 200 test images of 10 labels."""
    torch.manual_seed(0)
    model = ConvAutoencoder(latent=4, channels=(4, 8)).eval()
    generator = torch.Generator().manual_seed(1)
    labels = torch.arange(200) % 10
    # grey images with noise of a random amplitude; the anomalies' is larger on average
    amplitude = torch.rand(300, generator=generator)
    anomalies = torch.cat([torch.zeros(100, dtype=torch.bool), labels != NORMAL])
    amplitude[anomalies] = 0.6 + 0.4 * amplitude[anomalies]
    noise = torch.rand(300, 1, 28, 28, generator=generator) - 0.5
    images = 0.5 + amplitude[:, None, None, None] * noise
    return model, images[:100], images[100:], labels


def scores_of(model, images):
    """Per-image mean squared error, written out by hand."""
    with torch.no_grad():
        return ((model(images) - images) ** 2).mean(dim=(1, 2, 3))


def solution(model, validation, test, labels):
    """The notebook's way: torch, the 95 % quantile of the validation scores."""
    validation_scores = reconstruction_scores(model, validation)
    threshold = float(torch.quantile(validation_scores, 0.95))
    test_scores = reconstruction_scores(model, test)
    recall = float((test_scores[labels != NORMAL] > threshold).float().mean())
    return validation_scores, threshold, recall


def run(setting, validation_scores, threshold, recall, labels=None):
    model, validation, test, own_labels = setting
    check_threshold(
        model,
        validation,
        validation_scores,
        threshold,
        recall,
        test,
        own_labels if labels is None else labels,
        NORMAL,
    )


def fails(match, setting, *answer):
    with pytest.raises(CheckFailed, match=match) as info:
        run(setting, *answer)
    assert "Hint:" in str(info.value)
    return str(info.value)


def test_the_notebooks_answer_passes(setting, capsys):
    run(setting, *solution(*setting))
    out = capsys.readouterr().out
    assert "ex-8.1 passed" in out and "5.0% of 100 normal validation digits" in out


def test_correct_answers_written_differently_pass(setting, capsys):
    model, validation, test, labels = setting
    # NumPy throughout: scores by hand, the 95th of 100 sorted scores, recall with >=
    scores = scores_of(model, validation).numpy()
    ordered = np.sort(scores)
    threshold = ordered[int(np.ceil(0.95 * len(scores))) - 1]  # a NumPy scalar
    test_scores = scores_of(model, test).numpy()
    anomalies = labels.numpy() != NORMAL
    recall = np.mean(test_scores[anomalies] >= threshold)
    run(setting, scores, threshold, recall, labels.numpy())
    # a threshold halfway between the same two scores, as a 0-d tensor; recall a tensor
    between = torch.tensor((ordered[94] + ordered[95]) / 2)
    flagged = torch.from_numpy(test_scores[anomalies]) > between
    run(setting, list(scores), between, flagged.sum() / flagged.numel())
    # the scores as a column, the recall counted by hand
    caught = sum(1 for s in test_scores[anomalies] if s > ordered[94])
    run(
        setting,
        torch.from_numpy(scores)[:, None],
        ordered[94],
        caught / anomalies.sum(),
    )
    # the fifth-highest score, flagging with >=: the same five digits
    fifth = float(torch.from_numpy(scores).topk(5).values[-1])
    caught = (torch.from_numpy(test_scores[anomalies]) >= fifth).double().mean()
    run(setting, scores, fifth, caught)
    assert capsys.readouterr().out.count("ex-8.1 passed") == 4


def test_a_threshold_chosen_on_the_test_set_fails(setting):
    model, validation, test, labels = setting
    validation_scores, threshold, _ = solution(*setting)
    test_scores = reconstruction_scores(model, test)
    for chosen_on in (test_scores[labels == NORMAL], test_scores):
        leaked = float(torch.quantile(chosen_on, 0.95))
        assert leaked != pytest.approx(threshold)  # the setting tells them apart
        recall = flag_rate(test_scores[labels != NORMAL], leaked)
        message = fails("threshold", setting, validation_scores, leaked, recall)
        assert "chosen on the test digits" in message


@pytest.mark.parametrize(
    "quantile, match",
    [
        (0.05, "more than the target"),  # the wrong tail: flags 95 %
        (0.90, "more than the target"),  # flags 10 %
        (0.99, "a lower one"),  # flags 1 %: misses anomalies it could catch
        (1.0, "a lower one"),  # the maximum: flags nothing
    ],
)
def test_thresholds_that_miss_the_target_rate_fail(setting, quantile, match):
    model, _, test, labels = setting
    validation_scores, _, _ = solution(*setting)
    threshold = float(torch.quantile(validation_scores, quantile))
    test_scores = reconstruction_scores(model, test)
    recall = flag_rate(test_scores[labels != NORMAL], threshold)
    fails(match, setting, validation_scores, threshold, recall)


def test_recalls_on_the_wrong_set_or_with_the_wrong_sign_fail(setting):
    model, _, test, labels = setting
    validation_scores, threshold, recall = solution(*setting)
    test_scores = reconstruction_scores(model, test)
    wrong = [
        ("not\\* flagged", 1 - recall),
        ("percentage", 100 * recall),
        ("all test digits", flag_rate(test_scores, threshold)),
        # both false-positive rates are 5 % here: the message names one of them
        (
            "false-positive rate on the",
            flag_rate(test_scores[labels == NORMAL], threshold),
        ),
        ("false-positive rate on the", flag_rate(validation_scores, threshold)),
    ]
    for match, value in wrong:
        assert abs(value - recall) > 0.01  # the setting tells them apart
        fails(match, setting, validation_scores, threshold, value)
    fails("recall", setting, validation_scores, threshold, recall + 0.05)
    fails("one finite number", setting, validation_scores, threshold, None)
    fails("one finite number", setting, validation_scores, threshold, [recall, 1.0])


def test_scores_not_from_the_model_fail(setting):
    model, validation, test, labels = setting
    _, threshold, recall = solution(*setting)
    torch.manual_seed(5)
    other = ConvAutoencoder(latent=4, channels=(4, 8)).eval()  # another model
    pca = fit_pca(validation, 4)
    for scores in (
        reconstruction_scores(other, validation),
        pca_scores(pca, validation),
        torch.rand(100),
    ):
        fails("not the reconstruction errors", setting, scores, threshold, recall)
    summed = 784 * reconstruction_scores(model, validation)
    fails("784 times", setting, summed, threshold, recall)
    on_test = reconstruction_scores(model, test)
    fails("scores of the test digits", setting, on_test, threshold, recall)
    fails("one score per validation digit", setting, torch.rand(50), threshold, recall)
    fails("one score per validation digit", setting, "scores", threshold, recall)
    nan = reconstruction_scores(model, validation)
    nan[0] = float("nan")
    fails("NaN", setting, nan, threshold, recall)


def test_a_threshold_that_is_not_a_number_fails(setting):
    validation_scores, threshold, recall = solution(*setting)
    for bad in (None, "0.1", [threshold, threshold], float("nan"), True):
        fails("one finite number", setting, validation_scores, bad, recall)
