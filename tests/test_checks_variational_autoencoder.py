"""The ex-6.1 and ex-6.2 checks pass real answers (written in more than one way) and fail the
wrong answers a student could hand in, each with a message that teaches."""

import copy
import os

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_utils.checks.variational_autoencoder as checks
from course_utils.checks import CheckFailed
from course_utils.config import seed_everything
from course_utils.data import load_mnist
from course_utils.losses import binarized_test_set, elbo_loss
from course_utils.models.conv import DownBlock, UpBlock
from course_utils.models.vae import VAE, make_vae, reparameterize
from course_utils.training import History, fit

LATENT, EPOCHS, NOISE, STEPS = 8, 6, 0.5, 10


@pytest.fixture(scope="module")
def data():
    os.environ["COURSE_OFFLINE"] = "1"
    try:
        train = load_mnist("train", limit=1000)
        test = load_mnist("test", limit=200)
    finally:
        del os.environ["COURSE_OFFLINE"]
    return train.images, binarized_test_set(test.images)


def trained(make_model, train_images, loss_fn=None):
    """A model made after seeding, trained for EPOCHS epochs, and its history."""
    seed_everything(0)
    model = make_model()
    history = fit(
        model,
        train_images,
        epochs=EPOCHS,
        batch_size=32,
        loss_fn=loss_fn or elbo_loss(),
        progress=False,
    )
    return model, history


@pytest.fixture(scope="module")
def mlp(data):
    return trained(lambda: make_vae(latent=LATENT, hidden=64), data[0])


class BlockVAE(VAE):
    """A convolutional VAE written differently from the chapter's solution: it inherits the
    course VAE's ``encode`` and ``forward`` and only swaps the networks."""

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
def conv(data):
    return trained(BlockVAE, data[0])


# ex-6.1 ---------------------------------------------------------------------------


def interpolation(model, test, noise=NOISE, generator_seed=0):
    """The solution's answer: the straight path between the two means, fresh noise per step."""
    with torch.no_grad():
        mu = model.encode(test[:2])[0]
        t = torch.linspace(0, 1, STEPS)[:, None]
        path = (1 - t) * mu[0] + t * mu[1]
        generator = torch.Generator().manual_seed(generator_seed)
        codes = path + noise * torch.randn(path.shape, generator=generator)
        return path, codes, torch.sigmoid(model.decode(codes))


def check_61(model, test, codes, decodings, noise=NOISE):
    checks.check_noisy_interpolation(model, test[0], test[1], codes, decodings, noise)


def fails_61(match, *args, **kwargs):
    with pytest.raises(CheckFailed, match=match) as info:
        check_61(*args, **kwargs)
    assert "Hint:" in str(info.value)


def test_the_solution_passes(mlp, data, capsys):
    _, codes, decodings = interpolation(mlp[0], data[1])
    check_61(mlp[0], data[1], codes, decodings)
    assert "ex-6.1 passed" in capsys.readouterr().out


def test_an_answer_written_differently_passes(mlp, data, capsys):
    model, test = mlp[0], data[1]
    torch.manual_seed(3)
    codes, decodings = [], []
    with torch.no_grad():
        start, end = model(test[:1])[1][0], model(test[1:2])[1][0]
        for weight in torch.linspace(0, 1, STEPS):
            code = torch.lerp(start, end, weight) + torch.normal(0.0, NOISE, (LATENT,))
            codes.append(code)
            decodings.append(torch.sigmoid(model.decode(code[None]))[0])
    check_61(model, test, torch.stack(codes), torch.stack(decodings))
    assert "ex-6.1 passed" in capsys.readouterr().out


def test_wrong_interpolations_fail(mlp, data):
    model, test = mlp[0], data[1]
    path, codes, decodings = interpolation(model, test)
    decode = lambda z: torch.sigmoid(model.decode(z)).detach()  # noqa: E731
    fails_61("noise of size 0.5 is missing", model, test, path, decode(path))
    squared = path + (codes - path) * NOISE  # noise of std NOISE² (variance NOISE)
    fails_61("standard deviation of 0.5", model, test, squared, decode(squared))
    doubled = path + (codes - path) * 2
    fails_61("standard deviation of 0.5", model, test, doubled, decode(doubled))
    backwards = codes.flip(0)
    fails_61("backwards", model, test, backwards, decode(backwards))
    with torch.no_grad():
        other = model.encode(test[2:3])[0][0]
    t = torch.linspace(0, 1, STEPS)[:, None]
    wrong_end = (1 - t) * path[0] + t * other + (codes - path)
    fails_61("posterior means", model, test, wrong_end, decode(wrong_end))
    from_zero = t * path[-1] + (codes - path)
    fails_61("posterior means", model, test, from_zero, decode(from_zero))
    shared = path + NOISE * torch.randn(
        LATENT, generator=torch.Generator().manual_seed(1)
    )
    fails_61("same noise vector", model, test, shared, decode(shared))
    fails_61("logits", model, test, codes, model.decode(codes).detach())
    fails_61("not the model's decodings", model, test, codes, decode(path))
    fails_61("shape", model, test, codes, decodings[:5])
    fails_61("torch.Tensor", model, test, codes.tolist(), decodings)
    fails_61("latent space", model, test, codes[:, :4], decodings)
    fails_61("encode", nn.Identity(), test, codes, decodings)


