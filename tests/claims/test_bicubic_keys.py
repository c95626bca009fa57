"""Chapter 5's claim: PyTorch's bicubic mode is Keys' cubic convolution with a = -0.75,
rebuilt here from Keys' formula with NumPy (half-pixel centres, edge pixels repeated)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.baselines import upsample


def _keys(t, a):
    t = np.abs(t)
    return np.where(
        t <= 1,
        (a + 2) * t**3 - (a + 3) * t**2 + 1,
        np.where(t < 2, a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a, 0.0),
    )


def _keys_matrix(size, factor, a):
    """Rows: output pixels; columns: input pixels (indices clamped at the edges)."""
    matrix = np.zeros((size * factor, size))
    for out in range(size * factor):
        centre = (out + 0.5) / factor - 0.5
        base = int(np.floor(centre))
        for tap in range(base - 1, base + 3):
            matrix[out, min(max(tap, 0), size - 1)] += _keys(centre - tap, a)
    return matrix


@pytest.mark.parametrize("factor", [2, 4])
def test_pytorch_bicubic_is_keys_with_a_minus_0_75(factor):
    image = np.random.default_rng(0).random((7, 7))
    rows = _keys_matrix(7, factor, -0.75)
    expected = rows @ image @ rows.T
    got = F.interpolate(
        torch.from_numpy(image)[None, None],
        scale_factor=factor,
        mode="bicubic",
        align_corners=False,
    )[0, 0].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-10)
    # a = -0.5, the other common choice, is not what PyTorch does
    other = _keys_matrix(7, factor, -0.5)
    assert np.abs(other @ image @ other.T - got).max() > 1e-3
    # the course's baseline is the same, clipped to [0, 1]
    np.testing.assert_allclose(
        upsample(torch.from_numpy(image)[None, None], factor)[0, 0].numpy(),
        np.clip(expected, 0, 1),
        atol=1e-10,
    )
