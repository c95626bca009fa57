"""Chapter 2's claim about output_padding: it selects the output size, and the extra row is
computed by the kernel (a row the padding would have cropped) while output_padding <= padding;
only past the full output (output_padding > padding) is it empty. Checked against a transposed
convolution computed by hand with NumPy (each input pixel spreads a copy of the kernel)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F


def _full_transposed(x, kernel, stride):
    """The uncropped transposed convolution, (n - 1) * stride + k rows, by hand."""
    n, k = len(x), len(kernel)
    full = np.zeros(((n - 1) * stride + k,) * 2)
    for i in range(n):
        for j in range(n):
            full[i * stride : i * stride + k, j * stride : j * stride + k] += (
                x[i, j] * kernel
            )
    return full


@pytest.mark.parametrize("padding, output_padding", [(1, 1), (2, 1), (1, 0), (0, 1)])
def test_output_padding_selects_a_size_and_computes_its_rows(padding, output_padding):
    rng = np.random.default_rng(0)
    x, kernel = rng.normal(size=(4, 4)), rng.normal(size=(3, 3))
    full = _full_transposed(x, kernel, 2)
    size = len(full) - 2 * padding + output_padding
    expected = np.zeros((size, size))
    kept = full[padding:, padding:][
        :size, :size
    ]  # crop p at the top, p - a at the bottom
    expected[: len(kept), : len(kept)] = kept  # rows past the full output stay empty
    got = F.conv_transpose2d(
        torch.from_numpy(x)[None, None],
        torch.from_numpy(kernel)[None, None],
        stride=2,
        padding=padding,
        output_padding=output_padding,
    )[0, 0].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)
    if 0 < output_padding <= padding:  # the extra row is computed, not zeros
        assert np.abs(got[-1]).sum() > 0
    if output_padding > padding:
        assert np.abs(got[-1]).sum() == 0
