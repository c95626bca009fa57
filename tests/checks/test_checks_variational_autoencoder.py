"""The ex-6.1 and ex-6.2 checks pass right answers (written in more than one way) and fail the
wrong answers a student could hand in, each with a message that teaches. The judge sees tensors
only: what the student's function or model gives on the inputs the judge draws."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_utils.checks.variational_autoencoder as checks
from course_utils.checks import CheckFailed
from course_utils.checks.protocol import load_tensors, save_tensors
from course_utils.config import seed_everything
from course_utils.data import load_mnist
from course_utils.losses import elbo_loss
from course_utils.models.conv import DownBlock, UpBlock
from course_utils.models.vae import VAE, reparameterize
from course_utils.training import fit

LATENT, EPOCHS = 8, 6


pytestmark = pytest.mark.usefixtures("offline")  # the bundled sample: no download


@pytest.fixture(scope="module")
def train_images(offline):
    return load_mnist("train", limit=1000).images


def trained(make_model, train_images, loss_fn=None, epochs=EPOCHS):
    seed_everything(0)
    model = make_model()
    fit(
        model,
        train_images,
        epochs=epochs,
        batch_size=32,
        loss_fn=loss_fn or elbo_loss(),
        progress=False,
    )
    return model.eval()


@pytest.fixture(scope="module")
def mlp(train_images):
    return trained(lambda: VAE(latent=LATENT, hidden=64), train_images, epochs=2)


def run(check, *args, seed=0):
    """The check as the grader runs it: inputs drawn with ``seed``, the hand-over's tensors
    written and read back (only tensors cross), then judged."""
    inputs = check.inputs(torch.Generator().manual_seed(seed))
    answer = check.hand_over(*args, inputs=inputs)
    save_tensors(answer, path := _path())
    return check.judge(load_tensors(path), inputs)


def _path():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp()) / "answer.safetensors"


def fails(check, match, *args):
    with pytest.raises(CheckFailed, match=match) as info:
        run(check, *args)
    assert "Hint:" in str(info.value)


# ex-6.1 ---------------------------------------------------------------------------------


def _ends(model, first, last):
    with torch.no_grad():
        return model.encode(torch.stack([first, last]))[0]


def solution(model, first, last, steps, noise, generator=None):
    """The chapter's solution."""
    with torch.no_grad():
        mu, _ = model.encode(torch.stack([first, last]))
        t = torch.linspace(0, 1, steps)[:, None]
        path = (1 - t) * mu[0] + t * mu[1]
        codes = path + noise * torch.randn(path.shape, generator=generator)
        return codes, torch.sigmoid(model.decode(codes))


def loop_with_lerp(model, first, last, steps, noise, generator=None):
    """Right, written differently: a loop, `torch.lerp`, forward's mu, the global generator."""
    with torch.no_grad():
        start, end = model(first[None])[1][0], model(last[None])[1][0]
        codes = []
        for weight in torch.linspace(0, 1, steps):
            codes.append(
                torch.lerp(start, end, weight) + torch.normal(0.0, noise, start.shape)
            )
        codes = torch.stack(codes)
        return codes, torch.sigmoid(model.decode(codes))


def with_distributions(model, first, last, steps, noise, generator=None):
    """Right, written differently: torch.distributions, steps as a column of weights."""
    mu = model.encode(torch.cat([first[None], last[None]]))[0].detach()
    weights = torch.arange(steps).float().unsqueeze(1) / (steps - 1)
    path = mu[0] + weights * (mu[1] - mu[0])
    codes = torch.distributions.Normal(path, noise).sample()
    return codes, model.decode(codes).sigmoid().detach()


def test_right_interpolations_pass(mlp, capsys):
    for function in (solution, loop_with_lerp, with_distributions):
        assert "noise exactly proportional" in run(
            checks.check_noisy_interpolation, function, mlp
        )
    checks.check_noisy_interpolation(solution, mlp)  # a student's self-check
    assert "ex-6.1 passed" in capsys.readouterr().out


