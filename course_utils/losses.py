"""Losses and penalties, one value per image (a tensor of length N): the caller averages.

**The variational autoencoder (chapter 6)**, in nats per image. Pixels are modelled as Bernoulli variables, so the images must be binary; the
helpers :func:`binarize` (a fresh draw for every training batch) and :func:`binarized_test_set`
(one draw with a fixed seed) make them so, and the numbers are then true negative
log-likelihoods in nats, comparable with the literature.

A model used with :func:`importance_weighted_nll` provides two methods:

- ``encode(images) -> (mu, logvar)``, the Gaussian q(z|x), each ``N x d``;
- ``log_likelihood(images, z) -> log p(x|z)``, one value per image, for codes ``z`` of shape
  ``N x d`` (a Bernoulli decoder for the course's VAE; any other likelihood, a Gaussian one for
  instance, works the same way).

**Penalties on the codes (chapter 9, sparse and contractive autoencoders):**

- :func:`l1_sparsity`: ``Σ_j |z_j|``, the L1 norm of each image's code (a sparse autoencoder
  adds ``λ`` times it to the reconstruction loss, which pushes most code units to exactly 0);
- :func:`contractive_penalty`: ``‖∂f(x)/∂x‖²_F``, the squared Frobenius norm of the encoder's
  Jacobian at each image (Rifai et al. 2011), which makes the code insensitive to small
  changes of the input; :func:`sigmoid_contractive_penalty` is its closed form for one
  sigmoid layer, cheap enough to train with.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .training import eval_mode
from .validation import check_int

LOG_2PI = math.log(2 * math.pi)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mu, exp(logvar)) || N(0, I) ) in closed form, summed over the latent dimensions.

    ``mu`` and ``logvar`` are ``N x d`` (or ``N x ...``); the result has one value per sample:
    ``½ Σ_j (mu_j² + σ_j² − 1 − log σ_j²)`` with ``σ_j² = exp(logvar_j)``.
    """
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape, got {tuple(mu.shape)} "
            f"and {tuple(logvar.shape)}"
        )
    return kl_per_dimension(mu, logvar).flatten(start_dim=1).sum(dim=1)


