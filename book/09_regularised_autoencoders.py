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
# # 9. Regularised autoencoders: denoising, sparse and contractive codes
#
# An autoencoder with a narrow bottleneck is forced to summarise. A wider code could copy
# its input, so something else has to stop it: a **regulariser**. This chapter trains one
# model, a single layer of 64 sigmoid code units, four ways: to reconstruct corrupted inputs
# (denoising), to keep its units mostly off (sparse, with an L1 or a KL penalty), and to keep
# its code insensitive to small changes of the input (contractive). Each is measured the
# same way: how many code values are near zero, how strongly the code reacts to the input
# (its Jacobian), and how well a linear classifier reads the digit from the code, against
# the plain autoencoder and PCA. Finally we check numerically that denoising with small
# noise *is* a contractive penalty, on the whole autoencoder {cite:p}`alain2014`.
#
# **Learning goals.** After this chapter you can
# - see the denoising autoencoder of chapter 4 as a regulariser, and add an L1 or a KL
#   sparsity penalty or a contractive penalty to the reconstruction loss;
# - derive the contractive penalty of a sigmoid layer in closed form, and write the KL
#   sparsity penalty, both differentiable;
# - measure codes alike: the share of near-zero values, the Jacobian norm, the code's
#   sensitivity to noise against a step towards another digit, and a linear probe;
# - show numerically that for small noise the denoising loss is the reconstruction loss plus
#   σ² times the squared Jacobian norm of the autoencoder.

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
# Sizes and epochs for the current scale, in one place (`COURSE_SCALE=tiny` runs it in
# seconds; `full` uses all of MNIST).

# %%
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

import course_utils as cu

cu.config.seed_everything(0)
device = cu.config.get_device()
TRAIN_SIZE = cu.config.by_scale(tiny=256, book=4_000, full=None)  # None: all of them
TEST_SIZE = cu.config.by_scale(tiny=128, book=1_000, full=None)
EPOCHS = cu.config.by_scale(tiny=2, book=30, full=50)
LR, BATCH = 1e-2, 32  # Adam's learning rate and the batch size of every model
HIDDEN = 64  # code units of every model
NOISE = 0.3  # the denoiser's Gaussian noise (standard deviation)
L1_WEIGHT, KL_WEIGHT, KL_TARGET = 3e-4, 3e-3, 0.05
CONTRACTION = 0.01
print(f"scale: {cu.config.scale()}, device: {device}, epochs: {EPOCHS}")
train = cu.data.load_mnist("train", limit=TRAIN_SIZE)
test = cu.data.load_mnist("test", limit=TEST_SIZE)
more = cu.models.more_autoencoders


def trained(loss_fn=cu.training.reconstruction_loss):
    """784 → HIDDEN sigmoid units → 784 from seed 0, trained with `loss_fn`: every
    model starts and trains alike, only its loss differs."""
    cu.config.seed_everything(0)
    model = more.OneLayerAutoencoder(HIDDEN, "sigmoid").to(device)
    cu.training.fit(
        model,
        train.images,
        epochs=EPOCHS,
        lr=LR,
        batch_size=BATCH,
        loss_fn=loss_fn,
        progress=False,
    )
    return model


cu.notebook.show_source(more.OneLayerAutoencoder)

# %% [markdown]
# ## The plain autoencoder, and how we measure a code
#
# With 64 code units for 784 pixels, the plain autoencoder minimises the reconstruction
# error alone. Every model of the chapter is measured on the test digits by the same five
# numbers:
#
# - **test MSE**, the reconstruction error;
# - **near 0**, the share of code values below 0.05: how many units are off for an image;
# - **‖J‖²_F**, the squared Frobenius norm of the encoder's Jacobian $\partial h/\partial x$,
#   averaged over the images: how strongly the code reacts to any small change of the input;
# - **digit/noise**, how many times further the code moves for a small step towards another
#   test digit than for a Gaussian-noise step of the same length: sensitivity where the data
#   vary against sensitivity where they do not;
# - **probe**, the test accuracy of a logistic regression trained on the training codes: how
#   much of the digit's identity a linear read-out finds in the code.

