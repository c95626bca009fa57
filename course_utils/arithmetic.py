"""Convolution arithmetic: output sizes of (transposed) convolutions, and their matrix.

The formulas follow Dumoulin & Visin (2016), "A guide to convolution arithmetic for deep
learning", with PyTorch's argument names. Arguments are validated the way PyTorch
validates them, so that a bad design fails here with a message naming the argument
instead of deep inside a model.
"""

from __future__ import annotations

import torch

from .validation import (
    module,
    non_negative_int,
    positive_int,
    requires,
    satisfies,
    size_or_pair,
    validated,
)

# the arguments of both output sizes, checked as PyTorch checks them
CONV_RULES = dict(
    size=positive_int,
    kernel_size=positive_int,
    stride=positive_int,
    padding=non_negative_int,
    dilation=positive_int,
)


def _kernel_fits(size, kernel_size, padding=0, dilation=1, **_) -> bool:
    return size + 2 * padding >= dilation * (kernel_size - 1) + 1


# the kernel must fit into the padded input at least once: PyTorch refuses too
kernel_fits = requires(
    _kernel_fits,
    "size {size} with padding {padding} is smaller than the dilated kernel "
    "(dilation * (kernel_size - 1) + 1): the output size would be below 1",
)


def _transposed_size(size, kernel_size, stride, padding, output_padding, dilation):
    return (
        (size - 1) * stride
        - 2 * padding
        + dilation * (kernel_size - 1)
        + output_padding
        + 1
    )


@validated(kernel_fits, **CONV_RULES)
def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of ``nn.Conv2d`` along one axis.

    ``floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``: the
    number of places a kernel of effective size ``dilation (kernel_size - 1) + 1`` fits
    into the padded input when it moves ``stride`` steps at a time.
    """
    effective_kernel = dilation * (kernel_size - 1) + 1
    padded = size + 2 * padding
    return (padded - effective_kernel) // stride + 1


def _output_padding_fits(output_padding, stride, dilation, **_) -> bool:
    return output_padding < max(stride, dilation)


def _output_at_least_one(**arguments) -> bool:
    return _transposed_size(**arguments) >= 1


@validated(
    requires(
        _output_padding_fits,
        "output_padding must be smaller than max(stride, dilation) = "
        "max({stride}, {dilation}), got {output_padding}",
    ),
    requires(
        _output_at_least_one,
        "the output size would be below 1: padding {padding} crops more than the "
        "transposed convolution produces",
    ),
    output_padding=non_negative_int,
    **CONV_RULES,
)
def conv_transpose_output_size(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of ``nn.ConvTranspose2d`` along one axis.

    ``(size - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1``:
    the inverse of :func:`conv_output_size`. Because that one rounds down, several input
    sizes of a strided convolution give the same output size; ``output_padding``
    (smaller than ``max(stride, dilation)``) adds the rows that rounding dropped, to
    pick one of them.
    """
    return _transposed_size(
        size, kernel_size, stride, padding, output_padding, dilation
    )


def _is_kernel(weight) -> bool:
    return (
        isinstance(weight, torch.Tensor)
        and (weight.ndim == 2 or (weight.ndim == 4 and weight.shape[:2] == (1, 1)))
        and weight.numel() > 0
    )


kernel = satisfies(_is_kernel, "a kh x kw kernel (or 1 x 1 x kh x kw) tensor")


# stride and padding are checked by conv_output_size
@validated(weight=kernel, input_size=size_or_pair)
def conv_matrix(
    weight: torch.Tensor, input_size, stride: int = 1, padding: int = 0
) -> torch.Tensor:
    """A single-channel 2-D convolution (PyTorch's cross-correlation) as a matrix C.

    ``weight`` is a ``kh x kw`` kernel (or ``1 x 1 x kh x kw``, as in ``nn.Conv2d``);
    ``input_size`` is ``n`` or ``(height, width)``. Row ``r`` of ``C`` holds the
    kernel's weights at the input pixels that output pixel ``r`` sees, so for an image
    ``x``

        F.conv2d(x, weight, stride=stride, padding=padding)
            == (C @ x.flatten()).reshape(out_h, out_w)
        F.conv_transpose2d(y, weight, stride=stride, padding=padding, output_padding=op)
            == (C.T @ y.flatten()).reshape(height, width)

    where ``op = (size + 2 padding - k) % stride`` per axis gives back the input size.
    """
    weight = weight.reshape(weight.shape[-2:])
    sizes = (input_size, input_size) if isinstance(input_size, int) else input_size
    height, width = sizes
    kh, kw = weight.shape
    out_h = conv_output_size(height, kh, stride, padding)
    out_w = conv_output_size(width, kw, stride, padding)
    matrix = weight.new_zeros(out_h * out_w, height * width)
    for i in range(out_h):
        for j in range(out_w):
            row = i * out_w + j
            for a in range(kh):
                for b in range(kw):
                    # the input pixel under kernel tap (a, b); padding pixels are
                    # zeros, so they add no entry
                    y, x = i * stride + a - padding, j * stride + b - padding
                    if 0 <= y < height and 0 <= x < width:
                        matrix[row, y * width + x] = weight[a, b]
    return matrix


@validated(layers=module)
def shapes_through(
    layers: torch.nn.Module, x: torch.Tensor
) -> list[tuple[str, tuple[int, ...]]]:
    """``x`` sent through the children of ``layers`` (e.g. an ``nn.Sequential``) one by
    one: ``[(layer description, shape after it), ...]``, starting with ``("input",
    x.shape)``."""
    shapes = [("input", tuple(x.shape))]
    with torch.no_grad():
        for layer in layers.children():
            x = layer(x)
            shapes.append((repr(layer), tuple(x.shape)))
    return shapes


def draw_convolution(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    output_padding: int = 0,
    ax=None,
):
    """Draw where a kernel lands on a ``size x size`` input, and say the output sizes.

    Grey squares are the input, white dashed ones the zero padding; the blue and orange
    dots are the kernel taps of the first two output pixels of a row, a ``stride``
    apart. The title gives the convolution's output size and what the transposed
    convolution (with ``output_padding``) makes of it again. Returns the axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    out = conv_output_size(size, kernel_size, stride, padding, dilation)
    try:
        back = str(
            conv_transpose_output_size(
                out, kernel_size, stride, padding, output_padding, dilation
            )
        )
    # an output_padding PyTorch would refuse: say so instead of drawing nothing
    except ValueError as error:
        back = f"refused ({str(error).split(',')[0]})"
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    full = size + 2 * padding
    for row in range(full):
        for col in range(full):
            inside = padding <= row < padding + size and padding <= col < padding + size
            ax.add_patch(
                Rectangle(
                    (col, full - 1 - row),
                    1,
                    1,
                    facecolor="0.75" if inside else "white",
                    edgecolor="0.3",
                    linestyle="-" if inside else "--",
                    linewidth=0.8,
                )
            )
    for position, (color, shift) in enumerate(
        (("tab:blue", -0.12), ("tab:orange", 0.12))
    ):
        if position >= out:
            break
        for a in range(kernel_size):
            for b in range(kernel_size):
                row, col = a * dilation, position * stride + b * dilation
                ax.plot(
                    col + 0.5 + shift,
                    full - 1 - row + 0.5,
                    "o",
                    color=color,
                    markersize=5,
                )
    ax.set_xlim(-0.2, full + 0.2)
    ax.set_ylim(-0.2, full + 0.2)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(
        f"n={size} k={kernel_size} s={stride} p={padding} d={dilation}\n"
        f"conv: {size} → {out};  transposed (op={output_padding}): {out} → {back}",
        fontsize=9,
    )
    return ax