def bernoulli_nll(logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """−log p(x|z) for Bernoulli pixels with the given logits, summed over each image's pixels.

    This is the binary cross-entropy with logits, *summed* (not averaged) over the pixels.
    """
    if logits.shape != images.shape:
        raise ValueError(
            f"logits and images must have the same shape, got {tuple(logits.shape)} "
            f"and {tuple(images.shape)}"
        )
    nll = F.binary_cross_entropy_with_logits(logits, images, reduction="none")
    return nll.flatten(start_dim=1).sum(dim=1)


def negative_elbo(
    logits: torch.Tensor,
    images: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
) -> torch.Tensor:
    """−ELBO per image, in nats: the summed Bernoulli NLL of ``images`` plus ``beta`` · KL.

    ``logits`` are the decoder's output for one sample z ~ q(z|x) per image, ``mu`` and
    ``logvar`` the encoder's output. ``beta=1`` is the true bound; other values give the
    β-VAE objective (Higgins et al. 2017).
    """
    if not beta >= 0:
        raise ValueError(f"beta must be a non-negative number, got {beta!r}")
    return bernoulli_nll(logits, images) + beta * kl_to_standard_normal(mu, logvar)


def binarize(images: torch.Tensor, generator: torch.Generator | None = None):
    """A Bernoulli draw of every grey level: pixel value p becomes 1 with probability p.

    The random numbers come from ``generator`` on the CPU and are moved to the images' device.
    """
    if images.min() < 0 or images.max() > 1:
        raise ValueError("images must have grey levels in [0, 1] to be binarised")
    uniform = torch.rand(images.shape, generator=generator).to(images.device)
    return (uniform < images).to(images.dtype)


def binarized_test_set(images: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The test images binarised once, with a fixed seed: the same binary digits every run."""
    check_int("seed", seed, minimum=0)
    return binarize(images, torch.Generator().manual_seed(seed))


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL( N(mu_j, σ_j²) || N(0, 1) ) for every image and latent dimension, ``N x d``.

    :func:`kl_to_standard_normal` is its sum over the dimensions.
    """
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape, got {tuple(mu.shape)} "
            f"and {tuple(logvar.shape)}"
        )
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def elbo_loss(
    seed: int = 0,
    beta: float = 1.0,
    *,
    free_bits: float | None = None,
    warmup_steps: int = 0,
) -> Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]:
    """A batch loss for :func:`course_utils.training.fit`: the mean −ELBO (nats per image) of a
    freshly binarised batch. ``model(images)`` must return ``(logits, mu, logvar)``.

    The loss owns a generator seeded with ``seed``, so every batch gets a new binarisation
    (*dynamic binarisation*) and training is still reproducible. Binary images (such as the
    fixed test set) stay as they are.

    Two standard remedies for posterior collapse change the KL term while training:

    - ``free_bits=λ`` (Kingma et al. 2016): each latent dimension's KL, averaged over the
      batch, counts as at least ``λ`` nats, ``Σ_j max(λ, mean_batch KL_j)``; below ``λ`` a
      dimension feels no pull towards the prior, so the encoder can afford to use it;
    - ``warmup_steps=W`` (KL annealing, Bowman et al. 2016): the KL weight grows linearly
      from 0 to ``beta`` over the first ``W`` training steps (calls in training mode).

    Neither is the −ELBO while it acts: evaluate a model with a plain ``elbo_loss()``.
    """
    if not beta >= 0:
        raise ValueError(f"beta must be a non-negative number, got {beta!r}")
    if free_bits is not None and not free_bits > 0:
        raise ValueError(
            f"free_bits must be a positive number of nats, got {free_bits!r}"
        )
    check_int("warmup_steps", warmup_steps, minimum=0)
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
def grey_level_loss(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """pytorch/examples' VAE test loss, per image: the encoder sees the grey ``images``, and the
    Bernoulli cross-entropy is summed over pixels *against the grey levels*, plus the KL.

    The cross-entropy is linear in its target, ``BCE(l, x) = x·BCE(l, 1) + (1−x)·BCE(l, 0)``,
    so this equals the average over random binarisations b of x of the −ELBO of b (with
    q(z|x) computed from the grey x): an upper bound on E_b[−log p(b)]. One z per image is
    drawn from PyTorch's global generator.
    """
    if images.min() < 0 or images.max() > 1:
        raise ValueError("images must have grey levels in [0, 1]")
    logits, mu, logvar = model(images)
    return negative_elbo(logits, images, mu, logvar)


def log_normal(z: torch.Tensor, mu, logvar) -> torch.Tensor:
    """log N(z; mu, exp(logvar)) summed over the last dimension."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(dim=-1)


@torch.no_grad()
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
    computed with a log-sum-exp. It is an upper bound on −log p(x) that tightens as k grows;
    k = 1 is a one-sample estimate of the −ELBO, equal to it only on average (it estimates
    the KL from the sample, where :func:`negative_elbo` uses the closed form). Images go
    ``batch_size`` at a time and samples ``chunk_size`` at a time, so k = 1000 fits in
    memory. The model must provide ``encode`` and ``log_likelihood`` (see the module's
    docstring); it is put in eval mode.
    """
    check_int("k", k)
    check_int("batch_size", batch_size)
    check_int("chunk_size", chunk_size)
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
            z = mu + torch.exp(0.5 * logvar) * eps  # size x n x d
            flat_z = z.reshape(size * len(x), -1)
            repeated_x = x.unsqueeze(0).expand(size, *x.shape).reshape(-1, *x.shape[1:])
            with eval_mode(model):
                log_px_z = model.log_likelihood(repeated_x, flat_z).view(size, len(x))
            log_pz = log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
            log_qz_x = log_normal(z, mu, logvar)
            log_weights.append(log_px_z + log_pz - log_qz_x)
        log_weights = torch.cat(log_weights)  # k x n
        results.append(-(torch.logsumexp(log_weights, dim=0) - math.log(k)).cpu())
    return torch.cat(results)


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> tuple[int, torch.Tensor]:
    """Burda et al.'s active units: dimensions u with Cov_x(E[z_u|x]) > ``threshold``.

    ``mu`` holds the posterior means of a set of images, ``N x d``. Returns the count and the
    variance of each dimension's mean across the images.
    """
    if mu.ndim != 2 or len(mu) < 2:
        raise ValueError(f"mu must be N x d with N >= 2, got shape {tuple(mu.shape)}")
    activity = mu.detach().float().var(dim=0)
    return int((activity > threshold).sum()), activity


def l1_sparsity(codes: torch.Tensor) -> torch.Tensor:
    """The L1 norm of each code: ``codes`` is ``N x ...``, the result has length N."""
    if not isinstance(codes, torch.Tensor) or codes.ndim < 2:
        raise ValueError(
            "codes must be a tensor N x d (one code per row), got "
            f"{tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes)}"
        )
    return codes.abs().flatten(start_dim=1).sum(dim=1)


def contractive_penalty(
    encode: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor
) -> torch.Tensor:
    """``‖J(x)‖²_F`` for each image x, ``J`` the Jacobian of the code ``encode(x)`` in x.

    ``torch.func.jacrev`` gives each image's Jacobian (``d`` code units x its pixels) and
    ``torch.func.vmap`` does it for the whole batch at once; the result stays differentiable,
    so the penalty can itself be minimised. ``encode`` takes a batch ``N x ...`` and must treat
    its images independently (no batch statistics).
    """
    if not isinstance(images, torch.Tensor) or images.ndim < 2 or len(images) == 0:
        raise ValueError("images must be a non-empty tensor N x ...")
    with torch.no_grad():
        codes = encode(images[:2])
    if codes.ndim < 1 or len(codes) != len(images[:2]):
        raise ValueError(
            f"encode must return one code per image, got {len(codes)} "
            f"for {len(images[:2])}"
        )

    def code_of_one(image):
        return encode(image.unsqueeze(0)).flatten()

    jacobians = torch.func.vmap(torch.func.jacrev(code_of_one))(images.detach())
    return jacobians.pow(2).flatten(start_dim=1).sum(dim=1)


def sigmoid_contractive_penalty(
    codes: torch.Tensor, weight: torch.Tensor
) -> torch.Tensor:
    """:func:`contractive_penalty` in closed form for one sigmoid layer ``h = σ(W x + b)``.

    ``∂h_j/∂x_i = h_j (1 − h_j) W_ji``, so ``‖J‖²_F = Σ_j (h_j (1 − h_j))² Σ_i W_ji²``
    (Rifai et al. 2011): no Jacobian is formed, which makes training fast. ``codes`` is
    ``N x d`` (the layer's outputs), ``weight`` is ``W``, ``d x D``.
    """
    if not isinstance(codes, torch.Tensor) or codes.ndim != 2:
        raise ValueError("codes must be a tensor N x d (the sigmoid layer's outputs)")
    if (
        not isinstance(weight, torch.Tensor)
        or weight.ndim != 2
        or len(weight) != codes.shape[1]
    ):
        raise ValueError(
            f"weight must be the layer's d x D matrix with d = {codes.shape[1]}, got "
            f"{tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight)}"
        )
    slope = codes * (1 - codes)
    return (slope.pow(2) * weight.pow(2).sum(dim=1)).sum(dim=1)
