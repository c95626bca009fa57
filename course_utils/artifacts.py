"""Checkerboard artifacts, measured: the overlap map, the Nyquist share of a spectrum,
and the artifact strength of an upsampling layer.

Odena et al. (2016): a transposed convolution whose kernel size is not divisible by its
stride writes to some output pixels more often than to others. Two measurements follow
from that:

- :func:`overlap_map`: how many kernel taps land on each output pixel (a transposed
  convolution of ones with a kernel of ones);
- :func:`gain_map`: the same idea for a layer with learned weights: how much energy from
  the input reaches each output pixel (for all-ones weights it *is* the overlap map).

A pattern that repeats every 2 pixels shows up in the 2-D spectrum at the Nyquist
frequencies (period 2 along the rows, the columns, or both). :func:`nyquist_share` is
the share of an image's energy found there: 0 for no checkerboard, 0.19 for the 1-2-2-4
pattern of a kernel-3 stride-2 overlap map, 1 for a pure checkerboard with zero mean.

:func:`artifact_strength` measures what a reader sees: the Nyquist share of an
upsampler's *output* for inputs that have no period-2 pattern of their own
(:func:`probe_images`: a constant, a smooth ramp and a real handwritten digit). An
upsampled image holds the input's frequencies at half the output's rate, so nothing at
the output's Nyquist frequencies comes from the input: all of it is drawn by the layer.
The gain map, by contrast, says how unevenly the layer passes white-noise *variance*; a
layer can have a flat output and an uneven gain map, or the other way round.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from .arithmetic import conv_transpose_output_size
from .training import eval_mode
from .validation import (
    integer,
    module,
    non_negative_int,
    positive_int,
    requires,
    tensor,
    validated,
)

# a border cut off all round, even so that the 2-pixel phase stays where it was
even_border = integer(0, even=True)


@validated(layers=positive_int)
def overlap_map(
    kernel_size: int,
    stride: int = 2,
    input_size: int = 6,
    padding: int = 0,
    layers: int = 1,
) -> torch.Tensor:
    """How many kernel taps of a transposed convolution land on each output pixel.

    A ``kernel_size x kernel_size`` kernel of ones, applied transposed with ``stride``
    and ``padding`` to an ``input_size x input_size`` image of ones, ``layers`` times in
    a row (each layer's output is the next one's input, so the counts of stacked layers
    multiply and mix). Returns a 2-D tensor of counts.
    """
    size = input_size
    for _ in range(layers):
        # checks that every layer has an output, naming the bad argument if not
        size = conv_transpose_output_size(size, kernel_size, stride, padding)
    counts = torch.ones(1, 1, input_size, input_size, dtype=torch.float64)
    ones = torch.ones(1, 1, kernel_size, kernel_size, dtype=torch.float64)
    for _ in range(layers):
        counts = F.conv_transpose2d(counts, ones, stride=stride, padding=padding)
    return counts[0, 0]


def _even_sized(images, **_) -> bool:
    return images.shape[-2] % 2 == 0 and images.shape[-1] % 2 == 0


@validated(
    requires(
        _even_sized,
        "images must have an even height and width (the Nyquist frequency is period 2)",
    ),
    images=tensor("H x W, C x H x W or N x C x H x W", min_ndim=2, max_ndim=4),
)
def nyquist_share(images: torch.Tensor) -> float:
    """Mean share of each image's spectral energy at the three Nyquist frequencies.

    ``images`` is ``H x W``, ``C x H x W`` or ``N x C x H x W`` with even ``H`` and
    ``W``. For each image, the energy ``|FFT2|^2`` at the frequencies (H/2, 0), (0, W/2)
    and (H/2, W/2), the patterns ``(-1)^row``, ``(-1)^column`` and ``(-1)^(row +
    column)``, is divided by the image's total energy (by Parseval, its sum of squares).
    An image of zeros counts as 0. The shares are averaged over all images and channels.
    """
    height, width = images.shape[-2:]
    # to the CPU first: some devices (Apple's MPS) have no float64
    energy = torch.fft.fft2(images.detach().cpu().double()).abs() ** 2
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
@validated(layer=module, in_channels=positive_int, size=positive_int)
def gain_map(layer: nn.Module, in_channels: int, size: int) -> torch.Tensor:
    """How much each output pixel of a linear (affine) ``layer`` depends on its input.

    Pixel ``(i, j)`` gets the squared norm of its row of the layer's matrix, ``sum_k
    A[ij, k]^2``, averaged over output channels: the variance it has when the input is
    white noise. It is computed exactly, by sending every unit input through the layer
    (bias removed). For a transposed convolution with weights of ones it equals
    :func:`overlap_map`. Returns ``H x W``.
    """
    device, dtype = _device_and_dtype(layer)
    units = torch.eye(in_channels * size * size, device=device, dtype=dtype).reshape(
        -1, in_channels, size, size
    )
    total = 0
    with eval_mode(layer):
        # the bias: the response to no input
        offset = layer(torch.zeros_like(units[:1]))
        # the matrix's rows, a chunk of unit inputs at a time
        for chunk in units.split(1024):
            total = total + ((layer(chunk) - offset) ** 2).cpu().double().sum(dim=0)
    return total.mean(dim=0)


@functools.cache
def _digit() -> torch.Tensor:
    """A real handwritten 3, from scikit-learn's bundled 8 x 8 digits (no download)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    first_three = int((digits.target == 3).nonzero()[0][0])
    return torch.tensor(digits.images[first_three], dtype=torch.float32) / 16


