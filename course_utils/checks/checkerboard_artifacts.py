"""Checks for chapter 3, checkerboard artifacts: ex-3.1, the artifact strength of an
upsampler.

The notebook hands over the upsampler's responses (to the judge's random inputs, to
twice them, to zeros, and, from a float64 copy, to the probe images at the task's size
and at the sizes a slip would use) and the student's number. The judge recomputes the
artifact strength from the responses with NumPy's FFT, so the number is measured, not
taken on trust.
"""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np
import torch
from torch import nn

from ..artifacts import probe_images
from ..models.upsampling import UPSAMPLERS, upsampler
from . import expect
from .protocol import check

BORDER = 2  # artifact_strength's default
IN_CHANNELS, SIZE = 8, 7  # what the task asks for
OTHER_SIZES = (6, 8, 14)  # sizes a slip would measure at (SIZE - 1, SIZE + 1, 2 * SIZE)


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


def _nyquist_share_numpy(responses: np.ndarray) -> float:
    """The mean Nyquist share of probe responses (probes x C x H x W), border cut off,
    computed with NumPy's FFT: independent of :mod:`course_utils.artifacts`."""
    shares = []
    for response in responses:
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


def _probe_responses(layer: nn.Module, in_channels: int, size: int) -> torch.Tensor:
    """The responses (output minus the output for zeros) of a float64 CPU copy of
    ``layer`` to the probe images copied into every channel: probes x C x 2 size x 2
    size."""
    layer = copy.deepcopy(layer).cpu().double().eval()  # CPU first: MPS has no float64
    responses = []
    with torch.no_grad():
        for probe in probe_images(size).values():
            x = probe.double().expand(1, in_channels, size, size)
            responses.append((layer(x) - layer(torch.zeros_like(x)))[0])
    return torch.stack(responses)


def draw_upsampler_inputs(generator: torch.Generator):
    return {"x": torch.randn(2, IN_CHANNELS, SIZE, SIZE, generator=generator)}


def judge_artifact_strength(answer, inputs) -> str:
    ex = "ex-3.1"
    x = inputs["x"]
    size = x.shape[-1]
    kind = int(answer["chapter_kind"])
    expect(
        kind < 0,
        ex,
        f"`my_upsampler` is built like the chapter's own {list(UPSAMPLERS)[kind]!r} "
        "upsampler, "
        "whose strength the table already shows.",
        "pick another upsampler: bilinear resize + convolution, a kernel-2 stride-2 "
        "transposed convolution, or a sub-pixel convolution (Conv2d + PixelShuffle).",
    )
    y, y2, zero = answer["y"], answer["y2"], answer["zero"]
    expect(
        y.ndim == 4
        and y.shape[0] == x.shape[0]
        and tuple(y.shape[2:]) == (2 * size,) * 2,
        ex,
        f"`my_upsampler` should double the size: {size} x {size} -> {2 * size} x "
        f"{2 * size}, but it gives {tuple(y.shape[2:])}.",
        "check stride, padding and output_padding with the formula of chapter 2, or "
        "use scale_factor=2.",
    )
    expect(
        y2.shape == y.shape
        and torch.allclose(y2 - zero, 2 * (y - zero), atol=1e-4, rtol=1e-3),
        ex,
        "`my_upsampler` is not linear: doubling its input does not double its "
        "response.",
        "measure the upsampling layer alone, without an activation (ReLU, sigmoid) "
        "after it.",
    )
    strength = float(answer["strength"])
    expect(
        math.isfinite(strength),
        ex,
        f"`my_strength` should be a number, but it is {strength}.",
        "use the float that `cu.artifacts.artifact_strength(my_upsampler, "
        "in_channels=IN_CHANNELS, size=SIZE)` returns.",
    )
    expected = _nyquist_share_numpy(answer[f"probes_{size}"].numpy())
    wrong_size = next(
        (
            other
            for other in OTHER_SIZES
            if math.isclose(
                strength,
                _nyquist_share_numpy(answer[f"probes_{other}"].numpy()),
                rel_tol=1e-3,
                abs_tol=1e-7,
            )
        ),
        None,
    )
    expect(
        math.isclose(strength, expected, rel_tol=1e-3, abs_tol=1e-7),
        ex,
        f"`my_strength` is {strength:.6g}, but the artifact strength of `my_upsampler` "
        f"on {x.shape[1]} x {size} x {size} inputs is {expected:.6g}"
        + (f" (yours is its strength at size {wrong_size})." if wrong_size else "."),
        "compute it with `cu.artifacts.artifact_strength(my_upsampler, "
        f"in_channels={x.shape[1]}, size={size})` for this very module (not another "
        "one built the same way, whose random weights differ).",
    )
    return (
        f"`my_upsampler` doubles {size} x {size} to {2 * size} x {2 * size} linearly; "
        f"its artifact strength {strength:.4f} matches an independent recomputation (a "
        "float64 copy, NumPy's FFT)."
    )


