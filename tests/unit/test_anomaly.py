"""course_utils.anomaly against closed forms, brute force and scikit-learn's own routes."""

import itertools

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from course_utils.anomaly import (
    auc,
    auc_per_class,
    fit_isolation_forest,
    fit_pca,
    flag_rate,
    isolation_forest_scores,
    one_class_split,
    pca_scores,
    reconstruction_scores,
    roc,
    threshold_at_fpr,
)
from course_utils.data import ImageSet
from course_utils.models.conv import BlockAutoencoder, ConvAutoencoder


def image_set(n=200, seed=0):
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 1, 28, 28, generator=generator)
    labels = torch.arange(n) % 10
    return ImageSet(images, labels)


def test_one_class_split_takes_fixed_numbers_of_the_normal_class():
    train, test = image_set(200), image_set(50, seed=1)
    split = one_class_split(train, test, normal_class=3, n_train=12, n_validation=6)
    members = train.images[train.labels == 3]
    assert torch.equal(split.train, members[:12])
    assert torch.equal(split.validation, members[12:18])
    assert split.normal_class == 3
    assert torch.equal(split.test, test.images)
    assert torch.equal(split.test_is_anomaly, test.labels != 3)
    assert int((~split.test_is_anomaly).sum()) == 5


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"normal_class": 10}, "normal_class"),
        ({"normal_class": -1}, "normal_class"),
        ({"normal_class": True}, "normal_class"),
        ({"n_train": 0}, "n_train"),
        ({"n_validation": -1}, "n_validation"),
        ({"n_train": 15, "n_validation": 6}, "n_train \\+ n_validation"),
    ],
)
def test_one_class_split_rejects_bad_arguments(kwargs, name):
    arguments = {"normal_class": 3, "n_train": 12, "n_validation": 6, **kwargs}
    with pytest.raises(ValueError, match=name):
        one_class_split(image_set(200), image_set(50, seed=1), **arguments)


def test_reconstruction_scores_are_the_per_image_mse_in_eval_mode():
    torch.manual_seed(0)
    model = BlockAutoencoder(latent=4, channels=(4, 8))  # batch norm: eval differs
    model.train()
    images = image_set(40).images
    scores = reconstruction_scores(model, images, batch_size=16)
    model.eval()
    with torch.no_grad():
        expected = [float(((model(x[None]) - x[None]) ** 2).mean()) for x in images]
    assert scores.shape == (40,)
    assert not scores.requires_grad
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-5)


def test_reconstruction_scores_keep_the_models_mode_and_reject_flat_input():
    model = ConvAutoencoder(latent=4, channels=(4, 8)).train()
    reconstruction_scores(model, image_set(4).images)
    assert model.training
    with pytest.raises(ValueError, match="images"):
        reconstruction_scores(model, torch.rand(4, 784))


def test_pca_scores_match_a_projection_computed_with_numpy_svd():
    train, test = image_set(60).images, image_set(10, seed=2).images
    x = train.reshape(60, -1).double().numpy()
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    basis = vt[:5]
    y = test.reshape(10, -1).double().numpy() - mean
    residual = y - (y @ basis.T) @ basis
    expected = (residual**2).mean(axis=1)
    scores = pca_scores(fit_pca(train, 5), test)
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="n_components"):
        fit_pca(train, 0)


def test_isolation_forest_scores_are_minus_sklearns_normality_and_flag_outliers():
    generator = torch.Generator().manual_seed(0)
    normal = 0.5 + 0.05 * torch.randn(100, 1, 28, 28, generator=generator)
    outliers = torch.rand(10, 1, 28, 28, generator=generator)
    forest = fit_isolation_forest(normal, n_estimators=50, seed=0)
    scores = isolation_forest_scores(forest, torch.cat([normal[:10], outliers]))
    pixels = torch.cat([normal[:10], outliers]).reshape(20, -1).double().numpy()
    # decision_function = score_samples - offset_: a second route through sklearn
    expected = -(forest.decision_function(pixels) + forest.offset_)
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-5)
    assert scores[10:].min() > scores[:10].max()
    with pytest.raises(ValueError, match="n_estimators"):
        fit_isolation_forest(normal, n_estimators=0)