def test_noise_must_be_positive(mlp, data):
    _, codes, decodings = interpolation(mlp[0], data[1])
    with pytest.raises(ValueError, match="noise"):
        check_61(mlp[0], data[1], codes, decodings, noise=0)


# ex-6.2 ---------------------------------------------------------------------------


def check_62(model, history, mlp, test):
    checks.check_conv_vae(model, history, mlp[0], mlp[1], test)


def fails_62(match, *args):
    with pytest.raises(CheckFailed, match=match) as info:
        check_62(*args)
    assert "Hint:" in str(info.value)


@pytest.fixture
def book_scale(monkeypatch):
    monkeypatch.setattr(checks, "is_tiny", lambda: False)


@pytest.fixture
def tiny_scale(monkeypatch):
    monkeypatch.setattr(checks, "is_tiny", lambda: True)


def test_a_trained_conv_vae_passes_at_both_scales(conv, mlp, data, monkeypatch, capsys):
    for tiny in (True, False):
        monkeypatch.setattr(checks, "is_tiny", lambda tiny=tiny: tiny)
        check_62(*conv, mlp, data[1])
        assert "ex-6.2 passed" in capsys.readouterr().out


class Wrapped(nn.Module):
    """A trained VAE with one part of its forward pass or its decoder changed."""

    def __init__(self, inner, mode):
        super().__init__()
        self.inner, self.mode = copy.deepcopy(inner), mode

    def encode(self, images):
        mu, logvar = self.inner.encode(images)
        if self.mode == "plain autoencoder":
            return mu, torch.zeros_like(logvar) + 0 * mu
        return mu, logvar

    def decode(self, z):
        logits = self.inner.decode(z)
        return torch.sigmoid(logits) if self.mode == "sigmoid" else logits

    def forward(self, images):
        mu, logvar = self.encode(images)
        if self.mode in ("mean", "plain autoencoder"):
            z = mu
        elif self.mode == "exp(logvar)":
            z = mu + torch.exp(logvar) * torch.randn_like(mu)
        else:
            z = reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def test_wrong_models_fail(conv, mlp, data, tiny_scale):
    model, history = conv
    test = data[1]
    fails_62("no convolution", mlp[0], mlp[1], mlp, test)
    fails_62("same output every time", Wrapped(model, "mean"), history, mlp, test)
    fails_62("½·logvar", Wrapped(model, "exp(logvar)"), history, mlp, test)
    fails_62("probabilities", Wrapped(model, "sigmoid"), history, mlp, test)

    class NoTuple(Wrapped):
        def forward(self, images):
            return super().forward(images)[0]

    fails_62("should return", NoTuple(model, ""), history, mlp, test)


def test_a_collapsed_posterior_fails(conv, mlp, data, tiny_scale):
    generator = torch.Generator().manual_seed(0)

    def mean_reduced(model, batch):
        images = torch.bernoulli(batch, generator=generator)
        logits, mu, logvar = model(images)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        return F.binary_cross_entropy_with_logits(logits, images) + kl

    collapsed, history = trained(BlockVAE, data[0], mean_reduced)
    fails_62("posterior collapse", collapsed, history, mlp, data[1])


def test_wrong_training_fails(conv, mlp, data, tiny_scale):
    model, history = conv
    test = data[1]
    short = History(train_loss=history.train_loss[:2])
    fails_62("trained for 2 epochs", model, short, mlp, test)
    per_pixel = History(train_loss=[value / 784 for value in history.train_loss])
    fails_62("not trained with the course's loss", model, per_pixel, mlp, test)
    last = history.train_loss[-1]
    rising = History(train_loss=[0.9 * last] * (EPOCHS - 1) + [last])
    fails_62("did not go down", model, rising, mlp, test)
    broken = History(train_loss=[*history.train_loss[:-1], float("nan")])
    fails_62("NaN", model, broken, mlp, test)


def test_not_beating_the_mlp_fails_at_the_book_scale(conv, data, book_scale):
    model, history = conv
    fails_62("no better than the MLP", model, history, (model, history), data[1])
