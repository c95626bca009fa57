"""Every chapter runs top to bottom under nbval at the tiny scale; every assert in it holds."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import NOTEBOOKS, ROOT


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_under_nbval(notebook, notebook_env):
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval-lax",
        "--nbval-cell-timeout=600",
        "-p",
        "no:cacheprovider",
        "-q",
        "--color=no",
        str(notebook.relative_to(ROOT)),
    ]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=notebook_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (
        f"{notebook.name} failed under nbval:\n{result.stdout[-6000:]}{result.stderr[-2000:]}"
    )


def test_there_are_chapters():
    assert NOTEBOOKS, "book/ should hold the chapter notebooks"
