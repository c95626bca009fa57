"""The adversarial autoencoder (AAE) of Makhzani et al. (2015).

An autoencoder whose encoder doubles as the generator of a GAN (Goodfellow et al., 2014)
on its codes: a discriminator learns to tell samples of a chosen prior from the
encoder's codes, and the encoder learns to fool it, which pushes the distribution of the
codes towards the prior. The prior only has to be sampled, never evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..config import progress_bars
from ..data import batches
from ..validation import func, positive_int, positive_number, validated

# n -> n x latent samples
Prior = Callable[[int], torch.Tensor]


def _start_undecided(layer: nn.Linear) -> None:
    """Shrink the discriminator's output layer so its first logits are close to 0:
    it starts at chance, with both loss terms at ln 2, whatever the seed."""
    with torch.no_grad():
        layer.weight.mul_(0.1)
        layer.bias.zero_()


class AdversarialAutoencoder(nn.Module):
    """Encoder (the generator of codes), decoder, and a discriminator on codes.

    ``discriminate(z)`` returns one logit per code: large when the discriminator thinks
    ``z`` was drawn from the prior ("real"), small when it thinks ``z`` is a code
    ("fake").
    """

    @validated(latent=positive_int, hidden=positive_int, critic_hidden=positive_int)
    def __init__(self, latent: int = 2, hidden: int = 256, critic_hidden: int = 64):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, latent),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 28 * 28),
            nn.Sigmoid(),
            nn.Unflatten(1, (1, 28, 28)),
        )
        self.discriminator = nn.Sequential(
            nn.Linear(latent, critic_hidden),
            nn.ReLU(),
            nn.Linear(critic_hidden, critic_hidden),
            nn.ReLU(),
            nn.Linear(critic_hidden, 1),
        )
        _start_undecided(self.discriminator[-1])

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.encoder(images)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder(codes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))

    def discriminate(self, codes: torch.Tensor) -> torch.Tensor:
        return self.discriminator(codes).squeeze(1)


@dataclass
class Optimizers:
    """One optimiser per phase of :func:`train_step`."""

    # of the encoder and the decoder
    reconstruction: torch.optim.Optimizer
    discriminator: torch.optim.Optimizer
    # of the encoder
    generator: torch.optim.Optimizer


class NeverStepped(torch.optim.Adam):
    """Adam whose ``step`` does nothing: the common AAE bug of a discriminator optimiser
    that computes gradients but is never stepped, so the discriminator stays as it was
    initialised."""

    def step(self, closure=None):
        return None


@validated(
    lr=positive_number, discriminator_lr=positive_number, generator_lr=positive_number
)
def make_optimizers(
    model: AdversarialAutoencoder,
    lr: float = 1e-3,
    discriminator_lr: float = 1e-3,
    generator_lr: float = 2e-4,
    *,
    step_discriminator: bool = True,
) -> Optimizers:
    """Adam for each phase; ``step_discriminator=False`` is the never-stepped bug."""
    # a short memory suits a moving adversarial target
    betas = (0.5, 0.999)
    critic = torch.optim.Adam if step_discriminator else NeverStepped
    return Optimizers(
        reconstruction=torch.optim.Adam(
            [*model.encoder.parameters(), *model.decoder.parameters()], lr=lr
        ),
        discriminator=critic(
            model.discriminator.parameters(), lr=discriminator_lr, betas=betas
        ),
        generator=torch.optim.Adam(
            model.encoder.parameters(), lr=generator_lr, betas=betas
        ),
    )


def train_step(
    model: AdversarialAutoencoder,
    optimizers: Optimizers,
    images: torch.Tensor,
    prior: Prior,
) -> dict[str, float]:
    """One batch of AAE training: reconstruction, then discriminator, then generator."""
    real_label = torch.ones(len(images), device=images.device)
    fake_label = torch.zeros(len(images), device=images.device)

    # 1. Reconstruction: encoder and decoder learn to copy the images.
    optimizers.reconstruction.zero_grad()
    reconstruction_loss = F.mse_loss(model(images), images)
    reconstruction_loss.backward()
    optimizers.reconstruction.step()

    # 2. Discriminator: prior samples are real, the encoder's codes are fake.
    optimizers.discriminator.zero_grad()
    real = prior(len(images)).to(images.device)
    # detached: this phase must not move the encoder
    fake = model.encode(images).detach()
    scores = model.discriminate(torch.cat([real, fake]))
    labels = torch.cat([real_label, fake_label])
    discriminator_loss = F.binary_cross_entropy_with_logits(scores, labels)
    discriminator_loss.backward()
    optimizers.discriminator.step()

    # 3. Generator: the encoder learns to make its codes pass for prior samples.
    optimizers.generator.zero_grad()
    scores_of_codes = model.discriminate(model.encode(images))
    generator_loss = F.binary_cross_entropy_with_logits(scores_of_codes, real_label)
    generator_loss.backward()
    optimizers.generator.step()

    return {
        "reconstruction": reconstruction_loss.item(),
        "discriminator": discriminator_loss.item(),
        "generator": generator_loss.item(),
        "accuracy": ((scores > 0).float() == labels).float().mean().item(),
    }


@dataclass
class AdversarialHistory:
    """Per-epoch means over the training batches, as :func:`train_step` reports them.

    ``discriminator`` is the mean of its two cross-entropy terms and ``generator`` the
    encoder's; both are ln 2 ≈ 0.693 when the discriminator is at chance, where its
    ``accuracy`` on prior samples and codes is 0.5.
    """

    reconstruction: list[float] = field(default_factory=list)
    discriminator: list[float] = field(default_factory=list)
    generator: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)


@validated(prior=func, epochs=positive_int, batch_size=positive_int)
def train_aae(
    model: AdversarialAutoencoder,
    images: torch.Tensor,
    prior: Prior,
    *,
    epochs: int,
    batch_size: int = 100,
    lr: float = 1e-3,
    discriminator_lr: float = 1e-3,
    generator_lr: float = 2e-4,
    step_discriminator: bool = True,
    seed: int = 0,
    progress: bool = True,
) -> AdversarialHistory:
    """Train ``model`` with :func:`train_step` for ``epochs`` passes over ``images``.

    ``prior(n)`` returns ``n`` samples of the prior (it is called once per batch).
    ``step_discriminator=False`` trains the never-stepped-discriminator bug: the same
    step, but the discriminator's optimiser never changes its weights
    (:class:`NeverStepped`).
    """
    device = next(model.parameters()).device
    images = images.to(device)
    optimizers = make_optimizers(
        model,
        lr,
        discriminator_lr,
        generator_lr,
        step_discriminator=step_discriminator,
    )
    order = torch.Generator().manual_seed(seed)
    history = AdversarialHistory()
    model.train()
    epoch_bar = tqdm(
        range(epochs), desc="epochs", disable=not (progress and progress_bars())
    )
    for _ in epoch_bar:
        totals = dict.fromkeys(history.__dataclass_fields__, 0.0)
        for batch in batches(
            images, batch_size=batch_size, shuffle=True, generator=order
        ):
            for name, value in train_step(model, optimizers, batch, prior).items():
                totals[name] += value * len(batch)
        for name, total in totals.items():
            getattr(history, name).append(total / len(images))
    model.eval()
    return history
