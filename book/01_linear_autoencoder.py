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
# # 1. The linear autoencoder
#
# An autoencoder learns to copy its input through a narrow middle layer, the *bottleneck*.
# Because the bottleneck has fewer numbers than the input, the network cannot copy pixel by
# pixel: it has to find a short description of each image that is good enough to redraw it.
# In this chapter the encoder and the decoder are each a single linear layer, which is small
# enough to understand completely, and which turns out to rediscover a classic method,
# principal component analysis (PCA).
#
# **Learning goals.** After this chapter you can
# - build and train a 784 → *k* → 784 autoencoder on MNIST with a mean-squared-error loss;
# - explain why a purely linear autoencoder reaches the same error as PCA with *k* components,
#   and check it numerically;
# - read a bottleneck-size sweep: how the reconstruction error falls as *k* grows;
# - draw a 2-D latent space coloured by digit and compare it with PCA's projection.

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
# Every chapter runs at three scales, set in the cell below: `book` (the default, fixed sizes
# that take minutes on a laptop CPU), `tiny` (a few hundred images in seconds, how the course's
# tests run it: `COURSE_SCALE=tiny`) and `full` (all of MNIST, for a GPU).
# **On a GPU (in Colab: Runtime → Change runtime type), first run
# `import os; os.environ["COURSE_SCALE"] = "full"`.** `cu.config.by_scale` picks the value for
# the current scale. Seeds are fixed, so a run on the CPU gives the same numbers every time. On
# a GPU some operations are not deterministic by default (PyTorch's
# `torch.use_deterministic_algorithms(True)`, with the environment variable
# `CUBLAS_WORKSPACE_CONFIG=:4096:8` on CUDA, makes them so), and results can also differ
# between devices and library versions in the last digits.

# %%
import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import FormatStrFormatter, LogLocator
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

import course_utils as cu

cu.config.seed_everything(0)
device = cu.config.get_device()
N_TRAIN = cu.config.by_scale(tiny=1_000, book=4_000, full=None)  # None: all of them
N_TEST = cu.config.by_scale(tiny=500, book=1_000, full=None)
EPOCHS = cu.config.by_scale(tiny=10, book=30)
# tiny runs take a few big steps; the book takes many careful ones
LR = cu.config.by_scale(tiny=1e-2, book=1e-3)
print(
    f"device: {device}, scale: {cu.config.scale()}, "
    f"epochs per model: {EPOCHS}, learning rate: {LR}"
)

# %% [markdown]
# ## The data
#
# MNIST holds 28 × 28 grey-scale digits {cite:p}`lecun1998`. `cu.data.load_mnist` returns the images as a
# tensor `N × 1 × 28 × 28` with values in [0, 1], and their labels. The labels are never shown
# to the autoencoder: it learns from the images alone, which is why autoencoders are called
# *self-supervised*. We only use the labels afterwards, to colour plots.

# %%
train = cu.data.load_mnist("train", limit=N_TRAIN)
test = cu.data.load_mnist("test", limit=N_TEST)
cu.plotting.show_images(
    train.images[:20], nrow=10, title="the first twenty training digits"
)
# %% [markdown]
# ## The model
#
# The encoder maps a flattened image $x \in [0,1]^{784}$ to a code $z \in \mathbb{R}^k$, and the
# decoder maps the code back to an image $\hat x$:
#
# $$
# z = W_e x + b_e, \qquad \hat x = \sigma(W_d z + b_d),
# $$
#
# with $W_e \in \mathbb{R}^{k \times 784}$, $W_d \in \mathbb{R}^{784 \times k}$ and the sigmoid
# $\sigma$ keeping every output pixel in [0, 1], like the input. Training minimises the mean
# squared error over the $N$ training images and their $D = 784$ pixels:
#
# $$
# \mathcal{L} = \frac{1}{N D} \sum_{n=1}^{N} \lVert x_n - \hat x_n \rVert^2 .
# $$
#
# This is the class the chapter uses, from `course_utils.models.linear`:

# %%
cu.notebook.show_source(cu.models.linear.LinearAutoencoder)

# %% [markdown]
# We train a model with a 32-number bottleneck, 24 times fewer numbers than pixels, using Adam.
# `cu.training.fit` is the course's training loop, used by every chapter. It is short enough
# to read whole: every epoch it visits the in-memory images in a fresh order, computes a
# *batch loss* (here the mean squared error between a batch and its reconstruction), takes
# one optimiser step per batch and records the mean train and test loss.

