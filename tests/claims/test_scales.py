"""The book's scale does not depend on where MNIST came from.

An online user's ``torchvision`` download holds 60,000 + 10,000 digits, the offline sample
4,000 + 1,000. ``bench/mnist_standin.py`` writes a full-size stand-in in torchvision's raw file
layout, so the online path can be exercised here without a network.

What ``test_every_chapter_loads_the_same_images_online_and_offline`` proves: it runs
each chapter's top-level statements that set sizes (every assignment that calls ``by_scale``)
and that load MNIST (every assignment that calls ``load_mnist``), in source order, once against
the stand-in (as an online user) and once offline, and compares what ``load_mnist`` returned:
the sizes, fixed numbers both times, and the pixels (the stand-in begins with the sample).
It does not run the training cells: that they train on the loaded images (and not on
something bigger) is read from the code, not executed.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import torch
from helpers import BOOK, ROOT

import course_utils.data as data

sys.path.insert(0, str(ROOT / "bench"))
from mnist_standin import SIZES, write_standin  # noqa: E402

CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.py"))
LOAD_MNIST = data.load_mnist


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist-standin")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_OFFLINE", "1")  # the sample it is built from
        write_standin(root)
    return root


def test_torchvision_reads_the_standin_without_a_download(standin, monkeypatch):
    import torchvision

    def no_download(*args, **kwargs):
        raise AssertionError("torchvision tried to download")

    monkeypatch.setattr(
        torchvision.datasets.mnist, "download_and_extract_archive", no_download
    )
    train = torchvision.datasets.MNIST(str(standin), train=True, download=True)
    test = torchvision.datasets.MNIST(str(standin), train=False, download=True)
    assert (
        (len(train), len(test)) == (SIZES["train"], SIZES["t10k"]) == (60_000, 10_000)
    )
    # the first copy is the offline sample itself, in the same order
    for split, dataset in [("train", train), ("test", test)]:
        images, labels = data.offline_mnist_arrays(split)
        assert torch.equal(dataset.data[: len(images)], images[:, 0])
        assert torch.equal(dataset.targets[: len(labels)], labels)
    # the other training copies are the same digits moved by a pixel or two, not new ones
    images = data.offline_mnist_arrays("train")[0][:, 0]
    copy = train.data[len(images) : 2 * len(images)]
    assert not torch.equal(copy, images)
    assert torch.equal(copy.sum(dim=(1, 2)) > 0, images.sum(dim=(1, 2)) > 0)
    assert torch.equal(
        train.targets[len(images) : 2 * len(images)], train.targets[: len(images)]
    )
    # and the test digits are repeated unmoved (what a check draws stays MNIST-like)
    first = len(data.offline_mnist_arrays("test")[1])
    assert torch.equal(test.data[first : 2 * first], test.data[:first])
    assert torch.equal(test.data[-first:], test.data[:first])


def _called_name(node: ast.AST) -> str | None:
    """The name a call calls (``name(...)`` or ``anything.name(...)``), else None."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _calls(node: ast.AST, name: str) -> bool:
    """True when ``node`` calls ``name`` somewhere inside."""
    return any(_called_name(child) == name for child in ast.walk(node))


def _size_and_load_statements(chapter: Path) -> tuple[list[ast.stmt], int]:
    """Top-level imports and assignments that set sizes or load MNIST, and how many
    ``load_mnist`` calls the chapter makes anywhere."""
    tree = ast.parse(chapter.read_text())
    chosen = []
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            chosen.append(statement)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and (
            _calls(statement, "by_scale") or _calls(statement, "load_mnist")
        ):
            chosen.append(statement)
    loads_anywhere = sum(
        1 for node in ast.walk(tree) if _called_name(node) == "load_mnist"
    )
    return chosen, loads_anywhere


def _loaded_sizes(chapter: Path, monkeypatch) -> list[tuple]:
    """(split, limit, per_class, number of images, their pixel sum) of every ``load_mnist``
    call the chapter's top-level size and load statements make."""
    statements, loads_anywhere = _size_and_load_statements(chapter)
    seen = []

    def recording_load(split="train", *, limit=None, per_class=None):
        loaded = LOAD_MNIST(split, limit=limit, per_class=per_class)
        pixels = round(float(loaded.images.double().sum()), 3)  # the same images?
        seen.append((split, limit, per_class, len(loaded.images), pixels))
        return loaded

    monkeypatch.setattr(data, "load_mnist", recording_load)
    namespace: dict = {"__name__": "chapter"}
    for statement in statements:
        code = compile(
            ast.Module(body=[statement], type_ignores=[]), str(chapter), "exec"
        )
        if _calls(statement, "load_mnist"):
            exec(code, namespace)  # a load that fails here is a test failure
        else:
            try:  # a size may depend on something this test does not run (the device, ...)
                exec(code, namespace)
            except Exception:
                pass
    assert len(seen) == loads_anywhere, (
        f"{chapter.name} calls load_mnist {loads_anywhere} times, but only {len(seen)} in "
        "top-level assignments: load the data at the top level, sizes from by_scale"
    )
    return seen


@pytest.mark.parametrize(
    "chapter", CHAPTERS, ids=[chapter.stem for chapter in CHAPTERS]
)
def test_every_chapter_loads_the_same_images_online_and_offline(
    chapter, standin, monkeypatch
):
    monkeypatch.setenv("COURSE_SCALE", "book")
    monkeypatch.delenv("COURSE_TINY", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(standin))
    online = _loaded_sizes(chapter, monkeypatch)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    offline = _loaded_sizes(chapter, monkeypatch)
    if not online:
        pytest.skip(f"{chapter.name} does not load MNIST")
    assert online == offline, f"online {online} != offline {offline}"
    for split, limit, per_class, count, _ in online:
        assert limit is not None or per_class is not None, (
            f"{chapter.name}: the {split} size must be a fixed number"
        )
        asked = limit if limit is not None else 10 * per_class
        assert count == asked, (
            f"{chapter.name}: asked for {asked} {split} images, got {count}"
        )


def test_full_scale_loads_the_whole_standin(standin, monkeypatch):
    """The contrast: at ``full`` a chapter's ``limit=None`` reads all 60,000 digits."""
    monkeypatch.setenv("COURSE_SCALE", "full")
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(standin))
    assert len(data.load_mnist("train").images) == 60_000