def mutant(change):
    """The solution with one thing changed: ``change(parts)`` edits its pieces."""

    def function(model, first, last, steps, noise, generator=None):
        with torch.no_grad():
            parts = {"model": model, "first": first, "last": last, "steps": steps}
            parts |= {"noise": noise, "generator": generator}
            parts["mu"] = model.encode(torch.stack([first, last]))[0]
            parts["t"] = torch.linspace(0, 1, steps)[:, None]
            change(parts, "path")
            t, mu = parts["t"], parts["mu"]
            parts["path"] = (1 - t) * mu[0] + t * mu[1]
            parts["epsilon"] = torch.randn(len(t), mu.shape[1], generator=generator)
            parts["scale"] = noise
            change(parts, "noise")
            parts["codes"] = parts["path"] + parts["scale"] * parts["epsilon"]
            change(parts, "codes")
            parts["decodings"] = torch.sigmoid(model.decode(parts["codes"]))
            change(parts, "decodings")
            return parts["codes"], parts["decodings"]

    return function


def at(stage, edit):
    def change(parts, now):
        if now == stage:
            edit(parts)

    return change


def _set(key, value):
    return lambda parts: parts.__setitem__(key, value(parts))


WRONG_INTERPOLATIONS = {
    "in proportion to its square\\b": at(
        "noise", _set("scale", lambda p: p["noise"] ** 2)
    ),
    "in proportion to its square root": at(
        "noise", _set("scale", lambda p: p["noise"] ** 0.5)
    ),
    "standard deviation of 2": at("noise", _set("scale", lambda p: 2 * p["noise"])),
    "leaves out both ends": at(
        "path",
        _set("t", lambda p: torch.linspace(0, 1, p["steps"] + 2)[1:-1, None]),
    ),
    "stops one step short": at(
        "path", _set("t", lambda p: torch.arange(p["steps"])[:, None] / p["steps"])
    ),
    r"should have shape \d+ x 8": at(  # one step too many, both ends included
        "path", _set("t", lambda p: torch.linspace(0, 1, p["steps"] + 1)[:, None])
    ),
    "backwards": at(
        "path", _set("t", lambda p: torch.linspace(1, 0, p["steps"])[:, None])
    ),
    "not the straight line": at(  # blending the pixels, then encoding
        "noise",
        _set(
            "path",
            lambda p: p["model"].encode(
                (1 - p["t"][:, :, None, None]) * p["first"]
                + p["t"][:, :, None, None] * p["last"]
            )[0],
        ),
    ),
    "carry no noise: they are the straight": at("noise", _set("scale", lambda p: 0.0)),
    "of the .* steps carry no noise": at(  # noise on the inner steps only
        "noise",
        lambda p: p["epsilon"].__setitem__(slice(None, None, p["steps"] - 1), 0.0),
    ),
    "latent dimensions carry no noise": at(
        "noise", lambda p: p["epsilon"].__setitem__((slice(None), slice(0, 4)), 0.0)
    ),
    "same noise vector": at(
        "noise", _set("epsilon", lambda p: p["epsilon"][:1].expand_as(p["epsilon"]))
    ),
    "not 1": at("noise", _set("epsilon", lambda p: torch.rand(p["epsilon"].shape))),
    "does not draw its noise afresh": at(  # the generator reseeded inside
        "noise",
        _set(
            "epsilon",
            lambda p: torch.randn(
                p["epsilon"].shape, generator=torch.Generator().manual_seed(0)
            ),
        ),
    ),
    "are logits": at(
        "decodings", _set("decodings", lambda p: p["model"].decode(p["codes"]))
    ),
    "not the model's decodings": at(
        "decodings",
        _set("decodings", lambda p: torch.sigmoid(p["model"].decode(p["path"]))),
    ),
}


@pytest.mark.parametrize("match", list(WRONG_INTERPOLATIONS), ids=str)
def test_wrong_interpolations_fail(mlp, match):
    fails(
        checks.check_noisy_interpolation,
        match,
        mutant(WRONG_INTERPOLATIONS[match]),
        mlp,
    )


def test_noise_from_the_global_generator_that_ignores_its_seed_fails(mlp):
    def unseeded(model, first, last, steps, noise, generator=None):
        with torch.random.fork_rng():
            torch.seed()  # a fresh draw whatever the seeds
            return solution(model, first, last, steps, noise)

    fails(checks.check_noisy_interpolation, "in proportion to `noise`", unseeded, mlp)


def test_answers_of_the_wrong_kind_fail(mlp):
    fails(checks.check_noisy_interpolation, "function", torch.zeros(3), mlp)
    fails(checks.check_noisy_interpolation, "encode", solution, nn.Identity())
    fails(
        checks.check_noisy_interpolation,
        "two tensors",
        lambda *args: solution(*args)[0],
        mlp,
    )


# ex-6.2 ---------------------------------------------------------------------------------


