"""Checks for chapter 7, the adversarial autoencoder.

ex-7.1 hands over what the student's ``sample_square`` draws under two seeds the judge
picks, and the codes and reconstructions of the AAE for test digits the judge draws. The
judge tests the draws against the square [-4, 4]² (range, Kolmogorov-Smirnov per
coordinate, MMD of the pairs), asks the two seeds for different points, and measures the
codes' MMD² to the square against two references it computes itself: a plain autoencoder
it trains, and samples of N(0, I).

Why [-4, 4]² and not [-2, 2]²: the narrower square has a standard deviation of 1.15 per
coordinate, so close to N(0, I) that an AAE trained with N(0, I) gave codes as close to
it as one trained with the square (MMD² 0.047 against 0.048 at the tiny scale). The wide
square's standard deviation is 2.31. Measured by this judge at the tiny scale (1,000
digits, four draws of its inputs), the codes' MMD² to the square is 0.009-0.010 for the
solution (24 epochs), 0.013-0.015 for an AAE written differently (hidden 128, batches of
64, 30 epochs), 0.055-0.061 for the solution's AAE trained with N(0, I), 0.030-0.032 for
the lesson's `aae` (8 epochs, N(0, I)), and 0.12 for samples of N(0, I). At the book
scale (4,000 digits, 20 epochs, one draw): 0.013 for the square-trained AAE, 0.090 for
the N(0, I)-trained one.
"""

from __future__ import annotations

import functools

import torch
from scipy.stats import kstest

from ..distances import mmd2
from ..training import apply_in_batches
from . import expect, expect_tensor
from .protocol import check

HALF_SIDE = 4.0  # the exercise's prior: uniform on the square [-4, 4]²
SAMPLES = 4_000
# a right sampler stays near 0.02 at 4,000 samples; 10 % off in scale: 0.05
MAX_KS = 0.04
# 2,000 right samples: |MMD²| < 4e-4; both coordinates equal: 0.08
MAX_SAMPLER_MMD2 = 1e-3
# codes must be this much closer to the square than a plain AE's
MAX_SHARE_OF_PLAIN = 1 / 3
# ... and than N(0, I) itself, MMD² 0.12: the bar 0.022 sits between the right answers
# (at most 0.015 measured) and the lesson's `aae` (at least 0.030); see the docstring
MAX_SHARE_OF_GAUSSIAN = 0.18
# The bars above were measured at these scales. At the full scale on the real MNIST
# (60,000 digits, 50 epochs) the exercise's recipe itself fails: the discriminator wins
# (accuracy 1.00) and the solution's codes came out no closer to the square than the
# plain autoencoder's (MMD² 0.19 against 0.21; bench/results.md), so there the check
# cannot tell a right answer from a wrong one, and says so instead of judging.
VALIDATED_AT = ("tiny", "book")


def square_reference(n: int = 2_000) -> torch.Tensor:
    """Samples of the uniform distribution on [-4, 4]², always the same ones."""
    generator = torch.Generator().manual_seed(0)
    return (2 * torch.rand(n, 2, generator=generator) - 1) * HALF_SIDE


JUDGED_DIGITS = 500  # test digits the judge draws
PLAIN_DIGITS, PLAIN_EPOCHS = 1_000, 8  # the judge's plain autoencoder: the tiny budget


