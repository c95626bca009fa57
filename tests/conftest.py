"""Shared test set-up: a headless matplotlib, the `slow` marker of the tests that run
notebooks (and the guard that no other test does), and one tiny-scale build of each edition
of the book that every test of the built pages shares. What the groups import (paths,
settings) is in tests/helpers."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import matplotlib
import pytest
from helpers import EDITIONS, ROOT

matplotlib.use("Agg")

# A test is `slow` (left out of `make test-fast`) when it runs notebooks: it is marked so
# by hand (`@pytest.mark.slow`), or it uses this fixture, directly or through another one
# (the book build does), and is marked here.
NOTEBOOK_FIXTURE = "notebook_env"
# Every other test runs with this folder first on JUPYTER_PATH: its "python3" kernel (the
# chapters' kernel) only says that the test should be marked slow and exits, so a kernel
# started in the test's process or in a child that inherits its environment fails the test.
REFUSING_KERNELS = Path(__file__).parent / "helpers" / "refusing_kernels"


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items):
    for item in items:
        if NOTEBOOK_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def _refuse_to_grade(*args, **kwargs):
    raise RuntimeError(
        "a test not marked slow ran a notebook in the grader's sandbox: mark it "
        "@pytest.mark.slow or give it the notebook_env fixture (tests/conftest.py)"
    )


@contextlib.contextmanager
def _notebooks_refused(item):
    """While a test not marked slow sets up its fixtures and runs: no Jupyter kernel, no
    sandboxed grading run."""
    if item.get_closest_marker("slow") is not None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        path = os.environ.get("JUPYTER_PATH")
        first = str(REFUSING_KERNELS)
        patch.setenv("JUPYTER_PATH", f"{first}{os.pathsep}{path}" if path else first)
        patch.setattr("course_utils.teaching.sandbox.Sandbox.run", _refuse_to_grade)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _notebooks_refused(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _notebooks_refused(item):
        return (yield)


@pytest.fixture(scope="session")
def notebook_env():
    """How a test builds the environment of the notebooks it runs (in a child process):
    ``notebook_env(**extra)`` is the tiny scale and headless plotting, plus ``extra``.
    Using this fixture marks a test slow."""

    def tiny_env(**extra: str) -> dict[str, str]:
        env = dict(os.environ, COURSE_TINY="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
        env.update(extra)
        return env

    return tiny_env


@pytest.fixture(scope="module")
def offline():
    """COURSE_OFFLINE=1 for a whole test module: MNIST comes from the bundled sample with
    no download attempt (for the module's fixtures too, and for checks that load digits)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_OFFLINE", "1")
        yield


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
def built_editions(tmp_path_factory, notebook_env) -> dict[str, Build]:
    """Both editions of the book built at the tiny scale as a new user builds them: in a
    fresh copy of the repository (tests/book/test_editions.py checks the node-call log) with
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
    env = notebook_env(COURSE_OFFLINE="1", PYTHONPATH=str(clone), **hidden)
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
