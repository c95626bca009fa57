"""Checks for chapter 4, the denoising autoencoder: ex-4.1, the MNIST denoiser on
Fashion-MNIST.

The judge draws Fashion-MNIST test images and MNIST test digits and adds salt-and-pepper
noise; the notebook hands over what its denoiser, and an untrained copy of it, make of
them, and the clean and noisy images of its own `fashion_results`. The judge measures:
the student's images are Fashion-MNIST with the noise the task asks for, and the
denoiser is not the identity and denoises digits better than the same architecture
untrained. Skipped where Fashion-MNIST cannot be loaded.
"""

from __future__ import annotations

import contextlib
import io

import torch

from ..baselines import median_filter
from ..data import DataUnavailable, load_fashion_mnist, load_mnist
from ..metrics import psnr
from ..training import apply_in_batches
from . import expect, expect_tensor, untrained_copy
from .protocol import check

AMOUNT = 0.2  # the salt-and-pepper amount the exercise asks for
JUDGED = 100  # Fashion-MNIST images, and as many MNIST digits, the judge draws
KEYS = ("clean", "noisy", "denoised", "psnr_noisy", "psnr_median", "psnr_denoised")


def _fashion_unavailable_reason(scale: str) -> str | None:
    """Why Fashion-MNIST cannot be loaded here, or None when it can (at any scale)."""
    try:
        load_fashion_mnist("test", limit=1)
    except DataUnavailable as error:
        return str(error)
    return None


def _fingerprints(images: torch.Tensor) -> set[bytes]:
    """One key per image: its pixels rounded to 8 bits (how the data sets store
    them)."""
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

    A hit pixel becomes 0 or 1 with probability 1/2 each; a pixel strictly between 0 and
    1 always changes when hit, one that already is 0 or 1 changes half the time. So
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
        f"`fashion_results['{key}']` is {reported!r}, but the PSNR of your images is "
        f"{recomputed:.2f} dB.",
        "compute it with `psnr(prediction, fashion.images)` from the tensors you "
        "store in `fashion_results`.",
    )


def draw_noisy_images(generator: torch.Generator):
    """Fashion-MNIST and MNIST test images, and the same with salt-and-pepper noise."""
    from ..corruption import salt_and_pepper

    with contextlib.redirect_stdout(io.StringIO()):  # not the loaders' notes
        fashion = load_fashion_mnist("test").images
        digits = load_mnist("test").images
    inputs = {}
    for name, images in (("fashion", fashion), ("digits", digits)):
        chosen = images[torch.randperm(len(images), generator=generator)[:JUDGED]]
        inputs[f"{name}_clean"] = chosen
        inputs[f"{name}_noisy"] = salt_and_pepper(chosen, AMOUNT, generator=generator)
    return inputs