def draw_inputs(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Test digits, and two seeds for the sampler's draws."""
    from ..data import load_mnist

    test = load_mnist("test")
    chosen = torch.randperm(len(test.images), generator=generator)[:JUDGED_DIGITS]
    seeds = torch.randint(1, 2**31 - 1, (2,), generator=generator)
    return {"images": test.images[chosen], "seeds": seeds}


@functools.lru_cache(maxsize=1)
def plain_codes_model() -> torch.nn.Module:
    """The chapter's autoencoder without the adversary, trained by the judge itself."""
    from ..data import load_mnist
    from ..models.aae import AdversarialAutoencoder
    from ..training import fit

    train = load_mnist("train", limit=PLAIN_DIGITS)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = AdversarialAutoencoder()
        fit(model, train.images, epochs=PLAIN_EPOCHS, batch_size=100, progress=False)
    return model.eval()


def _check_samples(ex: str, samples: torch.Tensor) -> None:
    low, high = samples.min().item(), samples.max().item()
    expect(
        low >= -HALF_SIDE - 1e-6 and high <= HALF_SIDE + 1e-6,
        ex,
        f"`sample_square` gives values from {low:.2f} to {high:.2f}, outside the "
        f"square [-{HALF_SIDE:g}, {HALF_SIDE:g}]², which has hard edges.",
        "a uniform sample never leaves its square: scale and shift `torch.rand`, "
        "which is uniform on [0, 1), so that 0 goes to -4 and 1 to 4.",
    )
    for column in range(2):
        values = samples[:, column].double().numpy()
        statistic = kstest(
            values, "uniform", args=(-HALF_SIDE, 2 * HALF_SIDE)
        ).statistic
        expect(
            statistic < MAX_KS,
            ex,
            f"coordinate {column + 1} of your samples is not uniform on "
            f"[-{HALF_SIDE:g}, {HALF_SIDE:g}]: its Kolmogorov-Smirnov distance to "
            f"that uniform distribution is {statistic:.3f} (a right sampler: about "
            f"0.02). Your values run from {low:.2f} to {high:.2f} with standard "
            f"deviation {values.std():.3f}; the square's is "
            f"{2 * HALF_SIDE / 12**0.5:.3f}.",
            "`torch.rand(n, 2)` is uniform on [0, 1)²; map it onto [-4, 4]² with a "
            "scale and a shift, and check both.",
        )
    distance = mmd2(samples[:2_000], square_reference())
    expect(
        distance < MAX_SAMPLER_MMD2,
        ex,
        "each coordinate looks uniform, but the pairs do not fill the square: the "
        f"MMD² between your samples and the square's is {distance:.4f} (a right "
        f"sampler: below {MAX_SAMPLER_MMD2:g}).",
        "draw the two coordinates independently, e.g. `torch.rand(n, 2)`, "
        "not one number used twice.",
    )


def _not_validated_at(scale: str) -> str | None:
    """Why this check does not judge at ``scale``, or None where it does."""
    if scale in VALIDATED_AT:
        return None
    return (
        f"its bars were measured at the {' and '.join(VALIDATED_AT)} scales, not at "
        f"the {scale} scale, where the exercise's recipe itself was measured to fail "
        "(the discriminator wins and the codes stay as far from the square as a plain "
        "autoencoder's). Run the chapter at the book scale to have it checked."
    )


def judge_square_prior(answer, inputs) -> str:
    ex = "ex-7.1"
    images = inputs["images"]
    draws = [
        expect_tensor(
            answer.get(f"samples_{i}"), ex, f"sample_square({SAMPLES})", (SAMPLES, 2)
        )
        for i in range(2)
    ]
    for samples in draws:
        _check_samples(ex, samples)
    expect(
        not torch.allclose(draws[0], draws[1]),
        ex,
        "`sample_square` returns the same points at every call: the discriminator "
        "would see one fixed set of prior samples, not the square.",
        "draw afresh at every call from PyTorch's global generator (`torch.rand`), "
        "without reseeding it inside the function.",
    )
    codes = expect_tensor(answer.get("codes"), ex, "codes", shape=(len(images), 2))
    reconstructions = expect_tensor(
        answer.get("reconstructions"), ex, "reconstructions", shape=tuple(images.shape)
    )
    from ..metrics import mse

    reconstruction = mse(reconstructions, images)
    average_digit = float(images.var(dim=0, unbiased=False).mean())
    expect(
        reconstruction < average_digit,
        ex,
        f"`aae_square` reconstructs the test digits worse (MSE {reconstruction:.4f}) "
        f"than drawing the average digit (MSE {average_digit:.4f}): it is no "
        "autoencoder yet.",
        "train it with `train_aae`, which runs the reconstruction phase on every "
        "batch.",
    )
    reference = square_reference()
    yours = mmd2(codes, reference)
    plain = plain_codes_model()
    plains = mmd2(apply_in_batches(plain.encode, images, module=plain), reference)
    expect(
        yours < MAX_SHARE_OF_PLAIN * plains,
        ex,
        f"your codes are not much closer to the square than a plain autoencoder's "
        f"(trained by the check): MMD² {yours:.4f} against {plains:.4f} (it should be "
        f"below {MAX_SHARE_OF_PLAIN:.2f} x {plains:.4f} = "
        f"{MAX_SHARE_OF_PLAIN * plains:.4f}).",
        "pass `prior=sample_square` to `train_aae`, and train for the epochs given.",
    )
    gaussian = mmd2(
        torch.randn(2_000, 2, generator=torch.Generator().manual_seed(1)), reference
    )
    expect(
        yours < MAX_SHARE_OF_GAUSSIAN * gaussian,
        ex,
        "your codes are not much closer to the square [-4, 4]² than samples of "
        f"N(0, I) are: MMD² {yours:.4f} against {gaussian:.4f} for N(0, I) (it should "
        f"be below {MAX_SHARE_OF_GAUSSIAN:g} x {gaussian:.4f} = "
        f"{MAX_SHARE_OF_GAUSSIAN * gaussian:.4f}). Your codes' standard deviations "
        f"are {codes[:, 0].std():.2f} and {codes[:, 1].std():.2f}; the square's is "
        f"{2 * HALF_SIDE / 12**0.5:.2f}.",
        "train a new `aae_square` with `prior=sample_square`, for `SQUARE_EPOCHS` "
        "epochs: the lesson's `aae` was trained with N(0, I), whose codes are too "
        "narrow.",
    )
    return (
        f"sampler uniform on [-4, 4]² (KS and MMD), fresh at each call; codes of the "
        f"check's digits: MMD² to the square {yours:.4f}, against {plains:.4f} for a "
        f"plain autoencoder and {gaussian:.4f} for samples of N(0, I)."
    )


@check(
    "ex-7.1",
    judge=judge_square_prior,
    draw_inputs=draw_inputs,
    unavailable=_not_validated_at,
)
def check_square_prior(sample_square, model, *, inputs):
    """ex-7.1: ``sample_square(n)`` samples the uniform square [-4, 4]², and ``model``
    is the adversarial autoencoder trained with it. Hands over two draws of the sampler
    (under the judge's seeds) and the model's codes and reconstructions of the judge's
    digits."""
    ex = "ex-7.1"
    expect(
        callable(sample_square),
        ex,
        "`sample_square` should be a function, but it is "
        f"{type(sample_square).__name__}.",
        "define `def sample_square(n): ...` returning an n x 2 tensor.",
    )
    expect(
        hasattr(model, "encode") and hasattr(model, "decode"),
        ex,
        "`aae_square` should be the adversarial autoencoder you trained (it has no "
        "`encode`).",
        "create it with `cu.models.aae.AdversarialAutoencoder()` and train it with "
        "`cu.models.aae.train_aae(..., sample_square, ...)`.",
    )
    answer = {}
    for i, seed in enumerate(inputs["seeds"].tolist()):
        with torch.random.fork_rng():  # leave the notebook's random state as it was
            torch.manual_seed(seed)
            samples = sample_square(SAMPLES)
        answer[f"samples_{i}"] = expect_tensor(
            samples, ex, f"sample_square({SAMPLES})", (SAMPLES, 2)
        )
    codes = apply_in_batches(model.encode, inputs["images"], module=model)
    answer["codes"] = codes
    answer["reconstructions"] = apply_in_batches(model, inputs["images"], module=model)
    return answer
