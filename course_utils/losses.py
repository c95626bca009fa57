"""Losses and penalties, one value per image (length N) for the caller to average.

**The variational autoencoder (chapter 6)**, in nats per image. Pixels are modelled as
Bernoulli variables, so the images must be binary; the helpers :func:`binarize` (a fresh
draw for every training batch) and :func:`binarized_test_set` (one draw with a fixed
seed) make them so, and the numbers are then true negative log-likelihoods in nats,
comparable with the literature.

A model used with :func:`importance_weighted_nll` provides two methods:

- ``encode(images) -> (mu, logvar)``, the Gaussian q(z|x), each ``N x d``;
- ``log_likelihood(images, z) -> log p(x|z)``, one value per image, for codes ``z`` of
  shape ``N x d`` (a Bernoulli decoder for the course's VAE; any other likelihood, a
  Gaussian one for instance, works the same way).

**Penalties on the codes (chapter 9, sparse and contractive autoencoders):**

- :func:`l1_sparsity`: ``Σ_j |z_j|``, the L1 norm of each image's code (a sparse
  autoencoder adds ``λ`` times it to the reconstruction loss, which pushes most code
  units to exactly 0);
- :func:`contractive_penalty`: ``‖∂f(x)/∂x‖²_F``, the squared Frobenius norm of the
  encoder's Jacobian at each image (Rifai et al. 2011), which makes the code insensitive
  to small changes of the input; :func:`sigmoid_contractive_penalty` is its closed form
  for one sigmoid layer, cheap enough to train with.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .training import eval_mode
from .validation import (
    code_matrix,
    func,
    grey_levels,
    non_empty_batch,
    non_negative_int,
    non_negative_number,
    optional,
    positive_int,
    positive_number,
    requires,
    same_shape,
    tensor,
    validated,
)

LOG_2PI = math.log(2 * math.pi)


@validated(same_shape("mu", "logvar"))
def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mu, exp(logvar)) || N(0, I) ) in closed form, summed over the latents.

    ``mu`` and ``logvar`` are ``N x d`` (or ``N x ...``); the result has one value per
    sample: ``½ Σ_j (mu_j² + σ_j² − 1 − log σ_j²)`` with ``σ_j² = exp(logvar_j)``.
    """
    return kl_per_dimension(mu, logvar).flatten(start_dim=1).sum(dim=1)


