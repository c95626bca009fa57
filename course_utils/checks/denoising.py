"""Checks for chapter 4, the denoising autoencoder."""

from __future__ import annotations

import contextlib
import io

import torch

from ..baselines import median_filter
from ..data import DataUnavailable, load_fashion_mnist, load_mnist
from ..metrics import psnr
from ..training import apply_in_batches
from . import expect, expect_tensor, passed, skipped

AMOUNT = 0.2  # the salt-and-pepper amount the exercise asks for
KEYS = ("clean", "noisy", "denoised", "psnr_noisy", "psnr_median", "psnr_denoised")


def _fashion_unavailable_reason() -> str | None:
    """Why Fashion-MNIST cannot be loaded here, or None when it can."""
    try:
        load_fashion_mnist("test", limit=1)
    except DataUnavailable as error:
        return str(error)
    return None


def _fingerprints(images: torch.Tensor) -> set[bytes]:
    """One key per image: its pixels rounded to 8 bits (how the data sets store them)."""
    quantised = (
        (images.detach().cpu().float() * 255).round().clamp(0, 255).to(torch.uint8)
    )
    return {image.numpy().tobytes() for image in quantised}


def _share_found_in(images: torch.Tensor, reference: torch.Tensor) -> float:
    keys = [_fingerprints(image[None]).pop() for image in images]
    known = _fingerprints(reference)
    return sum(key in known for key in keys) / len(keys)


