"""The ex-4.1 check passes a real answer, fails wrong ones with a hint, and skips only when
Fashion-MNIST really cannot be loaded."""

import pytest
import torch

import course_utils.checks.denoising as denoising
from course_utils.baselines import median_filter
from course_utils.checks import CheckFailed
from course_utils.checks.denoising import check_fashion_denoising
from course_utils.corruption import RestorationLoss, gaussian_noise, salt_and_pepper
from course_utils.data import DataUnavailable, ImageSet
from course_utils.metrics import psnr
from course_utils.models.conv import ConvAutoencoder
from course_utils.training import apply_in_batches, fit


def _digits():
    """Stand-ins for MNIST's test digits: 30 different bars."""
    digits = torch.zeros(30, 1, 28, 28)
    digits[:, :, 10:18, 12:16] = 1.0
    digits[:, :, 0, :] = torch.arange(30.0)[:, None, None] / 255  # 30 different digits
    return digits


@pytest.fixture(scope="module")
def denoiser():
    """A denoiser trained (briefly) on the stand-in digits: it beats its untrained copy."""
    torch.manual_seed(0)
    model = ConvAutoencoder(latent=4, channels=(4, 8))
    fit(
        model,
        _digits(),
        epochs=30,
        batch_size=10,
        lr=1e-2,
        loss_fn=RestorationLoss(lambda x, g: salt_and_pepper(x, 0.2, generator=g)),
        progress=False,
    )
    return model.eval()


def _clothes_set():
    """Stand-ins for Fashion-MNIST's test set: a bright block on a black background,
    stored with 8-bit pixels like the real thing."""
    images = torch.zeros(40, 1, 28, 28)
    images[:, :, 6:22, 8:20] = torch.rand(
        40, 1, 16, 12, generator=torch.Generator().manual_seed(0)
    )
    return (images * 255).round() / 255


@pytest.fixture
def clothes(monkeypatch):
    """The first 20 stand-in clothes; the check sees the stand-in set as Fashion-MNIST and a
    set of fake digits as MNIST."""
    every = _clothes_set()
    digits = _digits()
    monkeypatch.setattr(
        denoising,
        "load_fashion_mnist",
        lambda split, limit=None: ImageSet(
            every[:limit], torch.zeros(len(every[:limit]))
        ),
    )
    monkeypatch.setattr(
        denoising,
        "load_mnist",
        lambda split, limit=None: ImageSet(digits, torch.zeros(len(digits))),
    )
    return every[:20]


def answer(denoiser, clean, noisy=None):
    if noisy is None:
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
    _fails(
        "salt-and-pepper",
        denoiser,
        answer(denoiser, clothes, (clothes + 0.1).clamp(0, 1)),
    )
    _fails("shape", denoiser, {**right, "denoised": right["denoised"][:5]})
    _fails(
        "psnr_denoised",
        denoiser,
        {**right, "psnr_denoised": right["psnr_denoised"] + 3},
    )
    _fails("psnr_median", denoiser, {**right, "psnr_median": right["psnr_noisy"]})


def test_right_answers_written_differently_pass(denoiser, clothes, capsys):
    # another seed, more images, the PSNRs as tensors or NumPy numbers, no MNIST number
    noisy = salt_and_pepper(clothes, 0.2, generator=torch.Generator().manual_seed(7))
    denoised = denoiser(noisy).detach()
    right = {
        "clean": clothes.clone(),
        "noisy": noisy,
        "denoised": denoised,
        "psnr_noisy": float(psnr(noisy, clothes)),
        "psnr_median": psnr(median_filter(noisy), clothes),
        "psnr_denoised": psnr(denoised, clothes),
    }
    check_fashion_denoising(denoiser, right)
    assert "ex-4.1 passed" in capsys.readouterr().out


def test_data_and_noise_that_are_not_what_was_asked_fail(denoiser, clothes):
    # MNIST digits passed off as Fashion-MNIST
    digits = denoising.load_mnist("test").images[:20]
    _fails("MNIST digits", denoiser, answer(denoiser, digits))
    # images that are not in the Fashion-MNIST test set (here: made-up ones)
    made_up = torch.rand(20, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    _fails("Fashion-MNIST test images", denoiser, answer(denoiser, made_up))
    # clean images normalised to [-1, 1] or noised before storing
    _fails("Fashion-MNIST test images", denoiser, answer(denoiser, clothes * 0.5))
    for amount in (0.05, 0.1, 0.3, 0.5):
        noisy = salt_and_pepper(clothes, amount, torch.Generator().manual_seed(0))
        wrong = answer(denoiser, clothes, noisy)
        _fails("salt-and-pepper noise of amount", denoiser, wrong)
    # only salt
    salted = torch.where(
        torch.rand(clothes.shape, generator=torch.Generator().manual_seed(1)) < 0.2,
        torch.ones_like(clothes),
        clothes,
    )
    only_salt = answer(denoiser, clothes, salted)
    _fails("noise of amount|half of", denoiser, only_salt)
    # Gaussian noise instead of salt and pepper
    gaussian = gaussian_noise(clothes, 0.2, torch.Generator().manual_seed(0))
    wrong = answer(denoiser, clothes, gaussian)
    _fails("not Gaussian", denoiser, wrong)


def test_a_degenerate_denoiser_fails(denoiser, clothes):
    # the identity: returns its noisy input
    identity = torch.nn.Identity()
    _fails("returns its noisy input", identity, answer(identity, clothes))
    # the same architecture untrained
    torch.manual_seed(5)
    fresh = ConvAutoencoder(latent=4, channels=(4, 8)).eval()
    _fails("untrained", fresh, answer(fresh, clothes))


def test_the_judge_side_decides_skipped(denoiser, clothes, monkeypatch, capsys):
    """Where Fashion-MNIST cannot be loaded the check skips whatever the notebook holds."""
    right = answer(denoiser, clothes)

    def unavailable(*args, **kwargs):
        raise DataUnavailable("Fashion-MNIST could not be downloaded (no network)")

    monkeypatch.setattr(denoising, "load_fashion_mnist", unavailable)
    check_fashion_denoising(denoiser, right)
    assert "ex-4.1 skipped" in capsys.readouterr().out


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


def test_none_fails_when_fashion_mnist_is_available(denoiser, clothes):
    _fails("can be loaded", denoiser, None)
