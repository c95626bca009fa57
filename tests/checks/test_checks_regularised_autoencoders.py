"""Chapter 9's checks against the wrong answers a student would hand in, and right answers
written differently from the solution. The judge draws its own layers and codes, so each
check is also run on inputs drawn from other seeds, as the grader would."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.checks import CheckFailed
from course_utils.checks.regularised_autoencoders import (
    check_contractive_penalty,
    check_kl_sparsity,
)
from course_utils.losses import contractive_penalty


def _run(check_object, answer, seed):
    """The check's three parts in one process, on inputs drawn from ``seed``."""
    inputs = check_object.inputs(torch.Generator().manual_seed(seed))
    handed = check_object.hand_over(answer, inputs=inputs)
    return check_object.judge(handed, inputs)


# ---------------------------------------------------------------- ex-9.1
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
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_contractive_right_answers_pass(answer, seed):
    assert "Jacobian" in _run(check_contractive_penalty, answer, seed)


def test_contractive_self_check_prints_its_verdict(capsys):
    check_contractive_penalty(with_einsum)
    assert "ex-9.1 passed" in capsys.readouterr().out


def test_the_judge_spreads_codes_over_the_unit_interval():
    inputs = check_contractive_penalty.inputs(torch.Generator().manual_seed(0))
    layer = inputs["images"].flatten(1) @ inputs["weight"].T + inputs["bias"]
    codes = torch.sigmoid(layer)
    assert codes.min() < 0.1 and codes.max() > 0.9


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


def bias_left_out(model, images):
    w = model.encoder[1].weight
    h = torch.sigmoid(images.flatten(1) @ w.T)
    return ((h * (1 - h)) ** 2 * (w**2).sum(dim=1)).sum(dim=1)


def batch_mean(model, images):
    return solution(model, images).mean()


def detached(model, images):
    return solution(model, images).detach()


def through_numpy(model, images):
    return torch.from_numpy(solution(model, images).detach().numpy())


def gradient_to_the_images_only(model, images):
    """Right values, but the weight enters as a constant: no gradient reaches it."""
    h, w, _ = _parts(model, images)
    return ((h * (1 - h)) ** 2 * (w.detach() ** 2).sum(dim=1)).sum(dim=1)


def not_implemented(model, images):
    raise NotImplementedError("replace this line with your code")


@pytest.mark.parametrize(
    "answer, message",
    [
        (slope_not_squared, "the slope h\\(1 - h\\) is not squared"),
        (no_weights, "the weights' squares are missing"),
        (slope_at_the_pre_activation, "pre-activation"),
        (units_averaged, "averaged instead of summed"),
        (bias_left_out, "leave out the layer's bias"),
        (weights_over_the_wrong_axis, "fails: RuntimeError"),
        (batch_mean, "one value per image"),
        (detached, "gradient .* missing"),
        (through_numpy, "gradient .* missing"),
        (gradient_to_the_images_only, "gradient .* wrong"),
        (not_implemented, "fails: NotImplementedError"),
        ("0.5", "should be a function"),
        (lambda model, images: [1.0] * len(images), "one value per image"),
    ],
)
def test_contractive_wrong_answers_fail_with_a_lesson(answer, message):
    for seed in (0, 1):
        with pytest.raises(CheckFailed, match=message):
            _run(check_contractive_penalty, answer, seed)


# ---------------------------------------------------------------- ex-9.2
def kl_solution(codes, target):
    rho_hat = codes.mean(dim=0)
    kl = target * torch.log(target / rho_hat) + (1 - target) * torch.log(
        (1 - target) / (1 - rho_hat)
    )
    return kl.sum()


def kl_with_torch_bernoulli(codes, target):
    mean = codes.mean(dim=0)
    wanted = torch.distributions.Bernoulli(probs=torch.full_like(mean, target))
    return torch.distributions.kl_divergence(
        wanted, torch.distributions.Bernoulli(probs=mean)
    ).sum()