# %%
cu.notebook.show_source(cu.training.fit)

# %% [markdown]
# Now the training itself:

# %%
cu.config.seed_everything(0)
model = cu.models.linear.LinearAutoencoder(bottleneck=32).to(device)
history = cu.training.fit(
    model, train.images, test.images, epochs=EPOCHS, batch_size=64, lr=LR
)
print(f"test MSE after {EPOCHS} epochs: {history.test_loss[-1]:.4f}")
cu.plotting.plot_losses(history, title="linear autoencoder, k = 32")
# %% [markdown]
# The reconstructions are blurry but clearly the right digits: 32 numbers are enough to
# redraw the shape, not every stroke.

# %%
examples = test.images[:10]
cu.plotting.show_reconstructions(
    examples, cu.training.apply_in_batches(model, examples), title="k = 32"
)
# %% [markdown]
# ## A linear autoencoder recovers PCA
#
# Drop the sigmoid and the whole model is linear: $\hat x = W_d W_e x + c$. Its reconstructions
# lie in the column space of $W_d$, a subspace of dimension at most $k$, so the best it can do is
# to project every image orthogonally onto the $k$-dimensional subspace that keeps the most
# variance of the training data. That subspace is exactly what PCA with $k$ components finds.
# {cite:t}`baldi1989` showed more: the squared-error surface of a linear autoencoder has no
# spurious local minima; every minimum spans the principal subspace. Gradient descent therefore
# finds PCA's subspace, though not its axes: any invertible mix of the $k$ principal directions
# reconstructs equally well, so the columns of $W_d$ need not be orthogonal or ordered.
#
# So the prediction is concrete: **a trained linear autoencoder and PCA with the same $k$ should
# reach the same test MSE**. We compute PCA with scikit-learn, independently of PyTorch.

# %%
K_PCA = 16
flat_train = train.images.flatten(start_dim=1).numpy()
flat_test = test.images.flatten(start_dim=1).numpy()


def pca_test_mse(k: int) -> float:
    """Test MSE of the test images rebuilt from k components fitted on train."""
    pca = PCA(n_components=k, random_state=0).fit(flat_train)
    reconstruction = pca.inverse_transform(pca.transform(flat_test))
    return cu.metrics.mse(torch.from_numpy(reconstruction), torch.from_numpy(flat_test))


cu.config.seed_everything(0)
linear_model = cu.models.linear.LinearAutoencoder(bottleneck=K_PCA, output="linear").to(
    device
)
cu.training.fit(
    linear_model,
    train.images,
    test.images,
    epochs=cu.config.by_scale(tiny=10, book=40),
    batch_size=64,
    lr=LR,
)
ae_mse = cu.training.evaluate(linear_model, test.images)
pca_mse = pca_test_mse(K_PCA)
gap = ae_mse / pca_mse - 1
print(
    f"k = {K_PCA}: test MSE of the linear autoencoder {ae_mse:.5f}, "
    f"of PCA {pca_mse:.5f}; difference {gap:+.2%}"
)
cu.results.record(
    f"test MSE, k = {K_PCA}, linear AE (PCA is the optimum)",
    model=("linear AE", ae_mse),
    baseline=("PCA", pca_mse),
    higher_is_better=False,
    within=0.05,  # "within a few percent", as the text below says
)

# %% [markdown]
# At the book's scale the two errors agree to within a few percent (the line above is this
# page's own run; a tiny test run stops long before convergence, and on all of MNIST, the full
# scale, they agree to a fraction of a percent: `bench/results.md`). The autoencoder cannot beat
# PCA on the training set, where PCA is the exact optimum; on the test set the two differ only
# by how far gradient descent got.
#
# We can also compare the subspaces directly. The cosines of the *principal angles* between
# the span of the decoder's columns and the span of PCA's components are all 1 when the two
# subspaces coincide, and 0 for directions one has and the other lacks.

# %%
decoder_weight = linear_model.decoder.weight.detach().cpu().double()
decoder_basis, _ = torch.linalg.qr(decoder_weight)  # orthonormal basis, 784 x k
pca = PCA(n_components=K_PCA, random_state=0).fit(flat_train)
pca_basis = torch.from_numpy(pca.components_.T).double()
cosines = torch.linalg.svdvals(decoder_basis.T @ pca_basis)
print(
    f"cosines of the principal angles: mean {cosines.mean():.3f}, "
    f"smallest {cosines.min():.3f}"
)

