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
# # 3. Checkerboard artifacts
#
# Images drawn by decoders built from transposed convolutions often carry a faint checkerboard:
# a pattern that repeats every two pixels. {cite:t}`odena2016` traced it to the arithmetic of the
# previous chapter: when the kernel size is not divisible by the stride, a transposed
# convolution writes to some output pixels more often than to others. This chapter makes that
# visible, measures it, and compares three ways to upsample in the same small autoencoder.
#
# **Learning goals.** After this chapter you can
# - draw the overlap map of a strided transposed convolution and predict from kernel size and
#   stride whether it is even;
# - see the pattern in an untrained decoder, and how stacked layers compound it;
# - measure artifact strength as the share of energy at the Nyquist frequencies;
# - choose an upsampler (transposed convolution with kernel 3 or 4, or resize + convolution)
#   knowing what each does to the artifact.

# %% [markdown]
# ## Setup
#
# The first cell only does something in Google Colab: it installs the course's small helper
# package, `course_utils`. On your own machine `make book` (or `pip install -e .`) has done that.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:
    course = "git+https://github.com/autoencoders-in-pytorch/course"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", course], check=True)

# %% [markdown]
# The training section runs at two scales: by default at the book's scale, with `COURSE_TINY=1`
# on a few hundred images for one epoch. Seeds are fixed.

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn

from course_utils.artifacts import (
    artifact_strength,
    gain_map,
    nyquist_share,
    overlap_map,
)
from course_utils.checks.checkerboard import check_artifact_strength
from course_utils.config import by_scale, get_device, is_tiny, seed_everything
from course_utils.data import load_mnist
from course_utils.models.upsampling import (
    UPSAMPLERS,
    UpsamplingAutoencoder,
    upsampler,
)
from course_utils.notebook import show_source
from course_utils.plotting import plot_losses, show_rows
from course_utils.training import apply_in_batches, evaluate, fit

seed_everything(0)
device = get_device()
EPOCHS = by_scale(tiny=1, book=10)
WIDTH = by_scale(tiny=8, book=16)
print(
    f"device: {device}, scale: {'tiny' if is_tiny() else 'default'}, epochs per model: {EPOCHS}, width: {WIDTH}"
)

# %% [markdown]
# ## Uneven overlap
#
# A transposed convolution with stride $s$ places one copy of its $k \times k$ kernel per input
# pixel, each copy $s$ pixels from the last. Where copies overlap, their contributions add up.
# Count how many kernel taps land on each output pixel, by running a transposed convolution of
# an image of ones with a kernel of ones, and you get the *overlap map*.
#
# In one dimension with $k = 3$ and $s = 2$, the copies cover pixels $\{0, 1, 2\}$, $\{2, 3, 4\}$,
# $\{4, 5, 6\}$, ...: even pixels are written twice, odd ones once. In two dimensions the counts
# multiply, so the pixels alternate between 1, 2 and 4 contributions: a checkerboard. With
# $k = 4$ and $s = 2$ every interior pixel gets exactly $2 \times 2 = 4$: the overlap is even,
# because the stride divides the kernel size {cite:p}`odena2016`.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
for ax, kernel_size in zip(axes, (3, 4)):
    counts = overlap_map(kernel_size, stride=2, input_size=6)
    image = ax.imshow(counts, cmap="magma", vmin=0)
    ax.set_title(f"kernel {kernel_size}, stride 2: taps per output pixel")
    ax.set_axis_off()
    for (row, col), value in zip(
        torch.cartesian_prod(
            torch.arange(counts.shape[0]), torch.arange(counts.shape[1])
        ),
        counts.flatten(),
    ):
        ax.text(
            col,
            row,
            f"{value:.0f}",
            ha="center",
            va="center",
            fontsize=7,
            color="black" if value > counts.max() / 2 else "white",
        )
fig.tight_layout()