@validated(size=integer(4))
def probe_images(size: int) -> dict[str, torch.Tensor]:
    """Three ``size x size`` inputs in [0, 1] with no period-2 pattern of their own.

    ``"constant"`` (ones), ``"ramp"`` (rising linearly from 0 in one corner to 1 in the
    opposite one) and ``"digit"`` (a handwritten 3 from scikit-learn's digits, resized
    to ``size - 2`` with antialiasing and framed by one row and column of zeros, like
    MNIST's empty border).
    """
    steps = torch.linspace(0, 1, size)
    digit = F.interpolate(
        _digit()[None, None], size=(size - 2, size - 2), mode="bilinear", antialias=True
    )
    return {
        "constant": torch.ones(size, size),
        "ramp": (steps[:, None] + steps[None, :]) / 2,
        "digit": F.pad(digit[0, 0].clamp(0, 1), (1, 1, 1, 1)),
    }


def _device_and_dtype(layer: nn.Module):
    parameter = next(layer.parameters(), None)
    if parameter is None:
        return torch.device("cpu"), torch.float32
    return parameter.device, parameter.dtype


@torch.no_grad()
def _border_leaves_output(layer, in_channels, size, border, **_) -> bool:
    device, dtype = _device_and_dtype(layer)
    with eval_mode(layer):
        output = layer(
            torch.zeros(1, in_channels, size, size, device=device, dtype=dtype)
        )
    height, width = output.shape[-2:]
    return min(height, width) > 2 * border and not (height % 2 or width % 2)


@torch.no_grad()
@validated(
    requires(
        _border_leaves_output,
        "border {border} leaves nothing even-sized of the layer's output",
    ),
    layer=module,
    in_channels=positive_int,
    size=integer(4),
    border=even_border,
)
def output_nyquist_shares(
    layer: nn.Module, in_channels: int, size: int, border: int = 2
) -> dict[str, float]:
    """The Nyquist share of ``layer``'s response to each of :func:`probe_images`.

    Each probe is copied into all ``in_channels`` channels and sent through ``layer``
    (in evaluation mode); the response is the output minus the output for an input of
    zeros (the bias, a constant, has no pattern). A ``border`` of pixels (even) is cut
    off all round, because zero padding changes the edge pixels, which is not the
    artifact. The share is the energy at the three Nyquist frequencies, summed over
    output channels, divided by the total energy, summed over output channels (0 when
    the response is zero).
    """
    device, dtype = _device_and_dtype(layer)
    with eval_mode(layer):
        shares = {}
        for name, probe in probe_images(size).items():
            x = probe.to(device=device, dtype=dtype).expand(1, in_channels, size, size)
            response = layer(x) - layer(torch.zeros_like(x))
            # to the CPU before float64: Apple's MPS has no float64
            response = response.detach().cpu().double()[0]
            height, width = response.shape[-2:]
            response = response[:, border : height - border, border : width - border]
            energy = torch.fft.fft2(response).abs() ** 2
            h, w = response.shape[-2:]
            at_nyquist = (
                energy[:, h // 2, 0] + energy[:, 0, w // 2] + energy[:, h // 2, w // 2]
            ).sum()
            total = energy.sum()
            shares[name] = float(at_nyquist / total) if total > 0 else 0.0
    return shares


def artifact_strength(
    layer: nn.Module, in_channels: int, size: int = 14, border: int = 2
) -> float:
    """How much of an upsampler's output is a period-2 pattern: 0 none, 1 nothing else.

    The mean of :func:`output_nyquist_shares` over the three :func:`probe_images`: the
    share of the output's energy at the Nyquist frequencies, for inputs that have none.
    Nearest-neighbour upsampling scores exactly 0. A layer that turns each input pixel
    into a 2 x 2 tile ``[[x, -x], [-x, x]]`` (nothing but a checkerboard) scores 1 on
    the constant, but less on the ramp (0.88) and the digit (0.46) at ``size=14``: there
    the checkerboard's amplitude follows the image, which spreads its energy around the
    Nyquist frequencies (0.78 on average). Measure a layer as built (its random
    initialisation) or after training.
    """
    shares = output_nyquist_shares(layer, in_channels, size, border)
    return sum(shares.values()) / len(shares)


@torch.no_grad()
@validated(border=even_border, channel=non_negative_int)
def phase_gains(
    layer: nn.Module, in_channels: int, size: int, border: int = 2, channel: int = 0
) -> dict[str, torch.Tensor]:
    """What an upsampler does at its four output phases (row, column even or odd).

    Returns two 2 x 2 tensors for output ``channel``, entry ``[a, b]`` the mean over the
    interior pixels whose row is ``a`` and column is ``b`` modulo 2: ``"constant"``, the
    response to an input of ones in every channel (bias removed), and ``"noise"``, the
    :func:`gain_map` (its variance for white-noise input). Equal ``"constant"`` entries
    mean a flat input gives a flat output; equal ``"noise"`` entries mean every phase
    passes the same noise variance.
    """
    device, dtype = _device_and_dtype(layer)
    ones = torch.ones(1, in_channels, size, size, device=device, dtype=dtype)
    with eval_mode(layer):
        constant = (layer(ones) - layer(torch.zeros_like(ones))).cpu().double()
    noise = gain_map(_OneChannel(layer, channel), in_channels, size)
    constant = constant[0, channel]
    height, width = constant.shape
    result = {}
    for name, values in (("constant", constant), ("noise", noise)):
        inner = values[border : height - border, border : width - border]
        result[name] = torch.tensor(
            [[float(inner[a::2, b::2].mean()) for b in (0, 1)] for a in (0, 1)],
            dtype=torch.float64,
        )
    return result


class _OneChannel(nn.Module):
    """One output channel of a layer, keeping the layer's parameters (for gain_map)."""

    def __init__(self, layer: nn.Module, channel: int):
        super().__init__()
        self.layer, self.channel = layer, channel

    def forward(self, x):
        return self.layer(x)[:, self.channel : self.channel + 1]
