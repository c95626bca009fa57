# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Convolution arithmetic
#
# A convolutional autoencoder shrinks an image with strided convolutions and grows it back with
# *transposed* convolutions. Getting the sizes to line up is the first thing that goes wrong in
# practice: a decoder that produces 27 × 27 or 29 × 29 instead of 28 × 28. This chapter derives
# the sizes once, checks them against PyTorch, and shows what a transposed convolution really
# is: the transpose of the matrix of a convolution.
#
# **Learning goals.** After this chapter you can
# - compute the output size of `Conv2d` and `ConvTranspose2d` from kernel size, stride, padding,
#   dilation and output padding, and check it against PyTorch;
# - write a convolution as a matrix $C$ and explain why the layer that multiplies by $C^\top$
#   is called a *transposed* convolution;
# - explain why `output_padding` exists and choose it;
# - design a decoder whose sizes mirror an encoder's, layer by layer.

# %% [markdown]
# ## Setup
#
# The first cell only does something in Google Colab: it installs the course's small helper
# package, `course_utils`, at the course's release `main` (there is no tagged release yet), so
# that the checks you run are the ones that grade you. Anywhere else, install it once with
# `pip install "git+https://github.com/autoencoders-in-pytorch/course@main"` (in a clone of the
# course, `make book` or `pip install -e .` has done it).

# %%
import subprocess
import sys

# the release that _config.yml names (course.release), the same in every chapter
COURSE = "git+https://github.com/autoencoders-in-pytorch/course@main"
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], check=True)

# %% [markdown]
# This chapter trains nothing, so it runs the same at both scales: every number below comes
# from small tensors built on the spot.

# %%

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

import course_utils as cu

cu.config.seed_everything(0)

# %% [markdown]
# ## The output size of a convolution
#
# Take one axis of an image of size $i$, a kernel of size $k$, a stride $s$, zero padding $p$ on
# each side and a dilation $d$ (the gap between kernel taps; $d = 1$ is an ordinary kernel). A
# dilated kernel spans $d(k - 1) + 1$ pixels, and it fits into the $i + 2p$ padded pixels at
# every $s$-th position, so the output has
#
# $$
# o = \left\lfloor \frac{i + 2p - d(k - 1) - 1}{s} \right\rfloor + 1
# $$
#
# pixels, which is relationship 15 of {cite:t}`dumoulin2016` (their relationships 1 to 6 are the
# special cases without dilation). The floor is the important part: when the stride does not
# divide $i + 2p - d(k-1) - 1$, the last few input pixels are never the start of a window, and
# *different input sizes give the same output size*. The figure shows where the kernel lands
# for four cases: each dot is a kernel tap, blue for the first output pixel of a row, orange for
# the second.

# %%
cases = [
    (5, 3, 1, 0, 1, 0),
    (5, 3, 2, 1, 1, 0),
    (6, 3, 2, 1, 1, 1),
    (7, 3, 1, 0, 2, 0),
]
fig, axes = plt.subplots(1, len(cases), figsize=(13, 3.8))
for ax, (size, kernel, stride, padding, dilation, output_padding) in zip(axes, cases):
    cu.arithmetic.draw_convolution(
        size, kernel, stride, padding, dilation, output_padding, ax=ax
    )
fig.tight_layout()

# %% [markdown]
# `course_utils.arithmetic.conv_output_size` is the formula, with PyTorch's argument names:

# %%
cu.notebook.show_source(cu.arithmetic.conv_output_size)

# %% [markdown]
# We check it against PyTorch on a table of cases. The PyTorch column is the height of what
# `F.conv2d` really returns for an input of that size.


# %%
def torch_conv_size(size, kernel, stride=1, padding=0, dilation=1):
    x = torch.zeros(1, 1, size, size)
    return F.conv2d(
        x,
        torch.zeros(1, 1, kernel, kernel),
        stride=stride,
        padding=padding,
        dilation=dilation,
    ).shape[-1]


