"""Checkerboard artifacts, measured: the overlap map, the Nyquist share of a spectrum, and the
artifact strength of an upsampling layer.

Odena et al. (2016): a transposed convolution whose kernel size is not divisible by its stride
writes to some output pixels more often than to others. Two measurements follow from that:

- :func:`overlap_map`: how many kernel taps land on each output pixel (a transposed
  convolution of ones with a kernel of ones);
- :func:`gain_map`: the same idea for a layer with learned weights: how much energy from the
  input reaches each output pixel (for all-ones weights it *is* the overlap map).

A pattern that repeats every 2 pixels shows up in the 2-D spectrum at the Nyquist frequencies
(period 2 along the rows, the columns, or both). :func:`nyquist_share` is the share of a map's
energy found there: 0 for no checkerboard, 0.19 for the 1-2-2-4 pattern of a kernel-3 stride-2
overlap map, 1 for a pure checkerboard with zero mean;
:func:`artifact_strength` is the Nyquist share of an upsampler's gain map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .arithmetic import conv_transpose_output_size
from .training import eval_mode
from .validation import check_int


def overlap_map(
    kernel_size: int,
    stride: int = 2,
    input_size: int = 6,
    padding: int = 0,
    layers: int = 1,
) -> torch.Tensor:
    """How many kernel taps of a transposed convolution land on each output pixel.

    A ``kernel_size x kernel_size`` kernel of ones, applied transposed with ``stride`` and
    ``padding`` to an ``input_size x input_size`` image of ones, ``layers`` times in a row
    (each layer's output is the next one's input, so the counts of stacked layers multiply
    and mix). Returns a 2-D tensor of counts.
    """
    check_int("layers", layers)
    size = input_size
    for _ in range(layers):
        # validates, names the bad argument
        conv_transpose_output_size(size, kernel_size, stride, padding)
        size = conv_transpose_output_size(size, kernel_size, stride, padding)
    counts = torch.ones(1, 1, input_size, input_size, dtype=torch.float64)
    ones = torch.ones(1, 1, kernel_size, kernel_size, dtype=torch.float64)
    for _ in range(layers):
        counts = F.conv_transpose2d(counts, ones, stride=stride, padding=padding)
    return counts[0, 0]


def nyquist_share(images: torch.Tensor) -> float:
    """Mean share of each image's spectral energy at the three Nyquist frequencies.

    ``images`` is ``H x W``, ``C x H x W`` or ``N x C x H x W`` with even ``H`` and ``W``. For
    each image, the energy ``|FFT2|^2`` at the frequencies (H/2, 0), (0, W/2) and (H/2, W/2),
    the patterns ``(-1)^row``, ``(-1)^column`` and ``(-1)^(row + column)``, is divided by the
    image's total energy (by Parseval, its sum of squares). An image of zeros counts as 0.
    The shares are averaged over all images and channels.
    """
    if not isinstance(images, torch.Tensor) or not 2 <= images.ndim <= 4:
        raise ValueError(
            "images must be a tensor H x W, C x H x W or N x C x H x W, got "
            f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}"
        )
    height, width = images.shape[-2:]
    if height % 2 or width % 2:
        raise ValueError(
            f"images must have an even height and width (the Nyquist frequency is period 2), "
            f"got {height} x {width}"
        )
    energy = torch.fft.fft2(images.detach().double().cpu()).abs() ** 2
    energy = energy.reshape(-1, height, width)
    at_nyquist = (
        energy[:, height // 2, 0]
        + energy[:, 0, width // 2]
        + energy[:, height // 2, width // 2]
    )
    total = energy.sum(dim=(1, 2))
    share = torch.where(
        total > 0, at_nyquist / total.clamp_min(1e-300), torch.zeros_like(total)
    )
    return float(share.mean())


@torch.no_grad()
def gain_map(layer: nn.Module, in_channels: int, size: int) -> torch.Tensor:
    """How strongly each output pixel of a linear (affine) ``layer`` depends on its input.

    Pixel ``(i, j)`` gets the squared norm of its row of the layer's matrix, ``sum_k A[ij, k]^2``,
    averaged over output channels: the variance it has when the input is white noise. It is
    computed exactly, by sending every unit input through the layer (bias removed). For a
    transposed convolution with weights of ones it equals :func:`overlap_map`. Returns ``H x W``.
    """
    if not isinstance(layer, nn.Module):
        raise ValueError(f"layer must be a torch.nn.Module, got {type(layer).__name__}")
    for name, value in (("in_channels", in_channels), ("size", size)):
        check_int(name, value)
    parameter = next(layer.parameters(), None)
    device, dtype = (
        (parameter.device, parameter.dtype)
        if parameter is not None
        else ("cpu", torch.float32)
    )
    units = torch.eye(in_channels * size * size, device=device, dtype=dtype).reshape(
        -1, in_channels, size, size
    )
    total = 0
    with eval_mode(layer):
        # the bias: the response to no input
        offset = layer(torch.zeros_like(units[:1]))
        for chunk in units.split(
            1024
        ):  # the matrix's rows, a chunk of unit inputs at a time
            total = total + ((layer(chunk) - offset) ** 2).cpu().double().sum(dim=0)
    return total.mean(dim=0)


def artifact_strength(
    layer: nn.Module, in_channels: int, size: int = 14, border: int = 2
) -> float:
    """The Nyquist share of ``layer``'s :func:`gain_map` inside a ``border`` (even, in pixels).

    0 means every output pixel is fed equally (no checkerboard); the uneven overlap of a
    kernel-3 stride-2 transposed convolution gives a large share. The border is cut off because
    padding feeds the edge pixels less, which is not the artifact we measure.
    """
    if (
        not isinstance(border, int)
        or isinstance(border, bool)
        or border < 0
        or border % 2
    ):
        raise ValueError(
            f"border must be an even non-negative integer (to keep the 2-pixel phase), got {border!r}"
        )
    gains = gain_map(layer, in_channels, size)
    if min(gains.shape) <= 2 * border:
        raise ValueError(
            f"border {border} leaves nothing of a {tuple(gains.shape)} output"
        )
    return nyquist_share(
        gains[border : gains.shape[0] - border, border : gains.shape[1] - border]
    )
