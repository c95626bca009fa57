"""The variational autoencoder of chapter 6.

The encoder gives the mean and log-variance of a Gaussian q(z|x); a code is drawn from
it with the reparameterisation trick; the decoder gives one Bernoulli logit per pixel.
The models follow the interface of :mod:`course_utils.losses`: ``encode`` → ``(mu,
logvar)``, ``decode`` → logits, ``forward`` → ``(logits, mu, logvar)`` and
``log_likelihood(images, z)`` → log p(x|z).
"""

from __future__ import annotations

import torch
from torch import nn

from ..losses import bernoulli_nll
from ..validation import positive_int, validated


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """A sample z ~ N(mu, σ²) written as z = mu + σ·ε with ε ~ N(0, I), so that
    gradients reach mu and σ."""
    # logvar = log σ², so σ = exp(½ logvar)
    sigma = torch.exp(0.5 * logvar)
    eps = torch.randn_like(sigma)
    return mu + sigma * eps


class VAE(nn.Module):
    """x → encoder → (mu, logvar) of q(z|x);  z = mu + σ·ε;  z → decoder → logits."""

    @validated(latent=positive_int, hidden=positive_int)
    def __init__(self, latent: int = 20, hidden: int = 400):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 784),
            nn.Unflatten(1, (1, 28, 28)),
        )

    def encode(self, images):
        h = self.encoder(images)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z):
        # logits of the Bernoulli p(x|z), N x 1 x 28 x 28
        return self.decoder(z)

    def forward(self, images):
        mu, logvar = self.encode(images)
        z = reparameterize(mu, logvar)
        return self.decode(z), mu, logvar

    def log_likelihood(self, images, z):
        # log p(x|z) per image
        return -bernoulli_nll(self.decode(z), images)