# %% [markdown]
# Stacked layers compound the pattern: each layer's uneven output is the next layer's input,
# so after two kernel-3 layers the counts range from 1 to 9 with a period of 4, and after three
# from 1 to 25 with a period of 8. Kernel 4 stays even in the interior however many layers
# are stacked; only the borders, where fewer copies reach, are darker.

# %%
fig, axes = plt.subplots(2, 3, figsize=(10, 6.5))
for row, kernel_size in enumerate((3, 4)):
    for col, layers in enumerate((1, 2, 3)):
        counts = overlap_map(
            kernel_size, stride=2, input_size=4, padding=1, layers=layers
        )
        axes[row, col].imshow(counts / counts.max(), cmap="magma", vmin=0, vmax=1)
        axes[row, col].set_title(
            f"k = {kernel_size}, {layers} layer{'s' * (layers > 1)}: "
            f"{counts.min():.0f} to {counts.max():.0f}",
            fontsize=9,
        )
        axes[row, col].set_axis_off()
fig.tight_layout()

# %% [markdown]
# ## Measuring a checkerboard
#
# A pattern that repeats every two pixels is a wave at the highest frequency an image can hold,
# the *Nyquist frequency*. In the 2-D discrete Fourier transform $\hat m(u, v)$ of an
# $H \times W$ map $m$ it sits at three places: $(H/2, 0)$ for rows that alternate,
# $(0, W/2)$ for columns that alternate, and $(H/2, W/2)$ for the checkerboard proper. We call
# the share of the map's energy found there its **Nyquist share**:
#
# $$
# \nu(m) = \frac{|\hat m(\tfrac H2, 0)|^2 + |\hat m(0, \tfrac W2)|^2 + |\hat m(\tfrac H2, \tfrac W2)|^2}
#               {\sum_{u, v} |\hat m(u, v)|^2} .
# $$
#
# It is 0 for a map without any period-2 pattern, 1 for a pure checkerboard around zero, and
# 0.19 for the 1-2-2-4 tile of the kernel-3 overlap map. Which map do we measure? The overlap
# map assumes kernels of ones; a real layer has learned (or random) weights, and many channels.
# Its honest generalisation is the **gain map**: for a linear layer $y = A x + b$, output pixel
# $j$ gets $\sum_k A_{jk}^2$, averaged over output channels: the energy that reaches it from the
# whole input (its variance when the input is white noise). With kernels of ones it *is* the
# overlap map. The **artifact strength** of an upsampling layer is the Nyquist share of its gain
# map, two pixels in from the border (padding feeds the border less, which is not the artifact).

# %%
show_source(artifact_strength)

# %% [markdown]
# ## Three upsamplers
#
# We compare three layers that double height and width, the two transposed convolutions and
# the alternative that {cite:t}`odena2016` recommend: resize with nearest neighbours, then an
# ordinary 3 × 3 convolution. Resizing first copies every pixel into a 2 × 2 block, so every
# output pixel is then computed the same way and there is no uneven overlap at all.

# %%
show_source(upsampler)

# %% [markdown]
# They go into the same small autoencoder: two stride-2 convolutions down to a 7 × 7 map with 4
# channels (196 numbers for 784 pixels), and two upsampling layers back up, 7 → 14 → 28.

# %%
show_source(UpsamplingAutoencoder)

# %% [markdown]
# ## Artifacts at initialisation
#
# Before any training, what do the three decoders draw for a constant code, the same value at
# every position and channel? A constant input has no pattern of its own, so whatever pattern
# appears comes from the decoder. The second row shows the gain map of each decoder's last layer
# (defined above), on one colour scale: 1 is the layer's average gain.


# %%
def new_models():
    """The three autoencoders, each initialised from the same seed."""
    models = {}
    for kind in UPSAMPLERS:
        seed_everything(0)
        models[kind] = UpsamplingAutoencoder(kind, width=WIDTH).to(device)
    return models


