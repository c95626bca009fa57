"""The whole book builds with Jupyter Book 1.x under COURSE_TINY=1 with no warning and no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOTEBOOKS, ROOT, tiny_env


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    output = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            ".",
            "--all",
            "--warningiserror",
            "--keep-going",
            "--path-output",
            str(output),
        ],
        cwd=ROOT,
        env=tiny_env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"the book build failed:\n{log[-8000:]}"
    return output / "_build" / "html", log


def test_build_executes_every_chapter(built_book):
    """``make book`` reuses cached executions; the test builds into a fresh folder, whose
    cache is empty, so every chapter really runs."""
    _, log = built_book
    assert "Using cached notebook" not in log
    executed = [line for line in log.splitlines() if "Executed notebook in" in line]
    assert len(executed) == len(NOTEBOOKS), executed


def test_build_has_no_warnings(built_book):
    _, log = built_book
    # Sphinx's own warnings ("WARNING: ..."), not the kernel's log lines ("[IPKernelApp] WARNING | ...")
    warnings = [line for line in log.splitlines() if "WARNING:" in line]
    assert not warnings, "\n".join(warnings)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_chapter_page_shows_figures_and_no_traceback(built_book, notebook):
    html_dir, _ = built_book
    page = (html_dir / "book" / f"{notebook.stem}.html").read_text()
    assert "Traceback" not in page, "a cell's error reached the page"
    leaks = [
        leak
        for leak in ("&lt;Axes:", "&lt;matplotlib.", "&lt;Figure size")
        if leak in page
    ]
    assert not leaks, (
        f"a cell prints a plot object's repr {leaks}: end its last line with `;`"
    )
    assert page.count("<img") >= 2, "the chapter should show its figures"
    assert (
        "colab.research.google.com/github/" in page
        and f"book/{notebook.stem}.ipynb" in page
    )
    assert "mybinder.org" in page


def test_intro_and_references(built_book):
    html_dir, _ = built_book
    assert (html_dir / "index.html").exists() and (
        html_dir / "book" / "intro.html"
    ).exists()
    references = (html_dir / "book" / "references.html").read_text()
    assert "Baldi" in references and "Kingma" in references
