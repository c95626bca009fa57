"""Shared test set-up: a headless matplotlib, quick access to the repository's paths, and one
tiny-scale build of the whole book that every test of the built pages shares."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import matplotlib
import pytest
import yaml

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def launch_links(chapter: str) -> dict[str, str]:
    """Colab's and Binder's addresses of a chapter's notebook (``"01_linear_autoencoder"``),
    derived from _config.yml alone, where the repository's address is kept."""
    repository = CONFIG["repository"]["url"].removesuffix("/")
    branch = CONFIG["repository"].get("branch", "main")
    owner_and_name = urlsplit(repository).path.strip("/")
    notebook = f"book/{chapter}.ipynb"
    colab = CONFIG["launch_buttons"]["colab_url"].removesuffix("/")
    binder = CONFIG["launch_buttons"]["binderhub_url"].removesuffix("/")
    return {
        "colab": f"{colab}/github/{owner_and_name}/blob/{branch}/{notebook}",
        "binder": f"{binder}/v2/gh/{owner_and_name}/{branch}?urlpath=tree/{notebook}",
    }


def tiny_env(**extra: str) -> dict[str, str]:
    """The environment for running notebooks in tests: tiny scale, headless plotting."""
    env = dict(os.environ, COURSE_TINY="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The whole book built once at the tiny scale: (the html folder, the build's log).

    It is built into a temporary folder, so that it never overwrites the book-scale build
    of `make book` in _build/html. While you work on the tests of the pages, set
    `BUILT_BOOK=<a tiny build's html folder>` to reuse a build (its log is then None).
    """
    reuse = os.environ.get("BUILT_BOOK")
    if reuse:
        return Path(reuse), None
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