def _mnist_share(images: torch.Tensor) -> float:
    """The share of ``images`` that are MNIST digits (test or train split)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # not the loader's notes
            digits = torch.cat([load_mnist("test").images, load_mnist("train").images])
    except Exception:  # no MNIST here: nothing to compare with
        return 0.0
    return _share_found_in(images, digits)


def _salt_and_pepper_amount(
    clean: torch.Tensor, noisy: torch.Tensor
) -> tuple[float, float]:
    """Estimate salt-and-pepper's amount, and the share of salt among the hits.

    A hit pixel becomes 0 or 1 with probability 1/2 each; a pixel strictly between 0 and 1
    always changes when hit, one that already is 0 or 1 changes half the time. So
    E[changed] = amount * (n_between + n_extreme / 2).
    """
    changed = noisy != clean
    between = (clean > 0) & (clean < 1)
    effective = float(between.sum()) + 0.5 * float((~between).sum())
    amount = float(changed.sum()) / max(effective, 1.0)
    hit_between = changed & between
    salt = float((noisy[hit_between] == 1).float().mean()) if hit_between.any() else 0.5
    return amount, salt


def _expect_reported(ex: str, results: dict, key: str, recomputed: float) -> None:
    reported = results[key]
    expect(
        isinstance(reported, (int, float)) and abs(float(reported) - recomputed) < 0.01,
        ex,
        f"`fashion_results['{key}']` is {reported!r}, but the PSNR of your images is {recomputed:.2f} dB.",
        "compute it with `psnr(prediction, fashion.images)` from the tensors you store in `fashion_results`.",
    )


def check_fashion_denoising(
    denoiser: torch.nn.Module,
    fashion_results: dict | None,
    mnist_psnr: float | None = None,
) -> None:
    """ex-4.1: the MNIST denoiser applied to Fashion-MNIST with salt-and-pepper noise, PSNRs reported.

    ``fashion_results`` is None when Fashion-MNIST cannot be downloaded: the check then says so and
    skips, but only if the data set really is unavailable here.
    """
    ex = "ex-4.1"
    if fashion_results is None:
        reason = _fashion_unavailable_reason()
        if reason is not None:
            skipped(ex, f"{reason}, so there is nothing to check here.")
            return
        expect(
            False,
            ex,
            "`fashion_results` is None, but Fashion-MNIST can be loaded here.",
            "load it with `load_fashion_mnist('test', ...)` and fill in `fashion_results`.",
        )
    expect(
        isinstance(fashion_results, dict)
        and all(key in fashion_results for key in KEYS),
        ex,
        f"`fashion_results` should be a dict with the keys {', '.join(KEYS)}.",
        "store the three image tensors and the three PSNRs under these names.",
    )
    clean = expect_tensor(
        fashion_results["clean"],
        ex,
        "fashion_results['clean']",
        shape=(None, 1, 28, 28),
    )
    shape = tuple(clean.shape)
    noisy = expect_tensor(
        fashion_results["noisy"], ex, "fashion_results['noisy']", shape=shape
    )
    denoised = expect_tensor(
        fashion_results["denoised"], ex, "fashion_results['denoised']", shape=shape
    )
    mnist_share = _mnist_share(clean)
    expect(
        mnist_share < 0.5,
        ex,
        f"{mnist_share:.0%} of `fashion_results['clean']` are MNIST digits, not "
        "Fashion-MNIST clothes.",
        "load the images with `cu.data.load_fashion_mnist('test', limit=...)`: the point is "
        "to see what the digit denoiser does to images it has never seen the like of.",
    )
    try:
        fashion = load_fashion_mnist("test").images
    except DataUnavailable as error:
        fashion = None
        unavailable = str(error)
    expect(
        fashion is not None,
        ex,
        f"`fashion_results` holds images, but Fashion-MNIST cannot be loaded here "
        f"({unavailable if fashion is None else ''}), so they cannot be Fashion-MNIST.",
        "when the download fails, set `fashion_results = None`: the check then skips.",
    )
    found = _share_found_in(clean, fashion)
    expect(
        found == 1.0,
        ex,
        f"only {found:.0%} of `fashion_results['clean']` are Fashion-MNIST test images.",
        "store the clean images exactly as `load_fashion_mnist('test', ...)` returns them "
        "(no noise, no resizing, no normalisation).",
    )
    changed = noisy != clean
    only_extremes = bool(set(noisy[changed].unique().tolist()) <= {0.0, 1.0})
    expect(
        only_extremes,
        ex,
        "`noisy` should be `clean` with salt-and-pepper noise: every changed pixel set to 0 "
        "or 1, but some changed pixels have other values.",
        f"use `cu.corruption.salt_and_pepper(fashion.images, {AMOUNT}, generator=...)` on "
        "the clean images you store, not Gaussian noise.",
    )
    amount, salt = _salt_and_pepper_amount(clean, noisy)
    pixels = clean.numel()
    tolerance = max(0.01, 4 * (AMOUNT * (1 - AMOUNT) / pixels) ** 0.5)
    expect(
        abs(amount - AMOUNT) <= tolerance,
        ex,
        f"`noisy` looks like salt-and-pepper noise of amount {amount:.3f}, not {AMOUNT}.",
        f"pass `amount={AMOUNT}` (the share of pixels hit), the amount the MNIST denoiser "
        "was compared at.",
    )
    expect(
        abs(salt - 0.5) <= 0.1,
        ex,
        f"{salt:.0%} of the hit pixels became white (salt); salt-and-pepper makes half of "
        "them white and half black.",
        "use `cu.corruption.salt_and_pepper`, which draws both.",
    )
    expected = apply_in_batches(denoiser, noisy)
    expect(
        torch.allclose(expected, denoised, atol=1e-4),
        ex,
        "`denoised` is not what the denoiser makes of `noisy`.",
        "compute it with `apply_in_batches(denoiser, noisy)`, with the model trained on MNIST above.",
    )
    numbers = {
        "psnr_noisy": psnr(noisy, clean),
        "psnr_median": psnr(median_filter(noisy), clean),
        "psnr_denoised": psnr(denoised, clean),
    }
    for key, recomputed in numbers.items():
        _expect_reported(ex, fashion_results, key, recomputed)
    compared = "" if mnist_psnr is None else f" (on MNIST digits: {mnist_psnr:.2f} dB)"
    passed(
        ex,
        f"{len(clean)} Fashion-MNIST images; PSNR noisy {numbers['psnr_noisy']:.2f} dB, "
        f"median filter {numbers['psnr_median']:.2f} dB, "
        f"MNIST denoiser {numbers['psnr_denoised']:.2f} dB{compared}.",
    )