conv_cases = [
    (28, 3, 1, 1, 1),
    (28, 3, 2, 1, 1),
    (27, 3, 2, 1, 1),
    (14, 3, 2, 1, 1),
    (7, 7, 1, 0, 1),
    (28, 5, 2, 2, 1),
    (28, 4, 2, 1, 1),
    (28, 3, 1, 0, 2),
    (28, 3, 3, 2, 2),
    (10, 4, 3, 0, 1),
]
print(
    f"{'size':>5} {'kernel':>6} {'stride':>6} {'padding':>7} {'dilation':>8} | "
    f"{'formula':>7} {'PyTorch':>7}"
)
for case in conv_cases:
    formula, pytorch = cu.arithmetic.conv_output_size(*case), torch_conv_size(*case)
    print(
        *(f"{value:>{width}}" for value, width in zip(case, (5, 6, 6, 7, 8))),
        f"| {formula:>7} {pytorch:>7}",
    )
    assert formula == pytorch, case

# %% [markdown]
# ## The output size of a transposed convolution
#
# A transposed convolution runs the same bookkeeping backwards. Each of its $i'$ input pixels
# *spreads* a copy of the kernel, weighted by its value, onto the output, and consecutive copies
# start $s$ pixels apart; the padding $p$ now *removes* $p$ pixels from each side. The output has
#
# $$
# o' = (i' - 1)\,s - 2p + d(k - 1) + 1 + a, \qquad 0 \le a < \max(s, d),
# $$
#
# pixels, where $a$ is PyTorch's `output_padding` (PyTorch requires it to be smaller than
# the stride or than the dilation). With $a = 0$ this is exactly the inverse of the
# convolution formula when the floor dropped nothing. To get back a convolution's input size
# $i$ in general, take $a = (i + 2p - d(k - 1) - 1) \bmod s$, the remainder the floor dropped.
# Relationship 14 of {cite:t}`dumoulin2016` is the case without dilation ($d = 1$), where
# this is $a = (i + 2p - k) \bmod s$; their transposed-convolution relationships do not
# include dilation.


# %%
def torch_transpose_size(
    size, kernel, stride=1, padding=0, output_padding=0, dilation=1
):
    y = torch.zeros(1, 1, size, size)
    return F.conv_transpose2d(
        y,
        torch.zeros(1, 1, kernel, kernel),
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    ).shape[-1]


transpose_cases = [
    (7, 3, 2, 1, 0, 1),
    (7, 3, 2, 1, 1, 1),
    (14, 3, 2, 1, 1, 1),
    (1, 7, 1, 0, 0, 1),
    (7, 4, 2, 1, 0, 1),
    (14, 5, 2, 2, 1, 1),
    (5, 3, 3, 0, 2, 1),
    (5, 3, 1, 1, 1, 2),
]
print(
    f"{'size':>5} {'kernel':>6} {'stride':>6} {'padding':>7} {'out_pad':>7} "
    f"{'dilation':>8} | "
    f"{'formula':>7} {'PyTorch':>7}"
)
for case in transpose_cases:
    formula, pytorch = (
        cu.arithmetic.conv_transpose_output_size(*case),
        torch_transpose_size(*case),
    )
    print(
        *(f"{value:>{width}}" for value, width in zip(case, (5, 6, 6, 7, 7, 8))),
        f"| {formula:>7} {pytorch:>7}",
    )
    assert formula == pytorch, case

# %% [markdown]
# The tests of `course_utils` go further: they compare both formulas with PyTorch over a grid of
# thousands of combinations, including every combination that PyTorch refuses. For those the
# functions raise a `ValueError` that names the argument, for example:

# %%
for bad in [
    dict(size=7, kernel_size=3, stride=2, output_padding=2),
    dict(size=1, kernel_size=1, padding=1),
]:
    try:
        cu.arithmetic.conv_transpose_output_size(**bad)
    except ValueError as error:
        print(f"{bad}: ValueError: {error}")

# %% [markdown]
# ## Convolution as a matrix
#
# A convolution is linear in its input, so it is a matrix. Flatten an $n \times n$ input $x$ into
# a vector of $n^2$ numbers and the output $y$ into $o^2$ numbers; then $y = C x$ with a sparse
# $o^2 \times n^2$ matrix $C$ whose row $r$ holds the kernel's weights at the pixels that output
# pixel $r$ sees, and zeros elsewhere. `conv_matrix` builds $C$ from those two loops:

# %%
cu.notebook.show_source(cu.arithmetic.conv_matrix)

# %% [markdown]
# Here is $C$ for a 3 × 3 kernel on a 4 × 4 input (the running example of {cite:t}`dumoulin2016`)
# and for the same kernel with stride 2 and padding 1 on a 5 × 5 input. Each row is one output
# pixel; the same nine weights reappear in every row, shifted: this *weight sharing* is what
# makes a convolution cheaper than a fully connected layer.

