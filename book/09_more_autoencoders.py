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
# # 9. More autoencoders: pooling, dense bottlenecks, sparse and contractive codes
#
# The earlier chapters built autoencoders from strided convolutions and a small spatial
# code. This chapter collects four variations that tutorials often show, each trained once
# on the same digits, so you can see what each one changes:
# max-pooling with max-unpooling instead of strided convolutions, a convolutional encoder
# that ends in a dense bottleneck of a few numbers, and two penalties on the code, sparsity
# and contraction.
#
# **Learning goals.** After this chapter you can
# - build an encoder with `MaxPool2d(return_indices=True)` and a decoder with `MaxUnpool2d`,
#   and say what the *switches* carry past the bottleneck;
# - put a dense bottleneck (`Flatten` + `Linear`) after a convolutional encoder and compare
#   its 2-D codes with a linear autoencoder's;
# - explain why decoding a random code of a plain autoencoder rarely gives a digit, which is
#   what the variational autoencoder fixes;
# - add an L1 penalty (sparse autoencoder) or a Jacobian penalty (contractive autoencoder)
#   to the loss, and measure what each does to the codes.

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
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

import course_utils as cu

cu.config.seed_everything(0)
device = cu.config.get_device()
TRAIN_SIZE = cu.config.by_scale(tiny=256, book=4_000, full=None)
TEST_SIZE = cu.config.by_scale(tiny=128, book=1_000, full=None)
CONV_EPOCHS = cu.config.by_scale(tiny=1, book=4, full=20)
DENSE_EPOCHS = cu.config.by_scale(tiny=1, book=8, full=30)
CODE_EPOCHS = cu.config.by_scale(tiny=2, book=10, full=30)
print(
    f"scale: {cu.config.scale()}, device: {device}, epochs: {CONV_EPOCHS} (pooling), "
    f"{DENSE_EPOCHS} (dense bottleneck), {CODE_EPOCHS} (sparse, contractive)"
)
train = cu.data.load_mnist("train", limit=TRAIN_SIZE)
test = cu.data.load_mnist("test", limit=TEST_SIZE)
more = cu.models.more_autoencoders


def new(model_class, *args, **kwargs):
    """A model built from seed 0 on the chosen device: every comparison starts alike."""
    cu.config.seed_everything(0)
    return model_class(*args, **kwargs).to(device)


def test_mse(model):
    return cu.training.evaluate(model, test.images)


# %% [markdown]
# ## Max-pooling and max-unpooling
#
# Max-pooling halves a feature map by keeping the largest value of each 2 × 2 block. With
# `return_indices=True` it also returns *where* in the block each maximum was: the
# *switches* {cite:p}`zeiler2014`. `MaxUnpool2d` uses them to put each value back exactly
# where it came from and fills the three other positions of the block with zeros. A 4 × 4
# example:

# %%
pool, unpool = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
example = torch.tensor([[1.0, 5, 2, 0], [3, 2, 1, 4], [0, 1, 7, 1], [6, 2, 3, 3]])
pooled, switches = pool(example[None, None])
print(
    "pooled:\n",
    pooled[0, 0],
    "\nswitches (flat positions in the 4 x 4 map):\n",
    switches[0, 0],
)
print("unpooled:\n", unpool(pooled, switches)[0, 0])

# %% [markdown]
# An encoder built this way keeps the size with 3 × 3 convolutions and pools 28 → 14 → 7;
# the decoder unpools 7 → 14 → 28 with the encoder's switches
# {cite:p}`masci2011`. Its strided counterpart has the same widths and the same code, a
# 7 × 7 × 4 map (196 numbers), but halves with stride-2 convolutions and doubles with
# kernel-4 stride-2 transposed convolutions, which chapter 3 found free of uneven overlap
# {cite:p}`springenberg2015`.

# %%
cu.notebook.show_source(more.PoolingAutoencoder)

# %%
pooling = new(more.PoolingAutoencoder)
strided = new(more.StridedAutoencoder)
for name, model in {"max-pooling": pooling, "strided": strided}.items():
    cu.training.fit(
        model, train.images, epochs=CONV_EPOCHS, batch_size=64, progress=False
    )
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{name:<12} {parameters:>6,} parameters, test MSE {test_mse(model):.4f}")

# %% [markdown]
# The switches are not free: the decoder receives them from the encoder *beside* the code.
# Each pooled value comes with one of 4 positions, 2 bits, so this model passes
# 2 × (16 · 14 · 14 + 32 · 7 · 7) = 9,408 bits past its 196-number bottleneck. How much of
# a reconstruction do they carry? Decode every test image's code with the switches of
# another test image (the next one), and, the other way round, another image's code with
# the image's own switches:

