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
# # 5. Super-resolution
#
# A denoiser learns to undo noise; the same recipe undoes *missing resolution*. Shrink every
# training image, feed the small version to a network and ask for the full-size original: the
# network learns to fill in detail that interpolation cannot know, because it has learnt what
# the images look like {cite:p}`dong2014`. This chapter trains such a model on MNIST, from
# 14 × 14 to 28 × 28, with the blocks of chapter 4, and compares it with classical
# interpolation.
#
# **Learning goals.** After this chapter you can
# - make training pairs by area downscaling, and say what information it destroys;
# - upsample with nearest-neighbour and bicubic interpolation as baselines;
# - build an upsampling network from the up and residual blocks of chapter 4 and train it;
# - compare the methods by PSNR, and see what a super-resolution model does with an input
#   that is nothing like its training data.

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
# As in every chapter, the cell below sets the sizes: `cu.config.by_scale` picks them for the
# book's scale (the default), the `tiny` test run (`COURSE_SCALE=tiny`) or the `full` scale;
# seeds are fixed, so the numbers on this page come out the same every run.
# **On a GPU (in Colab: Runtime → Change runtime type), first run
# `import os; os.environ["COURSE_SCALE"] = "full"`** to train on all of MNIST.

# %%
import torch

import course_utils as cu

cu.config.seed_everything(0)
device = cu.config.get_device()
N_TRAIN = cu.config.by_scale(tiny=400, book=4_000, full=None)  # None: all of them
N_TEST = cu.config.by_scale(tiny=200, book=1_000, full=None)
EPOCHS = cu.config.by_scale(tiny=1, book=4)
LR = 1e-2  # the peak of a one-cycle schedule (Adam), as in chapter 4
CHANNELS = cu.config.by_scale(tiny=8, book=16)
print(
    f"device: {device}, scale: {cu.config.scale()}, "
    f"epochs per model: {EPOCHS}, channels: {CHANNELS}"
)

# %% [markdown]
# ## Making low-resolution images
#
# We shrink each 28 × 28 digit by a factor $f = 2$ with **area downscaling**: every output pixel
# is the mean of an $f \times f$ block of input pixels,
#
# $$
# y_{ij} = \frac{1}{f^2} \sum_{a=0}^{f-1} \sum_{b=0}^{f-1} x_{f i + a,\, f j + b},
# $$
#
# which is what a sensor with $f$ times larger pixels would record. `cu.corruption.downscale(x, factor)` in
# `course_utils.corruption` does this with average pooling. Four pixels become one, so three
# quarters of the numbers are gone, and with them the sharp edges of the strokes.

# %%
train = cu.data.load_mnist("train", limit=N_TRAIN)
test = cu.data.load_mnist("test", limit=N_TEST)
small_test = cu.corruption.downscale(test.images, 2)
print(f"{tuple(test.images.shape[1:])} -> {tuple(small_test.shape[1:])}")

# %% [markdown]
# ## Baselines: interpolation
#
# Interpolation guesses the missing pixels from the neighbouring known ones, the same way for
# every image. **Nearest-neighbour** repeats each pixel $f \times f$ times. **Bicubic**
# interpolation, in PyTorch, is Keys' cubic convolution {cite:p}`keys1981` with $a = -0.75$: each
# new pixel is a weighted sum of its 4 × 4 nearest known pixels, the weights given per axis by
# a piecewise-cubic kernel (the tests of `course_utils` rebuild it from Keys' formula). It is
# smoother; its kernel has negative lobes, so it can overshoot at sharp edges, and we clip it
# to [0, 1]. Both come from
# `torch.nn.functional.interpolate`. We score everything with the PSNR of chapter 4 (mean over
# the test images, in dB; higher is better).

# %%
results = {
    "2× (14 → 28)": {
        "nearest": cu.metrics.psnr(
            cu.baselines.upsample(small_test, 2, "nearest"), test.images
        ),
        "bicubic": cu.metrics.psnr(
            cu.baselines.upsample(small_test, 2, "bicubic"), test.images
        ),
    }
}
print(cu.tables.format_table(results, "PSNR (dB)"))

# %% [markdown]
# ## A super-resolution network
#
# The network reuses the blocks of chapter 4. A 3 × 3 convolution turns the small image into
# feature maps, a residual block refines them at the small size, where they are cheap, one
# `UpBlock` per doubling (a transposed convolution with stride 2) enlarges them, and a final
# 3 × 3 convolution with a sigmoid turns the features back into pixels in [0, 1]. Unlike the
# autoencoders of chapter 4 there is no bottleneck: the input is already the compressed
# version, and the network only has to learn the *decoder*.

# %%
cu.notebook.show_source(cu.models.conv.SuperResolution)

# %% [markdown]
# Training pairs are made on the fly, like the noisy inputs of chapter 4: the batch loss
# shrinks each clean batch with `cu.corruption.downscale` and compares the model's output
# with the original. Downscaling draws no random numbers, so the corruption ignores the
# generator that `cu.corruption.RestorationLoss` hands it.