# %%
kernel = torch.arange(1.0, 10.0).reshape(3, 3)
C_plain = cu.arithmetic.conv_matrix(kernel, 4)
C_strided = cu.arithmetic.conv_matrix(kernel, 5, stride=2, padding=1)
fig, axes = plt.subplots(
    1, 2, figsize=(12, 3.2), gridspec_kw={"width_ratios": [16, 25]}
)
for ax, matrix, title in [
    (axes[0], C_plain, "n = 4, k = 3, s = 1, p = 0: C is 4 × 16"),
    (axes[1], C_strided, "n = 5, k = 3, s = 2, p = 1: C is 9 × 25"),
]:
    ax.imshow(matrix, cmap="Blues")
    ax.set(title=title, xlabel="input pixel (flattened)", ylabel="output pixel")
fig.tight_layout()

# %% [markdown]
# Now the claim: with the *same* weights, `F.conv2d` computes $C x$, and `F.conv_transpose2d`
# computes $C^\top y$. The transposed convolution is not an inverse of the convolution (it does not
# undo it); it is the layer that multiplies by the transposed matrix, which maps the output
# shape back to the input shape. That is also exactly what the gradient of a convolution with
# respect to its input does, which is how deep-learning libraries implement it. We check both on
# random numbers, for the strided and padded case.

# %%
weight = torch.randn(1, 1, 3, 3, dtype=torch.float64)
x = torch.randn(1, 1, 5, 5, dtype=torch.float64)
C = cu.arithmetic.conv_matrix(weight, 5, stride=2, padding=1)
y = F.conv2d(x, weight, stride=2, padding=1)
from_matrix = (C @ x.flatten()).reshape(y.shape)
print(
    f"conv2d: {tuple(x.shape)} -> {tuple(y.shape)}, largest difference to C x: "
    f"{(y - from_matrix).abs().max():.1e}"
)

g = torch.randn_like(y)
back = F.conv_transpose2d(g, weight, stride=2, padding=1)
from_transpose = (C.T @ g.flatten()).reshape(back.shape)
print(
    f"conv_transpose2d: {tuple(g.shape)} -> {tuple(back.shape)}, "
    "largest difference to Cᵀ y: "
    f"{(back - from_transpose).abs().max():.1e}"
)
assert torch.allclose(y, from_matrix) and torch.allclose(back, from_transpose)

# %% [markdown]
# ## Why `output_padding` exists
#
# Because of the floor in the convolution formula, a stride-2 convolution with kernel 3 and
# padding 1 maps *both* 13 and 14 pixels to 7. Its transpose therefore cannot know which size to
# return: $C$ for a 13 × 13 input has 169 columns, for a 14 × 14 input 196 (the shapes are
# printed below), and $C^\top$ must produce one of them. PyTorch's `ConvTranspose2d` returns
# the smallest size, and `output_padding` $a$ *selects* another of the sizes that share the
# same output: $a = 1$ asks for 14. It does not bring back what the convolution's rounding
# dropped (those input pixels never reached the output, so nothing can restore them), and it
# is not zero padding either.

# %%
for size in (13, 14):
    C_size = cu.arithmetic.conv_matrix(torch.ones(3, 3), size, stride=2, padding=1)
    y_size = F.conv2d(
        torch.zeros(1, 1, size, size), torch.ones(1, 1, 3, 3), stride=2, padding=1
    )
    print(
        f"input {size} x {size} -> conv output "
        f"{y_size.shape[-1]} x {y_size.shape[-1]}; C has shape "
        f"{tuple(C_size.shape)}"
    )
for output_padding in (0, 1):
    back = F.conv_transpose2d(
        torch.zeros(1, 1, 7, 7),
        torch.ones(1, 1, 3, 3),
        stride=2,
        padding=1,
        output_padding=output_padding,
    )
    print(
        f"ConvTranspose2d(k=3, s=2, p=1, output_padding={output_padding}): 7 x 7 -> "
        f"{back.shape[-2]} x {back.shape[-1]}"
    )
assert (
    cu.arithmetic.conv_output_size(13, 3, 2, 1)
    == cu.arithmetic.conv_output_size(14, 3, 2, 1)
    == 7
)
assert [
    cu.arithmetic.conv_transpose_output_size(7, 3, 2, 1, output_padding=a)
    for a in (0, 1)
] == [
    13,
    14,
]

