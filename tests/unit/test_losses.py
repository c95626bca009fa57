"""The VAE's losses against independent computations with torch.distributions and closed forms."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli, Independent, MultivariateNormal, Normal

from course_utils.losses import (
    active_units,
    bernoulli_nll,
    binarize,
    binarized_test_set,
    elbo_loss,
    grey_level_loss,
    importance_weighted_nll,
    kl_to_standard_normal,
    negative_elbo,
)


def test_kl_matches_torch_distributions():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(6, 5, generator=generator)
    logvar = torch.randn(6, 5, generator=generator)
    expected = torch.distributions.kl_divergence(
        Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)
    ).sum(dim=1)
    assert kl_to_standard_normal(mu, logvar).shape == (6,)
    torch.testing.assert_close(kl_to_standard_normal(mu, logvar), expected)


def test_kl_is_zero_for_the_prior_itself():
    assert kl_to_standard_normal(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max() == 0


def test_negative_elbo_matches_bernoulli_log_prob_for_a_fixed_eps():
    generator = torch.Generator().manual_seed(1)
    images = (torch.rand(4, 1, 28, 28, generator=generator) < 0.3).float()
    mu = torch.randn(4, 3, generator=generator)
    logvar = torch.randn(4, 3, generator=generator) - 1
    eps = torch.randn(4, 3, generator=generator)
    z = mu + torch.exp(0.5 * logvar) * eps
    decoder = nn.Sequential(nn.Linear(3, 784), nn.Unflatten(1, (1, 28, 28)))
    logits = decoder(z)
    log_px_z = Independent(Bernoulli(logits=logits), 3).log_prob(images)
    kl = torch.distributions.kl_divergence(
        Independent(Normal(mu, torch.exp(0.5 * logvar)), 1),
        Independent(Normal(torch.zeros(3), torch.ones(3)), 1),
    )
    expected = -log_px_z + kl
    torch.testing.assert_close(negative_elbo(logits, images, mu, logvar), expected)
    torch.testing.assert_close(
        negative_elbo(logits, images, mu, logvar, beta=2.0), expected + kl
    )


def test_invalid_arguments_name_the_argument():
    with pytest.raises(ValueError, match="mu and logvar"):
        kl_to_standard_normal(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="logits and images"):
        bernoulli_nll(torch.zeros(2, 784), torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match="beta"):
        negative_elbo(
            torch.zeros(1, 4),
            torch.zeros(1, 4),
            torch.zeros(1, 2),
            torch.zeros(1, 2),
            beta=-1.0,
        )
    with pytest.raises(ValueError, match="grey levels"):
        binarize(torch.full((2, 2), 2.0))
    with pytest.raises(ValueError, match="k must be a positive integer"):
        importance_weighted_nll(LinearGaussian(), torch.zeros(2, 4), k=0)
    with pytest.raises(ValueError, match="mu must be a tensor N x d"):
        active_units(torch.zeros(5))


def test_binarisation_is_a_bernoulli_draw_of_the_grey_levels():
    grey = torch.full((20_000,), 0.3)
    draw = binarize(grey, torch.Generator().manual_seed(0))
    assert set(draw.unique().tolist()) == {0.0, 1.0}
    assert abs(draw.mean().item() - 0.3) < 4 * math.sqrt(0.3 * 0.7 / 20_000)
    binary = (grey > 0.5).float()
    assert torch.equal(binarize(binary), binary)  # 0 and 1 stay as they are


def test_fixed_test_set_is_the_same_every_time_and_training_batches_differ():
    images = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert torch.equal(binarized_test_set(images), binarized_test_set(images))
    assert not torch.equal(binarized_test_set(images), binarized_test_set(images, 1))
    seen = []

    class Spy(nn.Module):
        def forward(self, x):
            seen.append(x.clone())
            zeros = torch.zeros(len(x), 2)
            return torch.zeros_like(x), zeros, zeros

    loss = elbo_loss(seed=0)
    loss(Spy(), images)
    loss(Spy(), images)
    assert not torch.equal(seen[0], seen[1])  # a fresh draw per batch
    seen.clear()
    elbo_loss(seed=0)(Spy(), images)
    elbo_loss(seed=0)(Spy(), images)
    assert torch.equal(seen[0], seen[1])  # reproducible from the seed


def test_elbo_loss_is_the_batch_mean_in_nats_per_image():
    images = torch.ones(3, 1, 28, 28)  # binary, so the draw changes nothing

    class Fixed(nn.Module):
        def forward(self, x):
            return torch.zeros_like(x), torch.ones(len(x), 2), torch.zeros(len(x), 2)

    # every pixel has probability 1/2: log 2 nats each; KL = ½ Σ mu² = 1 nat
    expected = 784 * math.log(2) + 1.0
    assert elbo_loss()(Fixed(), images).item() == pytest.approx(expected)


def test_active_units_count_dimensions_whose_mean_varies():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(500, 4, generator=generator) * torch.tensor([1.0, 0.3, 0.05, 0])
    count, activity = active_units(mu)
    assert count == 2
    torch.testing.assert_close(activity, mu.var(dim=0))


class LinearGaussian(nn.Module):
    """p(z) = N(0, I), p(x|z) = N(Wz + b, s² I): p(x) = N(b, WWᵀ + s² I) exactly.

    Its encoder is a deliberately imperfect Gaussian q(z|x) (the exact posterior's mean,
    shrunk, with an inflated variance), so that the estimate needs many samples.
    """

    def __init__(self, data_dim=4, latent=2, s=0.5):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.W = nn.Parameter(torch.randn(data_dim, latent, generator=generator))
        self.b = nn.Parameter(torch.randn(data_dim, generator=generator))
        self.s = s

    def exact_posterior(self, x):
        precision = torch.eye(self.W.shape[1]) + self.W.T @ self.W / self.s**2
        covariance = torch.linalg.inv(precision)
        mean = (x - self.b) @ self.W @ covariance.T / self.s**2
        return mean, covariance

    def encode(self, x):
        mean, covariance = self.exact_posterior(x)
        logvar = torch.log(covariance.diagonal() * 3.0).expand_as(mean)
        return 0.8 * mean, logvar

    def log_likelihood(self, x, z):
        return Normal(z @ self.W.T + self.b, self.s).log_prob(x).sum(dim=1)

    def exact_nll(self, x):
        covariance = self.W @ self.W.T + self.s**2 * torch.eye(len(self.b))
        return -MultivariateNormal(self.b, covariance).log_prob(x)


def test_iwae_with_one_sample_is_the_single_sample_elbo_on_the_same_draw():
    model = LinearGaussian()
    x = torch.randn(7, 4, generator=torch.Generator().manual_seed(3))
    estimate = importance_weighted_nll(
        model, x, k=1, generator=torch.Generator().manual_seed(5)
    )
    with torch.no_grad():
        mu, logvar = model.encode(x)
        eps = torch.randn(7, 2, generator=torch.Generator().manual_seed(5))
        q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
        z = mu + torch.exp(0.5 * logvar) * eps
        prior = Independent(Normal(torch.zeros(2), torch.ones(2)), 1)
        single = -(model.log_likelihood(x, z) + prior.log_prob(z) - q.log_prob(z))
    torch.testing.assert_close(estimate, single)


def test_iwae_with_one_sample_averages_to_the_closed_form_negative_elbo():
    model = LinearGaussian()
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(3))
    repeats = 20_000  # one single-sample estimate per copy of each image
    draws = importance_weighted_nll(
        model,
        x.repeat(repeats, 1),
        k=1,
        batch_size=3 * repeats,
        generator=torch.Generator().manual_seed(0),
    ).view(repeats, 3)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(20_000, *mu.shape)
        expected_nll = -torch.stack([model.log_likelihood(x, zi) for zi in z]).mean(0)
        expected = expected_nll + kl_to_standard_normal(mu, logvar)
    spread = draws.std(dim=0) / math.sqrt(len(draws))
    assert ((draws.mean(dim=0) - expected).abs() < 5 * spread + 0.02).all()


def test_iwae_converges_to_the_exact_marginal_likelihood():
    model = LinearGaussian()
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(3)) * 2
    exact = model.exact_nll(x).detach()
    errors = {}
    for k in (1, 10, 100, 5000):
        estimate = importance_weighted_nll(
            model, x, k=k, chunk_size=64, generator=torch.Generator().manual_seed(k)
        )
        errors[k] = (estimate - exact).abs().mean().item()
    assert errors[1] > 0.1  # the imperfect encoder leaves a real gap at k = 1
    assert errors[5000] < 0.02
    assert errors[1] > errors[10] > errors[5000] and errors[100] > errors[5000]


def test_iwae_does_not_depend_on_how_the_work_is_chunked():
    model = LinearGaussian()
    x = torch.randn(9, 4, generator=torch.Generator().manual_seed(3))
    exact = model.exact_nll(x).detach()
    for batch_size, chunk_size in [(9, 2000), (2, 7)]:
        estimate = importance_weighted_nll(
            model,
            x,
            k=2000,
            batch_size=batch_size,
            chunk_size=chunk_size,
            generator=torch.Generator().manual_seed(0),
        )
        assert (estimate - exact).abs().max() < 0.05


def test_iwae_is_finite_for_a_bernoulli_vae_with_k_1000():
    from course_utils.models.vae import VAE

    torch.manual_seed(0)
    model = VAE(latent=4, hidden=16)
    images = binarized_test_set(torch.rand(3, 1, 28, 28))
    estimate = importance_weighted_nll(model, images, k=1000)
    assert estimate.shape == (3,) and torch.isfinite(estimate).all()
    assert (estimate > 0).all()  # −log of a probability of binary images


def test_grey_level_loss_is_the_negative_elbo_averaged_over_binarisations():
    """pytorch/examples' loss on grey targets is not "no likelihood": the cross-entropy is
    linear in its target, so it is the −ELBO of a random binarisation, on average."""
    generator = torch.Generator().manual_seed(0)
    grey = torch.rand(3, 1, 28, 28, generator=generator)
    mu = torch.randn(3, 2, generator=generator)
    logvar = torch.randn(3, 2, generator=generator) - 1
    decoder = nn.Sequential(nn.Linear(2, 784), nn.Unflatten(1, (1, 28, 28)))

    class Fixed(nn.Module):  # one fixed z per image, so only the targets are random
        def forward(self, x):
            return decoder(mu), mu, logvar

    model = Fixed()
    grey_loss = grey_level_loss(model, grey)
    logits = decoder(mu).detach()
    # exact expectation over b ~ Bernoulli(grey), pixel by pixel, from torch.distributions
    pixel = Bernoulli(logits=logits)
    expected_nll = -(
        grey * pixel.log_prob(torch.ones_like(grey))
        + (1 - grey) * pixel.log_prob(torch.zeros_like(grey))
    )
    kl = kl_to_standard_normal(mu, logvar)
    torch.testing.assert_close(grey_loss, expected_nll.sum(dim=(1, 2, 3)) + kl)
    # and by sampling: the mean −ELBO over many binarisations approaches it
    draws = torch.stack(
        [
            negative_elbo(logits, binarize(grey, generator), mu, logvar)
            for _ in range(2000)
        ]
    )
    torch.testing.assert_close(draws.mean(0), grey_loss.detach(), rtol=0, atol=0.5)


def test_grey_cross_entropy_with_itself_is_the_entropy_of_binarisation():
    """The "floor" of the grey-level loss is the entropy of the binarisation noise, a floor
    that every number on binarised MNIST carries too."""
    grey = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    bce = F.binary_cross_entropy(grey, grey, reduction="none").sum(dim=(1, 2, 3))
    entropy = Bernoulli(probs=grey).entropy().sum(dim=(1, 2, 3))
    torch.testing.assert_close(bce, entropy)


def test_grey_level_loss_rejects_images_outside_zero_one():
    with pytest.raises(ValueError, match="images"):
        grey_level_loss(nn.Identity(), torch.full((1, 1, 28, 28), 2.0))


class Encoded(nn.Module):
    """A "VAE" whose encoder output is a parameter: the loss's gradients are easy to read."""

    def __init__(self, mu, logvar):
        super().__init__()
        self.mu = nn.Parameter(mu)
        self.logvar = nn.Parameter(logvar)

    def forward(self, x):
        n = len(x)
        return torch.zeros_like(x), self.mu[:n], self.logvar[:n]


