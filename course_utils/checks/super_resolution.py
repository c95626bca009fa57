"""Checks for chapter 5, super-resolution."""

from __future__ import annotations

import torch

from ..baselines import upsample
from ..config import is_tiny
from ..corruption import downscale
from ..data import DataUnavailable, load_cifar10
from ..metrics import psnr
from ..training import apply_in_batches
from . import expect, expect_tensor, passed, skipped


def _expect_outputs_of(
    ex: str, model, inputs: torch.Tensor, outputs: torch.Tensor, name: str, how: str
):
    expected = apply_in_batches(model, inputs)
    expect(
        expected.shape == outputs.shape
        and torch.allclose(expected, outputs, atol=1e-4),
        ex,
        f"`{name}` is not what your model makes of {how}.",
        f"compute it with `apply_in_batches(model, ...)` on {how}, after training.",
    )


INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


def _interpolation_it_equals(small: torch.Tensor, outputs: torch.Tensor) -> str | None:
    """The interpolation mode whose 4x upsampling of ``small`` ``outputs`` are, if any."""
    for mode in INTERPOLATIONS:
        extra = {} if mode == "nearest" else {"align_corners": False}
        plain = torch.nn.functional.interpolate(
            small, scale_factor=4, mode=mode, **extra
        )
        if torch.allclose(outputs, plain, atol=1e-3) or torch.allclose(
            outputs, plain.clamp(0, 1), atol=1e-3
        ):
            return mode
    return None


def _neighbour_correlation(images: torch.Tensor) -> float:
    """Correlation of horizontally adjacent pixels: about 0 for white noise, high for images."""
    left = images[..., :, :-1].flatten().double()
    right = images[..., :, 1:].flatten().double()
    return float(torch.corrcoef(torch.stack([left, right]))[0, 1])


def check_super_resolution_4x(
    model_4x, sr_4x, noise_in, noise_out, images: torch.Tensor
) -> None:
    """ex-5.1: a 4x model that turns 7 x 7 images into 28 x 28 ones better than nearest upsampling,
    and its answer to pure noise."""
    ex = "ex-5.1"
    sr_4x = expect_tensor(sr_4x, ex, "sr_4x", shape=(len(images), 1, 28, 28))
    small = downscale(images.cpu(), 4)
    _expect_outputs_of(
        ex,
        model_4x,
        small,
        sr_4x,
        "sr_4x",
        "the test images downscaled 4 times (7 x 7)",
    )
    trainable = sum(
        p.numel() for p in getattr(model_4x, "parameters", list)() if p.requires_grad
    )
    expect(
        trainable > 0,
        ex,
        "`model_4x` has nothing to train: it is a fixed interpolation, not a model.",
        "build it with `cu.models.conv.SuperResolution(factor=4, ...)` and train it with "
        "`cu.training.fit`.",
    )
    mode = _interpolation_it_equals(small, sr_4x)
    expect(
        mode is None,
        ex,
        f"`sr_4x` is plain {mode} interpolation of the 7 x 7 images, not what a trained "
        "network draws.",
        "compute `sr_4x` with your trained `model_4x`; interpolation is the baseline it "
        "is compared with.",
    )
    noise_in = expect_tensor(noise_in, ex, "noise_in", shape=(None, 1, 7, 7))
    noise_out = expect_tensor(
        noise_out, ex, "noise_out", shape=(len(noise_in), 1, 28, 28)
    )
    expect(
        float(noise_in.std()) > 0.1,
        ex,
        "`noise_in` does not look like noise: its pixels hardly vary.",
        "draw it with `torch.rand(n, 1, 7, 7, generator=...)`.",
    )
    correlation = _neighbour_correlation(noise_in)
    zeros = float((noise_in == 0).float().mean())
    mean = float(noise_in.mean())
    expect(
        correlation < 0.4 and zeros < 0.05 and 0.3 < mean < 0.7,
        ex,
        "`noise_in` does not look like uniform noise: neighbouring pixels correlate "
        f"{correlation:.2f}, {zeros:.0%} of the pixels are exactly 0, their mean is "
        f"{mean:.2f} (uniform noise: about 0, 0% and 0.5). Downscaled digits look like that.",
        "draw it with `torch.rand(n, 1, 7, 7, generator=...)`: the point is to see what the "
        "model makes of an input that is no digit at all.",
    )
    _expect_outputs_of(ex, model_4x, noise_in, noise_out, "noise_out", "`noise_in`")
    ours = psnr(sr_4x, images.cpu())
    nearest = psnr(upsample(small, 4, "nearest"), images.cpu())
    if not is_tiny():  # a model trained for a moment at the tiny scale need not win yet
        expect(
            ours > nearest,
            ex,
            f"your 4x model reaches {ours:.2f} dB, no better than nearest upsampling, which "
            f"repeats each pixel 4 x 4 times ({nearest:.2f} dB).",
            "train it longer, or check that the loss compares its output for "
            "`downscale(batch, 4)` with the full-size batch.",
        )
    passed(
        ex,
        f"7 x 7 -> 28 x 28; PSNR {ours:.2f} dB against {nearest:.2f} dB for nearest upsampling; "
        f"{len(noise_in)} noise images answered.",
    )


def check_cifar_super_resolution(model, cifar_results: dict | None) -> None:
    """ex-5.2 (optional): 2x super-resolution of CIFAR-10 colour images, PSNRs reported honestly.

    ``cifar_results`` is None when CIFAR-10 cannot be downloaded: the check then says so and skips,
    but only if the data set really is unavailable here.
    """
    ex = "ex-5.2"
    if cifar_results is None:
        try:
            load_cifar10("test", limit=1)
        except DataUnavailable as error:
            skipped(ex, f"{error}, so there is nothing to check here.")
            return
        expect(
            False,
            ex,
            "`cifar_results` is None, but CIFAR-10 can be loaded here.",
            "load it with `load_cifar10('test', ...)` and fill in `cifar_results`.",
        )
    keys = ("clean", "sr", "psnr_sr", "psnr_bicubic")
    expect(
        isinstance(cifar_results, dict) and all(key in cifar_results for key in keys),
        ex,
        f"`cifar_results` should be a dict with the keys {', '.join(keys)}.",
        "store the clean test images, your model's outputs and the two PSNRs under these names.",
    )
    clean = expect_tensor(
        cifar_results["clean"], ex, "cifar_results['clean']", shape=(None, 3, 32, 32)
    )
    sr = expect_tensor(
        cifar_results["sr"], ex, "cifar_results['sr']", shape=tuple(clean.shape)
    )
    _expect_outputs_of(
        ex,
        model,
        downscale(clean, 2),
        sr,
        "cifar_results['sr']",
        "the clean images downscaled 2 times (16 x 16)",
    )
    numbers = {
        "psnr_sr": psnr(sr, clean),
        "psnr_bicubic": psnr(upsample(downscale(clean, 2), 2), clean),
    }
    for key, recomputed in numbers.items():
        reported = cifar_results[key]
        expect(
            isinstance(reported, (int, float))
            and abs(float(reported) - recomputed) < 0.01,
            ex,
            f"`cifar_results['{key}']` is {reported!r}, but recomputed from your images it is "
            f"{recomputed:.2f} dB.",
            "compute it with `psnr(...)` against `cifar_results['clean']`.",
        )
    passed(
        ex,
        f"{len(clean)} CIFAR-10 images; PSNR {numbers['psnr_sr']:.2f} dB, "
        f"bicubic {numbers['psnr_bicubic']:.2f} dB.",
    )