# %% [markdown]
# What is in the extra row? A transposed convolution first computes its *full* output,
# $(i' - 1)s + k$ rows, then crops $p$ rows at the top and $p - a$ at the bottom. So while
# $a \le p$ the extra row is a row of the full output that the padding would otherwise have
# cropped: computed by the kernel like any other. Only rows beyond the full output, when
# $a > p$, hold nothing but the bias. A tiny example with a 3 × 3 input of ones, a 3 × 3
# kernel of ones and stride 2 (the last row of each output):

# %%
ones_in, ones_kernel = torch.ones(1, 1, 3, 3), torch.ones(1, 1, 3, 3)
full = F.conv_transpose2d(ones_in, ones_kernel, stride=2)  # 7 x 7, nothing cropped
print("full output, last two rows:", full[0, 0, -2:].tolist())
for padding, output_padding in ((1, 0), (1, 1), (0, 1)):
    out = F.conv_transpose2d(
        ones_in, ones_kernel, stride=2, padding=padding, output_padding=output_padding
    )
    print(
        f"padding {padding}, output_padding {output_padding}: {tuple(out.shape[-2:])}, "
        f"last row {out[0, 0, -1].tolist()}"
    )
with_a = F.conv_transpose2d(ones_in, ones_kernel, stride=2, padding=1, output_padding=1)
assert torch.equal(with_a[0, 0], full[0, 0, 1:, 1:])  # the uncropped row, computed
beyond = F.conv_transpose2d(ones_in, ones_kernel, stride=2, output_padding=1)
assert beyond[0, 0, -1].abs().sum() == 0  # a > p: a row past the full output is empty

# %% [markdown]
# ## A decoder that mirrors an encoder
#
# The convolutional autoencoders of the next chapters use this encoder: two stride-2
# convolutions with kernel 3 and padding 1 (28 → 14 → 7), then a 7 × 7 kernel without padding
# that turns the 7 × 7 map into a single position with many channels (7 → 1), the bottleneck.
# The decoder runs the same steps backwards with transposed convolutions: the kernel-7 one turns
# 1 into 7, and each stride-2 one must turn 7 into 14 and 14 into 28. With $k = 3$, $s = 2$,
# $p = 1$ the formula gives $(7 - 1) \cdot 2 - 2 + 3 + a = 13 + a$, so $a = 1$: of the two
# sizes that the encoder's convolution maps to 7 (13 and 14), it selects 14, the one the
# encoder started from. We print the shape after every
# layer.

# %%
encoder = nn.Sequential(
    nn.Conv2d(1, 16, 3, stride=2, padding=1),
    nn.ReLU(),  # 28 -> 14
    nn.Conv2d(16, 32, 3, stride=2, padding=1),
    nn.ReLU(),  # 14 -> 7
    nn.Conv2d(32, 64, 7),  # 7 -> 1: the bottleneck
)
decoder = nn.Sequential(
    nn.ConvTranspose2d(64, 32, 7),
    nn.ReLU(),  # 1 -> 7
    nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),
    nn.ReLU(),  # 7 -> 14
    nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),
    nn.Sigmoid(),  # 14 -> 28
)
images = torch.rand(8, 1, 28, 28)
for name, part, inputs in [
    ("encoder", encoder, images),
    ("decoder", decoder, encoder(images)),
]:
    print(name)
    for layer, shape in cu.arithmetic.shapes_through(part, inputs):
        print(f"  {str(shape):>18}  after {layer}")
assert decoder(encoder(images)).shape == images.shape

# %% [markdown]
# ## Explore it yourself
#
# Run the next cell in Jupyter or Colab for sliders: kernel size, stride, padding, dilation and
# output padding for a 7-pixel input; the drawing shows where the kernel lands and the title the
# output sizes. (The HTML page cannot run the sliders: it shows the drawing for their starting
# values, and the four static cases at the top of the page show more.) Try to find settings where the transposed convolution gives
# back 7, and settings that PyTorch refuses.

# %%
import os

try:
    import ipywidgets as widgets
except ImportError:  # without ipywidgets the static figures above still tell the story
    widgets = None


