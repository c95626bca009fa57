"""Checks for chapter 4, the denoising autoencoder."""

from __future__ import annotations

import torch

from ..baselines import median_filter
from ..data import DataUnavailable, load_fashion_mnist
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
    changed = noisy != clean
    fraction = changed.float().mean().item()
    expect(
        bool(set(noisy[changed].unique().tolist()) <= {0.0, 1.0})
        and 0.05 < fraction <= AMOUNT + 0.02,
        ex,
        f"`noisy` should be `clean` with salt-and-pepper noise of amount {AMOUNT}; "
        f"{fraction:.1%} of its pixels differ, not all of them set to 0 or 1.",
        f"use `salt_and_pepper(fashion.images, {AMOUNT}, generator)` on the clean images you store.",
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