# %%
generator = torch.Generator().manual_seed(0)
x = test.images[:200].to(device)
noise_step = 0.05 * torch.randn(x.shape, generator=generator).to(device)
towards = x.roll(1, 0) - x  # a step towards the next test digit, as long as the noise
towards = towards * (
    noise_step.flatten(1).norm(dim=1) / towards.flatten(1).norm(dim=1)
).view(-1, 1, 1, 1)


def probe_accuracy(train_codes, test_codes) -> float:
    probe = LogisticRegression(max_iter=500)
    with warnings.catch_warnings():  # we read its accuracy, not its last iterations
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(train_codes.numpy(), train.labels.numpy())
    return probe.score(test_codes.numpy(), test.labels.numpy())


def measure(model) -> dict[str, float]:
    """The five numbers of the table for a one-layer sigmoid autoencoder."""
    codes = cu.training.apply_in_batches(model.encode, test.images)
    train_codes = cu.training.apply_in_batches(model.encode, train.images)
    weight = model.encoder[1].weight.detach().cpu()
    jacobian = cu.losses.sigmoid_contractive_penalty(codes, weight).mean()
    sensitivity = cu.regularisers.code_sensitivity
    return {
        "test MSE": cu.training.evaluate(model, test.images),
        "near 0": cu.regularisers.near_zero_share(codes),
        "‖J‖²_F": float(jacobian),
        "digit/noise": sensitivity(model.encode, x, towards)
        / sensitivity(model.encode, x, noise_step),
        "probe": probe_accuracy(train_codes, codes),
    }


models, table = {}, {}
models["plain"] = trained()
table["plain"] = measure(models["plain"])
print(cu.tables.format_table(table, "model", decimals=3))

# %% [markdown]
# The Jacobian column uses the closed form of a sigmoid layer (derived in exercise ex-9.1
# below); the next cell checks it against the full Jacobian from `torch.func.jacrev` on a
# few digits.

# %%
plain = models["plain"]
with torch.no_grad():
    closed = cu.losses.sigmoid_contractive_penalty(
        plain.encode(x[:20]), plain.encoder[1].weight
    )
full = cu.losses.contractive_penalty(plain.encode, x[:20]).detach()
print(f"largest relative difference: {float(((closed - full) / full).abs().max()):.1e}")
assert torch.allclose(closed, full, rtol=1e-4)

# %% [markdown]
# ## Denoising as a regulariser
#
# Chapter 4's denoiser learnt to map a corrupted digit back to the clean one. Seen from here,
# the noise is a regulariser: copying the input is no longer a solution, because the input
# is not the target {cite:p}`vincent2010`. The loss draws fresh Gaussian noise for every
# batch:
#
# $$
# \mathcal L(x) = \frac1D \bigl\lVert x - g\bigl(f(x + \sigma\varepsilon)\bigr)\bigr\rVert^2,
# \qquad \varepsilon \sim \mathcal N(0, I).
# $$


# %%
def denoising_loss(model, batch):
    noisy = batch + NOISE * torch.randn_like(batch)
    return F.mse_loss(model(noisy), batch)


models["denoising"] = trained(denoising_loss)
table[f"denoising σ={NOISE:g}"] = measure(models["denoising"])
print(cu.tables.format_table(table, "model", decimals=3))

# %% [markdown]
# ## Sparse codes: the L1 penalty
#
# A sparse autoencoder may have many code units but is trained to use few of them for each
# image. The simplest penalty is the L1 norm of the code, added to the reconstruction error
# with a weight $\lambda$ {cite:p}`goodfellow2016`:
#
# $$
# \mathcal L(x) = \frac{1}{D} \lVert x - g(f(x)) \rVert^2 + \lambda \sum_j \lvert h_j \rvert .
# $$
#
# The L1 norm pulls a small value towards zero as hard as a large one, so units switch off.
# (Its known loophole: the decoder can grow its weights while the encoder shrinks the codes;
# the near-zero share is a measure that cannot be gamed that way.)


# %%
def l1_loss(model, batch):
    codes = model.encode(batch)
    mse = F.mse_loss(model.decode(codes), batch)
    return mse + L1_WEIGHT * cu.losses.l1_sparsity(codes).mean()


