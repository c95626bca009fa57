"""Penalties and measurements of chapter 9's regularised autoencoders.

The penalties act on the code ``h = f(x)`` of a one-layer sigmoid encoder (chapter 9's
``OneLayerAutoencoder``); the measurements describe codes the same way for every model,
so that plain, denoising, sparse and contractive autoencoders (and PCA) can be compared.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .validation import (
    code_matrix,
    integer,
    open_fraction,
    same_shape,
    validated,
)

# Monte Carlo draws come in antithetic pairs (ε, −ε)
pairs_of_draws = integer(2, even=True)


@validated(codes=code_matrix, target=open_fraction)
def kl_sparsity(codes: torch.Tensor, target: float) -> torch.Tensor:
    """``Σ_j KL(ρ ‖ ρ̂_j)`` of Bernoulli distributions, ``ρ̂_j`` unit j's batch mean.

    The sparsity penalty of Ng's notes: it is 0 when every unit is on average active
    with probability ``target`` (ρ), and grows as a unit's average moves away. ``codes``
    is ``N x d`` with values in (0, 1).
    """
    rho_hat = codes.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    return (
        target * torch.log(target / rho_hat)
        + (1 - target) * torch.log((1 - target) / (1 - rho_hat))
    ).sum()


def near_zero_share(codes: torch.Tensor, tolerance: float = 0.05) -> float:
    """Share of the code values (all images, all units) smaller than ``tolerance``."""
    return float((codes.detach().abs() < tolerance).float().mean())


@validated(same_shape("images", "steps"))
def code_sensitivity(
    encode: Callable[[torch.Tensor], torch.Tensor],
    images: torch.Tensor,
    steps: torch.Tensor,
) -> float:
    """Mean ``‖f(x + step) − f(x)‖ / ‖step‖`` over the images: how far the code moves
    per unit of input change in the direction of ``steps``."""
    with torch.no_grad():
        moved = encode(images + steps) - encode(images)
    ratio = moved.flatten(1).norm(dim=1) / steps.flatten(1).norm(dim=1)
    return float(ratio.mean())


@validated(draws=pairs_of_draws)
def denoising_terms(
    model: torch.nn.Module,
    images: torch.Tensor,
    std: float,
    draws: int = 64,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The denoising error's increase over the clean reconstruction error, per image,
    and its two parts, by Monte Carlo over antithetic pairs (ε, −ε), all divided by D.

    With ``a = r(x) − x`` and ``d± = r(x ± σε) − r(x)``, a pair's mean squared error is
    ``‖a‖² + a·(d₊ + d₋) + (‖d₊‖² + ‖d₋‖²)/2``. The last part tends to ``σ² ‖J_r‖²_F``
    as σ shrinks (a contractive penalty on the reconstruction); the middle part is the
    curvature of ``r`` seen through the remaining error ``a``, also of order σ², and
    small when ``r(x)`` is close to ``x``. Returns ``(increase, jacobian_part,
    curvature_part)``, with ``increase == jacobian_part + curvature_part``.
    """
    generator = torch.Generator().manual_seed(seed)
    pixels = images[0].numel()
    jacobian_part = torch.zeros(len(images), dtype=torch.float64)
    curvature_part = torch.zeros(len(images), dtype=torch.float64)
    with torch.no_grad():
        clean = model(images).double()
        error = (clean - images.double()).flatten(1)
        for _ in range(draws // 2):
            noise = torch.randn(images.shape, generator=generator).to(images.device)
            plus = (model(images + std * noise).double() - clean).flatten(1)
            minus = (model(images - std * noise).double() - clean).flatten(1)
            jacobian_part += ((plus**2).sum(1) + (minus**2).sum(1)).cpu() / 2
            curvature_part += (error * (plus + minus)).sum(1).cpu()
    jacobian_part /= (draws // 2) * pixels
    curvature_part /= (draws // 2) * pixels
    return jacobian_part + curvature_part, jacobian_part, curvature_part
