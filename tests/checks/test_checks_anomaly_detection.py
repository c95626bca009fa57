"""The ex-8.1 check passes thresholds chosen on validation digits however they are computed,
and fails, with a hint, thresholds of the neighbouring convention or chosen on the test set,
thresholds that miss the target rate, recalls measured on the wrong set, rounded or with the
wrong sign, scores not from the model, a detector that detects nothing and a model retrained on
the validation digits. The judge recounts everything from the model's scores."""

import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils.anomaly import (
    fit_pca,
    flag_rate,
    one_class_split,
    pca_scores,
    reconstruction_scores,
)
from course_utils.checks import CheckFailed
from course_utils.checks.anomaly_detection import check_threshold
from course_utils.checks.protocol import load_tensors, save_tensors
from course_utils.config import seed_everything
from course_utils.data import load_mnist
from course_utils.models.conv import ConvAutoencoder
from course_utils.training import fit

NORMAL = 3


pytestmark = pytest.mark.usefixtures("offline")  # the bundled sample: no download


def detector(images, epochs=8, channels=(8, 16)):
    """The chapter's detector (at its tiny scale, unless told otherwise)."""
    seed_everything(NORMAL)
    model = ConvAutoencoder(latent=32, channels=channels)
    fit(model, images, epochs=epochs, batch_size=32, lr=3e-3, progress=False)
    return model.eval()


@pytest.fixture(scope="module")
def split(offline):
    train = load_mnist("train", per_class=200)
    test = load_mnist("test", limit=500)
    return one_class_split(train, test, NORMAL, 100, 100)


@pytest.fixture(scope="module")
def model(split):
    return detector(split.train)


def solution(model, split):
    """The notebook's way: sort the validation scores, count the allowed flags."""
    validation_scores = reconstruction_scores(model, split.validation)
    ordered = validation_scores.sort().values
    allowed = int(0.05 * len(ordered))
    threshold = float(ordered[len(ordered) - allowed - 1])
    test_scores = reconstruction_scores(model, split.test)
    recall = float((test_scores[split.test_is_anomaly] > threshold).float().mean())
    return validation_scores, threshold, recall


def run(model, split, *answer, seed=0):
    inputs = check_threshold.inputs(torch.Generator().manual_seed(seed))
    handed = check_threshold.hand_over(model, split, *answer, inputs=inputs)
    save_tensors(handed, path := Path(tempfile.mkdtemp()) / "answer.safetensors")
    return check_threshold.judge(load_tensors(path), inputs)


def fails(match, model, split, *answer):
    with pytest.raises(CheckFailed, match=match) as info:
        run(model, split, *answer)
    assert "Hint:" in str(info.value)
    return str(info.value)


def recall_of(model, split, threshold):
    scores = reconstruction_scores(model, split.test)
    return flag_rate(scores[split.test_is_anomaly], threshold)


def test_the_notebooks_answer_passes(model, split, capsys):
    assert "flags 5 of 100 validation digits" in run(
        model, split, *solution(model, split)
    )
    check_threshold(model, split, *solution(model, split))  # a student's self-check
    assert "ex-8.1 passed" in capsys.readouterr().out


def test_correct_answers_written_differently_pass(model, split):
    scores = reconstruction_scores(model, split.validation)
    n = len(scores)
    # kthvalue: the (n - 5)-th smallest score
    kth = float(scores.kthvalue(n - 5).values)
    run(model, split, scores, kth, recall_of(model, split, kth))
    # topk: the sixth-highest score, NumPy recall
    sixth = scores.topk(6).values[-1]
    test_scores = reconstruction_scores(model, split.test).numpy()
    recall = np.mean(test_scores[split.test_is_anomaly.numpy()] > sixth.item())
    run(model, split, scores.numpy(), sixth, recall)
    # torch.quantile with its interpolation: between the sixth- and fifth-highest scores,
    # so it flags the same five digits
    quantile = torch.quantile(scores, 0.95)
    run(
        model, split, list(scores.tolist()), quantile, recall_of(model, split, quantile)
    )


def test_the_neighbouring_convention_fails(model, split):
    scores = reconstruction_scores(model, split.validation)
    fifth = float(scores.topk(5).values[-1])  # right for `>=`, flags only 4 with `>`
    message = fails(
        "flags only 4", model, split, scores, fifth, recall_of(model, split, fifth)
    )
    assert "strictly" in message