models["L1"] = trained(l1_loss)
table[f"sparse L1 λ={L1_WEIGHT:g}"] = measure(models["L1"])

# %% [markdown]
# ## Sparse codes: the KL penalty
#
# The sparse autoencoder of {cite:t}`ng2011` controls each unit's *average* activation over
# a batch, $\hat\rho_j = \frac1N \sum_n h_j(x_n)$, and pulls it towards a small target
# $\rho$ (here 0.05) with the Kullback–Leibler divergence between two Bernoulli
# distributions, summed over the units:
#
# $$
# \Omega(h) = \sum_j \mathrm{KL}(\rho \,\Vert\, \hat\rho_j)
#   = \sum_j \Bigl[\rho \log\frac{\rho}{\hat\rho_j}
#     + (1 - \rho) \log\frac{1 - \rho}{1 - \hat\rho_j}\Bigr].
# $$
#
# It is zero when every unit is on average active with probability $\rho$ and grows without
# bound as an average nears 0 or 1. Unlike L1, it does not ask each image's code to be
# small, only each unit to be rarely on.
#
# ## Exercise ex-9.2: the KL sparsity penalty
#
# Write `my_kl_sparsity(codes, target)`: `codes` is a batch of sigmoid codes (a tensor
# N × units, values in (0, 1)), `target` is ρ (a number); return $\Omega$ as one number (a
# tensor), differentiable with respect to `codes`, so that training can minimise it. The
# check draws its own codes and target, and compares your value and its gradient with its
# own.


# %% tags=["solution", "ex-9.2"]
### BEGIN SOLUTION
def my_kl_sparsity(codes, target):
    rho_hat = codes.mean(dim=0)
    kl = target * torch.log(target / rho_hat) + (1 - target) * torch.log(
        (1 - target) / (1 - rho_hat)
    )
    return kl.sum()


### END SOLUTION


# %% tags=["check", "ex-9.2"]
from course_utils.checks.regularised_autoencoders import check_kl_sparsity

check_kl_sparsity(my_kl_sparsity)

# %% [markdown]
# The model below trains with the course's own copy of the penalty,
# `cu.regularisers.kl_sparsity`, so that the page runs whatever your answer.


# %%
def kl_loss(model, batch):
    codes = model.encode(batch)
    mse = F.mse_loss(model.decode(codes), batch)
    return mse + KL_WEIGHT * cu.regularisers.kl_sparsity(codes, KL_TARGET)


models["KL"] = trained(kl_loss)
table[f"sparse KL ρ={KL_TARGET:g}"] = measure(models["KL"])
average = cu.training.apply_in_batches(models["KL"].encode, test.images).mean(0)
print(
    f"KL model: units' average activation on the test digits from {average.min():.3f} "
    f"to {average.max():.3f} (target {KL_TARGET})"
)

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharey=True)
for ax, name in zip(axes, ["plain", "L1", "KL"]):
    codes = cu.training.apply_in_batches(models[name].encode, test.images)
    ax.hist(codes.flatten().numpy(), bins=50, range=(0, 1), log=True)
    ax.set_title(f"{name}: values of the {HIDDEN} code units")
    ax.set_xlabel("code value")