# %% [markdown]
# The mean is close to 1: the subspaces nearly coincide. The smallest cosine is the laggard.
# The last principal directions explain almost the same variance as the next ones outside the
# subspace, so the loss barely changes when the model swaps one for the other, and gradient
# descent takes longest to settle them. They also matter least for the error, which is why the
# two MSEs already agree.

# %%
mean_image_mse = float(test.images.var(dim=0, unbiased=False).mean())
assert ae_mse < mean_image_mse, "should beat drawing the average digit"  # every scale
# asserted at the book's scale, where they were checked; printed at the others
cu.results.finding(
    f"the linear autoencoder's test MSE is within 5% of PCA's ({gap:+.2%})",
    abs(gap) < 0.05,
)
cu.results.finding(
    f"the two subspaces nearly coincide (mean cosine {cosines.mean():.3f} > 0.9)",
    cosines.mean() > 0.9,
)

# %% [markdown]
# ## How large should the bottleneck be?
#
# A wider bottleneck keeps more information, so the error falls as $k$ grows, quickly at first
# and then slowly: the first components capture the broad shape of a digit, later ones only
# details of handwriting. We train the sigmoid autoencoder for several $k$ and put PCA's error
# beside it. Where the autoencoder's curve lies below PCA's, the sigmoid is paying off: it makes
# the decoder slightly non-linear, which helps where pixels saturate at 0 or 1. Where it lies
# above, gradient descent has not found the best weights within its epochs, while PCA's answer
# is exact.

# %%
bottlenecks = cu.config.by_scale(tiny=[2, 8], book=[2, 4, 8, 16, 32, 64])
sweep = {}
for k in bottlenecks:
    cu.config.seed_everything(0)
    sweep_model = cu.models.linear.LinearAutoencoder(bottleneck=k).to(device)
    cu.training.fit(
        sweep_model,
        train.images,
        epochs=EPOCHS,
        batch_size=64,
        lr=LR,
        progress=False,
    )
    sweep[k] = (cu.training.evaluate(sweep_model, test.images), pca_test_mse(k))
    print(f"k = {k:3d}: autoencoder {sweep[k][0]:.4f}, PCA {sweep[k][1]:.4f}")
cu.results.record(  # the largest bottleneck, compared again in chapter 4
    f"test MSE, k = {k}",
    model=("sigmoid AE", sweep[k][0]),
    baseline=("PCA", sweep[k][1]),
    higher_is_better=False,
)

fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.plot(
    bottlenecks,
    [ae for ae, _ in sweep.values()],
    "o-",
    label="autoencoder (sigmoid output)",
)
ax.plot(bottlenecks, [p for _, p in sweep.values()], "s--", label="PCA")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xticks(bottlenecks, [str(k) for k in bottlenecks])
ax.minorticks_off()
ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))  # 0.01, 0.02, 0.05, ...
ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
ax.set(
    xlabel="bottleneck size k",
    ylabel="test MSE",
    title="reconstruction error against bottleneck size",
)
ax.legend()
plt.show()
# %%
errors = [ae for ae, _ in sweep.values()]
assert errors[0] > errors[-1], "a wider bottleneck should reconstruct better"
wins = [k for k, (ae, pca_error) in sweep.items() if ae < pca_error]
print(f"the sigmoid autoencoder's test MSE is below PCA's at k = {wins or 'none'}")

# %% [markdown]
# Which bottlenecks those are depends on the scale. PCA's error hardly changes with more
# data; the autoencoder's falls with every extra step of gradient descent. At the book's scale
# it wins only at the wider bottlenecks; on all 60,000 digits of MNIST (the full scale) it wins
# at every $k$ from 2 to 64, at $k = 64$ with under half of PCA's error (the full-scale run in
# `bench/results.md`).

# %% [markdown]
# ## Exercise ex-1.1: a 2-D latent space
#
# With $k = 2$ every image becomes a point in the plane, so we can look at the whole latent
# space at once.
#
# 1. Train a `cu.models.linear.LinearAutoencoder(bottleneck=2)` (name it `model_2d`) on
#    `train.images` with `cu.training.fit` for `EPOCHS_2D` epochs with `lr=LR` (pass it: at
#    the tiny scale `LR` is ten times `fit`'s default learning rate).
# 2. Compute `codes_2d`, the codes of all test images, as an `N × 2` tensor (hint:
#    `cu.training.apply_in_batches(model_2d.encode, test.images, module=model_2d)`).
# 3. Plot them coloured by digit with `cu.plotting.plot_latent_2d(codes, labels, ax=...,
#    title=...)`, which draws one colour per digit into a matplotlib axes `ax`, beside PCA's
#    2-D projection of the same test images: a `PCA(n_components=2)` fitted on the training
#    images (`flat_train`, as in the section above) and applied to `flat_test`. One figure
#    with two panels: `fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5))`.
#
# Which digits overlap? Do the two panels look alike, and why would you expect them to?
#
# The check cell below is the exercise's public check: run it to see at once whether your
# answer passes. It checks that `codes_2d` are your trained model's codes for the test
# images; then, on test digits it draws itself, that the model reconstructs through its 2-D
# code better than drawing the average digit for every image (at least 5 % of the way to
# PCA's 2-D reconstruction of those digits, the best any linear projection does), that
# its forward pass goes through the code, and that the codes separate the digits clearly
# better than chance.

