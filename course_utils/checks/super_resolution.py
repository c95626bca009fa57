"""Checks for chapter 5, super-resolution.

ex-5.1: the judge draws test digits and uniform noise; the notebook hands over what its
4x model, and an untrained copy of it, make of the digits shrunk to 7 x 7 and of the
noise. The judge measures the PSNR and compares it with bicubic interpolation (the
chapter's baseline), nearest upsampling and the untrained copy. ex-5.2 does the same
with CIFAR-10 at 2x (skipped where CIFAR-10 cannot be loaded).
"""

from __future__ import annotations

import torch

from ..baselines import upsample
from ..corruption import downscale
from ..data import DataUnavailable, load_cifar10
from ..metrics import psnr
from ..training import apply_in_batches
from . import expect, expect_tensor, untrained_copy
from .protocol import check

JUDGED = 200  # test images the judge draws
NOISE = 10  # noise images the judge draws


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
    """The interpolation mode whose 4x upsampling of ``small`` ``outputs`` are, if
    any."""
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
    """Correlation of horizontally adjacent pixels: about 0 for white noise, high for
    images."""
    left = images[..., :, :-1].flatten().double()
    right = images[..., :, 1:].flatten().double()
    return float(torch.corrcoef(torch.stack([left, right]))[0, 1])


def draw_digits_and_noise(generator: torch.Generator):
    """Test digits drawn at random, and 7 x 7 images of uniform noise."""
    from ..data import load_mnist

    test = load_mnist("test").images
    chosen = test[torch.randperm(len(test), generator=generator)[:JUDGED]]
    return {
        "images": chosen,
        "noise": torch.rand(NOISE, 1, 7, 7, generator=generator),
    }


def _psnr_bar(
    ex, images, small, factor, outputs, untrained, model_name, beat_bicubic=True
):
    """PSNRs of the model and of bicubic; fails unless the model beats nearest
    upsampling, the untrained copy and (where ``beat_bicubic``) bicubic
    interpolation."""
    ours = psnr(outputs, images)
    bicubic = psnr(upsample(small, factor, "bicubic"), images)
    nearest = psnr(upsample(small, factor, "nearest"), images)
    fresh = psnr(untrained, images)
    expect(
        ours > max(bicubic if beat_bicubic else nearest, nearest, fresh),
        ex,
        f"your {factor}x model reaches {ours:.2f} dB on the judge's images; it should "
        "beat "
        + (f"bicubic interpolation ({bicubic:.2f} dB), " if beat_bicubic else "")
        + f"nearest upsampling ({nearest:.2f} dB) and the same architecture untrained "
        f"({fresh:.2f} dB).",
        f"train `{model_name}` as the task says (its epochs, `lr=LR`), with a loss "
        f"that compares its output for `downscale(batch, {factor})` with the "
        "full-size batch.",
    )
    return ours, bicubic


def judge_super_resolution_4x(answer, inputs) -> str:
    ex = "ex-5.1"
    images, noise = inputs["images"], inputs["noise"]
    small = downscale(images, 4)
    outputs = expect_tensor(answer.get("sr"), ex, "sr_4x", shape=tuple(images.shape))
    untrained = expect_tensor(
        answer.get("untrained"), ex, "untrained", shape=tuple(images.shape)
    )
    expect(
        int(answer.get("trainable", torch.tensor(0))) > 0,
        ex,
        "`model_4x` has nothing to train: it is a fixed interpolation, not a model.",
        "build it with `cu.models.conv.SuperResolution(factor=4, ...)` and train it "
        "with `cu.training.fit`.",
    )
    mode = _interpolation_it_equals(small, outputs)
    expect(
        mode is None,
        ex,
        f"`model_4x` is plain {mode} interpolation of the 7 x 7 images, not what a "
        "trained network draws.",
        "interpolation is the baseline the model is compared with, not the model.",
    )
    ours, bicubic = _psnr_bar(ex, images, small, 4, outputs, untrained, "model_4x")
    noise_out = expect_tensor(
        answer.get("noise_out"), ex, "noise_out", shape=(len(noise), 1, 28, 28)
    )
    return (
        f"7 x 7 -> 28 x 28; PSNR {ours:.2f} dB against {bicubic:.2f} dB for bicubic "
        f"interpolation on {len(images)} digits the judge drew; {len(noise_out)} noise "
        "images answered."
    )