axes[0].set_ylabel("count (log scale)")
fig.tight_layout()
# %% [markdown]
# ## Contractive codes
#
# A contractive autoencoder {cite:p}`rifai2011` penalises how strongly the code reacts to
# the input: the squared Frobenius norm of the encoder's Jacobian,
#
# $$
# \mathcal L(x) = \frac{1}{D} \lVert x - g(f(x)) \rVert^2
#   + \lambda \left\lVert \frac{\partial f(x)}{\partial x} \right\rVert_F^2 ,
# \qquad
# \left\lVert \frac{\partial f(x)}{\partial x} \right\rVert_F^2
#   = \sum_{j, i} \left( \frac{\partial h_j}{\partial x_i} \right)^2 .
# $$
#
# The reconstruction term wants the code to change along the directions in which the
# digits differ; the penalty wants it to change along no direction at all. What survives
# is a code that follows the data and ignores the rest. `cu.losses.contractive_penalty`
# computes the norm for any encoder from its Jacobian (`torch.func.jacrev`, batched with
# `vmap`); for one sigmoid layer it has a closed form, which makes training as fast as the
# plain model's.
#
# ## Exercise ex-9.1: the contractive penalty in closed form
#
# For one sigmoid layer $h = \sigma(W x + b)$, show that
# $\partial h_j / \partial x_i = h_j (1 - h_j) W_{ji}$ and hence
#
# $$
# \left\lVert \frac{\partial h}{\partial x} \right\rVert_F^2
#   = \sum_j \bigl(h_j (1 - h_j)\bigr)^2 \sum_i W_{ji}^2 .
# $$
#
# Then write `my_contractive_penalty(model, images)` for a
# `more.OneLayerAutoencoder(hidden, "sigmoid")`: one value per image, from
# `model.encode(images)` and the layer's weight `model.encoder[1].weight` (`hidden × 784`),
# differentiable with respect to the layer's weight and bias, so that training can minimise
# it. The check draws its own layer, with codes spread over all of (0, 1), and compares your
# values with the full Jacobian's and your gradients with its own. (Forming the Jacobian
# with `torch.func` also gives the right numbers; the closed form is the point of the
# exercise because it is what makes training fast.)


# %% tags=["solution", "ex-9.1"]
### BEGIN SOLUTION
def my_contractive_penalty(model, images):
    codes = model.encode(images)
    weight = model.encoder[1].weight
    slope = codes * (1 - codes)
    return (slope**2 * (weight**2).sum(dim=1)).sum(dim=1)


### END SOLUTION


# %% tags=["check", "ex-9.1"]
from course_utils.checks.regularised_autoencoders import check_contractive_penalty

check_contractive_penalty(my_contractive_penalty)

# %% [markdown]
# The contractive model trains with `cu.losses.sigmoid_contractive_penalty`, the course's
# closed form:


# %%
def contractive_loss(model, batch):
    codes = model.encode(batch)
    weight = model.encoder[1].weight
    penalty = cu.losses.sigmoid_contractive_penalty(codes, weight)
    return F.mse_loss(model.decode(codes), batch) + CONTRACTION * penalty.mean()


models["contractive"] = trained(contractive_loss)
table[f"contractive λ={CONTRACTION:g}"] = measure(models["contractive"])

# %% [markdown]
# ## All of them, measured alike
#
# PCA with as many components as code units is the linear yardstick: its code is
# $h = U^\top (x - \mu)$ with orthonormal columns in $U$, so its Jacobian is $U^\top$ and
# $\lVert J \rVert_F^2$ is exactly the number of components; its codes are not squashed into
# (0, 1), so the near-zero share does not apply.

# %%
pca = PCA(HIDDEN).fit(train.images.flatten(1).numpy())


def pca_encode(images):
    pixels = images.flatten(1).cpu().numpy()
    return torch.from_numpy(pca.transform(pixels)).float()


pca_codes = pca_encode(test.images)
pca_reconstruction = torch.from_numpy(pca.inverse_transform(pca_codes.numpy())).float()
sensitivity = cu.regularisers.code_sensitivity
table[f"PCA {HIDDEN}"] = {
    "test MSE": float(F.mse_loss(pca_reconstruction, test.images.flatten(1))),
    "‖J‖²_F": float((torch.from_numpy(pca.components_) ** 2).sum()),
    "digit/noise": sensitivity(pca_encode, x.cpu(), towards.cpu())
    / sensitivity(pca_encode, x.cpu(), noise_step.cpu()),
    "probe": probe_accuracy(pca_encode(train.images), pca_codes),
}
print(cu.tables.format_table(table, "model", decimals=3))

# %% [markdown]
# What the table says, row against row (the next cell prints whether each statement holds in
# this run; the book's numbers, 4,000 digits and 30 epochs, are where they were written):
#
# - both sparse penalties raise the share of near-zero code values well above the plain
#   model's (the KL penalty most), at a cost in reconstruction error;
# - the contractive penalty lowers the Jacobian norm by orders of magnitude, and the
#   denoiser lowers it too, without any term that mentions a Jacobian;
# - the plain code reacts *more* to noise than to a step of the same length towards another
#   digit: with 64 free units it follows every pixel. The denoising and contractive codes
#   turn that round; they react to what tells the digits apart more than to noise;
# - the linear probe reads the digit about equally well from the plain, denoising and
#   sparse codes; at this weight the contractive code loses some of what tells the digits
#   apart, and its reconstruction error is the highest.

