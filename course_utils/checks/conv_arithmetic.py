"""Checks for chapter 2, convolution arithmetic: ex-2.1, a decoder that mirrors an encoder."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from torch import nn

from . import expect, passed

# ex-2.1's encoder: (kernel_size, stride, padding) per layer, 28 -> 14 -> 7 -> 4
EXERCISE_ENCODER = [(5, 2, 2), (5, 2, 2), (3, 2, 1)]
EXERCISE_CHANNELS = [1, 8, 16, 32]
# its decoder runs the encoder backwards: same kernels and strides in reverse order
EXERCISE_DECODER_KERNELS = [kernel for kernel, _, _ in reversed(EXERCISE_ENCODER)]


def exercise_encoder() -> nn.Sequential:
    """ex-2.1's encoder: three strided convolutions, 1 x 28 x 28 -> 32 x 4 x 4."""
    layers = []
    for (kernel, stride, padding), c_in, c_out in zip(
        EXERCISE_ENCODER, EXERCISE_CHANNELS, EXERCISE_CHANNELS[1:]
    ):
        layers += [
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding),
            nn.ReLU(),
        ]
    return nn.Sequential(*layers[:-1])


def exercise_decoder(padding, output_padding) -> nn.Sequential:
    """ex-2.1's decoder with the given ``padding`` and ``output_padding`` per layer: 32 x 4 x 4 -> 1 x ? x ?."""
    channels = EXERCISE_CHANNELS[::-1]
    strides = [stride for _, stride, _ in reversed(EXERCISE_ENCODER)]
    layers = []
    for kernel, stride, p, op, c_in, c_out in zip(
        EXERCISE_DECODER_KERNELS,
        strides,
        padding,
        output_padding,
        channels,
        channels[1:],
    ):
        layers += [
            nn.ConvTranspose2d(
                c_in, c_out, kernel, stride=stride, padding=p, output_padding=op
            ),
            nn.ReLU(),
        ]
    return nn.Sequential(*layers[:-1])


def _spatial_sizes(layers: nn.Sequential, x: torch.Tensor) -> list[int]:
    """Height after each (transposed) convolution of ``layers``."""
    sizes = []
    with torch.no_grad():
        for layer in layers:
            x = layer(x)
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                sizes.append(x.shape[-1])
    return sizes


def _as_list_of_ints(value, length: int) -> list[int] | None:
    """``value`` as a list of ``length`` Python ints, or None when it is not one.

    Lists, tuples and 1-D NumPy arrays or tensors of integers count (NumPy's and PyTorch's
    integer scalars too); bools and floats do not, even when whole.
    """
    if isinstance(value, (np.ndarray, torch.Tensor)):
        if value.ndim != 1 or value.dtype in (torch.bool, np.bool_):
            return None
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            return None
        if isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.integer):
            return None
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != length:
        return None
    items = []
    for item in value:
        if isinstance(item, torch.Tensor) and item.ndim == 0:
            item = item.item() if not item.is_floating_point() else float(item)
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            return None
        items.append(int(item))
    return items


def check_mirror_decoder(decoder_padding, decoder_output_padding) -> None:
    """ex-2.1: with these paddings the decoder's sizes are the encoder's, layer by layer, in reverse."""
    ex = "ex-2.1"
    layers = len(EXERCISE_ENCODER)
    converted = {}
    for name, value in (
        ("decoder_padding", decoder_padding),
        ("decoder_output_padding", decoder_output_padding),
    ):
        converted[name] = _as_list_of_ints(value, layers)
        expect(
            converted[name] is not None,
            ex,
            f"`{name}` should be a list of {layers} integers, one per "
            f"decoder layer, but it is {value!r}.",
            "write it like `[1, 2, 3]`, the first decoder layer first.",
        )
        expect(
            all(v >= 0 for v in converted[name]),
            ex,
            f"`{name}` has a negative entry: {value!r}.",
            "padding and output_padding count rows, so they are 0 or more.",
        )
    # [14, 7, 4]
    encoder_sizes = _spatial_sizes(exercise_encoder(), torch.zeros(1, 1, 28, 28))
    wanted = encoder_sizes[-2::-1] + [28]  # [7, 14, 28]
    decoder_padding = converted["decoder_padding"]
    decoder_output_padding = converted["decoder_output_padding"]
    try:
        decoder = exercise_decoder(decoder_padding, decoder_output_padding)
        got = _spatial_sizes(
            decoder,
            torch.zeros(1, EXERCISE_CHANNELS[-1], encoder_sizes[-1], encoder_sizes[-1]),
        )
    except (RuntimeError, ValueError) as error:
        expect(
            False,
            ex,
            f"PyTorch refused the decoder: {str(error).splitlines()[0]}",
            "output_padding must be smaller than the stride (here 2), and padding must not crop the "
            "whole output away.",
        )
    for index, (want, size) in enumerate(zip(wanted, got)):
        expect(
            size == want,
            ex,
            f"decoder layer {index + 1} (kernel {EXERCISE_DECODER_KERNELS[index]}, stride 2) gives "
            f"{size} x {size}, but the encoder's size there is {want} x {want}.",
            f"solve (n - 1) * stride - 2 * padding + kernel + output_padding = {want} for this layer's input "
            f"n = {([encoder_sizes[-1]] + wanted)[index]}: each unit of padding removes 2 rows, "
            "and output_padding (0 or 1 here) selects which of the sizes that the encoder's "
            "convolution maps to the same size comes back"
            + (
                " (yours is one row off: that is output_padding's job)."
                if abs(size - want) == 1
                else "."
            ),
        )
    passed(
        ex,
        f"the decoder goes {encoder_sizes[-1]} -> {' -> '.join(map(str, got))}, the encoder's "
        f"28 -> {' -> '.join(map(str, encoder_sizes))} backwards, checked layer by layer in PyTorch.",
    )
