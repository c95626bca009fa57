"""Convolution arithmetic: output sizes of (transposed) convolutions, and convolution as a matrix.

The formulas follow Dumoulin & Visin (2016), "A guide to convolution arithmetic for deep
learning", with PyTorch's argument names. Arguments are validated the way PyTorch validates
them, so that a bad design fails here with a message naming the argument instead of deep
inside a model.
"""

from __future__ import annotations

import torch

from .validation import check_int as _check_int


def _check_common(size, kernel_size, stride, padding, dilation) -> None:
    _check_int("size", size, 1)
    _check_int("kernel_size", kernel_size, 1)
    _check_int("stride", stride, 1)
    _check_int("padding", padding, 0)
    _check_int("dilation", dilation, 1)


def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of ``nn.Conv2d`` along one axis.

    ``floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``: the number of
    places a kernel of effective size ``dilation (kernel_size - 1) + 1`` fits into the padded
    input when it moves ``stride`` steps at a time.
    """
    _check_common(size, kernel_size, stride, padding, dilation)
    effective_kernel = dilation * (kernel_size - 1) + 1
    padded = size + 2 * padding
    if (
        padded < effective_kernel
    ):  # the kernel does not fit even once: PyTorch refuses too
        raise ValueError(
            f"size {size} with padding {padding} is smaller than the dilated kernel "
            f"({effective_kernel} = dilation * (kernel_size - 1) + 1): the output size would be below 1"
        )
    return (padded - effective_kernel) // stride + 1


def conv_transpose_output_size(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of ``nn.ConvTranspose2d`` along one axis.

    ``(size - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1``: the
    inverse of :func:`conv_output_size`. Because that one rounds down, several input sizes of
    a strided convolution give the same output size; ``output_padding`` (smaller than
    ``max(stride, dilation)``) adds the rows that rounding dropped, to pick one of them.
    """
    _check_common(size, kernel_size, stride, padding, dilation)
    _check_int("output_padding", output_padding, 0)
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"output_padding must be smaller than max(stride, dilation) = {max(stride, dilation)}, "
            f"got {output_padding}"
        )
    out = (
        (size - 1) * stride
        - 2 * padding
        + dilation * (kernel_size - 1)
        + output_padding
        + 1
    )
    if out < 1:
        raise ValueError(
            f"the output size would be {out}: padding {padding} crops more than the transposed "
            f"convolution produces"
        )
    return out


def _pair_of_sizes(input_size) -> tuple[int, int]:
    if isinstance(input_size, int) and not isinstance(input_size, bool):
        input_size = (input_size, input_size)
    if (
        not isinstance(input_size, (tuple, list))
        or len(input_size) != 2
        or any(
            not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in input_size
        )
    ):
        raise ValueError(
            f"input_size must be a positive integer or a pair (height, width) of them, got {input_size!r}"
        )
    return int(input_size[0]), int(input_size[1])


def conv_matrix(
    weight: torch.Tensor, input_size, stride: int = 1, padding: int = 0
) -> torch.Tensor:
    """A single-channel 2-D convolution (PyTorch's, i.e. a cross-correlation) as a dense matrix C.

    ``weight`` is a ``kh x kw`` kernel (or ``1 x 1 x kh x kw``, as in ``nn.Conv2d``); ``input_size``
    is ``n`` or ``(height, width)``. Row ``r`` of ``C`` holds the kernel's weights at the input
    pixels that output pixel ``r`` sees, so for an image ``x``

        F.conv2d(x, weight, stride=stride, padding=padding) == (C @ x.flatten()).reshape(out_h, out_w)
        F.conv_transpose2d(y, weight, stride=stride, padding=padding, output_padding=op)
            == (C.T @ y.flatten()).reshape(height, width)

    where ``op = (size + 2 padding - k) % stride`` per axis gives back the input size exactly.
    """
    if not isinstance(weight, torch.Tensor):
        raise ValueError(f"weight must be a torch.Tensor, got {type(weight).__name__}")
    if weight.ndim == 4 and weight.shape[:2] == (1, 1):
        weight = weight[0, 0]
    if weight.ndim != 2 or weight.numel() == 0:
        raise ValueError(
            f"weight must be a kh x kw kernel (or 1 x 1 x kh x kw), got shape {tuple(weight.shape)}"
        )
    height, width = _pair_of_sizes(input_size)
    kh, kw = weight.shape
    out_h = conv_output_size(height, kh, stride, padding)
    out_w = conv_output_size(width, kw, stride, padding)
    matrix = weight.new_zeros(out_h * out_w, height * width)
    for i in range(out_h):
        for j in range(out_w):
            row = i * out_w + j
            for a in range(kh):
                for b in range(kw):
                    # input pixel under kernel tap (a, b); padding pixels are zeros, so they add no entry
                    y, x = i * stride + a - padding, j * stride + b - padding
                    if 0 <= y < height and 0 <= x < width:
                        matrix[row, y * width + x] = weight[a, b]
    return matrix


def shapes_through(
    layers: torch.nn.Module, x: torch.Tensor
) -> list[tuple[str, tuple[int, ...]]]:
    """``x`` sent through the children of ``layers`` (e.g. an ``nn.Sequential``) one by one:
    ``[(layer description, shape after it), ...]``, starting with ``("input", x.shape)``."""
    if not isinstance(layers, torch.nn.Module):
        raise ValueError(
            f"layers must be a torch.nn.Module, got {type(layers).__name__}"
        )
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

    Grey squares are the input, white dashed ones the zero padding; the blue and orange dots are
    the kernel taps of the first two output pixels of a row, a ``stride`` apart. The title gives
    the convolution's output size and what the transposed convolution (with ``output_padding``)
    makes of it again. Returns the axes.
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
    except ValueError as error:  # an output_padding PyTorch would refuse: say so instead of drawing nothing
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