# %%
with torch.no_grad():
    images = test.images.to(device)
    codes, own = pooling.encode(images)
    other = tuple(s.roll(1, dims=0) for s in own)  # the switches of the next image
    errors = {
        "own code, own switches": pooling.decode(codes, own),
        "own code, another image's switches": pooling.decode(codes, other),
        "another image's code, own switches": pooling.decode(codes.roll(1, 0), own),
        "(no model: the next image itself)": images.roll(1, 0),
        "(the average digit)": images.mean(dim=0, keepdim=True).expand_as(images),
    }
errors = {name: float(F.mse_loss(out, images)) for name, out in errors.items()}
for name, error in errors.items():
    print(f"{name:<36} test MSE {error:.4f}")

# %%
with torch.no_grad():
    shown = images[:6]
    code6, switches6 = pooling.encode(shown)
    cu.plotting.show_rows(
        {
            "original": shown.cpu(),
            "own code, own switches": pooling.decode(code6, switches6).cpu(),
            "own code, other switches": pooling.decode(
                code6, tuple(s.roll(1, 0) for s in switches6)
            ).cpu(),
            "other code, own switches": pooling.decode(
                code6.roll(1, 0), switches6
            ).cpu(),
        },
        n=6,
        title="what the switches carry",
    )

# %% [markdown]
# The printed errors answer the question for this run; the last two rows are yardsticks
# (another digit instead of this one, and the average digit). Wrong switches put every
# value at the wrong position inside its block. A wrong code decoded with the image's own
# switches is compared with the yardsticks: where it beats them, the switches alone carry
# part of the digit, because the positions of the maxima outline its strokes. A pooling autoencoder is therefore not a pure bottleneck model:
# for compression or generation, where the decoder must work from the code alone, strided
# convolutions (or pooling with an unpooling that needs no switches, such as nearest
# resizing) are the honest choice.
#
# ## A dense bottleneck after a convolutional encoder
#
# The codes so far were small maps. Flattening the encoder's last feature map and applying
# one `Linear` layer gives a code of any size we like, 2 numbers for a plot; the decoder
# mirrors it with `Linear`, `Unflatten` and transposed convolutions.

# %%
cu.notebook.show_source(more.DenseBottleneckAutoencoder)

# %% [markdown]
# We train it with a 2-D code, and chapter 1's linear autoencoder with a 2-D code beside it,
# then plot both latent spaces. Beside the test MSE, each title gives how often a
# 5-nearest-neighbour classifier guesses the digit from the code (cross-validated on the
# test codes): a number for how well the codes separate the classes.


# %%
def knn_accuracy(codes, labels):
    classifier = KNeighborsClassifier(n_neighbors=5)
    return cross_val_score(classifier, codes.numpy(), labels.numpy(), cv=3).mean()


