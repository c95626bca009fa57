"""The MMD estimator: near zero for one distribution, clearly positive for shifted ones,
symmetric, and equal to the definition written out as a double loop."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.distances import BANDWIDTHS, mmd2


def normal(n: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)) + shift


def kernel(a, b) -> float:
    squared = sum((u - v) ** 2 for u, v in zip(a, b))
    return sum(math.exp(-squared / (2 * s * s)) for s in BANDWIDTHS) / len(BANDWIDTHS)


def double_loop_mmd2(x, y) -> float:
    """The unbiased estimate, term by term, from the definition (Gretton et al., 2012)."""
    x, y = x.tolist(), y.tolist()
    m, n = len(x), len(y)
    xx = sum(kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(kernel(y[i], y[j]) for i in range(n) for j in range(n) if i != j)
    xy = sum(kernel(a, b) for a in x for b in y)
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)


def test_equals_the_double_loop():
    x, y = normal(23, 0), normal(17, 1, shift=0.7)
    assert mmd2(x, y) == pytest.approx(double_loop_mmd2(x, y), rel=1e-9, abs=1e-12)


def test_symmetric():
    x, y = normal(300, 0), normal(200, 1, shift=0.3)
    assert mmd2(x, y) == pytest.approx(mmd2(y, x), rel=1e-12)


def test_near_zero_for_one_distribution_and_clearly_positive_for_shifted_ones():
    same = [mmd2(normal(500, seed), normal(500, seed + 100)) for seed in range(5)]
    noise = max(abs(value) for value in same)
    assert noise < 2e-3
    shifted = mmd2(normal(500, 0), normal(500, 100, shift=0.5))
    assert shifted > 10 * noise
    further = mmd2(normal(500, 0), normal(500, 100, shift=1.5))
    assert further > shifted


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="x must be"):
        mmd2(torch.zeros(5), normal(5, 0))
    with pytest.raises(ValueError, match="y must be"):
        mmd2(normal(5, 0), [[0.0, 0.0]])
    with pytest.raises(ValueError, match="columns"):
        mmd2(normal(5, 0), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="bandwidths"):
        mmd2(normal(5, 0), normal(5, 1), bandwidths=(1.0, 0.0))