def test_a_threshold_chosen_on_the_test_set_fails(model, split):
    validation_scores, threshold, _ = solution(model, split)
    test_scores = reconstruction_scores(model, split.test)
    for chosen_on in (test_scores[~split.test_is_anomaly], test_scores):
        ordered = chosen_on.sort().values
        leaked = float(ordered[len(ordered) - len(ordered) * 5 // 100 - 1])
        assert leaked != pytest.approx(threshold)
        message = fails(
            "threshold",
            model,
            split,
            validation_scores,
            leaked,
            recall_of(model, split, leaked),
        )
        assert "chosen on the test digits" in message


@pytest.mark.parametrize(
    "quantile, match",
    [
        (0.05, "more than the 5"),  # the wrong tail: flags 95 %
        (0.90, "more than the 5"),  # flags 10 %
        (0.99, "flags only"),  # flags 1 %: misses anomalies it could catch
        (1.0, "flags only 0"),  # the maximum: flags nothing
    ],
)
def test_thresholds_that_miss_the_target_rate_fail(model, split, quantile, match):
    scores = reconstruction_scores(model, split.validation)
    threshold = float(torch.quantile(scores, quantile))
    fails(match, model, split, scores, threshold, recall_of(model, split, threshold))


def test_wrong_recalls_fail(model, split):
    validation_scores, threshold, recall = solution(model, split)
    test_scores = reconstruction_scores(model, split.test)
    normal = ~split.test_is_anomaly
    for match, value in [
        ("not\\* flagged", 1 - recall),
        ("percentage", 100 * recall),
        ("all test digits", flag_rate(test_scores, threshold)),
        ("false-positive rate on the", flag_rate(test_scores[normal], threshold)),
        ("recall", round(recall, 2) if round(recall, 2) != recall else recall + 0.004),
        ("recall", recall + 0.05),
    ]:
        assert abs(value - recall) > 1e-6  # the setting tells them apart
        fails(match, model, split, validation_scores, threshold, value)
    fails("one finite number", model, split, validation_scores, threshold, None)
    fails("one finite number", model, split, validation_scores, threshold, [recall, 1])


def test_scores_not_from_the_model_fail(model, split):
    _, threshold, recall = solution(model, split)
    torch.manual_seed(5)
    other = ConvAutoencoder(latent=4, channels=(4, 8)).eval()  # another model
    pca = fit_pca(split.validation, 4)
    for scores in (
        reconstruction_scores(other, split.validation),
        pca_scores(pca, split.validation),
        torch.rand(100),
    ):
        fails("not the reconstruction errors", model, split, scores, threshold, recall)
    summed = 784 * reconstruction_scores(model, split.validation)
    fails("784 times", model, split, summed, threshold, recall)
    on_test = reconstruction_scores(model, split.test)
    fails("scores of the test digits", model, split, on_test, threshold, recall)
    fails("100 validation digits", model, split, torch.rand(50), threshold, recall)
    fails("one score per validation digit", model, split, "scores", threshold, recall)
    nan = reconstruction_scores(model, split.validation)
    nan[0] = float("nan")
    fails("NaN", model, split, nan, threshold, recall)


def test_a_threshold_that_is_not_a_number_fails(model, split):
    validation_scores, threshold, recall = solution(model, split)
    for bad in (None, "0.1", [threshold, threshold], float("nan"), True):
        fails("one finite number", model, split, validation_scores, bad, recall)


def test_the_identity_map_detects_nothing(split):
    identity = torch.nn.Identity()
    scores = reconstruction_scores(identity, split.validation)  # all zero
    fails("no detector", identity, split, scores, 0.0, 0.0)


def test_a_model_retrained_on_the_validation_digits_fails(split):
    # the chapter's book-scale detector, which learns its digits by heart (at the tiny
    # scale it trains too briefly for that, and retraining changes little), once on the
    # training digits only and once on the validation digits too
    book = {"epochs": 60, "channels": (16, 32)}
    honest = detector(split.train, **book)
    run(honest, split, *solution(honest, split))
    retrained = detector(torch.cat([split.train, split.validation]), **book)
    fails(
        "as if it had learnt from them", retrained, split, *solution(retrained, split)
    )