# %%
cu.config.seed_everything(0)
model_2x = cu.models.conv.SuperResolution(factor=2, channels=CHANNELS).to(device)
history_2x = cu.training.fit(
    model_2x,
    train.images,
    test.images,
    epochs=EPOCHS,
    lr=LR,
    batch_size=64,
    loss_fn=cu.corruption.RestorationLoss(lambda x, _: cu.corruption.downscale(x, 2)),
    schedule="onecycle",
)
cu.plotting.plot_losses(history_2x, title="super-resolution 14 → 28")
# %%
sr_test = cu.training.apply_in_batches(model_2x, small_test)
results["2× (14 → 28)"]["network"] = cu.metrics.psnr(sr_test, test.images)
print(cu.tables.format_table(results, "PSNR (dB)"))
cu.plotting.show_rows(
    {
        "14 × 14 input": small_test,
        "nearest": cu.baselines.upsample(small_test, 2, "nearest"),
        "bicubic": cu.baselines.upsample(small_test, 2, "bicubic"),
        "network": sr_test,
        "original": test.images,
    },
    title="2× super-resolution",
)
# %% [markdown]
# Bicubic interpolation beats nearest-neighbour but stays blurry: it knows nothing about
# digits. The network draws crisp strokes with clean backgrounds, because it has learnt that
# MNIST pixels are mostly 0 or 1 and that strokes have a typical width. Its PSNR is well above
# bicubic's, as the check below makes sure (at the book's scale; the tiny test run trains too
# briefly).

# %%
row = results["2× (14 → 28)"]
cu.results.finding(  # asserted at the book's scale; a tiny run trains too briefly
    f"network {row['network']:.2f} dB > bicubic {row['bicubic']:.2f} dB > "
    f"nearest {row['nearest']:.2f} dB",
    row["network"] > row["bicubic"] > row["nearest"],
)
assert sr_test.shape == test.images.shape  # at every scale

# %% [markdown]
# ## Exercise ex-5.1: 4× super-resolution, and pure noise
#
# Shrinking by 4 leaves a 7 × 7 image: one number for every 16 pixels.
#
# 1. Train `model_4x = SuperResolution(factor=4, channels=CHANNELS)` for `EPOCHS_4X` epochs with a
#    batch loss that downscales each batch by 4.
# 2. Compute `sr_4x`, its 28 × 28 outputs for all test images downscaled by 4, and add the
#    4× PSNRs of nearest, bicubic and the network to `results`.
# 3. Draw `noise_in`, a few 7 × 7 images of uniform noise (with a seeded generator), compute
#    `noise_out = apply_in_batches(model_4x, noise_in)` and show both.
#
# What does the 4× model make of noise? Why?
#
# The check makes sure that `sr_4x` and `noise_out` are your model's outputs for the right
# inputs, that the outputs are 28 × 28, that the model has weights to train (a fixed
# interpolation is the baseline, not an answer) and that `noise_in` looks like uniform noise
# rather than digits. Then, on test digits it draws itself, it measures your model's PSNR:
# it must beat bicubic interpolation, nearest upsampling and the same architecture
# untrained, at every scale (which is why the tiny scale trains for 20 epochs here).

# %% tags=["solution", "ex-5.1"]
EPOCHS_4X = cu.config.by_scale(tiny=20, book=4)


### BEGIN SOLUTION
cu.config.seed_everything(0)
model_4x = cu.models.conv.SuperResolution(factor=4, channels=CHANNELS).to(device)
cu.training.fit(
    model_4x,
    train.images,
    test.images,
    epochs=EPOCHS_4X,
    lr=LR,
    batch_size=64,
    loss_fn=cu.corruption.RestorationLoss(lambda x, _: cu.corruption.downscale(x, 4)),
    schedule="onecycle",
)
tiny_test = cu.corruption.downscale(test.images, 4)
sr_4x = cu.training.apply_in_batches(model_4x, tiny_test)
results["4× (7 → 28)"] = {
    "nearest": cu.metrics.psnr(
        cu.baselines.upsample(tiny_test, 4, "nearest"), test.images
    ),
    "bicubic": cu.metrics.psnr(
        cu.baselines.upsample(tiny_test, 4, "bicubic"), test.images
    ),
    "network": cu.metrics.psnr(sr_4x, test.images),
}
print(cu.tables.format_table(results, "PSNR (dB)"))

noise_in = torch.rand(10, 1, 7, 7, generator=torch.Generator().manual_seed(0))
noise_out = cu.training.apply_in_batches(model_4x, noise_in)
cu.plotting.show_rows(
    {
        "7 × 7 input": tiny_test,
        "network": sr_4x,
        "original": test.images,
        "noise input": noise_in,
        "its output": noise_out,
    },
    title="4× super-resolution",
)
### END SOLUTION

# %% tags=["check", "ex-5.1"]
from course_utils.checks.super_resolution import check_super_resolution_4x

check_super_resolution_4x(model_4x, sr_4x, noise_in, noise_out, test.images)

