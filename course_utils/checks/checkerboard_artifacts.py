"""Checks for chapter 3, checkerboard artifacts: ex-3.1, the artifact strength of an upsampler."""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np
import torch
from torch import nn

from ..artifacts import probe_images
from ..models.upsampling import UPSAMPLERS, upsampler
from . import expect, passed

BORDER = 2  # artifact_strength's default


def _independent_strength(layer: nn.Module, in_channels: int, size: int) -> float:
    """The artifact strength recomputed another way: a float64 copy of the layer on the CPU,
    NumPy's FFT of its responses to the probe images, in evaluation mode."""
    layer = (
        copy.deepcopy(layer).cpu().double().eval()
    )  # to the CPU first: MPS has no float64
    shares = []
    with torch.no_grad():
        for probe in probe_images(size).values():
            x = probe.double().expand(1, in_channels, size, size)
            response = (layer(x) - layer(torch.zeros_like(x)))[0].numpy()
            h, w = response.shape[-2:]
            response = response[:, BORDER : h - BORDER, BORDER : w - BORDER]
            energy = np.abs(np.fft.fft2(response)) ** 2
            h, w = energy.shape[-2:]
            nyquist = (
                energy[:, h // 2, 0] + energy[:, 0, w // 2] + energy[:, h // 2, w // 2]
            )
            total = energy.sum()
            shares.append(float(nyquist.sum() / total) if total > 0 else 0.0)
    return sum(shares) / len(shares)


def _signature(module: nn.Module) -> list:
    """The layers of ``module`` with the settings that make an upsampler what it is."""
    found = []
    for layer in module.modules():
        if isinstance(layer, nn.ConvTranspose2d):
            found.append(
                ("ConvTranspose2d", layer.kernel_size, layer.stride, layer.padding)
            )
        elif isinstance(layer, nn.Conv2d):
            found.append(("Conv2d", layer.kernel_size, layer.stride, layer.padding))
        elif isinstance(layer, nn.Upsample):
            found.append(("Upsample", layer.mode))
        elif isinstance(layer, nn.PixelShuffle):
            found.append(("PixelShuffle", layer.upscale_factor))
    return found


def _chapter_kind(module: nn.Module) -> str | None:
    """The name of the chapter's upsampler that ``module`` is built like, if any."""
    for kind in UPSAMPLERS:
        if _signature(module) == _signature(upsampler(kind, 1, 1)):
            return kind
    return None


def _as_float(value) -> float | None:
    if (
        isinstance(value, torch.Tensor)
        and value.numel() == 1
        and value.is_floating_point()
    ):
        return float(value.detach().cpu())
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def check_artifact_strength(
    my_upsampler, my_strength, in_channels: int, size: int
) -> None:
    """ex-3.1: ``my_upsampler`` is an upsampler of the student's choice, not one of the
    chapter's three, that doubles the size of ``in_channels``-channel maps linearly, and
    ``my_strength`` is its artifact strength (the Nyquist share of its output for the probe
    images, as :func:`course_utils.artifacts.artifact_strength` measures it)."""
    ex = "ex-3.1"
    expect(
        isinstance(my_upsampler, nn.Module),
        ex,
        "`my_upsampler` should be a torch.nn.Module, but it is "
        f"{type(my_upsampler).__name__}.",
        "build it from layers, e.g. `nn.Sequential(nn.Upsample(...), nn.Conv2d(...))`.",
    )
    kind = _chapter_kind(my_upsampler)
    expect(
        kind is None,
        ex,
        f"`my_upsampler` is built like the chapter's own {kind!r}, whose strength the "
        "table already shows.",
        "pick another upsampler: bilinear resize + convolution, a kernel-2 stride-2 "
        "transposed convolution, or a sub-pixel convolution (Conv2d + PixelShuffle).",
    )
    # the check's own copy: on the CPU in float32 and in evaluation mode, whatever the
    # student's module is on, so that device, dtype and batch norm do not get in the way
    layer = copy.deepcopy(my_upsampler).cpu().float().eval()
    x = torch.randn(
        2, in_channels, size, size, generator=torch.Generator().manual_seed(0)
    )
    try:
        with torch.no_grad():
            y = layer(x)
    except Exception as error:  # any error of the student's module becomes a lesson
        first_line = str(error).splitlines()[0] if str(error) else ""
        expect(
            False,
            ex,
            f"`my_upsampler` fails on an input of shape {tuple(x.shape)}: "
            f"{type(error).__name__}: {first_line}",
            f"it should take {in_channels} input channels, like the decoder's layers in "
            "this chapter.",
        )
    got = tuple(y.shape[2:]) if isinstance(y, torch.Tensor) else type(y).__name__
    expect(
        isinstance(y, torch.Tensor)
        and y.ndim == 4
        and y.shape[0] == 2
        and tuple(y.shape[2:]) == (2 * size, 2 * size),
        ex,
        f"`my_upsampler` should double the size: {size} x {size} -> "
        f"{2 * size} x {2 * size}, but it gives {got}.",
        "check stride, padding and output_padding with the formula of chapter 2, or use "
        "scale_factor=2.",
    )
    with torch.no_grad():
        zero = layer(torch.zeros_like(x[:1]))
        y2 = layer(2 * x) - zero
        linear = torch.allclose(y2, 2 * (y - zero), atol=1e-4, rtol=1e-3)
    expect(
        linear,
        ex,
        "`my_upsampler` is not linear: doubling its input does not double its response.",
        "measure the upsampling layer alone, without an activation (ReLU, sigmoid) after it.",
    )
    strength = _as_float(my_strength)
    expect(
        strength is not None and math.isfinite(strength),
        ex,
        f"`my_strength` should be a number, but it is {my_strength!r}.",
        "use the float that `cu.artifacts.artifact_strength(my_upsampler, in_channels=..., "
        "size=...)` returns.",
    )
    expected = _independent_strength(my_upsampler, in_channels, size)
    wrong_size = next(
        (
            other
            for other in {size - 1, size + 1, 2 * size, 14, 7} - {size}
            if other >= 2 * BORDER + 1
            and math.isclose(
                strength,
                _independent_strength(my_upsampler, in_channels, other),
                rel_tol=1e-3,
                abs_tol=1e-7,
            )
        ),
        None,
    )
    expect(
        math.isclose(strength, expected, rel_tol=1e-3, abs_tol=1e-7),
        ex,
        f"`my_strength` is {strength:.6g}, but the artifact strength of `my_upsampler` on "
        f"{in_channels} x {size} x {size} inputs is {expected:.6g}"
        + (f" (yours is its strength at size {wrong_size})." if wrong_size else "."),
        "compute it with `cu.artifacts.artifact_strength(my_upsampler, "
        f"in_channels={in_channels}, size={size})` for this very module (not another one "
        "built the same way, whose random weights differ).",
    )
    passed(
        ex,
        f"`my_upsampler` doubles {size} x {size} to {2 * size} x {2 * size} linearly; its "
        f"artifact strength {strength:.4f} matches an independent recomputation (a float64 "
        "copy, NumPy's FFT).",
    )
