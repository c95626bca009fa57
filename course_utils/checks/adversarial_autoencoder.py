"""Checks for chapter 7, the adversarial autoencoder."""

from __future__ import annotations

import torch
from scipy.stats import kstest

from ..distances import mmd2
from ..training import apply_in_batches
from . import expect, expect_tensor, passed, reconstruction_and_average_digit

HALF_SIDE = 2.0  # the exercise's prior: uniform on the square [-2, 2]²
SAMPLES = 4_000
MAX_KS = (
    0.04  # a right sampler stays near 0.02 at 4,000 samples; 10 % off in scale: 0.05
)
MAX_SAMPLER_MMD2 = (
    1e-3  # 2,000 right samples: |MMD²| < 4e-4; both coordinates equal: 0.07
)
MAX_SHARE_OF_PLAIN = (
    1 / 3
)  # codes must be this much closer to the square than a plain AE's


def square_reference(n: int = 2_000) -> torch.Tensor:
    """Samples of the uniform distribution on [-2, 2]², always the same ones."""
    generator = torch.Generator().manual_seed(0)
    return (2 * torch.rand(n, 2, generator=generator) - 1) * HALF_SIDE


def _check_sampler(ex: str, sample_square) -> torch.Tensor:
    expect(
        callable(sample_square),
        ex,
        f"`sample_square` should be a function, but it is {type(sample_square).__name__}.",
        "define `def sample_square(n): ...` returning an n x 2 tensor.",
    )
    with torch.random.fork_rng():  # leave the notebook's random state as it was
        torch.manual_seed(0)
        samples = sample_square(SAMPLES)
    samples = expect_tensor(samples, ex, f"sample_square({SAMPLES})", (SAMPLES, 2))
    low, high = samples.min().item(), samples.max().item()
    expect(
        low >= -HALF_SIDE - 1e-6 and high <= HALF_SIDE + 1e-6,
        ex,
        f"`sample_square` gives values from {low:.2f} to {high:.2f}, outside the square "
        f"[-{HALF_SIDE:g}, {HALF_SIDE:g}]², which has hard edges.",
        "a uniform sample never leaves its square: scale and shift `torch.rand`, "
        "which is uniform on [0, 1), rather than using `torch.randn`.",
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
            f"[-{HALF_SIDE:g}, {HALF_SIDE:g}]: its Kolmogorov-Smirnov distance to that "
            f"uniform distribution is {statistic:.3f} (a right sampler: about 0.02). Your "
            f"values run from {low:.2f} to {high:.2f} with standard deviation "
            f"{values.std():.3f}; the square's is {2 * HALF_SIDE / 12**0.5:.3f}.",
            "`torch.rand(n, 2)` is uniform on [0, 1)²; map it onto [-2, 2]² with a scale "
            "and a shift, and check both.",
        )
    distance = mmd2(samples[:2_000], square_reference())
    expect(
        distance < MAX_SAMPLER_MMD2,
        ex,
        f"each coordinate looks uniform, but the pairs do not fill the square: the MMD² "
        f"between your samples and the square's is {distance:.4f} (a right sampler: "
        f"below {MAX_SAMPLER_MMD2:g}).",
        "draw the two coordinates independently, e.g. `torch.rand(n, 2)`, "
        "not one number used twice.",
    )
    return samples


def check_square_prior(
    sample_square,
    model: torch.nn.Module,
    codes,
    images: torch.Tensor,
    plain: torch.nn.Module,
) -> None:
    """ex-7.1: ``sample_square`` samples the uniform square [-2, 2]², and the codes of
    ``model`` (an adversarial autoencoder trained with it) match it far better than the
    codes of the ``plain`` autoencoder do."""
    ex = "ex-7.1"
    _check_sampler(ex, sample_square)
    codes = expect_tensor(codes, ex, "codes_square", shape=(len(images), 2))
    expect(
        hasattr(model, "encode"),
        ex,
        "`aae_square` should be the adversarial autoencoder you trained (it has no "
        "`encode`).",
        "create it with `cu.models.aae.AdversarialAutoencoder()` and train it with "
        "`cu.models.aae.train_aae(..., prior=sample_square)`.",
    )
    own = apply_in_batches(model.encode, images, module=model)
    expect(
        own.shape == codes.shape and torch.allclose(own, codes, atol=1e-4, rtol=1e-3),
        ex,
        "`codes_square` are not the codes that `aae_square.encode` gives for the test "
        "images.",
        "compute them after training with "
        "`cu.training.apply_in_batches(aae_square.encode, test.images, "
        "module=aae_square)`.",
    )
    reconstruction, average_digit = reconstruction_and_average_digit(model, images)
    expect(
        reconstruction < average_digit,
        ex,
        f"`aae_square` reconstructs the test digits worse (MSE {reconstruction:.4f}) than "
        f"drawing the average digit (MSE {average_digit:.4f}): it is no autoencoder yet.",
        "train it with `train_aae`, which runs the reconstruction phase on every batch.",
    )
    reference = square_reference()
    yours = mmd2(own, reference)
    plains = mmd2(apply_in_batches(plain.encode, images, module=plain), reference)
    expect(
        yours < MAX_SHARE_OF_PLAIN * plains,
        ex,
        f"your codes are not much closer to the square than a plain autoencoder's: "
        f"MMD² {yours:.4f} against {plains:.4f} (it should be below "
        f"{MAX_SHARE_OF_PLAIN:.2f} x {plains:.4f} = {MAX_SHARE_OF_PLAIN * plains:.4f}).",
        "pass `prior=sample_square` to `train_aae` (not the Gaussian of the lesson), and "
        "train for the epochs given.",
    )
    passed(
        ex,
        f"sampler uniform on [-2, 2]² (KS and MMD), codes recomputed from your model, "
        f"MMD² to the square {yours:.4f} vs {plains:.4f} for the plain autoencoder.",
    )