def brute_force_auc(scores, is_anomaly):
    """P(anomaly scores higher than normal) over all pairs, ties counting one half."""
    pairs = list(
        itertools.product(scores[is_anomaly], scores[~is_anomaly])
    )  # (anomaly, normal)
    return sum(1.0 if a > n else 0.5 if a == n else 0.0 for a, n in pairs) / len(pairs)


def test_auc_is_the_probability_that_an_anomaly_scores_higher():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, size=40).astype(float)  # many ties
    is_anomaly = rng.random(40) < 0.4
    assert auc(torch.from_numpy(scores), torch.from_numpy(is_anomaly)) == pytest.approx(
        brute_force_auc(scores, is_anomaly)
    )
    assert auc(scores, is_anomaly) == pytest.approx(roc_auc_score(is_anomaly, scores))
    assert auc([0.1, 0.2, 0.9], [False, False, True]) == 1.0
    assert auc([0.9, 0.2, 0.1], [False, False, True]) == 0.0


def test_auc_per_class_compares_the_normal_class_with_each_other_class_alone():
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1, 2, 3], 15)
    scores = rng.normal(size=60) + np.array([0.0, 2.0, 0.5, -1.0])[labels]
    result = auc_per_class(torch.from_numpy(scores), torch.from_numpy(labels), 0)
    assert list(result) == [1, 2, 3]
    for other, value in result.items():
        chosen = (labels == 0) | (labels == other)
        expected = brute_force_auc(scores[chosen], labels[chosen] == other)
        assert value == pytest.approx(expected)
    assert result[1] > result[2] > 0.5 > result[3]
    with pytest.raises(ValueError, match="normal_class"):
        auc_per_class(scores, labels, 7)
    with pytest.raises(ValueError, match="labels"):
        auc_per_class(scores, labels[:10], 0)


def test_auc_rejects_a_single_class_and_mismatched_lengths():
    with pytest.raises(ValueError, match="both"):
        auc([0.1, 0.2], [True, True])
    with pytest.raises(ValueError, match="is_anomaly"):
        auc([0.1, 0.2, 0.3], [True, False])


def test_roc_points_are_the_flag_rates_of_thresholds_and_enclose_the_auc():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=30)
    is_anomaly = np.arange(30) % 3 == 0
    fpr, tpr = roc(scores, is_anomaly)
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    # every later point flags the images scoring at least one of the scores
    rates = {
        (np.mean(scores[~is_anomaly] >= t), np.mean(scores[is_anomaly] >= t))
        for t in scores
    }
    assert all(
        min(abs(f - a) + abs(t - b) for a, b in rates) < 1e-12
        for f, t in zip(fpr[1:], tpr[1:])
    )
    assert np.trapezoid(tpr, fpr) == pytest.approx(brute_force_auc(scores, is_anomaly))


def test_flag_rate_counts_scores_strictly_above_the_threshold():
    assert flag_rate([0.1, 0.2, 0.3, 0.4], 0.2) == 0.5
    assert flag_rate(np.array([1.0, 2.0]), 0.0) == 1.0
    assert flag_rate(torch.tensor([1.0, 2.0]), 2.0) == 0.0
    with pytest.raises(ValueError, match="scores"):
        flag_rate([], 0.5)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("target", [0.0, 0.01, 0.05, 0.1, 0.33])
def test_threshold_at_fpr_is_the_lowest_threshold_within_the_target(seed, target):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 40, size=int(rng.integers(20, 120))).astype(float)
    # brute force over every score (and one below them all) as a candidate threshold
    candidates = np.concatenate([[scores.min() - 1], np.unique(scores)])
    allowed = [t for t in candidates if np.mean(scores > t) <= target + 1e-12]
    assert threshold_at_fpr(scores, target) == min(allowed)


def test_threshold_at_fpr_on_distinct_scores_is_an_order_statistic():
    scores = torch.arange(100.0).flip(0)  # 99, ..., 0: v_(k) = k - 1
    assert threshold_at_fpr(scores, 0.05) == 94.0  # v_95: five scores above it
    assert threshold_at_fpr(scores, 0.0) == 99.0
    with pytest.raises(ValueError, match="target_fpr"):
        threshold_at_fpr(scores, 1.0)
    with pytest.raises(ValueError, match="normal_scores"):
        threshold_at_fpr([], 0.05)


# ---- Ruff et al.'s Isolation Forest, precision at a prevalence, intervals, sizes


