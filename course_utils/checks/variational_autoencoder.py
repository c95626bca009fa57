"""Checks for chapter 6, the variational autoencoder."""

from __future__ import annotations

import copy
import math

import torch

from ..config import is_tiny
from ..losses import elbo_loss, kl_to_standard_normal
from ..training import eval_mode, evaluate
from . import expect, expect_tensor, passed

ENDPOINT_TOLERANCE = 4.0  # squared endpoint error, in units of its expected size


def _posterior_mean(model, images: torch.Tensor) -> torch.Tensor:
    with eval_mode(model), torch.no_grad():
        return model.encode(images)[0].detach().float().cpu()


def check_noisy_interpolation(
    model, first_image, last_image, codes, decodings, noise: float
) -> None:
    """ex-6.1: codes on the straight path between the posterior means of two images, each with
    independent Gaussian noise of standard deviation ``noise``, and the model's decodings."""
    ex = "ex-6.1"
    if not noise > 0:
        raise ValueError(f"noise must be positive, got {noise!r}")
    expect(
        hasattr(model, "encode") and hasattr(model, "decode"),
        ex,
        "`model` should be the VAE of this chapter (it has no `encode` or `decode`).",
        "pass the trained VAE, `vae`.",
    )
    codes = expect_tensor(codes, ex, "noisy_codes")
    expect(
        codes.ndim == 2 and len(codes) >= 5,
        ex,
        f"`noisy_codes` should be steps x latent with at least 5 steps, "
        f"but it has shape {tuple(codes.shape)}.",
        "stack one code per step of the path into a tensor of shape STEPS x latent.",
    )
    images = torch.cat([first_image[None], last_image[None]])
    device = next(model.parameters()).device
    start, end = _posterior_mean(model, images.to(device))
    expect(
        codes.shape[1] == start.numel(),
        ex,
        f"each code should have {start.numel()} numbers, like the model's latent "
        f"space, but yours have {codes.shape[1]}.",
        "interpolate between the posterior means `mu` that `model.encode` returns.",
    )
    steps, dims = codes.shape
    t = torch.linspace(0, 1, steps)
    design = torch.stack([1 - t, t], dim=1)  # codes ≈ (1 - t)·a + t·b
    fitted = torch.linalg.lstsq(design, codes).solution  # 2 x d: a and b
    around_line = codes - design @ fitted
    spread = math.sqrt(around_line.pow(2).sum().item() / ((steps - 2) * dims))
    path = design @ torch.stack([start, end])
    shared = (
        (codes - path).mean(dim=0).pow(2).mean().item()
    )  # noise common to all steps
    expect(
        spread > 0.2 * noise or shared < 0.1 * noise**2,
        ex,
        "every step carries the same noise vector, so the path is only shifted.",
        "draw new noise for each step: `torch.randn(STEPS, latent)`.",
    )
    expect(
        spread > 0.2 * noise,
        ex,
        f"the codes lie on a straight line (spread around it {spread:.3g}): "
        f"the noise of size {noise} is missing.",
        "add `noise * torch.randn(...)` to every code of the path.",
    )
    expect(
        0.6 * noise < spread < 1.6 * noise,
        ex,
        f"the codes scatter around their path by about {spread:.3g}, "
        f"but the noise should have a standard deviation of {noise}.",
        "multiply standard normal noise by the noise size itself "
        "(not its square, not its square root).",
    )
    leverage = torch.linalg.inv(design.T @ design).diagonal()  # variance of a, b / σ²
    endpoint_error = [
        (fitted[i] - want).pow(2).mean().item() / (leverage[i].item() * noise**2)
        for i, want in enumerate((start, end))
    ]
    swapped = [
        (fitted[i] - want).pow(2).mean().item() / (leverage[i].item() * noise**2)
        for i, want in enumerate((end, start))
    ]
    expect(
        max(swapped) > ENDPOINT_TOLERANCE or max(endpoint_error) < ENDPOINT_TOLERANCE,
        ex,
        "your path runs backwards: from the second digit's code to the first one's.",
        "start at `t = 0` with the first image's posterior mean.",
    )
    expect(
        max(endpoint_error) < ENDPOINT_TOLERANCE,
        ex,
        "the path does not run between the posterior means of the two images "
        f"(its ends are off by {endpoint_error[0]:.1f} and {endpoint_error[1]:.1f} "
        "times what the noise explains).",
        "use `mu` from `model.encode(images)` for both ends, not a sampled code or "
        "the images' pixels, and `(1 - t) * mu_first + t * mu_last` in between.",
    )
    expect(
        shared < 0.5 * noise**2,
        ex,
        "every step carries the same noise vector, so the path is only shifted.",
        "draw new noise for each step: `torch.randn(STEPS, latent)`.",
    )
    decodings = expect_tensor(decodings, ex, "noisy_decodings")
    with torch.no_grad():
        model_eval = model.training
        model.eval()
        logits = model.decode(codes.to(device)).float().cpu()
        model.train(model_eval)
    probabilities = torch.sigmoid(logits)
    expect(
        decodings.shape == probabilities.shape,
        ex,
        f"`noisy_decodings` should have shape {tuple(probabilities.shape)}, one image "
        f"per code, but it has shape {tuple(decodings.shape)}.",
        "decode all the noisy codes at once with `model.decode`.",
    )
    expect(
        not torch.allclose(decodings, logits, atol=1e-4),
        ex,
        "`noisy_decodings` are logits, not images.",
        "the decoder returns Bernoulli logits: apply `torch.sigmoid` to get pixel "
        "probabilities.",
    )
    expect(
        torch.allclose(decodings, probabilities, atol=1e-3),
        ex,
        "`noisy_decodings` are not the model's decodings of `noisy_codes`.",
        "decode the noisy codes themselves (not the path without noise) with "
        "`torch.sigmoid(model.decode(noisy_codes))`.",
    )
    passed(
        ex,
        f"{steps} codes from one posterior mean to the other with noise of size "
        f"{spread:.2f} (asked: {noise}) and their decodings.",
    )


