"""The ex-4.1 check passes a real answer, fails wrong ones with a hint, and skips only when
Fashion-MNIST really cannot be loaded."""

import pytest
import torch

import course_utils.checks.denoising as denoising
from course_utils.baselines import median_filter
from course_utils.checks import CheckFailed
from course_utils.checks.denoising import check_fashion_denoising
from course_utils.corruption import salt_and_pepper
from course_utils.data import DataUnavailable, ImageSet
from course_utils.metrics import psnr
from course_utils.models.conv import ConvAutoencoder
from course_utils.training import apply_in_batches


@pytest.fixture(scope="module")
def denoiser():
    torch.manual_seed(0)
    return ConvAutoencoder(latent=4, channels=(4, 8)).eval()


@pytest.fixture
def clothes():
    """Stand-ins for Fashion-MNIST images: a bright block on a black background."""
    images = torch.zeros(20, 1, 28, 28)
    images[:, :, 6:22, 8:20] = torch.rand(
        20, 1, 16, 12, generator=torch.Generator().manual_seed(0)
    )
    return images


def answer(denoiser, clean):
    noisy = salt_and_pepper(clean, 0.2, generator=torch.Generator().manual_seed(0))
    denoised = apply_in_batches(denoiser, noisy)
    return {
        "clean": clean,
        "noisy": noisy,
        "denoised": denoised,
        "psnr_noisy": psnr(noisy, clean),
        "psnr_median": psnr(median_filter(noisy), clean),
        "psnr_denoised": psnr(denoised, clean),
    }


def _fails(match, *args):
    with pytest.raises(CheckFailed, match=match) as info:
        check_fashion_denoising(*args)
    assert "Hint:" in str(info.value)


def test_a_correct_answer_passes(denoiser, clothes, capsys):
    check_fashion_denoising(denoiser, answer(denoiser, clothes), mnist_psnr=20.0)
    assert "ex-4.1 passed" in capsys.readouterr().out


def test_wrong_answers_fail_with_a_hint(denoiser, clothes):
    right = answer(denoiser, clothes)
    _fails("keys", denoiser, {"clean": clothes})
    _fails(
        "not what the denoiser",
        denoiser,
        {**right, "denoised": torch.full_like(clothes, 0.1)},
    )
    _fails(
        "not what the denoiser",
        denoiser,
        {**right, "denoised": median_filter(right["noisy"])},
    )
    _fails("salt-and-pepper", denoiser, {**right, "noisy": (clothes + 0.1).clamp(0, 1)})
    _fails("shape", denoiser, {**right, "denoised": right["denoised"][:5]})
    _fails(
        "psnr_denoised",
        denoiser,
        {**right, "psnr_denoised": right["psnr_denoised"] + 3},
    )
    _fails("psnr_median", denoiser, {**right, "psnr_median": right["psnr_noisy"]})


def test_none_is_skipped_when_fashion_mnist_is_unavailable(
    denoiser, monkeypatch, capsys
):
    def unavailable(*args, **kwargs):
        raise DataUnavailable(
            "Fashion-MNIST could not be downloaded (no network) and has no offline copy"
        )

    monkeypatch.setattr(denoising, "load_fashion_mnist", unavailable)
    check_fashion_denoising(denoiser, None)
    out = capsys.readouterr().out
    assert "⚠ ex-4.1 skipped: Fashion-MNIST could not be downloaded" in out


def test_none_fails_when_fashion_mnist_is_available(denoiser, clothes, monkeypatch):
    monkeypatch.setattr(
        denoising,
        "load_fashion_mnist",
        lambda *args, **kwargs: ImageSet(
            clothes, torch.zeros(len(clothes), dtype=torch.long)
        ),
    )
    _fails("can be loaded", denoiser, None)