def test_contrast_normalise_centres_each_image_and_scales_its_mean_deviation():
    from course_utils.anomaly import contrast_normalise

    images = image_set(20).images
    images[0] = 0.5  # a constant image has no contrast
    features = contrast_normalise(images)
    np.testing.assert_allclose(features[1:].mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(np.abs(features[1:]).mean(axis=1), 1, rtol=1e-12)
    assert (features[0] == 0).all()
    # the same images at another brightness and contrast give the same features
    np.testing.assert_allclose(
        contrast_normalise(0.3 * images + 0.2), features, atol=1e-5
    )


def test_forest_on_pca_features_equals_the_steps_done_by_hand():
    from sklearn.decomposition import PCA
    from sklearn.ensemble import IsolationForest

    train, test = image_set(120).images, image_set(30, seed=1).images

    def by_hand(images):
        x = images.flatten(1).double()
        x = x - x.mean(dim=1, keepdim=True)
        return (x / x.abs().mean(dim=1, keepdim=True)).numpy()

    pca = PCA(n_components=0.95, svd_solver="full").fit(by_hand(train))
    assert pca.explained_variance_ratio_.sum() >= 0.95
    assert pca.explained_variance_ratio_[:-1].sum() < 0.95
    forest = IsolationForest(random_state=3).fit(pca.transform(by_hand(train)))
    expected = -forest.score_samples(pca.transform(by_hand(test)))
    pipeline = fit_isolation_forest(train, seed=3, keep_variance=0.95)
    got = isolation_forest_scores(pipeline, test).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="keep_variance"):
        fit_isolation_forest(train, keep_variance=95)


def test_average_precision_at_a_prevalence_against_the_formula():
    from course_utils.anomaly import average_precision, precision_recall

    generator = np.random.default_rng(0)
    is_anomaly = np.arange(300) % 3 != 0  # two thirds anomalies
    scores = generator.normal(size=300) + is_anomaly  # distinct scores, no ties
    for prevalence in (None, 0.01, 0.5):
        p = is_anomaly.mean() if prevalence is None else prevalence
        order = np.argsort(-scores)
        tpr = np.cumsum(is_anomaly[order]) / is_anomaly.sum()
        fpr = np.cumsum(~is_anomaly[order]) / (~is_anomaly).sum()
        precision = p * tpr / (p * tpr + (1 - p) * fpr)
        expected = np.sum(np.diff(np.concatenate([[0], tpr])) * precision)
        assert average_precision(scores, is_anomaly, prevalence) == pytest.approx(
            expected, rel=1e-9
        )
        got_precision, got_recall = precision_recall(scores, is_anomaly, prevalence)
        assert got_precision.min() == pytest.approx(p)  # flag everything
    rare = average_precision(scores, is_anomaly, 0.01)
    assert rare < average_precision(scores, is_anomaly)  # rarer anomalies: lower AP
    with pytest.raises(ValueError, match="prevalence"):
        average_precision(scores, is_anomaly, 1.5)


def test_rate_interval_is_clopper_pearson():
    from scipy.stats import beta

    from course_utils.anomaly import rate_interval

    low, high = rate_interval(5, 100)
    assert low == pytest.approx(beta.ppf(0.025, 5, 96), rel=1e-6)
    assert high == pytest.approx(beta.ppf(0.975, 6, 95), rel=1e-6)
    assert (round(low, 3), round(high, 3)) == (0.016, 0.113)
    assert rate_interval(0, 50)[0] == 0
    with pytest.raises(ValueError, match="flagged"):
        rate_interval(11, 10)


def test_sizes_that_fit_shrink_both_counts_and_say_so():
    from course_utils.anomaly import sizes_that_fit

    labels = torch.arange(300) % 10  # 30 of each class
    assert sizes_that_fit(labels, 20, 5) == (20, 5, None)
    n_train, n_validation, note = sizes_that_fit(labels, 5_000, 400)
    assert (n_train, n_validation) == (28, 2)  # 400 / 5,400 of 30, the rest to train
    assert n_train + n_validation == 30
    assert "5,000 + 400" in note and "30 images" in note
    assert sizes_that_fit(labels, 100, 0)[:2] == (30, 0)
    with pytest.raises(ValueError, match="n_train"):
        sizes_that_fit(torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 5, 5)