# %%
plain_row = table["plain"]
rows = {name: row for name, row in table.items() if "PCA" not in name}
sparse_rows = [row for name, row in rows.items() if name.startswith("sparse")]
contractive_row = table[f"contractive λ={CONTRACTION:g}"]
denoising_row = table[f"denoising σ={NOISE:g}"]
others = [row for row in rows.values() if row is not contractive_row]
claims = {
    "both sparse penalties raise the near-zero share": all(
        row["near 0"] > plain_row["near 0"] for row in sparse_rows
    ),
    "the sparse models reconstruct worse than the plain one": all(
        row["test MSE"] > plain_row["test MSE"] for row in sparse_rows
    ),
    "the contractive model has the lowest Jacobian norm of the autoencoders": min(
        rows.values(), key=lambda row: row["‖J‖²_F"]
    )
    is contractive_row,
    "the denoiser's Jacobian norm is below the plain model's": (
        denoising_row["‖J‖²_F"] < plain_row["‖J‖²_F"]
    ),
    "the plain code moves more with noise than towards a digit; the denoising and "
    "contractive codes the other way round": plain_row["digit/noise"] < 1
    and min(contractive_row["digit/noise"], denoising_row["digit/noise"]) > 1,
    "the probes of the plain, denoising and sparse codes lie within 2 points, the "
    "contractive one below them all": max(row["probe"] for row in others)
    - min(row["probe"] for row in others)
    < 0.02
    and contractive_row["probe"] < min(row["probe"] for row in others),
}
for claim, held in claims.items():
    cu.results.finding(claim, held)
cu.results.record(  # for `make bench`
    "encoder's squared Jacobian norm on test digits",
    model=("contractive", contractive_row["‖J‖²_F"]),
    baseline=("plain", plain_row["‖J‖²_F"]),
    higher_is_better=False,
)

# %% [markdown]
# ## What the units respond to
#
# Each code unit computes $h_j = \sigma(w_j^\top x + b_j)$: its weight vector $w_j$ has one
# entry per pixel, so it can be drawn as a 28 × 28 image, the input pattern that switches
# the unit on most per unit of input length. Every model started from the same weights
# (`trained` seeds them alike), so the rows below show the same ten units after each
# training: what each penalty did to one starting point. Each filter is scaled to [0, 1] on
# its own (white: the most positive weight, black: the most negative).


# %%
def filters(model, units=10):
    weights = model.encoder[1].weight[:units].detach().cpu()
    low = weights.min(dim=1, keepdim=True).values
    high = weights.max(dim=1, keepdim=True).values
    return ((weights - low) / (high - low)).view(units, 1, 28, 28)


cu.plotting.show_rows(
    {name: filters(model) for name, model in models.items()},
    title="the first ten units' encoder weights, per model",
)
plt.show()

# %% [markdown]
# ## Denoising is contraction, for small noise
#
# Why does the denoiser contract? Write $r = g \circ f$ for the whole autoencoder and expand
# it to first order around $x$: $r(x + \sigma\varepsilon) \approx r(x) + \sigma J_r(x)
# \varepsilon$. Averaging over $\varepsilon \sim \mathcal N(0, I)$, the cross term vanishes
# and $\mathbb E \lVert J_r \varepsilon \rVert^2 = \lVert J_r \rVert_F^2$, so
#
# $$
# \mathbb E_\varepsilon \lVert r(x + \sigma\varepsilon) - x \rVert^2
#   \approx \lVert r(x) - x \rVert^2 + \sigma^2 \lVert J_r(x) \rVert_F^2 :
# $$
#
# plus a term $\sigma^2 (r(x) - x)^\top \Delta r(x)$ from the curvature of $r$, which is
# small where $r(x)$ is close to $x$: for small noise, and a model that reconstructs well,
# the denoising loss is the reconstruction loss plus a *contractive* penalty on the
# reconstruction function, with weight $\sigma^2$ {cite:p}`alain2014`. The next cell
# measures it on the plain model: `cu.regularisers.denoising_terms` draws antithetic pairs
# of noise ($\varepsilon$ and $-\varepsilon$) and splits the measured increase of the
# error exactly into its Jacobian part and its curvature part; $\lVert J_r \rVert_F^2$
# comes from the full 784 × 784 Jacobian of the autoencoder (`torch.func.jacrev`). The
# Jacobian part over $\sigma^2 \lVert J_r \rVert_F^2 / D$ should approach 1 as $\sigma$
# shrinks.

