"""Checks for chapter 6, the variational autoencoder.

ex-6.1 hands over what the student's ``noisy_interpolation`` returns for two binary test
digits, a number of steps and three noise sizes that the judge draws, always with the
same noise seed, and once with another seed. Codes that are the path plus ``noise``
times the same standard normal draw grow exactly linearly in ``noise``: the judge reads
the path off as the intercept and the standard normal draw as the slope, so it can
compare the path with the exact straight line between the posterior means, and measure
the draw's size, steps and dimensions.

ex-6.2 hands over the convolutional VAE's posterior (mu, logvar) of binary test digits
the judge draws and its decoder's logits at z = mu + σ·ε for noise ε the judge draws, so
the judge computes the −ELBO itself; it compares it with the chapter's MLP VAE, which it
trains itself. It also gets ``forward``'s draws with ``encode`` made to give σ = 0.1 (a
trained model's logvar sits near 0 on many units, where sampling with exp(½·logvar²)
looks right), and how many parameter tensors get no gradient from the −ELBO of
``forward``'s output (a ``.detach()`` in ``encode``).
"""

from __future__ import annotations

import functools
import math

import torch

from ..losses import bernoulli_nll, binarize, elbo_loss, kl_to_standard_normal
from ..training import eval_mode
from . import expect, expect_tensor
from .protocol import check

# ex-6.1
# -----------------------------------------------------------------------------------

# codes are float32: the exact path up to rounding, scaled by its size
PATH_TOLERANCE = 1e-4
# mean square of a standard normal draw of >= 200 numbers
NOISE_SCALE_RANGE = (0.65, 1.5)


def _model_device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