@validated(same_shape("logits", "images"))
def bernoulli_nll(logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """−log p(x|z) for Bernoulli pixels with the given logits, summed over each image.

    This is the binary cross-entropy with logits, *summed* (not averaged) over the
    pixels.
    """
    nll = F.binary_cross_entropy_with_logits(logits, images, reduction="none")
    return nll.flatten(start_dim=1).sum(dim=1)


@validated(beta=non_negative_number)
def negative_elbo(
    logits: torch.Tensor,
    images: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
) -> torch.Tensor:
    """−ELBO per image, in nats: the Bernoulli NLL of ``images`` plus ``beta`` · KL.

    ``logits`` are the decoder's output for one sample z ~ q(z|x) per image, ``mu`` and
    ``logvar`` the encoder's output. ``beta=1`` is the true bound; other values give the
    β-VAE objective (Higgins et al. 2017).
    """
    return bernoulli_nll(logits, images) + beta * kl_to_standard_normal(mu, logvar)


@validated(images=grey_levels)
def binarize(images: torch.Tensor, generator: torch.Generator | None = None):
    """A Bernoulli draw of every grey level: pixel value p becomes 1 with probability p.

    The random numbers come from ``generator`` on the CPU and are moved to the images'
    device.
    """
    uniform = torch.rand(images.shape, generator=generator).to(images.device)
    return (uniform < images).to(images.dtype)


@validated(seed=non_negative_int)
def binarized_test_set(images: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The test images binarised once, with a fixed seed: the same digits every run."""
    return binarize(images, torch.Generator().manual_seed(seed))


@validated(same_shape("mu", "logvar"))
def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mu_j, σ_j²) || N(0, 1) ) for every image and latent dimension, ``N x d``.

    :func:`kl_to_standard_normal` is its sum over the dimensions.
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


@validated(
    beta=non_negative_number,
    free_bits=optional(positive_number),
    warmup_steps=non_negative_int,
)
def elbo_loss(
    seed: int = 0,
    beta: float = 1.0,
    *,
    free_bits: float | None = None,
    warmup_steps: int = 0,
) -> Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]:
    """A batch loss for :func:`course_utils.training.fit`: the mean −ELBO (nats per
    image) of a freshly binarised batch. ``model(images)`` must return ``(logits, mu,
    logvar)``.

    The loss owns a generator seeded with ``seed``, so every batch gets a new
    binarisation (*dynamic binarisation*) and training is still reproducible. Binary
    images (such as the fixed test set) stay as they are.

    Two standard remedies for posterior collapse change the KL term while training:

    - ``free_bits=λ`` (Kingma et al. 2016): each latent dimension's KL, averaged over
      the batch, counts as at least ``λ`` nats, ``Σ_j max(λ, mean_batch KL_j)``; below
      ``λ`` a dimension feels no pull towards the prior, so the encoder can afford to
      use it;
    - ``warmup_steps=W`` (KL annealing, Bowman et al. 2016): the KL weight grows
      linearly from 0 to ``beta`` over the first ``W`` training steps (calls in training
      mode).

    Neither is the −ELBO while it acts: evaluate a model with a plain ``elbo_loss()``.
    """
    generator = torch.Generator().manual_seed(seed)
    steps = 0

    def loss(model: torch.nn.Module, batch: torch.Tensor) -> torch.Tensor:
        nonlocal steps
        images = binarize(batch, generator)
        logits, mu, logvar = model(images)
        weight = beta
        if model.training and warmup_steps:
            steps += 1
            weight = beta * min(1.0, steps / warmup_steps)
        if free_bits is None:
            return negative_elbo(logits, images, mu, logvar, beta=weight).mean()
        kl = kl_per_dimension(mu, logvar).flatten(start_dim=1).mean(dim=0)
        return (
            bernoulli_nll(logits, images).mean()
            + weight * kl.clamp(min=free_bits).sum()
        )

    return loss


@torch.no_grad()
@validated(images=grey_levels)
def grey_level_loss(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """pytorch/examples' VAE test loss, per image: the encoder sees the grey ``images``,
    and the Bernoulli cross-entropy is summed over pixels *against the grey levels*,
    plus the KL.

    The cross-entropy is linear in its target, ``BCE(l, x) = x·BCE(l, 1) + (1−x)·BCE(l,
    0)``, so this equals the average over random binarisations b of x of the −ELBO of b
    (with q(z|x) computed from the grey x): an upper bound on E_b[−log p(b)]. One z per
    image is drawn from PyTorch's global generator.
    """
    logits, mu, logvar = model(images)
    return negative_elbo(logits, images, mu, logvar)


def log_normal(z: torch.Tensor, mu, logvar) -> torch.Tensor:
    """log N(z; mu, exp(logvar)) summed over the last dimension."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(dim=-1)


@torch.no_grad()
@validated(k=positive_int, batch_size=positive_int, chunk_size=positive_int)
def importance_weighted_nll(
    model: torch.nn.Module,
    images: torch.Tensor,
    k: int,
    *,
    batch_size: int = 100,
    chunk_size: int = 100,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The IWAE estimate of −log p(x) per image (Burda et al. 2015), with ``k`` samples.

    For z_1..z_k ~ q(z|x),  −log p(x) ≈ −log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x),
    computed with a log-sum-exp. It is an upper bound on −log p(x) that tightens as k
    grows; k = 1 is a one-sample estimate of the −ELBO, equal to it only on average (it
    estimates the KL from the sample, where :func:`negative_elbo` uses the closed form).
    Images go ``batch_size`` at a time and samples ``chunk_size`` at a time, so k = 1000
    fits in memory. The model must provide ``encode`` and ``log_likelihood`` (see the
    module's docstring); it is put in eval mode.
    """
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else images.device
    results = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device)
        with eval_mode(model):
            mu, logvar = model.encode(x)
        log_weights = []
        for done in range(0, k, chunk_size):
            size = min(chunk_size, k - done)
            eps = torch.randn((size, *mu.shape), generator=generator).to(device)
            # size x n x d
            z = mu + torch.exp(0.5 * logvar) * eps
            flat_z = z.reshape(size * len(x), -1)
            repeated_x = x.unsqueeze(0).expand(size, *x.shape).reshape(-1, *x.shape[1:])
            with eval_mode(model):
                log_px_z = model.log_likelihood(repeated_x, flat_z).view(size, len(x))
            log_pz = log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
            log_qz_x = log_normal(z, mu, logvar)
            log_weights.append(log_px_z + log_pz - log_qz_x)
        # k x n
        log_weights = torch.cat(log_weights)
        results.append(-(torch.logsumexp(log_weights, dim=0) - math.log(k)).cpu())
    return torch.cat(results)


@validated(mu=tensor("N x d", ndim=2, min_length=2))
def active_units(mu: torch.Tensor, threshold: float = 0.01) -> tuple[int, torch.Tensor]:
    """Burda et al.'s active units: dimensions u with Cov_x(E[z_u|x]) > ``threshold``.

    ``mu`` holds the posterior means of a set of images, ``N x d``. Returns the count
    and the variance of each dimension's mean across the images.
    """
    activity = mu.detach().float().var(dim=0)
    return int((activity > threshold).sum()), activity


@validated(codes=non_empty_batch)
def l1_sparsity(codes: torch.Tensor) -> torch.Tensor:
    """The L1 norm of each code: ``codes`` is ``N x ...``, the result has length N."""
    return codes.abs().flatten(start_dim=1).sum(dim=1)


def _one_code_per_image(encode, images, **_) -> bool:
    with torch.no_grad():
        codes = encode(images[:2])
    return codes.ndim >= 1 and len(codes) == len(images[:2])


@validated(
    requires(_one_code_per_image, "encode must return one code per image"),
    encode=func,
    images=non_empty_batch,
)
def contractive_penalty(
    encode: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor
) -> torch.Tensor:
    """``‖J(x)‖²_F`` for each image x, ``J`` the Jacobian of the code ``encode(x)``.

    ``torch.func.jacrev`` gives each image's Jacobian (``d`` code units x its pixels)
    and ``torch.func.vmap`` does it for the whole batch at once; the result stays
    differentiable, so the penalty can itself be minimised. ``encode`` takes a batch ``N
    x ...`` and must treat its images independently (no batch statistics).
    """

    def code_of_one(image):
        return encode(image.unsqueeze(0)).flatten()

    jacobians = torch.func.vmap(torch.func.jacrev(code_of_one))(images.detach())
    return jacobians.pow(2).flatten(start_dim=1).sum(dim=1)


def _rows_match_units(codes, weight, **_) -> bool:
    return len(weight) == codes.shape[1]


@validated(
    requires(
        _rows_match_units, "weight must have one row per code unit (codes are N x d)"
    ),
    codes=code_matrix,
    weight=tensor("d x D (the layer's matrix)", ndim=2),
)
def sigmoid_contractive_penalty(
    codes: torch.Tensor, weight: torch.Tensor
) -> torch.Tensor:
    """:func:`contractive_penalty` in closed form for a layer ``h = σ(W x + b)``.

    ``∂h_j/∂x_i = h_j (1 − h_j) W_ji``, so ``‖J‖²_F = Σ_j (h_j (1 − h_j))² Σ_i W_ji²``
    (Rifai et al. 2011): no Jacobian is formed, which makes training fast. ``codes`` is
    ``N x d`` (the layer's outputs), ``weight`` is ``W``, ``d x D``.
    """
    slope = codes * (1 - codes)
    return (slope.pow(2) * weight.pow(2).sum(dim=1)).sum(dim=1)
