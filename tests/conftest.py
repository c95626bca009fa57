"""Shared test set-up: a headless matplotlib, quick access to the repository's paths, and one
tiny-scale build of each edition of the book that every test of the built pages shares."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import matplotlib
import pytest
import yaml

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


EDITIONS = ("student", "teacher")


def launch_links(chapter: str, edition: str = "teacher") -> dict[str, str]:
    """Colab's and Binder's addresses of a chapter (``"01_linear_autoencoder"``) in an
    edition, derived from _config.yml alone, where the repository's address is kept: the
    teacher edition opens ``book/NN_name.ipynb``, the student edition the student copy in
    the folder that ``course.student_copies`` names."""
    repository = CONFIG["repository"]["url"].removesuffix("/")
    branch = CONFIG["repository"].get("branch", "main")
    owner_and_name = urlsplit(repository).path.strip("/")
    folder = "book" if edition == "teacher" else CONFIG["course"]["student_copies"]
    notebook = f"{folder.strip('/')}/{chapter}.ipynb"
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


class Build(NamedTuple):
    html: Path  # the edition's html folder
    log: str | None  # the build's output (None when BUILT_BOOK reuses a build)
    cache: Path | None  # the executed chapters (jupyter-cache); None when unknown
    source: Path  # the repository it was built from (its book/ holds the chapters)


def fresh_copy(destination: Path) -> Path:
    """The working tree as a fresh clone of it would be: the files git tracks or would
    track (uncommitted edits included), nothing it ignores (no _build, no .venv)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a deleted but still tracked file is not copied
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def without_node(folder: Path) -> tuple[dict[str, str], Path]:
    """An environment in which `node`, `npm` and `npx` are not there: each name runs a
    stand-in that writes its call to a log and fails. (The machine may have Node; a user
    need not.)"""
    log = folder / "node-calls.log"
    for name in ("node", "npm", "npx"):
        stand_in = folder / name
        stand_in.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\nexit 127\n')
        stand_in.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"}, log


@pytest.fixture(scope="session")
def built_editions(tmp_path_factory) -> dict[str, Build]:
    """Both editions of the book built at the tiny scale as a new user builds them: in a
    fresh copy of the repository (tests/test_editions.py checks the node-call log) with
    Node hidden, `make book` (the student edition, executing every chapter) and then
    `make book EDITION=teacher` (which reuses the executions). The copy uses this test
    run's Python environment as its .venv, so make installs nothing.

    While you work on the tests of the pages, set `BUILT_BOOK=<folder>` to a `_build`
    folder holding a tiny build of both editions (`student/html`, `teacher/html`) to reuse
    it (the logs are then None).
    """
    reuse = os.environ.get("BUILT_BOOK")
    if reuse:
        cache = Path(reuse) / ".jupyter_cache"
        return {
            edition: Build(
                Path(reuse) / edition / "html",
                None,
                cache if cache.is_dir() else None,
                ROOT,
            )
            for edition in EDITIONS
        }
    work = tmp_path_factory.mktemp("fresh")
    clone = fresh_copy(work / "course")
    (clone / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    hidden, calls = without_node(work)
    env = tiny_env(COURSE_OFFLINE="1", PYTHONPATH=str(clone), **hidden)
    # a build of its own: not the edition, nor the variables of a `make test` that runs it
    for name in ("COURSE_EDITION", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "EDITION"):
        env.pop(name, None)
    builds = {}
    for edition in EDITIONS:
        command = ["make", "-o", ".venv/.installed", "book"]  # -o: install nothing
        if edition != "student":  # the default edition
            command.append(f"EDITION={edition}")
        result = subprocess.run(
            command, cwd=clone, env=env, capture_output=True, text=True, timeout=3600
        )
        log = result.stdout + result.stderr
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{log[-8000:]}"
        builds[edition] = Build(
            clone / "_build" / edition / "html",
            log,
            clone / "_build" / ".jupyter_cache",
            clone,
        )
    builds["node_calls"] = calls
    return builds


@pytest.fixture(scope="session")
def built_book(built_editions) -> Build:
    """The student edition: what a course publishes."""
    return built_editions["student"]