# %% tags=["solution", "ex-1.1"]
EPOCHS_2D = cu.config.by_scale(tiny=40, book=30)
### BEGIN SOLUTION
cu.config.seed_everything(0)
model_2d = cu.models.linear.LinearAutoencoder(bottleneck=2).to(device)
cu.training.fit(
    model_2d, train.images, test.images, epochs=EPOCHS_2D, batch_size=64, lr=LR
)
codes_2d = cu.training.apply_in_batches(model_2d.encode, test.images, module=model_2d)

pca_2d = PCA(n_components=2, random_state=0).fit(flat_train)
pca_codes = torch.from_numpy(pca_2d.transform(flat_test))
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
cu.plotting.plot_latent_2d(
    codes_2d, test.labels, ax=left, title="linear autoencoder, k = 2"
)
cu.plotting.plot_latent_2d(pca_codes, test.labels, ax=right, title="PCA, 2 components")
fig.tight_layout()
# how close is the sigmoid model's projection to PCA's? (the encoder is linear: its two
# weight rows span the plane it projects onto)
encoder_basis, _ = torch.linalg.qr(model_2d.encoder.weight.detach().cpu().double().T)
pca_plane = torch.from_numpy(pca_2d.components_.T).double()
plane_cosines = torch.linalg.svdvals(encoder_basis.T @ pca_plane)
fit = LinearRegression().fit(pca_codes.numpy(), codes_2d.numpy())
print(
    f"cosines of the angles between the encoder's plane and PCA's: "
    f"{plane_cosines[0]:.3f}, {plane_cosines[1]:.3f}; "
    "R² of the codes from an affine map "
    f"of PCA's codes: {fit.score(pca_codes.numpy(), codes_2d.numpy()):.3f}"
)
### END SOLUTION

# %% tags=["check", "ex-1.1"]
from course_utils.checks.linear_autoencoder import check_latent_2d

check_latent_2d(model_2d, codes_2d, test.images, test.labels)

# %% [markdown]
# The two maps look alike, up to a rotation, a stretch and a reflection, but not exactly:
# `LinearAutoencoder(bottleneck=2)` has a sigmoid output, so the previous section's theory
# (a purely linear model finds PCA's subspace) does not apply as such. Its encoder is still
# linear, so the codes are a projection of the images onto a plane; but with a sigmoid
# decoder the best plane need not be the principal one. How close are the two planes? The
# cosines of their principal angles (1 for the same plane; the encoder's two weight rows span
# its plane, so `torch.linalg.qr` and `torch.linalg.svdvals` measure them as in the section
# above) and the $R^2$ of the codes from an affine map of PCA's codes (`LinearRegression`)
# answer it; the teacher's solution prints both. Zeros and ones sit apart at the ends; 4, 7
# and 9 pile on top of each other, as do 3, 5 and 8. A linear map to two numbers cannot
# untangle them. Non-linear encoders do better, and the variational autoencoder of a later
# chapter shapes this space on purpose.
#
# ## Summary
#
# - An autoencoder is an encoder and a decoder trained to reproduce their input through a
#   bottleneck; no labels are needed.
# - With linear layers and squared error, the best possible autoencoder spans the same subspace
#   as PCA with $k$ components, and gradient descent finds it: on this page the two test errors
#   agree to within the printed difference.
# - The reconstruction error falls quickly with the first few bottleneck dimensions and slowly
#   after; a 2-D bottleneck already separates some digits, but not all.
#
# ## References
#
# {cite:t}`baldi1989` prove the link between linear autoencoders and PCA;
# {cite:t}`hinton2006` show how much deep, non-linear autoencoders gain over it; chapter 14 of
# {cite:t}`goodfellow2016` is a textbook treatment. The full list is on the
# [references](references.md) page.