def judge_fashion_denoising(answer, inputs) -> str:
    ex = "ex-4.1"
    clean = expect_tensor(
        answer.get("clean"), ex, "fashion_results['clean']", shape=(None, 1, 28, 28)
    )
    noisy = expect_tensor(
        answer.get("noisy"), ex, "fashion_results['noisy']", shape=tuple(clean.shape)
    )
    mnist_share = _mnist_share(clean)
    expect(
        mnist_share < 0.5,
        ex,
        f"{mnist_share:.0%} of `fashion_results['clean']` are MNIST digits, not "
        "Fashion-MNIST clothes.",
        "load the images with `cu.data.load_fashion_mnist('test', limit=...)`: the "
        "point is to see what the digit denoiser does to images it has never seen the "
        "like of.",
    )
    with contextlib.redirect_stdout(io.StringIO()):
        fashion = load_fashion_mnist("test").images
    found = _share_found_in(clean, fashion)
    expect(
        found == 1.0,
        ex,
        f"only {found:.0%} of `fashion_results['clean']` are Fashion-MNIST test "
        "images.",
        "store the clean images exactly as `load_fashion_mnist('test', ...)` returns "
        "them (no noise, no resizing, no normalisation).",
    )
    changed = noisy != clean
    expect(
        bool(set(noisy[changed].unique().tolist()) <= {0.0, 1.0}),
        ex,
        "`noisy` should be `clean` with salt-and-pepper noise: every changed pixel "
        "set to 0 or 1, but some changed pixels have other values.",
        f"use `cu.corruption.salt_and_pepper(fashion.images, {AMOUNT}, "
        "generator=...)` on the clean images you store, not Gaussian noise.",
    )
    amount, salt = _salt_and_pepper_amount(clean, noisy)
    tolerance = max(0.01, 4 * (AMOUNT * (1 - AMOUNT) / clean.numel()) ** 0.5)
    expect(
        abs(amount - AMOUNT) <= tolerance,
        ex,
        f"`noisy` looks like salt-and-pepper noise of amount {amount:.3f}, not "
        f"{AMOUNT}.",
        f"pass `amount={AMOUNT}` (the share of pixels hit), the amount the MNIST "
        "denoiser was compared at.",
    )
    expect(
        abs(salt - 0.5) <= 0.1,
        ex,
        f"{salt:.0%} of the hit pixels became white (salt); salt-and-pepper makes "
        "half of them white and half black.",
        "use `cu.corruption.salt_and_pepper`, which draws both.",
    )
    measured = {}
    for name in ("fashion", "digits"):
        target, noisy_in = inputs[f"{name}_clean"], inputs[f"{name}_noisy"]
        for key in ("denoised", "untrained"):
            outputs = expect_tensor(
                answer.get(f"{name}_{key}"), ex, "the denoiser's output", target.shape
            )
            measured[name, key] = psnr(outputs, target)
        expect(
            not torch.allclose(answer[f"{name}_denoised"], noisy_in, atol=1e-3),
            ex,
            "`denoiser` returns its noisy input unchanged.",
            "pass the residual model trained above, `denoiser`, not an identity.",
        )
        measured[name, "median"] = psnr(median_filter(noisy_in), target)
        measured[name, "noisy"] = psnr(noisy_in, target)
    expect(
        measured["digits", "denoised"] > measured["digits", "untrained"],
        ex,
        "on noisy MNIST digits your denoiser reaches "
        f"{measured['digits', 'denoised']:.2f} dB, no better than the same "
        f"architecture untrained ({measured['digits', 'untrained']:.2f} dB).",
        "pass the model trained on MNIST above, `denoiser`.",
    )
    return (
        f"{len(clean)} Fashion-MNIST images with salt-and-pepper {AMOUNT}; on the "
        f"judge's clothes PSNR noisy {measured['fashion', 'noisy']:.2f} dB, median "
        f"filter {measured['fashion', 'median']:.2f} dB, MNIST denoiser "
        f"{measured['fashion', 'denoised']:.2f} dB (on digits: "
        f"{measured['digits', 'denoised']:.2f} dB)."
    )


@check(
    "ex-4.1",
    judge=judge_fashion_denoising,
    draw_inputs=draw_noisy_images,
    unavailable=_fashion_unavailable_reason,
)
def check_fashion_denoising(
    denoiser: torch.nn.Module,
    fashion_results: dict | None,
    mnist_psnr: float | None = None,
    *,
    inputs,
):
    """ex-4.1: the MNIST denoiser applied to Fashion-MNIST with salt-and-pepper noise,
    PSNRs reported. Runs only where Fashion-MNIST can be loaded (elsewhere the check is
    skipped)."""
    ex = "ex-4.1"
    expect(
        fashion_results is not None,
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
    expect(
        isinstance(denoiser, torch.nn.Module),
        ex,
        f"`denoiser` should be the trained model, but it is {type(denoiser).__name__}.",
        "pass `denoiser`, the residual model trained above.",
    )
    expect(
        torch.allclose(apply_in_batches(denoiser, noisy), denoised, atol=1e-4),
        ex,
        "`denoised` is not what the denoiser makes of `noisy`.",
        "compute it with `apply_in_batches(denoiser, noisy)`, with the model trained "
        "on MNIST above.",
    )
    numbers = {
        "psnr_noisy": psnr(noisy, clean),
        "psnr_median": psnr(median_filter(noisy), clean),
        "psnr_denoised": psnr(denoised, clean),
    }
    for key, recomputed in numbers.items():
        _expect_reported(ex, fashion_results, key, recomputed)
    untrained = untrained_copy(denoiser)
    answer = {"clean": clean, "noisy": noisy}
    for name in ("fashion", "digits"):
        answer[f"{name}_denoised"] = apply_in_batches(denoiser, inputs[f"{name}_noisy"])
        answer[f"{name}_untrained"] = apply_in_batches(
            untrained, inputs[f"{name}_noisy"]
        )
    return answer
