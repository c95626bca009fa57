"""Image-quality metrics: the peak signal-to-noise ratio (PSNR), and a plain-text table of results."""

from __future__ import annotations

from collections.abc import Mapping

import torch


def psnr_per_image(
    prediction: torch.Tensor, target: torch.Tensor, data_range: float = 1.0
) -> torch.Tensor:
    """PSNR in dB of each image: ``10 log10(data_range² / MSE)``, one value per leading index.

    The first dimension indexes images (``N x C x H x W`` or ``N x H x W``); the mean squared error
    is taken over all other dimensions. Identical images give ``inf``.
    """
    if prediction.shape != target.shape:
        raise ValueError(
            f"prediction and target must have the same shape, got "
            f"{tuple(prediction.shape)} and {tuple(target.shape)}"
        )
    if prediction.ndim < 2:
        raise ValueError(
            f"prediction must be a batch of images N x ..., got shape {tuple(prediction.shape)}"
        )
    if data_range <= 0:
        raise ValueError(f"data_range must be positive, got {data_range!r}")
    error = (
        prediction.detach().double() - target.detach().double().to(prediction.device)
    ) ** 2
    mse = error.flatten(start_dim=1).mean(dim=1).cpu()
    return 10 * torch.log10(data_range**2 / mse)  # mse == 0 gives inf, as it should


def psnr(
    prediction: torch.Tensor, target: torch.Tensor, data_range: float = 1.0
) -> float:
    """Mean PSNR in dB over a batch of images, computed per image and then averaged.

    Averaging per-image PSNRs is the usual way results are reported. It is not the PSNR of the
    batch's mean squared error: dB are a logarithm, so a few nearly perfect images raise the mean.
    Identical images give ``inf``.
    """
    return float(psnr_per_image(prediction, target, data_range).mean())


def _header(column: str) -> list[str]:
    """A column name longer than 10 characters on two lines, cut at its most central space."""
    spaces = [i for i, char in enumerate(column) if char == " "]
    if len(column) <= 10 or not spaces:
        return ["", column]
    cut = min(spaces, key=lambda i: abs(2 * i - len(column)))
    return [column[:cut], column[cut + 1 :]]


def format_table(rows: Mapping[str, Mapping[str, float]], unit: str = "dB") -> str:
    """A plain-text table: one line per row name, one column per inner key, numbers to 2 decimals.

    ``format_table({"s&p 0.2": {"noisy": 10.2, "median": 18.3}})`` gives a header and one line.
    Long column names take two header lines, so that the table stays narrow enough for the page.
    """
    columns = list(dict.fromkeys(column for row in rows.values() for column in row))
    headers = [_header(column) for column in columns]
    first = max([len(name) for name in rows] + [len(unit)])
    widths = [max(len(header[0]), len(header[1]), 6) for header in headers]
    lines = [
        "  ".join(
            [label.ljust(first), *(h[i].rjust(w) for h, w in zip(headers, widths))]
        )
        for i, label in enumerate(["", unit])
        if i == 1 or any(h[0] for h in headers)
    ]
    for name, row in rows.items():
        cells = [
            (f"{row[c]:.2f}" if c in row else "–").rjust(w)
            for c, w in zip(columns, widths)
        ]
        lines.append("  ".join([name.ljust(first), *cells]))
    return "\n".join(line.rstrip() for line in lines)
