"""Every chapter runs top to bottom at ``COURSE_SCALE=full``.

The full scale means "all of MNIST and the full epoch counts", for a GPU. Run as a reader runs
it, that takes hours on a CPU, so this test points ``COURSE_DATA_DIR`` at a small stand-in
MNIST in torchvision's file layout (``bench/mnist_standin.py``: the first digits of the
offline sample, written by the test), with ``COURSE_OFFLINE`` unset: torchvision finds the
files in the cache folder and downloads nothing, "all of MNIST" is a few hundred digits per
class, and the full-scale code path runs in minutes with the full epoch counts. It catches
what only the full scale does: a size meaning "all of it" used as a number (``None``), a
request for more digits than the data holds, a claim asserted where it no longer holds.

Each chapter must also really load all of the stand-in: every ``MNIST ...`` line its own cells
print (check cells aside) names the stand-in's folder, and a load without a per-class count
gets every digit.
"""

from __future__ import annotations

import re
import sys

import nbformat
import pytest
from helpers import BOOK, ROOT
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(ROOT / "bench"))
from mnist_standin import write_standin  # noqa: E402

# "All of MNIST" here: about 200 training and 50 test digits per class. Smaller makes the
# test quicker (the full epoch counts stay); chapters must not depend on the number.
STANDIN_SIZES = {"train": 2_000, "t10k": 500}
CELL_TIMEOUT_S = 1_800
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
pytestmark = pytest.mark.slow  # runs every chapter
LOAD_LINE = re.compile(
    r"MNIST (?P<split>train|test): (?P<count>[\d,]+) images(?P<each> \([\d,]+ of each "
    r"digit\))? from (?P<source>.*)"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist-full-scale")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_OFFLINE", "1")  # the offline sample it is built from
        write_standin(root, STANDIN_SIZES)
    return root


def _printed(notebook) -> str:
    """What the executed chapter's own cells printed (stream outputs), as one text; not the
    exercises' check cells, which may load data of their own."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code" and "check" not in cell.metadata.get("tags", [])
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_chapter_runs_at_the_full_scale(chapter, standin, monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "full")
    monkeypatch.setenv("COURSE_DATA_DIR", str(standin))
    monkeypatch.delenv("COURSE_TINY", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)  # the reader's online path
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    notebook = nbformat.read(chapter, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(chapter.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        text = ANSI.sub("", str(error))
        pytest.fail(
            f"{chapter.name} stops at the full scale (stand-in of "
            f"{STANDIN_SIZES['train']:,} + {STANDIN_SIZES['t10k']:,} digits):\n"
            f"{text[-4000:]}",
            pytrace=False,
        )
    sizes = {"train": STANDIN_SIZES["train"], "test": STANDIN_SIZES["t10k"]}
    for load in LOAD_LINE.finditer(_printed(notebook)):
        assert str(standin) in load["source"], (
            f"{chapter.name} did not read the stand-in: {load[0]!r}"
        )
        if not load["each"]:
            count = int(load["count"].replace(",", ""))
            assert count == sizes[load["split"]], (
                f"{chapter.name} at the full scale loads {count:,} of the "
                f"{sizes[load['split']]:,} {load['split']} digits: {load[0]!r}"
            )
