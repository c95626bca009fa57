"""Checks for chapter 2, convolution arithmetic: ex-2.1, a decoder that mirrors an
encoder.

The notebook hands over the two lists as integer tensors; the judge builds the decoder
in PyTorch and compares its size after every layer with the encoder's, and when a layer
is off it works out whether the padding or the output padding is to blame.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from torch import nn

from ..arithmetic import conv_transpose_output_size
from . import expect
from .protocol import check

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
    """ex-2.1's decoder with the given ``padding`` and ``output_padding`` per layer: 32
    x 4 x 4 -> 1 x ? x ?."""
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

    Lists, tuples and 1-D NumPy arrays or tensors of integers count (NumPy's and
    PyTorch's integer scalars too); bools and floats do not, even when whole.
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


def _fitting_paddings(size_in: int, kernel: int, stride: int, want: int):
    """Every (padding, output_padding) that takes ``size_in`` to ``want`` in this
    layer."""
    return [
        (p, a)
        for p in range(kernel)
        for a in range(stride)
        if conv_transpose_output_size(size_in, kernel, stride, p, a) == want
    ]


def _blame(size_in, kernel, stride, padding, output_padding, want) -> str:
    """The hint for a layer that gives the wrong size: which of the two numbers to
    change."""
    fitting = _fitting_paddings(size_in, kernel, stride, want)
    formula = (
        f"solve (n - 1) * stride - 2 * padding + kernel + output_padding = {want} for "
        f"this layer's input n = {size_in}: each unit of padding removes 2 rows, and "
        "output_padding (0 or 1 here) adds 1."
    )
    if any(p == padding for p, _ in fitting):
        return (
            formula + f" Your padding ({padding}) is right here; the output_padding "
            f"({output_padding}) is not."
        )
    if any(a == output_padding for _, a in fitting):
        return (
            formula + f" With output_padding {output_padding}, no padding other than "
            f"yours ({padding}) fits: change the padding. (The decoder runs the "
            "encoder backwards: its first layer mirrors the encoder's last.)"
        )
    return formula + " Both numbers of this layer need to change."


def judge_mirror_decoder(answer, inputs) -> str:
    ex = "ex-2.1"
    layers = len(EXERCISE_ENCODER)
    lists = {}
    for name in ("decoder_padding", "decoder_output_padding"):
        value = answer.get(name)
        expect(
            isinstance(value, torch.Tensor)
            and value.shape == (layers,)
            and not value.is_floating_point()
            and value.dtype != torch.bool,
            ex,
            f"`{name}` should be a list of {layers} integers, one per decoder layer.",
            "write it like `[1, 2, 3]`, the first decoder layer first.",
        )
        lists[name] = [int(v) for v in value.tolist()]
        expect(
            all(v >= 0 for v in lists[name]),
            ex,
            f"`{name}` has a negative entry: {lists[name]}.",
            "padding and output_padding count rows, so they are 0 or more.",
        )
    padding, output_padding = lists["decoder_padding"], lists["decoder_output_padding"]
    # [14, 7, 4]
    encoder_sizes = _spatial_sizes(exercise_encoder(), torch.zeros(1, 1, 28, 28))
    wanted = encoder_sizes[-2::-1] + [28]  # [7, 14, 28]
    strides = [stride for _, stride, _ in reversed(EXERCISE_ENCODER)]
    try:
        decoder = exercise_decoder(padding, output_padding)
        got = _spatial_sizes(
            decoder,
            torch.zeros(1, EXERCISE_CHANNELS[-1], encoder_sizes[-1], encoder_sizes[-1]),
        )
    except (RuntimeError, ValueError) as error:
        expect(
            False,
            ex,
            f"PyTorch refused the decoder: {str(error).splitlines()[0]}",
            "output_padding must be smaller than the stride (here 2), and padding "
            "must not crop the whole output away.",
        )
    inputs_of = [encoder_sizes[-1]] + wanted
    for index, (want, size) in enumerate(zip(wanted, got)):
        expect(
            size == want,
            ex,
            f"decoder layer {index + 1} (kernel {EXERCISE_DECODER_KERNELS[index]}, "
            f"stride {strides[index]}, padding {padding[index]}, output_padding "
            f"{output_padding[index]}) gives {size} x {size}, but the encoder's size "
            f"there is {want} x {want}.",
            _blame(
                inputs_of[index],
                EXERCISE_DECODER_KERNELS[index],
                strides[index],
                padding[index],
                output_padding[index],
                want,
            ),
        )
    return (
        f"the decoder goes {encoder_sizes[-1]} -> {' -> '.join(map(str, got))}, the "
        f"encoder's 28 -> {' -> '.join(map(str, encoder_sizes))} backwards, checked "
        "layer by layer in PyTorch."
    )


@check("ex-2.1", judge=judge_mirror_decoder)
def check_mirror_decoder(decoder_padding, decoder_output_padding, *, inputs):
    """ex-2.1: with these paddings the decoder's sizes are the encoder's, layer by
    layer, in reverse. Hands the two lists over as integer tensors."""
    ex = "ex-2.1"
    layers = len(EXERCISE_ENCODER)
    answer = {}
    for name, value in (
        ("decoder_padding", decoder_padding),
        ("decoder_output_padding", decoder_output_padding),
    ):
        converted = _as_list_of_ints(value, layers)
        expect(
            converted is not None,
            ex,
            f"`{name}` should be a list of {layers} integers, one per "
            f"decoder layer, but it is {value!r}.",
            "write it like `[1, 2, 3]`, the first decoder layer first.",
        )
        answer[name] = torch.tensor(converted, dtype=torch.int64)
    return answer