@check("ex-3.1", judge=judge_artifact_strength, draw_inputs=draw_upsampler_inputs)
def check_artifact_strength(
    my_upsampler,
    my_strength,
    in_channels: int = IN_CHANNELS,
    size: int = SIZE,
    *,
    inputs,
):
    """ex-3.1: ``my_upsampler`` is an upsampler of the student's choice, not one of the
    chapter's three, that doubles the size of ``IN_CHANNELS``-channel maps linearly, and
    ``my_strength`` is its artifact strength (the Nyquist share of its output for the
    probe images, as :func:`course_utils.artifacts.artifact_strength` measures it).
    Hands over the layer's responses; the judge measures them."""
    ex = "ex-3.1"
    expect(
        isinstance(my_upsampler, nn.Module),
        ex,
        "`my_upsampler` should be a torch.nn.Module, but it is "
        f"{type(my_upsampler).__name__}.",
        "build it from layers, e.g. `nn.Sequential(nn.Upsample(...), nn.Conv2d(...))`.",
    )
    x = inputs["x"]
    expect(
        (in_channels, size) == tuple(x.shape[1:3]),
        ex,
        f"the task's upsampler takes {x.shape[1]} channels of size {x.shape[-1]}, but "
        f"the check was called with in_channels={in_channels!r}, size={size!r}.",
        "keep `IN_CHANNELS, SIZE = 8, 7` as the task sets them.",
    )
    strength = _as_float(my_strength)
    expect(
        strength is not None,
        ex,
        f"`my_strength` should be a number, but it is {my_strength!r}.",
        "use the float that `cu.artifacts.artifact_strength(my_upsampler, "
        "in_channels=..., size=...)` returns.",
    )
    kind = _chapter_kind(my_upsampler)
    # the check's own copy: on the CPU in float32 and in evaluation mode, whatever the
    # student's module is on, so that device, dtype and batch norm do not get in the way
    layer = copy.deepcopy(my_upsampler).cpu().float().eval()
    try:
        with torch.no_grad():
            y = layer(x)
            answer = {
                "y": y,
                "y2": layer(2 * x),
                "zero": layer(torch.zeros_like(x)),
            }
            for other in (size, *OTHER_SIZES):
                answer[f"probes_{other}"] = _probe_responses(
                    my_upsampler, in_channels, other
                )
    except Exception as error:  # any error of the student's module becomes a lesson
        first_line = str(error).splitlines()[0] if str(error) else ""
        expect(
            False,
            ex,
            f"`my_upsampler` fails on an input of shape {tuple(x.shape)} (or a probe "
            f"image of another size): {type(error).__name__}: {first_line}",
            f"it should take {in_channels} input channels, like the decoder's layers "
            "in this chapter, and double any size.",
        )
    expect(
        all(isinstance(v, torch.Tensor) for v in answer.values()),
        ex,
        f"`my_upsampler` should return a tensor, but it returns {type(y).__name__}.",
        "build it from torch.nn layers.",
    )
    answer["strength"] = torch.tensor(strength, dtype=torch.float64)
    answer["chapter_kind"] = torch.tensor(
        -1 if kind is None else list(UPSAMPLERS).index(kind)
    )
    return answer
