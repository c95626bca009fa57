"""Checks for chapter 3, checkerboard artifacts: ex-3.1, the artifact strength of an upsampler."""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from . import expect, passed


def _independent_strength(
    upsampler: nn.Module, in_channels: int, size: int, border: int = 2
) -> float:
    """The artifact strength recomputed another way: the layer's matrix in float64, NumPy's FFT."""
    layer = copy.deepcopy(upsampler).double().eval()
    with torch.no_grad():
        basis = torch.eye(in_channels * size * size, dtype=torch.float64).reshape(
            -1, in_channels, size, size
        )
        # column k of A is the response to unit k
        columns = layer(basis) - layer(torch.zeros_like(basis[:1]))
    matrix = columns.flatten(start_dim=1).numpy().T  # (C x H x W) x (C_in x n x n)
    out_channels, height, width = columns.shape[1:]
    gains = (matrix**2).sum(axis=1).reshape(out_channels, height, width).mean(axis=0)
    gains = gains[border : height - border, border : width - border]
    energy = np.abs(np.fft.fft2(gains)) ** 2
    h, w = gains.shape
    total = energy.sum()
    return (
        float((energy[h // 2, 0] + energy[0, w // 2] + energy[h // 2, w // 2]) / total)
        if total > 0
        else 0.0
    )


def check_artifact_strength(
    my_upsampler, my_strength, in_channels: int, size: int
) -> None:
    """ex-3.1: ``my_upsampler`` doubles the size of ``in_channels``-channel maps linearly, and
    ``my_strength`` is its artifact strength (the Nyquist share of its gain map, border 2)."""
    ex = "ex-3.1"
    expect(
        isinstance(my_upsampler, nn.Module),
        ex,
        f"`my_upsampler` should be a torch.nn.Module, but it is {type(my_upsampler).__name__}.",
        "build it from layers, e.g. `nn.Sequential(nn.Upsample(...), nn.Conv2d(...))`.",
    )
    x = torch.randn(
        2, in_channels, size, size, generator=torch.Generator().manual_seed(0)
    )
    try:
        with torch.no_grad():
            y = my_upsampler(x)
    except (
        Exception
    ) as error:  # any error of the student's module becomes a lesson, not a traceback
        expect(
            False,
            ex,
            f"`my_upsampler` fails on an input of shape {tuple(x.shape)}: "
            f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
            f"it should take {in_channels} input channels, like the decoder's layers in this chapter.",
        )
    expect(
        isinstance(y, torch.Tensor)
        and y.ndim == 4
        and y.shape[0] == 2
        and tuple(y.shape[2:]) == (2 * size, 2 * size),
        ex,
        f"`my_upsampler` should double the size: {size} x {size} -> {2 * size} x {2 * size}, "
        f"but it gives {tuple(y.shape[2:]) if isinstance(y, torch.Tensor) else type(y).__name__}.",
        "check stride, padding and output_padding with the formula of chapter 2, or use scale_factor=2.",
    )
    with torch.no_grad():
        zero = my_upsampler(torch.zeros_like(x[:1]))
        y2 = my_upsampler(2 * x) - zero
        linear = torch.allclose(y2, 2 * (y - zero), atol=1e-4, rtol=1e-3)
    expect(
        linear,
        ex,
        "`my_upsampler` is not linear: doubling its input does not double its response.",
        "measure the upsampling layer alone, without an activation (ReLU, sigmoid) after it.",
    )
    expect(
        isinstance(my_strength, (int, float))
        and not isinstance(my_strength, bool)
        and math.isfinite(my_strength),
        ex,
        f"`my_strength` should be a number, but it is {my_strength!r}.",
        "use the float that `artifact_strength(my_upsampler, in_channels=..., size=...)` returns.",
    )
    expected = _independent_strength(my_upsampler, in_channels, size)
    expect(
        math.isclose(my_strength, expected, rel_tol=1e-3, abs_tol=1e-7),
        ex,
        f"`my_strength` is {my_strength:.6g}, but the artifact strength of `my_upsampler` on "
        f"{in_channels} x {size} x {size} inputs is {expected:.6g}.",
        f"compute it with `artifact_strength(my_upsampler, in_channels={in_channels}, size={size})` for the "
        "same module, after building it (and before training it).",
    )
    passed(
        ex,
        f"`my_upsampler` doubles {size} x {size} to {2 * size} x {2 * size} linearly; its artifact strength "
        f"{my_strength:.4f} matches an independent recomputation (its matrix in float64, NumPy's FFT).",
    )