def kl_with_binary_cross_entropy(codes, target):
    """KL(ρ‖ρ̂) = cross-entropy(ρ, ρ̂) − entropy(ρ)."""
    mean = codes.mean(dim=0)
    wanted = torch.full_like(mean, target)
    cross = torch.nn.functional.binary_cross_entropy(mean, wanted, reduction="sum")
    entropy = -(target * np.log(target) + (1 - target) * np.log(1 - target))
    return cross - len(mean) * entropy


@pytest.mark.parametrize(
    "answer", [kl_solution, kl_with_torch_bernoulli, kl_with_binary_cross_entropy]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kl_right_answers_pass(answer, seed):
    assert "KL" in _run(check_kl_sparsity, answer, seed)


def test_kl_self_check_prints_its_verdict(capsys):
    check_kl_sparsity(kl_with_torch_bernoulli)
    assert "ex-9.2 passed" in capsys.readouterr().out


def test_the_kl_gradient_matches_autograd_of_an_independent_formula():
    from course_utils.checks.regularised_autoencoders import _kl_gradient

    codes = torch.rand(5, 3, dtype=torch.float64) * 0.9 + 0.05
    leaf = codes.clone().requires_grad_()
    (gradient,) = torch.autograd.grad(kl_with_torch_bernoulli(leaf, 0.1), leaf)
    torch.testing.assert_close(_kl_gradient(codes, torch.tensor(0.1)), gradient)


def kl_swapped(codes, target):
    rho_hat = codes.mean(dim=0)
    return (
        rho_hat * torch.log(rho_hat / target)
        + (1 - rho_hat) * torch.log((1 - rho_hat) / (1 - target))
    ).sum()


def kl_first_term_only(codes, target):
    return (target * torch.log(target / codes.mean(dim=0))).sum()


def kl_units_averaged(codes, target):
    return kl_solution(codes, target) / codes.shape[1]


def kl_per_image(codes, target):
    kl = target * torch.log(target / codes) + (1 - target) * torch.log(
        (1 - target) / (1 - codes)
    )
    return kl.sum(dim=1).mean()


def kl_detached(codes, target):
    return kl_solution(codes.detach(), target)


def kl_per_unit(codes, target):
    return kl_solution(codes, target).expand(codes.shape[1])


@pytest.mark.parametrize(
    "answer, message",
    [
        (kl_swapped, "swapped"),
        (kl_first_term_only, "second term"),
        (kl_units_averaged, "averaged instead of summed"),
        (kl_per_image, "per image"),
        (kl_detached, "gradient .* missing"),
        (kl_per_unit, "one number for the batch"),
        (lambda codes, target: torch.tensor(0.0), "is 0"),
        (lambda codes, target: 1 / 0, "fails: ZeroDivisionError"),
        (None, "should be a function"),
    ],
)
def test_kl_wrong_answers_fail_with_a_lesson(answer, message):
    for seed in (0, 1):
        with pytest.raises(CheckFailed, match=message):
            _run(check_kl_sparsity, answer, seed)


@pytest.mark.parametrize(
    "check_object, right, wrong",
    [
        (check_contractive_penalty, with_einsum, detached),
        (check_kl_sparsity, kl_with_torch_bernoulli, kl_detached),
    ],
)
def test_through_the_grader_folder(tmp_path, monkeypatch, check_object, right, wrong):
    """As the grader runs it: inputs from a file, the answer to a file, judged from files."""
    from course_utils.checks.protocol import HANDOVER_DIR, load_tensors, save_tensors

    inputs = check_object.inputs(torch.Generator().manual_seed(1234))
    save_tensors(inputs, check_object.path(tmp_path, "inputs"))
    for answer, passes in [(right, True), (wrong, False)]:
        monkeypatch.setenv(HANDOVER_DIR, str(tmp_path))
        check_object(answer)
        monkeypatch.delenv(HANDOVER_DIR)
        handed = load_tensors(check_object.path(tmp_path, "answers"))
        if passes:
            check_object.judge(
                handed, load_tensors(check_object.path(tmp_path, "inputs"))
            )
        else:
            with pytest.raises(CheckFailed, match="gradient"):
                check_object.judge(handed, inputs)
    with pytest.raises(CheckFailed):  # a hand-over with keys missing fails, no KeyError
        check_object.judge({}, inputs)
