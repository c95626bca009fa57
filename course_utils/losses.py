"""Losses and penalties, one value per image: the caller decides how to average.

Penalties on the codes (chapter 9, sparse and contractive autoencoders):

- :func:`l1_sparsity`: ``Σ_j |z_j|``, the L1 norm of each image's code (a sparse autoencoder
  adds ``λ`` times it to the reconstruction loss, which pushes most code units to exactly 0);
- :func:`contractive_penalty`: ``‖∂f(x)/∂x‖²_F``, the squared Frobenius norm of the encoder's
  Jacobian at each image (Rifai et al. 2011), which makes the code insensitive to small
  changes of the input; :func:`sigmoid_contractive_penalty` is its closed form for one
  sigmoid layer, cheap enough to train with.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


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