class BlockVAE(VAE):
    """A convolutional VAE: it inherits the course VAE's ``encode`` and ``forward`` and only
    swaps the networks."""

    def __init__(self, latent=LATENT):
        nn.Module.__init__(self)
        self.encoder = nn.Sequential(DownBlock(1, 16), DownBlock(16, 32), nn.Flatten())
        self.to_mu, self.to_logvar = nn.Linear(1568, latent), nn.Linear(1568, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, 1568),
            nn.ReLU(),
            nn.Unflatten(1, (32, 7, 7)),
            UpBlock(32, 16),
            UpBlock(16, 8),
            nn.Conv2d(8, 1, kernel_size=3, padding=1),
        )


@pytest.fixture(scope="module")
def conv(train_images):
    return trained(BlockVAE, train_images)


class Wrapped(nn.Module):
    """A trained VAE with one part of its forward pass or its decoder changed."""

    def __init__(self, inner, mode):
        super().__init__()
        self.inner, self.mode = copy.deepcopy(inner), mode

    def encode(self, images):
        if self.mode == "detached features":  # the encoder's convolutions never learn
            h = self.inner.encoder(images).detach()
            return self.inner.to_mu(h), self.inner.to_logvar(h)
        mu, logvar = self.inner.encode(images)
        # trained with logvar² in forward, logvar ends near 0 (σ ≥ 1 there anyway)
        if self.mode == "logvar squared":
            return mu, 0.0 * logvar
        return mu, logvar

    def decode(self, z):
        logits = self.inner.decode(z)
        return torch.sigmoid(logits) if self.mode == "sigmoid" else logits

    def forward(self, images):
        mu, logvar = self.encode(images)
        if self.mode == "mean":
            z = mu
        elif (
            self.mode == "logvar squared"
        ):  # σ = exp(½·logvar²): ≈ right where logvar ≈ 0
            z = reparameterize(mu, logvar**2)
        elif self.mode == "exp(logvar)":
            z = mu + torch.exp(logvar) * torch.randn_like(mu)
        elif self.mode == "distributions":  # right, written differently
            z = torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()
        else:
            z = reparameterize(mu, logvar)
        if self.mode == "(logits, logvar, mu)":
            return self.decode(z), logvar, mu
        return self.decode(z), mu, logvar


def test_right_conv_vaes_pass(conv, capsys):
    for model in (conv, Wrapped(conv, "distributions")):
        assert "< " in run(checks.check_conv_vae, model)
    checks.check_conv_vae(conv)  # a student's self-check
    assert "ex-6.2 passed" in capsys.readouterr().out


def test_the_judges_baseline_is_its_own_mlp_vae():
    inputs = checks.check_conv_vae.inputs(torch.Generator().manual_seed(1))
    baseline = checks.baseline_negative_elbo(
        inputs["images"], inputs["epsilon"], LATENT
    )
    assert 200 < baseline < 400  # a VAE that has begun to learn; untrained ones: ~500
    assert checks.mlp_baseline(LATENT) is checks.mlp_baseline(LATENT)  # trained once


@pytest.mark.parametrize(
    "mode, match",
    [
        ("mean", "same logits every time"),
        ("exp(logvar)", "½·logvar"),
        ("logvar squared", "when `encode` gives σ = 0.1"),
        ("detached features", "get no gradient"),
        ("sigmoid", "probabilities"),
        ("(logits, logvar, mu)", r"\(logits, logvar, mu\)"),
    ],
)
def test_wrong_forward_passes_fail(conv, mode, match):
    fails(checks.check_conv_vae, match, Wrapped(conv, mode))


def test_wrong_models_fail(conv, mlp):
    fails(checks.check_conv_vae, "no convolution", mlp)

    class NoTuple(Wrapped):
        def forward(self, images):
            return super().forward(images)[0]

    fails(checks.check_conv_vae, "three tensors", NoTuple(conv, ""))


def test_an_untrained_model_fails_whatever_its_history_says():
    seed_everything(0)
    fails(checks.check_conv_vae, "has not learnt yet", BlockVAE().eval())


def test_a_collapsed_posterior_fails(train_images):
    generator = torch.Generator().manual_seed(0)

    def mean_reduced(model, batch):
        images = torch.bernoulli(batch, generator=generator)
        logits, mu, logvar = model(images)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        return F.binary_cross_entropy_with_logits(logits, images) + kl

    collapsed = trained(BlockVAE, train_images, mean_reduced, epochs=2)
    fails(checks.check_conv_vae, "posterior collapse", collapsed)