def explore(kernel_size=3, stride=2, padding=1, dilation=1, output_padding=0, size=7):
    try:
        cu.arithmetic.draw_convolution(
            size, kernel_size, stride, padding, dilation, output_padding
        )
        plt.show()
    except ValueError as error:
        print(f"PyTorch would refuse this: {error}")


# A built page cannot run sliders (the book's build sets COURSE_BOOK_BUILD=1): there the
# cell draws the sliders' starting case; in Jupyter or Colab it shows the sliders.
if widgets is None or os.environ.get("COURSE_BOOK_BUILD"):
    explore()
else:
    widgets.interact(
        explore,
        kernel_size=(1, 7),
        stride=(1, 4),
        padding=(0, 3),
        dilation=(1, 3),
        output_padding=(0, 3),
        size=(1, 10),
    )

# %% [markdown]
# ## Exercise ex-2.1: mirror a given encoder
#
# Here is another encoder: kernel 5 with stride 2 and padding 2 twice, then kernel 3 with
# stride 2 and padding 1. Its sizes are printed below. The decoder `exercise_decoder(padding,
# output_padding)` uses the same kernels and strides in reverse order (3, 5, 5, each with
# stride 2), with the padding and output padding of each layer given as lists.
#
# Choose `decoder_padding` and `decoder_output_padding` (each a list of three integers, the
# first decoder layer first) so that the decoder's sizes are the encoder's sizes backwards,
# ending at 28 × 28. Work it out with the formula first, then check it with
# `cu.arithmetic.conv_transpose_output_size` or by printing
# `cu.arithmetic.shapes_through(exercise_decoder(padding, output_padding), exercise_codes)`
# (`exercise_codes` is the encoder's output, computed in the cell below).
#
# The check cell below is the exercise's public check: it builds your decoder in PyTorch and
# compares its size after every layer with the encoder's; where a layer is off, it says
# whether its padding or its output padding is to blame.

# %%
from course_utils.checks.conv_arithmetic import exercise_decoder, exercise_encoder

exercise_codes = exercise_encoder()(images)
for layer, shape in cu.arithmetic.shapes_through(exercise_encoder(), images):
    print(f"  {str(shape):>18}  after {layer}")

# %% tags=["solution", "ex-2.1"]
### BEGIN SOLUTION
# layer 1: (4 - 1) * 2 - 2p + 3 + a = 7   -> p = 1, a = 0
# layer 2: (7 - 1) * 2 - 2p + 5 + a = 14  -> p = 2, a = 1 (13 and 14 both go to 7)
# layer 3: (14 - 1) * 2 - 2p + 5 + a = 28 -> p = 2, a = 1
decoder_padding = [1, 2, 2]
decoder_output_padding = [0, 1, 1]
for layer, shape in cu.arithmetic.shapes_through(
    exercise_decoder(decoder_padding, decoder_output_padding), exercise_codes
):
    print(f"  {str(shape):>18}  after {layer}")
### END SOLUTION

# %% tags=["check", "ex-2.1"]
from course_utils.checks.conv_arithmetic import check_mirror_decoder

check_mirror_decoder(decoder_padding, decoder_output_padding)

# %% [markdown]
# Notice the pattern: a mirrored transposed convolution takes the *same* padding as the
# convolution it mirrors, and an output padding of $(i + 2p - k) \bmod s$, which is 1 where the
# encoder's input size was even and 0 where it was odd (4 came from 7).
#
# ## Summary
#
# - A convolution's output size is $\lfloor (i + 2p - d(k-1) - 1)/s \rfloor + 1$; a transposed
#   convolution's is $(i' - 1)s - 2p + d(k-1) + 1 + a$. Both agree with PyTorch on every case we
#   tried, including the ones PyTorch refuses.
# - A convolution is a sparse matrix $C$ with shared weights; a transposed convolution with the
#   same weights multiplies by $C^\top$, which is where its name comes from.
# - The floor makes different input sizes collide; `output_padding` picks which one a transposed
#   convolution returns, so a decoder can mirror its encoder exactly.
#
# The next chapter looks at what transposed convolutions *draw*: their uneven overlap leaves a
# checkerboard pattern in the images.
#
# ## References
#
# {cite:t}`dumoulin2016` is the reference for all of these relationships, with many drawings;
# {cite:t}`odena2016` explain the artifacts of the next chapter. Chapter 9 of
# {cite:t}`goodfellow2016` covers convolution as a matrix. The full list is on the
# [references](references.md) page.