models = new_models()
constant_code = torch.ones(1, 4, 7, 7, device=device)
fig, axes = plt.subplots(2, 3, figsize=(10.5, 6.8), layout="constrained")
for col, (kind, model) in enumerate(models.items()):
    with torch.no_grad():
        drawn = model.decode(constant_code)[0, 0].cpu()
    axes[0, col].imshow(drawn, cmap="gray")
    axes[0, col].set_title(f"{kind}\noutput for a constant code", fontsize=9)
    gains = gain_map(model.decoder[4], WIDTH, 14)
    shown = axes[1, col].imshow(
        gains / gains[2:-2, 2:-2].mean(), cmap="magma", vmin=0, vmax=2
    )
    axes[1, col].set_title(
        "gain map of the last layer\n(divided by its mean)", fontsize=9
    )
for ax in axes.flat:
    ax.set_axis_off()
fig.colorbar(shown, ax=axes[1].tolist(), shrink=0.8)

# %% [markdown]
# The outputs for a constant code show that *both* transposed convolutions draw a period-2
# pattern: with random weights, the taps that land on an even pixel and those that land on an
# odd one sum to different values, even when there are equally many of them. That is a random
# pattern, which training can remove. The uneven overlap adds a systematic one: the gain map
# of the kernel-3 layer has the 1-2-2-4 structure of its overlap map, while those of kernel 4
# and resize + convolution are flat inside the border. The artifact strength of both layers of
# every decoder, at initialisation:


# %%
def strength_table(models):
    """Artifact strength of the two upsampling layers (7 -> 14 and 14 -> 28) of each decoder."""
    return {
        kind: (
            artifact_strength(model.decoder[2], WIDTH, 7),
            artifact_strength(model.decoder[4], WIDTH, 14),
        )
        for kind, model in models.items()
    }


def print_table(table, title):
    print(f"{title}\n{'upsampler':<22}{'7 -> 14':>10}{'14 -> 28':>10}")
    for kind, (first, last) in table.items():
        print(f"{kind:<22}{first:>10.4f}{last:>10.4f}")


at_init = strength_table(models)
print_table(at_init, "artifact strength at initialisation")

# %%
k3 = at_init["ConvTranspose k3 s2"]
for kind in ("ConvTranspose k4 s2", "resize + conv"):
    assert all(other < mine for other, mine in zip(at_init[kind], k3)), (
        f"{kind} should be below k3 s2 at init"
    )

# %% [markdown]
# ## Training the three autoencoders
#
# Now we train each autoencoder on MNIST with the same data, seed, optimiser and number of
# epochs; only the upsampler differs.

# %%
train = load_mnist("train", limit=by_scale(tiny=256, book=4_000, full=None))
test = load_mnist("test", limit=by_scale(tiny=128, book=1_000, full=None))
histories = {}
for kind, model in models.items():
    histories[kind] = fit(
        model,
        train.images,
        test.images,
        epochs=EPOCHS,
        batch_size=64,
        progress=False,
    )
    print(f"{kind:<22} test MSE {histories[kind].test_loss[-1]:.4f}")
plot_losses(histories, title="three upsamplers, same autoencoder")
# %% [markdown]
# The reconstructions side by side. Checkerboards are easiest to see in flat regions, so the
# last row zooms into the first digit of each model and stretches its contrast.

# %%
examples = test.images[:8]
reconstructions = {
    kind: apply_in_batches(model, examples) for kind, model in models.items()
}
show_rows(
    {"original": examples, **reconstructions}, n=8, title=f"after {EPOCHS} epoch(s)"
)

fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, (kind, images) in zip(axes, reconstructions.items()):
    ax.imshow(
        images[0, 0] ** 0.3, cmap="gray"
    )  # a gamma below 1 lifts the faint values
    ax.set_title(kind, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# And the artifact strength after training, beside the Nyquist share of the reconstructions
# themselves (what the eye sees), for the whole test set:

# %%
after = strength_table(models)
print_table(after, f"artifact strength after {EPOCHS} epoch(s) of training")
print("\nNyquist share of the test reconstructions")
for kind, model in models.items():
    print(f"{kind:<22}{nyquist_share(apply_in_batches(model, test.images)):>10.5f}")
print(f"{'(the test images)':<22}{nyquist_share(test.images):>10.5f}")

# %%
mean_image_mse = float(test.images.var(dim=0, unbiased=False).mean())
if not is_tiny():  # one tiny epoch does not train far enough for this
    for kind, model in models.items():
        assert evaluate(model, test.images) < mean_image_mse, (
            f"{kind} should beat the mean image"
        )

# %% [markdown]
# Training changes the weights but not the geometry: the kernel-3 layers start with a large
# artifact strength and have to learn to compensate for it, the other two start near zero.
# Odena et al. observed that networks often do not learn to compensate fully, and that even
# kernels that divide the stride can *learn* artifacts; the numbers above show how far each of
# our small models got.
#
# ## Exercise ex-3.1: measure an upsampler of your choice
#
# Pick an upsampling layer that is not one of the three above, for example a bilinear resize
# followed by a convolution, a transposed convolution with kernel 2 and stride 2 (no overlap
# at all), or a sub-pixel convolution (`nn.Conv2d` to 4× the channels, then
# `nn.PixelShuffle(2)`). Build it with `seed_everything(0)` as `my_upsampler`, taking
# `IN_CHANNELS = 8` channels and doubling a `SIZE = 7` map to 14 × 14, without an activation.
# Then measure `my_strength = artifact_strength(my_upsampler, in_channels=IN_CHANNELS, size=SIZE)`
# and compare it with the table. Before you run it: do you expect it to be near kernel 3's, or
# near zero?
#
# The check cell below is the exercise's public check: it verifies that your layer doubles the
# size, is linear, and that your number matches an independent recomputation of its artifact
# strength.

# %% tags=["solution", "ex-3.1"]
IN_CHANNELS, SIZE = 8, 7
### BEGIN SOLUTION
seed_everything(0)
my_upsampler = nn.Sequential(
    nn.Upsample(scale_factor=2, mode="bilinear"),
    nn.Conv2d(IN_CHANNELS, IN_CHANNELS, 3, padding=1),
)
my_strength = artifact_strength(my_upsampler, in_channels=IN_CHANNELS, size=SIZE)
seed_everything(0)
no_overlap = nn.ConvTranspose2d(IN_CHANNELS, IN_CHANNELS, 2, stride=2)
print(
    f"bilinear + conv: {my_strength:.4f}; ConvTranspose k2 s2 (no overlap): "
    f"{artifact_strength(no_overlap, in_channels=IN_CHANNELS, size=SIZE):.4f}"
)
### END SOLUTION

# %% tags=["check", "ex-3.1"]
check_artifact_strength(my_upsampler, my_strength, in_channels=IN_CHANNELS, size=SIZE)

# %% [markdown]
# Bilinear resizing, like nearest-neighbour resizing, computes every output pixel the same way,
# so its gain map is flat. The kernel-2 transposed convolution has no overlap at all, hence no
# *uneven* overlap, but each output phase is fed by a single tap per channel, so its random
# weights give the four phases somewhat different gains: its strength, printed above, is
# larger than the bilinear layer's, though far below kernel 3's. Even overlap is not the same
# as no artifact, which is one reason why {cite:t}`odena2016` prefer resize + convolution.
#
# ## Summary
#
# - A transposed convolution whose kernel size is not divisible by its stride writes to some
#   output pixels more often than to others; the overlap map shows the 1-2-2-4 checkerboard of
#   kernel 3 with stride 2, and stacked layers compound it.
# - The artifact strength, the share of a layer's gain-map energy at the Nyquist frequencies,
#   is large for kernel 3 with stride 2 and near zero for kernel 4 with stride 2 and for
#   resize + convolution at initialisation.
# - Resizing then convolving avoids uneven overlap by construction, at a slightly higher cost.
#
# ## References
#
# {cite:t}`odena2016` is the source of this chapter's analysis and of the resize-convolution
# recommendation; {cite:t}`dumoulin2016` explain transposed convolutions. The full list is on the
# [references](references.md) page.