def _test_negative_elbo(model, images: torch.Tensor) -> float:
    """Mean −ELBO per image on binary ``images``, from one fixed draw of z."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return evaluate(model, images, elbo_loss(seed=0))


def _spread(outputs: list[torch.Tensor]) -> float:
    """Variance of the pixel probabilities across draws, summed over pixels, mean per image."""
    stacked = torch.sigmoid(torch.stack(outputs)).double()
    return stacked.var(dim=0).flatten(start_dim=1).sum(dim=1).mean().item()


def _sampling_spreads(model, images: torch.Tensor, draws: int = 32):
    """How much the model's own forward pass varies, and how much decoding
    z = mu + exp(½ logvar)·ε varies, for the same images (in training mode, on a copy)."""
    model = copy.deepcopy(model).train()
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(0)
        own = [model(images)[0] for _ in range(draws)]
        mu, logvar = model.encode(images)
        sigma = torch.exp(0.5 * logvar)
        reference = [
            model.decode(mu + sigma * torch.randn_like(mu)) for _ in range(draws)
        ]
    return _spread(own), _spread(reference)


def check_conv_vae(model, history, mlp_model, mlp_history, test_images) -> None:
    """ex-6.2: a convolutional VAE trained with the course's −ELBO; at the book's scale its
    test −ELBO beats the MLP VAE's after the same number of epochs."""
    ex = "ex-6.2"
    expect(
        all(hasattr(model, name) for name in ("encode", "decode")),
        ex,
        "`conv_vae` needs `encode` (images → mu, logvar) and `decode` (z → logits).",
        "write both methods, and `forward` returning `(logits, mu, logvar)`.",
    )
    expect(
        any(isinstance(m, torch.nn.Conv2d) for m in model.modules()),
        ex,
        "`conv_vae` has no convolution layer.",
        "build the encoder from `DownBlock`s and the decoder from `UpBlock`s.",
    )
    device = next(model.parameters()).device
    images = test_images.to(device)
    model.eval()
    with torch.no_grad():
        output = model(images[:16])
    expect(
        isinstance(output, tuple) and len(output) == 3,
        ex,
        "`conv_vae(images)` should return `(logits, mu, logvar)`.",
        "return the decoder's logits together with the encoder's mu and logvar.",
    )
    logits = expect_tensor(output[0], ex, "logits", shape=tuple(images[:16].shape))
    expect(
        not (logits.min() >= 0 and logits.max() <= 1),
        ex,
        "the decoder's outputs all lie in [0, 1]: they look like probabilities, "
        "not logits.",
        "drop the final sigmoid: `negative_elbo` applies it inside the "
        "binary cross-entropy with logits.",
    )
    with torch.no_grad():
        mu, logvar = model.encode(images)
    kl = kl_to_standard_normal(mu.float(), logvar.float()).mean().item()
    expect(
        kl > 1.0,
        ex,
        f"the KL term of your model is {kl:.3g} nats per image: its codes carry "
        "(almost) no information about the images (posterior collapse).",
        "use `negative_elbo`, whose reconstruction term is summed over the pixels; "
        "a mean over pixels makes the KL 784 times too strong.",
    )
    own, reference = _sampling_spreads(model, images[:16])
    expect(
        own > 1e-6,
        ex,
        "`conv_vae(images)` gives the same output every time: it decodes mu itself "
        "instead of a sample from q(z|x).",
        "draw z with `reparameterize(mu, logvar)` in `forward`.",
    )
    expect(
        0.5 < own / reference < 2.0,
        ex,
        f"the samples of `forward` vary {own / reference:.2g} times as much as "
        "z = mu + exp(½·logvar)·ε would make them.",
        "σ = exp(½·logvar): logvar is the log of the variance, not of the standard "
        "deviation.",
    )
    train_loss = [float(value) for value in history.train_loss]
    expect(
        len(train_loss) == len(mlp_history.train_loss),
        ex,
        f"your model trained for {len(train_loss)} epochs, the MLP VAE for "
        f"{len(mlp_history.train_loss)}.",
        "train with `epochs=EPOCHS`, as the MLP VAE was, so the comparison is fair.",
    )
    expect(
        all(math.isfinite(value) for value in train_loss),
        ex,
        "the training loss contains NaN or infinite values.",
        "lower the learning rate.",
    )
    test_elbo = _test_negative_elbo(model, images)
    expect(
        0.5 * test_elbo < train_loss[-1] < 1.5 * test_elbo,
        ex,
        f"the last training loss in `conv_history` is {train_loss[-1]:.4g}, but the "
        f"model's test −ELBO is {test_elbo:.1f} nats per image: it was not trained "
        "with the course's loss.",
        "train with `loss_fn=cu.losses.elbo_loss()`: the −ELBO summed over pixels, "
        "in nats per image.",
    )
    if is_tiny():
        expect(
            train_loss[-1] < train_loss[0],
            ex,
            f"the training loss did not go down ({train_loss[0]:.1f} → "
            f"{train_loss[-1]:.1f}).",
            "check the learning rate and that the optimiser steps on your model.",
        )
        passed(
            ex,
            f"a convolutional VAE (KL {kl:.1f} nats, sampling from q(z|x)); test "
            f"−ELBO {test_elbo:.1f} nats, training loss falling (tiny scale: the "
            "comparison with the MLP runs at the book's scale).",
        )
        return
    mlp_elbo = _test_negative_elbo(mlp_model, images)
    expect(
        test_elbo < mlp_elbo,
        ex,
        f"your test −ELBO is {test_elbo:.1f} nats per image, no better than the MLP "
        f"VAE's {mlp_elbo:.1f} after the same number of epochs.",
        "give the encoder and decoder enough channels, and check the learning rate.",
    )
    passed(
        ex,
        f"a convolutional VAE (KL {kl:.1f} nats, sampling from q(z|x)) with test "
        f"−ELBO {test_elbo:.1f} < {mlp_elbo:.1f} nats per image (MLP VAE).",
    )