# %%
few = x[:16]
jacobian_r = cu.losses.contractive_penalty(plain, few).detach().double().cpu()
print(
    f"{'σ':>6}{'increase':>11}{'Jacobian part':>15}{'σ² ‖J_r‖²/D':>13}"
    f"{'ratio':>7}"
    f"{'curvature part':>16}"
)
ratios = {}
for std in (0.01, 0.03, 0.1, 0.3):
    increase, jacobian_part, curvature_part = cu.regularisers.denoising_terms(
        plain, few, std, draws=64
    )
    predicted = std**2 * jacobian_r.mean() / few[0].numel()
    ratios[std] = float(jacobian_part.mean() / predicted)
    print(
        f"{std:>6g}{float(increase.mean()):>11.2e}{float(jacobian_part.mean()):>15.2e}"
        f"{float(predicted):>13.2e}{ratios[std]:>7.3f}"
        f"{float(curvature_part.mean()):>16.2e}"
    )

# %% [markdown]
# For the smallest noise the Jacobian part equals $\sigma^2 \lVert J_r \rVert_F^2 / D$ to
# within a few per cent; as σ grows, the sigmoid layers bend and the first-order picture
# stops holding. The curvature part is printed beside it: for this model, whose
# reconstructions are close to its inputs, it is under a tenth of the increase; for a
# model that reconstructs badly it would be larger. Training with small noise thus penalises
# $\lVert J_r \rVert_F^2$, the contraction of the whole reconstruction, while the
# contractive autoencoder penalises the encoder's Jacobian: related, not equal.

# %%
cu.results.finding(
    "at σ = 0.01 the Jacobian part is within 5 % of σ² ‖J_r‖²_F / D "
    f"(ratio {ratios[0.01]:.3f})",
    abs(ratios[0.01] - 1) < 0.05,
)
# a first-order expansion: it holds for any smooth model, at any scale
assert abs(ratios[0.01] - 1) < 0.2

# %% [markdown]
# ## Summary
#
# - A regulariser stops an autoencoder with a wide code from copying: noise on the input
#   (denoising), few active units (sparse: L1 on the code, or a KL divergence on each
#   unit's average activation), or a small Jacobian (contractive).
# - Measured alike on the same model, the sparse penalties switch units off, the contractive
#   and denoising ones make the code less sensitive to small changes, and more to the
#   changes that tell digits apart than to noise; a linear probe reads the digit about as
#   well from every code but the strongly contractive one.
# - For a sigmoid layer the contractive penalty has a closed form,
#   $\sum_j (h_j(1-h_j))^2 \sum_i W_{ji}^2$, as fast as the plain loss.
# - For small noise the denoising loss is the reconstruction loss plus $\sigma^2$ times the
#   squared Jacobian norm of the reconstruction, plus a curvature term that vanishes as the
#   reconstruction approaches the input: denoising is a contractive penalty on the
#   reconstruction (Alain and Bengio), as the measured ratio confirms.
#
# ## References
#
# {cite:t}`vincent2010` introduce stacked denoising autoencoders; {cite:t}`goodfellow2016`
# (chapter 14) present sparse autoencoders with an L1 penalty and regularised autoencoders in
# general; {cite:t}`ng2011`'s notes use the KL sparsity penalty; {cite:t}`rifai2011`
# introduce contractive autoencoders; {cite:t}`alain2014` show that small-noise denoising
# is a contractive penalty on the reconstruction. The full list is on the
# [references](references.md) page.