def test_free_bits_counts_each_dimension_at_least_lambda():
    mu = torch.tensor(
        [[0.1, 2.0], [-0.1, 1.0]]
    )  # dimension 0: tiny KL, dimension 1: large
    logvar = torch.zeros(2, 2)
    model = Encoded(mu.clone(), logvar.clone())
    images = torch.ones(2, 1, 28, 28)
    loss = elbo_loss(free_bits=0.5)(model, images)
    kl_per_dim = 0.5 * mu.pow(2).mean(
        0
    )  # σ = 1: KL_j = ½ μ_j², averaged over the batch
    expected = 784 * math.log(2) + max(0.5, kl_per_dim[0]) + max(0.5, kl_per_dim[1])
    assert loss.item() == pytest.approx(expected.item())
    loss.backward()
    assert model.mu.grad[:, 0].abs().max() == 0  # below λ: no pull towards the prior
    assert model.mu.grad[:, 1].abs().min() > 0
    # without free bits both dimensions are pulled
    model.mu.grad = None
    elbo_loss()(model, images).backward()
    assert model.mu.grad[:, 0].abs().min() > 0


def test_kl_warmup_grows_the_weight_linearly_and_only_while_training():
    model = Encoded(torch.ones(1, 2), torch.zeros(1, 2))  # KL = 1 nat
    images = torch.ones(1, 1, 28, 28)
    reconstruction = 784 * math.log(2)
    loss = elbo_loss(warmup_steps=4)
    model.eval()
    assert loss(model, images).item() == pytest.approx(reconstruction + 1.0)
    model.train()
    weights = [loss(model, images).item() - reconstruction for _ in range(6)]
    assert weights == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0], abs=1e-3)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"free_bits": 0}, "free_bits"), ({"warmup_steps": -1}, "warmup_steps")],
)
def test_collapse_remedies_reject_bad_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        elbo_loss(**kwargs)
