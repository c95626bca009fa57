"""ex-9.1's check against the wrong answers a student would hand in, and right answers written
differently from the solution."""

from __future__ import annotations

import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.checks.more_autoencoders import check_contractive_penalty
from course_utils.losses import contractive_penalty


def _parts(model, images):
    layer = model.encoder[1]
    z = layer(images.flatten(start_dim=1))
    return torch.sigmoid(z), layer.weight, z


def solution(model, images):
    h, w, _ = _parts(model, images)
    return ((h * (1 - h)) ** 2 * (w**2).sum(dim=1)).sum(dim=1)


def with_einsum(model, images):
    h = model.encode(images)
    w = model.encoder[1].weight
    return torch.einsum("nj,ji->n", (h - h**2) ** 2, w * w)


def with_the_generic_penalty(model, images):
    return contractive_penalty(model.encode, images)


def with_a_loop_over_images(model, images):
    return torch.stack([solution(model, image[None])[0] for image in images])


@pytest.mark.parametrize(
    "answer", [solution, with_einsum, with_the_generic_penalty, with_a_loop_over_images]
)
def test_right_answers_pass(answer, capsys):
    check_contractive_penalty(answer)
    assert "ex-9.1 passed" in capsys.readouterr().out


def slope_not_squared(model, images):
    h, w, _ = _parts(model, images)
    return (h * (1 - h) * (w**2).sum(dim=1)).sum(dim=1)


def no_weights(model, images):
    h, _, _ = _parts(model, images)
    return ((h * (1 - h)) ** 2).sum(dim=1)


def slope_at_the_pre_activation(model, images):
    _, w, z = _parts(model, images)
    return ((z * (1 - z)) ** 2 * (w**2).sum(dim=1)).sum(dim=1)


def units_averaged(model, images):
    h, w, _ = _parts(model, images)
    return ((h * (1 - h)) ** 2 * (w**2).sum(dim=1)).mean(dim=1)


def weights_over_the_wrong_axis(model, images):
    h, w, _ = _parts(model, images)
    return ((h * (1 - h)) ** 2 * (w**2).sum(dim=0)).sum(dim=1)


def batch_mean(model, images):
    return solution(model, images).mean()


def detached(model, images):
    return solution(model, images).detach()


def through_numpy(model, images):
    return torch.from_numpy(solution(model, images).detach().numpy())


@pytest.mark.parametrize(
    "answer, message",
    [
        (slope_not_squared, "the slope h\\(1 - h\\) is not squared"),
        (no_weights, "the weights' squares are missing"),
        (slope_at_the_pre_activation, "pre-activation"),
        (units_averaged, "averaged instead of summed"),
        (weights_over_the_wrong_axis, "fails: RuntimeError"),
        (batch_mean, "one value per image"),
        (detached, "not differentiable"),
        (through_numpy, "not differentiable"),
        ("0.5", "should be a function"),
        (lambda model, images: [1.0] * len(images), "one value per image"),
    ],
)
def test_wrong_answers_fail_with_a_lesson(answer, message):
    with pytest.raises(CheckFailed, match=message):
        check_contractive_penalty(answer)