two_d = {
    "linear 784 → 2": new(cu.models.linear.LinearAutoencoder, 2),
    "conv + dense 2": new(more.DenseBottleneckAutoencoder, 2),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
for ax, (name, model) in zip(axes, two_d.items()):
    cu.training.fit(model, train.images, epochs=DENSE_EPOCHS, progress=False)
    codes = cu.training.apply_in_batches(model.encode, test.images, module=model)
    title = (
        f"{name}: test MSE {test_mse(model):.4f}, "
        f"kNN {knn_accuracy(codes, test.labels):.0%}"
    )
    cu.plotting.plot_latent_2d(codes, test.labels, ax=ax, title=title)
fig.tight_layout()
# %% [markdown]
# The convolutional encoder, with its nonlinearities, can bend the digits' manifold into the
# plane where the linear one can only project it; the titles show whether that paid off at
# this scale.
#
# ### A 10-d bottleneck, and why a plain autoencoder cannot generate
#
# With 10 numbers the reconstructions get better. Can the decoder also *generate*: draw a
# random code, decode it, get a new digit? The plain autoencoder has no idea where in the
# 10-d space its codes lie. Drawing each coordinate from a normal distribution with the
# mean and standard deviation of the training codes (the best a user can do without more
# knowledge) lands mostly where no training code is: the median distance from such a code
# to its nearest training code is compared below with the same distance for the codes of
# the test images.

# %%
ten_d = new(more.DenseBottleneckAutoencoder, 10)
cu.training.fit(ten_d, train.images, epochs=DENSE_EPOCHS, progress=False)
print(f"10-d bottleneck: test MSE {test_mse(ten_d):.4f}")
train_codes = cu.training.apply_in_batches(ten_d.encode, train.images, module=ten_d)
test_codes = cu.training.apply_in_batches(ten_d.encode, test.images, module=ten_d)
generator = torch.Generator().manual_seed(0)
random_codes = train_codes.mean(0) + train_codes.std(0) * torch.randn(
    len(test_codes), 10, generator=generator
)
to_train = {
    "test images' codes": torch.cdist(test_codes, train_codes).min(1).values,
    "random codes": torch.cdist(random_codes, train_codes).min(1).values,
}
for name, distances in to_train.items():
    print(
        f"{name:<20} median distance to the nearest training code "
        f"{distances.median():.2f}"
    )
cu.plotting.show_rows(
    {
        "decoded test codes": cu.training.apply_in_batches(
            ten_d.decode, test_codes[:8], module=ten_d
        ),
        "decoded random codes": cu.training.apply_in_batches(
            ten_d.decode, random_codes[:8], module=ten_d
        ),
    },
    n=8,
    title="10-d bottleneck: codes of digits and random codes",
)

# %% [markdown]
# The codes of real digits occupy a thin, irregular region of the 10-d space; random codes
# fall around it, and what the decoder draws there is often no digit at all. The
# variational autoencoder (chapter 6) fixes exactly this: it trains the encoder so that the
# codes follow a known distribution, a standard normal, so that sampling from that
# distribution and decoding generates digits {cite:p}`kingma2013`.
#
# ## Sparse autoencoders
#
# A sparse autoencoder may have many code units, even more than it needs, but is trained to
# use few of them for each image. With ReLU code units $h = f(x) \ge 0$ the usual penalty
# is the L1 norm of the code, added to the reconstruction error with a weight $\lambda$
# {cite:p}`ng2011`:
#
# $$
# \mathcal L(x) = \frac{1}{D} \lVert x - g(f(x)) \rVert^2 + \lambda \sum_j \lvert h_j \rvert .
# $$
#
# The L1 norm grows as fast near zero as far from it, so a small unit gains as much from
# dropping to exactly 0 as a large one gains from shrinking: units switch off.

# %%
cu.notebook.show_source(cu.losses.l1_sparsity)

# %%
SPARSITY = 3e-4


def sparse_loss(model, batch):
    codes = model.encode(batch)
    mse = F.mse_loss(model.decode(codes), batch)
    return mse + SPARSITY * cu.losses.l1_sparsity(codes).mean()


sparse_models = {
    "plain (λ = 0)": new(more.OneLayerAutoencoder, 64, "relu"),
    f"sparse (λ = {SPARSITY:g})": new(more.OneLayerAutoencoder, 64, "relu"),
}
losses = [cu.training.reconstruction_loss, sparse_loss]
sparse_codes = {}
print(f"{'':<20}{'test MSE':>9}{'units at 0':>12}{'mean L1':>9}{'decoder norm':>14}")
for (name, model), loss in zip(sparse_models.items(), losses):
    cu.training.fit(
        model, train.images, epochs=CODE_EPOCHS, loss_fn=loss, progress=False
    )
    codes = cu.training.apply_in_batches(model.encode, test.images, module=model)
    sparse_codes[name] = codes
    decoder_norm = model.decoder[0].weight.norm(dim=0).mean()
    print(
        f"{name:<20}{test_mse(model):>9.4f}{(codes == 0).float().mean():>12.0%}"
        f"{cu.losses.l1_sparsity(codes).mean():>9.1f}{decoder_norm:>14.2f}"
    )

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for ax, (name, codes) in zip(axes, sparse_codes.items()):
    ax.hist(codes.flatten().numpy(), bins=60, log=True)
    ax.set_title(f"{name}: values of the 64 code units")
    ax.set_xlabel("code value")
axes[0].set_ylabel("count (log scale)")
fig.tight_layout()
# %% [markdown]
# The table shows the trade: more units at exactly 0 for each image, at some cost in
# reconstruction error. The last column guards against a known loophole: the decoder
# could make its weights larger while the encoder makes the codes smaller, lowering the L1
# norm without using fewer units. The share of zeros cannot be gamed that way, and the
# decoder's mean column norm shows whether the weights grew. (Implementations that care
# fix the decoder's column norms, or penalise the average activation of each unit with a
# KL divergence instead, as in {cite:t}`ng2011`.)
#
# ## Contractive autoencoders
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
# `vmap`); for one sigmoid layer it has a closed form, which you derive in the exercise
# below and which makes training as fast as the plain model's.

# %%
cu.notebook.show_source(cu.losses.contractive_penalty)

# %%
CONTRACTION = 0.01


def contractive_loss(model, batch):
    codes = model.encode(batch)
    weight = model.encoder[1].weight
    penalty = cu.losses.sigmoid_contractive_penalty(codes, weight)
    return F.mse_loss(model.decode(codes), batch) + CONTRACTION * penalty.mean()


contractive_models = {
    "plain (λ = 0)": new(more.OneLayerAutoencoder, 64, "sigmoid"),
    f"contractive (λ = {CONTRACTION:g})": new(more.OneLayerAutoencoder, 64, "sigmoid"),
}
losses = [cu.training.reconstruction_loss, contractive_loss]
for model, loss in zip(contractive_models.values(), losses):
    cu.training.fit(
        model, train.images, epochs=CODE_EPOCHS, loss_fn=loss, lr=3e-3, progress=False
    )

# %% [markdown]
# Three measurements on the test digits: the penalty itself, computed from the full
# Jacobian; how far the code moves when we add a little Gaussian noise (standard deviation
# 0.05, per unit of input change); and how far it moves when we step the same distance
# towards another test digit, a direction in which the data do change.


# %%
def code_movement(model, images, steps):
    """Mean ‖f(x + step) − f(x)‖ / ‖step‖ over the images."""
    with torch.no_grad():
        moved = model.encode(images + steps) - model.encode(images)
    return float((moved.norm(dim=1) / steps.flatten(1).norm(dim=1)).mean())


x = test.images[:200].to(device)
noise = 0.05 * torch.randn(x.shape, generator=generator).to(device)
towards = x.roll(1, 0) - x
towards = towards / towards.flatten(1).norm(dim=1)[:, None, None, None]
towards = towards * noise.flatten(1).norm(dim=1)[:, None, None, None]
print(f"{'':<24}{'test MSE':>9}{'‖J‖²_F':>9}{'noise':>8}{'to a digit':>12}{'ratio':>7}")
for name, model in contractive_models.items():
    jacobian_norm = cu.losses.contractive_penalty(model.encode, x).mean()
    closed_form = cu.losses.sigmoid_contractive_penalty(
        model.encode(x), model.encoder[1].weight
    ).mean()
    assert torch.isclose(jacobian_norm, closed_form, rtol=1e-4)
    moved_by_noise = code_movement(model, x, noise)
    moved_to_digit = code_movement(model, x, towards)
    print(
        f"{name:<24}{test_mse(model):>9.4f}{jacobian_norm:>9.3f}{moved_by_noise:>8.3f}"
        f"{moved_to_digit:>12.3f}{moved_to_digit / moved_by_noise:>7.1f}"
    )

# %% [markdown]
# The penalty falls by the factor the table shows, and with it the code's reaction to
# noise; the reconstruction error rises a little. The ratio compares the two directions
# for each model: how many times more the code moves for a step towards another digit than
# for a noise step of the same length. That ratio is the point of the penalty:
# insensitive to what varies at random, sensitive to what tells the digits apart.
# (The closed form and the Jacobian agree; the assert above checks it on these digits.)
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
# `more.OneLayerAutoencoder(hidden, "sigmoid")`: one value per image, computed from
# `model.encode(images)` and the layer's weight `model.encoder[1].weight` (`hidden × 784`)
# without forming the Jacobian, and differentiable, so that training can minimise it. The
# check compares it with the full Jacobian of two fresh models.


# %% tags=["solution", "ex-9.1"]
### BEGIN SOLUTION
def my_contractive_penalty(model, images):
    codes = model.encode(images)
    weight = model.encoder[1].weight
    slope = codes * (1 - codes)
    return (slope**2 * (weight**2).sum(dim=1)).sum(dim=1)


### END SOLUTION


# %% tags=["check", "ex-9.1"]
from course_utils.checks.more_autoencoders import check_contractive_penalty

check_contractive_penalty(my_contractive_penalty)

# %% [markdown]
# ## Summary
#
# - Max-unpooling puts values back where the encoder's maxima were; those switches travel
#   past the code, so a pooling autoencoder's decoder does not work from the code alone.
#   Strided convolutions and transposed convolutions need no switches.
# - A dense bottleneck (`Flatten` + `Linear`) after a convolutional encoder gives a code of
#   any size; with 2 numbers it can be plotted beside the linear autoencoder's.
# - The codes of a plain autoencoder fill an irregular region: random codes decode to
#   non-digits. The variational autoencoder makes the codes follow a known distribution.
# - A sparse autoencoder adds $\lambda \lVert h \rVert_1$ and switches most code units off
#   for each image; a contractive one adds $\lambda \lVert \partial h / \partial x
#   \rVert_F^2$ and makes the code insensitive to small changes of the input.
#
# ## References
#
# {cite:t}`zeiler2014` introduced unpooling with switches, {cite:t}`masci2011` stacked
# convolutional autoencoders with max-pooling, and {cite:t}`springenberg2015` replaced
# pooling by strided convolutions. Sparse autoencoders follow {cite:t}`ng2011`, contractive
# ones {cite:t}`rifai2011`, and the variational autoencoder {cite:t}`kingma2013`. The full
# list is on the [references](references.md) page.
