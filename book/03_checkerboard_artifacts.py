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
# - measure artifact strength as the share of a layer's output energy at the Nyquist
#   frequencies, for inputs that have none, and tell it apart from the gain map;
# - choose an upsampler (transposed convolution with kernel 3 or 4, or resize + convolution)
#   knowing what each does to the artifact.

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
# The training section runs at three scales, set in the cell below: `book` (the default),
# `tiny` (`COURSE_SCALE=tiny`: a few hundred images for one epoch, how the tests run it) and
# `full` (all of MNIST). Seeds are fixed.
# **On a GPU (in Colab: Runtime → Change runtime type), first run
# `import os; os.environ["COURSE_SCALE"] = "full"`** to train on all of MNIST.

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn

import course_utils as cu

cu.config.seed_everything(0)
device = cu.config.get_device()
N_TRAIN = cu.config.by_scale(tiny=256, book=4_000, full=None)  # None: all of them
N_TEST = cu.config.by_scale(tiny=128, book=1_000, full=None)
EPOCHS = cu.config.by_scale(tiny=1, book=10)
WIDTH = cu.config.by_scale(tiny=8, book=16)
print(
    f"device: {device}, scale: {cu.config.scale()}, "
    f"epochs per model: {EPOCHS}, width: {WIDTH}"
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
    counts = cu.artifacts.overlap_map(kernel_size, stride=2, input_size=6)
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
# Stacked layers compound the pattern: each layer's uneven output is the next layer's input.
# In one dimension a second kernel-3 layer writes single values (1 or 2) to its odd pixels and
# sums of two neighbours (3) to its even ones, so the counts grow and the pattern's period
# doubles with every layer. The figure's titles give the range of counts and the period of
# the interior pattern (away from the border, which fewer copies reach), both computed from
# the maps drawn. Kernel 4 stays even in the interior however many layers are stacked.


# %%
def interior_period(counts, border):
    """The smallest shift that maps the interior of ``counts`` onto itself."""
    inner = counts[border:-border, border:-border]
    return next(
        p
        for p in range(1, len(inner))
        if torch.equal(inner[p:], inner[:-p])
        and torch.equal(inner[:, p:], inner[:, :-p])
    )


fig, axes = plt.subplots(2, 3, figsize=(10, 6.5))
for row, kernel_size in enumerate((3, 4)):
    for col, layers in enumerate((1, 2, 3)):
        counts = cu.artifacts.overlap_map(
            kernel_size, stride=2, input_size=4, padding=1, layers=layers
        )
        period = interior_period(counts, border=2**layers)
        print(
            f"kernel {kernel_size}, {layers} layer(s): counts {counts.min():.0f} to "
            f"{counts.max():.0f}, interior period {period}"
        )
        axes[row, col].imshow(counts / counts.max(), cmap="magma", vmin=0, vmax=1)
        axes[row, col].set_title(
            f"k = {kernel_size}, {layers} layer{'s' * (layers > 1)}: "
            f"{counts.min():.0f} to {counts.max():.0f}, period {period}",
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
# 0.19 for the 1-2-2-4 tile of the kernel-3 overlap map.
#
# Which image do we measure? Not the overlap map: it assumes kernels of ones, and a real
# layer has learned (or random) weights and many channels. We measure what the reader sees,
# the layer's **output**, for inputs that have no period-2 pattern of their own: a constant,
# a smooth ramp and a real handwritten digit (`cu.artifacts.probe_images`). An upsampler
# places the input's frequencies at half the output's rate, so nothing at the output's
# Nyquist frequencies can come from the input: it is all drawn by the layer. The
# **artifact strength** of a layer is the Nyquist share of its response (the output minus
# the output for an input of zeros, i.e. without the bias), two pixels in from the border
# (zero padding changes the edge pixels, which is not the artifact), averaged over the three
# inputs. Nearest-neighbour resizing scores exactly 0; a layer that turns each pixel into
# a 2 × 2 tile $\begin{smallmatrix} x & -x \\ -x & x \end{smallmatrix}$ scores 1 on the
# constant (0.78 averaged over the three probes, because on the ramp and the digit the
# checkerboard's amplitude follows the image and spreads around the Nyquist frequencies);
# the tests of `course_utils` check both, and the closed forms behind them.
#
# A second map tells a different story. For a linear layer $y = A x + b$, the **gain map**
# gives each output pixel $j$ the energy $\sum_k A_{jk}^2$ that reaches it from the whole
# input: its variance when the input is white noise. With kernels of ones it *is* the
# overlap map. An uneven gain map means the layer passes noise unevenly; it does not mean
# the output shows a checkerboard. A kernel-3 transposed convolution with the tent weights
# $\frac12, 1, \frac12$ per axis (linear interpolation) draws perfectly flat outputs from flat
# inputs although its gain map is uneven, and the tile layer above draws nothing but a
# checkerboard although its gain map is flat:

# %%
tent = torch.tensor([0.5, 1.0, 0.5])
examples = {
    "tent k3 s2 (linear interpolation)": (3, 1, 1, torch.outer(tent, tent)),
    "tile k2 s2 [[1, -1], [-1, 1]]": (2, 0, 0, torch.tensor([[1.0, -1], [-1, 1]])),
}
print(f"{'layer':<36}{'artifact strength':>18}{'gain-map Nyquist share':>24}")
for name, (kernel, padding, output_padding, weight) in examples.items():
    layer = nn.ConvTranspose2d(
        1, 1, kernel, 2, padding, output_padding=output_padding, bias=False
    )
    layer.weight.data.copy_(weight)
    gains = cu.artifacts.gain_map(layer, 1, 14)[2:-2, 2:-2]
    print(
        f"{name:<36}{cu.artifacts.artifact_strength(layer, 1, 14):>18.4f}"
        f"{cu.artifacts.nyquist_share(gains):>24.4f}"
    )

# %%
cu.notebook.show_source(cu.artifacts.artifact_strength)

# %% [markdown]
# ## Three upsamplers
#
# We compare three layers that double height and width, the two transposed convolutions and
# the alternative that {cite:t}`odena2016` recommend: resize with nearest neighbours, then an
# ordinary 3 × 3 convolution. Resizing first copies every pixel into a 2 × 2 block. Every
# output pixel then sees three resized rows, but not the same input rows: an even output row
# $2i$ sees input rows $i-1, i, i$ and an odd one $2i+1$ sees $i, i, i+1$. So the four output
# phases (row and column even or odd) apply four different *grouped* kernels, such as
# $(w_0, w_1 + w_2)$ and $(w_0 + w_1, w_2)$ along one axis. What they share is the sum of
# their weights, $w_0 + w_1 + w_2$: a flat input gives a flat output, whatever the weights.
# Their noise gains $w_0^2 + (w_1 + w_2)^2$ and $(w_0 + w_1)^2 + w_2^2$ differ. The
# per-phase numbers for one random layer (`cu.artifacts.phase_gains`):

# %%
cu.config.seed_everything(0)
phases = cu.artifacts.phase_gains(
    cu.models.upsampling.upsampler("resize + conv", WIDTH, 1), WIDTH, 7
)
print("phase (row, column)   response to a constant   noise gain")
for a in (0, 1):
    for b in (0, 1):
        print(
            f"({'even' if a == 0 else 'odd'}, {'even' if b == 0 else 'odd'}):"
            f"{phases['constant'][a, b]:>23.4f}{phases['noise'][a, b]:>13.4f}"
        )
assert torch.allclose(phases["constant"], phases["constant"][0, 0])

# %% [markdown]
# So resize + convolution has no *uneven overlap* and no checkerboard on flat regions, but
# its phases are not computed "the same way": on textured inputs, and for noise, they can
# differ. The code of the three layers:

# %%
cu.notebook.show_source(cu.models.upsampling.upsampler)

# %% [markdown]
# They go into the same small autoencoder: two stride-2 convolutions down to a 7 × 7 map with 4
# channels (196 numbers for 784 pixels), and two upsampling layers back up, 7 → 14 → 28.

# %%
cu.notebook.show_source(cu.models.upsampling.UpsamplingAutoencoder)

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
    for kind in cu.models.upsampling.UPSAMPLERS:
        cu.config.seed_everything(0)
        models[kind] = cu.models.upsampling.UpsamplingAutoencoder(kind, width=WIDTH).to(
            device
        )
    return models


models = new_models()
constant_code = torch.ones(1, 4, 7, 7, device=device)
fig, axes = plt.subplots(2, 3, figsize=(10.5, 6.8), layout="constrained")
for col, (kind, model) in enumerate(models.items()):
    with torch.no_grad():
        drawn = model.decode(constant_code)[0, 0].cpu()
    axes[0, col].imshow(drawn, cmap="gray")
    axes[0, col].set_title(f"{kind}\noutput for a constant code", fontsize=9)
    gains = cu.artifacts.gain_map(model.decoder[4], WIDTH, 14)
    shown = axes[1, col].imshow(
        gains / gains[2:-2, 2:-2].mean(), cmap="magma", vmin=0, vmax=2
    )
    axes[1, col].set_title(
        "gain map of the last layer\n(divided by its mean)", fontsize=9
    )
for ax in axes.flat:
    ax.set_axis_off()
fig.colorbar(shown, ax=axes[1].tolist(), shrink=0.8)
plt.show()

# %% [markdown]
# The outputs for a constant code show that *both* transposed convolutions draw a period-2
# pattern: with random weights, the taps that land on an even pixel and those that land on an
# odd one sum to different values, even when there are equally many of them. The uneven
# overlap shows somewhere else: the gain map of the kernel-3 layer has the 1-2-2-4 structure
# of its overlap map, while those of kernel 4 and resize + convolution have no such structure:
# they only differ a little from phase to phase (as the phase gains above do), which the small
# Nyquist shares of their gain maps in the table measure. The table gives, at initialisation, the artifact strength of both upsampling layers
# of every decoder and the Nyquist share of the last layer's gain map:


# %%
def strength_table(models):
    """Artifact strength of the two upsampling layers of each decoder, and the Nyquist
    share of the last layer's gain map."""
    table = {}
    for kind, model in models.items():
        gains = cu.artifacts.gain_map(model.decoder[4], WIDTH, 14)[2:-2, 2:-2]
        table[kind] = {
            "7 -> 14": cu.artifacts.artifact_strength(model.decoder[2], WIDTH, 7),
            "14 -> 28": cu.artifacts.artifact_strength(model.decoder[4], WIDTH, 14),
            "gain map 14 -> 28": cu.artifacts.nyquist_share(gains),
        }
    return table


at_init = strength_table(models)
print("artifact strength at initialisation (and the gain map's Nyquist share)")
print(cu.tables.format_table(at_init, "upsampler", decimals=4))

# %% [markdown]
# One initialisation is one draw. The artifact strength of a fresh 7 → 14 layer of each
# kind, over five random initialisations:

# %%
INITS = 5
over_inits = {}
for kind in cu.models.upsampling.UPSAMPLERS:
    values = []
    for seed in range(INITS):
        cu.config.seed_everything(seed)
        layer = cu.models.upsampling.upsampler(kind, WIDTH, WIDTH)
        values.append(cu.artifacts.artifact_strength(layer, WIDTH, 7))
    over_inits[kind] = {
        "mean": sum(values) / INITS,
        "lowest": min(values),
        "highest": max(values),
    }
print(f"artifact strength of a 7 -> 14 layer over {INITS} initialisations")
print(cu.tables.format_table(over_inits, "upsampler", decimals=4))
assert over_inits["resize + conv"]["highest"] < 0.05
for kind in ("ConvTranspose k3 s2", "ConvTranspose k4 s2"):
    assert over_inits[kind]["lowest"] > 10 * over_inits["resize + conv"]["highest"]

# %% [markdown]
# At initialisation both transposed convolutions draw a strong period-2 pattern, kernel 4
# about as much as kernel 3 on average over initialisations (a single layer, like the
# one-channel last layer in the first table, can land lower or higher): with zero-mean random weights every frequency of a kernel has
# the same expected gain, the Nyquist frequencies included, so the drawn pattern does not
# depend on the overlap. Resize + convolution draws almost none (what is left comes from the
# ramp's edges at the crop). The uneven overlap of kernel 3 shows in the gain map's column
# instead: it passes noise unevenly.

# %% [markdown]
# ## Training the three autoencoders
#
# Now we train each autoencoder on MNIST with the same data, seed, optimiser and number of
# epochs; only the upsampler differs.

# %%
train = cu.data.load_mnist("train", limit=N_TRAIN)
test = cu.data.load_mnist("test", limit=N_TEST)
histories = {}
for kind, model in models.items():
    histories[kind] = cu.training.fit(
        model,
        train.images,
        test.images,
        epochs=EPOCHS,
        batch_size=64,
        progress=False,
    )
    print(f"{kind:<22} test MSE {histories[kind].test_loss[-1]:.4f}")
cu.plotting.plot_losses(histories, title="three upsamplers, same autoencoder")
# %% [markdown]
# The reconstructions side by side. Checkerboards are easiest to see in flat regions, so the
# last row zooms into the first digit of each model and stretches its contrast.

# %%
examples = test.images[:8]
reconstructions = {
    kind: cu.training.apply_in_batches(model, examples)
    for kind, model in models.items()
}
cu.plotting.show_rows(
    {"original": examples, **reconstructions}, n=8, title=f"after {EPOCHS} epoch(s)"
)

fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, (kind, images) in zip(axes, reconstructions.items()):
    # a gamma below 1 lifts the faint values
    ax.imshow(images[0, 0] ** 0.3, cmap="gray")
    ax.set_title(kind, fontsize=9)
    ax.set_axis_off()
fig.tight_layout()

# %% [markdown]
# And the artifact strength after training, beside the Nyquist share of the reconstructions
# themselves (what the eye sees), for the whole test set:

# %%
after = strength_table(models)
for kind, model in models.items():
    reconstructions = cu.training.apply_in_batches(model, test.images)
    after[kind]["reconstructions"] = cu.artifacts.nyquist_share(reconstructions)
after["(the test images)"] = {
    "reconstructions": cu.artifacts.nyquist_share(test.images)
}
print(f"artifact strength after {EPOCHS} epoch(s) of training, and the Nyquist share")
print("of the test reconstructions")
print(cu.tables.format_table(after, "upsampler", decimals=5))

# %%
mean_image_mse = float(test.images.var(dim=0, unbiased=False).mean())
if not cu.config.is_tiny():  # one tiny epoch does not train far enough for this
    for kind, model in models.items():
        assert cu.training.evaluate(model, test.images) < mean_image_mse, (
            f"{kind} should beat the mean image"
        )

# %% [markdown]
# Training changes the weights but not the geometry. To draw a flat output from a flat input,
# a kernel-3 stride-2 layer needs weights with $w_0 + w_2 = w_1$ along each axis (the tent
# above), a kernel-4 layer $w_0 + w_2 = w_1 + w_3$; resize + convolution meets the condition
# by construction, for any weights. The table shows how far each of our small models got.
# {cite:t}`odena2016` observed that networks often do not learn to compensate fully, and that
# even layers whose kernel size the stride divides can *learn* artifacts.
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
# The check cell below is the exercise's public check: it verifies that your layer is not one
# of the chapter's three, doubles the size, is linear, and that your number matches an
# independent recomputation of its artifact strength.

# %% tags=["solution", "ex-3.1"]
IN_CHANNELS, SIZE = 8, 7
### BEGIN SOLUTION
cu.config.seed_everything(0)
my_upsampler = nn.Sequential(
    nn.Upsample(scale_factor=2, mode="bilinear"),
    nn.Conv2d(IN_CHANNELS, IN_CHANNELS, 3, padding=1),
)
my_strength = cu.artifacts.artifact_strength(
    my_upsampler, in_channels=IN_CHANNELS, size=SIZE
)
cu.config.seed_everything(0)
no_overlap = nn.ConvTranspose2d(IN_CHANNELS, IN_CHANNELS, 2, stride=2)
no_overlap_strength = cu.artifacts.artifact_strength(
    no_overlap, in_channels=IN_CHANNELS, size=SIZE
)
print(
    f"bilinear + conv: {my_strength:.4f}; ConvTranspose k2 s2 (no overlap): "
    f"{no_overlap_strength:.4f}"
)
### END SOLUTION

# %% tags=["check", "ex-3.1"]
from course_utils.checks.checkerboard_artifacts import check_artifact_strength

check_artifact_strength(my_upsampler, my_strength, in_channels=IN_CHANNELS, size=SIZE)

# %% [markdown]
# Bilinear resizing followed by a convolution, like nearest resizing followed by one, turns a
# flat input into a flat output for any weights, so its strength (printed above) is near
# zero. The kernel-2 transposed convolution has no overlap at all, hence no *uneven* overlap,
# yet each output phase is fed by its own single tap per channel, so with random weights it
# draws a checkerboard about as strong as the other transposed convolutions. Even (or no)
# overlap is not the same as no artifact, which is why {cite:t}`odena2016` prefer
# resize + convolution.
#
# ## Summary
#
# - A transposed convolution whose kernel size is not divisible by its stride writes to some
#   output pixels more often than to others; the overlap map shows the 1-2-2-4 checkerboard of
#   kernel 3 with stride 2, and stacked layers compound it.
# - The artifact strength, the share of a layer's output energy at the Nyquist frequencies
#   for inputs that have none, is large for both transposed convolutions at initialisation
#   and near zero for resize + convolution. The gain map (how evenly a layer passes noise)
#   is a different quantity: the overlap shows there.
# - Resizing then convolving gives flat outputs for flat inputs by construction, whatever
#   the weights; its four output phases still apply different grouped kernels.
#
# ## References
#
# {cite:t}`odena2016` is the source of this chapter's analysis and of the resize-convolution
# recommendation; {cite:t}`dumoulin2016` explain transposed convolutions. The full list is on the
# [references](references.md) page.
