"""Shared figures: image grids, labelled image rows, loss curves, 2-D latent scatters.

Every function draws into ``ax`` (or a new figure) and returns nothing: a returned
object would be printed as a repr at the end of a notebook cell.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import torch
from torchvision.utils import make_grid

from .training import History
from .validation import image_batch, satisfies, validated


def _is_2d_codes(codes) -> bool:
    shape = getattr(codes, "shape", None)
    return shape is not None and len(shape) == 2 and shape[1] == 2


codes_2d = satisfies(_is_2d_codes, "a tensor or array of shape N x 2")


def _grid(images: torch.Tensor, nrow: int):
    images = images.detach().float().cpu().clamp(0, 1)
    return (
        make_grid(images, nrow=nrow, padding=2, pad_value=1.0).permute(1, 2, 0).numpy()
    )


@validated(images=image_batch)
def show_images(
    images: torch.Tensor, nrow: int = 10, title: str | None = None, ax=None
):
    """Show a batch of images (``N x C x H x W`` in [0, 1]) as one grid."""
    if ax is None:
        rows = -(-len(images) // nrow)
        _, ax = plt.subplots(figsize=(min(nrow, len(images)) * 0.9, rows * 0.9 + 0.4))
    grid = _grid(images, nrow)
    ax.imshow(
        grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1
    )
    ax.set_axis_off()
    if title:
        ax.set_title(title)


def show_rows(
    rows: Mapping[str, torch.Tensor], n: int = 10, title: str | None = None
) -> None:
    """One labelled row of ``n`` images per entry, e.g.
    ``{"noisy": x, "denoised": y, "clean": z}``.

    Returns nothing on purpose: a returned figure would be drawn twice at the end of a
    notebook cell.
    """
    fig, axes = plt.subplots(
        len(rows), 1, figsize=(n * 0.9 + 1.2, len(rows) * 1.0 + 0.3), squeeze=False
    )
    for ax, (label, images) in zip(axes[:, 0], rows.items()):
        show_images(images[:n], nrow=n, ax=ax)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    fig.tight_layout()


def show_reconstructions(
    originals: torch.Tensor,
    reconstructions: torch.Tensor,
    n: int = 10,
    title: str | None = None,
) -> None:
    """Originals in the top row, their reconstructions below."""
    show_rows(
        {"original": originals, "reconstruction": reconstructions}, n=n, title=title
    )


def plot_losses(
    histories: History | Mapping[str, History],
    ax=None,
    log: bool = True,
    title: str | None = None,
):
    """Train (dashed) and test (solid) loss per epoch, of one or several histories."""
    if isinstance(histories, History):
        histories = {"": histories}
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for index, (name, history) in enumerate(histories.items()):
        color = f"C{index}"
        epochs = range(1, len(history.train_loss) + 1)
        label = f"{name} " if name else ""
        # a single epoch is a point, not a line: mark it so that it shows
        marker = "o" if len(history.train_loss) == 1 else None
        style = {"color": color, "marker": marker}
        ax.plot(epochs, history.train_loss, "--", label=f"{label}train", **style)
        if history.test_loss:
            ax.plot(epochs, history.test_loss, "-", label=f"{label}test", **style)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)


@validated(codes=codes_2d)
def plot_latent_2d(
    codes: torch.Tensor, labels: torch.Tensor, ax=None, title: str | None = None
):
    """Scatter 2-D codes, one colour per class label, with a legend."""
    codes = torch.as_tensor(codes).detach().cpu().numpy()
    labels = torch.as_tensor(labels).cpu().numpy()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    for digit in sorted(set(labels.tolist())):
        chosen = labels == digit
        ax.scatter(
            codes[chosen, 0],
            codes[chosen, 1],
            s=4,
            alpha=0.6,
            color=plt.cm.tab10(int(digit) % 10),
            label=str(digit),
        )
    ax.legend(markerscale=3, fontsize="small", loc="best", ncol=2, title="label")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