def draw_interpolation_inputs(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Two binary test digits, a number of steps, three noise sizes and two noise
    seeds."""
    from ..data import load_mnist

    test = load_mnist("test")
    chosen = torch.randperm(len(test.images), generator=generator)[:2]
    images = binarize(test.images[chosen], generator)
    steps = int(torch.randint(24, 41, (1,), generator=generator))
    # three sizes a factor 2 apart: noise, its square and its square root part ways
    base = 0.1 + 0.15 * torch.rand(1, generator=generator, dtype=torch.float64)
    noise = base * torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
    seeds = torch.randint(1, 2**31 - 1, (2,), generator=generator)
    return {
        "first": images[0],
        "last": images[1],
        "steps": torch.tensor(steps),
        "noise": noise,
        "seeds": seeds,
    }


def _interpolate(function, model, inputs, noise: float, seed: int):
    """The student's function called with a generator seeded ``seed``; the global random
    state is seeded the same way (and restored), so ``torch.randn`` without a generator
    works."""
    ex = "ex-6.1"
    with torch.random.fork_rng():  # every device's generator: noise drawn on a GPU too
        torch.manual_seed(seed)
        result = function(
            model,
            inputs["first"].clone(),
            inputs["last"].clone(),
            int(inputs["steps"]),
            float(noise),
            torch.Generator().manual_seed(seed),
        )
    expect(
        isinstance(result, tuple) and len(result) == 2,
        ex,
        "`noisy_interpolation` should return two tensors, `(codes, decodings)`, but it "
        f"returns {type(result).__name__}.",
        "end the function with `return codes, torch.sigmoid(model.decode(codes))`.",
    )
    codes = expect_tensor(result[0], ex, "codes")
    decodings = expect_tensor(result[1], ex, "decodings")
    return codes, decodings


@torch.no_grad()
def _decode(model, codes: torch.Tensor) -> torch.Tensor:
    with eval_mode(model):
        return model.decode(codes.to(_model_device(model))).float().cpu()


def _compare_path(codes_path, path, steps) -> str | None:
    """What is wrong with a noise-free path that is not the straight one, or None."""
    scale = path.abs().max().item() + 1.0

    def near(candidate):
        return (
            candidate.shape == codes_path.shape
            and (candidate - codes_path).abs().max().item() < PATH_TOLERANCE * scale
        )

    if codes_path.shape != path.shape:
        rows = codes_path.shape[0] if codes_path.ndim == 2 else None
        if rows == steps - 2 or rows == steps - 1:
            return (
                f"it has {rows} steps instead of {steps}: both ends belong to the path "
                "(t = 0 and t = 1 included)"
            )
        return (
            f"the codes should have shape {steps} x {path.shape[1]} (steps x latent), "
            f"but they have shape {tuple(codes_path.shape)}"
        )
    if near(path):
        return None
    if near(path.flip(0)):
        return "it runs backwards, from the last digit's code to the first one's"
    start, end = path[0], path[-1]
    for t, what in (
        (torch.linspace(0, 1, steps + 2)[1:-1], "it leaves out both ends"),
        (torch.arange(steps) / steps, "it stops one step short of the last code"),
        (torch.arange(1, steps + 1) / steps, "it starts one step after the first code"),
    ):
        if near((1 - t[:, None]) * start + t[:, None] * end):
            return what + ": t should run over `torch.linspace(0, 1, steps)`"
    return (
        "its noise-free part is not the straight line between the two posterior means "
        f"(off by up to {(codes_path - path).abs().max().item():.3g})"
    )


def judge_noisy_interpolation(answer, inputs) -> str:
    ex = "ex-6.1"
    steps, sizes = int(inputs["steps"]), inputs["noise"].double()
    ends = expect_tensor(answer.get("ends"), ex, "the posterior means").double()
    latent = ends.shape[1]
    t = torch.linspace(0, 1, steps, dtype=torch.float64)[:, None]
    path = (1 - t) * ends[0] + t * ends[1]
    codes = [
        expect_tensor(answer.get(f"codes_{i}"), ex, "codes").double() for i in range(3)
    ]
    expect(
        all(c.shape == codes[0].shape for c in codes),
        ex,
        "the codes change shape with the noise size.",
        "return `steps` codes of `LATENT` numbers whatever the noise.",
    )
    shape_problem = (
        _compare_path(codes[0], path, steps) if codes[0].shape != path.shape else None
    )
    expect(
        shape_problem is None,
        ex,
        f"your path is not the asked one: {shape_problem}.",
        "build `t = torch.linspace(0, 1, steps)` and the codes `(1 - t) * mu_first + "
        "t * mu_last`, one row per step.",
    )
    # codes = path + noise · ε, with the same ε for the same seed: exactly linear in
    # noise
    design = torch.stack([torch.ones(3, dtype=torch.float64), sizes], dim=1)
    flat = torch.stack([c.flatten() for c in codes])  # 3 x (steps · latent)
    fit = torch.linalg.lstsq(design, flat).solution  # 2 x (steps · latent)
    misfit = (design @ fit - flat).abs().max().item()
    scale = flat.abs().max().item() + 1.0
    powers = {}
    for name, power in (("its square", 2.0), ("its square root", 0.5)):
        other = torch.stack([torch.ones(3, dtype=torch.float64), sizes**power], dim=1)
        powered = torch.linalg.lstsq(other, flat).solution
        powers[name] = (other @ powered - flat).abs().max().item()
    expect(
        misfit < PATH_TOLERANCE * scale,
        ex,
        "with the same seed and three noise sizes, your codes do not move in "
        "proportion to `noise`"
        + next(
            (
                f": they move in proportion to {name}"
                for name, value in powers.items()
                if value < PATH_TOLERANCE * scale
            ),
            " (did the noise come from the `generator` argument or `torch.randn`?)",
        )
        + ".",
        "`noise` is the standard deviation: add `noise * torch.randn(steps, LATENT, "
        "generator=generator)` (not its square, not its square root), and draw nothing "
        "else at random.",
    )
    intercept = fit[0].reshape(codes[0].shape).float()
    epsilon = fit[1].reshape(codes[0].shape)
    problem = _compare_path(intercept, path.float(), steps)
    expect(
        problem is None,
        ex,
        f"take the noise away and your path is not the asked one: {problem}.",
        "interpolate the posterior means `mu` of `model.encode` (not the pixels, not "
        "sampled codes): `(1 - t) * mu[0] + t * mu[1]` with "
        "`t = torch.linspace(0, 1, steps)[:, None]`.",
    )
    quiet = epsilon.abs().amax(dim=1) < 1e-4
    expect(
        not bool(quiet.all()),
        ex,
        "your codes carry no noise: they are the straight path itself.",
        "add `noise * torch.randn(steps, LATENT, generator=generator)` to the path.",
    )
    expect(
        not bool(quiet.any()),
        ex,
        f"{int(quiet.sum())} of the {steps} steps carry no noise "
        f"(steps {quiet.nonzero().flatten().tolist()[:6]}...).",
        "add noise to every code of the path, the two ends included.",
    )
    silent = epsilon.abs().amax(dim=0) < 1e-4
    expect(
        not bool(silent.any()),
        ex,
        f"{int(silent.sum())} of the {latent} latent dimensions carry no noise.",
        "draw a full `steps x LATENT` tensor of noise, one number per step and "
        "dimension.",
    )
    expect(
        steps < 2 or (epsilon - epsilon[0]).abs().max().item() > 1e-4,
        ex,
        "every step carries the same noise vector, so the path is only shifted.",
        "draw new noise for each step: `torch.randn(steps, LATENT, "
        "generator=generator)`, not `torch.randn(LATENT)` broadcast over the steps.",
    )
    mean_square = epsilon.pow(2).mean().item()
    low, high = NOISE_SCALE_RANGE
    expect(
        low < mean_square < high,
        ex,
        f"per unit of `noise`, your noise has a standard deviation of "
        f"{math.sqrt(mean_square):.3g}, not 1.",
        "use standard normal noise, `torch.randn`, times `noise` (not `torch.rand`, "
        "which is uniform on [0, 1)).",
    )
    other = expect_tensor(answer.get("codes_other_seed"), ex, "codes").double()
    expect(
        other.shape == codes[0].shape and (other - codes[0]).abs().max().item() > 1e-4,
        ex,
        "with another generator your function returns the same noise: it does not draw "
        "its noise afresh at each call.",
        "draw the noise inside the function, from `generator` (do not reseed it or "
        "reuse a tensor drawn once).",
    )
    for i in range(3):
        logits = expect_tensor(answer.get(f"logits_{i}"), ex, "the decoder's logits")
        decodings = expect_tensor(answer.get(f"decodings_{i}"), ex, "decodings")
        expect(
            decodings.shape == logits.shape,
            ex,
            f"the decodings should have shape {tuple(logits.shape)}, one image per "
            f"code, but they have shape {tuple(decodings.shape)}.",
            "decode all the noisy codes at once with `model.decode(codes)`.",
        )
        expect(
            not torch.allclose(decodings, logits, atol=1e-4),
            ex,
            "the decodings are logits, not images.",
            "the decoder returns Bernoulli logits: apply `torch.sigmoid` to get pixel "
            "probabilities.",
        )
        expect(
            torch.allclose(decodings, torch.sigmoid(logits), atol=1e-3),
            ex,
            "the decodings are not the model's decodings of the noisy codes.",
            "decode the noisy codes themselves (not the path without noise): "
            "`torch.sigmoid(model.decode(codes))`.",
        )
    return (
        f"{steps} codes on the straight path between the posterior means (recovered to "
        f"{(intercept.double() - path).abs().max().item():.1e}), noise exactly "
        f"proportional to `noise` with standard deviation {math.sqrt(mean_square):.2f} "
        f"per unit, fresh at every step, dimension and call; decodings are the "
        f"decoder's probabilities."
    )


@check("ex-6.1", judge=judge_noisy_interpolation, draw_inputs=draw_interpolation_inputs)
def check_noisy_interpolation(noisy_interpolation, model, *, inputs):
    """ex-6.1: ``noisy_interpolation(model, first_image, last_image, steps, noise,
    generator)`` returns ``(codes, decodings)``: the straight path between the posterior
    means of the two images in ``steps`` steps, plus standard normal noise times
    ``noise`` at every step, and the decoder's pixel probabilities of those codes."""
    ex = "ex-6.1"
    expect(
        callable(noisy_interpolation),
        ex,
        "pass the function `noisy_interpolation` itself (not its result).",
        "`check_noisy_interpolation(noisy_interpolation, vae)`.",
    )
    expect(
        hasattr(model, "encode") and hasattr(model, "decode"),
        ex,
        "`model` should be the VAE of this chapter (it has no `encode` or `decode`).",
        "pass the trained VAE, `vae`.",
    )
    images = torch.stack([inputs["first"], inputs["last"]])
    with eval_mode(model), torch.no_grad():
        ends = model.encode(images.to(_model_device(model)))[0].float().cpu()
    answer = {"ends": ends}
    seed, other_seed = (int(s) for s in inputs["seeds"])
    for i, noise in enumerate(inputs["noise"].tolist()):
        codes, decodings = _interpolate(noisy_interpolation, model, inputs, noise, seed)
        answer[f"codes_{i}"] = codes
        answer[f"decodings_{i}"] = decodings
        answer[f"logits_{i}"] = _decode(model, codes) if codes.ndim == 2 else codes
    noise = float(inputs["noise"][0])
    answer["codes_other_seed"] = _interpolate(
        noisy_interpolation, model, inputs, noise, other_seed
    )[0]
    return answer


# ex-6.2
# -----------------------------------------------------------------------------------

JUDGED_DIGITS = 500  # binary test digits the judge draws for ex-6.2
MAX_LATENT = 256  # the judge draws ε for up to this many latent dimensions
FORWARD_DIGITS, FORWARD_DRAWS = 16, 16  # forward's spread: images, and draws of each
CONTROLLED_SIGMA = 0.1  # the σ the judge makes `encode` give to test forward's sampling
MIN_KL = 1.0  # nats per image: below it the codes carry (almost) nothing (collapse)
# The judge's own baseline: the chapter's MLP VAE (hidden 400) trained on the first 400
# training digits for one epoch of batches of 32, with the course's −ELBO: a VAE that
# has only begun to learn (about 270 nats; untrained VAEs score 470 to 550, a trained
# one far less).
BASELINE_DIGITS, BASELINE_EPOCHS, BASELINE_BATCH, BASELINE_HIDDEN = 400, 1, 32, 400


def draw_vae_inputs(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Binary test digits, ε for the −ELBO, and a seed for forward's own draws."""
    from ..data import load_mnist

    test = load_mnist("test")
    chosen = torch.randperm(len(test.images), generator=generator)[:JUDGED_DIGITS]
    images = binarize(test.images[chosen], generator)
    return {
        "images": images,
        "epsilon": torch.randn(len(images), MAX_LATENT, generator=generator),
        "reference_epsilon": torch.randn(
            FORWARD_DRAWS, FORWARD_DIGITS, MAX_LATENT, generator=generator
        ),
        "seed": torch.randint(1, 2**31 - 1, (1,), generator=generator),
    }


@functools.lru_cache(maxsize=4)
def mlp_baseline(latent: int) -> torch.nn.Module:
    """The chapter's MLP VAE, trained by the judge itself (once per process and latent
    size)."""
    from ..data import load_mnist
    from ..models.vae import VAE
    from ..training import fit

    train = load_mnist("train", limit=BASELINE_DIGITS)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = VAE(latent=latent, hidden=BASELINE_HIDDEN)
        fit(
            model,
            train.images,
            epochs=BASELINE_EPOCHS,
            batch_size=BASELINE_BATCH,
            loss_fn=elbo_loss(seed=0),
            progress=False,
        )
    return model.eval()


def negative_elbo_of(mu, logvar, logits, images) -> torch.Tensor:
    """−ELBO per image, from one draw of z: summed Bernoulli NLL plus the closed-form
    KL."""
    return bernoulli_nll(logits, images) + kl_to_standard_normal(mu, logvar)


@torch.no_grad()
def _posterior_and_decoding(model, images, epsilon):
    device = _model_device(model)
    with eval_mode(model):
        mu, logvar = model.encode(images.to(device))
        z = mu + torch.exp(0.5 * logvar) * epsilon[:, : mu.shape[1]].to(device)
        logits = model.decode(z)
    return mu.float().cpu(), logvar.float().cpu(), logits.float().cpu()


def baseline_negative_elbo(images, epsilon, latent: int) -> float:
    mu, logvar, logits = _posterior_and_decoding(mlp_baseline(latent), images, epsilon)
    return negative_elbo_of(mu, logvar, logits, images).mean().item()


def _spread(logits: torch.Tensor) -> float:
    """Variance of the pixel probabilities across draws, summed over pixels, mean per
    image."""
    probabilities = torch.sigmoid(logits.double())
    return probabilities.var(dim=0).flatten(start_dim=1).sum(dim=1).mean().item()


def judge_conv_vae(answer, inputs) -> str:
    ex = "ex-6.2"
    images = inputs["images"]
    n = len(images)
    mu = expect_tensor(answer.get("mu"), ex, "mu", shape=(n, None))
    latent = mu.shape[1]
    logvar = expect_tensor(answer.get("logvar"), ex, "logvar", shape=(n, latent))
    logits = expect_tensor(
        answer.get("logits"), ex, "decode(z)", shape=tuple(images.shape)
    )
    expect(
        not (logits.min() >= 0 and logits.max() <= 1),
        ex,
        "the decoder's outputs all lie in [0, 1]: they look like probabilities, not "
        "logits.",
        "drop the final sigmoid: `negative_elbo` applies it inside the binary "
        "cross-entropy with logits.",
    )
    forward = [
        expect_tensor(answer.get(f"forward_{k}"), ex, f"forward's output {k}")
        for k in range(3)
    ]
    first_mu, first_logvar = mu[:FORWARD_DIGITS], logvar[:FORWARD_DIGITS]
    forward_mu, forward_logvar = forward[1], forward[2]
    train_mu = expect_tensor(answer.get("train_mu"), ex, "mu in training mode")
    train_logvar = expect_tensor(answer.get("train_logvar"), ex, "logvar")
    order_swapped = (
        forward_mu.shape == first_logvar.shape
        and torch.allclose(forward_mu, train_logvar, atol=1e-4, rtol=1e-3)
        and torch.allclose(forward_logvar, train_mu, atol=1e-4, rtol=1e-3)
    )
    expect(
        not order_swapped,
        ex,
        "`forward` returns `(logits, logvar, mu)`: the course's loss reads the second "
        "value as mu and the third as logvar.",
        "return `(logits, mu, logvar)`, in that order.",
    )
    expect(
        forward_mu.shape == first_mu.shape
        and torch.allclose(forward_mu, train_mu, atol=1e-4, rtol=1e-3)
        and torch.allclose(forward_logvar, train_logvar, atol=1e-4, rtol=1e-3),
        ex,
        "the second and third values `forward` returns are not the `mu` and `logvar` "
        "that `encode` gives the same images.",
        "in `forward`, call `mu, logvar = self.encode(images)` and return "
        "`(logits, mu, logvar)`.",
    )
    own = _spread(expect_tensor(answer.get("forward_draws"), ex, "forward's draws"))
    reference = _spread(expect_tensor(answer.get("reference_draws"), ex, "draws"))
    expect(
        own > 1e-3 * reference and own > 1e-9,
        ex,
        "`forward` gives the same logits every time: it decodes mu itself instead of a "
        "sample from q(z|x).",
        "draw z with `cu.models.vae.reparameterize(mu, logvar)` in `forward`.",
    )
    expect(
        0.5 < own / reference < 2.0,
        ex,
        f"the samples of `forward` vary {own / reference:.2g} times as much as "
        "z = mu + exp(½·logvar)·ε would make them.",
        "σ = exp(½·logvar): logvar is the log of the variance, not of the standard "
        "deviation.",
    )
    if "controlled_draws" in answer:
        controlled = _spread(answer["controlled_draws"]) / _spread(
            answer["controlled_reference"]
        )
        expect(
            0.5 < controlled < 2.0,
            ex,
            f"when `encode` gives σ = {CONTROLLED_SIGMA:g} (logvar = "
            f"{2 * math.log(CONTROLLED_SIGMA):.2f}), the samples of `forward` vary "
            f"{controlled:.3g} times as much as z = mu + σ·ε would make them.",
            "σ = exp(½·logvar): pass `logvar` itself to "
            "`cu.models.vae.reparameterize(mu, logvar)`, not its square nor exp.",
        )
    missing = int(answer.get("parameters_without_gradient", torch.tensor(0)))
    expect(
        missing == 0,
        ex,
        f"{missing} of the model's {int(answer['parameters'])} parameter tensors get "
        "no gradient from the −ELBO of `forward`'s output: training never changes "
        "them.",
        "remove any `.detach()`, `.data` or `torch.no_grad()` from `encode`, `decode` "
        "and `forward`, and use every layer you define.",
    )
    yours = negative_elbo_of(mu, logvar, logits, images).mean().item()
    baseline = baseline_negative_elbo(images, inputs["epsilon"], latent)
    expect(
        yours < baseline,
        ex,
        f"the check measured your model's test −ELBO at {yours:.1f} nats per image, no "
        f"better than the chapter's MLP VAE after a single epoch ({baseline:.1f} nats, "
        "trained by the check itself): your model has not learnt yet.",
        "train `conv_vae` with `cu.training.fit(..., loss_fn=cu.losses.elbo_loss())` "
        "for the epochs the task gives, and check the learning rate.",
    )
    kl = kl_to_standard_normal(mu.double(), logvar.double()).mean().item()
    expect(
        kl > MIN_KL,
        ex,
        f"the KL term of your model is {kl:.3g} nats per image: its codes carry "
        "(almost) no information about the images (posterior collapse).",
        "train with `cu.losses.elbo_loss()`, whose reconstruction term is summed over "
        "the pixels; a mean over pixels makes the KL 784 times too strong.",
    )
    return (
        f"the check's −ELBO of your model on {n} binary test digits: {yours:.1f} nats "
        f"per image (KL {kl:.1f}) < {baseline:.1f} (the MLP VAE after one epoch, "
        f"trained by the check); `forward` samples q(z|x) with the right spread "
        f"({own / reference:.2f} times z = mu + σ·ε's)."
    )


def _controlled_spread(copied, first, train_mu, latent, inputs) -> dict:
    """``forward``'s draws when ``encode`` gives σ = CONTROLLED_SIGMA, and the reference
    draws z = mu + σ·ε: a trained model's own logvar is near 0 on many units, where
    exp(½·logvar²) and exp(½·logvar) agree. Empty if ``forward`` does not call
    ``encode`` (a right forward may compute mu and logvar itself)."""
    called, encode = [], copied.encode
    logvar = torch.full_like(train_mu, 2 * math.log(CONTROLLED_SIGMA))

    def controlled(images):
        called.append(True)
        return encode(images)[0], logvar

    # an instance attribute: forward's `self.encode` finds it
    copied.encode = controlled
    try:
        with torch.random.fork_rng(devices=None), torch.no_grad():
            torch.manual_seed(int(inputs["seed"]))
            draws = torch.stack(
                [copied(first)[0].float().cpu() for _ in range(FORWARD_DRAWS)]
            )
            reference = torch.stack(
                [
                    copied.decode(
                        train_mu + CONTROLLED_SIGMA * e[:, :latent].to(first.device)
                    )
                    .float()
                    .cpu()
                    for e in inputs["reference_epsilon"]
                ]
            )
    finally:
        del copied.encode
    if not called:
        return {}
    return {"controlled_draws": draws, "controlled_reference": reference}


def _missing_gradients(model, first) -> dict:
    """How many of the model's parameter tensors get no gradient from the −ELBO of
    ``forward``'s output (a `.detach()` in encode leaves the encoder untrainable)."""
    import copy

    copied = copy.deepcopy(model).train()
    params = [p for p in copied.parameters() if p.requires_grad]
    with torch.random.fork_rng(devices=None), torch.enable_grad():
        torch.manual_seed(0)
        logits, mu, logvar = copied(first)
        loss = negative_elbo_of(mu, logvar, logits, first).mean()
        grads = torch.autograd.grad(loss, params, allow_unused=True)
    missing = sum(g is None or not bool(g.abs().gt(0).any()) for g in grads)
    return {
        "parameters_without_gradient": torch.tensor(missing),
        "parameters": torch.tensor(len(params)),
    }


@check("ex-6.2", judge=judge_conv_vae, draw_inputs=draw_vae_inputs)
def check_conv_vae(model, *, inputs):
    """ex-6.2: a convolutional VAE with ``encode`` → ``(mu, logvar)``, ``decode`` →
    logits and ``forward`` → ``(logits, mu, logvar)``; hands over its posterior and
    decodings of the judge's digits at the judge's ε, and ``forward``'s outputs and
    spread."""
    import copy

    ex = "ex-6.2"
    expect(
        all(callable(getattr(model, name, None)) for name in ("encode", "decode")),
        ex,
        "`conv_vae` needs `encode` (images → mu, logvar) and `decode` (z → logits).",
        "write both methods, and `forward` returning `(logits, mu, logvar)`.",
    )
    # What the task asks for; a model's structure is easy to dress up, so the judge
    # measures the model and this only catches an honest mix-up (the MLP VAE passed by
    # mistake).
    expect(
        any(
            isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))
            for m in model.modules()
        ),
        ex,
        "`conv_vae` has no convolution layer.",
        "build the encoder from `cu.models.conv.DownBlock`s and the decoder from "
        "`UpBlock`s.",
    )
    images, epsilon = inputs["images"], inputs["epsilon"]
    with eval_mode(model), torch.no_grad():
        encoded = model.encode(images[:2].to(_model_device(model)))
    expect(
        isinstance(encoded, tuple) and len(encoded) == 2,
        ex,
        "`conv_vae.encode(images)` should return two tensors, `(mu, logvar)`.",
        "return the two heads' outputs: `return self.to_mu(h), self.to_logvar(h)`.",
    )
    latent = encoded[0].shape[-1]
    expect(
        latent <= MAX_LATENT,
        ex,
        f"the latent space has {latent} dimensions; the check handles up to "
        f"{MAX_LATENT}.",
        "use the chapter's `LATENT`.",
    )
    mu, logvar, logits = _posterior_and_decoding(model, images, epsilon)
    answer = {"mu": mu, "logvar": logvar, "logits": logits}
    # forward, on a copy in training mode (as `fit` calls it), under the judge's seed
    copied = copy.deepcopy(model).train()
    first = images[:FORWARD_DIGITS].to(_model_device(model))
    with torch.random.fork_rng(devices=None), torch.no_grad():
        torch.manual_seed(int(inputs["seed"]))
        output = copied(first)
        expect(
            isinstance(output, tuple) and len(output) == 3,
            ex,
            "`conv_vae(images)` should return three tensors, `(logits, mu, logvar)`.",
            "return the decoder's logits together with the encoder's mu and logvar.",
        )
        draws = torch.stack(
            [copied(first)[0].float().cpu() for _ in range(FORWARD_DRAWS)]
        )
        train_mu, train_logvar = copied.encode(first)
        sigma = torch.exp(0.5 * train_logvar)
        reference = torch.stack(
            [
                copied.decode(train_mu + sigma * e[:, :latent].to(first.device))
                .float()
                .cpu()
                for e in inputs["reference_epsilon"]
            ]
        )
    answer |= _controlled_spread(copied, first, train_mu, latent, inputs)
    answer |= _missing_gradients(model, first)
    answer |= {f"forward_{k}": output[k].float().cpu() for k in range(3)}
    answer |= {
        "forward_draws": draws,
        "reference_draws": reference,
        "train_mu": train_mu.float().cpu(),
        "train_logvar": train_logvar.float().cpu(),
    }
    return answer
