"""The adversarial autoencoder: each phase of a training step moves its own part of the
model with the gradient of its own loss (no stale gradients), the discriminator starts at
chance, and the never-stepped variant really leaves the discriminator alone."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.models.aae import (
    AdversarialAutoencoder,
    make_optimizers,
    train_aae,
    train_step,
)
from course_utils.priors import standard_normal


def images(n: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def small_model(seed: int = 0) -> AdversarialAutoencoder:
    torch.manual_seed(seed)
    return AdversarialAutoencoder(latent=2, hidden=32, critic_hidden=16)


def snapshot(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def all_changed(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return all(not torch.equal(b, p) for b, p in zip(before, module.parameters()))


def test_one_step_changes_encoder_decoder_and_discriminator():
    model = small_model()
    parts = {
        name: snapshot(getattr(model, name))
        for name in ("encoder", "decoder", "discriminator")
    }
    train_step(model, make_optimizers(model), images(), standard_normal)
    for name, before in parts.items():
        assert all_changed(before, getattr(model, name)), f"{name} did not move"


class Recorder:
    """Wraps each optimiser's ``step``: notes the model's weights and the gradients that
    the optimiser is about to apply, so a test can recompute what they should be."""

    def __init__(self, model, optimizers):
        self.model, self.calls = model, []
        for phase in ("reconstruction", "discriminator", "generator"):
            self._wrap(phase, getattr(optimizers, phase))

    def _wrap(self, phase, optimizer):
        params = [p for group in optimizer.param_groups for p in group["params"]]
        original = optimizer.step

        def step(*args, **kwargs):
            weights = {k: v.clone() for k, v in self.model.state_dict().items()}
            grads = [None if p.grad is None else p.grad.clone() for p in params]
            self.calls.append((phase, weights, grads))
            return original(*args, **kwargs)

        optimizer.step = step


def fresh_gradients(phase, weights, batch, real):
    """The gradient of one phase's loss alone, written out independently of train_step."""
    model = small_model()
    model.load_state_dict(weights)
    enc, dec, disc = model.encoder, model.decoder, model.discriminator
    if phase == "reconstruction":
        loss = ((dec(enc(batch)) - batch) ** 2).mean()
        params = [*enc.parameters(), *dec.parameters()]
    elif phase == "discriminator":
        fake = enc(batch).detach()
        # -log D(real) and -log(1 - D(fake)), averaged over both halves
        loss = -(F.logsigmoid(disc(real)).sum() + F.logsigmoid(-disc(fake)).sum())
        loss = loss / (len(real) + len(fake))
        params = list(disc.parameters())
    else:
        loss = -F.logsigmoid(disc(enc(batch))).mean()
        params = list(enc.parameters())
    return torch.autograd.grad(loss, params)


def test_every_phase_steps_with_the_gradient_of_its_own_loss_only():
    model = small_model()
    optimizers = make_optimizers(model)
    recorder = Recorder(model, optimizers)
    drawn = []

    def prior(n):
        drawn.append(standard_normal(n))
        return drawn[-1]

    batches = [images(seed=1), images(seed=2)]
    for batch in batches:
        train_step(model, optimizers, batch, prior)
    assert [phase for phase, _, _ in recorder.calls] == [
        "reconstruction",
        "discriminator",
        "generator",
    ] * 2
    # the second step is where gradients left over from the first would show up
    for index, (phase, weights, grads) in enumerate(recorder.calls):
        step = index // 3
        expected = fresh_gradients(phase, weights, batches[step], drawn[step])
        for got, want in zip(grads, expected, strict=True):
            assert got is not None, f"{phase}: a parameter got no gradient"
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_the_discriminator_starts_at_chance(seed):
    torch.manual_seed(seed)
    model = AdversarialAutoencoder()  # the sizes the chapter uses
    with torch.no_grad():
        real = model.discriminate(standard_normal(1000))
        fake = model.discriminate(model.encode(images(1000, seed)))
    real_term = -F.logsigmoid(real).mean().item()
    fake_term = -F.logsigmoid(-fake).mean().item()
    assert real_term == pytest.approx(math.log(2), rel=0.03)
    assert fake_term == pytest.approx(math.log(2), rel=0.03)


def test_a_never_stepped_discriminator_stays_as_initialised():
    model = small_model()
    critic, encoder = snapshot(model.discriminator), snapshot(model.encoder)
    history = train_aae(
        model,
        images(64),
        standard_normal,
        epochs=2,
        batch_size=32,
        step_discriminator=False,
        progress=False,
    )
    assert all(
        torch.equal(b, p) for b, p in zip(critic, model.discriminator.parameters())
    )
    assert all_changed(encoder, model.encoder)
    assert len(history.accuracy) == 2


def test_train_aae_records_every_epoch():
    model = small_model()
    history = train_aae(
        model, images(64), standard_normal, epochs=3, batch_size=16, progress=False
    )
    for values in (
        history.reconstruction,
        history.discriminator,
        history.generator,
        history.accuracy,
    ):
        assert len(values) == 3 and all(math.isfinite(v) for v in values)
    assert all(0 <= a <= 1 for a in history.accuracy)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1, "batch_size": 0}, "batch_size"),
        ({"epochs": 1, "generator_lr": 0.0}, "generator_lr"),
        ({"epochs": 1, "discriminator_lr": -1.0}, "discriminator_lr"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_aae(small_model(), images(8), standard_normal, progress=False, **kwargs)


def test_bad_sizes_and_prior_raise():
    with pytest.raises(ValueError, match="latent"):
        AdversarialAutoencoder(latent=0)
    with pytest.raises(ValueError, match="prior"):
        train_aae(small_model(), images(8), None, epochs=1, progress=False)
