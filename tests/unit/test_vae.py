"""The MLP VAE: reparameterised samples have the right statistics, shapes, and its likelihood."""

import pytest
import torch
from torch.distributions import Bernoulli, Independent

from course_utils.models.vae import VAE, reparameterize


def test_reparameterised_samples_have_the_requested_mean_and_variance():
    torch.manual_seed(0)
    mu = torch.tensor([0.0, 2.0, -1.0])
    logvar = torch.tensor([0.0, -2.0, 1.5])  # variances 1, e^-2, e^1.5
    samples = reparameterize(mu.expand(100_000, 3), logvar.expand(100_000, 3))
    torch.testing.assert_close(samples.mean(0), mu, atol=0.02, rtol=0)
    torch.testing.assert_close(samples.var(0), logvar.exp(), atol=0, rtol=0.02)


def test_gradients_reach_mu_and_logvar():
    mu = torch.zeros(4, 2, requires_grad=True)
    logvar = torch.zeros(4, 2, requires_grad=True)
    reparameterize(mu, logvar).pow(2).sum().backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0


def test_shapes_and_sampling():
    torch.manual_seed(0)
    model = VAE(latent=5, hidden=32)
    images = torch.rand(6, 1, 28, 28)
    logits, mu, logvar = model(images)
    assert logits.shape == images.shape and mu.shape == logvar.shape == (6, 5)
    again, _, _ = model(images)
    assert not torch.equal(logits, again)  # a new z every call
    torch.testing.assert_close(model.encode(images)[0], mu)
    assert model.decode(torch.zeros(2, 5)).shape == (2, 1, 28, 28)


def test_log_likelihood_is_the_bernoulli_log_prob_of_the_decoded_logits():
    torch.manual_seed(0)
    model = VAE(latent=3, hidden=16)
    images = (torch.rand(4, 1, 28, 28) < 0.5).float()
    z = torch.randn(4, 3)
    expected = Independent(Bernoulli(logits=model.decode(z)), 3).log_prob(images)
    torch.testing.assert_close(model.log_likelihood(images, z), expected)


@pytest.mark.parametrize(
    "kwargs, name", [({"latent": 0}, "latent"), ({"hidden": 2.5}, "hidden")]
)
def test_invalid_sizes_raise(kwargs, name):
    with pytest.raises(ValueError, match=name):
        VAE(**kwargs)