# %%
for factor, row in results.items():  # the benchmark's quality table (make bench)
    cu.results.record(
        f"{factor} super-resolution, PSNR (dB)",
        model=("network", row["network"]),
        baseline=("bicubic", row["bicubic"]),
        higher_is_better=True,
    )

# %% [markdown]
# At 4× the network still finds most digits in 7 × 7 blobs, where bicubic interpolation only
# shows blurred patches; it is sometimes wrong where two digits have similar blobs. Fed pure
# noise, it does not return noise: it draws stroke-like pieces, bright ridges on a dark
# background, where the noise happens to be bright. The network can only produce what it has
# learnt that a high-resolution image looks like. More precisely, a network trained with the
# mean squared error learns (as far as it can) the *conditional mean* of the high-resolution
# image given the low-resolution one: the average of all the digits that could have produced
# this blob, weighted by how often they do. That average is why its outputs are blurred where
# the small image is ambiguous: two possible strokes become two faint ones. It is not the most
# likely image, let alone the true one. Minimising the squared error is maximising a Gaussian
# likelihood of fixed variance, the view of a decoder as a probability model that the
# variational autoencoder (chapter 6) makes explicit. This is a strength on digits and a danger
# elsewhere: a super-resolution network fills in detail typical of its training images, so its
# output is not evidence of what the original showed.
#
# ## Exercise ex-5.2 (optional): colour images
#
# CIFAR-10 {cite:p}`krizhevsky2009` holds 32 × 32 colour photographs of ten kinds of objects.
# Train a 2× model with `image_channels=3` on CIFAR-10 training images (`load_cifar10`), and
# store in `cifar_results` the clean test images (`"clean"`), your model's outputs for them
# downscaled by 2 (`"sr"`), and the mean PSNRs of your model (`"psnr_sr"`) and of bicubic
# upsampling (`"psnr_bicubic"`). Does the network beat bicubic interpolation as clearly as on
# digits? Why not? If CIFAR-10 cannot be downloaded, print one sentence saying so and set
# `cifar_results = None`; the check then skips.

# %% tags=["solution", "ex-5.2"]
N_CIFAR = cu.config.by_scale(tiny=200, book=10_000)
### BEGIN SOLUTION
try:
    cifar_train = cu.data.load_cifar10("train", limit=N_CIFAR)
    cifar_test = cu.data.load_cifar10(
        "test", limit=cu.config.by_scale(tiny=100, book=1000)
    )
except cu.data.DataUnavailable as error:
    print(f"CIFAR-10 is not available here, so this exercise is skipped: {error}")
    model_cifar, cifar_results = None, None
else:
    cu.config.seed_everything(0)
    model_cifar = cu.models.conv.SuperResolution(
        factor=2, channels=32, image_channels=3
    ).to(device)
    cu.training.fit(
        model_cifar,
        cifar_train.images,
        epochs=EPOCHS,
        lr=LR,
        batch_size=64,
        loss_fn=cu.corruption.RestorationLoss(
            lambda x, _: cu.corruption.downscale(x, 2)
        ),
        schedule="onecycle",
    )
    clean = cifar_test.images
    small_cifar = cu.corruption.downscale(clean, 2)
    bicubic = cu.baselines.upsample(small_cifar, 2, "bicubic")
    sr = cu.training.apply_in_batches(model_cifar, small_cifar)
    cifar_results = {
        "clean": clean,
        "sr": sr,
        "psnr_sr": cu.metrics.psnr(sr, clean),
        "psnr_bicubic": cu.metrics.psnr(bicubic, clean),
    }
    print(
        f"CIFAR-10 2×: network {cifar_results['psnr_sr']:.2f} dB, "
        f"bicubic {cifar_results['psnr_bicubic']:.2f} dB"
    )
    cu.plotting.show_rows(
        {"bicubic": bicubic, "network": sr, "original": clean}, title="CIFAR-10, 2×"
    )
### END SOLUTION

# %% tags=["check", "ex-5.2"]
from course_utils.checks.super_resolution import check_cifar_super_resolution

check_cifar_super_resolution(model_cifar, cifar_results)

# %% [markdown]
# Natural photographs are far more varied than digits: there is no small set of shapes to
# learn, and bicubic interpolation is already a good guess for smooth regions, so the gain of a
# small network trained briefly is much smaller than on MNIST, and larger models and longer
# training are what the published super-resolution networks use.
#
# ## Summary
#
# - Super-resolution is trained like a denoiser: the input is a degraded image (here shrunk by
#   area downscaling), the target the original, and the pairs are made on the fly.
# - Interpolation treats every image alike; a network trained on one kind of image fills in
#   detail typical of that kind, and on this page beats bicubic interpolation by several dB.
# - The detail is *invented*: given pure noise, the 4× model draws strokes. A super-resolved
#   image shows what is plausible, not what was there.
#
# ## References
#
# {cite:t}`dong2014` train the first convolutional network for super-resolution (SRCNN);
# {cite:t}`he2016` introduce the residual connections that the blocks here use. The full list
# is on the [references](references.md) page.