@check("ex-5.1", judge=judge_super_resolution_4x, draw_inputs=draw_digits_and_noise)
def check_super_resolution_4x(
    model_4x, sr_4x, noise_in, noise_out, images: torch.Tensor, *, inputs
):
    """ex-5.1: a 4x model that turns 7 x 7 images into 28 x 28 ones better than bicubic
    interpolation, and its answer to pure noise."""
    ex = "ex-5.1"
    expect(
        isinstance(model_4x, torch.nn.Module),
        ex,
        f"`model_4x` should be a torch.nn.Module, but it is {type(model_4x).__name__}.",
        "build it with `cu.models.conv.SuperResolution(factor=4, channels=CHANNELS)`.",
    )
    sr_4x = expect_tensor(sr_4x, ex, "sr_4x", shape=(len(images), 1, 28, 28))
    _expect_outputs_of(
        ex,
        model_4x,
        downscale(images.cpu(), 4),
        sr_4x,
        "sr_4x",
        "the test images downscaled 4 times (7 x 7)",
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
        f"{mean:.2f} (uniform noise: about 0, 0% and 0.5). Downscaled digits look "
        "like that.",
        "draw it with `torch.rand(n, 1, 7, 7, generator=...)`: the point is to see "
        "what the model makes of an input that is no digit at all.",
    )
    _expect_outputs_of(ex, model_4x, noise_in, noise_out, "noise_out", "`noise_in`")
    small = downscale(inputs["images"], 4)
    trainable = sum(p.numel() for p in model_4x.parameters() if p.requires_grad)
    return {
        "sr": apply_in_batches(model_4x, small),
        "untrained": apply_in_batches(untrained_copy(model_4x), small),
        "noise_out": apply_in_batches(model_4x, inputs["noise"]),
        "trainable": torch.tensor(trainable),
    }


def _cifar_unavailable(scale: str) -> str | None:
    """Why CIFAR-10 cannot be loaded here, or None when it can (at any scale)."""
    try:
        load_cifar10("test", limit=1)
    except DataUnavailable as error:
        return f"{error}, so there is nothing to check here."
    return None


def draw_cifar_images(generator: torch.Generator):
    test = load_cifar10("test").images
    return {"images": test[torch.randperm(len(test), generator=generator)[:JUDGED]]}


def judge_cifar_super_resolution(answer, inputs) -> str:
    ex = "ex-5.2"
    images = inputs["images"]
    outputs = expect_tensor(answer.get("sr"), ex, "sr", shape=tuple(images.shape))
    untrained = expect_tensor(
        answer.get("untrained"), ex, "untrained", shape=tuple(images.shape)
    )
    ours, bicubic = _psnr_bar(
        ex,
        images,
        downscale(images, 2),
        2,
        outputs,
        untrained,
        "model_cifar",
        beat_bicubic=False,  # photographs: a small model may not (the page says why)
    )
    return (
        f"{len(images)} CIFAR-10 images the judge drew; PSNR {ours:.2f} dB, bicubic "
        f"{bicubic:.2f} dB."
    )


@check(
    "ex-5.2",
    judge=judge_cifar_super_resolution,
    draw_inputs=draw_cifar_images,
    unavailable=_cifar_unavailable,
)
def check_cifar_super_resolution(model, cifar_results: dict | None, *, inputs):
    """ex-5.2 (optional): 2x super-resolution of CIFAR-10 colour images, PSNRs reported
    honestly. Runs only where CIFAR-10 can be loaded (elsewhere the check is
    skipped)."""
    ex = "ex-5.2"
    expect(
        cifar_results is not None,
        ex,
        "`cifar_results` is None, but CIFAR-10 can be loaded here.",
        "load it with `load_cifar10('test', ...)` and fill in `cifar_results`.",
    )
    keys = ("clean", "sr", "psnr_sr", "psnr_bicubic")
    expect(
        isinstance(cifar_results, dict) and all(key in cifar_results for key in keys),
        ex,
        f"`cifar_results` should be a dict with the keys {', '.join(keys)}.",
        "store the clean test images, your model's outputs and the two PSNRs under "
        "these names.",
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
            f"`cifar_results['{key}']` is {reported!r}, but recomputed from your "
            f"images it is {recomputed:.2f} dB.",
            "compute it with `psnr(...)` against `cifar_results['clean']`.",
        )
    small = downscale(inputs["images"], 2)
    return {
        "sr": apply_in_batches(model, small),
        "untrained": apply_in_batches(untrained_copy(model), small),
    }
